//! Git history evidence (gix).
