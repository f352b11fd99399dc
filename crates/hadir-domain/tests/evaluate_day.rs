//! Table tests of `evaluate_day` (issue 3, "Done means").

mod common;

use common::{Fx, cp, pct};
use hadir_domain::*;
use jiff::civil::{Date, date};

const MON: Date = date(2025, 11, 3);
const TUE: Date = date(2025, 11, 4);
const FRI: Date = date(2025, 11, 7);
const SAT: Date = date(2025, 11, 8);

/// "HH:MM" `m` minutes after (positive) or before (negative) `base` "HH:MM".
fn shift(base: &str, m: i32) -> String {
    let (h, mm) = base.split_once(':').unwrap();
    let t = h.parse::<i32>().unwrap() * 60 + mm.parse::<i32>().unwrap() + m;
    format!("{:02}:{:02}", t / 60, t % 60)
}

#[test]
fn on_time_day() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:25", "16:05"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    assert!(r.closed);
    assert_eq!(r.deduction, Percent::ZERO);
    assert_eq!(cp(&r, "masuk").outcome, CheckpointOutcome::OnTime);
    assert_eq!(cp(&r, "masuk").minutes_late, Some(0));
    assert_eq!(cp(&r, "pulang").minutes_early, Some(0));
    assert_eq!(cp(&r, "masuk").explanation, "Masuk 07:25 WIB, jadwal 07:30: tepat waktu.");
    assert_eq!(r.required_minutes, 450);
    assert_eq!(r.worked_minutes, 460); // 07:25–16:05 less the 60-minute break
    assert!(r.ignored_punches.is_empty());
    assert_eq!(r.explanation, "Hadir (pola mingguan Standar Perpres 21/2023 (Senin)), tanpa potongan.");
}

#[test]
fn late_brackets_without_and_with_grace() {
    // (minutes late, grace, code, hundredths of a percent)
    let table: &[(i32, u32, Option<&str>, u32)] = &[
        (0, 0, None, 0),
        (1, 0, Some("TL1"), 50),
        (30, 0, Some("TL1"), 50),
        (31, 0, Some("TL2"), 100),
        (60, 0, Some("TL2"), 100),
        (61, 0, Some("TL3"), 125),
        (90, 0, Some("TL3"), 125),
        (91, 0, Some("TL4"), 150),
        (5, 5, None, 0),
        (6, 5, Some("TL1"), 50),
        (30, 5, Some("TL1"), 50),
        (31, 5, Some("TL2"), 100),
        (60, 5, Some("TL2"), 100),
        (61, 5, Some("TL3"), 125),
        (90, 5, Some("TL3"), 125),
        (91, 5, Some("TL4"), 150),
    ];
    for &(late, grace, code, h) in table {
        let mut fx = Fx::wib();
        fx.rules.grace_minutes = grace;
        fx.punch(MON, &[&shift("07:30", late), "16:00"]);
        let r = fx.eval(MON);
        let m = cp(&r, "masuk");
        assert_eq!(m.minutes_late, Some(late as u32), "late {late} grace {grace}");
        assert_eq!(m.code.as_deref(), code, "late {late} grace {grace}");
        assert_eq!(m.deduction, pct(h), "late {late} grace {grace}");
        assert_eq!(r.deduction, pct(h));
        assert_eq!(r.status, DayStatus::Hadir);
        let expected = if code.is_some() { CheckpointOutcome::Late } else { CheckpointOutcome::OnTime };
        assert_eq!(m.outcome, expected);
    }
}

#[test]
fn seconds_are_dropped_like_the_displayed_time() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:30:59", "15:59:59"]);
    let r = fx.eval(MON);
    assert_eq!(cp(&r, "masuk").minutes_late, Some(0));
    assert_eq!(cp(&r, "pulang").minutes_early, Some(1));
    assert_eq!(cp(&r, "pulang").code.as_deref(), Some("PSW1"));
}

