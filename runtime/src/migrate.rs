//! The migrations runner: applies SQL migrations in order, once each, and records them.
//!
//! Applied migrations are recorded in `ferrobase.schema_migrations` with a SHA-256 checksum of
//! their SQL, so that a migration edited after it ran is detected instead of silently
//! diverging from the database. A whole run holds a PostgreSQL advisory lock, so servers that
//! start together apply each migration exactly once: the second waits for the first and then
//! finds nothing left to do.
//!
//! Each migration runs in one transaction together with its bookkeeping row, through the
//! simple query protocol, so a migration may hold many statements and `DO $$ ... $$` blocks.
//! Statements that cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`) or
//! that end it (`COMMIT`) do not belong in a migration.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};

/// The key of the advisory lock held while migrating ("ferrobas" in ASCII), chosen so that it
/// does not collide with locks taken by application code by accident.
const LOCK_KEY: i64 = 0x6665_7272_6f62_6173;

/// Creates the bookkeeping schema and table when missing.
const BOOKKEEPING_DDL: &str = "\
create schema if not exists ferrobase;
create table if not exists ferrobase.schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
);";

/// One migration as known to the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationSource<'a> {
    /// The version, unique among migrations (for example `20240101120000`).
    pub version: &'a str,
    /// A human-readable name (for example `create_todos`).
    pub name: &'a str,
    /// The SQL to run; may hold many statements.
    pub sql: &'a str,
}

impl MigrationSource<'_> {
    /// The SHA-256 of the SQL, as lowercase hex.
    pub fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

/// The state of one migration, as reported by [`status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The version.
    pub version: String,
    /// The name (the recorded one for a migration this binary does not know).
    pub name: String,
    /// When it was applied (PostgreSQL's text form of a `timestamptz`), if it was.
    pub applied: Option<String>,
    /// Whether it still has to be applied.
    pub pending: bool,
    /// Whether it was applied with SQL that differs from the binary's (it was edited since).
    pub modified: bool,
    /// Whether it was applied but is unknown to this binary (the database is ahead).
    pub unknown: bool,
}

/// Errors from applying or inspecting migrations.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Talking to the database failed outside of a migration's own SQL.
    #[error("migrations: database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An applied migration's SQL was edited afterwards.
    #[error(
        "migration {version} ({name}) was already applied but its SQL has changed since; \
         applied migrations must not be edited: restore its original SQL and put the change \
         in a new migration"
    )]
    Modified {
        /// The version.
        version: String,
        /// The name.
        name: String,
    },
    /// The database holds a migration that this binary does not know.
    #[error(
        "migration {version} is recorded as applied in the database but is unknown to this \
         build; the database is ahead of this binary (run a newer build)"
    )]
    Unknown {
        /// The version.
        version: String,
    },
    /// The same version appears twice in the given migrations.
    #[error("migration version {version} appears more than once")]
    Duplicate {
        /// The version.
        version: String,
    },
    /// A migration's SQL failed; its transaction was rolled back.
    #[error("migration {version} ({name}) failed and was rolled back: {source}")]
    Failed {
        /// The version.
        version: String,
        /// The name.
        name: String,
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
}

/// The SHA-256 of a text, as lowercase hex.
fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// A row of `ferrobase.schema_migrations`.
struct Applied {
    name: String,
    checksum: String,
    applied_at: String,
}

