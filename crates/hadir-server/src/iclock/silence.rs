//! Silent terminals: active terminals not heard from for N minutes of working hours, reported by
//! `GET /api/v1/devices?state=silent` and counted in the `hadir_devices_silent` gauge.

use crate::config::TerminalConfig;
use hadir_domain::unit_zone;
use hadir_store::{Device, DeviceFilter, DeviceState, Store};
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Duration;

/// The rule, parsed from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SilenceRule {
    pub minutes: i64,
    /// Minutes since midnight; `end` may be 1440.
    pub start: i32,
    pub end: i32,
    pub weekdays_only: bool,
}

fn minutes_of(hhmm: &str) -> Option<i32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440).then_some(h * 60 + m)
}

impl SilenceRule {
    pub fn from_config(c: &TerminalConfig) -> SilenceRule {
        SilenceRule {
            minutes: c.silent_minutes.max(1) as i64,
            start: minutes_of(&c.work_start).unwrap_or(7 * 60),
            end: minutes_of(&c.work_end).unwrap_or(16 * 60),
            weekdays_only: c.weekdays_only,
        }
    }

    /// Silent at `now`: within working hours in `tz`, and the time since the later of the last
    /// contact and the start of today's working hours is at least `minutes`. (A terminal
    /// switched off overnight is not silent at 07:05.)
    pub fn is_silent(&self, now: Timestamp, last_seen: Option<Timestamp>, tz: &TimeZone) -> bool {
        let local = now.to_zoned_datetime(tz.clone());
        if self.weekdays_only && matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return false;
        }
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        if minute < self.start || minute >= self.end {
            return false;
        }
        let day_start = local
            .date()
            .at((self.start / 60) as i8, (self.start % 60) as i8, 0, 0)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(now);
        let since = last_seen.map_or(day_start, |l| l.max(day_start));
        now.duration_since(since) >= SignedDuration::from_mins(self.minutes)
    }

    /// Whether an active terminal is silent now (pending and disabled ones never are).
    pub fn device_silent(&self, d: &Device, now: Timestamp) -> bool {
        if d.state != DeviceState::Active {
            return false;
        }
        let tz = d.zone_name().and_then(|z| unit_zone(z).ok()).unwrap_or(TimeZone::UTC);
        self.is_silent(now, d.last_seen, &tz)
    }
}

/// Recomputes the gauge every minute.
pub fn spawn_monitor(store: Arc<dyn Store>, rule: SilenceRule) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let filter = DeviceFilter { state: Some(DeviceState::Active), ..Default::default() };
            match store.list_devices(&filter).await {
                Ok(devices) => {
                    let now = Timestamp::now();
                    let silent = devices.iter().filter(|d| rule.device_silent(d, now)).count();
                    metrics::gauge!("hadir_devices_silent").set(silent as f64);
                }
                Err(e) => tracing::warn!(error = %e, "counting silent terminals failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wita() -> TimeZone {
        unit_zone("Asia/Makassar").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn working_hours_only() {
        let rule = SilenceRule::from_config(&TerminalConfig::default());
        assert_eq!((rule.start, rule.end, rule.minutes), (420, 960, 30));
        // Monday 3 November 2025, WITA (+08:00).
        let seen = Some(at("2025-11-03T00:00:00Z")); // 08:00 WITA
        assert!(!rule.is_silent(at("2025-11-03T00:29:00Z"), seen, &wita()), "29 minutes");
        assert!(rule.is_silent(at("2025-11-03T00:30:00Z"), seen, &wita()), "30 minutes");
        assert!(!rule.is_silent(at("2025-11-03T08:30:00Z"), seen, &wita()), "16:30 WITA: after hours");
        // Silent since Friday: not at 07:10 Monday, but at 07:30.
        let friday = Some(at("2025-10-31T09:00:00Z"));
        assert!(!rule.is_silent(at("2025-11-02T23:10:00Z"), friday, &wita()));
        assert!(rule.is_silent(at("2025-11-02T23:30:00Z"), friday, &wita()));
        assert!(rule.is_silent(at("2025-11-02T23:30:00Z"), None, &wita()), "never heard from");
        // Saturday.
        assert!(!rule.is_silent(at("2025-11-01T03:00:00Z"), friday, &wita()));
        let all_week = SilenceRule { weekdays_only: false, ..rule };
        assert!(all_week.is_silent(at("2025-11-01T03:00:00Z"), friday, &wita()));
        let whole_day = SilenceRule::from_config(&TerminalConfig {
            work_start: "00:00".into(),
            work_end: "24:00".into(),
            ..TerminalConfig::default()
        });
        assert_eq!((whole_day.start, whole_day.end), (0, 1440));
    }
}
