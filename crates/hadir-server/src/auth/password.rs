//! argon2id password hashes. Hashing is deliberately slow, so it runs on the blocking pool and
//! never stalls the async workers that serve check-ins.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const MIN_LEN: usize = 6;

pub fn hash_blocking(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .expect("argon2 with default parameters cannot fail")
}

pub fn verify_blocking(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.expect("hashing task panicked")
}

/// Verifies `password` against `hash`; with no hash (unknown user) it still spends the same time
/// on a dummy hash so response time does not reveal which usernames exist.
pub async fn verify(hash: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_blocking(&h, &password),
        None => {
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_blocking("dummy-password"));
            let _ = verify_blocking(dummy, &password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn roundtrip() {
        let h = super::hash_blocking("rahasia123");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify_blocking(&h, "rahasia123"));
        assert!(!super::verify_blocking(&h, "rahasia124"));
        assert!(!super::verify_blocking("not a hash", "x"));
    }
}
