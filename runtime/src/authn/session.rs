//! Sessions, refresh tokens, access tokens, and who is calling.
//!
//! A sign-in opens a row in `auth.sessions`; access tokens carry its id as `session_id`.
//! Refresh tokens are 32 random bytes, stored only as SHA-256 hashes in
//! `auth.refresh_tokens`. Each is used once: a refresh marks it revoked and issues the next
//! one of the same session. Presenting a revoked token means a copy is in other hands, so
//! the whole session ends (its tokens go with it by the foreign key).

use super::AUDIENCE;
use super::error::{AuthError, AuthResult};
use super::settings::AuthSettings;
use super::user::{self, User};
use crate::server::AppState;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Opens the request's transaction as `service_role`, the only role with grants on the
/// `auth` schema, in UTC so timestamps serialize the same everywhere.
pub(crate) async fn begin(state: &AppState) -> AuthResult<Transaction<'static, Postgres>> {
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "select set_config('role', 'service_role', true), \
         set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true), \
         set_config('timezone', 'UTC', true)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn new_refresh_token() -> AuthResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AuthError::internal)?;
    Ok(hex::encode(bytes))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn issue_refresh_token(
    tx: &mut PgConnection,
    session_id: &str,
    user_id: &str,
) -> AuthResult<String> {
    let token = new_refresh_token()?;
    sqlx::query(
        "insert into auth.refresh_tokens (token_hash, session_id, user_id) \
         values ($1, $2::uuid, $3::uuid)",
    )
    .bind(token_hash(&token))
    .bind(session_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(token)
}

/// The session response: access token, refresh token, expiry and user.
fn session_response(
    state: &AppState,
    settings: &AuthSettings,
    user: &User,
    session_id: &str,
    signed_in_at: i64,
    refresh_token: &str,
) -> Value {
    let iat = now();
    let exp = iat + settings.jwt_expiry;
    let claims = json!({
        "iss": "ferrobase/auth/v1",
        "aud": AUDIENCE,
        "exp": exp,
        "iat": iat,
        "sub": user.id,
        "email": user.email.clone().unwrap_or_default(),
        "phone": "",
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "role": user.role,
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": signed_in_at}],
        "session_id": session_id,
        "is_anonymous": false,
    });
    json!({
        "access_token": state.jwt.sign(&claims),
        "token_type": "bearer",
        "expires_in": settings.jwt_expiry,
        "expires_at": exp,
        "refresh_token": refresh_token,
        "user": user.to_json(),
    })
}

/// Opens a session for a user who just proved who they are, and answers with it.
pub(crate) async fn start(
    state: &AppState,
    settings: &AuthSettings,
    tx: &mut PgConnection,
    user_id: &str,
    headers: &HeaderMap,
    address: &str,
) -> AuthResult<Value> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let session_id: String = sqlx::query_scalar(
        "insert into auth.sessions (user_id, user_agent, ip) values ($1::uuid, $2, $3) \
         returning id::text",
    )
    .bind(user_id)
    .bind(agent)
    .bind(address)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update auth.users set last_sign_in_at = now() where id = $1::uuid")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let refresh = issue_refresh_token(tx, &session_id, user_id).await?;
    let user = user::by_id(tx, user_id)
        .await?
        .ok_or_else(|| AuthError::internal("a user vanished while signing in"))?;
    Ok(session_response(
        state,
        settings,
        &user,
        &session_id,
        now(),
        &refresh,
    ))
}

