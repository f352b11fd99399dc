//! Percentages stored as integer hundredths of a percent, so sums of many daily deductions
//! never drift (0.5% + 0.5% is exactly 1%). JSON carries them as plain numbers (`0.5`,
//! `1.25`), which is what clerks type and read; more than two decimals are rejected.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Add;

/// A non-negative percentage in hundredths of a percent: `Percent::from_hundredths(50)` is 0.5%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    pub const ZERO: Percent = Percent(0);
    pub const HUNDRED: Percent = Percent(10_000);

    pub const fn from_hundredths(h: u32) -> Percent {
        Percent(h)
    }

    /// Whole percent, e.g. `Percent::whole(3)` is 3%.
    pub const fn whole(p: u32) -> Percent {
        Percent(p * 100)
    }

    pub const fn hundredths(self) -> u32 {
        self.0
    }

    /// For display and JSON only; never compute with the float.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// Parses from a float, accepting at most two decimals (after rounding noise such as
    /// `1.2500000001`).
    pub fn try_from_f64(v: f64) -> Option<Percent> {
        if !(0.0..=1_000_000.0).contains(&v) {
            return None;
        }
        let scaled = v * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return None;
        }
        Some(Percent(rounded as u32))
    }

    pub fn min(self, other: Percent) -> Percent {
        Percent(self.0.min(other.0))
    }

    pub fn saturating_add(self, other: Percent) -> Percent {
        Percent(self.0.saturating_add(other.0))
    }
}

impl Add for Percent {
    type Output = Percent;
    fn add(self, rhs: Percent) -> Percent {
        self.saturating_add(rhs)
    }
}

impl std::iter::Sum for Percent {
    fn sum<I: Iterator<Item = Percent>>(iter: I) -> Percent {
        iter.fold(Percent::ZERO, Percent::saturating_add)
    }
}

/// Indonesian notation: decimal comma, no trailing zeros (`0,5%`, `1,25%`, `3%`).
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            f2 if f2 % 10 == 0 => write!(f, "{whole},{}%", f2 / 10),
            f2 => write!(f, "{whole},{f2:02}%"),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Percent, D::Error> {
        let v = f64::deserialize(d)?;
        Percent::try_from_f64(v).ok_or_else(|| {
            serde::de::Error::custom(format!("persentase tidak valid: {v} (harus ≥ 0, paling banyak dua desimal)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_decimal_comma() {
        assert_eq!(Percent::from_hundredths(50).to_string(), "0,5%");
        assert_eq!(Percent::from_hundredths(125).to_string(), "1,25%");
        assert_eq!(Percent::from_hundredths(105).to_string(), "1,05%");
        assert_eq!(Percent::whole(3).to_string(), "3%");
    }

    #[test]
    fn json_round_trip_is_exact() {
        for h in [0, 1, 50, 125, 150, 300, 10_000] {
            let p = Percent::from_hundredths(h);
            let s = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Percent>(&s).unwrap(), p, "{s}");
        }
        assert!(serde_json::from_str::<Percent>("0.125").is_err());
        assert!(serde_json::from_str::<Percent>("-1").is_err());
    }

    #[test]
    fn sums_do_not_drift() {
        let total: Percent = std::iter::repeat_n(Percent::from_hundredths(10), 10).sum();
        assert_eq!(total, Percent::whole(1));
    }
}
