//! The `ferrobase` command line: `serve`, `keys`, `migrate` and `spec import`.
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
        /// With `baseline`: the last spec migration the database already matches.
        #[arg(long, default_value = "0001")]
        up_to: String,
        /// Database and secrets.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Work with spec files: `spec import` writes them from an existing database.
    Spec {
        /// What to do.
        #[command(subcommand)]
        action: SpecAction,
    },
}

/// `ferrobase spec` actions.
#[derive(Debug, Subcommand)]
pub enum SpecAction {
    /// Write one spec file per schema of an existing database (tables, columns, keys, checks,
    /// indexes, RLS policies, grants, functions and comments).
    #[command(
        long_about = "Write one spec file per schema of an existing database (tables, columns, \
                      keys, checks, indexes, RLS policies, grants, functions and comments), so \
                      that the database can adopt the spec.\n\n\
                      A column the spec format cannot describe (another type, an identity or \
                      generated column) stops the import with a list of every such column. \
                      Other objects the format has no place for (views, triggers, partial \
                      indexes, ...) stay in the database as they are and are listed at the top \
                      of the file.\n\n\
                      See docs/spec.md, \"Adopting an existing database\"."
    )]
    Import(ImportArgs),
}

/// Arguments of `ferrobase spec import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The database to read, as a postgres:// URL [default: the project's embedded database].
    #[arg(
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "DATABASE_URL"
    )]
    pub database_url: Option<String>,
    /// A schema to import; repeat it for several [default: every schema with tables or
    /// functions except the platform's: ferrobase, auth, and Supabase's storage, realtime, ...].
    #[arg(long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
    /// The folder to write `<schema>.yaml` into.
    #[arg(long, value_name = "DIR", default_value = "spec-imported")]
    pub out: PathBuf,
    /// Overwrite spec files that exist already.
    #[arg(long)]
    pub force: bool,
    /// Project-local folder of the embedded database, read when no DATABASE_URL is given
    /// [default: ./.ferrobase].
    #[arg(long, env = "FERROBASE_HOME")]
    pub data_dir: Option<PathBuf>,
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
    /// For a database adopted with `spec import`: apply the platform migrations, then record
    /// the spec's migrations up to `--up-to` as applied without running them.
    Baseline,
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
        Command::Spec {
            action: SpecAction::Import(args),
        } => import_spec(args).await,
        Command::Keys { data } => {
            let home = absolute_home(&data)?;
            let secrets = config::secrets(&home, data.jwt_secret.as_deref())?;
            let jwt = Jwt::new(secrets.jwt_secret.as_bytes());
            println!("ANON_KEY={}", jwt.api_key("anon"));
            println!("SERVICE_ROLE_KEY={}", jwt.api_key("service_role"));
            Ok(())
        }
        Command::Migrate {
            action,
            up_to,
            data,
        } => {
            let home = absolute_home(&data)?;
            let db = database(&data, &home).await?;
            let pool = sqlx::PgPool::connect(&db.url).await?;
            let migrations = server::all_migrations(catalog);
            match action {
                MigrateAction::Baseline => {
                    let platform: Vec<_> = migrations
                        .iter()
                        .filter(|m| m.version.starts_with("platform-"))
                        .copied()
                        .collect();
                    // The platform's (applied just before) and the spec's up to `up_to`;
                    // only the latter are recorded, the former are checked.
                    let spec: Vec<_> = migrations
                        .iter()
                        .filter(|m| {
                            m.version.starts_with("platform-") || m.version <= up_to.as_str()
                        })
                        .copied()
                        .collect();
                    if !migrations.iter().any(|m| m.version == up_to) {
                        return Err(Error::Config(format!("no migration has version {up_to}")));
                    }
                    for v in migrate::apply(&pool, &platform).await? {
                        println!("applied {v}");
                    }
                    for v in migrate::record(&pool, &spec).await? {
                        println!("recorded {v} as applied");
                    }
                }
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

/// `ferrobase spec import`: reads the database, then writes every file or none.
async fn import_spec(args: ImportArgs) -> Result<()> {
    let data = DataArgs {
        data_dir: args.data_dir,
        database_url: args.database_url,
        jwt_secret: None,
    };
    let home = absolute_home(&data)?;
    let db = database(&data, &home).await?;
    let imported = match sqlx::PgPool::connect(&db.url).await {
        Ok(pool) => {
            let imported = crate::import::import(&pool, &args.schemas).await;
            pool.close().await;
            imported.map_err(Error::from)
        }
        Err(e) => Err(Error::from(e)),
    };
    if let Some(pg) = db.embedded {
        pg.stop().await?;
    }
    let files = imported?;
    let paths: Vec<PathBuf> = files.iter().map(|f| args.out.join(&f.file_name)).collect();
    if !args.force
        && let Some(existing) = paths.iter().find(|p| p.exists())
    {
        return Err(Error::Io {
            path: existing.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the file exists already; pass --force to overwrite it",
            ),
        });
    }
    std::fs::create_dir_all(&args.out).map_err(|source| Error::Io {
        path: args.out.display().to_string(),
        source,
    })?;
    for (file, path) in files.iter().zip(&paths) {
        std::fs::write(path, &file.yaml).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        println!("wrote {}", path.display());
        for note in &file.notes {
            eprintln!("  not in the spec: {note}");
        }
    }
    println!(
        "Review the files, put them in spec/ and build; docs/spec.md (\"Adopting an existing \
         database\") tells the rest."
    );
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn spec_import_takes_a_url_schemas_a_folder_and_force() {
        let cli = Cli::try_parse_from([
            "ferrobase",
            "spec",
            "import",
            "postgres://u@h/db",
            "--schema",
            "public",
            "--schema",
            "billing",
            "--out",
            "spec",
            "--force",
        ])
        .expect("parses");
        let Command::Spec {
            action: SpecAction::Import(args),
        } = cli.command
        else {
            panic!("not spec import: {:?}", cli.command);
        };
        assert_eq!(args.database_url.as_deref(), Some("postgres://u@h/db"));
        assert_eq!(args.schemas, ["public", "billing"]);
        assert_eq!(args.out, PathBuf::from("spec"));
        assert!(args.force);

        let cli = Cli::try_parse_from(["ferrobase", "spec", "import", "postgres://u@h/db"])
            .expect("parses");
        let Command::Spec {
            action: SpecAction::Import(args),
        } = cli.command
        else {
            panic!("not spec import");
        };
        assert!(args.schemas.is_empty());
        assert_eq!(args.out, PathBuf::from("spec-imported"));
        assert!(!args.force);
    }
}
