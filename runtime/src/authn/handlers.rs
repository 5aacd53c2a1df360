//! The end-user endpoints: sign-up, token grants, the current user, sign-out, settings.

use super::error::{AuthError, AuthResult, is_unique_violation};
use super::session::{self, Scope};
use super::user::{self, Metadata, User};
use super::{Service, password};
use crate::server::AppState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// A JSON answer that no cache keeps (it may hold tokens).
pub(crate) fn reply(body: Value) -> Response {
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The request body as a JSON object; an empty body is an empty object.
pub(crate) fn body_object(body: &[u8]) -> AuthResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(AuthError::bad_request(
            "bad_json",
            "Could not parse request body as JSON",
        )),
    }
}

pub(crate) fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// The peer address; absent when the server was not started with connect info.
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn peer_address(peer: Peer) -> Option<SocketAddr> {
    peer.map(|Extension(ConnectInfo(addr))| addr)
}

/// `POST /auth/v1/signup`: a session when emails need no confirmation, else the new user.
pub(crate) async fn signup(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<Service>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    session::require_api_key(&state, &headers)?;
    let settings = &service.settings;
    let body = body_object(&body)?;
    let email = user::normalize_email(text(&body, "email").unwrap_or_default())?;
    let password = text(&body, "password").unwrap_or_default().to_string();
    if password.is_empty() {
        return Err(AuthError::unprocessable(
            "validation_failed",
            "Signup requires a valid password",
        ));
    }
    password::check_strength(&password, settings.min_password_length)?;
    let data = match body.get("data") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    // Hash before looking the email up, so a taken email costs what a new one costs.
    let hash = password::hash(password).await?;
    let mut tx = session::begin(&state).await?;
    let taken = user::by_email(&mut tx, &email).await?.is_some();
    let inserted = if taken {
        None
    } else {
        let insert = sqlx::query_scalar::<_, String>(
            "insert into auth.users \
             (email, encrypted_password, raw_app_meta_data, raw_user_meta_data, email_confirmed_at) \
             values ($1, $2, $3, $4, case when $5 then now() end) returning id::text",
        )
        .bind(&email)
        .bind(&hash)
        .bind(user::email_app_metadata())
        .bind(Value::Object(data.clone()))
        .bind(!settings.confirm_email)
        .fetch_one(&mut *tx)
        .await;
        match insert {
            Ok(id) => Some(id),
            // Another sign-up with the same email won the race.
            Err(e) if is_unique_violation(&e) => None,
            Err(e) => return Err(AuthError::internal(e)),
        }
    };
    let Some(id) = inserted else {
        drop(tx);
        if !settings.confirm_email {
            return Err(AuthError::unprocessable(
                "user_already_exists",
                "User already registered",
            ));
        }
        // With confirmation on, a taken email gets an answer shaped like a new account's
        // (GoTrue's behaviour), so sign-up does not tell who is registered.
        return Ok(reply(stand_in_user(&state, &email, data).await?));
    };
    let body = if settings.confirm_email {
        let user = user::by_id(&mut tx, &id)
            .await?
            .ok_or_else(|| AuthError::internal("a new user vanished"))?;
        let mut json = user.to_json();
        json["confirmation_sent_at"] = json["created_at"].clone();
        json
    } else {
        let address = session::client_address(
            &headers,
            peer_address(peer),
            service.settings.trusted_proxies,
        );
        session::start(&state, settings, &mut tx, &id, &headers, &address).await?
    };
    tx.commit().await?;
    Ok(reply(body))
}

