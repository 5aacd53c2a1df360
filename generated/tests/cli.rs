//! The `ferrobase` binary as a user runs it: `--help`, `keys`, and `serve` with the
//! embedded PostgreSQL, across a restart.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferrobase"))
}

fn home() -> PathBuf {
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    runtime::embedded::scratch_home("cli", &std::fs::canonicalize(&checkout).unwrap_or(checkout))
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["keys", "--help"],
        &["migrate", "--help"],
        &["spec", "import", "--help"],
    ] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: ferrobase"), "{args:?}: {text}");
    }
    let out = bin().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--port",
        "--data-dir",
        "DATABASE_URL",
        "FERROBASE_JWT_SECRET",
    ] {
        assert!(text.contains(flag), "serve --help mentions {flag}: {text}");
    }
}

#[test]
fn keys_are_printed_as_name_value_lines_and_stay_stable() {
    let dir = home().join("keys");
    let _ = std::fs::remove_dir_all(&dir);
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = bin();
        cmd.args(["keys", "--data-dir"])
            .arg(&dir)
            .env_remove("FERROBASE_JWT_SECRET");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run(&[]);
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 2, "{first}");
    assert!(lines[0].starts_with("ANON_KEY=ey"));
    assert!(lines[1].starts_with("SERVICE_ROLE_KEY=ey"));
    assert_eq!(
        run(&[]),
        first,
        "the generated secret is kept in the data folder"
    );
    let other = run(&[(
        "FERROBASE_JWT_SECRET",
        "an-explicit-secret-of-at-least-32-chars",
    )]);
    assert_ne!(
        other, first,
        "FERROBASE_JWT_SECRET overrides the generated secret"
    );
    let out = bin()
        .args(["keys", "--data-dir"])
        .arg(&dir)
        .env("FERROBASE_JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 characters"));
}

struct Server {
    child: Child,
    url: String,
    anon: String,
}

fn serve(dir: &std::path::Path, port: u16) -> Server {
    serve_with(dir, port, None)
}

fn serve_with(dir: &std::path::Path, port: u16, database_url: Option<&str>) -> Server {
    serve_env(dir, port, database_url, &[])
}

fn serve_env(
    dir: &std::path::Path,
    port: u16,
    database_url: Option<&str>,
    env: &[(&str, &str)],
) -> Server {
    let mut cmd = bin();
    cmd.envs(env.iter().copied());
    cmd.args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env_remove("FERROBASE_JWT_SECRET");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut url, mut anon) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    while url.is_none() || anon.is_none() {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve prints its URL and keys");
        if let Some(v) = line.trim().strip_prefix("API URL:") {
            url = Some(v.trim().to_string());
        }
        if let Some(v) = line.trim().strip_prefix("anon key:") {
            anon = Some(v.trim().to_string());
        }
    }
    Server {
        child,
        url: url.unwrap(),
        anon: anon.unwrap(),
    }
}

