//! The auth endpoints' settings, read from the environment when the router is built.

use std::time::Duration;

/// Settings of `/auth/v1`. Every field has a default, so an unset environment gives a
/// working local setup (no email confirmation, GoTrue's password minimum).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Access token lifetime in seconds (`FERROBASE_AUTH_JWT_EXPIRY`, default 3600).
    pub jwt_expiry: i64,
    /// Shortest accepted password, in characters (`FERROBASE_AUTH_MIN_PASSWORD_LENGTH`,
    /// default 6).
    pub min_password_length: usize,
    /// Whether a new account must have its email confirmed before it can sign in
    /// (`FERROBASE_AUTH_CONFIRM_EMAIL`, default false: sign-up returns a session).
    pub confirm_email: bool,
    /// Failed sign-ins allowed per client address in a window
    /// (`FERROBASE_AUTH_RATE_LIMIT_IP`, default 30).
    pub failures_per_ip: u32,
    /// Failed sign-ins allowed per email in a window (`FERROBASE_AUTH_RATE_LIMIT_EMAIL`,
    /// default 10).
    pub failures_per_email: u32,
    /// The rate limit window (`FERROBASE_AUTH_RATE_LIMIT_WINDOW`, seconds, default 300).
    pub window: Duration,
    /// How many reverse proxies in front of the server append to `X-Forwarded-For`
    /// (`FERROBASE_TRUST_PROXY`: `false` or `0` by default, `true` means 1). With none, the
    /// client address is the TCP peer; with N, it is the Nth address from the right of
    /// `X-Forwarded-For`, the one the outermost trusted proxy saw, which a client cannot
    /// forge by sending the header itself.
    pub trusted_proxies: usize,
}

impl Default for AuthSettings {
    fn default() -> AuthSettings {
        AuthSettings {
            jwt_expiry: 3600,
            min_password_length: 6,
            confirm_email: false,
            failures_per_ip: 30,
            failures_per_email: 10,
            window: Duration::from_secs(300),
            trusted_proxies: 0,
        }
    }
}

impl AuthSettings {
    /// Reads the settings from the environment; a value that does not parse is reported
    /// in the log and replaced by its default.
    pub fn from_env() -> AuthSettings {
        AuthSettings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> AuthSettings {
        let d = AuthSettings::default();
        AuthSettings {
            jwt_expiry: number(&lookup, "FERROBASE_AUTH_JWT_EXPIRY", d.jwt_expiry).max(1),
            min_password_length: number(
                &lookup,
                "FERROBASE_AUTH_MIN_PASSWORD_LENGTH",
                d.min_password_length,
            ),
            confirm_email: flag(&lookup, "FERROBASE_AUTH_CONFIRM_EMAIL").unwrap_or(false),
            failures_per_ip: number(&lookup, "FERROBASE_AUTH_RATE_LIMIT_IP", d.failures_per_ip),
            failures_per_email: number(
                &lookup,
                "FERROBASE_AUTH_RATE_LIMIT_EMAIL",
                d.failures_per_email,
            ),
            window: Duration::from_secs(
                number(
                    &lookup,
                    "FERROBASE_AUTH_RATE_LIMIT_WINDOW",
                    d.window.as_secs(),
                )
                .max(1),
            ),
            trusted_proxies: match flag(&lookup, "FERROBASE_TRUST_PROXY") {
                Some(true) => 1,
                Some(false) => 0,
                None => number(&lookup, "FERROBASE_TRUST_PROXY", 0),
            },
        }
    }
}

fn number<T: std::str::FromStr + Copy + std::fmt::Display>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> T {
    match lookup(name) {
        None => default,
        Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
            tracing::warn!(variable = name, value = %raw, %default, "not a number; using the default");
            default
        }),
    }
}

/// `true`/`false` and their usual spellings; `None` when unset or not a boolean word.
fn flag(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<bool> {
    let raw = lookup(name)?;
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" | "" => Some(false),
        // Digits are left to the caller (FERROBASE_TRUST_PROXY takes a count); anything
        // else is a mistake worth a line in the log.
        other if other.chars().all(|c| c.is_ascii_digit()) => match other {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        _ => {
            tracing::warn!(variable = name, value = %raw, "not a boolean; using the default");
            Some(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> AuthSettings {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuthSettings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let s = read(&[]);
        assert_eq!(
            (s.jwt_expiry, s.min_password_length, s.confirm_email),
            (3600, 6, false)
        );
        assert_eq!((s.failures_per_ip, s.failures_per_email), (30, 10));
        assert_eq!((s.window.as_secs(), s.trusted_proxies), (300, 0));

        let s = read(&[
            ("FERROBASE_AUTH_JWT_EXPIRY", "60"),
            ("FERROBASE_AUTH_MIN_PASSWORD_LENGTH", "12"),
            ("FERROBASE_AUTH_CONFIRM_EMAIL", "TRUE"),
            ("FERROBASE_AUTH_RATE_LIMIT_WINDOW", "0"),
            ("FERROBASE_TRUST_PROXY", "true"),
        ]);
        assert_eq!(
            (s.jwt_expiry, s.min_password_length, s.confirm_email),
            (60, 12, true)
        );
        assert_eq!((s.window.as_secs(), s.trusted_proxies), (1, 1));
    }

    #[test]
    fn proxy_hops_and_mistakes() {
        assert_eq!(read(&[("FERROBASE_TRUST_PROXY", "2")]).trusted_proxies, 2);
        assert_eq!(read(&[("FERROBASE_TRUST_PROXY", "0")]).trusted_proxies, 0);
        assert_eq!(
            read(&[("FERROBASE_TRUST_PROXY", "maybe")]).trusted_proxies,
            0
        );
        assert_eq!(
            read(&[("FERROBASE_AUTH_JWT_EXPIRY", "soon")]).jwt_expiry,
            3600
        );
    }
}