#[test]
fn late_explanation_names_the_rule() {
    let mut fx = Fx::new("Asia/Makassar");
    fx.punch(MON, &["07:42", "16:00"]);
    let r = fx.eval(MON);
    assert_eq!(
        cp(&r, "masuk").explanation,
        "Masuk 07:42 WITA, jadwal 07:30: terlambat 12 menit → TL1 (0,5%) menurut aturan berlaku sejak 2025-01-01."
    );
    assert_eq!(
        r.explanation,
        "Hadir (pola mingguan Standar Perpres 21/2023 (Senin)): TL1 → potongan 0,5% menurut aturan berlaku sejak 2025-01-01."
    );
}

#[test]
fn early_leave_brackets() {
    let table: &[(i32, u32, Option<&str>, u32)] = &[
        (0, 0, None, 0),
        (1, 0, Some("PSW1"), 50),
        (30, 0, Some("PSW1"), 50),
        (31, 0, Some("PSW2"), 100),
        (60, 0, Some("PSW2"), 100),
        (61, 0, Some("PSW3"), 125),
        (90, 0, Some("PSW3"), 125),
        (91, 0, Some("PSW4"), 150),
        (10, 10, None, 0),
        (11, 10, Some("PSW1"), 50),
    ];
    for &(early, grace, code, h) in table {
        let mut fx = Fx::wib();
        fx.rules.early_grace_minutes = grace;
        fx.punch(TUE, &["07:20", &shift("16:00", -early)]);
        let r = fx.eval(TUE);
        let p = cp(&r, "pulang");
        assert_eq!(p.minutes_early, Some(early as u32), "early {early}");
        assert_eq!(p.code.as_deref(), code, "early {early}");
        assert_eq!(r.deduction, pct(h), "early {early}");
    }
    let mut fx = Fx::wib();
    fx.punch(TUE, &["07:20", "15:40"]);
    assert_eq!(
        cp(&fx.eval(TUE), "pulang").explanation,
        "Pulang 15:40 WIB, jadwal 16:00: pulang lebih awal 20 menit → PSW1 (0,5%) menurut aturan berlaku sejak 2025-01-01."
    );
}

#[test]
fn missing_check_in_counts_as_tl4() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["16:05"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    let m = cp(&r, "masuk");
    assert_eq!(m.outcome, CheckpointOutcome::Missing);
    assert_eq!(m.code.as_deref(), Some("TL4"));
    assert_eq!(m.deduction, pct(150));
    assert_eq!(
        m.explanation,
        "Tidak ada presensi masuk (jendela 06:00–10:00 WIB) → TL4 (1,5%) menurut aturan berlaku sejak 2025-01-01."
    );
    assert_eq!(r.deduction, pct(150));
    assert_eq!(r.worked_minutes, 0);
}

#[test]
fn missing_check_out_counts_as_psw4() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:25"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    assert_eq!(cp(&r, "pulang").code.as_deref(), Some("PSW4"));
    assert_eq!(r.deduction, pct(150));
}

#[test]
fn single_punch_in_overlapping_windows_is_masuk() {
    let mut fx = Fx::wib();
    if let Some(d) = fx.calendar.weekly.monday.as_mut() {
        d.checkpoints[1].window_start = DayTime::hm(7, 0);
    }
    fx.punch(MON, &["08:00"]);
    let r = fx.eval(MON);
    assert_eq!(cp(&r, "masuk").punch.as_ref().unwrap().time, "08:00");
    assert!(cp(&r, "pulang").punch.is_none());
}

#[test]
fn duplicates_are_listed_not_used() {
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:20", "07:21", "07:25", "16:00", "16:05", "05:00"]);
    let r = fx.eval(MON);
    assert_eq!(cp(&r, "masuk").punch.as_ref().unwrap().time, "07:20");
    assert_eq!(cp(&r, "pulang").punch.as_ref().unwrap().time, "16:05");
    let ignored: Vec<(&str, IgnoreReason)> =
        r.ignored_punches.iter().map(|i| (i.punch.time.as_str(), i.reason)).collect();
    assert_eq!(
        ignored,
        [
            ("05:00", IgnoreReason::OutsideWindows),
            ("07:21", IgnoreReason::Duplicate),
            ("07:25", IgnoreReason::Duplicate),
            ("16:00", IgnoreReason::Duplicate),
        ]
    );
    assert_eq!(r.ignored_punches[1].explanation, "Presensi 07:21 WIB diabaikan: masuk sudah tercatat pukul 07:20");
    assert_eq!(r.deduction, Percent::ZERO);
}

