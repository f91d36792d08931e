//! Reference workloads (../shared/WORKLOADS.md) and baselines (skeleton).
