//! Login throttling (issue 17).
//!
//! - An attempt is counted *before* its password is checked (a reservation that a success or a
//!   refusal for a busy server takes back), so 40 parallel wrong passwords are not all checked:
//!   the first few are, the rest are refused at once.
//! - Failures lock an (account, address) pair, not the account: a stranger who knows a NIP can
//!   exhaust only their own address's attempts, never lock the owner out on the owner's phone or
//!   office network. We chose this over slowing down (which holds connections open) because it
//!   costs nothing per attempt and the per-address threshold bounds password spraying.
//! - Per address a generous threshold (a whole office of hundreds shares one public IP at 07:25).
//! - Per account across every address a spray cap, which addresses the account logged in from
//!   successfully before are exempt from (the owner stays able to log in during an attack from
//!   many addresses).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered per account as its owner's.
const KNOWN_PER_ACCOUNT: usize = 8;
/// Entries kept before the maps are swept (memory stays bounded under spraying).
const MAX_ENTRIES: usize = 100_000;

pub struct LoginLimiter {
    per_pair: usize,
    per_ip: usize,
    per_account: usize,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pairs: HashMap<(String, IpAddr), Vec<Instant>>,
    ips: HashMap<IpAddr, Vec<Instant>>,
    accounts: HashMap<String, Vec<Instant>>,
    known: HashMap<String, Vec<IpAddr>>,
}

/// One counted attempt; give it back with [`LoginLimiter::succeeded`] or
/// [`LoginLimiter::cancel`], or keep it as a failure with [`LoginLimiter::failed`].
#[derive(Debug)]
pub struct Attempt {
    key: String,
    ip: IpAddr,
    at: Instant,
}

fn take_back(v: Option<&mut Vec<Instant>>, at: Instant) {
    if let Some(v) = v
        && let Some(i) = v.iter().rposition(|t| *t == at)
    {
        v.remove(i);
    }
}

impl LoginLimiter {
    /// `per_account` is the limit for one account from one address; the spray cap across
    /// addresses is ten times that.
    pub fn new(per_account: usize, per_ip: usize, window: Duration) -> Self {
        LoginLimiter {
            per_pair: per_account,
            per_ip,
            per_account: per_account.saturating_mul(10),
            window,
            state: Mutex::default(),
        }
    }

    /// Counts an attempt before its password is checked; `Err(seconds)` to wait when it must be
    /// refused without checking.
    pub fn begin(&self, username: &str, ip: IpAddr) -> Result<Attempt, u64> {
        let now = Instant::now();
        let key = username.to_lowercase();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window;
        let wait = |v: Option<&mut Vec<Instant>>, limit: usize| -> Option<u64> {
            let v = v?;
            v.retain(|t| now.duration_since(*t) < window);
            (v.len() >= limit).then(|| {
                let oldest = v[v.len() - limit];
                window.saturating_sub(now.duration_since(oldest)).as_secs().max(1)
            })
        };
        let known = s.known.get(&key).is_some_and(|ips| ips.contains(&ip));
        let pair = wait(s.pairs.get_mut(&(key.clone(), ip)), self.per_pair);
        let by_ip = wait(s.ips.get_mut(&ip), self.per_ip);
        let spray = if known { None } else { wait(s.accounts.get_mut(&key), self.per_account) };
        if let Some(w) = pair.max(by_ip).max(spray) {
            return Err(w);
        }
        s.pairs.entry((key.clone(), ip)).or_default().push(now);
        s.ips.entry(ip).or_default().push(now);
        s.accounts.entry(key.clone()).or_default().push(now);
        if s.pairs.len() > MAX_ENTRIES || s.ips.len() > MAX_ENTRIES || s.accounts.len() > MAX_ENTRIES {
            s.pairs.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            s.ips.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            s.accounts.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        if s.known.len() > MAX_ENTRIES {
            s.known.clear();
        }
        Ok(Attempt { key, ip, at: now })
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(&self, _attempt: Attempt) {}

    /// Not checked after all (the server was busy): the attempt is taken back.
    pub fn cancel(&self, a: Attempt) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        take_back(s.pairs.get_mut(&(a.key.clone(), a.ip)), a.at);
        take_back(s.ips.get_mut(&a.ip), a.at);
        take_back(s.accounts.get_mut(&a.key), a.at);
    }

    /// The right password: the pair's failures are cleared and the address becomes the owner's.
    pub fn succeeded(&self, a: Attempt) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.pairs.remove(&(a.key.clone(), a.ip));
        take_back(s.ips.get_mut(&a.ip), a.at);
        take_back(s.accounts.get_mut(&a.key), a.at);
        let known = s.known.entry(a.key).or_default();
        if !known.contains(&a.ip) {
            if known.len() >= KNOWN_PER_ACCOUNT {
                known.remove(0);
            }
            known.push(a.ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn attempts_count_before_the_check() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let a = ip("10.0.0.1");
        // Three in flight at once: the fourth is refused before any password is checked.
        let held: Vec<Attempt> = (0..3).map(|_| l.begin("a", a).unwrap()).collect();
        assert!(l.begin("a", a).is_err());
        for t in held {
            l.failed(t);
        }
        assert!(l.begin("a", a).is_err());
        assert!(l.begin("b", a).is_ok(), "another account on the same address is not locked");
    }

    #[test]
    fn a_stranger_does_not_lock_the_owner_out() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let (owner, stranger) = (ip("10.0.0.1"), ip("10.9.9.9"));
        for _ in 0..3 {
            let t = l.begin("a", stranger).unwrap();
            l.failed(t);
        }
        assert!(l.begin("a", stranger).is_err());
        let t = l.begin("a", owner).expect("the owner's address is not locked");
        l.succeeded(t);
    }

    #[test]
    fn success_and_cancel_give_the_attempt_back() {
        let l = LoginLimiter::new(2, 100, Duration::from_secs(60));
        let a = ip("10.0.0.1");
        let t = l.begin("a", a).unwrap();
        l.failed(t);
        let t = l.begin("a", a).unwrap();
        l.succeeded(t);
        let t1 = l.begin("a", a).unwrap();
        let t2 = l.begin("a", a).unwrap();
        l.cancel(t1);
        l.cancel(t2);
        assert!(l.begin("a", a).is_ok());
    }

    #[test]
    fn spraying_from_many_addresses_is_capped_but_the_owner_is_exempt() {
        let l = LoginLimiter::new(1, 100, Duration::from_secs(60));
        let owner = ip("10.0.0.1");
        let t = l.begin("a", owner).unwrap();
        l.succeeded(t);
        for i in 0..10 {
            let t = l.begin("a", ip(&format!("10.1.0.{i}"))).unwrap();
            l.failed(t);
        }
        assert!(l.begin("a", ip("10.1.1.1")).is_err(), "the spray cap (10) is reached");
        assert!(l.begin("a", owner).is_ok(), "a known address of the owner is exempt");
    }

    #[test]
    fn address_threshold_is_separate() {
        let l = LoginLimiter::new(100, 5, Duration::from_secs(60));
        let a = ip("10.0.0.2");
        for i in 0..5 {
            let t = l.begin(&format!("user{i}"), a).unwrap();
            l.failed(t);
        }
        assert!(l.begin("someone", a).is_err());
        assert!(l.begin("someone", ip("10.0.0.3")).is_ok());
    }
}