/// Applies the pending migrations in the order given; returns the versions applied now.
///
/// Nothing is applied when an applied migration was modified or is unknown to the caller.
pub async fn apply(
    pool: &PgPool,
    migrations: &[MigrationSource<'_>],
) -> Result<Vec<String>, MigrateError> {
    locked(pool, migrations, true).await
}

/// Records migrations as applied without running them, for a database that already has
/// what they create (one adopted with `ferrobase spec import`). Under the same lock and
/// checks as [`apply`]; returns the versions recorded.
pub async fn record(
    pool: &PgPool,
    migrations: &[MigrationSource<'_>],
) -> Result<Vec<String>, MigrateError> {
    locked(pool, migrations, false).await
}

/// [`apply`] (`run` true) or [`record`] under the advisory lock.
async fn locked(
    pool: &PgPool,
    migrations: &[MigrationSource<'_>],
    run: bool,
) -> Result<Vec<String>, MigrateError> {
    check_unique(migrations)?;
    let mut conn = pool.acquire().await?;
    // The session-level advisory lock belongs to this connection; if this future is dropped
    // midway, closing the connection (instead of returning it to the pool) releases the lock.
    conn.close_on_drop();
    let waited = Instant::now();
    sqlx::query("select pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    let waited_ms = waited.elapsed().as_millis() as u64;
    if waited_ms > 100 {
        tracing::info!(waited_ms, "acquired the migrations lock");
    }
    let result = apply_locked(&mut conn, migrations, run).await;
    let unlocked = sqlx::query("select pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await;
    let applied = result?;
    unlocked?;
    Ok(applied)
}

/// The part of [`apply`] that runs under the advisory lock.
async fn apply_locked(
    conn: &mut sqlx::PgConnection,
    migrations: &[MigrationSource<'_>],
    run: bool,
) -> Result<Vec<String>, MigrateError> {
    // Checked first so that every later start does not log "already exists" notices.
    if !bookkeeping_exists(conn).await? {
        sqlx::raw_sql(BOOKKEEPING_DDL).execute(&mut *conn).await?;
    }
    let applied = read_applied(conn).await?;
    verify(&applied, migrations)?;

    let mut done = Vec::new();
    for migration in migrations {
        if applied.contains_key(migration.version) {
            continue;
        }
        let started = Instant::now();
        let failed = |source| MigrateError::Failed {
            version: migration.version.to_string(),
            name: migration.name.to_string(),
            source,
        };
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let executed = if run {
            sqlx::raw_sql(migration.sql)
                .execute(&mut *tx)
                .await
                .map(|_| ())
        } else {
            Ok(())
        };
        if let Err(source) = executed {
            // A failed rollback means the connection is broken, which ends the transaction
            // anyway; the migration's error is the one worth reporting.
            let _ = tx.rollback().await;
            return Err(failed(source));
        }
        let recorded = sqlx::query(
            "insert into ferrobase.schema_migrations (version, name, checksum) values ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(migration.checksum())
        .execute(&mut *tx)
        .await;
        if let Err(source) = recorded {
            let _ = tx.rollback().await;
            return Err(failed(source));
        }
        // Errors deferred to commit time (deferred constraints) belong to the migration too.
        tx.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "{}",
            if run {
                "applied migration"
            } else {
                "recorded migration as applied"
            }
        );
        done.push(migration.version.to_string());
    }
    Ok(done)
}

/// Reports every given migration (in the order given) followed by applied migrations unknown
/// to the caller.
pub async fn status(
    pool: &PgPool,
    migrations: &[MigrationSource<'_>],
) -> Result<Vec<MigrationStatus>, MigrateError> {
    check_unique(migrations)?;
    let mut conn = pool.acquire().await?;
    let applied = if bookkeeping_exists(&mut conn).await? {
        read_applied(&mut conn).await?
    } else {
        HashMap::new()
    };

    let mut report: Vec<MigrationStatus> = migrations
        .iter()
        .map(|m| {
            let row = applied.get(m.version);
            MigrationStatus {
                version: m.version.to_string(),
                name: m.name.to_string(),
                applied: row.map(|r| r.applied_at.clone()),
                pending: row.is_none(),
                modified: row.is_some_and(|r| r.checksum != m.checksum()),
                unknown: false,
            }
        })
        .collect();
    let known: HashSet<&str> = migrations.iter().map(|m| m.version).collect();
    let mut extra: Vec<(&String, &Applied)> = applied
        .iter()
        .filter(|(version, _)| !known.contains(version.as_str()))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(b.0));
    report.extend(extra.into_iter().map(|(version, row)| MigrationStatus {
        version: version.clone(),
        name: row.name.clone(),
        applied: Some(row.applied_at.clone()),
        pending: false,
        modified: false,
        unknown: true,
    }));
    Ok(report)
}

/// Whether `ferrobase.schema_migrations` exists.
async fn bookkeeping_exists(conn: &mut sqlx::PgConnection) -> Result<bool, MigrateError> {
    Ok(
        sqlx::query_scalar("select to_regclass('ferrobase.schema_migrations') is not null")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Fails when a version appears twice.
fn check_unique(migrations: &[MigrationSource<'_>]) -> Result<(), MigrateError> {
    let mut seen = HashSet::new();
    for m in migrations {
        if !seen.insert(m.version) {
            return Err(MigrateError::Duplicate {
                version: m.version.to_string(),
            });
        }
    }
    Ok(())
}

/// The recorded migrations, by version.
async fn read_applied(
    conn: &mut sqlx::PgConnection,
) -> Result<HashMap<String, Applied>, MigrateError> {
    let rows = sqlx::query(
        "select version, name, checksum, applied_at::text as applied_at \
         from ferrobase.schema_migrations order by version",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut applied = HashMap::with_capacity(rows.len());
    for row in rows {
        applied.insert(
            row.try_get("version")?,
            Applied {
                name: row.try_get("name")?,
                checksum: row.try_get("checksum")?,
                applied_at: row.try_get("applied_at")?,
            },
        );
    }
    Ok(applied)
}

/// Checks the recorded migrations against the given ones: none edited, none unknown.
fn verify(
    applied: &HashMap<String, Applied>,
    migrations: &[MigrationSource<'_>],
) -> Result<(), MigrateError> {
    let given: HashMap<&str, &MigrationSource<'_>> =
        migrations.iter().map(|m| (m.version, m)).collect();
    // Sorted so that the error reported is the same from run to run.
    let mut versions: Vec<&String> = applied.keys().collect();
    versions.sort();
    for version in versions {
        match given.get(version.as_str()) {
            None => {
                return Err(MigrateError::Unknown {
                    version: version.clone(),
                });
            }
            Some(m) if applied[version].checksum != m.checksum() => {
                return Err(MigrateError::Modified {
                    version: version.clone(),
                    name: m.name.to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sql: &str) -> Applied {
        Applied {
            name: "n".into(),
            checksum: checksum(sql),
            applied_at: "now".into(),
        }
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn verify_detects_modified_and_unknown() {
        let given = [MigrationSource {
            version: "1",
            name: "one",
            sql: "select 1",
        }];
        let mut applied = HashMap::from([("1".to_string(), row("select 1"))]);
        assert!(verify(&applied, &given).is_ok());
        applied.insert("1".into(), row("select 2"));
        assert!(matches!(
            verify(&applied, &given),
            Err(MigrateError::Modified { version, .. }) if version == "1"
        ));
        applied.insert("1".into(), row("select 1"));
        applied.insert("2".into(), row("select 2"));
        assert!(matches!(
            verify(&applied, &given),
            Err(MigrateError::Unknown { version }) if version == "2"
        ));
    }

    #[test]
    fn duplicates_are_rejected() {
        let m = MigrationSource {
            version: "1",
            name: "one",
            sql: "",
        };
        assert!(matches!(
            check_unique(&[m, m]),
            Err(MigrateError::Duplicate { .. })
        ));
    }
}
