//! Local-time arithmetic in the unit's zone. Everything is done on the local wall clock of
//! the schedule's date, in whole minutes (seconds dropped, as the time is shown to people), so
//! a 07:10 WITA punch (23:10 UTC the day before) lands at minute 430 of today.

use crate::day_time::DayTime;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zona waktu tidak dikenal: {0:?} (contoh: Asia/Jakarta, Asia/Makassar, Asia/Jayapura)")]
pub struct ZoneError(pub String);

impl ZoneError {
    pub fn code(&self) -> &'static str {
        "unknown_timezone"
    }
}

/// The unit's zone from its IANA name, looked up in the bundled tz database (no I/O).
pub fn unit_zone(iana_name: &str) -> Result<TimeZone, ZoneError> {
    TimeZone::get(iana_name.trim()).map_err(|_| ZoneError(iana_name.to_string()))
}

/// WIB / WITA / WIT for Indonesian zones; otherwise the zone's own abbreviation.
pub fn zone_abbreviation(tz: &TimeZone, at: Timestamp) -> String {
    match tz.iana_name() {
        Some("Asia/Jakarta" | "Asia/Pontianak") => "WIB".to_string(),
        Some("Asia/Makassar" | "Asia/Ujung_Pandang") => "WITA".to_string(),
        Some("Asia/Jayapura") => "WIT".to_string(),
        _ => tz.to_offset_info(at).abbreviation().to_string(),
    }
}

/// Minutes from local midnight of `date` to `at` (negative before it, ≥ 1440 on later days).
pub fn schedule_minute(tz: &TimeZone, date: Date, at: Timestamp) -> i64 {
    let local = tz.to_datetime(at);
    let days = date.duration_until(local.date()).as_secs() / 86_400;
    days * 1440 + i64::from(local.hour()) * 60 + i64::from(local.minute())
}

/// RFC 3339 with the zone's offset, e.g. `2025-03-03T07:42:05+08:00`.
pub fn rfc3339_local(tz: &TimeZone, at: Timestamp) -> String {
    at.display_with_offset(tz.to_offset(at)).to_string()
}

/// `"07:42"` local clock time of an instant.
pub fn clock(tz: &TimeZone, at: Timestamp) -> String {
    let local = tz.to_datetime(at);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// Clock text of a schedule time with a next-day hint for overnight shifts.
pub fn day_time_text(t: DayTime) -> String {
    if t.day_offset() > 0 { format!("{} (hari berikutnya)", t.clock()) } else { t.clock() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn wita_morning_is_previous_utc_day() {
        let tz = TimeZone::get("Asia/Makassar").unwrap();
        let at: Timestamp = "2025-03-02T23:10:00Z".parse().unwrap();
        assert_eq!(schedule_minute(&tz, date(2025, 3, 3), at), 7 * 60 + 10);
        assert_eq!(schedule_minute(&tz, date(2025, 3, 2), at), 1440 + 7 * 60 + 10);
        assert_eq!(zone_abbreviation(&tz, at), "WITA");
        assert_eq!(rfc3339_local(&tz, at), "2025-03-03T07:10:00+08:00");
        let wit = TimeZone::get("Asia/Jayapura").unwrap();
        assert_eq!(zone_abbreviation(&wit, at), "WIT");
        assert!(unit_zone("Asia/Jakarta").is_ok());
        assert_eq!(unit_zone("Asia/Bandung").unwrap_err().code(), "unknown_timezone");
    }
}
