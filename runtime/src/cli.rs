//! The `ferrobase` command line: `serve`, `keys` and `migrate`.
//!
//! The generated binary's `main` calls [`main`] with its catalog; everything else lives here.

use crate::auth::Jwt;
use crate::config;
use crate::embedded::{EmbeddedOptions, EmbeddedPostgres};
use crate::error::{Error, Result};
use crate::meta::Catalog;
use crate::migrate;
use crate::server::{self, AppState, PrepareOptions};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// A backend generated from its spec: PostgREST-compatible REST over PostgreSQL with RLS.
#[derive(Debug, Parser)]
#[command(name = "ferrobase", version, about, long_about = None)]
pub struct Cli {
    /// Log format.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "FERROBASE_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Options shared by the subcommands that reach the database.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Project-local folder for the embedded database and secrets [default: ./.ferrobase].
    #[arg(long, env = "FERROBASE_HOME")]
    pub data_dir: Option<PathBuf>,
    /// Use this PostgreSQL (15 or newer) instead of the embedded one.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// JWT secret (32 characters or more) instead of the generated one.
    #[arg(long, env = "FERROBASE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (and the embedded PostgreSQL unless DATABASE_URL is set).
    Serve {
        /// Port to listen on.
        #[arg(long, env = "PORT", default_value_t = 54321)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Do not apply pending migrations at start.
        #[arg(long)]
        no_migrate: bool,
        /// Database and secrets.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the anon and service_role API keys, one NAME=VALUE per line.
    Keys {
        /// Database and secrets.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Inspect or apply migrations.
    Migrate {
        /// status: list migrations and whether each is applied; up: apply pending ones;
        /// plan: print the SQL of pending ones.
        #[arg(value_enum, default_value = "status")]
        action: MigrateAction,
        /// Database and secrets.
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `ferrobase migrate` actions.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MigrateAction {
    /// List migrations and their state.
    Status,
    /// Apply pending migrations.
    Up,
    /// Print the SQL pending migrations would run.
    Plan,
}

/// Entry point of the generated binary.
pub fn main(catalog: &'static Catalog) -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(catalog, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The database a command works on; holds the embedded server alive while needed.
struct Database {
    url: String,
    embedded: Option<EmbeddedPostgres>,
}

async fn database(data: &DataArgs, home: &std::path::Path) -> Result<Database> {
    match &data.database_url {
        Some(url) => Ok(Database {
            url: url.clone(),
            embedded: None,
        }),
        None => {
            let pg = EmbeddedPostgres::start(EmbeddedOptions {
                home: home.to_path_buf(),
                port: None,
            })
            .await?;
            Ok(Database {
                url: pg.superuser_url(),
                embedded: Some(pg),
            })
        }
    }
}

fn absolute_home(data: &DataArgs) -> Result<PathBuf> {
    let home = config::home(data.data_dir.clone());
    std::path::absolute(&home).map_err(|source| Error::Io {
        path: home.display().to_string(),
        source,
    })
}

async fn run(catalog: &'static Catalog, command: Command) -> Result<()> {
    match command {
        Command::Keys { data } => {
            let home = absolute_home(&data)?;
            let secrets = config::secrets(&home, data.jwt_secret.as_deref())?;
            let jwt = Jwt::new(secrets.jwt_secret.as_bytes());
            println!("ANON_KEY={}", jwt.api_key("anon"));
            println!("SERVICE_ROLE_KEY={}", jwt.api_key("service_role"));
            Ok(())
        }
        Command::Migrate { action, data } => {
            let home = absolute_home(&data)?;
            let db = database(&data, &home).await?;
            let pool = sqlx::PgPool::connect(&db.url).await?;
            let migrations = server::all_migrations(catalog);
            match action {
                MigrateAction::Up => {
                    let applied = migrate::apply(&pool, &migrations).await?;
                    if applied.is_empty() {
                        println!("nothing to apply");
                    }
                    for v in applied {
                        println!("applied {v}");
                    }
                }
                MigrateAction::Status | MigrateAction::Plan => {
                    let status = migrate::status(&pool, &migrations).await?;
                    for s in &status {
                        let state = if s.unknown {
                            "UNKNOWN (applied, not in this binary)".to_string()
                        } else if s.modified {
                            "MODIFIED since applied".to_string()
                        } else if let Some(at) = &s.applied {
                            format!("applied {at}")
                        } else {
                            "pending".to_string()
                        };
                        if matches!(action, MigrateAction::Status) {
                            println!("{:<16} {:<12} {state}", s.version, s.name);
                        } else if s.pending
                            && let Some(m) = migrations.iter().find(|m| m.version == s.version)
                        {
                            println!("-- {} {}\n{}", m.version, m.name, m.sql);
                        }
                    }
                }
            }
            pool.close().await;
            if let Some(pg) = db.embedded {
                pg.stop().await?;
            }
            Ok(())
        }
        Command::Serve {
            port,
            host,
            no_migrate,
            data,
        } => {
            let home = absolute_home(&data)?;
            let secrets = config::secrets(&home, data.jwt_secret.as_deref())?;
            let db = database(&data, &home).await?;
            let pool = server::prepare(
                catalog,
                &db.url,
                &secrets,
                &PrepareOptions {
                    migrate: !no_migrate,
                    ..PrepareOptions::default()
                },
            )
            .await?;
            let jwt = Jwt::new(secrets.jwt_secret.as_bytes());
            let listener = tokio::net::TcpListener::bind((host.as_str(), port))
                .await
                .map_err(|source| Error::Io {
                    path: format!("{host}:{port}"),
                    source,
                })?;
            let addr = listener.local_addr().map_err(|source| Error::Io {
                path: format!("{host}:{port}"),
                source,
            })?;
            println!("Ferrobase is running.");
            println!("  API URL:          http://{addr}");
            println!("  REST:             http://{addr}/rest/v1/");
            match &db.embedded {
                Some(pg) => println!(
                    "  Database:         embedded PostgreSQL on 127.0.0.1:{} (data in {})",
                    pg.port(),
                    home.display()
                ),
                None => println!("  Database:         DATABASE_URL"),
            }
            println!("  anon key:         {}", jwt.api_key("anon"));
            println!("  service_role key: {}", jwt.api_key("service_role"));
            let state = AppState { catalog, pool, jwt };
            let app = server::app(state).layer(axum::middleware::from_fn(log_request));
            // The peer address keys the sign-in rate limits.
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|source| Error::Io {
                path: format!("{addr}"),
                source,
            })?;
            tracing::info!("shutting down");
            if let Some(pg) = db.embedded {
                pg.stop().await?;
            }
            Ok(())
        }
    }
}

/// A request log line per response, with method, path, status and latency.
async fn log_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::info!(%method, %path, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
