//! SVG charts (plotters' SVG backend, no font files needed).

use std::path::Path;

use plotters::prelude::*;

/// A chart could not be written.
#[derive(Debug)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

fn err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

/// The crossover chart: one line per implementation, x = % of timers
/// cancelled before expiry, y = ns per operation (log scale).
pub fn crossover(path: &Path, series: &[(String, Vec<(f64, f64)>)]) -> Result<(), ChartError> {
    let ys = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y));
    let ymax = ys.clone().fold(1.0f64, f64::max) * 1.5;
    let ymin = ys.fold(f64::INFINITY, f64::min).clamp(0.1, 1.0) / 1.5;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "W1 churn swept over the cancelled fraction (lower is better)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..100f64, (ymin..ymax).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("timers cancelled (reset) before expiry, %")
        .y_desc("ns per operation (reset or expiry), log scale")
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Histogram of W5 lateness (sorted ns values), µs buckets up to the
/// 99.9th percentile, log-scale counts; the caption gives the tail.
pub fn lateness(path: &Path, sorted_ns: &[u64], title: &str) -> Result<(), ChartError> {
    let n = sorted_ns.len();
    let q = |f: f64| {
        if n == 0 {
            0
        } else {
            sorted_ns[((n - 1) as f64 * f).round() as usize]
        }
    };
    let hi_ns = q(0.999).max(1_000);
    const BUCKETS: usize = 60;
    let width = (hi_ns as f64 / BUCKETS as f64).max(1.0);
    let mut counts = [0u64; BUCKETS];
    let mut beyond = 0u64;
    for &l in sorted_ns {
        let b = (l as f64 / width) as usize;
        if b < BUCKETS {
            counts[b] += 1;
        } else {
            beyond += 1;
        }
    }
    let ymax = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 2.0;
    let xmax = hi_ns as f64 / 1_000.0;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let caption = format!(
        "{title}: {} expiries, {} beyond the axis (max {:.1} µs)",
        n,
        beyond,
        q(1.0) as f64 / 1_000.0
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, (0.8f64..ymax).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("lateness (delivery − deadline), µs; axis ends at p99.9")
        .y_desc("expiries (log scale)")
        .draw()
        .map_err(err)?;
    let w_us = width / 1_000.0;
    chart
        .draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| {
                    let x0 = i as f64 * w_us;
                    Rectangle::new(
                        [(x0, 0.8), (x0 + w_us * 0.9, c as f64)],
                        BLUE.mix(0.7).filled(),
                    )
                }),
        )
        .map_err(err)?;
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_written_as_svg() {
        let dir = std::env::temp_dir().join(format!("hrwheel-charts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("x.svg");
        crossover(
            &a,
            &[
                ("wheel".into(), vec![(0.0, 50.0), (99.0, 10.0)]),
                ("tree".into(), vec![(0.0, 40.0), (99.0, 80.0)]),
            ],
        )
        .unwrap();
        let svg = std::fs::read_to_string(&a).unwrap();
        assert!(svg.contains("<svg") && svg.contains("wheel") && svg.contains("tree"));
        let b = dir.join("h.svg");
        let lat: Vec<u64> = (0..10_000u64).map(|i| i * 7 % 50_000).collect::<Vec<_>>();
        let mut lat = lat;
        lat.sort_unstable();
        lateness(&b, &lat, "W5").unwrap();
        let svg = std::fs::read_to_string(&b).unwrap();
        assert!(svg.contains("<rect") && svg.contains("10000 expiries"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
