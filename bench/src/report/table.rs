//! One workload's results as a markdown table.

use std::fmt::Write as _;

use super::{median, Sample};
use crate::check::{cross_check, CheckError};

/// One implementation's runs of a workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Implementation label.
    pub label: String,
    /// Whether it is one of the WORKLOADS.md baselines.
    pub baseline: bool,
    /// Timed runs.
    pub samples: Vec<Sample>,
    /// Why the structure could not run the workload honestly (no timed
    /// runs then; shown as n/a and left out of the ratios).
    pub na: Option<String>,
}

impl Row {
    /// Median ns per operation.
    pub fn median_ns(&self) -> f64 {
        median(
            &self
                .samples
                .iter()
                .map(Sample::ns_per_op)
                .collect::<Vec<_>>(),
        )
    }

    /// The most moves any one timer took, over all runs, if a wheel.
    pub fn max_moves(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.max_moves).max()
    }

    /// Median cascade moves per arming, if a wheel on a workload that
    /// resets timers (see [`Sample::moves_per_arming`]).
    pub fn moves_per_arming(&self) -> Option<f64> {
        self.median_of(Sample::moves_per_arming)
    }

    /// Median cascade moves per timer, if a wheel.
    pub fn moves_per_timer(&self) -> Option<f64> {
        self.median_of(Sample::moves_per_timer)
    }

    /// Median of `f` over the samples that have it.
    fn median_of(&self, f: impl Fn(&Sample) -> Option<f64>) -> Option<f64> {
        let v: Vec<f64> = self.samples.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| median(&v))
    }
}

/// A workload's rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Heading, e.g. "W1 churn".
    pub title: String,
    /// What one operation is, e.g. "reset or expiry".
    pub op: String,
    /// Free text under the table.
    pub notes: Vec<String>,
    /// Rows in insertion order.
    pub rows: Vec<Row>,
}