/// The refresh-token grant: rotates the token, or ends the session when a used one comes
/// back. The caller commits the transaction in both cases.
pub(crate) async fn refresh(
    state: &AppState,
    settings: &AuthSettings,
    tx: &mut PgConnection,
    token: &str,
) -> AuthResult<Value> {
    let not_found = || {
        AuthError::bad_request(
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )
    };
    // The row lock makes two refreshes with one token take turns: the second sees it
    // revoked.
    let row = sqlx::query(
        "select t.id, t.revoked, t.session_id::text as session_id, t.user_id::text as user_id, \
         extract(epoch from s.created_at)::bigint as signed_in_at \
         from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id \
         where t.token_hash = $1 for update of t, s",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(not_found)?;
    let token_id: uuid::Uuid = row.try_get("id").map_err(AuthError::internal)?;
    let revoked: bool = row.try_get("revoked").map_err(AuthError::internal)?;
    let session_id: String = row.try_get("session_id").map_err(AuthError::internal)?;
    let user_id: String = row.try_get("user_id").map_err(AuthError::internal)?;
    let signed_in_at: i64 = row.try_get("signed_in_at").map_err(AuthError::internal)?;
    if revoked {
        sqlx::query("delete from auth.sessions where id = $1::uuid")
            .bind(&session_id)
            .execute(&mut *tx)
            .await?;
        tracing::warn!(session = %session_id, "auth: a used refresh token came back; session ended");
        return Err(AuthError::bad_request(
            "refresh_token_already_used",
            "Invalid Refresh Token: Already Used",
        ));
    }
    let user = user::by_id(tx, &user_id).await?.ok_or_else(not_found)?;
    if user.banned {
        return Err(AuthError::bad_request(
            "user_banned",
            "Invalid Refresh Token: User Banned",
        ));
    }
    sqlx::query("update auth.refresh_tokens set revoked = true where id = $1")
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update auth.sessions set refreshed_at = now() where id = $1::uuid")
        .bind(&session_id)
        .execute(&mut *tx)
        .await?;
    let next = issue_refresh_token(tx, &session_id, &user_id).await?;
    Ok(session_response(
        state,
        settings,
        &user,
        &session_id,
        signed_in_at,
        &next,
    ))
}

/// Ends sessions of a user (their refresh tokens go with them).
pub(crate) async fn end(tx: &mut PgConnection, user_id: &str, scope: Scope<'_>) -> AuthResult<()> {
    let (sql, session) = match scope {
        Scope::All => ("delete from auth.sessions where user_id = $1::uuid", None),
        Scope::Only(id) => (
            "delete from auth.sessions where user_id = $1::uuid and id::text = $2",
            Some(id),
        ),
        Scope::AllBut(id) => (
            "delete from auth.sessions where user_id = $1::uuid and id::text <> $2",
            Some(id),
        ),
    };
    let mut query = sqlx::query(sql).bind(user_id);
    if let Some(id) = session {
        query = query.bind(id);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Which sessions [`end`] ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    All,
    Only(&'a str),
    AllBut(&'a str),
}

/// A user calling with their access token.
#[derive(Debug)]
pub(crate) struct Caller {
    pub user: User,
    /// The token's session; tokens minted elsewhere with the project's secret may have none.
    pub session_id: Option<String>,
}

/// Checks the bearer token of a user endpoint: signed with the project's secret, not
/// expired, for the `authenticated` audience, naming an existing user whose session (when
/// the token names one) is still open and who is not banned.
pub(crate) async fn caller(
    state: &AppState,
    tx: &mut PgConnection,
    headers: &HeaderMap,
) -> AuthResult<Caller> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AuthError::unauthorized(
                "no_authorization",
                "This endpoint requires a valid Bearer token",
            )
        })?;
    let claims = state.jwt.verify(token)?;
    let bad = |why: &str| AuthError::unauthorized("bad_jwt", format!("invalid JWT: {why}"));
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == AUDIENCE,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    };
    if !audience_ok {
        return Err(bad("the audience is not `authenticated`"));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| uuid::Uuid::parse_str(s).is_ok())
        .ok_or_else(|| bad("the sub claim is missing or not a UUID"))?;
    let user = user::by_id(tx, sub).await?.ok_or_else(|| {
        AuthError::forbidden(
            "user_not_found",
            "User from sub claim in JWT does not exist",
        )
    })?;
    let session_id = match claims.get("session_id").and_then(Value::as_str) {
        None => None,
        Some(id) => {
            let open: bool = sqlx::query_scalar(
                "select exists (select 1 from auth.sessions \
                 where id::text = $1 and user_id = $2::uuid)",
            )
            .bind(id)
            .bind(&user.id)
            .fetch_one(&mut *tx)
            .await?;
            if !open {
                return Err(AuthError::forbidden(
                    "session_not_found",
                    "Session from session_id claim in JWT does not exist",
                ));
            }
            Some(id.to_string())
        }
    };
    if user.banned {
        return Err(AuthError::forbidden("user_banned", "User is banned"));
    }
    Ok(Caller { user, session_id })
}

/// Sign-up and the token grants need one of the project's keys. Like Supabase's gateway,
/// only the `apikey` header is checked when present, so a stale access token in
/// `Authorization` does not stand in the way of the refresh that replaces it.
pub(crate) fn require_api_key(state: &AppState, headers: &HeaderMap) -> AuthResult<()> {
    match headers.get("apikey") {
        Some(key) => {
            let key = key
                .to_str()
                .map_err(|_| AuthError::unauthorized("bad_jwt", "the apikey is not valid text"))?;
            state.jwt.verify(key)?;
        }
        None => {
            state.jwt.authenticate(headers)?;
        }
    }
    Ok(())
}

/// The admin endpoints take the service_role key (as bearer token, or as apikey alone).
pub(crate) fn require_service_role(state: &AppState, headers: &HeaderMap) -> AuthResult<()> {
    let ctx = state.jwt.authenticate(headers)?;
    if ctx.role != "service_role" {
        return Err(AuthError::forbidden("not_admin", "User not allowed"));
    }
    Ok(())
}

/// The client's address for rate limiting: the TCP peer, or behind `hops` trusted proxies
/// the address the outermost of them appended to `X-Forwarded-For`.
pub(crate) fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>, hops: usize) -> String {
    if hops > 0 {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if let Some(addr) = forwarded.len().checked_sub(hops).map(|i| forwarded[i]) {
            return addr.to_string();
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 1.2.3.4".parse().unwrap());
        // Not behind a proxy: the header is the client's to write, so it is ignored.
        assert_eq!(client_address(&h, Some(peer), 0), "10.0.0.9");
        // One proxy: it appended the address it saw, the last one.
        assert_eq!(client_address(&h, Some(peer), 1), "1.2.3.4");
        assert_eq!(client_address(&h, Some(peer), 2), "6.6.6.6");
        // Fewer entries than proxies: something is off; fall back to the peer.
        assert_eq!(client_address(&h, Some(peer), 3), "10.0.0.9");
        assert_eq!(client_address(&HeaderMap::new(), None, 1), "unknown");
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = new_refresh_token().unwrap();
        let b = new_refresh_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
