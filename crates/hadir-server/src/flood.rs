//! Per-address flood limits (issue 17): a coarse rate limit per client address in front of the
//! login endpoints and the terminal endpoints, so a flood of thousands of requests a second is
//! refused before it reaches password hashing, the store or the ingest queue. The login limiter
//! (`auth/limiter.rs`: failures per account and address, the spray cap) stays behind it; this
//! only counts requests.
//!
//! Each class has its own keyed GCRA limiter (`governor`): a bucket of `burst` requests per
//! address that refills at `per_minute`. Refusals answer 429 with `Retry-After` in the format
//! the caller reads: the JSON error body for the API (login, relays), the login page for the
//! console's form, a short plain-text `ERROR:` line for terminals (PUSH protocol).
//!
//! The address is the connection's peer (`ConnectInfo`, set by `serve.rs`), or the first
//! `X-Forwarded-For` entry when `trust_forwarded_for` is on (a reverse proxy that overwrites
//! it). IPv6 addresses are counted per /64, the block one subscriber usually holds.

use crate::config::FloodConfig;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The client's address: the socket peer, or the first `X-Forwarded-For` entry behind a
/// trusted proxy. `None` only when neither is known (a router called without `serve.rs`).
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The key an address is counted under: IPv4 (also when mapped into IPv6) as it is, IPv6 by
/// its /64 prefix (one subscriber's block; counting single addresses would let one host rotate).
pub fn flood_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Which limit a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `POST /api/v1/auth/login`.
    ApiLogin,
    /// `POST /admin/login` (the console's form).
    ConsoleLogin,
    /// `/iclock/*` (PUSH terminals).
    Terminal,
    /// `/api/v1/relay/*` (office relays uploading punches, reading the roster).
    Relay,
}

impl Class {
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        if path == "/iclock" || path.starts_with("/iclock/") {
            Some(Class::Terminal)
        } else if path.starts_with("/api/v1/relay/") {
            Some(Class::Relay)
        } else if method == Method::POST && path == "/api/v1/auth/login" {
            Some(Class::ApiLogin)
        } else if method == Method::POST && path == "/admin/login" {
            Some(Class::ConsoleLogin)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Class::ApiLogin | Class::ConsoleLogin => "login",
            Class::Terminal | Class::Relay => "terminal",
        }
    }
}

/// The limiters of one server process.
pub struct FloodLimits {
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    terminal: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

fn limiter(per_minute: u32, burst: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(governor::RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)))
}

impl FloodLimits {
    pub fn new(c: &FloodConfig) -> FloodLimits {
        FloodLimits {
            login: limiter(c.login_per_minute, c.login_burst),
            terminal: limiter(c.terminal_per_minute, c.terminal_burst),
        }
    }

    /// Counts one request of `class` from `ip`; `Err` holds the seconds until the next one
    /// passes (at least 1).
    pub fn check(&self, class: Class, ip: IpAddr) -> Result<(), u64> {
        let limiter = match class {
            Class::ApiLogin | Class::ConsoleLogin => &self.login,
            Class::Terminal | Class::Relay => &self.terminal,
        };
        let Some(limiter) = limiter else { return Ok(()) };
        limiter.check_key(&flood_key(ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets addresses whose buckets are full again, so memory follows the addresses seen
    /// lately, not every address ever seen.
    fn forget_idle(&self) {
        for l in [&self.login, &self.terminal].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Starts the once-a-minute clean-up; it ends when the limits are dropped.
    pub fn start_cleanup(limits: &Arc<FloodLimits>) {
        let weak: Weak<FloodLimits> = Arc::downgrade(limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(l) => l.forget_idle(),
                    None => return,
                }
            }
        });
    }
}

/// The middleware: counts login and terminal requests per address, refuses beyond the limit.
pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(class) = Class::of(req.method(), req.uri().path()) else { return next.run(req).await };
    let ip = client_ip(req.headers(), req.extensions(), s.config.trust_forwarded_for)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match s.flood.check(class, ip) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            metrics::counter!("hadir_flood_refused_total", "class" => class.label()).increment(1);
            tracing::debug!(%ip, class = class.label(), wait, "flood limit: request refused");
            refusal(&s, class, wait)
        }
    }
}

fn message(wait: u64) -> String {
    format!("Terlalu banyak permintaan dari alamat jaringan Anda. Coba lagi dalam {wait} detik.")
}

fn refusal(s: &AppState, class: Class, wait: u64) -> Response {
    let mut resp = match class {
        Class::ApiLogin | Class::Relay => ApiError::too_many("rate_limited", message(wait), wait).into_response(),
        Class::ConsoleLogin => crate::admin::session::refused_page(s, StatusCode::TOO_MANY_REQUESTS, message(wait)),
        Class::Terminal => {
            // The PUSH protocol reads anything but `OK` as "not now"; terminals retry later.
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "text/plain")],
                "ERROR: terlalu banyak permintaan",
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&hadir_zk::push::http_date(jiff::Timestamp::now())) {
                r.headers_mut().insert(header::DATE, v);
            }
            r
        }
    };
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_path() {
        assert_eq!(Class::of(&Method::POST, "/api/v1/auth/login"), Some(Class::ApiLogin));
        assert_eq!(Class::of(&Method::GET, "/api/v1/auth/login"), None);
        assert_eq!(Class::of(&Method::POST, "/admin/login"), Some(Class::ConsoleLogin));
        assert_eq!(Class::of(&Method::GET, "/admin/login"), None);
        assert_eq!(Class::of(&Method::GET, "/iclock/getrequest"), Some(Class::Terminal));
        assert_eq!(Class::of(&Method::POST, "/api/v1/relay/punches"), Some(Class::Relay));
        assert_eq!(Class::of(&Method::GET, "/api/v1/relays"), None);
        assert_eq!(Class::of(&Method::POST, "/api/v1/checkins"), None);
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(flood_key(a), flood_key(b));
        assert_ne!(flood_key(a), flood_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(flood_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_burst_passes_then_refusals_say_when_to_retry() {
        let limits = FloodLimits::new(&FloodConfig {
            login_per_minute: 60,
            login_burst: 3,
            terminal_per_minute: 0,
            terminal_burst: 0,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.check(Class::ApiLogin, ip), Ok(()));
        }
        let wait = limits.check(Class::ConsoleLogin, ip).unwrap_err();
        assert!((1..=2).contains(&wait), "one a second refills: {wait}");
        assert_eq!(limits.check(Class::ApiLogin, "192.0.2.2".parse().unwrap()), Ok(()), "another address");
        // 0 turns a class off.
        for _ in 0..1000 {
            assert_eq!(limits.check(Class::Terminal, ip), Ok(()));
        }
    }
}
