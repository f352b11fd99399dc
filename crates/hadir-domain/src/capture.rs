//! When a phone capture sent late may count at once (issue 16): a punch counts when its channel
//! proves the person was there then. A capture received within the tolerance does; an older one
//! only when the delay is the server's own fault (down after an unclean stop, or overloaded) or a
//! declared outage of the unit; otherwise it waits for a person's decision. Some captures are
//! refused outright (too old, impossible dates).

use jiff::{SignedDuration, Timestamp};

/// One run of one server instance, from its start to its last heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerRun {
    pub started_at: Timestamp,
    pub last_alive: Timestamp,
    /// Stopped cleanly (a planned stop): the gap after it is not a fault.
    pub clean: bool,
}

/// Whether the server was down at `t` through its own fault: no run covers `t`, the last run
/// that ended before `t` did not stop cleanly, and a later run started (the server came back).
/// Without a run before `t` there is no evidence of a fault.
pub fn server_down_at(runs: &[ServerRun], t: Timestamp) -> bool {
    if runs.iter().any(|r| r.started_at <= t && t <= r.last_alive) {
        return false;
    }
    let came_back = runs.iter().any(|r| r.started_at > t);
    let last_before = runs.iter().filter(|r| r.last_alive < t).max_by_key(|r| r.last_alive);
    came_back && last_before.is_some_and(|r| !r.clean)
}

/// What to do with a capture, by its age at receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureAge {
    /// Within the tolerance: the capture time is the punch time.
    Fresh,
    /// Older than the tolerance but within the backlog limit: counts only with a reason.
    Late { minutes: i64 },
    /// More than the tolerance ahead of the server clock.
    Ahead { secs: i64 },
    /// Older than the backlog limit.
    TooOld { hours: i64 },
    /// Outside the years 2000–2100.
    Impossible,
}

pub fn capture_age(
    captured: Timestamp,
    received: Timestamp,
    tolerance: SignedDuration,
    max_age: SignedDuration,
) -> CaptureAge {
    if !crate::years::accepted_instant(captured) {
        return CaptureAge::Impossible;
    }
    let gap = received.duration_since(captured);
    if gap < -tolerance {
        CaptureAge::Ahead { secs: -gap.as_secs() }
    } else if gap <= tolerance {
        CaptureAge::Fresh
    } else if gap > max_age {
        CaptureAge::TooOld { hours: gap.as_hours() }
    } else {
        CaptureAge::Late { minutes: gap.as_mins() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }
    fn run(a: i64, b: i64, clean: bool) -> ServerRun {
        ServerRun { started_at: at(a), last_alive: at(b), clean }
    }

    #[test]
    fn down_only_between_an_unclean_stop_and_the_next_start() {
        let killed = [run(0, 100, false), run(700, 900, false)];
        let planned = [run(0, 100, true), run(700, 900, false)];
        let cases: &[(&[ServerRun], i64, bool, &str)] = &[
            (&killed, 50, false, "inside the first run"),
            (&killed, 100, false, "at the last beat"),
            (&killed, 101, true, "just after the last beat of a killed run"),
            (&killed, 400, true, "in the gap"),
            (&killed, 699, true, "just before the restart"),
            (&killed, 700, false, "at the restart"),
            (&killed, 950, false, "after the last beat of the running instance: it has not come back"),
            (&planned, 400, false, "a planned stop is not a fault"),
            (&[], 400, false, "no evidence"),
            (&killed[1..], 400, false, "no run before"),
        ];
        for (runs, t, want, why) in cases {
            assert_eq!(server_down_at(runs, at(*t)), *want, "{why}");
        }
    }

    #[test]
    fn another_instance_serving_means_not_down() {
        let runs = [run(0, 100, false), run(50, 1000, false), run(700, 900, false)];
        assert!(!server_down_at(&runs, at(400)));
    }

    #[test]
    fn ages() {
        let tol = SignedDuration::from_secs(120);
        let max = SignedDuration::from_hours(72);
        let r = at(0);
        let cases = [
            (at(0), CaptureAge::Fresh),
            (at(-120), CaptureAge::Fresh),
            (at(120), CaptureAge::Fresh),
            (at(121), CaptureAge::Ahead { secs: 121 }),
            (at(-121), CaptureAge::Late { minutes: 2 }),
            (at(-72 * 3600), CaptureAge::Late { minutes: 72 * 60 }),
            (at(-72 * 3600 - 1), CaptureAge::TooOld { hours: 72 }),
            (at(-12 * 86400), CaptureAge::TooOld { hours: 288 }),
        ];
        for (cap, want) in cases {
            assert_eq!(capture_age(cap, r, tol, max), want, "{cap}");
        }
        let year1 = Timestamp::from_second(-62_135_596_800).unwrap();
        assert_eq!(capture_age(year1, r, tol, max), CaptureAge::Impossible);
        let y2101 = "2101-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(capture_age(y2101, y2101, tol, max), CaptureAge::Impossible);
    }

    proptest! {
        #[test]
        fn covered_instants_are_never_down(starts in proptest::collection::vec((0i64..10_000, 0i64..5_000, any::<bool>()), 0..6), t in 0i64..15_000) {
            let runs: Vec<ServerRun> = starts.iter().map(|(a, len, c)| run(*a, a + len, *c)).collect();
            let covered = runs.iter().any(|r| r.started_at <= at(t) && at(t) <= r.last_alive);
            if covered {
                prop_assert!(!server_down_at(&runs, at(t)));
            }
            if runs.iter().all(|r| r.clean) {
                prop_assert!(!server_down_at(&runs, at(t)));
            }
        }
    }
}