/// The answer to a sign-up with a registered email when confirmation is on: a user object
/// with a fresh id, no identities and nothing of the real account.
async fn stand_in_user(
    state: &AppState,
    email: &str,
    data: Map<String, Value>,
) -> AuthResult<Value> {
    let mut tx = session::begin(state).await?;
    let now: Value = sqlx::query_scalar("select to_jsonb(now())")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let now = now.as_str().map(str::to_string);
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        email: Some(email.to_string()),
        password_hash: None,
        email_confirmed_at: None,
        app_metadata: user::email_app_metadata(),
        user_metadata: Value::Object(data),
        last_sign_in_at: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        role: "authenticated".to_string(),
        banned_until: None,
        banned: false,
    };
    let mut json = user.to_json();
    json["identities"] = json!([]);
    json["confirmation_sent_at"] = json!(now);
    Ok(json)
}

/// `POST /auth/v1/token?grant_type=password|refresh_token`.
pub(crate) async fn token(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<Service>>,
    peer: Peer,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    session::require_api_key(&state, &headers)?;
    let body = body_object(&body)?;
    match query.get("grant_type").map(String::as_str) {
        Some("password") => {
            password_grant(&state, &service, peer_address(peer), &headers, &body).await
        }
        Some("refresh_token") => {
            let token = text(&body, "refresh_token").unwrap_or_default();
            if token.is_empty() {
                return Err(AuthError::validation("refresh_token required"));
            }
            let mut tx = session::begin(&state).await?;
            let result = session::refresh(&state, &service.settings, &mut tx, token).await;
            // Commit either way: reuse detection ends the session even though it answers
            // with an error.
            tx.commit().await?;
            Ok(reply(result?))
        }
        Some(other) => Err(AuthError::validation(format!(
            "unsupported grant_type `{other}`; use password or refresh_token"
        ))),
        None => Err(AuthError::validation(
            "grant_type is required: password or refresh_token",
        )),
    }
}

