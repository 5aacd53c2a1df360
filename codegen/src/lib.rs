//! Ferrobase codegen: spec in, artifacts out.
//!
//! The pipeline is `spec` (YAML mirrored by serde types) → `lower` (validation and name
//! resolution) → `ir` (one typed model) → `emit::*` (one pure function per artifact: SQL
//! migrations, Rust metadata, OpenAPI). No network, database or clock is touched, and the
//! same input always gives byte-identical output.
#![warn(missing_docs)]

pub mod ddl;
pub mod emit;
pub mod error;
pub mod ir;
pub mod lower;
pub mod source;
pub mod spec;
pub mod sql;

pub use error::{Diagnostic, Error, Result};
pub use lower::SourceFile;

use std::path::{Path, PathBuf};

/// Everything generated from one spec folder.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The validated model.
    pub ir: ir::Ir,
    /// Migrations in order.
    pub migrations: Vec<emit::migrations::MigrationFile>,
    /// (schema, OpenAPI JSON) per exposed schema.
    pub openapi: Vec<(String, String)>,
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

/// Runs the whole pipeline over spec files.
pub fn generate(files: &[SourceFile]) -> Result<Artifacts> {
    let ir = lower::lower(files)?;
    let migrations = emit::migrations::emit_migrations(&ir)?;
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
    };
    let rust = emit::rust::emit_rust(&ir, &inputs)?;
    Ok(Artifacts {
        ir,
        migrations,
        openapi,
        rust,
        inputs: Vec::new(),
    })
}

/// Runs the pipeline over a spec folder.
pub fn generate_dir(dir: &Path) -> Result<Artifacts> {
    let (files, paths) = read_spec_dir(dir)?;
    let mut artifacts = generate(&files)?;
    artifacts.inputs = paths;
    Ok(artifacts)
}

impl Artifacts {
    /// Writes the artifacts under `dir`: `catalog.rs`, `migrations/*.sql`, `openapi/*.json`.
    /// Files whose content is unchanged are left alone so their timestamps do not move.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        write_if_changed(&dir.join("catalog.rs"), &self.rust)?;
        for m in &self.migrations {
            write_if_changed(&dir.join("migrations").join(m.file_name()), &m.sql)?;
        }
        for (schema, doc) in &self.openapi {
            write_if_changed(&dir.join("openapi").join(format!("{schema}.json")), doc)?;
        }
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