impl Section {
    /// An empty section.
    pub fn new(title: impl Into<String>, op: impl Into<String>) -> Self {
        Section {
            title: title.into(),
            op: op.into(),
            notes: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a sample to the row `label`, creating it if needed (ignored
    /// once the row is n/a).
    pub fn push(&mut self, label: &str, baseline: bool, s: Sample) {
        match self.rows.iter_mut().find(|r| r.label == label) {
            Some(r) if r.na.is_some() => {}
            Some(r) => r.samples.push(s),
            None => self.rows.push(Row {
                label: label.to_string(),
                baseline,
                samples: vec![s],
                na: None,
            }),
        }
    }

    /// Marks the row `label` n/a with `why`, dropping its samples.
    pub fn push_na(&mut self, label: &str, baseline: bool, why: impl Into<String>) {
        let why = Some(why.into());
        match self.rows.iter_mut().find(|r| r.label == label) {
            Some(r) => {
                r.samples.clear();
                r.na = why;
            }
            None => self.rows.push(Row {
                label: label.to_string(),
                baseline,
                samples: Vec::new(),
                na: why,
            }),
        }
    }

    /// Whether the row `label` is n/a.
    pub fn is_na(&self, label: &str) -> bool {
        self.rows.iter().any(|r| r.label == label && r.na.is_some())
    }

    /// Marks n/a every row in `labels` whose results differ from the first
    /// row's (a structure too coarse for the workload delivers other
    /// expiries), saying how.
    pub fn demote_mismatches(&mut self, labels: &[String]) {
        let Some(reference) = self.rows.first().and_then(|r| r.samples.first()) else {
            return;
        };
        let want = reference.digest;
        for r in &mut self.rows[1..] {
            if !labels.contains(&r.label) {
                continue;
            }
            if let Some(s) = r.samples.iter().find(|s| s.digest != want) {
                r.na = Some(format!(
                    "its expiries differ from every exact structure's ({} expiries, hash {:016x}; \
                     expected {} expiries, hash {:016x})",
                    s.digest.expiries, s.digest.hash, want.expiries, want.hash
                ));
                r.samples.clear();
            }
        }
    }

    /// Every sample of every row must have the same digest.
    pub fn check(&self) -> Result<(), CheckError> {
        let all: Vec<(&str, _)> = self
            .rows
            .iter()
            .flat_map(|r| r.samples.iter().map(move |s| (r.label.as_str(), s.digest)))
            .collect();
        cross_check(&self.title, &all)
    }

    /// The fastest baseline row: (label, median ns/op).
    pub fn best_baseline(&self) -> Option<(&str, f64)> {
        self.rows
            .iter()
            .filter(|r| r.baseline && !r.samples.is_empty())
            .map(|r| (r.label.as_str(), r.median_ns()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Median ns/op of `label` divided by the best baseline's.
    pub fn ratio(&self, label: &str) -> Option<f64> {
        let best = self.best_baseline()?.1;
        let r = self.rows.iter().find(|r| r.label == label)?;
        Some(r.median_ns() / best)
    }

    /// The markdown table (with heading and notes).
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "### {}\n", self.title);
        let _ = writeln!(
            s,
            "| implementation | ns per {} (median, CPU time) | min–max | vs best baseline | cascade moves per timer (mean / max) |",
            self.op
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        let best = self.best_baseline().map(|b| b.1);
        for r in &self.rows {
            if let Some(why) = &r.na {
                let name = if r.baseline {
                    format!("{} *(baseline)*", r.label)
                } else {
                    format!("**{}**", r.label)
                };
                let _ = writeln!(s, "| {name} | n/a | | | n/a: {why} |");
                continue;
            }
            let ns: Vec<f64> = r.samples.iter().map(Sample::ns_per_op).collect();
            let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ns.iter().copied().fold(0.0, f64::max);
            let m = r.median_ns();
            let ratio = match best {
                Some(b) if b > 0.0 => fmt_ratio(m / b),
                _ => "—".into(),
            };
            let moves = match (r.moves_per_timer(), r.max_moves()) {
                (Some(m), Some(x)) => match r.moves_per_arming() {
                    Some(a) => format!("{m:.3} ({a:.3} per arming) / {x}"),
                    None => format!("{m:.3} / {x}"),
                },
                (Some(m), None) => format!("{m:.3}"),
                _ => "—".into(),
            };
            let name = if r.baseline {
                format!("{} *(baseline)*", r.label)
            } else {
                format!("**{}**", r.label)
            };
            let _ = writeln!(
                s,
                "| {name} | {m:.1} | {lo:.1}–{hi:.1} | {ratio} | {moves} |"
            );
        }
        if let Some(r) = self.rows.first().and_then(|r| r.samples.first()) {
            let _ = writeln!(
                s,
                "\n{} runs each; every run of every implementation not marked n/a produced the same digest \
                 ({} expiries, {} timed ops, hash {:016x}).",
                self.rows.iter().map(|r| r.samples.len()).max().unwrap_or(0),
                r.digest.expiries,
                r.digest.ops,
                r.digest.hash
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "\n{n}");
        }
        s
    }
}

/// `0.42× (2.4× faster)`, `1.00× (best baseline)`, `1.30× (slower)`.
pub fn fmt_ratio(r: f64) -> String {
    if (r - 1.0).abs() < 0.005 {
        format!("{r:.2}×")
    } else if r < 1.0 {
        format!("{r:.2}× ({:.1}× faster)", 1.0 / r)
    } else {
        format!("{r:.2}× (slower)")
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3_600,
        (rem % 3_600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Digest;

    fn sample(secs: f64, hash: u64) -> Sample {
        Sample {
            secs,
            wall_secs: secs,
            digest: Digest {
                expiries: 1,
                ops: 1_000,
                hash,
            },
            cascade_moves: None,
            max_moves: None,
            cascade_per: 0,
            resets: 0,
        }
    }

    #[test]
    fn ratio_is_against_the_fastest_baseline() {
        let mut s = Section::new("W", "op");
        s.push("wheel", false, sample(1e-6, 7));
        s.push("heap", true, sample(4e-6, 7));
        s.push("tree", true, sample(2e-6, 7));
        assert_eq!(s.best_baseline().unwrap().0, "tree");
        assert!((s.ratio("wheel").unwrap() - 0.5).abs() < 1e-9);
        assert!(s.check().is_ok());
        assert!(s.markdown().contains("2.0× faster"));
        s.push("tree", true, sample(2e-6, 8));
        assert!(s.check().is_err());
    }

    #[test]
    fn na_rows_are_shown_and_left_out_of_ratios_and_checks() {
        let mut s = Section::new("W", "op");
        s.push("wheel", false, sample(1e-6, 7));
        s.push("coarse", true, sample(0.5e-6, 8));
        s.push("tree", true, sample(2e-6, 7));
        assert!(s.check().is_err());
        s.demote_mismatches(&["coarse".to_string()]);
        assert!(s.is_na("coarse") && !s.is_na("tree"));
        assert!(s.check().is_ok());
        assert_eq!(s.best_baseline().unwrap().0, "tree");
        s.push_na("early", true, "fires early");
        s.push("early", true, sample(0.1e-6, 7));
        assert_eq!(s.best_baseline().unwrap().0, "tree");
        let md = s.markdown();
        assert!(md.contains("n/a: fires early"), "{md}");
        assert!(md.contains("n/a: its expiries differ"), "{md}");
    }

    #[test]
    fn a_resetting_workload_shows_moves_per_arming_beside_per_expiry() {
        // 1,000 operations of which 100 expiries and 900 resets, 1,900
        // moves, at most 2 for one arming: 19 per expired timer, 1.9 per
        // arming (below the max, as it must be).
        let run = |resets| Sample {
            cascade_moves: Some(1_900),
            max_moves: Some(2),
            cascade_per: 100,
            resets,
            ..sample(1e-6, 7)
        };
        let mut s = Section::new("W", "op");
        s.push("wheel", false, run(900));
        let md = s.markdown();
        assert!(md.contains("19.000 (1.900 per arming) / 2"), "{md}");
        let mut s = Section::new("W", "op");
        s.push("wheel", false, run(0));
        let md = s.markdown();
        assert!(md.contains("| 19.000 / 2 |"), "{md}");
    }

    #[test]
    fn utc_date_is_plausible() {
        let now = utc_now();
        assert!(now.starts_with("20") && now.ends_with("UTC"), "{now}");
    }
}
