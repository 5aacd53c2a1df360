//! Errors of `/auth/v1`, in the body shape Supabase Auth (GoTrue) answers with.
//!
//! The body is `{"code": <HTTP status>, "error_code": "<code>", "msg": "<sentence>"}`, the
//! shape both supabase-js and supabase-py read their `error.code` from whatever API
//! version they ask for (GoTrue's newer shape puts the string in `code`, which a browser
//! only honours when it may read the `X-Supabase-Api-Version` response header; this one
//! needs no header). The codes are listed in `docs/errors.md`.

use crate::error::ApiError;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// What the handlers of `/auth/v1` return.
pub type AuthResult<T> = Result<T, AuthError>;

/// An error answered by `/auth/v1`.
#[derive(Debug)]
pub struct AuthError {
    status: StatusCode,
    code: &'static str,
    msg: String,
    retry_after: Option<Duration>,
}

impl AuthError {
    /// An error with GoTrue's `error_code`.
    pub fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError {
            status,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// The machine-readable code, as in `error_code`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn bad_request(code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError::new(StatusCode::BAD_REQUEST, code, msg)
    }

    pub(crate) fn validation(msg: impl Into<String>) -> AuthError {
        AuthError::bad_request("validation_failed", msg)
    }

    pub(crate) fn unauthorized(code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError::new(StatusCode::UNAUTHORIZED, code, msg)
    }

    pub(crate) fn forbidden(code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError::new(StatusCode::FORBIDDEN, code, msg)
    }

    pub(crate) fn unprocessable(code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
    }

    /// The one answer to an unknown email and to a wrong password.
    pub(crate) fn invalid_credentials() -> AuthError {
        AuthError::bad_request("invalid_credentials", "Invalid login credentials")
    }

    pub(crate) fn email_exists() -> AuthError {
        AuthError::unprocessable(
            "email_exists",
            "A user with this email address has already been registered",
        )
    }

    pub(crate) fn user_not_found() -> AuthError {
        AuthError::new(StatusCode::NOT_FOUND, "user_not_found", "User not found")
    }

    pub(crate) fn rate_limited(retry_after: Duration) -> AuthError {
        AuthError {
            retry_after: Some(retry_after),
            ..AuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "over_request_rate_limit",
                "Request rate limit reached",
            )
        }
    }

    /// A failure on our side: the client gets a generic sentence, the cause goes to the log.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> AuthError {
        tracing::error!(error = %cause, "auth: internal error");
        AuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            "Internal server error; the cause is in the server log",
        )
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.msg)
    }
}

impl std::error::Error for AuthError {}

/// Whether a statement broke a unique constraint (of `auth.users`, a taken email).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

/// Unique violations of `auth.users` are taken emails; everything else is ours.
impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> AuthError {
        if is_unique_violation(&e) {
            return AuthError::email_exists();
        }
        AuthError::internal(e)
    }
}

/// The `auth` stage's refusals (missing key, bad or expired token) keep their 401.
impl From<ApiError> for AuthError {
    fn from(e: ApiError) -> AuthError {
        let code = if e.code == "PGRST302" {
            "no_authorization"
        } else {
            "bad_jwt"
        };
        AuthError::new(e.status, code, e.message)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "code": self.status.as_u16(),
            "error_code": self.code,
            "msg": self.msg,
        });
        // GoTrue names the failed rule; the clients build their weak-password error from it.
        if self.code == "weak_password" {
            body["weak_password"] = json!({"reasons": ["length"]});
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            HeaderName::from_static("x-sb-error-code"),
            HeaderValue::from_static(self.code),
        );
        if let Some(wait) = self.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        resp
    }
}
