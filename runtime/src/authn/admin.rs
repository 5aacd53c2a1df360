//! `/auth/v1/admin/users[/{id}]`: user management with the service_role key.

use super::error::{AuthError, AuthResult};
use super::handlers::{body_object, reply, text};
use super::session::{self, Scope, require_service_role};
use super::user::{self, Metadata};
use super::{AUDIENCE, Service, password};
use crate::server::AppState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// GoTrue's page size when the request names none.
const DEFAULT_PER_PAGE: i64 = 50;
/// The largest page served, whatever the request asks.
const MAX_PER_PAGE: i64 = 1000;

/// `GET /auth/v1/admin/users?page=&per_page=`: `{users, aud}`, newest first, with
/// `X-Total-Count` and a `Link` header naming the next and last pages.
pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AuthResult<Response> {
    require_service_role(&state, &headers)?;
    let number = |key: &str, default: i64| -> AuthResult<i64> {
        match query.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v.parse::<u32>().map(i64::from).map_err(|_| {
                AuthError::validation(format!("Bad Pagination Parameters: `{key}` is `{v}`"))
            }),
        }
    };
    let page = number("page", 1)?.max(1);
    let per_page = number("per_page", DEFAULT_PER_PAGE)?.clamp(1, MAX_PER_PAGE);
    let mut tx = session::begin(&state).await?;
    let (users, total) = user::page(&mut tx, page, per_page).await?;
    tx.commit().await?;
    let users: Vec<Value> = users.iter().map(user::User::to_json).collect();
    let mut resp = reply(json!({ "users": users, "aud": AUDIENCE }));
    let last = ((total + per_page - 1) / per_page).max(1);
    let link = |page: i64, rel: &str| {
        format!("</auth/v1/admin/users?page={page}&per_page={per_page}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
    }
    links.push(link(last, "last"));
    let headers = resp.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(total));
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert("link", v);
    }
    Ok(resp)
}

/// `POST /auth/v1/admin/users`: `email` (required), `password`, `email_confirm`,
/// `user_metadata`, `app_metadata`, `role`, `ban_duration`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    require_service_role(&state, &headers)?;
    let body = body_object(&body)?;
    let email = user::normalize_email(text(&body, "email").unwrap_or_default())?;
    let hash = new_password_hash(&service, &body).await?;
    let mut tx = session::begin(&state).await?;
    if user::by_email(&mut tx, &email).await?.is_some() {
        return Err(AuthError::email_exists());
    }
    let id: String = sqlx::query_scalar(
        "insert into auth.users (email, encrypted_password, raw_app_meta_data) \
         values ($1, $2, $3) returning id::text",
    )
    .bind(&email)
    .bind(hash)
    .bind(user::email_app_metadata())
    .fetch_one(&mut *tx)
    .await?;
    apply(&mut tx, &id, &body).await?;
    let user = user::by_id(&mut tx, &id)
        .await?
        .ok_or_else(|| AuthError::internal("a new user vanished"))?;
    tx.commit().await?;
    Ok(reply(user.to_json()))
}

/// `GET /auth/v1/admin/users/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AuthResult<Response> {
    require_service_role(&state, &headers)?;
    let mut tx = session::begin(&state).await?;
    let user = user::by_id(&mut tx, &id)
        .await?
        .ok_or_else(AuthError::user_not_found)?;
    tx.commit().await?;
    Ok(reply(user.to_json()))
}

