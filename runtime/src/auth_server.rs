//! `/auth/v1`: email and password accounts that supabase-js and supabase-py speak to.
//!
//! Sign-up, password and refresh-token grants, the current user, sign-out and the admin
//! user endpoints, with GoTrue's paths, JSON shapes and error codes. Users, sessions and
//! refresh tokens live in the `auth` schema; every statement runs as `service_role` in one
//! transaction. Passwords are hashed with Argon2id. Refresh tokens are random, stored as
//! SHA-256 hashes, used once and rotated; presenting a revoked one revokes its session.
//! Failed sign-ins are rate limited per client address and per email. Unknown emails and
//! wrong passwords get the same answer after the same work.

use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::server::AppState;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Row};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The audience of user access tokens.
pub const AUDIENCE: &str = "authenticated";

/// Settings of the auth endpoints, from the environment.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Access token lifetime in seconds (`FERROBASE_AUTH_JWT_EXPIRY`, default 3600).
    pub jwt_expiry: i64,
    /// Shortest accepted password (`FERROBASE_AUTH_MIN_PASSWORD_LENGTH`, default 6).
    pub min_password_length: usize,
    /// Whether a new account must confirm its email before signing in
    /// (`FERROBASE_AUTH_CONFIRM_EMAIL`, default false: sign-up returns a session).
    pub confirm_email: bool,
    /// Failed sign-ins allowed per client address in a window (`FERROBASE_AUTH_RATE_LIMIT_IP`, default 30).
    pub failures_per_ip: u32,
    /// Failed sign-ins allowed per email in a window (`FERROBASE_AUTH_RATE_LIMIT_EMAIL`, default 10).
    pub failures_per_email: u32,
    /// The window, in seconds (`FERROBASE_AUTH_RATE_LIMIT_WINDOW`, default 300).
    pub window_secs: u64,
}

impl AuthSettings {
    /// Reads the settings, with defaults for anything unset or unreadable.
    pub fn from_env() -> AuthSettings {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        }
        AuthSettings {
            jwt_expiry: var("FERROBASE_AUTH_JWT_EXPIRY", 3600),
            min_password_length: var("FERROBASE_AUTH_MIN_PASSWORD_LENGTH", 6),
            confirm_email: var("FERROBASE_AUTH_CONFIRM_EMAIL", false),
            failures_per_ip: var("FERROBASE_AUTH_RATE_LIMIT_IP", 30),
            failures_per_email: var("FERROBASE_AUTH_RATE_LIMIT_EMAIL", 10),
            window_secs: var("FERROBASE_AUTH_RATE_LIMIT_WINDOW", 300),
        }
    }
}

fn settings() -> &'static AuthSettings {
    static SETTINGS: OnceLock<AuthSettings> = OnceLock::new();
    SETTINGS.get_or_init(AuthSettings::from_env)
}

/// The `/auth/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/v1/signup", post(signup))
        .route("/auth/v1/token", post(token))
        .route("/auth/v1/user", get(get_user).put(update_user))
        .route("/auth/v1/logout", post(logout))
        .route("/auth/v1/settings", get(auth_settings))
        .route(
            "/auth/v1/health",
            get(|| async { axum::Json(json!({"name": "ferrobase-auth"})) }),
        )
        .route("/auth/v1/admin/users", get(admin_list).post(admin_create))
        .route(
            "/auth/v1/admin/users/{id}",
            get(admin_get).put(admin_update).delete(admin_delete),
        )
}

// ---------------------------------------------------------------------------------------
// Errors in GoTrue's shape

/// An error of `/auth/v1`: `{"code": <status>, "error_code": "...", "msg": "..."}`.
#[derive(Debug)]
pub struct AuthError {
    status: StatusCode,
    code: &'static str,
    msg: String,
    retry_after: Option<u64>,
}

impl AuthError {
    fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> AuthError {
        AuthError {
            status,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    fn bad_credentials() -> AuthError {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
            "Invalid login credentials",
        )
    }

    fn internal(cause: impl std::fmt::Display) -> AuthError {
        tracing::error!(error = %cause, "auth internal error");
        AuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            "Internal server error; the cause is in the server log",
        )
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> AuthError {
        if let sqlx::Error::Database(db) = &e
            && db.code().as_deref() == Some("23505")
        {
            return AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "email_exists",
                "A user with this email address has already been registered",
            );
        }
        AuthError::internal(e)
    }
}

