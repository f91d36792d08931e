//! Hierarchical cascading timing wheel (skeleton).
