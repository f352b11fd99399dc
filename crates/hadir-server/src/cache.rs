//! Small time-bounded caches for what every check-in reads: the caller's session, their
//! employee record and their unit. At 07:25 the same few thousand rows are read thousands of
//! times a second; serving them from memory leaves the database to the writes.
//!
//! Entries live for a short TTL so other server instances' changes show up within seconds;
//! changes made through this instance invalidate at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    cap: usize,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, cap: usize) -> Self {
        TtlCache { ttl, cap, map: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(k).filter(|(t, _)| t.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    pub fn put(&self, k: K, v: V) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.cap {
            let ttl = self.ttl;
            map.retain(|_, (t, _)| t.elapsed() < ttl);
            if map.len() >= self.cap {
                map.clear();
            }
        }
        map.insert(k, (Instant::now(), v));
    }

    pub fn remove_where(&self, f: impl Fn(&K, &V) -> bool) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).retain(|k, (_, v)| !f(k, v));
    }

    pub fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_and_invalidates() {
        let c = TtlCache::new(Duration::from_millis(30), 10);
        c.put(1, "a");
        c.put(2, "b");
        assert_eq!(c.get(&1), Some("a"));
        c.remove_where(|k, _| *k == 1);
        assert_eq!(c.get(&1), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&2), None);
    }

    #[test]
    fn bounded() {
        let c = TtlCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            c.put(i, i);
        }
        assert_eq!(c.get(&9), Some(9));
        assert!(c.map.lock().unwrap().len() <= 3);
    }
}
