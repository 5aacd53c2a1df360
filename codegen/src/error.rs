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
    /// The spec changes would destroy data and the spec does not list them as intended.
    #[error("{}", render_refusals(.0))]
    Destructive(Vec<Refusal>),
    /// A `.sql` file among the migrations is not named `<version>_<name>.sql`.
    #[error("cannot tell the version of migration {path}: name it <digits>_<lowercase name>.sql")]
    MigrationName {
        /// The file.
        path: String,
    },
    /// Two migrations have the same version.
    #[error("two migrations have version {version}")]
    DuplicateVersion {
        /// The version.
        version: String,
    },
    /// A snapshot beside a migration cannot be used.
    #[error("cannot use snapshot {path}: {problem}")]
    Snapshot {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// There are migrations but no snapshot of the model they leave behind, so the next
    /// migration cannot be derived.
    #[error(
        "migration {migration} has no snapshot beside it, so the state it leaves behind is unknown; \
         restore its .snapshot.json (or, if no database has applied these migrations yet, \
         delete them to start again from 0001_init)"
    )]
    MissingSnapshot {
        /// `<version>_<name>` of the last migration.
        migration: String,
    },
}

/// A change that would destroy data, refused because the spec does not allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The spec file that declared the object, relative to the spec folder.
    pub file: String,
    /// The change, written as the `allow_destructive` entry that allows it.
    pub change: crate::ir::Destructive,
    /// What would be lost.
    pub reason: String,
}

fn render_refusals(refusals: &[Refusal]) -> String {
    let mut out = format!(
        "{} spec change(s) would destroy data, so no migration was written:\n",
        refusals.len()
    );
    for r in refusals {
        out.push_str(&format!("  {}: {}: {}\n", r.file, r.change, r.reason));
    }
    out.push_str("if that is intended, list the change(s) in a spec file and build again:\nallow_destructive:\n");
    for r in refusals {
        out.push_str(&format!("  - {}\n", r.change));
    }
    out.pop();
    out
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
