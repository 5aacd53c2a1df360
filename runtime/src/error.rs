//! Errors as clients see them, and as we log them.
//!
//! [`ApiError`] keeps apart what the client gets (status, stable code, public message,
//! details, hint) from what goes to tracing (the internal cause). Codes follow PostgREST
//! where we copy its behaviour (PGRST1xx request, PGRST2xx schema, PGRST3xx JWT, and
//! Postgres SQLSTATEs for database errors); the full list is in `docs/errors.md`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered to an HTTP client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: String,
    /// A sentence a person can act on.
    pub message: String,
    /// More detail: a string, or an object naming fields. Boxed to keep `Result`s with
    /// this error small on the happy path.
    pub details: Option<Box<Value>>,
    /// What to try instead.
    pub hint: Option<String>,
}

impl ApiError {
    /// A new error with no details or hint.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    /// Adds details.
    pub fn details(mut self, details: impl Into<Value>) -> ApiError {
        self.details = Some(Box::new(details.into()));
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }

    /// A failure on our side: the client gets a generic message, the cause goes to the log.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "FB500",
            "Internal server error; the cause is in the server log",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "hint": self.hint,
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Errors of runtime operations outside a request (start-up, migrations, configuration).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration is missing or wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The embedded database failed.
    #[error(transparent)]
    Embedded(#[from] crate::embedded::EmbeddedError),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    /// `spec import` could not read the database into spec files.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The database refused a connection or a statement.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Result with the runtime's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
