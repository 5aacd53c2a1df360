//! `/auth/v1`: email and password accounts in the dialect of Supabase Auth (GoTrue), so
//! that supabase-js and supabase-py sign users up and in unchanged.
//!
//! It sits beside the REST pipeline, not in it: the access tokens it mints are what the
//! `auth` stage later verifies on `/rest/v1`, where `auth.uid()` reads their `sub`.
//!
//! - `handlers`: sign-up, the password and refresh-token grants, the current user,
//!   sign-out and the public settings.
//! - `admin`: user management with the service_role key.
//! - `session`: sessions, rotating refresh tokens, access token claims, who is calling.
//! - `user`: `auth.users` rows and GoTrue's user object.
//! - `password`: Argon2id off the async runtime.
//! - `rate_limit`: failed sign-ins per client address and per email.
//! - `error`: GoTrue's error body.
//!
//! Users, sessions and refresh tokens are tables of the `auth` schema (`spec/auth.yaml`),
//! which is not exposed on `/rest/v1`; these endpoints reach them as `service_role`, with
//! every value bound as a parameter.

mod admin;
pub mod error;
mod handlers;
mod password;
mod rate_limit;
mod session;
pub mod settings;
mod user;

pub use error::{AuthError, AuthResult};
pub use settings::AuthSettings;

use crate::server::AppState;
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::sync::Arc;

/// The audience (`aud`) of user access tokens.
pub const AUDIENCE: &str = "authenticated";

/// What the handlers share besides [`AppState`]: the settings and the rate limiter, one per
/// router (so one per server process).
#[derive(Debug)]
pub(crate) struct Service {
    settings: AuthSettings,
    limiter: rate_limit::Limiter,
}

/// The `/auth/v1` routes, with settings from the environment.
pub fn router() -> Router<AppState> {
    router_with(AuthSettings::from_env())
}

/// The `/auth/v1` routes with the given settings.
pub fn router_with(settings: AuthSettings) -> Router<AppState> {
    password::warm_up();
    let service = Arc::new(Service {
        limiter: rate_limit::Limiter::new(settings.window),
        settings,
    });
    Router::new()
        .route("/auth/v1/signup", post(handlers::signup))
        .route("/auth/v1/token", post(handlers::token))
        .route(
            "/auth/v1/user",
            get(handlers::get_user).put(handlers::update_user),
        )
        .route("/auth/v1/logout", post(handlers::logout))
        .route("/auth/v1/settings", get(handlers::settings))
        .route("/auth/v1/health", get(handlers::health))
        .route("/auth/v1/admin/users", get(admin::list).post(admin::create))
        .route(
            "/auth/v1/admin/users/{id}",
            get(admin::get).put(admin::update).delete(admin::delete),
        )
        .layer(Extension(service))
}
