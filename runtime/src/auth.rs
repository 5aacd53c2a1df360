//! The `auth` stage: `apikey` and `Authorization: Bearer` headers in, database role and JWT
//! claims out.
//!
//! Tokens are HS256 JWTs signed with the project's secret. A request with no key at all, or
//! with a token that is malformed, wrongly signed, unsigned (`alg: none`), expired or names
//! an unknown role, is refused with a 401; nothing silently falls back to `anon`.

use crate::error::ApiError;
use axum::http::{HeaderMap, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

/// The roles a request may run as.
pub const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// Who is calling: the database role to switch to and the claims to expose to SQL.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// One of [`API_ROLES`].
    pub role: &'static str,
    /// The verified JWT payload, handed to Postgres as `request.jwt.claims`.
    pub claims: Value,
}

/// Verifies tokens and mints the project's API keys.
#[derive(Clone)]
pub struct Jwt {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    sealing: crate::secrets::SealingKey,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Jwt { .. }")
    }
}

/// The API keys are minted with a fixed issue time so that the same secret always gives the
/// same keys: users paste them into `.env` files and expect them to survive restarts.
const KEY_ISSUED_AT: i64 = 1_700_000_000;
const KEY_LIFETIME_SECS: i64 = 20 * 365 * 24 * 3600;

impl Jwt {
    /// A verifier/minter for one secret.
    pub fn new(secret: &[u8]) -> Jwt {
        let mut validation = Validation::new(Algorithm::HS256);
        // PostgREST accepts tokens without `exp`; when present it is enforced.
        validation.required_spec_claims.clear();
        validation.validate_exp = true;
        validation.validate_aud = false;
        validation.leeway = 0;
        Jwt {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
            sealing: crate::secrets::SealingKey::for_project(secret),
        }
    }

    /// The key that seals secrets at rest, which belongs with the project's secret.
    pub fn sealing_key(&self) -> &crate::secrets::SealingKey {
        &self.sealing
    }

    /// Signs arbitrary claims with the project's secret.
    pub fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of a JSON object cannot fail")
    }

    /// The long-lived API key for `anon` or `service_role`.
    pub fn api_key(&self, role: &str) -> String {
        self.sign(&json!({
            "iss": "ferrobase",
            "role": role,
            "iat": KEY_ISSUED_AT,
            "exp": KEY_ISSUED_AT + KEY_LIFETIME_SECS,
        }))
    }

    /// Verifies one token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Value, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        match jsonwebtoken::decode::<Value>(token, &self.decoding, &self.validation) {
            Ok(data) => {
                if !data.claims.is_object() {
                    return Err(jwt_error("PGRST301", "JWT payload is not a JSON object"));
                }
                Ok(data.claims)
            }
            Err(e) => Err(match e.kind() {
                ErrorKind::ExpiredSignature => jwt_error("PGRST303", "JWT expired"),
                ErrorKind::InvalidSignature => jwt_error(
                    "PGRST301",
                    "JWT signature does not match the project's secret",
                ),
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => jwt_error(
                    "PGRST301",
                    "JWT algorithm is not accepted; tokens must be signed with HS256",
                ),
                ErrorKind::ImmatureSignature => jwt_error("PGRST303", "JWT is not valid yet"),
                _ => jwt_error("PGRST301", "JWT is malformed"),
            }),
        }
    }

    /// The `auth` stage for one request.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<AuthContext, ApiError> {
        let apikey = header_str(headers, "apikey")?;
        let bearer = match header_str(headers, "authorization")? {
            None => None,
            Some(v) => {
                let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
                if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                    return Err(jwt_error(
                        "PGRST301",
                        "Authorization header must be `Bearer <JWT>`",
                    ));
                }
                Some(token.trim())
            }
        };
        if apikey.is_none() && bearer.is_none() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "PGRST302",
                "No API key found in request",
            )
            .hint("Send the anon key in the `apikey` header, and a user's access token as `Authorization: Bearer <JWT>`"));
        }
        // The apikey must be one of ours even when a bearer token decides the role.
        let key_claims = apikey.map(|k| self.verify(k)).transpose()?;
        let claims = match bearer {
            Some(token) => self.verify(token)?,
            None => key_claims.unwrap_or(Value::Null),
        };
        let role_claim = claims.get("role").and_then(Value::as_str).unwrap_or("anon");
        let role = API_ROLES
            .iter()
            .find(|r| **r == role_claim)
            .copied()
            .ok_or_else(|| {
                jwt_error(
                    "PGRST301",
                    format!(
                        "JWT role `{role_claim}` is not one of anon, authenticated, service_role"
                    ),
                )
            })?;
        Ok(AuthContext { role, claims })
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| jwt_error("PGRST301", format!("`{name}` header is not valid text"))),
    }
}

fn jwt_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn keys_are_stable_and_map_to_roles() {
        let jwt = Jwt::new(b"a-secret-of-at-least-32-characters!!");
        assert_eq!(jwt.api_key("anon"), jwt.api_key("anon"));
        let ctx = jwt
            .authenticate(&headers(&[("apikey", &jwt.api_key("anon"))]))
            .unwrap();
        assert_eq!(ctx.role, "anon");
        let ctx = jwt
            .authenticate(&headers(&[
                ("apikey", &jwt.api_key("anon")),
                (
                    "authorization",
                    &format!("Bearer {}", jwt.api_key("service_role")),
                ),
            ]))
            .unwrap();
        assert_eq!(ctx.role, "service_role");
    }

    #[test]
    fn refuses_bad_tokens() {
        let jwt = Jwt::new(b"a-secret-of-at-least-32-characters!!");
        let other = Jwt::new(b"another-secret-of-32-characters!!!!!");
        let code = |h: HeaderMap| jwt.authenticate(&h).unwrap_err().code;
        assert_eq!(code(headers(&[])), "PGRST302");
        assert_eq!(code(headers(&[("apikey", "not-a-jwt")])), "PGRST301");
        assert_eq!(
            code(headers(&[("apikey", &other.api_key("anon"))])),
            "PGRST301"
        );
        let expired = jwt.sign(&json!({"role": "authenticated", "exp": 1000}));
        assert_eq!(code(headers(&[("apikey", &expired)])), "PGRST303");
        // alg: none with an empty signature.
        let none = format!(
            "{}.{}.",
            base64_url(r#"{"alg":"none","typ":"JWT"}"#),
            base64_url(r#"{"role":"service_role"}"#)
        );
        assert_eq!(code(headers(&[("apikey", &none)])), "PGRST301");
        let odd_role = jwt.sign(&json!({"role": "postgres"}));
        assert_eq!(code(headers(&[("apikey", &odd_role)])), "PGRST301");
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
