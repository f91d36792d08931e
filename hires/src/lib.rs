//! High-resolution timer queue (skeleton).
