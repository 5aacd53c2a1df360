//! Configuration: where the data lives, which database to use, the JWT secret.
//!
//! Everything has a default that works offline: the project-local folder `.ferrobase`
//! holds the embedded database, its install and the generated secrets. `DATABASE_URL`
//! and `FERROBASE_JWT_SECRET` override the embedded database and the generated secret.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The default project-local folder.
pub const DEFAULT_HOME: &str = ".ferrobase";

/// Secrets kept in `<home>/secrets`.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// HS256 secret for every JWT.
    pub jwt_secret: String,
    /// Password of the `authenticator` login role.
    pub authenticator_password: String,
}

/// Reads a secret from `<home>/secrets/<name>`, creating it with random content first.
pub fn secret(home: &Path, name: &str) -> Result<String> {
    let dir = home.join("secrets");
    let path = dir.join(name);
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if !s.is_empty() {
            return Ok(s);
        }
    }
    std::fs::create_dir_all(&dir).map_err(io)?;
    set_mode(&dir, 0o700).map_err(io)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Config(format!("no randomness: {e}")))?;
    let value = hex::encode(bytes);
    // Write then rename, so a reader never sees half a secret.
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, &value).map_err(io)?;
    set_mode(&tmp, 0o600).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(value)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Loads the secrets, honouring `FERROBASE_JWT_SECRET`.
pub fn secrets(home: &Path, jwt_override: Option<&str>) -> Result<Secrets> {
    let jwt_secret = match jwt_override {
        Some(s) if s.len() >= 32 => s.to_string(),
        Some(_) => {
            return Err(Error::Config(
                "FERROBASE_JWT_SECRET must be at least 32 characters long".into(),
            ));
        }
        None => secret(home, "jwt-secret")?,
    };
    Ok(Secrets {
        jwt_secret,
        authenticator_password: secret(home, "authenticator-password")?,
    })
}

/// The home folder: `--data-dir`, else `FERROBASE_HOME`, else `./.ferrobase`.
pub fn home(data_dir: Option<PathBuf>) -> PathBuf {
    data_dir
        .or_else(|| std::env::var_os("FERROBASE_HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_HOME))
}
