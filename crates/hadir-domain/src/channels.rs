//! Channel policy (issue 25): per unit subtree and employee category, from a date, which
//! channels' punches count (terminal, mobile app, kiosk QR, relay network) and whether the
//! category's attendance is recorded at all yet ("honorer belum").
//!
//! Resolution for one person and date: among the policies in force on the date (effective from
//! on or before it) whose unit is the person's unit or an ancestor (or the whole regency) and
//! whose category is the person's (or any), the most specific wins: the deepest unit first,
//! then a named category over "any", then the latest date. No policy: every channel counts and
//! attendance is recorded (the behaviour before policies existed).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A way a punch reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A fingerprint/face terminal pushing over HTTP (and its exported log files).
    Terminal,
    /// The employee app (selfie + GPS).
    Mobile,
    /// A kiosk showing a QR code that the app scans.
    Kiosk,
    /// A terminal read by an office relay.
    Relay,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Terminal, Channel::Mobile, Channel::Kiosk, Channel::Relay];

    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Terminal => "terminal",
            Channel::Mobile => "mobile",
            Channel::Kiosk => "kiosk",
            Channel::Relay => "relay",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Indonesian name for explanations and the console.
    pub fn label(&self) -> &'static str {
        match self {
            Channel::Terminal => "mesin absen",
            Channel::Mobile => "aplikasi ponsel",
            Channel::Kiosk => "kios QR",
            Channel::Relay => "penerus data kantor",
        }
    }

    /// The channel of a stored punch by its source (`terminal`, `mobile`, `relay`, `kiosk`…).
    /// Sources that are no channel (approved special attendance, corrections) give `None` and
    /// are never restricted by a policy.
    pub fn of_source(source: &str) -> Option<Channel> {
        match source {
            "terminal" => Some(Channel::Terminal),
            "mobile" => Some(Channel::Mobile),
            "relay" => Some(Channel::Relay),
            "kiosk" | "kiosk_qr" | "qr" => Some(Channel::Kiosk),
            _ => None,
        }
    }
}

/// One dated policy row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPolicy {
    pub id: i64,
    /// Materialised path of the unit (`/1/4/`); `None`: the whole regency.
    pub unit_path: Option<String>,
    /// `PNS`, `PPPK`, `HONORER`; `None`: every category.
    pub category: Option<String>,
    pub effective_from: Date,
    /// Channels whose punches count. Empty with `recorded`: no punch counts.
    pub channels: Vec<Channel>,
    /// False: attendance of these people is not recorded yet (no day is TK).
    pub recorded: bool,
}

impl ChannelPolicy {
    pub fn counts(&self, c: Channel) -> bool {
        self.channels.contains(&c)
    }

    /// Does this row apply to a person of `category` in the unit at `unit_path` (any date)?
    pub fn applies_to(&self, unit_path: &str, category: &str) -> bool {
        self.unit_path.as_deref().is_none_or(|p| unit_path.starts_with(p))
            && self.category.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(category))
    }

    fn rank(&self) -> (usize, bool, Date, i64) {
        (self.unit_path.as_deref().map_or(0, str::len), self.category.is_some(), self.effective_from, self.id)
    }
}

/// The rows that may apply to a person of `category` in `unit_path` on some date (what a day
/// context keeps, so each day only picks by date).
pub fn applicable(policies: &[ChannelPolicy], unit_path: &str, category: &str) -> Vec<ChannelPolicy> {
    policies.iter().filter(|p| p.applies_to(unit_path, category)).cloned().collect()
}

/// The policy in force on `date` among rows already [`applicable`] to the person.
pub fn in_force(applicable: &[ChannelPolicy], date: Date) -> Option<&ChannelPolicy> {
    applicable.iter().filter(|p| p.effective_from <= date).max_by_key(|p| p.rank())
}

