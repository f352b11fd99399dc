//! Matching punches to checkpoints by time, as terminals do (nobody picks "in" or "out").
//!
//! Checkpoints are taken in schedule order. A check-in or presence checkpoint takes the
//! earliest unused punch in its window, a check-out the latest. Each punch serves at most
//! one checkpoint, and a checkpoint only considers punches after the one matched to the
//! checkpoint before it, so a lone 08:00 punch is `masuk`, never also `pulang`, even when the
//! windows overlap.

use crate::schedule::{Checkpoint, CheckpointKind};
use jiff::Timestamp;

/// A punch-like fact: a raw punch, or an approved entry that counts as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mark {
    pub punch_id: Option<i64>,
    pub request_id: Option<i64>,
    pub source: String,
    pub at: Timestamp,
    /// Local minute relative to the schedule date's midnight.
    pub minute: i64,
    /// Set when an approved entry names the checkpoint it is for.
    pub forced_checkpoint: Option<String>,
}

/// Per checkpoint, the index of the matched mark. `marks` must be sorted chronologically.
pub(crate) fn assign(checkpoints: &[Checkpoint], marks: &[Mark]) -> Vec<Option<usize>> {
    let mut used = vec![false; marks.len()];
    let mut result = Vec::with_capacity(checkpoints.len());
    // A forced mark is reserved for its checkpoint and never enters the pool.
    let forced: Vec<Option<usize>> = checkpoints
        .iter()
        .map(|cp| marks.iter().rposition(|m| m.forced_checkpoint.as_deref() == Some(cp.name.as_str())))
        .collect();
    for (i, m) in marks.iter().enumerate() {
        if m.forced_checkpoint.is_some() {
            used[i] = true;
        }
    }
    let mut after: Option<usize> = None;
    for (ci, cp) in checkpoints.iter().enumerate() {
        let chosen = forced[ci].or_else(|| {
            let mut candidates = marks
                .iter()
                .enumerate()
                .filter(|(i, m)| !used[*i] && after.is_none_or(|a| *i > a) && cp.window_contains(m.minute));
            match cp.kind {
                CheckpointKind::CheckIn | CheckpointKind::Presence => candidates.next(),
                CheckpointKind::CheckOut => candidates.next_back(),
            }
            .map(|(i, _)| i)
        });
        if let Some(i) = chosen {
            used[i] = true;
            after = Some(i);
        }
        result.push(chosen);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day_time::DayTime;
    use crate::schedule::WeeklyPattern;

    fn marks(minutes: &[i64]) -> Vec<Mark> {
        minutes
            .iter()
            .enumerate()
            .map(|(i, &minute)| Mark {
                punch_id: Some(i as i64),
                request_id: None,
                source: "test".into(),
                at: Timestamp::from_second(minute * 60).unwrap(),
                minute,
                forced_checkpoint: None,
            })
            .collect()
    }

    #[test]
    fn single_punch_is_check_in_even_with_overlapping_windows() {
        let mut day = WeeklyPattern::perpres_21_2023().monday.unwrap();
        day.checkpoints[1].window_start = DayTime::hm(7, 0);
        assert_eq!(assign(&day.checkpoints, &marks(&[480])), [Some(0), None]);
        assert_eq!(assign(&day.checkpoints, &marks(&[440, 480, 970, 975])), [Some(0), Some(3)]);
    }

    #[test]
    fn three_punch_order() {
        let day = WeeklyPattern::three_punch().monday.unwrap();
        // 07:25, 11:35, 12:40, 16:05: siang takes 11:35, pulang the latest.
        let m = marks(&[445, 695, 760, 965]);
        assert_eq!(assign(&day.checkpoints, &m), [Some(0), Some(1), Some(3)]);
        // Missed midday: 07:25, 16:05.
        let m = marks(&[445, 965]);
        assert_eq!(assign(&day.checkpoints, &m), [Some(0), None, Some(1)]);
    }
}
