//! The committed migrations of a project and the model the last generated one leaves
//! behind.
//!
//! Beside each generated migration `NNNN_<name>.sql` lies `NNNN_<name>.snapshot.json`: the
//! model ([`Ir`]) of the spec that the migration brings the database to. A build diffs the
//! spec against the latest snapshot to write the next migration, so migrations already
//! written are only ever read.
//! A migration without a snapshot was written by hand: it keeps its place in the order and
//! is taken to leave the objects the spec declares alone.

use crate::emit::migrations::MigrationFile;
use crate::error::{Error, Result};
use crate::ir::Ir;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The snapshot format this build reads and writes.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The model a migration leaves behind, as committed beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SNAPSHOT_FORMAT`].
    pub format: u32,
    /// The migration it belongs to, `<version>_<name>`.
    pub migration: String,
    /// The model.
    pub model: Ir,
}

impl Snapshot {
    /// The snapshot of `migration`, which brings the database to `model`.
    pub fn new(migration: &MigrationFile, model: &Ir) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            migration: stem(migration),
            model: model.clone(),
        }
    }

    /// File name: `<version>_<name>.snapshot.json`.
    pub fn file_name(&self) -> String {
        format!("{}.snapshot.json", self.migration)
    }

    /// Pretty JSON with a final newline; the same model always gives the same text.
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).expect("a snapshot serializes");
        out.push('\n');
        out
    }
}

/// The migrations of a project, in order, and the latest snapshot among them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Every migration, ordered by version.
    pub migrations: Vec<MigrationFile>,
    /// The snapshot of the last migration that has one.
    pub snapshot: Option<Snapshot>,
}

impl History {
    /// Reads `NNNN_<name>.sql` files and their snapshots from `dir`; a missing folder is
    /// an empty history. Other files are ignored.
    pub fn read(dir: &Path) -> Result<History> {
        let io = |path: &Path, source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => return Err(io(dir, e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| io(dir, e))?.path();
            let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = file.strip_suffix(".sql") else {
                continue;
            };
            let (version, name) = parse_stem(stem).ok_or_else(|| Error::MigrationName {
                path: path.display().to_string(),
            })?;
            let sql = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            found.push((
                version.parse::<u64>().unwrap_or(u64::MAX),
                MigrationFile {
                    version: version.to_string(),
                    name: name.to_string(),
                    sql,
                },
            ));
        }
        found.sort_by(|a, b| (a.0, &a.1.version).cmp(&(b.0, &b.1.version)));
        for pair in found.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(Error::DuplicateVersion {
                    version: pair[1].1.version.clone(),
                });
            }
        }
        let migrations: Vec<MigrationFile> = found.into_iter().map(|(_, m)| m).collect();
        let mut snapshot = None;
        for m in migrations.iter().rev() {
            let path = dir.join(format!("{}.snapshot.json", stem(m)));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path, e)),
            };
            let snap = parse_snapshot(&text).map_err(|problem| Error::Snapshot {
                path: path.display().to_string(),
                problem,
            })?;
            if snap.migration != stem(m) {
                return Err(Error::Snapshot {
                    path: path.display().to_string(),
                    problem: format!("it names migration {}", snap.migration),
                });
            }
            snapshot = Some(snap);
            break;
        }
        Ok(History {
            migrations,
            snapshot,
        })
    }

    /// The version after the last migration's, as wide as it (at least four digits).
    pub fn next_version(&self) -> String {
        let last = self.migrations.last();
        let n = last
            .and_then(|m| m.version.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        let width = last.map_or(4, |m| m.version.len().max(4));
        format!("{n:0width$}")
    }
}

/// `<version>_<name>` of a migration.
pub fn stem(m: &MigrationFile) -> String {
    format!("{}_{}", m.version, m.name)
}

/// Splits `0002_add_x` into (`0002`, `add_x`).
fn parse_stem(stem: &str) -> Option<(&str, &str)> {
    let (version, name) = stem.split_once('_')?;
    let ok = !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then_some((version, name))
}

fn parse_snapshot(text: &str) -> Result<Snapshot, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let format = value.get("format").and_then(serde_json::Value::as_u64);
    if format != Some(u64::from(SNAPSHOT_FORMAT)) {
        return Err(format!(
            "its format is {}, and this build reads format {SNAPSHOT_FORMAT}",
            format.map_or_else(|| "missing".to_string(), |f| f.to_string())
        ));
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_file_names() {
        assert_eq!(parse_stem("0002_add_x"), Some(("0002", "add_x")));
        assert_eq!(parse_stem("0002"), None);
        assert_eq!(parse_stem("v2_add"), None);
        assert_eq!(parse_stem("0002_Add"), None);
    }

    #[test]
    fn versions_continue_the_last_one() {
        let m = |version: &str| MigrationFile {
            version: version.into(),
            name: "x".into(),
            sql: String::new(),
        };
        let mut h = History::default();
        assert_eq!(h.next_version(), "0001");
        h.migrations.push(m("0009"));
        assert_eq!(h.next_version(), "0010");
        h.migrations.push(m("20240101120000"));
        assert_eq!(h.next_version(), "20240101120001");
    }
}
