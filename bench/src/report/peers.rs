//! The published wheels (`bitwheel`, `nexus-timer`) in a report section:
//! a structure that cannot run a workload honestly gets an n/a row that
//! says why, instead of a figure or an aborted report.
//!
//! - [`probe_as_shipped`] runs each once as shipped, handing on every timer
//!   it fires; the workload's check says whether it fired early (or late).
//! - [`measure_into`] times the configured version (which re-checks the
//!   deadline of each fired timer and re-arms one that came early); an error
//!   from a published wheel makes its row n/a with the error as the reason,
//!   an error from anything else is returned.
//! - [`conclude`] marks n/a a published wheel whose expiries differ from
//!   the exact structures' (too coarse for the workload) and writes the
//!   probes' findings under the table.

use super::{measure, Sample, Section, Work};
use crate::check::CheckError;
use crate::imps::Imp;

/// What running a published wheel as shipped gave, per wheel.
pub type Probes = Vec<(Imp, Result<Sample, CheckError>)>;

/// Runs each published wheel once, as shipped (untimed use of the result).
pub fn probe_as_shipped(w: Work) -> Probes {
    Imp::PEER_WHEELS
        .iter()
        .filter_map(|&imp| Some((imp, imp.visit_as_shipped(w.unit_ns(), w.capacity(), w)?)))
        .collect()
}

/// Times `imp` once on `w` into `section` (see the module docs).
pub fn measure_into(section: &mut Section, imp: Imp, w: Work) -> Result<(), CheckError> {
    let label = imp.label(w.unit_ns());
    if section.is_na(&label) {
        return Ok(());
    }
    match measure(imp, w) {
        Ok(s) => section.push(&label, imp.is_baseline(), s),
        Err(e) if Imp::PEER_WHEELS.contains(&imp) => {
            section.push_na(&label, imp.is_baseline(), format!("wrong result: {e}"))
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Demotes published wheels with other expiries and notes the probes.
pub fn conclude(section: &mut Section, w: Work, probes: &Probes) {
    let labels: Vec<String> = Imp::PEER_WHEELS
        .iter()
        .map(|i| i.label(w.unit_ns()))
        .collect();
    section.demote_mismatches(&labels);
    let reference = section
        .rows
        .first()
        .and_then(|r| r.samples.first())
        .map(|s| s.digest);
    for (imp, r) in probes {
        let label = imp.label(w.unit_ns());
        let finding = match r {
            Err(e) => format!(
                "**{label} as shipped gives a wrong result here, caught by the check: {e}.**"
            ),
            Ok(s) if Some(s.digest) != reference => format!(
                "**{label} as shipped delivers other expiries than the exact structures \
                 ({} instead of {}).**",
                s.digest.expiries,
                reference.map_or(0, |d| d.expiries)
            ),
            Ok(_) => format!("{label} as shipped fired nothing early or late here."),
        };
        section.notes.push(format!(
            "{finding} Its row re-checks the deadline of every timer it fires and re-arms one \
             that came early, as a user needing never-early timers must."
        ));
    }
}
