//! argon2id password hashes. Hashing is deliberately slow, so it runs on its own threads and
//! never stalls the async workers that serve check-ins.
//!
//! Bounded (issue 17): at most one hash per core runs at once, on dedicated threads (each takes argon2's 19 MiB, the
//! crate's default m=19456 KiB, t=2, p=1 — OWASP's recommended argon2id setting), so memory stays
//! near cores × 19 MiB whatever arrives; logins beyond [`MAX_WAITING`] waiting are answered
//! 503 at once ([`Busy`]) instead of piling up. Hashes for accounts an admin creates wait
//! their turn instead.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Logins waiting for a hashing thread before new ones are refused.
pub const MAX_WAITING: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

/// A few long-lived hashing threads (one per core). Dedicated threads, not the blocking pool:
/// each thread's allocator keeps the 19 MiB it last used, so memory is bounded by the number of
/// threads that ever hashed; on the blocking pool that grew with every new thread (measured:
/// +500 MB in a 250-login storm).
struct Pool {
    jobs: std::sync::mpsc::Sender<Job>,
    queued: AtomicUsize,
    threads: usize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    crate::allocator::tune();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    for i in 0..threads {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("hadir-hash-{i}")).spawn(move || {
            loop {
                let job = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting a password hashing thread failed");
        }
    }
    Pool { jobs: tx, queued: AtomicUsize::new(0), threads }
});

/// Every hashing thread is busy and too many logins wait: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Runs `f` on a hashing thread. With `bounded_wait`, refuses at once when [`MAX_WAITING`]
/// callers already wait.
async fn on_slot<T: Send + 'static>(bounded_wait: bool, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let pool = &*POOL;
    let before = pool.queued.fetch_add(1, Ordering::SeqCst);
    if bounded_wait && before >= MAX_WAITING + pool.threads {
        pool.queued.fetch_sub(1, Ordering::SeqCst);
        return Err(Busy);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let out = f();
        POOL.queued.fetch_sub(1, Ordering::SeqCst);
        let _ = tx.send(out);
    });
    if pool.jobs.send(job).is_err() {
        pool.queued.fetch_sub(1, Ordering::SeqCst);
        return Err(Busy);
    }
    rx.await.map_err(|_| Busy)
}

pub async fn hash(password: String) -> String {
    match on_slot(false, move || hash_blocking(&password)).await {
        Ok(h) => h,
        Err(Busy) => panic!("hashing task panicked"),
    }
}

/// Verifies `password` against `hash`; with no hash (unknown user) it still spends the same time
/// on a dummy hash so response time does not reveal which usernames exist. `Err(Busy)` when the
/// server has too many logins in hand.
pub async fn verify(hash: Option<String>, password: String) -> Result<bool, Busy> {
    on_slot(true, move || match hash {
        Some(h) => verify_blocking(&h, &password),
        None => {
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_blocking("dummy-password"));
            let _ = verify_blocking(dummy, &password);
            false
        }
    })
    .await
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
