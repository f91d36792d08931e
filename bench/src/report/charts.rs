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
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
        .filter(|y| y.is_finite() && *y > 0.0)
        .collect();
    let ymax = ys.iter().copied().fold(1.0f64, f64::max) * 4.0;
    let ymin = ys
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(ymax / 8.0)
        / 1.5;
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
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Histogram of W5 lateness (sorted ns values) in log-spaced buckets from
/// 10 ns to the maximum, log-scale counts.
pub fn lateness(path: &Path, sorted_ns: &[u64], title: &str) -> Result<(), ChartError> {
    const BUCKETS: usize = 60;
    const LO_NS: f64 = 10.0;
    let n = sorted_ns.len();
    let max_ns = sorted_ns.last().copied().unwrap_or(1_000).max(1_000) as f64;
    let ratio = (max_ns * 1.0001 / LO_NS).ln() / BUCKETS as f64;
    let edge = |i: usize| LO_NS * (ratio * i as f64).exp();
    let mut counts = [0u64; BUCKETS];
    for &l in sorted_ns {
        let b = if (l as f64) < LO_NS {
            0
        } else {
            (((l as f64 / LO_NS).ln() / ratio) as usize).min(BUCKETS - 1)
        };
        counts[b] += 1;
    }
    let q = |f: f64| {
        if n == 0 {
            0.0
        } else {
            sorted_ns[((n - 1) as f64 * f).round() as usize] as f64 / 1_000.0
        }
    };
    let ymax = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 2.0;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let caption = format!(
        "{title}: {n} expiries; p50 {:.2} µs, p99 {:.1} µs, max {:.1} µs",
        q(0.5),
        q(0.99),
        q(1.0)
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (LO_NS / 1_000.0..edge(BUCKETS) / 1_000.0).log_scale(),
            (0.8f64..ymax).log_scale(),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("lateness (delivery − deadline), µs, log scale; the first bar includes 0–10 ns")
        .y_desc("expiries (log scale)")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| {
                    let (x0, x1) = (edge(i) / 1_000.0, edge(i + 1) / 1_000.0);
                    Rectangle::new([(x0, 0.8), (x1, c as f64)], BLUE.mix(0.7).filled())
                }),
        )
        .map_err(err)?;
    root.present().map_err(err)
}

/// One bar per (workload, implementation): median ns/op divided by the
/// best baseline's in that workload, log scale, 1 = best baseline.
/// `workloads` holds (workload, [(implementation, ratio)]); every
/// workload should list the implementations in the same order.
pub fn ratios(path: &Path, workloads: &[(String, Vec<(String, f64)>)]) -> Result<(), ChartError> {
    let imps: Vec<&str> = workloads
        .first()
        .map(|(_, r)| r.iter().map(|(n, _)| n.as_str()).collect())
        .unwrap_or_default();
    let per = imps.len().max(1) + 1;
    let rows = workloads.len() * per;
    let vals = workloads
        .iter()
        .flat_map(|(_, r)| r.iter().map(|&(_, v)| v))
        .filter(|v| v.is_finite() && *v > 0.0);
    let xmax = vals.clone().fold(1.0f64, f64::max) * 1.5;
    let xmin = vals.fold(1.0f64, f64::min) / 1.5;
    let root = SVGBackend::new(path, (900, 120 + 22 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "ns per operation relative to the best baseline (log scale; left of 1 = faster)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d((xmin..xmax).log_scale(), 0f64..rows as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("ratio to the best baseline")
        .draw()
        .map_err(err)?;
    // Workload names in the gap above each band.
    chart
        .draw_series(workloads.iter().enumerate().map(|(w, (name, _))| {
            let top = ((workloads.len() - w) * per) as f64 - 0.1;
            Text::new(name.clone(), (xmin * 1.03, top), ("sans-serif", 15))
        }))
        .map_err(err)?;
    for (i, imp) in imps.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(workloads.iter().enumerate().filter_map(|(w, (_, r))| {
                let v = r.get(i)?.1;
                if !(v.is_finite() && v > 0.0) {
                    return None;
                }
                // Workloads top to bottom, implementations top to bottom.
                let band = (workloads.len() - 1 - w) * per;
                let y0 = (band + per - 1 - i) as f64 - 0.9;
                Some(Rectangle::new([(xmin, y0), (v, y0 + 0.8)], color.filled()))
            }))
            .map_err(err)?
            .label(*imp)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    chart
        .draw_series(LineSeries::new(
            vec![(1.0, 0.0), (1.0, rows as f64)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
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
        assert!(
            svg.contains("<rect") && svg.contains("10000 expiries"),
            "{svg}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
