//! Shared test fixtures: one embedded PostgreSQL per test process, a fresh migrated
//! database per test, and the generated server on a real TCP port.

use generated::CATALOG;
use runtime::auth::Jwt;
use runtime::config::Secrets;
use runtime::embedded::{EmbeddedOptions, EmbeddedPostgres};
use runtime::server::{self, AppState, PrepareOptions};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The JWT secret every test server uses.
pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-characters-long";

/// Where the test cluster lives: `FERROBASE_TEST_HOME`, or a folder of this checkout under
/// the system's temporary folder.
fn home() -> PathBuf {
    std::env::var_os("FERROBASE_TEST_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            runtime::embedded::scratch_home(
                "it",
                &std::fs::canonicalize(&checkout).unwrap_or(checkout),
            )
        })
}

/// Superuser URL template of the shared cluster (database name appended per test).
struct Cluster {
    url_for: Box<dyn Fn(&str) -> String + Send + Sync>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// Starts the shared cluster once. It runs on a thread of its own with its own runtime, so
/// it outlives every test's runtime; a cluster left over by an earlier, killed run is
/// stopped first.
fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let home = home();
        stop_leftover(&home);
        // A fresh cluster per test process: every test makes a database and none is kept,
        // and initdb is cheaper than recovering or vacuuming an old cluster.
        let _ = std::fs::remove_dir_all(home.join("data"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let pg = EmbeddedPostgres::start(EmbeddedOptions { home, port: None })
                    .await
                    .expect("embedded PostgreSQL starts");
                let base = pg.superuser_url();
                // Make the roles once, before tests race to create them per database.
                let pool = PgPool::connect(&base).await.expect("connect");
                let platform: Vec<_> = runtime::platform::MIGRATIONS
                    .iter()
                    .map(|m| runtime::migrate::MigrationSource {
                        version: m.version,
                        name: m.name,
                        sql: m.sql,
                    })
                    .collect();
                runtime::migrate::apply(&pool, &platform)
                    .await
                    .expect("platform roles");
                pool.close().await;
                let pg = std::sync::Arc::new(pg);
                let for_url = pg.clone();
                tx.send(Cluster {
                    url_for: Box::new(move |db| for_url.url_for(db)),
                })
                .ok();
                // Keep the server (and this runtime) alive for the rest of the process.
                std::future::pending::<()>().await;
            });
        });
        rx.recv().expect("cluster started")
    })
}

fn stop_leftover(home: &std::path::Path) {
    let pid_file = home.join("data").join("postmaster.pid");
    let Ok(text) = std::fs::read_to_string(&pid_file) else {
        return;
    };
    let Some(pid) = text.lines().next().map(str::trim) else {
        return;
    };
    let _ = std::process::Command::new("kill")
        .args(["-INT", pid])
        .status();
    for _ in 0..100 {
        if !pid_file.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Still there after five seconds (recovering, say): its data is about to be removed.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", pid])
        .status();
    std::thread::sleep(std::time::Duration::from_millis(200));
}

/// A new, empty database on the shared cluster (where the roles exist already): its URL
/// and a superuser pool on it.
pub async fn fresh_database() -> (String, PgPool) {
    let cluster = cluster();
    let name = format!("it_{}", uuid::Uuid::new_v4().simple());
    let root = PgPool::connect(&(cluster.url_for)("postgres"))
        .await
        .expect("connect");
    sqlx::raw_sql(&format!("create database \"{name}\""))
        .execute(&root)
        .await
        .expect("create database");
    root.close().await;
    let url = (cluster.url_for)(&name);
    let pool = PgPool::connect(&url).await.expect("connect");
    (url, pool)
}

/// Serializes `prepare`: it alters the cluster-wide `authenticator` role.
static PREPARE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running server over a fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Superuser pool on the test database, for fixtures and checks.
    pub admin: PgPool,
    /// Minting tokens.
    pub jwt: Jwt,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The request pool (as authenticator).
    pub pool: PgPool,
}

impl TestApp {
    /// Creates a database, migrates it, and serves the generated app on a free port.
    pub async fn start() -> TestApp {
        let (db_url, admin) = fresh_database().await;
        let secrets = Secrets {
            jwt_secret: JWT_SECRET.into(),
            authenticator_password: "authenticator-password-for-tests".into(),
        };
        let pool = {
            let _guard = PREPARE.lock().await;
            server::prepare(
                &CATALOG,
                &db_url,
                &secrets,
                &PrepareOptions {
                    migrate: true,
                    max_connections: 4,
                },
            )
            .await
            .expect("prepare")
        };
        let jwt = Jwt::new(JWT_SECRET.as_bytes());
        let state = AppState {
            catalog: &CATALOG,
            pool: pool.clone(),
            jwt: jwt.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(
                listener,
                server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        TestApp {
            base: format!("http://{addr}"),
            admin,
            jwt,
            http: reqwest::Client::new(),
            pool,
        }
    }

    /// The anon key.
    pub fn anon_key(&self) -> String {
        self.jwt.api_key("anon")
    }

    /// The service_role key.
    pub fn service_key(&self) -> String {
        self.jwt.api_key("service_role")
    }

    /// Creates a user row and returns its id and access token.
    pub async fn user(&self, email: &str) -> User {
        let id: uuid::Uuid =
            sqlx::query_scalar("insert into auth.users (email) values ($1) returning id")
                .bind(email)
                .fetch_one(&self.admin)
                .await
                .expect("insert user");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = self.jwt.sign(&json!({
            "sub": id.to_string(),
            "role": "authenticated",
            "aud": "authenticated",
            "email": email,
            "iat": now,
            "exp": now + 3600,
        }));
        User {
            id: id.to_string(),
            token,
        }
    }

    /// A request to `/rest/v1/{path}` with the anon apikey and an optional bearer token.
    pub fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(method, format!("{}/rest/v1/{path}", self.base))
            .header("apikey", self.anon_key());
        if let Some(t) = token {
            rb = rb.header("authorization", format!("Bearer {t}"));
        }
        rb
    }
}

/// A signed-in test user.
pub struct User {
    /// auth.users id.
    pub id: String,
    /// Access token.
    pub token: String,
}

/// Status and parsed JSON body (Null when empty).
pub async fn send(rb: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = rb.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, body)
}
