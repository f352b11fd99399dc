//! PP 94/2021 sanction ladder for unexcused absence (TK) of PNS, counted per calendar year:
//! where an employee stands and what comes next, so heads and BKD are warned in time.

use crate::day_record::DayRecord;
use crate::status::DayStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SanctionLevel {
    Ringan,
    Sedang,
    Berat,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanctionStep {
    /// First TK day count at which the step applies.
    pub from_days: u32,
    /// Last day count of the step (`null` for the final step).
    pub to_days: Option<u32>,
    pub level: SanctionLevel,
    /// Indonesian label, e.g. "teguran lisan".
    pub label: String,
}

/// (from, to, level, label) per PP 94/2021 art. 9–11.
const LADDER: [(u32, Option<u32>, SanctionLevel, &str); 9] = [
    (3, Some(3), SanctionLevel::Ringan, "teguran lisan"),
    (4, Some(6), SanctionLevel::Ringan, "teguran tertulis"),
    (7, Some(10), SanctionLevel::Ringan, "pernyataan tidak puas secara tertulis"),
    (11, Some(13), SanctionLevel::Sedang, "pemotongan tunjangan kinerja 25% selama 6 bulan"),
    (14, Some(16), SanctionLevel::Sedang, "pemotongan tunjangan kinerja 25% selama 9 bulan"),
    (17, Some(20), SanctionLevel::Sedang, "pemotongan tunjangan kinerja 25% selama 12 bulan"),
    (21, Some(24), SanctionLevel::Berat, "penurunan jabatan setingkat lebih rendah selama 12 bulan"),
    (25, Some(27), SanctionLevel::Berat, "pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
    (28, None, SanctionLevel::Berat, "pemberhentian dengan hormat tidak atas permintaan sendiri sebagai PNS"),
];

/// Consecutive TK working days that lead to dismissal regardless of the yearly count.
pub const CONSECUTIVE_TK_DISMISSAL: u32 = 10;

fn step(i: usize) -> SanctionStep {
    let (from_days, to_days, level, label) = LADDER[i];
    SanctionStep { from_days, to_days, level, label: label.to_string() }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanctionStatus {
    pub tk_days: u32,
    pub consecutive_tk_days: u32,
    pub current: Option<SanctionStep>,
    pub next: Option<SanctionStep>,
    /// TK days left before `next` applies.
    pub days_to_next: Option<u32>,
    pub message: String,
}

/// Where `tk_days` (TK days this calendar year) and the longest run of consecutive TK working
/// days put the employee on the ladder.
pub fn tk_sanction(tk_days: u32, consecutive_tk_days: u32) -> SanctionStatus {
    let last = LADDER.len() - 1;
    let by_count = LADDER.iter().rposition(|(from, ..)| tk_days >= *from);
    let dismissed_by_run = consecutive_tk_days >= CONSECUTIVE_TK_DISMISSAL;
    let current_idx = if dismissed_by_run { Some(last) } else { by_count };
    let next_idx = match current_idx {
        Some(i) if i == last => None,
        Some(i) => Some(i + 1),
        None => Some(0),
    };
    let current = current_idx.map(step);
    let next = next_idx.map(step);
    let days_to_next = next.as_ref().map(|n| n.from_days.saturating_sub(tk_days));
    let message = match (&current, &next, days_to_next) {
        (Some(c), _, _) if dismissed_by_run => {
            format!("{consecutive_tk_days} hari kerja berturut-turut TK: {} (hukuman disiplin berat).", c.label)
        }
        (Some(c), Some(n), Some(d)) => {
            format!("{tk_days} hari TK tahun ini: {}. {d} hari TK lagi: {}.", c.label, n.label)
        }
        (Some(c), None, _) => format!("{tk_days} hari TK tahun ini: {}.", c.label),
        (None, Some(n), Some(d)) => {
            format!("{tk_days} hari TK tahun ini. {d} hari TK lagi: {}.", n.label)
        }
        _ => format!("{tk_days} hari TK tahun ini."),
    };
    SanctionStatus { tk_days, consecutive_tk_days, current, next, days_to_next, message }
}

/// The longest run of consecutive TK working days in `records` (any order). Non-working days
/// (LIBUR, BELUM_AKTIF) neither extend nor break a run; any other status breaks it.
pub fn longest_tk_run(records: &[DayRecord]) -> u32 {
    let mut sorted: Vec<&DayRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.date);
    let (mut best, mut run) = (0, 0);
    for r in sorted {
        match r.status {
            DayStatus::Tk => {
                run += 1;
                best = best.max(run);
            }
            s if !s.is_working_day() => {}
            _ => run = 0,
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_steps() {
        let s = tk_sanction(0, 0);
        assert!(s.current.is_none());
        assert_eq!(s.next.unwrap().label, "teguran lisan");
        assert_eq!(s.days_to_next, Some(3));
        let s = tk_sanction(3, 1);
        assert_eq!(s.current.unwrap().label, "teguran lisan");
        assert_eq!(s.days_to_next, Some(1));
        let s = tk_sanction(10, 2);
        assert_eq!(s.current.unwrap().from_days, 7);
        assert_eq!(s.next.as_ref().unwrap().from_days, 11);
        assert_eq!(
            s.message,
            "10 hari TK tahun ini: pernyataan tidak puas secara tertulis. 1 hari TK lagi: \
             pemotongan tunjangan kinerja 25% selama 6 bulan."
        );
        let s = tk_sanction(13, 0);
        assert_eq!(s.current.unwrap().level, SanctionLevel::Sedang);
        let s = tk_sanction(28, 0);
        assert_eq!(s.current.unwrap().level, SanctionLevel::Berat);
        assert!(s.next.is_none());
        let s = tk_sanction(10, 10);
        assert_eq!(s.current.unwrap().from_days, 28);
    }
}
