//! Ferrobase codegen: spec in, artifacts out.
//!
//! The pipeline is `spec` (YAML mirrored by serde types) → `lower` (validation and name
//! resolution) → `ir` (one typed model) → `emit::*` (one pure function per artifact: SQL
//! migrations, Rust metadata, OpenAPI). No network, database or clock is touched, and the
//! same input always gives byte-identical output.
//!
//! Migrations accumulate: [`generate_project`] reads the committed ones with their
//! snapshots ([`history`]), diffs the latest snapshot against the spec ([`diff`]) and adds
//! the next migration when they differ, refusing changes that destroy data unless the spec
//! allows them.
#![warn(missing_docs)]

pub mod ddl;
pub mod diff;
pub mod emit;
pub mod error;
pub mod history;
pub mod ir;
pub mod lower;
pub mod source;
pub mod spec;
pub mod sql;

pub use error::{Diagnostic, Error, Refusal, Result};
pub use history::{History, Snapshot};
pub use lower::SourceFile;

use std::path::{Path, PathBuf};

/// Everything generated from one spec folder.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The validated model.
    pub ir: ir::Ir,
    /// Every migration in order: those of the history, then the new one if any.
    pub migrations: Vec<emit::migrations::MigrationFile>,
    /// Snapshots to write beside the migrations (the new migration's, if any).
    pub snapshots: Vec<Snapshot>,
    /// File name of the migration this run added, if it added one.
    pub new_migration: Option<String>,
    /// `allow_destructive` entries that allowed nothing this time; once their migration is
    /// written they only wait to allow the same loss again, unnoticed.
    pub unused_allowances: Vec<ir::Destructive>,
    /// (schema, OpenAPI JSON) per exposed schema.
    pub openapi: Vec<(String, String)>,
    /// The one document for SDK generators (`openapi/api.json`): `/api` and `/rest/v1`.
    pub api_openapi: String,
    /// `catalog.rs`, referring to `migrations/<file>` and `openapi/<schema>.json` beside it.
    pub rust: String,
    /// The spec files read, for `rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

/// Reads every `*.yaml` / `*.yml` file of `dir` (sorted by name).
pub fn read_spec_dir(dir: &Path) -> Result<(Vec<SourceFile>, Vec<PathBuf>)> {
    let io = |path: &Path, source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(|e| io(p, e))?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(SourceFile { name, text });
    }
    Ok((files, paths))
}

/// Runs the whole pipeline over spec files as for a new project: one migration creating
/// everything.
pub fn generate(files: &[SourceFile]) -> Result<Artifacts> {
    generate_from(files, &History::default())
}

/// Runs the whole pipeline over spec files, continuing the migrations of `history`: when
/// the spec differs from the latest snapshot, the next migration makes the difference.
pub fn generate_from(files: &[SourceFile], history: &History) -> Result<Artifacts> {
    let ir = lower::lower(files)?;
    let mut migrations = history.migrations.clone();
    let mut snapshots = Vec::new();
    let mut unused_allowances = ir.allow_destructive.clone();
    match &history.snapshot {
        None if migrations.is_empty() => {
            let init = emit::migrations::emit_init(&ir)?;
            snapshots.push(Snapshot::new(&init, &ir));
            migrations.push(init);
        }
        None => {
            // Migrations written before snapshots existed: the first migration of the spec
            // as it is now is adopted as it stands.
            let init = emit::migrations::emit_init(&ir)?;
            if migrations != [init.clone()] {
                let last = migrations.last().expect("not empty");
                return Err(Error::MissingSnapshot {
                    migration: history::stem(last),
                });
            }
            snapshots.push(Snapshot::new(&init, &ir));
        }
        Some(snapshot) => {
            let diff = diff::diff(&snapshot.model, &ir);
            let mut refusals = Vec::new();
            for (change, reason) in diff.destructive() {
                unused_allowances.retain(|a| *a != change);
                if ir.allow_destructive.contains(&change) {
                    continue;
                }
                let schema = match &change {
                    ir::Destructive::DropTable { schema, .. } => schema,
                    ir::Destructive::DropColumn { schema, .. }
                    | ir::Destructive::AlterType { schema, .. } => schema,
                };
                let file = ir
                    .schemas
                    .iter()
                    .chain(&snapshot.model.schemas)
                    .find(|s| &s.name == schema)
                    .map(|s| s.source.clone())
                    .unwrap_or_default();
                refusals.push(Refusal {
                    file,
                    change,
                    reason,
                });
            }
            if !refusals.is_empty() {
                return Err(Error::Destructive(refusals));
            }
            if !diff.is_empty() {
                let version = history.next_version();
                let migration =
                    emit::migrations::emit_change(&ir, &version, &snapshot.migration, &diff);
                snapshots.push(Snapshot::new(&migration, &ir));
                migrations.push(migration);
            }
        }
    }
    let new_migration = (migrations.len() > history.migrations.len())
        .then(|| migrations.last().map(|m| m.file_name()))
        .flatten();
    let mut artifacts = assemble(ir, migrations)?;
    artifacts.snapshots = snapshots;
    artifacts.new_migration = new_migration;
    artifacts.unused_allowances = unused_allowances;
    Ok(artifacts)
}