fn stop(mut s: Server) {
    let _ = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status();
    let status = s.child.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_embedded_postgres_keeps_data_across_restarts() {
    let dir = home().join("serve");
    let _ = std::fs::remove_dir_all(dir.join("data"));
    let http = reqwest::Client::new();
    let server = serve(&dir, free_port());
    let resp = http
        .get(format!("{}/rest/v1/tools?select=name", server.url))
        .header("apikey", &server.anon)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "[]");
    let keys = bin()
        .args(["keys", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let service = String::from_utf8(keys.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()["SERVICE_ROLE_KEY=".len()..]
        .to_string();
    let created = http
        .post(format!("{}/rest/v1/tools", server.url))
        .header("apikey", &service)
        .json(&serde_json::json!({"name": "persisted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let anon_before = server.anon.clone();
    stop(server);

    // Same folder, new process: same keys, same data, no migration applied twice.
    let server = serve(&dir, free_port());
    assert_eq!(server.anon, anon_before);
    let names = http
        .get(format!("{}/rest/v1/tools?select=name", server.url))
        .header("apikey", &service)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(names, r#"[{"name":"persisted"}]"#);
    stop(server);
    let status = bin()
        .args(["migrate", "status", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("platform-0001") && text.contains("0001") && !text.contains("pending"),
        "{text}"
    );
}

/// A PostgreSQL of our own standing in for an external one, with an empty database.
async fn external_database(
    folder: &str,
    database: &str,
) -> (runtime::embedded::EmbeddedPostgres, String) {
    let pg = runtime::embedded::EmbeddedPostgres::start(runtime::embedded::EmbeddedOptions {
        home: home().join(folder),
        port: None,
    })
    .await
    .expect("a PostgreSQL to point at");
    let admin = sqlx::PgPool::connect(&pg.superuser_url()).await.unwrap();
    for sql in [
        format!("drop database if exists {database}"),
        format!("create database {database}"),
    ] {
        sqlx::raw_sql(&sql).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let url = pg.url_for(database);
    (pg, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_uses_database_url_when_given() {
    let (pg, url) = external_database("external", "external_app").await;
    let dir = home().join("external-serve");
    let server = serve_with(&dir, free_port(), Some(&url));
    let resp = reqwest::Client::new()
        .get(format!("{}/rest/v1/agents", server.url))
        .header("apikey", &server.anon)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    stop(server);
    // The migrations went into that database, and no embedded cluster was made.
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from ferrobase.schema_migrations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(applied >= 2, "{applied}");
    db.close().await;
    assert!(!dir.join("data").exists());
    pg.stop().await.unwrap();
}

#[test]
fn migrate_status_plan_and_up() {
    let dir = home().join("migrate");
    let _ = std::fs::remove_dir_all(dir.join("data"));
    let run = |action: &str| {
        let out = bin()
            .args(["migrate", action, "--data-dir"])
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "migrate {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let status = run("status");
    assert!(status.lines().all(|l| l.ends_with("pending")), "{status}");
    assert!(
        status.contains("platform-0001") && status.contains("0001") && status.contains("0002"),
        "{status}"
    );
    let plan = run("plan");
    assert!(
        plan.contains("create table \"public\".\"agents\""),
        "{plan}"
    );
    assert!(
        plan.contains("create table \"auth\".\"sessions\""),
        "{plan}"
    );
    let up = run("up");
    assert!(up.contains("applied 0001"), "{up}");
    assert!(run("status").lines().all(|l| l.contains("applied")));
    assert_eq!(run("plan").trim(), "");
    assert_eq!(run("up").trim(), "nothing to apply");
    // Logs are one JSON object per line on request.
    let out = bin()
        .args(["--log-format", "json", "migrate", "status", "--data-dir"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !logs.trim().is_empty(), "{logs}");
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry.get("level").is_some() && entry.get("fields").is_some(),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn baseline_adopts_a_database_that_already_has_the_first_migration() {
    let (pg, url) = external_database("adopt", "adopted").await;
    // The database already holds what 0001 creates, made without Ferrobase's bookkeeping.
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let platform = runtime::platform::MIGRATIONS
        .iter()
        .map(|m| m.sql)
        .collect::<Vec<_>>()
        .join("\n");
    sqlx::raw_sql(&platform).execute(&db).await.unwrap();
    let init = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts/migrations/0001_init.sql"),
    )
    .unwrap();
    sqlx::raw_sql(&init).execute(&db).await.unwrap();
    let run = |args: &[&str]| {
        let out = bin().args(args).env("DATABASE_URL", &url).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let baseline = run(&["migrate", "baseline", "--up-to", "0001"]);
    assert!(baseline.contains("recorded 0001 as applied"), "{baseline}");
    let up = run(&["migrate", "up"]);
    assert!(
        up.contains("applied 0002") && !up.contains("applied 0001"),
        "{up}"
    );
    assert!(
        run(&["migrate", "status"])
            .lines()
            .all(|l| l.contains("applied"))
    );
    let bad = bin()
        .args(["migrate", "baseline", "--up-to", "9999"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    db.close().await;
    pg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn email_confirmation_when_configured() {
    let dir = home().join("confirm");
    let _ = std::fs::remove_dir_all(dir.join("data"));
    let server = serve_env(
        &dir,
        free_port(),
        None,
        &[("FERROBASE_AUTH_CONFIRM_EMAIL", "true")],
    );
    let http = reqwest::Client::new();
    let auth = |path: &str| {
        http.post(format!("{}/auth/v1/{path}", server.url))
            .header("apikey", &server.anon)
    };
    let creds = serde_json::json!({"email": "new@example.com", "password": "new-password"});
    // Sign-up answers the user, without a session, until the email is confirmed.
    let user: serde_json::Value = auth("signup")
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "new@example.com");
    assert!(
        user.get("access_token").is_none() && user["email_confirmed_at"].is_null(),
        "{user}"
    );
    let refused = auth("token?grant_type=password")
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], "email_not_confirmed");
    // An admin confirms it; then signing in works.
    let keys = bin()
        .args(["keys", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let service = String::from_utf8(keys.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()["SERVICE_ROLE_KEY=".len()..]
        .to_string();
    let confirmed = http
        .put(format!(
            "{}/auth/v1/admin/users/{}",
            server.url,
            user["id"].as_str().unwrap()
        ))
        .header("apikey", &service)
        .header("authorization", format!("Bearer {service}"))
        .json(&serde_json::json!({"email_confirm": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let session: serde_json::Value = auth("token?grant_type=password")
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(session["access_token"].is_string(), "{session}");
    stop(server);
}