/// The policy for a person of `category` in `unit_path` on `date`.
pub fn resolve<'a>(
    policies: &'a [ChannelPolicy],
    unit_path: &str,
    category: &str,
    date: Date,
) -> Option<&'a ChannelPolicy> {
    policies.iter().filter(|p| p.applies_to(unit_path, category) && p.effective_from <= date).max_by_key(|p| p.rank())
}

/// Does a punch from `source` count under `policy`? Sources that are no channel always do.
pub fn source_counts(policy: Option<&ChannelPolicy>, source: &str) -> bool {
    match (policy, Channel::of_source(source)) {
        (Some(p), Some(c)) => p.counts(c),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn row(
        id: i64,
        unit: Option<&str>,
        cat: Option<&str>,
        from: Date,
        ch: &[Channel],
        recorded: bool,
    ) -> ChannelPolicy {
        ChannelPolicy {
            id,
            unit_path: unit.map(Into::into),
            category: cat.map(Into::into),
            effective_from: from,
            channels: ch.to_vec(),
            recorded,
        }
    }

    #[test]
    fn the_most_specific_row_in_force_wins() {
        use Channel::*;
        let d1 = date(2026, 1, 1);
        let d2 = date(2026, 3, 1);
        let rows = vec![
            row(1, None, None, d1, &[Terminal, Mobile, Kiosk, Relay], true),
            row(2, Some("/1/4/"), None, d1, &[Terminal, Relay], true),
            row(3, Some("/1/4/"), Some("HONORER"), d2, &[], false),
            row(4, None, Some("PPPK"), d1, &[Mobile], true),
            row(5, Some("/1/4/"), None, d2, &[Mobile], true),
        ];
        // (unit path, category, date) → expected row id.
        let table: &[(&str, &str, Date, Option<i64>)] = &[
            ("/1/", "PNS", date(2025, 12, 31), None),            // before every row
            ("/1/", "PNS", d1, Some(1)),                         // regency-wide
            ("/1/7/", "PPPK", d1, Some(4)),                      // category beats "any" at the same depth
            ("/1/4/", "PPPK", d1, Some(2)),                      // the deeper unit beats a category
            ("/1/4/17/", "PNS", date(2026, 2, 28), Some(2)),     // a subunit inherits its ancestor's row
            ("/1/4/17/", "PNS", d2, Some(5)),                    // a later row for the same unit, from its date
            ("/1/4/17/", "HONORER", date(2026, 2, 28), Some(2)), // the day before the honorer row
            ("/1/4/17/", "honorer", d2, Some(3)),                // from its date (category case-insensitive)
            ("/1/40/", "PNS", d2, Some(1)),                      // /1/4/ is not an ancestor of /1/40/
        ];
        for (path, cat, d, want) in table {
            let got = resolve(&rows, path, cat, *d).map(|p| p.id);
            assert_eq!(got, *want, "{path} {cat} {d}");
            let pre = applicable(&rows, path, cat);
            assert_eq!(in_force(&pre, *d).map(|p| p.id), *want, "{path} {cat} {d} (pre-filtered)");
        }
    }

    #[test]
    fn which_sources_count() {
        use Channel::*;
        let only_terminal = row(1, None, None, date(2026, 1, 1), &[Terminal, Relay], true);
        let table: &[(Option<&ChannelPolicy>, &str, bool)] = &[
            (None, "mobile", true),
            (None, "terminal", true),
            (Some(&only_terminal), "terminal", true),
            (Some(&only_terminal), "relay", true),
            (Some(&only_terminal), "mobile", false),
            (Some(&only_terminal), "kiosk", false),
            // Approved special attendance and corrections are not channels.
            (Some(&only_terminal), "special", true),
            (Some(&only_terminal), "keberatan #4", true),
        ];
        for (p, src, want) in table {
            assert_eq!(source_counts(*p, src), *want, "{src}");
        }
        assert_eq!(Channel::parse(" kiosk "), Some(Kiosk));
        assert_eq!(Channel::parse("fax"), None);
    }
}
