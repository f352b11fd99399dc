//! Single-flight by key: while the first request with an idempotency key is being processed,
//! repeats wait for its answer instead of racing it, so twenty concurrent retries make one punch.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::watch;

pub enum Outcome<T> {
    /// This call did the work.
    Leader(T),
    /// Another call with the same key did; this is its result.
    Follower(T),
}

pub struct InFlight<T: Clone> {
    map: Mutex<HashMap<String, watch::Receiver<Option<T>>>>,
}

impl<T: Clone> Default for InFlight<T> {
    fn default() -> Self {
        InFlight { map: Mutex::new(HashMap::new()) }
    }
}

impl<T: Clone + Send + Sync> InFlight<T> {
    pub async fn run(&self, key: String, work: impl Future<Output = T>) -> Outcome<T> {
        let waiting = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            match map.get(&key) {
                Some(rx) => Err(rx.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    map.insert(key.clone(), rx);
                    Ok(tx)
                }
            }
        };
        match waiting {
            Ok(tx) => {
                // Remove the entry even if this future is dropped midway (client went away).
                let guard = Remove { map: &self.map, key };
                let result = work.await;
                let _ = tx.send(Some(result.clone()));
                drop(guard);
                Outcome::Leader(result)
            }
            Err(mut rx) => loop {
                if let Some(v) = rx.borrow_and_update().clone() {
                    return Outcome::Follower(v);
                }
                if rx.changed().await.is_err() {
                    // The leader was dropped without an answer: do the work ourselves.
                    return Outcome::Leader(work.await);
                }
            },
        }
    }
}

struct Remove<'a, T> {
    map: &'a Mutex<HashMap<String, watch::Receiver<Option<T>>>>,
    key: String,
}

impl<T> Drop for Remove<'_, T> {
    fn drop(&mut self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}