/// `PUT /auth/v1/admin/users/{id}`: `email`, `password` (ends every session of the
/// user), `email_confirm`, `user_metadata`, `app_metadata`, `role`, `ban_duration`.
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(service): Extension<Arc<Service>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    require_service_role(&state, &headers)?;
    let body = body_object(&body)?;
    let email = text(&body, "email")
        .map(user::normalize_email)
        .transpose()?;
    let hash = new_password_hash(&service, &body).await?;
    let mut tx = session::begin(&state).await?;
    let before = user::by_id(&mut tx, &id)
        .await?
        .ok_or_else(AuthError::user_not_found)?;
    if let Some(email) = email.filter(|e| before.email.as_deref() != Some(e.as_str())) {
        if user::by_email(&mut tx, &email).await?.is_some() {
            return Err(AuthError::email_exists());
        }
        sqlx::query("update auth.users set email = $2, updated_at = now() where id = $1::uuid")
            .bind(&before.id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(hash) = hash {
        sqlx::query(
            "update auth.users set encrypted_password = $2, updated_at = now() \
             where id = $1::uuid",
        )
        .bind(&before.id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        session::end(&mut tx, &before.id, Scope::All).await?;
    }
    apply(&mut tx, &before.id, &body).await?;
    let user = user::by_id(&mut tx, &before.id)
        .await?
        .ok_or_else(AuthError::user_not_found)?;
    tx.commit().await?;
    Ok(reply(user.to_json()))
}

/// `DELETE /auth/v1/admin/users/{id}`: the spec's foreign keys decide what goes with the
/// user (its sessions and refresh tokens, and for example the agents it owns).
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AuthResult<Response> {
    require_service_role(&state, &headers)?;
    let mut tx = session::begin(&state).await?;
    let user = user::by_id(&mut tx, &id)
        .await?
        .ok_or_else(AuthError::user_not_found)?;
    sqlx::query("delete from auth.users where id = $1::uuid")
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(reply(json!({})))
}

/// Hashes `password` when the body has one.
async fn new_password_hash(
    service: &Service,
    body: &Map<String, Value>,
) -> AuthResult<Option<String>> {
    match text(body, "password").filter(|p| !p.is_empty()) {
        Some(p) => {
            password::check_strength(p, service.settings.min_password_length)?;
            Ok(Some(password::hash(p.to_string()).await?))
        }
        None => Ok(None),
    }
}

/// The changes create and update share: metadata, confirmation, role and bans.
/// A ban ends the user's sessions; `ban_duration: "none"` lifts it.
async fn apply(tx: &mut PgConnection, id: &str, body: &Map<String, Value>) -> AuthResult<()> {
    if let Some(role) = text(body, "role") {
        if !crate::auth::API_ROLES.contains(&role) {
            return Err(AuthError::validation(format!(
                "role `{role}` is not one of {}",
                crate::auth::API_ROLES.join(", ")
            )));
        }
        sqlx::query("update auth.users set role = $2, updated_at = now() where id = $1::uuid")
            .bind(id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
    }
    match text(body, "ban_duration").map(str::trim) {
        None | Some("") => {}
        Some("none") => {
            sqlx::query("update auth.users set banned_until = null where id = $1::uuid")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Some(duration) => {
            let seconds = parse_duration(duration).ok_or_else(|| {
                AuthError::validation(format!(
                    "invalid format for ban duration: `{duration}` (use a number with a unit, \
                     such as 24h or 1h30m, or none)"
                ))
            })?;
            sqlx::query(
                "update auth.users set banned_until = now() + make_interval(secs => $2) \
                 where id = $1::uuid",
            )
            .bind(id)
            .bind(seconds)
            .execute(&mut *tx)
            .await?;
            if seconds > 0.0 {
                session::end(tx, id, Scope::All).await?;
            }
        }
    }
    if let Some(Value::Object(meta)) = body.get("user_metadata") {
        user::merge_metadata(tx, id, Metadata::User, meta).await?;
    }
    if let Some(Value::Object(meta)) = body.get("app_metadata") {
        user::merge_metadata(tx, id, Metadata::App, meta).await?;
    }
    if body.get("email_confirm").and_then(Value::as_bool) == Some(true) {
        sqlx::query(
            "update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) \
             where id = $1::uuid",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A duration as GoTrue writes it (Go's notation): numbers with units `h`, `m`, `s`, `ms`,
/// `us`/`µs` or `ns`, such as `24h`, `1h30m` or `1.5h`, optionally signed. In seconds.
fn parse_duration(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" | "μs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit..];
        total += number * scale;
        parts += 1;
    }
    (parts > 0 && total.is_finite()).then_some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("24h"), Some(86_400.0));
        assert_eq!(parse_duration("1h30m"), Some(5_400.0));
        assert_eq!(parse_duration("1.5h"), Some(5_400.0));
        assert_eq!(parse_duration("90s"), Some(90.0));
        assert_eq!(parse_duration("-1h"), Some(-3_600.0));
        assert_eq!(parse_duration("0"), Some(0.0));
        assert_eq!(parse_duration("500ms"), Some(0.5));
        for bad in ["", "h", "24", "1d", "1h 30m", "abc", "1..5h"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
