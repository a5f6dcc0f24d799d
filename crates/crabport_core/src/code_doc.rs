//! Documentation of a code crabport prints, for `crabport explain <code>`.

/// One documented code.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    pub code: &'static str,
    /// What kind of code it is: `status`, `gap-kind`, `crate-state`,
    /// `finding`, `verdict`, `reason`.
    pub kind: &'static str,
    pub summary: &'static str,
    pub body: &'static str,
}