/// The OpenAPI documents and the Rust catalog over the model and its migrations.
fn assemble(ir: ir::Ir, migrations: Vec<emit::migrations::MigrationFile>) -> Result<Artifacts> {
    let openapi: Vec<(String, String)> = ir
        .schemas
        .iter()
        .filter(|s| s.exposed)
        .map(|s| (s.name.clone(), emit::openapi::emit_openapi(&ir, &s.name)))
        .collect();
    let inputs = emit::rust::RustInputs {
        migrations: migrations
            .iter()
            .map(|m| {
                (
                    m.version.clone(),
                    m.name.clone(),
                    format!("migrations/{}", m.file_name()),
                )
            })
            .collect(),
        openapi: openapi
            .iter()
            .map(|(s, _)| (s.clone(), format!("openapi/{s}.json")))
            .collect(),
        api_openapi: Some("openapi/api.json".to_string()),
    };
    let rust = emit::rust::emit_rust(&ir, &inputs)?;
    let api_openapi = emit::openapi_api::emit_sdk_openapi(&ir);
    Ok(Artifacts {
        ir,
        migrations,
        snapshots: Vec::new(),
        new_migration: None,
        unused_allowances: Vec::new(),
        openapi,
        api_openapi,
        rust,
        inputs: Vec::new(),
    })
}

/// Runs the pipeline over a spec folder as for a new project (see [`generate`]).
pub fn generate_dir(dir: &Path) -> Result<Artifacts> {
    let (files, paths) = read_spec_dir(dir)?;
    let mut artifacts = generate(&files)?;
    artifacts.inputs = paths;
    Ok(artifacts)
}

/// Runs the pipeline over a spec folder, continuing the migrations committed in
/// `migrations` (see [`generate_from`]). [`Artifacts::write_to`] the folder above it
/// records the new migration and its snapshot there.
pub fn generate_project(spec: &Path, migrations: &Path) -> Result<Artifacts> {
    let (files, paths) = read_spec_dir(spec)?;
    let history = History::read(migrations)?;
    let mut artifacts = generate_from(&files, &history)?;
    artifacts.inputs = paths;
    Ok(artifacts)
}

impl Artifacts {
    /// Writes the artifacts under `dir`: `catalog.rs`, `migrations/*.sql` with the new
    /// snapshot, `openapi/*.json`.
    /// Files whose content is unchanged are left alone so their timestamps do not move.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        write_if_changed(&dir.join("catalog.rs"), &self.rust)?;
        for m in &self.migrations {
            write_if_changed(&dir.join("migrations").join(m.file_name()), &m.sql)?;
        }
        for s in &self.snapshots {
            write_if_changed(&dir.join("migrations").join(s.file_name()), &s.to_json())?;
        }
        for (schema, doc) in &self.openapi {
            write_if_changed(&dir.join("openapi").join(format!("{schema}.json")), doc)?;
        }
        write_if_changed(&dir.join("openapi").join("api.json"), &self.api_openapi)?;
        Ok(())
    }
}

fn write_if_changed(path: &Path, content: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(content) {
        return Ok(());
    }
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, content).map_err(io)
}
