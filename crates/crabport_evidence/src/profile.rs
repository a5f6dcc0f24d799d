//! CPU profile evidence (.cpuprofile).
