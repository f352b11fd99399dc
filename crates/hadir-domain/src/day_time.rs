//! A wall-clock time relative to the start of a schedule's date, in whole minutes.
//!
//! Overnight shifts end the next day, so a plain civil time is not enough: `DayTime` counts
//! minutes from local midnight of the schedule's date and may run up to 48 hours. In JSON it
//! is `"HH:MM"` for the same day and `"HH:MM+1"` for the next day (e.g. a night shift's
//! `"07:00+1"`), which an admin can read without a manual.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MINUTES_PER_DAY: u16 = 24 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayTime(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("waktu tidak valid: {0:?} (format HH:MM atau HH:MM+1 untuk hari berikutnya)")]
pub struct DayTimeError(pub String);

impl DayTime {
    /// Same-day time. Panics on an invalid hour/minute: constructors use literals.
    pub const fn hm(hour: u16, minute: u16) -> DayTime {
        assert!(hour < 24 && minute < 60);
        DayTime(hour * 60 + minute)
    }

    /// Next-day time (for windows and due times of overnight shifts).
    pub const fn next_day(hour: u16, minute: u16) -> DayTime {
        assert!(hour < 24 && minute < 60);
        DayTime(MINUTES_PER_DAY + hour * 60 + minute)
    }

    /// Minutes since local midnight of the schedule date (0..2880).
    pub const fn minutes(self) -> u16 {
        self.0
    }

    pub fn from_minutes(m: u16) -> Option<DayTime> {
        (m < 2 * MINUTES_PER_DAY).then_some(DayTime(m))
    }

    /// 0 for the schedule date, 1 for the next day.
    pub const fn day_offset(self) -> u16 {
        self.0 / MINUTES_PER_DAY
    }

    pub const fn hour(self) -> u16 {
        (self.0 % MINUTES_PER_DAY) / 60
    }

    pub const fn minute(self) -> u16 {
        self.0 % 60
    }

    /// `self` shifted by a signed number of minutes, clamped to the representable range.
    pub fn shifted(self, delta: i32) -> DayTime {
        let m = (i32::from(self.0) + delta).clamp(0, i32::from(2 * MINUTES_PER_DAY - 1));
        DayTime(m as u16)
    }

    /// `"07:30"`, without the `+1` marker (callers add "hari berikutnya" when they need it).
    pub fn clock(self) -> String {
        format!("{:02}:{:02}", self.hour(), self.minute())
    }
}

impl fmt::Display for DayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())?;
        if self.day_offset() > 0 {
            write!(f, "+{}", self.day_offset())?;
        }
        Ok(())
    }
}

impl std::str::FromStr for DayTime {
    type Err = DayTimeError;

    fn from_str(s: &str) -> Result<DayTime, DayTimeError> {
        let err = || DayTimeError(s.to_string());
        let (clock, offset) = match s.split_once('+') {
            Some((c, "1")) => (c, 1),
            Some(_) => return Err(err()),
            None => (s, 0),
        };
        let (h, m) = clock.split_once(':').ok_or_else(err)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(err());
        }
        let h: u16 = h.parse().map_err(|_| err())?;
        let m: u16 = m.parse().map_err(|_| err())?;
        if h >= 24 || m >= 60 {
            return Err(err());
        }
        Ok(DayTime(offset * MINUTES_PER_DAY + h * 60 + m))
    }
}

impl Serialize for DayTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DayTime, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!("07:30".parse::<DayTime>().unwrap(), DayTime::hm(7, 30));
        assert_eq!("07:00+1".parse::<DayTime>().unwrap(), DayTime::next_day(7, 0));
        assert_eq!(DayTime::next_day(7, 0).to_string(), "07:00+1");
        assert_eq!(DayTime::next_day(7, 0).clock(), "07:00");
        for bad in ["7:30", "24:00", "07:60", "07:30+2", "", "aa:bb"] {
            assert!(bad.parse::<DayTime>().is_err(), "{bad}");
        }
    }
}
