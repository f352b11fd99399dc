//! What the two delivery workers share (issue 25: webhooks and Web Push): the HTTP client, the
//! lease a claim takes, and when a failed attempt is tried again. The claim and the recording
//! of an attempt are the store's leased outbox (`hadir-store/sql/outbox.rs`).

use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// The client a worker posts with: `timeout_secs` per request (at least 1), no redirects.
pub fn http_client(timeout_secs: u64) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Until when a claim at `now` holds its rows: three request timeouts, at least 30 seconds.
pub fn lease_until(now: Timestamp, timeout_secs: u64) -> Timestamp {
    now + SignedDuration::from_secs((timeout_secs as i64).saturating_mul(3).max(30))
}

/// The attempts made once this one is counted (`before`: as stored).
pub fn attempts_after(before: i64) -> u32 {
    u32::try_from(before).unwrap_or(u32::MAX).saturating_add(1)
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones: `base_ms` × 2^attempts,
/// at most a day.
pub fn backoff(base_ms: u64, attempts: u32) -> Duration {
    let ms = base_ms.saturating_mul(1u64 << attempts.min(30));
    Duration::from_millis(ms.min(24 * 3600 * 1000))
}

/// When to try again after the `attempts`-th attempt failed (`None`: given up), if the failure
/// may be retried at all.
pub fn retry_at(base_ms: u64, attempts: u32, max_attempts: u32, retryable: bool) -> Option<Timestamp> {
    (retryable && attempts < max_attempts).then(|| {
        Timestamp::now()
            + SignedDuration::try_from(backoff(base_ms, attempts - 1)).unwrap_or(SignedDuration::from_hours(24))
    })
}