impl From<ApiError> for AuthError {
    fn from(e: ApiError) -> AuthError {
        let code = match e.code.as_str() {
            "PGRST303" => "bad_jwt",
            "PGRST302" => "no_authorization",
            _ => "bad_jwt",
        };
        AuthError::new(StatusCode::UNAUTHORIZED, code, e.message)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            axum::Json(json!({
                "code": self.status.as_u16(),
                "error_code": self.code,
                "msg": self.msg,
            })),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        api_version(&mut resp);
        resp
    }
}

/// auth-js reads `error_code` only from responses that name this API version.
fn api_version(resp: &mut Response) {
    resp.headers_mut().insert(
        "x-supabase-api-version",
        HeaderValue::from_static("2024-01-01"),
    );
}

fn ok(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    api_version(&mut resp);
    resp
}

type AuthResult<T> = Result<T, AuthError>;

// ---------------------------------------------------------------------------------------
// Database access, as service_role

async fn begin(state: &AppState) -> AuthResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = state.pool.begin().await?;
    sqlx::query("select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

const USER_COLUMNS: &str = "id::text as id, email, encrypted_password, email_confirmed_at::text as email_confirmed_at, \
     raw_app_meta_data::text as app, raw_user_meta_data::text as meta, last_sign_in_at::text as last_sign_in_at, \
     created_at::text as created_at, updated_at::text as updated_at";

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: Option<String>,
    password_hash: Option<String>,
    email_confirmed_at: Option<String>,
    app_metadata: Value,
    user_metadata: Value,
    last_sign_in_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl User {
    fn from_row(row: &sqlx::postgres::PgRow) -> AuthResult<User> {
        let json = |s: Option<String>| {
            s.and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| Value::Object(Map::new()))
        };
        let get = |name: &str| -> AuthResult<Option<String>> {
            row.try_get(name).map_err(AuthError::internal)
        };
        Ok(User {
            id: get("id")?.unwrap_or_default(),
            email: get("email")?,
            password_hash: get("encrypted_password")?,
            email_confirmed_at: get("email_confirmed_at")?.map(|t| iso(&t)),
            app_metadata: json(get("app")?),
            user_metadata: json(get("meta")?),
            last_sign_in_at: get("last_sign_in_at")?.map(|t| iso(&t)),
            created_at: iso(&get("created_at")?.unwrap_or_default()),
            updated_at: iso(&get("updated_at")?.unwrap_or_default()),
        })
    }

    /// The user object of GoTrue's responses.
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "aud": AUDIENCE,
            "role": "authenticated",
            "email": self.email,
            "email_confirmed_at": self.email_confirmed_at,
            "phone": "",
            "confirmed_at": self.email_confirmed_at,
            "last_sign_in_at": self.last_sign_in_at,
            "app_metadata": self.app_metadata,
            "user_metadata": self.user_metadata,
            "identities": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "is_anonymous": false,
        })
    }
}

/// Postgres's text timestamps (`2024-01-15 10:00:00.123+00`) in ISO 8601.
fn iso(t: &str) -> String {
    let mut s = t.replacen(' ', "T", 1);
    if s.ends_with("+00") {
        s.truncate(s.len() - 3);
        s.push('Z');
    }
    s
}

async fn user_by_email(tx: &mut PgConnection, email: &str) -> AuthResult<Option<User>> {
    let row = sqlx::query(&format!(
        "select {USER_COLUMNS} from auth.users where lower(email) = lower($1)"
    ))
    .bind(email)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(User::from_row).transpose()
}

async fn user_by_id(tx: &mut PgConnection, id: &str) -> AuthResult<Option<User>> {
    let row = sqlx::query(&format!(
        "select {USER_COLUMNS} from auth.users where id = $1::uuid"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await;
    match row {
        Ok(row) => row.as_ref().map(User::from_row).transpose(),
        // A malformed id names no user.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("22P02") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Passwords

/// A hash verified when the email is unknown, so that both answers cost the same.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password_blocking("not-a-real-password-of-anyone").unwrap_or_default())
}

fn hash_password_blocking(password: &str) -> AuthResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AuthError::internal)
}

async fn hash_password(password: String) -> AuthResult<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(AuthError::internal)?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn check_password(password: &str) -> AuthResult<()> {
    let min = settings().min_password_length;
    if password.chars().count() < min {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!("Password should be at least {min} characters."),
        ));
    }
    Ok(())
}

