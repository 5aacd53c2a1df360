//! Errors of the codegen crate: spec problems with their file, line and column.

use std::fmt;

/// One problem found in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Spec file, relative to the spec folder.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// YAML path of the offending node, e.g. `tables[0].columns[2].type`.
    pub path: String,
    /// A plain sentence saying what is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec has problems; all of those found in one pass are listed.
    #[error("{} problem(s) in the spec:\n{}", .0.len(), render(.0))]
    Spec(Vec<Diagnostic>),
    /// A spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A template failed to render; this is a bug in codegen, not in the spec.
    #[error("template {template} failed: {source}")]
    Template {
        /// Template name.
        template: &'static str,
        /// The cause.
        source: minijinja::Error,
    },
    /// Generated Rust did not parse; this is a bug in codegen, not in the spec.
    #[error("generated Rust does not parse: {0}")]
    Rust(#[from] syn::Error),
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Result with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
