//! Issue 25: a channel policy in the day evaluation — a punch through a channel that does not
//! count is listed as not counted (and the day evaluated without it); people whose attendance
//! is not recorded yet get BELUM_AKTIF, never TK; the policy applies from its date only.

mod common;

use common::Fx;
use hadir_domain::channels::{Channel, ChannelPolicy, resolve};
use hadir_domain::*;
use jiff::civil::{Date, date};

const MON: Date = date(2026, 3, 2);
const TUE: Date = date(2026, 3, 3);

fn policy(from: Date, channels: &[Channel], recorded: bool) -> ChannelPolicy {
    ChannelPolicy {
        id: 1,
        unit_path: Some("/1/4/".into()),
        category: Some("HONORER".into()),
        effective_from: from,
        channels: channels.to_vec(),
        recorded,
    }
}

fn eval(fx: &Fx, d: Date, policies: &[ChannelPolicy]) -> DayRecord {
    let schedule = fx.calendar.resolve(d, &fx.roster).unwrap();
    let p = resolve(policies, "/1/4/9/", "HONORER", d);
    let input =
        DayInput { punches: &fx.punches, channels: p, ..DayInput::new(d, &fx.tz, &schedule, &fx.rules, fx.now) };
    evaluate_day(&input)
}

fn with_source(fx: &mut Fx, source: &str) {
    for p in &mut fx.punches {
        p.source = source.into();
    }
}

#[test]
fn a_channel_that_does_not_count_from_its_date() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:20", "16:05"]).punch(TUE, &["07:20", "16:05"]);
    with_source(&mut fx, "mobile");
    let only_terminal = [policy(TUE, &[Channel::Terminal, Channel::Relay], true)];
    // (date, status, punches not counted)
    let table = [(MON, DayStatus::Hadir, 0), (TUE, DayStatus::Tk, 2)];
    for (d, status, ignored) in table {
        let r = eval(&fx, d, &only_terminal);
        assert_eq!(r.status, status, "{d}: {}", r.explanation);
        let not_counted: Vec<_> =
            r.ignored_punches.iter().filter(|i| i.reason == IgnoreReason::ChannelNotCounted).collect();
        assert_eq!(not_counted.len(), ignored, "{d}");
        for i in not_counted {
            assert!(i.explanation.contains("lewat aplikasi ponsel tidak dihitung"), "{}", i.explanation);
            assert!(i.explanation.contains("2026-03-03"), "{}", i.explanation);
        }
    }
    // The same punches from a terminal count on both days.
    with_source(&mut fx, "terminal");
    for d in [MON, TUE] {
        assert_eq!(eval(&fx, d, &only_terminal).status, DayStatus::Hadir, "{d}");
    }
}

#[test]
fn not_recorded_yet_is_never_tk_and_only_from_its_date() {
    let fx = Fx::wib(); // no punches at all
    let not_yet = [policy(TUE, &[], false)];
    let mon = eval(&fx, MON, &not_yet);
    assert_eq!(mon.status, DayStatus::Tk, "the day before the policy: {}", mon.explanation);
    let tue = eval(&fx, TUE, &not_yet);
    assert_eq!(tue.status, DayStatus::BelumAktif, "{}", tue.explanation);
    assert!(tue.explanation.contains("belum dicatat") && tue.explanation.contains("2026-03-03"), "{}", tue.explanation);
    assert_eq!(tue.deduction, Percent::ZERO);
    // Recording starts again with a later row: from its date, TK counts again.
    let later = [
        policy(TUE, &[], false),
        ChannelPolicy {
            id: 2,
            effective_from: date(2026, 3, 4),
            recorded: true,
            channels: Channel::ALL.to_vec(),
            ..policy(TUE, &[], true)
        },
    ];
    assert_eq!(eval(&fx, TUE, &later).status, DayStatus::BelumAktif);
    assert_eq!(eval(&fx, date(2026, 3, 4), &later).status, DayStatus::Tk);
}
