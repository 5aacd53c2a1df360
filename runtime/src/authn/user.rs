//! `auth.users` rows, the user object of GoTrue's responses, and the email rule.

use super::AUDIENCE;
use super::error::{AuthError, AuthResult};
use serde_json::{Map, Value, json};
use sqlx::{PgConnection, Row};

/// One `auth.users` row, as the endpoints use it.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub email_confirmed_at: Option<String>,
    pub app_metadata: Value,
    pub user_metadata: Value,
    pub last_sign_in_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The role of the user's access tokens.
    pub role: String,
    pub banned_until: Option<String>,
    /// `banned_until` is in the future.
    pub banned: bool,
}

/// The row as JSON (so the statement does not depend on the exact column list: a database
/// adopted from Supabase has more), and whether a ban is in force. Timestamps come out in
/// ISO 8601 because every transaction of these endpoints runs in UTC.
const SELECT: &str = "select to_jsonb(u) as row, \
     coalesce((to_jsonb(u) ->> 'banned_until')::timestamptz > now(), false) as banned \
     from auth.users u";

impl User {
    fn from_row(row: &sqlx::postgres::PgRow) -> AuthResult<User> {
        let data: Value = row.try_get("row").map_err(AuthError::internal)?;
        let banned: bool = row.try_get("banned").map_err(AuthError::internal)?;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_string);
        let object = |key: &str| match data.get(key) {
            Some(v @ Value::Object(_)) => v.clone(),
            _ => Value::Object(Map::new()),
        };
        Ok(User {
            id: text("id").ok_or_else(|| AuthError::internal("auth.users row without id"))?,
            email: text("email"),
            password_hash: text("encrypted_password").filter(|h| !h.is_empty()),
            email_confirmed_at: text("email_confirmed_at"),
            app_metadata: object("raw_app_meta_data"),
            user_metadata: object("raw_user_meta_data"),
            last_sign_in_at: text("last_sign_in_at"),
            created_at: text("created_at"),
            updated_at: text("updated_at"),
            role: text("role")
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "authenticated".to_string()),
            banned_until: text("banned_until"),
            banned,
        })
    }

    /// The user object of GoTrue's responses; never includes the password hash.
    pub fn to_json(&self) -> Value {
        let mut user = json!({
            "id": self.id,
            "aud": AUDIENCE,
            "role": self.role,
            "email": self.email.clone().unwrap_or_default(),
            "email_confirmed_at": self.email_confirmed_at,
            "phone": "",
            "confirmed_at": self.email_confirmed_at,
            "last_sign_in_at": self.last_sign_in_at,
            "app_metadata": self.app_metadata,
            "user_metadata": self.user_metadata,
            "identities": self.identities(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "is_anonymous": false,
        });
        if let Some(until) = &self.banned_until {
            user["banned_until"] = json!(until);
        }
        user
    }

    /// The email identity GoTrue keeps in `auth.identities`, derived from the row: clients
    /// tell a real sign-up from the stand-in answer for a taken email by it.
    fn identities(&self) -> Value {
        let Some(email) = &self.email else {
            return json!([]);
        };
        json!([{
            "identity_id": self.id,
            "id": self.id,
            "user_id": self.id,
            "identity_data": {
                "email": email,
                "email_verified": self.email_confirmed_at.is_some(),
                "phone_verified": false,
                "sub": self.id,
            },
            "provider": "email",
            "last_sign_in_at": self.last_sign_in_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "email": email,
        }])
    }
}

/// The user with this (normalized) email.
pub(crate) async fn by_email(tx: &mut PgConnection, email: &str) -> AuthResult<Option<User>> {
    let row = sqlx::query(&format!("{SELECT} where u.email = $1"))
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(User::from_row).transpose()
}