fn check_email(email: &str) -> AuthResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.contains(char::is_whitespace);
    if !valid {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Unable to validate email address: invalid format",
        ));
    }
    Ok(email)
}

// ---------------------------------------------------------------------------------------
// Rate limiting of failed sign-ins

struct Window {
    failures: u32,
    started: Instant,
}

/// Failed sign-ins per key (address or email) in the current window. Each server process
/// counts on its own, so N replicas allow N times the limit; put a shared limiter in
/// front of them if that matters.
fn failures() -> &'static Mutex<HashMap<String, Window>> {
    static MAP: OnceLock<Mutex<HashMap<String, Window>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Refuses when a key is over its limit; the error carries Retry-After.
fn check_rate(keys: &[(String, u32)]) -> AuthResult<()> {
    let window = Duration::from_secs(settings().window_secs);
    let map = failures().lock().map_err(AuthError::internal)?;
    for (key, limit) in keys {
        if let Some(w) = map.get(key)
            && w.started.elapsed() < window
            && w.failures >= *limit
        {
            let mut e = AuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "over_request_rate_limit",
                "Too many failed sign-in attempts; try again later",
            );
            e.retry_after = Some(window.saturating_sub(w.started.elapsed()).as_secs().max(1));
            return Err(e);
        }
    }
    Ok(())
}

fn record_failure(keys: &[(String, u32)]) {
    let window = Duration::from_secs(settings().window_secs);
    if let Ok(mut map) = failures().lock() {
        // Forget finished windows so the map cannot grow without bound.
        if map.len() > 100_000 {
            map.retain(|_, w| w.started.elapsed() < window);
        }
        for (key, _) in keys {
            let w = map.entry(key.clone()).or_insert(Window {
                failures: 0,
                started: Instant::now(),
            });
            if w.started.elapsed() >= window {
                *w = Window {
                    failures: 0,
                    started: Instant::now(),
                };
            }
            w.failures += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sessions and tokens

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn random_token() -> AuthResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AuthError::internal)?;
    Ok(hex::encode(bytes))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a refresh token for a session and stores its hash.
async fn issue_refresh(tx: &mut PgConnection, session: &str, user: &str) -> AuthResult<String> {
    let token = random_token()?;
    sqlx::query("insert into auth.refresh_tokens (token_hash, session_id, user_id) values ($1, $2::uuid, $3::uuid)")
        .bind(token_hash(&token))
        .bind(session)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    Ok(token)
}

/// The session body: access token, refresh token, expiry and user.
fn session_json(state: &AppState, user: &User, session_id: &str, refresh: &str) -> Value {
    let iat = now();
    let exp = iat + settings().jwt_expiry;
    let claims = json!({
        "aud": AUDIENCE,
        "exp": exp,
        "iat": iat,
        "iss": "ferrobase/auth/v1",
        "sub": user.id,
        "email": user.email,
        "phone": "",
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": iat}],
        "session_id": session_id,
        "is_anonymous": false,
    });
    json!({
        "access_token": state.jwt.sign(&claims),
        "token_type": "bearer",
        "expires_in": settings().jwt_expiry,
        "expires_at": exp,
        "refresh_token": refresh,
        "user": user.to_json(),
    })
}

async fn start_session(
    state: &AppState,
    tx: &mut PgConnection,
    user: &User,
    headers: &HeaderMap,
    addr: &str,
) -> AuthResult<Value> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let session: String = sqlx::query_scalar(
        "insert into auth.sessions (user_id, user_agent, ip) values ($1::uuid, $2, $3) returning id::text",
    )
    .bind(&user.id)
    .bind(agent)
    .bind(addr)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update auth.users set last_sign_in_at = now() where id = $1::uuid")
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    let refresh = issue_refresh(tx, &session, &user.id).await?;
    let user = user_by_id(tx, &user.id)
        .await?
        .unwrap_or_else(|| user.clone());
    Ok(session_json(state, &user, &session, &refresh))
}

/// The caller of a user endpoint: a valid access token of the `authenticated` audience
/// whose session still exists.
async fn caller(state: &AppState, headers: &HeaderMap) -> AuthResult<(AuthContext, String)> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            AuthError::new(
                StatusCode::UNAUTHORIZED,
                "no_authorization",
                "This endpoint requires a Bearer token",
            )
        })?;
    let claims = state.jwt.verify(token.trim())?;
    if claims.get("aud").and_then(Value::as_str) != Some(AUDIENCE) {
        return Err(AuthError::new(
            StatusCode::UNAUTHORIZED,
            "bad_jwt",
            "invalid JWT: audience is not `authenticated`",
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AuthError::new(
                StatusCode::UNAUTHORIZED,
                "bad_jwt",
                "invalid JWT: no subject",
            )
        })?
        .to_string();
    let session = claims
        .get("session_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut tx = begin(state).await?;
    let live: bool = sqlx::query_scalar(
        "select exists (select 1 from auth.sessions where id::text = $1 and user_id::text = $2)",
    )
    .bind(&session)
    .bind(&sub)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if !live {
        return Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        ));
    }
    Ok((
        AuthContext {
            role: "authenticated",
            claims,
        },
        session,
    ))
}