/// The password grant. Unknown email, wrong password and malformed email take the same
/// path (one lookup, one Argon2 verification) to the same answer.
async fn password_grant(
    state: &AppState,
    service: &Service,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> AuthResult<Response> {
    let settings = &service.settings;
    let raw_email = text(body, "email").unwrap_or_default();
    if raw_email.trim().is_empty() {
        return Err(AuthError::validation("missing email or phone"));
    }
    let password = text(body, "password").unwrap_or_default().to_string();
    let email = user::normalize_email(raw_email).ok();
    let address = session::client_address(headers, peer, settings.trusted_proxies);
    let limit_keys = [
        (format!("ip:{address}"), settings.failures_per_ip),
        (
            format!("email:{}", raw_email.trim().to_lowercase()),
            settings.failures_per_email,
        ),
    ];
    let attempt = service
        .limiter
        .begin(&limit_keys)
        .map_err(AuthError::rate_limited)?;
    // The lookup and the session are two short transactions: no connection waits on the
    // deliberately slow verification in between.
    let found = match &email {
        Some(email) => {
            let mut tx = session::begin(state).await?;
            let found = user::by_email(&mut tx, email).await?;
            tx.commit().await?;
            found
        }
        None => None,
    };
    let hash = found.as_ref().and_then(|u| u.password_hash.clone());
    if !password::verify(password, hash).await? {
        return Err(AuthError::invalid_credentials());
    }
    let Some(found) = found else {
        return Err(AuthError::invalid_credentials());
    };
    attempt.succeeded();
    // Only someone holding the password learns these.
    if found.email_confirmed_at.is_none() {
        return Err(AuthError::bad_request(
            "email_not_confirmed",
            "Email not confirmed",
        ));
    }
    if found.banned {
        return Err(AuthError::bad_request("user_banned", "User is banned"));
    }
    let mut tx = session::begin(state).await?;
    if user::by_id(&mut tx, &found.id).await?.is_none() {
        return Err(AuthError::invalid_credentials());
    }
    let body = session::start(state, settings, &mut tx, &found.id, headers, &address).await?;
    tx.commit().await?;
    Ok(reply(body))
}

/// `GET /auth/v1/user`.
pub(crate) async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AuthResult<Response> {
    let mut tx = session::begin(&state).await?;
    let caller = session::caller(&state, &mut tx, &headers).await?;
    tx.commit().await?;
    Ok(reply(caller.user.to_json()))
}

/// `PUT /auth/v1/user`: `data` (merged into user_metadata), `email`, `password`.
/// A new password ends the user's other sessions, as GoTrue does.
pub(crate) async fn update_user(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    let settings = &service.settings;
    let mut tx = session::begin(&state).await?;
    let caller = session::caller(&state, &mut tx, &headers).await?;
    tx.commit().await?;
    let body = body_object(&body)?;

    let email = match text(&body, "email") {
        Some(e) => {
            let e = user::normalize_email(e)?;
            if caller.user.email.as_deref() == Some(e.as_str()) {
                None
            } else if settings.confirm_email {
                // There is no mailer to confirm the new address with; letting the change
                // through would defeat confirmation.
                return Err(AuthError::unprocessable(
                    "email_change_not_allowed",
                    "Email changes need confirmation, which this server cannot send; \
                     an admin can change the email",
                ));
            } else {
                Some(e)
            }
        }
        None => None,
    };
    let new_hash = match text(&body, "password").filter(|p| !p.is_empty()) {
        Some(p) => {
            password::check_strength(p, settings.min_password_length)?;
            if password::verify(p.to_string(), caller.user.password_hash.clone()).await? {
                return Err(AuthError::unprocessable(
                    "same_password",
                    "New password should be different from the old password.",
                ));
            }
            Some(password::hash(p.to_string()).await?)
        }
        None => None,
    };

    let id = &caller.user.id;
    let mut tx = session::begin(&state).await?;
    if let Some(email) = email {
        sqlx::query("update auth.users set email = $2, updated_at = now() where id = $1::uuid")
            .bind(id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(hash) = new_hash {
        sqlx::query(
            "update auth.users set encrypted_password = $2, updated_at = now() \
             where id = $1::uuid",
        )
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        let scope = match &caller.session_id {
            Some(current) => Scope::AllBut(current),
            None => Scope::All,
        };
        session::end(&mut tx, id, scope).await?;
    }
    if let Some(Value::Object(data)) = body.get("data") {
        user::merge_metadata(&mut tx, id, Metadata::User, data).await?;
    }
    let user = user::by_id(&mut tx, id)
        .await?
        .ok_or_else(AuthError::user_not_found)?;
    tx.commit().await?;
    Ok(reply(user.to_json()))
}

/// `POST /auth/v1/logout?scope=global|local|others` (global by default): 204.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AuthResult<Response> {
    let scope = query.get("scope").map_or("global", String::as_str);
    if !matches!(scope, "global" | "local" | "others") {
        return Err(AuthError::validation(format!(
            "Unsupported logout scope `{scope}`; use global, local or others"
        )));
    }
    let mut tx = session::begin(&state).await?;
    let caller = session::caller(&state, &mut tx, &headers).await?;
    let session = caller.session_id.as_deref();
    let scope = match (scope, session) {
        ("local", Some(id)) => Some(Scope::Only(id)),
        ("others", Some(id)) => Some(Scope::AllBut(id)),
        ("global", _) | ("others", None) => Some(Scope::All),
        // A token without a session has nothing local to end.
        _ => None,
    };
    if let Some(scope) = scope {
        session::end(&mut tx, &caller.user.id, scope).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /auth/v1/settings`: what the client may offer.
pub(crate) async fn settings(Extension(service): Extension<Arc<Service>>) -> Response {
    reply(json!({
        "external": {"email": true, "phone": false, "anonymous_users": false},
        "disable_signup": false,
        "mailer_autoconfirm": !service.settings.confirm_email,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    }))
}

/// `GET /auth/v1/health`.
pub(crate) async fn health() -> Response {
    reply(json!({
        "name": "ferrobase-auth",
        "description": "Email and password accounts compatible with Supabase Auth",
    }))
}