/// The user with this id; a malformed id names no user.
pub(crate) async fn by_id(tx: &mut PgConnection, id: &str) -> AuthResult<Option<User>> {
    let Ok(id) = uuid::Uuid::parse_str(id) else {
        return Ok(None);
    };
    let row = sqlx::query(&format!("{SELECT} where u.id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(User::from_row).transpose()
}

/// One page of users, newest first (GoTrue's order), and the total.
pub(crate) async fn page(
    tx: &mut PgConnection,
    page: i64,
    per_page: i64,
) -> AuthResult<(Vec<User>, i64)> {
    let rows = sqlx::query(&format!(
        "{SELECT} order by u.created_at desc, u.id limit $1 offset $2"
    ))
    .bind(per_page)
    .bind((page - 1).saturating_mul(per_page))
    .fetch_all(&mut *tx)
    .await?;
    let total: i64 = sqlx::query_scalar("select count(*) from auth.users")
        .fetch_one(&mut *tx)
        .await?;
    let users = rows.iter().map(User::from_row).collect::<AuthResult<_>>()?;
    Ok((users, total))
}

/// Merges keys into a metadata column the way GoTrue does: top-level keys replace, and a
/// key set to `null` is removed.
pub(crate) async fn merge_metadata(
    tx: &mut PgConnection,
    id: &str,
    column: Metadata,
    changes: &Map<String, Value>,
) -> AuthResult<()> {
    let sql = match column {
        Metadata::User => {
            "update auth.users set raw_user_meta_data = \
             (coalesce(raw_user_meta_data, '{}'::jsonb) || $2::jsonb) \
             - array(select key from jsonb_each($2::jsonb) where value = 'null'::jsonb), \
             updated_at = now() where id = $1::uuid"
        }
        Metadata::App => {
            "update auth.users set raw_app_meta_data = \
             (coalesce(raw_app_meta_data, '{}'::jsonb) || $2::jsonb) \
             - array(select key from jsonb_each($2::jsonb) where value = 'null'::jsonb), \
             updated_at = now() where id = $1::uuid"
        }
    };
    sqlx::query(sql)
        .bind(id)
        .bind(Value::Object(changes.clone()))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Which metadata column [`merge_metadata`] writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Metadata {
    /// `raw_user_meta_data`, which users may change.
    User,
    /// `raw_app_meta_data`, which only admins may change.
    App,
}

/// `app_metadata` of an email account.
pub(crate) fn email_app_metadata() -> Value {
    json!({"provider": "email", "providers": ["email"]})
}

/// Trims and lowercases an email and checks its shape; emails are stored lowercase, so a
/// lookup is one index probe.
pub(crate) fn normalize_email(email: &str) -> AuthResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 320
        && !email.contains(|c: char| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !valid {
        return Err(AuthError::validation(
            "Unable to validate email address: invalid format",
        ));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "a@b@example.com",
            "alice@.example.com",
        ] {
            assert_eq!(
                normalize_email(bad).unwrap_err().code(),
                "validation_failed",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn user_json_has_no_hash_and_one_identity() {
        let u = User {
            id: "00000000-0000-0000-0000-000000000001".into(),
            email: Some("a@example.com".into()),
            password_hash: Some("$argon2id$secret".into()),
            email_confirmed_at: Some("2024-01-01T00:00:00+00:00".into()),
            app_metadata: email_app_metadata(),
            user_metadata: json!({"name": "A"}),
            last_sign_in_at: None,
            created_at: Some("2024-01-01T00:00:00+00:00".into()),
            updated_at: Some("2024-01-01T00:00:00+00:00".into()),
            role: "authenticated".into(),
            banned_until: None,
            banned: false,
        };
        let j = u.to_json();
        assert!(!j.to_string().contains("argon2"));
        assert_eq!(j["identities"][0]["provider"], "email");
        assert_eq!(j["identities"][0]["identity_data"]["email_verified"], true);
        assert_eq!(j["aud"], "authenticated");
        assert!(j.get("banned_until").is_none());
    }
}
