//! Place signals of fraud (issue 23), pure: what a phone's position says against the person's
//! earlier positions and the office. A web app cannot read Android's mock-location flag, so these
//! look at what the server gets: an impossible journey since the previous punch, the very same
//! coordinates (to many decimals) on another day, a position exactly at the office centre, and
//! accuracy values typical of mock providers. None refuses anything; the server holds the punch
//! for a person to look at.

use crate::geo::{GeoPoint, distance_m};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Thresholds (server settings `[server.signals]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlaceRules {
    /// Faster than this between two consecutive positions is impossible travel (km/h).
    pub max_speed_kmh: f64,
    /// Journeys shorter than this are never impossible (GPS noise between two quick punches).
    pub min_travel_m: f64,
    /// A position within this of a check-in location's centre is "exactly at the centre".
    pub centre_m: f64,
    /// Identical coordinates on another day count only with at least this many decimals
    /// (coarse network positions repeat honestly).
    pub same_position_decimals: u32,
    /// The same whole-number accuracy this many times in a row (this punch included) looks like
    /// a mock provider; 0 turns the check off. An accuracy of exactly 0 is always flagged.
    pub mock_accuracy_repeats: usize,
}

impl Default for PlaceRules {
    fn default() -> Self {
        PlaceRules {
            max_speed_kmh: 200.0,
            min_travel_m: 2_000.0,
            centre_m: 0.5,
            same_position_decimals: 5,
            mock_accuracy_repeats: 5,
        }
    }
}

/// One positioned punch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub id: i64,
    pub at: Timestamp,
    /// The local date (in the employee's zone).
    pub day: Date,
    pub point: GeoPoint,
    pub accuracy_m: Option<f64>,
    /// Distance from the nearest check-in location's centre, as stored at check-in.
    pub distance_m: Option<f64>,
}

/// What fired, with the measured value.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceSignal {
    ImpossibleTravel { other_id: i64, km: f64, minutes: f64, kmh: f64 },
    SamePosition { other_id: i64, other_day: Date },
    AtCentre { distance_m: f64 },
    MockAccuracy { accuracy_m: f64, repeats: usize },
}

impl PlaceSignal {
    pub fn kind(&self) -> &'static str {
        match self {
            PlaceSignal::ImpossibleTravel { .. } => "impossible_travel",
            PlaceSignal::SamePosition { .. } => "same_position",
            PlaceSignal::AtCentre { .. } => "at_centre",
            PlaceSignal::MockAccuracy { .. } => "mock_accuracy",
        }
    }

    pub fn score(&self) -> f64 {
        match self {
            PlaceSignal::ImpossibleTravel { kmh, .. } => *kmh,
            PlaceSignal::SamePosition { other_id, .. } => *other_id as f64,
            PlaceSignal::AtCentre { distance_m } => *distance_m,
            PlaceSignal::MockAccuracy { accuracy_m, .. } => *accuracy_m,
        }
    }

    /// For the reviewer, in Indonesian.
    pub fn detail(&self) -> String {
        match self {
            PlaceSignal::ImpossibleTravel { other_id, km, minutes, kmh } => format!(
                "Perpindahan {km:.1} km dalam {minutes:.0} menit sejak absen #{other_id} ({kmh:.0} km/jam): tidak mungkin ditempuh."
            ),
            PlaceSignal::SamePosition { other_id, other_day } => {
                format!(
                    "Koordinat persis sama dengan absen #{other_id} pada {other_day}: GPS asli selalu sedikit bergeser."
                )
            }
            PlaceSignal::AtCentre { distance_m } => {
                format!("Posisi tepat di titik pusat lokasi absen ({distance_m:.2} m): khas lokasi palsu.")
            }
            PlaceSignal::MockAccuracy { accuracy_m, repeats } => {
                if *accuracy_m == 0.0 {
                    "Akurasi GPS 0 m: khas aplikasi lokasi palsu.".to_string()
                } else {
                    format!(
                        "Akurasi GPS tepat {accuracy_m:.0} m pada {repeats} absen berturut-turut: khas aplikasi lokasi palsu."
                    )
                }
            }
        }
    }
}

/// Digits after the decimal point in the shortest form of `x`.
pub fn decimals(x: f64) -> u32 {
    let s = format!("{x}");
    s.split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0)
}

/// The place signals of `fix`, given the same person's `earlier` positioned punches (any order;
/// those at or after `fix.at` and `fix` itself are ignored).
pub fn place_signals(fix: &Fix, earlier: &[Fix], rules: &PlaceRules) -> Vec<PlaceSignal> {
    let mut out = Vec::new();
    let mut before: Vec<&Fix> = earlier.iter().filter(|f| f.id != fix.id && f.at < fix.at).collect();
    before.sort_by_key(|f| (f.at, f.id));
    if let Some(prev) = before.last() {
        let metres = distance_m(prev.point, fix.point);
        let secs = (fix.at.as_millisecond() - prev.at.as_millisecond()) as f64 / 1000.0;
        if metres >= rules.min_travel_m && secs > 0.0 {
            let kmh = metres / 1000.0 / (secs / 3600.0);
            if kmh > rules.max_speed_kmh {
                out.push(PlaceSignal::ImpossibleTravel {
                    other_id: prev.id,
                    km: metres / 1000.0,
                    minutes: secs / 60.0,
                    kmh,
                });
            }
        }
    }
    let precise = decimals(fix.point.lat).min(decimals(fix.point.lon)) >= rules.same_position_decimals;
    if precise
        && let Some(same) = before
            .iter()
            .rev()
            .find(|f| f.day != fix.day && f.point.lat == fix.point.lat && f.point.lon == fix.point.lon)
    {
        out.push(PlaceSignal::SamePosition { other_id: same.id, other_day: same.day });
    }
    if let Some(d) = fix.distance_m
        && d <= rules.centre_m
    {
        out.push(PlaceSignal::AtCentre { distance_m: d });
    }
    if let Some(acc) = fix.accuracy_m {
        if acc == 0.0 {
            out.push(PlaceSignal::MockAccuracy { accuracy_m: 0.0, repeats: 1 });
        } else if rules.mock_accuracy_repeats > 0 && acc.fract() == 0.0 {
            let run = 1 + before.iter().rev().take_while(|f| f.accuracy_m == Some(acc)).count();
            if run >= rules.mock_accuracy_repeats {
                out.push(PlaceSignal::MockAccuracy { accuracy_m: acc, repeats: run });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::offset_north;

    const OFFICE: GeoPoint = GeoPoint { lat: -6.2087634, lon: 106.845599 };

    fn fix(id: i64, at: &str, point: GeoPoint, accuracy: f64, distance: f64) -> Fix {
        let at: Timestamp = at.parse().unwrap();
        Fix {
            id,
            at,
            day: jiff::tz::TimeZone::fixed(jiff::tz::offset(7)).to_datetime(at).date(),
            point,
            accuracy_m: Some(accuracy),
            distance_m: Some(distance),
        }
    }

    fn kinds(v: &[PlaceSignal]) -> Vec<&'static str> {
        v.iter().map(|s| s.kind()).collect()
    }

    #[test]
    fn an_honest_day_fires_nothing() {
        let r = PlaceRules::default();
        let a = fix(1, "2026-11-02T00:10:00Z", offset_north(OFFICE, 12.3), 14.7, 12.3);
        let b = fix(2, "2026-11-02T08:40:00Z", offset_north(OFFICE, 20.9), 9.81, 20.9);
        let c = fix(3, "2026-11-03T00:05:00Z", offset_north(OFFICE, 8.17), 11.2, 8.17);
        assert!(place_signals(&b, &[a], &r).is_empty());
        assert!(place_signals(&c, &[a, b], &r).is_empty());
    }

    #[test]
    fn impossible_travel_needs_speed_and_distance() {
        let r = PlaceRules::default();
        let a = fix(1, "2026-11-02T00:10:00Z", offset_north(OFFICE, 10.5), 12.4, 10.5);
        // 150 km in 30 minutes: 300 km/h.
        let far = fix(2, "2026-11-02T00:40:00Z", offset_north(OFFICE, 150_000.0), 12.4, 150_000.0);
        let s = place_signals(&far, &[a], &r);
        assert_eq!(kinds(&s), ["impossible_travel"]);
        assert!((s[0].score() - 300.0).abs() < 1.0, "{s:?}");
        // The same journey in two hours (75 km/h) is possible.
        let slow = fix(2, "2026-11-02T02:10:00Z", offset_north(OFFICE, 150_000.0), 12.4, 150_000.0);
        assert!(place_signals(&slow, &[a], &r).is_empty());
        // A 500 m jump within a minute is GPS noise, not a journey.
        let noise = fix(2, "2026-11-02T00:10:30Z", offset_north(OFFICE, 510.5), 12.4, 510.5);
        assert!(place_signals(&noise, &[a], &r).is_empty());
        // Only the previous punch counts, not a later one analysed earlier.
        let later = fix(3, "2026-11-02T05:00:00Z", offset_north(OFFICE, 150_000.0), 12.4, 150_000.0);
        assert!(place_signals(&a, &[later], &r).is_empty());
    }

    #[test]
    fn the_same_precise_coordinates_on_another_day() {
        let r = PlaceRules::default();
        let p = GeoPoint::new(-6.2086231, 106.8457412);
        let a = fix(1, "2026-11-02T00:10:00Z", p, 12.4, 15.2);
        let same_day = fix(2, "2026-11-02T08:10:00Z", p, 12.4, 15.2);
        assert!(place_signals(&same_day, &[a], &r).is_empty());
        let next_day = fix(3, "2026-11-03T00:10:00Z", p, 12.9, 15.2);
        let s = place_signals(&next_day, &[a, same_day], &r);
        assert_eq!(kinds(&s), ["same_position"]);
        assert!(s[0].detail().contains("2026-11-02"));
        // Coarse coordinates (3 decimals) repeat honestly.
        let coarse = GeoPoint::new(-6.209, 106.846);
        let c1 = fix(4, "2026-11-02T00:10:00Z", coarse, 12.4, 30.0);
        let c2 = fix(5, "2026-11-03T00:10:00Z", coarse, 12.4, 30.0);
        assert!(place_signals(&c2, &[c1], &r).is_empty());
    }

    #[test]
    fn exactly_at_the_centre_and_mock_accuracy() {
        let r = PlaceRules::default();
        let at_centre = fix(1, "2026-11-02T00:10:00Z", OFFICE, 12.4, 0.0);
        assert_eq!(kinds(&place_signals(&at_centre, &[], &r)), ["at_centre"]);
        let zero = fix(2, "2026-11-02T00:10:00Z", offset_north(OFFICE, 10.5), 0.0, 10.5);
        assert_eq!(kinds(&place_signals(&zero, &[], &r)), ["mock_accuracy"]);
        // 5.0 m four times before and now: a fifth in a row fires, four do not.
        let prior: Vec<Fix> = (0..4)
            .map(|i| {
                fix(
                    10 + i,
                    &format!("2026-11-0{}T00:10:00Z", i + 2),
                    offset_north(OFFICE, 10.0 + i as f64 * 1.37),
                    5.0,
                    10.0,
                )
            })
            .collect();
        let now = fix(20, "2026-11-06T00:10:00Z", offset_north(OFFICE, 17.21), 5.0, 17.21);
        let s = place_signals(&now, &prior, &r);
        assert_eq!(kinds(&s), ["mock_accuracy"]);
        assert!(s[0].detail().contains("5 absen"), "{}", s[0].detail());
        assert!(place_signals(&now, &prior[1..], &r).is_empty());
        // Fractional accuracies never fire however often they repeat.
        let prior: Vec<Fix> = prior.iter().map(|f| Fix { accuracy_m: Some(5.5), ..*f }).collect();
        assert!(place_signals(&Fix { accuracy_m: Some(5.5), ..now }, &prior, &r).is_empty());
    }

    #[test]
    fn decimals_of_the_shortest_form() {
        assert_eq!(decimals(-6.2087634), 7);
        assert_eq!(decimals(106.5), 1);
        assert_eq!(decimals(10.0), 0);
    }
}
