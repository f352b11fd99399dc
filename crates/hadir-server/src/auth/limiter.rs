//! Login throttling. Failed attempts are counted per account (5 within the window lock that
//! account for a while) and per client IP with a generous threshold, because a whole office of
//! hundreds shares one public IP at 07:25. Successful logins are never throttled and clear the
//! account's count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    per_account: usize,
    per_ip: usize,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, Vec<Instant>>,
    ips: HashMap<IpAddr, Vec<Instant>>,
}

impl LoginLimiter {
    pub fn new(per_account: usize, per_ip: usize, window: Duration) -> Self {
        LoginLimiter { per_account, per_ip, window, state: Mutex::default() }
    }

    /// `Some(seconds)` to wait when this attempt must be refused before checking the password.
    pub fn check(&self, username: &str, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window;
        let wait = |v: &mut Vec<Instant>, limit: usize| -> Option<u64> {
            v.retain(|t| now.duration_since(*t) < window);
            (v.len() >= limit).then(|| {
                let oldest = v[v.len() - limit];
                window.saturating_sub(now.duration_since(oldest)).as_secs().max(1)
            })
        };
        let key = username.to_lowercase();
        let a = s.accounts.get_mut(&key).and_then(|v| wait(v, self.per_account));
        let i = s.ips.get_mut(&ip).and_then(|v| wait(v, self.per_ip));
        a.max(i)
    }

    pub fn failed(&self, username: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.accounts.entry(username.to_lowercase()).or_default().push(now);
        s.ips.entry(ip).or_default().push(now);
        // Keep memory bounded under a password-spraying attack.
        if s.accounts.len() > 100_000 || s.ips.len() > 100_000 {
            let window = self.window;
            s.accounts.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            s.ips.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.accounts.remove(&username.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_locks_after_limit_and_clears_on_success() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check("a", ip).is_none());
            l.failed("a", ip);
        }
        assert!(l.check("a", ip).is_some());
        assert!(l.check("b", ip).is_none(), "another account on the same IP is not locked");
        l.succeeded("a");
        assert!(l.check("a", ip).is_none());
    }

    #[test]
    fn ip_threshold_is_separate() {
        let l = LoginLimiter::new(100, 5, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            l.failed(&format!("user{i}"), ip);
        }
        assert!(l.check("someone", ip).is_some());
        assert!(l.check("someone", "10.0.0.3".parse().unwrap()).is_none());
    }
}
