//! Password hashing with Argon2id, off the async runtime and bounded in parallelism.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, the `argon2`
//! crate's defaults, which follow OWASP's recommendation) with a fresh 16-byte salt from the
//! operating system. Each hash or verification costs about 19 MiB and tens of milliseconds,
//! so it runs on a blocking thread, and at most one per CPU runs at a time: a burst of
//! sign-ins queues instead of exhausting memory.

use super::error::{AuthError, AuthResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from)))
}

/// Runs one hashing job on a blocking thread once a permit is free.
async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> AuthResult<T> {
    let _permit = permits().acquire().await.map_err(AuthError::internal)?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(AuthError::internal)
}

fn hash_blocking(password: &str) -> AuthResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(AuthError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(AuthError::internal)?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AuthError::internal)
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        // The parameters come from the stored string, so hashes made with other costs
        // still verify.
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            tracing::warn!("auth: a stored password hash is not an Argon2 PHC string");
            // Spend the same time as a real verification before saying no.
            let _ = argon2().verify_password(password.as_bytes(), &dummy());
            false
        }
    }
}

/// A hash of a password nobody has, verified when there is no real one to check, so that
/// "no such user" costs what "wrong password" costs.
fn dummy() -> PasswordHash<'static> {
    static HASH: OnceLock<String> = OnceLock::new();
    let text = HASH.get_or_init(|| {
        hash_blocking("a password that belongs to no account")
            .expect("hashing a constant with a random salt")
    });
    PasswordHash::new(text).expect("the stand-in hash parses")
}

/// Computes the stand-in hash now, so that the first sign-in with an unknown email does
/// not take longer than the others.
pub(crate) fn warm_up() {
    let _ = dummy();
}

/// Hashes a new password.
pub(crate) async fn hash(password: String) -> AuthResult<String> {
    run(move || hash_blocking(&password)).await?
}

/// Checks a password against a stored hash; with no hash (unknown user, or a user without
/// a password) it does the same work against the stand-in and says no.
pub(crate) async fn verify(password: String, stored: Option<String>) -> AuthResult<bool> {
    run(move || match stored {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            let _ = argon2().verify_password(password.as_bytes(), &dummy());
            false
        }
    })
    .await
}

/// The strength rule: at least `min` characters.
pub(crate) fn check_strength(password: &str, min: usize) -> AuthResult<()> {
    if password.chars().count() < min {
        return Err(AuthError::unprocessable(
            "weak_password",
            format!("Password should be at least {min} characters."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse".into()).await.unwrap();
        let b = hash("correct horse".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(
            verify("correct horse".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(a)).await.unwrap());
        assert!(!verify("correct horse".into(), None).await.unwrap());
        assert!(
            !verify("x".into(), Some("$2a$10$not-argon".into()))
                .await
                .unwrap()
        );
    }

    #[test]
    fn strength() {
        assert!(check_strength("12345", 6).is_err());
        assert!(check_strength("123456", 6).is_ok());
        // Characters, not bytes.
        assert!(check_strength("ééé", 4).is_err());
    }
}