#[test]
fn three_punch_day_with_missed_midday() {
    let mut fx = Fx::wib();
    fx.calendar = Calendar::three_punch();
    fx.punch(MON, &["07:25", "16:05"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    let s = cp(&r, "siang");
    assert_eq!(s.outcome, CheckpointOutcome::Missing);
    assert_eq!(s.code.as_deref(), Some("TPS"));
    assert_eq!(s.deduction, Percent::ZERO); // national default sets no number
    assert_eq!(cp(&r, "pulang").punch.as_ref().unwrap().time, "16:05");

    // A regency that deducts for a missed midday punch.
    fx.rules.missing_presence.percent = pct(50);
    let r = fx.eval(MON);
    assert_eq!(r.deduction, pct(50));

    // With the midday punch: present, no minutes.
    fx.punch(MON, &["12:05"]);
    let r = fx.eval(MON);
    let s = cp(&r, "siang");
    assert_eq!(s.outcome, CheckpointOutcome::Present);
    assert_eq!(s.minutes_late, None);
    assert_eq!(r.deduction, Percent::ZERO);
}

#[test]
fn friday_schedule() {
    let mut fx = Fx::wib();
    fx.punch(FRI, &["07:30", "16:10"]);
    let r = fx.eval(FRI);
    let p = cp(&r, "pulang");
    assert_eq!(p.due, DayTime::hm(16, 30));
    assert_eq!(p.minutes_early, Some(20));
    assert_eq!(p.code.as_deref(), Some("PSW1"));
    assert_eq!(r.required_minutes, 450); // 07:30–16:30 less 90
    assert!(r.schedule_label.contains("Jumat"));

    let mut fx = Fx::wib();
    fx.punch(FRI, &["07:30", "16:30"]);
    assert_eq!(fx.eval(FRI).deduction, Percent::ZERO);
}

#[test]
fn ramadan_override() {
    let mut fx = Fx::wib();
    fx.calendar.overrides.push(ScheduleOverride::ramadan("Ramadan 1447 H", date(2026, 2, 18), date(2026, 3, 19)));
    let day = date(2026, 2, 23); // Monday
    fx.punch(day, &["07:55", "15:00"]);
    let r = fx.eval(day);
    assert_eq!(r.status, DayStatus::Hadir);
    assert_eq!(r.deduction, Percent::ZERO); // 15:00 would be PSW2 on a normal Monday
    assert_eq!(r.schedule_source, ScheduleSource::Override { name: "Ramadan 1447 H".into() });
    assert_eq!(r.schedule_label, "jadwal Ramadan 1447 H (Senin)");

    let mut fx2 = Fx::wib();
    fx2.calendar = fx.calendar.clone();
    fx2.punch(day, &["08:10", "15:00"]);
    let r = fx2.eval(day);
    assert_eq!(cp(&r, "masuk").minutes_late, Some(10));
    assert_eq!(cp(&r, "masuk").code.as_deref(), Some("TL1"));

    // The day after the override ends: back to the normal week.
    let after = date(2026, 3, 25);
    fx2.punch(after, &["07:55", "15:00"]);
    let r = fx2.eval(after);
    assert_eq!(cp(&r, "masuk").code.as_deref(), Some("TL1"));
    assert_eq!(cp(&r, "pulang").code.as_deref(), Some("PSW2"));
}

#[test]
fn holiday_and_cuti_bersama_are_libur_not_tk() {
    let fx = Fx::wib();
    let natal = fx.eval(date(2025, 12, 25));
    assert_eq!(natal.status, DayStatus::Libur);
    assert_eq!(natal.deduction, Percent::ZERO);
    assert_eq!(natal.explanation, "Libur: Hari Raya Natal (libur nasional).");
    let cb = fx.eval(date(2025, 12, 26));
    assert_eq!(cb.status, DayStatus::Libur);
    assert_eq!(cb.holiday.as_ref().unwrap().kind, HolidayKind::CutiBersama);
    assert_eq!(cb.deduction, Percent::ZERO);

    // Punches on a holiday are listed, with no deduction.
    let mut fx = Fx::wib();
    fx.punch(date(2025, 12, 25), &["09:00"]);
    let r = fx.eval(date(2025, 12, 25));
    assert_eq!(r.status, DayStatus::Libur);
    assert_eq!(r.ignored_punches.len(), 1);
    assert_eq!(r.ignored_punches[0].reason, IgnoreReason::NonWorkingDay);

    // Weekend.
    let r = Fx::wib().eval(SAT);
    assert_eq!(r.status, DayStatus::Libur);
    assert_eq!(r.explanation, "Libur: bukan hari kerja (pola mingguan Standar Perpres 21/2023 (Sabtu)).");
}

#[test]
fn six_day_school_week_saturday() {
    let mut fx = Fx::wib();
    fx.calendar = Calendar::school_six_day();
    fx.punch(SAT, &["07:05", "14:00"]);
    let r = fx.eval(SAT);
    assert_eq!(r.status, DayStatus::Hadir);
    assert_eq!(cp(&r, "masuk").minutes_late, Some(5));
    assert_eq!(cp(&r, "masuk").code.as_deref(), Some("TL1"));
    assert_eq!(r.required_minutes, 390);
    // No punches on a school Saturday is TK, unlike the 5-day week.
    assert_eq!(fx.eval(date(2025, 11, 15)).status, DayStatus::Tk);
}

#[test]
fn overnight_shift() {
    let mut fx = Fx::wib();
    fx.calendar = Calendar::health_shifts();
    fx.roster.push(RosterEntry { date: MON, shift: Some("M".into()) });
    fx.punch(MON, &["20:50"]);
    fx.punch(TUE, &["06:30"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    assert_eq!(r.schedule_label, "shift Malam");
    let p = cp(&r, "pulang");
    assert_eq!(p.due.to_string(), "07:00+1");
    let mp = p.punch.as_ref().unwrap();
    assert!(mp.next_day);
    assert_eq!(mp.at, "2025-11-04T06:30:00+07:00");
    assert_eq!(p.minutes_early, Some(30));
    assert_eq!(p.code.as_deref(), Some("PSW1"));
    assert_eq!(
        p.explanation,
        "Pulang 06:30 (hari berikutnya) WIB, jadwal 07:00 (hari berikutnya): pulang lebih awal 30 menit → PSW1 (0,5%) menurut aturan berlaku sejak 2025-01-01."
    );
    assert_eq!(r.worked_minutes, 580);

    // Before the next morning's window closes the shift is still open.
    let mut open = Fx::wib();
    open.calendar = fx.calendar.clone();
    open.roster = fx.roster.clone();
    open.punch(MON, &["21:10"]);
    open.now = open.at(TUE, "08:00");
    let r = open.eval(MON);
    assert!(!r.closed);
    assert_eq!(cp(&r, "pulang").outcome, CheckpointOutcome::Pending);
    assert_eq!(cp(&r, "masuk").code.as_deref(), Some("TL1"));

    // A rostered shift on a public holiday is worked, not LIBUR.
    let natal = date(2025, 12, 25);
    fx.roster.push(RosterEntry { date: natal, shift: Some("P".into()) });
    fx.punch(natal, &["06:55", "14:05"]);
    let r = fx.eval(natal);
    assert_eq!(r.status, DayStatus::Hadir);
    assert!(r.explanation.contains("Bertugas pada hari libur (Hari Raya Natal)"));
    // A roster "off" day is LIBUR.
    fx.roster.push(RosterEntry { date: FRI, shift: None });
    assert_eq!(fx.eval(FRI).status, DayStatus::Libur);
}

#[test]
fn wita_and_wit_units_use_local_time() {
    // 07:10 WITA is 23:10 UTC the day before, and belongs to today.
    let mut fx = Fx::new("Asia/Makassar");
    fx.punches.push(Punch { id: 1, at: "2025-11-02T23:10:00Z".parse().unwrap(), source: "mobile".into() });
    fx.punch(MON, &["16:00"]);
    let r = fx.eval(MON);
    assert_eq!(r.zone, "WITA");
    assert_eq!(r.timezone, "Asia/Makassar");
    let m = cp(&r, "masuk");
    assert_eq!(m.punch.as_ref().unwrap().time, "07:10");
    assert_eq!(m.punch.as_ref().unwrap().at, "2025-11-03T07:10:00+08:00");
    assert_eq!(m.outcome, CheckpointOutcome::OnTime);
    // The UTC date (2 November, a Sunday) does not see it.
    assert!(fx.eval(date(2025, 11, 2)).ignored_punches.is_empty());

    let mut fx = Fx::new("Asia/Jayapura");
    fx.punches.push(Punch { id: 1, at: "2025-11-02T22:45:00Z".parse().unwrap(), source: "mobile".into() });
    fx.punch(MON, &["16:00"]);
    let r = fx.eval(MON);
    assert_eq!(r.zone, "WIT");
    assert_eq!(
        cp(&r, "masuk").explanation,
        "Masuk 07:45 WIT, jadwal 07:30: terlambat 15 menit → TL1 (0,5%) menurut aturan berlaku sejak 2025-01-01."
    );
}

#[test]
fn punches_at_2359_and_0001_local() {
    let mut fx = Fx::new("Asia/Makassar");
    fx.punch(MON, &["07:20", "16:05", "23:59"]);
    fx.punch(TUE, &["00:01"]); // 16:01 UTC on Monday
    let mon = fx.eval(MON);
    assert_eq!(mon.status, DayStatus::Hadir);
    let strays: Vec<&str> = mon.ignored_punches.iter().map(|i| i.punch.time.as_str()).collect();
    assert_eq!(strays, ["23:59"]);
    assert_eq!(mon.ignored_punches[0].reason, IgnoreReason::OutsideWindows);
    let tue = fx.eval(TUE);
    let strays: Vec<&str> = tue.ignored_punches.iter().map(|i| i.punch.time.as_str()).collect();
    assert_eq!(strays, ["00:01"]);
    // A stray punch alone is still a trace of the person: not TK, but TL4 + PSW4 (issue 19).
    assert_eq!(tue.status, DayStatus::Hadir);
    assert_eq!(cp(&tue, "masuk").code.as_deref(), Some("TL4"));
    assert_eq!(cp(&tue, "pulang").code.as_deref(), Some("PSW4"));
    assert_eq!(tue.deduction, pct(300));
}

#[test]
fn a_day_with_any_punch_is_never_tk() {
    // (punches, status, masuk code, pulang code, deduction in hundredths); Monday 07:30–16:00,
    // windows 06:00–10:00 and 12:00–18:00.
    type Row<'a> = (&'a [&'a str], DayStatus, Option<&'a str>, Option<&'a str>, u32);
    let table: &[Row<'_>] = &[
        (&[], DayStatus::Tk, None, None, 300),
        (&["05:30"], DayStatus::Hadir, Some("TL4"), Some("PSW4"), 300),
        (&["18:30"], DayStatus::Hadir, Some("TL4"), Some("PSW4"), 300),
        (&["00:00"], DayStatus::Hadir, Some("TL4"), Some("PSW4"), 300),
        (&["23:59"], DayStatus::Hadir, Some("TL4"), Some("PSW4"), 300),
        (&["05:30", "18:30"], DayStatus::Hadir, Some("TL4"), Some("PSW4"), 300),
        (&["05:30", "16:00"], DayStatus::Hadir, Some("TL4"), None, 150),
        (&["07:30", "18:30"], DayStatus::Hadir, None, Some("PSW4"), 150),
        (&["07:30", "16:00"], DayStatus::Hadir, None, None, 0),
    ];
    for &(punches, status, masuk, pulang, h) in table {
        let mut fx = Fx::wib();
        fx.punch(MON, punches);
        let r = fx.eval(MON);
        assert_eq!(r.status, status, "{punches:?}");
        assert_eq!(cp(&r, "masuk").code.as_deref(), masuk, "{punches:?}");
        assert_eq!(cp(&r, "pulang").code.as_deref(), pulang, "{punches:?}");
        assert_eq!(r.deduction, pct(h), "{punches:?}");
    }

    // The explanation says why it is not TK.
    let mut fx = Fx::wib();
    fx.punch(MON, &["05:30"]);
    let r = fx.eval(MON);
    assert_eq!(
        r.explanation,
        "Hadir (pola mingguan Standar Perpres 21/2023 (Senin)): TL4, PSW4 → potongan 3% menurut aturan berlaku sejak \
         2025-01-01. Ada presensi pada hari ini meskipun di luar jendela presensi, jadi hari ini bukan TK: titik \
         presensi yang kosong dihitung dengan kodenya masing-masing."
    );
    assert_eq!(r.ignored_punches[0].reason, IgnoreReason::OutsideWindows);

    // While the day is open a stray punch leaves it pending, not present.
    fx.now = fx.at(MON, "09:00");
    assert_eq!(fx.eval(MON).status, DayStatus::BelumSelesai);

    // A different missing-punch rule gives its own codes.
    let mut fx = Fx::wib();
    fx.rules.missing_check_in = Penalty { code: "TM".into(), percent: pct(200) };
    fx.punch(MON, &["18:30"]);
    let r = fx.eval(MON);
    assert_eq!(cp(&r, "masuk").code.as_deref(), Some("TM"));
    assert_eq!(r.deduction, pct(350));
}

#[test]
fn working_day_without_punches_is_tk_not_tl4_psw4() {
    let r = Fx::wib().eval(MON);
    assert_eq!(r.status, DayStatus::Tk);
    assert_eq!(r.deduction, pct(300));
    assert!(r.checkpoints.iter().all(|c| c.code.is_none()));
    assert_eq!(
        r.explanation,
        "Hari kerja (pola mingguan Standar Perpres 21/2023 (Senin)) tanpa presensi dan tanpa izin/cuti yang disetujui → TK (3%) menurut aturan berlaku sejak 2025-01-01."
    );
}

#[test]
fn before_start_date_is_not_counted() {
    let mut fx = Fx::wib();
    fx.start_date = Some(TUE);
    fx.punch(MON, &["07:20"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::BelumAktif);
    assert_eq!(r.deduction, Percent::ZERO);
    assert_eq!(r.ignored_punches[0].reason, IgnoreReason::NotActive);
    assert_eq!(fx.eval(TUE).status, DayStatus::Tk);
}

#[test]
fn approved_leave_and_duty() {
    let mut fx = Fx::wib();
    fx.absences.push(ApprovedAbsence {
        request_id: 41,
        kind: AbsenceKind::CutiTahunan,
        date_from: MON,
        date_to: TUE,
        checkpoints: vec![],
    });
    fx.absences.push(ApprovedAbsence {
        request_id: 42,
        kind: AbsenceKind::Dl,
        date_from: date(2025, 11, 5),
        date_to: date(2025, 11, 5),
        checkpoints: vec![],
    });
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::CutiTahunan);
    assert_eq!(r.deduction, Percent::ZERO);
    assert_eq!(r.request_ids, [41]);
    assert_eq!(r.explanation, "Cuti tahunan (permohonan #41 disetujui), tanpa potongan.");
    let dl = fx.eval(date(2025, 11, 5));
    assert_eq!(dl.status, DayStatus::Dl);
    assert_eq!(dl.worked_minutes, 450);
    // Leave over a weekend stays LIBUR.
    fx.absences[0].date_to = date(2025, 11, 9);
    assert_eq!(fx.eval(SAT).status, DayStatus::Libur);

    // A regency where IZIN deducts.
    let mut fx = Fx::wib();
    fx.rules.leave_deductions.insert(AbsenceKind::Izin, pct(150));
    fx.absences.push(ApprovedAbsence {
        request_id: 7,
        kind: AbsenceKind::Izin,
        date_from: MON,
        date_to: MON,
        checkpoints: vec![],
    });
    assert_eq!(fx.eval(MON).deduction, pct(150));
}

#[test]
fn partial_absence_excuses_one_checkpoint() {
    let mut fx = Fx::wib();
    fx.absences.push(ApprovedAbsence {
        request_id: 9,
        kind: AbsenceKind::Izin,
        date_from: MON,
        date_to: MON,
        checkpoints: vec!["masuk".into()],
    });
    fx.punch(MON, &["09:40", "16:00"]);
    let r = fx.eval(MON);
    let m = cp(&r, "masuk");
    assert_eq!(m.outcome, CheckpointOutcome::Excused);
    assert_eq!(m.minutes_late, Some(130));
    assert_eq!(m.code, None);
    assert_eq!(r.deduction, Percent::ZERO);
    assert_eq!(r.request_ids, [9]);
}

#[test]
fn outage_window_excuses_checkpoints_due_inside_it() {
    let mut fx = Fx::wib();
    fx.outages.push(OutageWindow { request_id: 77, start: fx.at(MON, "07:00"), end: fx.at(MON, "09:30") });
    fx.punch(MON, &["09:45", "16:00"]);
    let r = fx.eval(MON);
    let m = cp(&r, "masuk");
    assert_eq!(m.outcome, CheckpointOutcome::Excused);
    assert_eq!(m.minutes_late, Some(135));
    assert_eq!(r.deduction, Percent::ZERO);
    assert!(m.explanation.contains("gangguan sistem/jaringan (permohonan #77)"));
    assert_eq!(r.request_ids, [77]);

    // Came after the window closed (11:00, a stray): masuk missing but excused, pulang counts.
    let mut fx2 = Fx::wib();
    fx2.outages = fx.outages.clone();
    fx2.punch(MON, &["11:00", "16:00"]);
    let r = fx2.eval(MON);
    assert_eq!(cp(&r, "masuk").outcome, CheckpointOutcome::Excused);
    assert_eq!(r.deduction, Percent::ZERO);

    // No evidence of coming: still TK.
    let mut fx3 = Fx::wib();
    fx3.outages = fx.outages.clone();
    assert_eq!(fx3.eval(MON).status, DayStatus::Tk);

    // An outage not covering the due time changes nothing.
    let mut fx4 = Fx::wib();
    fx4.outages.push(OutageWindow { request_id: 78, start: fx4.at(MON, "08:00"), end: fx4.at(MON, "09:00") });
    fx4.punch(MON, &["09:45", "16:00"]);
    assert_eq!(cp(&fx4.eval(MON), "masuk").code.as_deref(), Some("TL4"));
}

#[test]
fn manual_presence_entry_counts_as_a_punch() {
    let mut fx = Fx::wib();
    fx.presence.push(PresenceEntry {
        request_id: 55,
        at: fx.at(MON, "07:15"),
        checkpoint: None,
        label: "presensi manual".into(),
    });
    fx.punch(MON, &["16:00"]);
    let r = fx.eval(MON);
    let m = cp(&r, "masuk");
    assert_eq!(m.punch.as_ref().unwrap().request_id, Some(55));
    assert_eq!(m.punch.as_ref().unwrap().punch_id, None);
    assert_eq!(m.explanation, "Masuk 07:15 WIB [presensi manual #55], jadwal 07:30: tepat waktu.");
    assert_eq!(r.request_ids, [55]);
}

#[test]
fn objection_corrections() {
    // Corrected check-in time replaces the late punch.
    let mut fx = Fx::wib();
    fx.punch(MON, &["07:50", "16:00"]);
    fx.corrections.push(Correction {
        request_id: 90,
        date: MON,
        fix: CorrectionFix::CheckpointTime { checkpoint: "masuk".into(), at: fx.at(MON, "07:28") },
    });
    let r = fx.eval(MON);
    assert_eq!(cp(&r, "masuk").outcome, CheckpointOutcome::OnTime);
    assert_eq!(cp(&r, "masuk").punch.as_ref().unwrap().source, "keberatan #90");
    assert_eq!(r.ignored_punches[0].punch.time, "07:50");
    assert_eq!(r.deduction, Percent::ZERO);

    // A TK day corrected to HADIR.
    let mut fx = Fx::wib();
    fx.corrections.push(Correction {
        request_id: 91,
        date: MON,
        fix: CorrectionFix::Status { status: DayStatus::Hadir },
    });
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    assert_eq!(r.deduction, Percent::ZERO);
    assert!(r.checkpoints.iter().all(|c| c.outcome == CheckpointOutcome::Excused));
    assert_eq!(r.request_ids, [91]);

    // A day corrected to DL.
    fx.corrections[0].fix = CorrectionFix::Status { status: DayStatus::Dl };
    assert_eq!(fx.eval(MON).status, DayStatus::Dl);
}

#[test]
fn pending_day_before_close() {
    let mut fx = Fx::wib();
    fx.now = fx.at(MON, "11:00");
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::BelumSelesai);
    assert!(!r.closed);
    assert_eq!(r.deduction, Percent::ZERO);
    assert_eq!(cp(&r, "masuk").code, None);
    assert_eq!(cp(&r, "pulang").outcome, CheckpointOutcome::Pending);
    assert_eq!(
        r.explanation,
        "Hari belum selesai (pola mingguan Standar Perpres 21/2023 (Senin)): jendela presensi terakhir ditutup 18:00 WIB."
    );

    // Checked in, check-out window still open: HADIR, provisional.
    fx.punch(MON, &["07:40"]);
    let r = fx.eval(MON);
    assert_eq!(r.status, DayStatus::Hadir);
    assert!(!r.closed);
    assert_eq!(cp(&r, "pulang").outcome, CheckpointOutcome::Pending);
    assert_eq!(r.deduction, pct(50));
    assert!(r.explanation.ends_with("Hari belum selesai; hasil masih sementara."));

    // 18:00 is still inside the window; 18:01 closes the day.
    let mut fx = Fx::wib();
    fx.now = fx.at(MON, "18:00:59");
    assert_eq!(fx.eval(MON).status, DayStatus::BelumSelesai);
    fx.now = fx.at(MON, "18:01");
    assert_eq!(fx.eval(MON).status, DayStatus::Tk);
}

#[test]
fn day_record_json_shape() {
    let mut fx = Fx::new("Asia/Makassar");
    fx.punch(MON, &["07:42", "16:00", "16:01"]);
    let r = fx.eval(MON);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["date"], "2025-11-03");
    assert_eq!(v["status"], "HADIR");
    assert_eq!(v["zone"], "WITA");
    assert_eq!(v["deduction"], 0.5);
    assert_eq!(v["schedule_source"]["type"], "weekly");
    let m = &v["checkpoints"][0];
    assert_eq!(m["name"], "masuk");
    assert_eq!(m["kind"], "check_in");
    assert_eq!(m["due"], "07:30");
    assert_eq!(m["outcome"], "late");
    assert_eq!(m["minutes_late"], 12);
    assert_eq!(m["code"], "TL1");
    assert_eq!(m["deduction"], 0.5);
    assert_eq!(m["punch"]["time"], "07:42");
    assert_eq!(m["punch"]["punch_id"], 1);
    assert_eq!(v["ignored_punches"][0]["reason"], "duplicate");
    let back: DayRecord = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn check_in_verdicts() {
    let mut fx = Fx::new("Asia/Makassar");
    fx.now = fx.at(MON, "07:42");
    let schedule = fx.calendar.resolve(MON, &[]).unwrap();
    let input = DayInput::new(MON, &fx.tz, &schedule, &fx.rules, fx.now);
    let v = punch_verdict(&input, &Punch { id: 10, at: fx.at(MON, "07:42"), source: "mobile".into() });
    assert_eq!(v.message, "Masuk 07:42 WITA — terlambat 12 menit (TL1)");
    assert_eq!(v.checkpoint.as_deref(), Some("masuk"));
    assert_eq!(v.minutes_late, Some(12));
    assert_eq!(v.code.as_deref(), Some("TL1"));

    let sat_sched = fx.calendar.resolve(SAT, &[]).unwrap();
    let input = DayInput::new(SAT, &fx.tz, &sat_sched, &fx.rules, fx.now);
    let v = punch_verdict(&input, &Punch { id: 11, at: fx.at(SAT, "08:00"), source: "mobile".into() });
    assert_eq!(v.message, "Presensi 08:00 WITA tercatat — hari ini bukan hari kerja");
}