fn require_service_role(state: &AppState, headers: &HeaderMap) -> AuthResult<()> {
    let ctx = state.jwt.authenticate(headers)?;
    if ctx.role != "service_role" {
        return Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "User not allowed: admin endpoints need the service_role key",
        ));
    }
    Ok(())
}

fn body_object(body: &[u8]) -> AuthResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            "Could not parse request body as JSON",
        )),
    }
}

fn string_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// The peer address, when the server was started with connect info.
fn peer(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    // Behind a proxy the peer is the proxy; trust X-Forwarded-For only when told to.
    if std::env::var("FERROBASE_TRUST_PROXY").is_ok_and(|v| v == "true")
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn signup(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result: AuthResult<Response> = async {
        state.jwt.authenticate(&headers)?;
        let body = body_object(&body)?;
        let email = check_email(string_field(&body, "email").unwrap_or_default())?;
        let password = string_field(&body, "password").unwrap_or_default().to_string();
        check_password(&password)?;
        let meta = match body.get("data") {
            Some(Value::Object(m)) => Value::Object(m.clone()),
            _ => Value::Object(Map::new()),
        };
        let hash = hash_password(password).await?;
        let mut tx = begin(&state).await?;
        let confirmed = !settings().confirm_email;
        let id: String = sqlx::query_scalar(
            "insert into auth.users (email, encrypted_password, raw_app_meta_data, raw_user_meta_data, email_confirmed_at) \
             values ($1, $2, '{\"provider\":\"email\",\"providers\":[\"email\"]}'::jsonb, $3::jsonb, case when $4 then now() end) \
             returning id::text",
        )
        .bind(&email)
        .bind(&hash)
        .bind(meta.to_string())
        .bind(confirmed)
        .fetch_one(&mut *tx)
        .await?;
        let user = user_by_id(&mut tx, &id).await?.ok_or_else(|| AuthError::internal("new user vanished"))?;
        let body = if confirmed {
            let addr = client_address(&headers, peer(&extensions));
            start_session(&state, &mut tx, &user, &headers, &addr).await?
        } else {
            user.to_json()
        };
        tx.commit().await?;
        Ok(ok(StatusCode::OK, body))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn token(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result: AuthResult<Response> = async {
        state.jwt.authenticate(&headers)?;
        let body = body_object(&body)?;
        match query.get("grant_type").map(String::as_str) {
            Some("password") => password_grant(&state, peer(&extensions), &headers, &body).await,
            Some("refresh_token") => refresh_grant(&state, &body).await,
            other => Err(AuthError::new(
                StatusCode::BAD_REQUEST,
                "validation_failed",
                format!("Unsupported grant_type {}", other.unwrap_or("(none)")),
            )),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn password_grant(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> AuthResult<Response> {
    let raw_email = string_field(body, "email").unwrap_or_default();
    let password = string_field(body, "password")
        .unwrap_or_default()
        .to_string();
    let addr = client_address(headers, peer);
    let keys = [
        (format!("ip:{addr}"), settings().failures_per_ip),
        (
            format!("email:{}", raw_email.trim().to_lowercase()),
            settings().failures_per_email,
        ),
    ];
    check_rate(&keys)?;
    let mut tx = begin(state).await?;
    let user = match check_email(raw_email) {
        Ok(email) => user_by_email(&mut tx, &email).await?,
        Err(_) => None,
    };
    // Verify against a stand-in hash when there is no user, so both cases cost the same.
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let verified = verify_password(password, hash).await;
    let Some(user) = user.filter(|_| verified) else {
        record_failure(&keys);
        return Err(AuthError::bad_credentials());
    };
    if user.email_confirmed_at.is_none() {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_not_confirmed",
            "Email not confirmed",
        ));
    }
    let session = start_session(state, &mut tx, &user, headers, &addr).await?;
    tx.commit().await?;
    Ok(ok(StatusCode::OK, session))
}

async fn refresh_grant(state: &AppState, body: &Map<String, Value>) -> AuthResult<Response> {
    let token = string_field(body, "refresh_token").unwrap_or_default();
    if token.is_empty() {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "refresh_token is required",
        ));
    }
    let mut tx = begin(state).await?;
    let row = sqlx::query(
        "select session_id::text as session_id, user_id::text as user_id, revoked from auth.refresh_tokens where token_hash = $1 for update",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    let invalid = || {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )
    };
    let Some(row) = row else {
        return Err(invalid());
    };
    let session: String = row.try_get("session_id").map_err(AuthError::internal)?;
    let user_id: String = row.try_get("user_id").map_err(AuthError::internal)?;
    let revoked: bool = row.try_get("revoked").map_err(AuthError::internal)?;
    if revoked {
        // A used token came back: someone holds a copy. End the whole session, so the
        // copy and the token issued in its place are both worthless.
        sqlx::query("delete from auth.sessions where id = $1::uuid")
            .bind(&session)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(session = %session, "refresh token reused; session revoked");
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_already_used",
            "Invalid Refresh Token: Already Used",
        ));
    }
    sqlx::query("update auth.refresh_tokens set revoked = true where token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?;
    sqlx::query("update auth.sessions set refreshed_at = now() where id = $1::uuid")
        .bind(&session)
        .execute(&mut *tx)
        .await?;
    let user = user_by_id(&mut tx, &user_id).await?.ok_or_else(invalid)?;
    let next = issue_refresh(&mut tx, &session, &user_id).await?;
    tx.commit().await?;
    Ok(ok(
        StatusCode::OK,
        session_json(state, &user, &session, &next),
    ))
}

async fn get_user(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result: AuthResult<Response> = async {
        let (ctx, _) = caller(&state, &headers).await?;
        let sub = ctx.claims["sub"].as_str().unwrap_or_default().to_string();
        let mut tx = begin(&state).await?;
        let user = user_by_id(&mut tx, &sub).await?.ok_or_else(|| {
            AuthError::new(
                StatusCode::NOT_FOUND,
                "user_not_found",
                "User from sub claim in JWT does not exist",
            )
        })?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Applies `email`, `password` and metadata changes; shared by the user and admin routes.
async fn apply_changes(
    tx: &mut PgConnection,
    id: &str,
    body: &Map<String, Value>,
    admin: bool,
) -> AuthResult<()> {
    if let Some(email) = string_field(body, "email") {
        let email = check_email(email)?;
        sqlx::query("update auth.users set email = $2, updated_at = now() where id = $1::uuid")
            .bind(id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(password) = string_field(body, "password") {
        check_password(password)?;
        let hash = hash_password(password.to_string()).await?;
        sqlx::query(
            "update auth.users set encrypted_password = $2, updated_at = now() where id = $1::uuid",
        )
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    }
    let user_meta = if admin {
        body.get("user_metadata")
    } else {
        body.get("data")
    };
    if let Some(Value::Object(meta)) = user_meta {
        sqlx::query("update auth.users set raw_user_meta_data = raw_user_meta_data || $2::jsonb, updated_at = now() where id = $1::uuid")
            .bind(id)
            .bind(Value::Object(meta.clone()).to_string())
            .execute(&mut *tx)
            .await?;
    }
    if admin {
        if let Some(Value::Object(meta)) = body.get("app_metadata") {
            sqlx::query("update auth.users set raw_app_meta_data = raw_app_meta_data || $2::jsonb, updated_at = now() where id = $1::uuid")
                .bind(id)
                .bind(Value::Object(meta.clone()).to_string())
                .execute(&mut *tx)
                .await?;
        }
        if body.get("email_confirm").and_then(Value::as_bool) == Some(true) {
            sqlx::query("update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = $1::uuid")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

async fn update_user(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result: AuthResult<Response> = async {
        let (ctx, _) = caller(&state, &headers).await?;
        let sub = ctx.claims["sub"].as_str().unwrap_or_default().to_string();
        let body = body_object(&body)?;
        let mut tx = begin(&state).await?;
        apply_changes(&mut tx, &sub, &body, false).await?;
        let user = user_by_id(&mut tx, &sub).await?.ok_or_else(|| {
            AuthError::new(StatusCode::NOT_FOUND, "user_not_found", "User not found")
        })?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn logout(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let result: AuthResult<Response> = async {
        let (ctx, session) = caller(&state, &headers).await?;
        let sub = ctx.claims["sub"].as_str().unwrap_or_default().to_string();
        let sql = match query.get("scope").map(String::as_str).unwrap_or("global") {
            "global" => "delete from auth.sessions where user_id = $1::uuid",
            "local" => "delete from auth.sessions where user_id = $1::uuid and id = $2::uuid",
            "others" => "delete from auth.sessions where user_id = $1::uuid and id <> $2::uuid",
            other => {
                return Err(AuthError::new(
                    StatusCode::BAD_REQUEST,
                    "validation_failed",
                    format!("Unsupported logout scope {other}; use global, local or others"),
                ));
            }
        };
        let mut tx = begin(&state).await?;
        sqlx::query(sql)
            .bind(&sub)
            .bind(&session)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut resp = StatusCode::NO_CONTENT.into_response();
        api_version(&mut resp);
        Ok(resp)
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn auth_settings(State(_state): State<AppState>) -> Response {
    ok(
        StatusCode::OK,
        json!({
            "external": {"email": true, "phone": false},
            "disable_signup": false,
            "mailer_autoconfirm": !settings().confirm_email,
            "phone_autoconfirm": false,
        }),
    )
}

async fn admin_list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let result: AuthResult<Response> = async {
        require_service_role(&state, &headers)?;
        let page: i64 = query
            .get("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let per_page: i64 = query
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(50)
            .min(1000);
        let mut tx = begin(&state).await?;
        let rows = sqlx::query(&format!(
            "select {USER_COLUMNS} from auth.users order by created_at, id limit $1 offset $2"
        ))
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(&mut *tx)
        .await?;
        let total: i64 = sqlx::query_scalar("select count(*) from auth.users")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let users: Vec<Value> = rows
            .iter()
            .map(User::from_row)
            .collect::<AuthResult<Vec<_>>>()?
            .iter()
            .map(User::to_json)
            .collect();
        let mut resp = ok(StatusCode::OK, json!({ "users": users, "aud": AUDIENCE }));
        if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
            resp.headers_mut().insert("x-total-count", v);
        }
        Ok(resp)
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn admin_create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result: AuthResult<Response> = async {
        require_service_role(&state, &headers)?;
        let body = body_object(&body)?;
        let email = check_email(string_field(&body, "email").unwrap_or_default())?;
        let hash = match string_field(&body, "password") {
            Some(p) => {
                check_password(p)?;
                Some(hash_password(p.to_string()).await?)
            }
            None => None,
        };
        let mut tx = begin(&state).await?;
        let id: String = sqlx::query_scalar(
            "insert into auth.users (email, encrypted_password, raw_app_meta_data) \
             values ($1, $2, '{\"provider\":\"email\",\"providers\":[\"email\"]}'::jsonb) returning id::text",
        )
        .bind(&email)
        .bind(hash)
        .fetch_one(&mut *tx)
        .await?;
        let mut changes = body.clone();
        changes.remove("email");
        changes.remove("password");
        apply_changes(&mut tx, &id, &changes, true).await?;
        let user = user_by_id(&mut tx, &id).await?.ok_or_else(|| AuthError::internal("new user vanished"))?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn user_not_found() -> AuthError {
    AuthError::new(StatusCode::NOT_FOUND, "user_not_found", "User not found")
}

async fn admin_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result: AuthResult<Response> = async {
        require_service_role(&state, &headers)?;
        let mut tx = begin(&state).await?;
        let user = user_by_id(&mut tx, &id).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn admin_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result: AuthResult<Response> = async {
        require_service_role(&state, &headers)?;
        let body = body_object(&body)?;
        let mut tx = begin(&state).await?;
        user_by_id(&mut tx, &id).await?.ok_or_else(user_not_found)?;
        apply_changes(&mut tx, &id, &body, true).await?;
        let user = user_by_id(&mut tx, &id).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn admin_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result: AuthResult<Response> = async {
        require_service_role(&state, &headers)?;
        let mut tx = begin(&state).await?;
        let user = user_by_id(&mut tx, &id).await?.ok_or_else(user_not_found)?;
        // The spec's foreign keys decide what goes with the user (agents cascade).
        sqlx::query("delete from auth.users where id = $1::uuid")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ok(StatusCode::OK, user.to_json()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
