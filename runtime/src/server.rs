//! The HTTP server: shared state, the router, and bringing a database to the point where
//! requests can run (migrations applied, the login role ready).

use crate::auth::Jwt;
use crate::config::Secrets;
use crate::error::{Error, Result};
use crate::meta::Catalog;
use crate::migrate::{self, MigrationSource};
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// State shared by every request.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Generated metadata.
    pub catalog: &'static Catalog,
    /// Connections as `authenticator`.
    pub pool: PgPool,
    /// Token verification.
    pub jwt: Jwt,
}

/// The router for every surface.
pub fn app(state: AppState) -> Router {
    routes(state)
        .layer(cors())
        .layer(axum::middleware::from_fn(allow_header))
}

/// OPTIONS is answered by the CORS layer; it also says which methods the API takes.
async fn allow_header(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let options = req.method() == axum::http::Method::OPTIONS;
    let mut resp = next.run(req).await;
    if options && !resp.headers().contains_key(axum::http::header::ALLOW) {
        resp.headers_mut().insert(
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static("OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"),
        );
    }
    resp
}

/// Browsers call the API from other origins (a Supabase client in a web app), so every
/// response allows any origin; authorization comes from the headers, never from cookies.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allow: Vec<HeaderName> = [
        "apikey",
        "authorization",
        "content-type",
        "accept",
        "accept-profile",
        "content-profile",
        "prefer",
        "range",
        "range-unit",
        "x-client-info",
        "x-supabase-api-version",
    ]
    .into_iter()
    .map(HeaderName::from_static)
    .collect();
    let expose: Vec<HeaderName> = [
        "content-range",
        "location",
        "preference-applied",
        "server-timing",
        "link",
        "x-total-count",
        "x-supabase-api-version",
        "x-sb-error-code",
        "retry-after",
    ]
    .into_iter()
    .map(HeaderName::from_static)
    .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(allow)
        .expose_headers(expose)
        .max_age(std::time::Duration::from_secs(86400))
}

fn routes(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::router(state.catalog))
        .merge(crate::authn::router())
        .route("/rest/v1", get(crate::rest::root))
        .route("/rest/v1/", get(crate::rest::root))
        .route("/rest/v1/{table}", any(crate::rest::table))
        .route("/rest/v1/rpc/{function}", any(crate::rest::rpc))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/api/openapi.json",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    match state.catalog.api_openapi {
                        Some(doc) => (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                "application/openapi+json; charset=utf-8",
                            )],
                            doc,
                        )
                            .into_response(),
                        None => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(state)
}

/// Platform migrations followed by the spec's, in the order they must run.
pub fn all_migrations(catalog: &Catalog) -> Vec<MigrationSource<'static>> {
    crate::platform::MIGRATIONS
        .iter()
        .chain(catalog.migrations.iter())
        .map(|m| MigrationSource {
            version: m.version,
            name: m.name,
            sql: m.sql,
        })
        .collect()
}

/// Options for [`prepare`].
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// Apply pending migrations (otherwise only check none is pending).
    pub migrate: bool,
    /// Size of the request pool.
    pub max_connections: u32,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            migrate: true,
            max_connections: 10,
        }
    }
}

/// Applies migrations with the admin connection, sets the `authenticator` password, and
/// returns the request pool, which connects as `authenticator`.
pub async fn prepare(
    catalog: &'static Catalog,
    admin_url: &str,
    secrets: &Secrets,
    opts: &PrepareOptions,
) -> Result<PgPool> {
    let admin_opts = PgConnectOptions::from_str(admin_url)
        .map_err(|e| Error::Config(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}")))?
        .log_statements(tracing::log::LevelFilter::Trace);
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(admin_opts.clone())
        .await?;
    let migrations = all_migrations(catalog);
    if opts.migrate {
        migrate::apply(&admin, &migrations).await?;
    } else {
        let pending: Vec<String> = migrate::status(&admin, &migrations)
            .await?
            .into_iter()
            .filter(|s| s.pending)
            .map(|s| s.version)
            .collect();
        if !pending.is_empty() {
            tracing::warn!(
                ?pending,
                "migrations are pending and --no-migrate was given"
            );
        }
    }
    // ALTER ROLE takes no bind parameters; format() quotes the password as a literal.
    let stmt: String = sqlx::query_scalar(
        "select format('alter role authenticator with login password %L', $1::text)",
    )
    .bind(&secrets.authenticator_password)
    .fetch_one(&admin)
    .await?;
    sqlx::raw_sql(&stmt).execute(&admin).await?;
    admin.close().await;
    let request_opts = admin_opts
        .username("authenticator")
        .password(&secrets.authenticator_password)
        .application_name("ferrobase");
    let pool = PgPoolOptions::new()
        .max_connections(opts.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(request_opts)
        .await?;
    Ok(pool)
}
