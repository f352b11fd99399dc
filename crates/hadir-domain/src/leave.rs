//! Leave rules (issue 7; moved here from the server in issue 18): who may take which leave, how
//! long a request may be, which days it charges, and the annual-leave balance.
//!
//! Annual leave (kept simple, documented in docs/ARCHITECTURE.md): [`ANNUAL_ENTITLEMENT`]
//! working days per calendar year; unused days of the previous year carry over up to
//! [`CARRY_OVER_MAX`] (only for employees counted since before that year began); after two
//! years without any annual leave, up to [`TWO_UNUSED_YEARS_LIMIT`] days in the next (PP 11/2017
//! art. 312: the current year's 12 plus 12 carried). Pending
//! (submitted) and approved annual leave both use the balance; a request may not span two
//! years. Cuti bersama and holidays are not working days, so they never reduce the balance.

use crate::requests::RequestRefusal;
use crate::{AbsenceKind, Calendar, EmployeeCategory, Holiday, Nip, NipKind, RosterEntry, holiday_on};
use jiff::civil::Date;
use serde::Serialize;

/// Annual leave days per year.
pub const ANNUAL_ENTITLEMENT: i64 = 12;
/// Unused annual leave carried into the next year, at most.
pub const CARRY_OVER_MAX: i64 = 6;
/// The year's limit after two whole years without annual leave (this year's included).
pub const TWO_UNUSED_YEARS_LIMIT: i64 = 24;

/// Leave types a PPPK (and honorer) may take: annual, sick, maternity (DOMAIN.md), plus izin
/// and sakit, which are not leave. A PNS may take every type.
pub fn allowed_for(category: EmployeeCategory, kind: AbsenceKind) -> bool {
    match category {
        EmployeeCategory::Pns => true,
        EmployeeCategory::Pppk | EmployeeCategory::Honorer => {
            !matches!(kind, AbsenceKind::CutiBesar | AbsenceKind::CutiAlasanPenting | AbsenceKind::Cltn)
        }
    }
}

/// Longest range (calendar days) a leave request may cover.
pub fn max_calendar_days(kind: AbsenceKind) -> i64 {
    match kind {
        AbsenceKind::CutiBesar | AbsenceKind::CutiMelahirkan => 92,
        AbsenceKind::CutiAlasanPenting => 31,
        AbsenceKind::Cltn => 3 * 366,
        AbsenceKind::TugasBelajar => 5 * 366,
        _ => 366,
    }
}

/// Calendar days of `from..=to` (0 when reversed).
pub fn calendar_days(from: Date, to: Date) -> i64 {
    if to < from {
        return 0;
    }
    from.until(to).map(|sp| i64::from(sp.get_days())).unwrap_or(0) + 1
}

/// The rules a leave (or dated duty) request must meet before its days are counted: the
/// employee's category may take `kind`, and the range is not longer than the type allows.
pub fn check_leave_kind(
    category: EmployeeCategory,
    kind: AbsenceKind,
    from: Date,
    to: Date,
) -> Result<(), RequestRefusal> {
    if !allowed_for(category, kind) {
        return Err(RequestRefusal::NotForCategory { category, kind });
    }
    let max_days = max_calendar_days(kind);
    if calendar_days(from, to) > max_days {
        return Err(RequestRefusal::RangeTooLong { kind, max_days });
    }
    Ok(())
}

/// The rules on the working days a leave request charges: at least one; annual leave within
/// one calendar year (each year has its own balance).
pub fn check_leave_days(kind: AbsenceKind, from: Date, to: Date, working_days: i64) -> Result<(), RequestRefusal> {
    if working_days == 0 {
        return Err(RequestRefusal::NoWorkingDays);
    }
    if kind == AbsenceKind::CutiTahunan && from.year() != to.year() {
        return Err(RequestRefusal::SplitByYear);
    }
    Ok(())
}

/// Working days of `from..=to` for an employee: a day their calendar (or roster) schedules
/// with checkpoints, and that is no holiday (a rostered shift is worked on holidays too).
pub fn working_days(calendar: &Calendar, holidays: &[Holiday], roster: &[RosterEntry], from: Date, to: Date) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d <= to {
        let works = calendar.resolve(d, roster).ok().and_then(|s| s.day).is_some_and(|day| !day.checkpoints.is_empty());
        let rostered = roster.iter().any(|r| r.date == d && r.shift.is_some());
        if works && (rostered || holiday_on(holidays, d).is_none()) {
            n += 1;
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    n
}

/// What the NIP tells about an employee for PP 11/2017 eligibility. Unknown facts never
/// refuse anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceFacts {
    /// TMT CPNS (first of the appointment month, digits 9–14 of a PNS NIP): service counts
    /// from it. Only for PNS with a PNS NIP.
    pub tmt: Option<Date>,
    /// From the gender digit (15) of a valid NIP: `Some(true)` for 2, `Some(false)` for 1.
    pub female: Option<bool>,
}

impl ServiceFacts {
    /// The facts of an employee of `category` with this NIP (none: honorer, or no NIP). A NIP
    /// that does not parse gives no facts.
    pub fn from_nip(nip: Option<&str>, category: EmployeeCategory) -> ServiceFacts {
        // The NIP was validated when the employee was created; only its layout matters here.
        let Some(n) = nip.and_then(|n| Nip::parse(n, Date::MAX).ok()) else { return ServiceFacts::default() };
        let tmt =
            (category == EmployeeCategory::Pns && n.kind() == NipKind::Pns).then(|| n.appointment_month()).flatten();
        ServiceFacts { tmt, female: Some(!n.is_male()) }
    }
}

impl ServiceFacts {
    /// The facts with the employee record's own fields laid over the NIP's (issue 19): an
    /// explicit service start (TMT) or gender, set by the BKD for someone whose NIP does not
    /// carry it or carries the wrong one (a PPPK appointed PNS, service counted from an earlier
    /// appointment), wins over the NIP; an unset field leaves the NIP's fact.
    pub fn with_record(self, service_start: Option<Date>, female: Option<bool>) -> ServiceFacts {
        ServiceFacts { tmt: service_start.or(self.tmt), female: female.or(self.female) }
    }
}

/// Years of service a leave type needs (PP 11/2017): annual leave one, cuti besar and CLTN five.
pub fn service_years_required(kind: AbsenceKind) -> Option<i16> {
    match kind {
        AbsenceKind::CutiTahunan => Some(1),
        AbsenceKind::CutiBesar | AbsenceKind::Cltn => Some(5),
        _ => None,
    }
}

/// PP 11/2017 eligibility of a leave starting on `from`: years of service since TMT (when the
/// NIP carries it) and maternity leave for women (when the NIP says the gender).
pub fn check_eligibility(kind: AbsenceKind, facts: ServiceFacts, from: Date) -> Result<(), RequestRefusal> {
    if let (Some(years), Some(since)) = (service_years_required(kind), facts.tmt) {
        // No date arithmetic can fail here: a TMT this far out is no real one; let it pass.
        if let Some(eligible_from) = since.year().checked_add(years).and_then(|y| since.with().year(y).build().ok())
            && from < eligible_from
        {
            return Err(RequestRefusal::ServiceTooShort { kind, years, since, eligible_from });
        }
    }
    if kind == AbsenceKind::CutiMelahirkan && facts.female == Some(false) {
        return Err(RequestRefusal::MaternityForWomenOnly);
    }
    Ok(())
}

/// Whether unused annual leave of `year - 1` carries into `year`: only for employees counted
/// since before `year - 1` began (no start date, or one on or before 1 January of that year).
pub fn carries_over(year: i16, start_date: Option<Date>) -> bool {
    let Some(start) = start_date else { return true };
    year.checked_sub(1).and_then(|y| Date::new(y, 1, 1).ok()).is_some_and(|first| start <= first)
}

/// The annual-leave balance of one year, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeaveBalance {
    pub year: i16,
    pub entitlement: i64,
    /// Unused days carried from earlier years: at most [`CARRY_OVER_MAX`], or up to
    /// [`TWO_UNUSED_YEARS_LIMIT`] − entitlement after two years without annual leave.
    pub carry_over: i64,
    /// Approved annual leave this year.
    pub used: i64,
    /// Submitted, not yet decided.
    pub pending: i64,
    pub remaining: i64,
}

impl LeaveBalance {
    /// `used_last_year`: approved annual leave of `year - 1`, or `None` when nothing carries
    /// over (see [`carries_over`]); `used` and `pending`: this year's approved and submitted.
    pub fn new(year: i16, used_last_year: Option<i64>, used: i64, pending: i64) -> LeaveBalance {
        let carry_over = used_last_year.map_or(0, |u| (ANNUAL_ENTITLEMENT.saturating_sub(u)).clamp(0, CARRY_OVER_MAX));
        let remaining = (ANNUAL_ENTITLEMENT + carry_over).saturating_sub(used).saturating_sub(pending).max(0);
        LeaveBalance { year, entitlement: ANNUAL_ENTITLEMENT, carry_over, used, pending, remaining }
    }

    /// Like [`new`](Self::new), knowing also the approved annual leave of `year - 2`
    /// (`None` when the employee was not counted since before `year - 2` began, see
    /// [`carries_over`]): when neither of the two previous years had any annual leave, the
    /// year's limit is [`TWO_UNUSED_YEARS_LIMIT`] (PP 11/2017 art. 312), else the 6-day rule.
    pub fn with_two_years(
        year: i16,
        used_last_year: Option<i64>,
        used_two_years_ago: Option<i64>,
        used: i64,
        pending: i64,
    ) -> LeaveBalance {
        let mut b = LeaveBalance::new(year, used_last_year, used, pending);
        if used_last_year == Some(0) && used_two_years_ago == Some(0) {
            b.carry_over = TWO_UNUSED_YEARS_LIMIT - ANNUAL_ENTITLEMENT;
            b.remaining = (b.limit() - used - pending).max(0);
        }
        b
    }

    /// The most days that may be submitted or approved in the year: entitlement + carry-over.
    pub fn limit(&self) -> i64 {
        self.entitlement + self.carry_over
    }

    /// Whether `days` more fit.
    pub fn fits(&self, days: i64) -> bool {
        days <= self.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DayTime, Shift};
    use jiff::civil::{Weekday, date};

    #[test]
    fn categories_and_lengths() {
        use AbsenceKind::*;
        use EmployeeCategory::*;
        let cases = [
            (Pns, CutiBesar, true),
            (Pns, Cltn, true),
            (Pppk, CutiBesar, false),
            (Pppk, CutiAlasanPenting, false),
            (Pppk, Cltn, false),
            (Pppk, CutiTahunan, true),
            (Pppk, CutiSakit, true),
            (Pppk, CutiMelahirkan, true),
            (Honorer, Cltn, false),
            (Honorer, Izin, true),
        ];
        for (c, k, want) in cases {
            assert_eq!(allowed_for(c, k), want, "{c:?} {k:?}");
        }
        let d = date(2026, 1, 1);
        assert_eq!(
            check_leave_kind(Pppk, CutiBesar, d, d).map_err(|e| e.to_string()),
            Err("Pegawai PPPK tidak berhak atas cuti besar (PPPK: cuti tahunan, cuti sakit, cuti melahirkan).".into())
        );
        let day92 = date(2026, 4, 2);
        assert_eq!(calendar_days(d, day92), 92);
        assert_eq!(check_leave_kind(Pns, CutiMelahirkan, d, day92), Ok(()));
        assert_eq!(
            check_leave_kind(Pns, CutiMelahirkan, d, day92.tomorrow().unwrap()),
            Err(RequestRefusal::RangeTooLong { kind: CutiMelahirkan, max_days: 92 })
        );
        assert_eq!(calendar_days(day92, d), 0);
        assert_eq!(
            check_leave_days(CutiTahunan, date(2025, 12, 31), date(2026, 1, 2), 2),
            Err(RequestRefusal::SplitByYear)
        );
        assert_eq!(check_leave_days(CutiSakit, date(2025, 12, 31), date(2026, 1, 2), 2), Ok(()));
        assert_eq!(check_leave_days(Izin, d, d, 0), Err(RequestRefusal::NoWorkingDays));
    }

    #[test]
    fn eligibility_by_pp_11_2017() {
        use AbsenceKind::*;
        let pns_man = Some("198609262015051001"); // TMT 2015-05, male
        let pns_woman = Some("199203152024032004"); // TMT 2024-03, female
        let pppk_man = Some("199001012021211001"); // PPPK: no TMT month
        let man = ServiceFacts::from_nip(pns_man, EmployeeCategory::Pns);
        assert_eq!(man, ServiceFacts { tmt: Some(date(2015, 5, 1)), female: Some(false) });
        let woman = ServiceFacts::from_nip(pns_woman, EmployeeCategory::Pns);
        assert_eq!(woman, ServiceFacts { tmt: Some(date(2024, 3, 1)), female: Some(true) });
        let pppk = ServiceFacts::from_nip(pppk_man, EmployeeCategory::Pppk);
        assert_eq!(pppk, ServiceFacts { tmt: None, female: Some(false) });
        assert_eq!(ServiceFacts::from_nip(Some("H-0042"), EmployeeCategory::Honorer), ServiceFacts::default());
        assert_eq!(ServiceFacts::from_nip(None, EmployeeCategory::Pns), ServiceFacts::default());
        // A PNS NIP of someone recorded as PPPK gives no TMT (the category decides).
        assert_eq!(ServiceFacts::from_nip(pns_woman, EmployeeCategory::Pppk).tmt, None);

        // (kind, facts, start) → code
        let cases: &[(AbsenceKind, ServiceFacts, Date, Option<&str>)] = &[
            (CutiTahunan, woman, date(2025, 2, 28), Some("service_too_short")),
            (CutiTahunan, woman, date(2025, 3, 1), None),
            (CutiBesar, woman, date(2029, 2, 28), Some("service_too_short")),
            (CutiBesar, woman, date(2029, 3, 1), None),
            (Cltn, woman, date(2026, 1, 5), Some("service_too_short")),
            (CutiBesar, man, date(2020, 5, 1), None),
            (CutiSakit, woman, date(2024, 3, 1), None),
            (CutiAlasanPenting, woman, date(2024, 3, 1), None),
            (CutiMelahirkan, man, date(2026, 1, 5), Some("maternity_women_only")),
            (CutiMelahirkan, woman, date(2024, 3, 1), None),
            (CutiMelahirkan, pppk, date(2026, 1, 5), Some("maternity_women_only")),
            (CutiTahunan, pppk, date(2021, 1, 5), None),
            (CutiMelahirkan, ServiceFacts::default(), date(2026, 1, 5), None),
            (CutiBesar, ServiceFacts::default(), date(2000, 1, 5), None),
        ];
        for (kind, facts, from, want) in cases {
            let got = check_eligibility(*kind, *facts, *from);
            assert_eq!(got.as_ref().err().map(|e| e.code()), *want, "{kind:?} {facts:?} {from}: {got:?}");
        }
        let msg = check_eligibility(CutiTahunan, woman, date(2024, 9, 2)).unwrap_err().to_string();
        assert!(msg.contains("1 tahun masa kerja") && msg.contains("3/2024") && msg.contains("2025-03-01"), "{msg}");
    }

    #[test]
    fn balance_with_carry_over() {
        // (start date, used last year (read only when it carries over), used, pending) → (carry, remaining)
        let year = 2026;
        type Case = (Option<Date>, i64, i64, i64, i64, i64);
        let cases: &[Case] = &[
            (None, 0, 0, 0, 6, 18),
            (None, 8, 0, 0, 4, 16),
            (None, 12, 3, 2, 0, 7),
            (None, 20, 0, 0, 0, 12),
            (Some(date(2025, 1, 1)), 0, 0, 0, 6, 18),
            (Some(date(2025, 1, 2)), 0, 0, 0, 0, 12),
            (Some(date(2026, 3, 1)), 0, 10, 5, 0, 0),
        ];
        for &(start, last, used, pending, carry, remaining) in cases {
            let last = carries_over(year, start).then_some(last);
            let b = LeaveBalance::new(year, last, used, pending);
            assert_eq!((b.carry_over, b.remaining), (carry, remaining), "{start:?} {last:?} {used} {pending}");
            assert_eq!(b.limit(), ANNUAL_ENTITLEMENT + carry);
        }
        assert!(!carries_over(i16::MIN, Some(date(2000, 1, 1))), "no overflow at the edge");
    }

    #[test]
    fn record_fields_override_the_nip() {
        use AbsenceKind::*;
        let man_2015 = ServiceFacts::from_nip(Some("198609262015051001"), EmployeeCategory::Pns);
        let pppk = ServiceFacts::from_nip(Some("199001012022211001"), EmployeeCategory::Pppk);
        assert_eq!(pppk.tmt, None);
        // (facts, record service start, record female, kind, first day, refusal)
        type Case = (ServiceFacts, Option<Date>, Option<bool>, AbsenceKind, Date, Option<&'static str>);
        let cases: &[Case] = &[
            (man_2015, None, None, CutiMelahirkan, date(2026, 3, 2), Some("maternity_women_only")),
            (man_2015, None, Some(true), CutiMelahirkan, date(2026, 3, 2), None),
            (man_2015, None, None, CutiTahunan, date(2026, 3, 2), None),
            (man_2015, Some(date(2025, 9, 1)), None, CutiTahunan, date(2026, 3, 2), Some("service_too_short")),
            (man_2015, Some(date(2025, 9, 1)), None, CutiTahunan, date(2026, 9, 1), None),
            (pppk, None, None, CutiTahunan, date(2026, 3, 2), None),
            (pppk, Some(date(2026, 1, 1)), None, CutiTahunan, date(2026, 3, 2), Some("service_too_short")),
            (
                ServiceFacts::default(),
                Some(date(2022, 1, 1)),
                None,
                CutiBesar,
                date(2026, 3, 2),
                Some("service_too_short"),
            ),
            (ServiceFacts::default(), Some(date(2021, 3, 2)), None, CutiBesar, date(2026, 3, 2), None),
            (
                ServiceFacts::default(),
                None,
                Some(false),
                CutiMelahirkan,
                date(2026, 3, 2),
                Some("maternity_women_only"),
            ),
        ];
        for (i, &(facts, start, female, kind, from, want)) in cases.iter().enumerate() {
            let got = check_eligibility(kind, facts.with_record(start, female), from);
            assert_eq!(got.as_ref().err().map(|e| e.code()), want, "case {i}: {got:?}");
        }
    }

    #[test]
    fn two_unused_years_give_up_to_24_days() {
        // (used last year, used two years ago (None: not counted then), used, pending) → (carry, limit, remaining)
        type Case = (Option<i64>, Option<i64>, i64, i64, i64, i64, i64);
        let cases: &[Case] = &[
            (Some(0), Some(0), 0, 0, 12, 24, 24),
            (Some(0), Some(0), 20, 3, 12, 24, 1),
            (Some(0), Some(0), 30, 0, 12, 24, 0),
            (Some(0), Some(1), 0, 0, 6, 18, 18),
            (Some(1), Some(0), 0, 0, 6, 18, 18),
            (Some(0), None, 0, 0, 6, 18, 18),
            (None, None, 0, 0, 0, 12, 12),
            (Some(10), Some(0), 0, 0, 2, 14, 14),
            (Some(12), Some(12), 0, 0, 0, 12, 12),
        ];
        for &(last, before, used, pending, carry, limit, remaining) in cases {
            let b = LeaveBalance::with_two_years(2026, last, before, used, pending);
            assert_eq!(
                (b.carry_over, b.limit(), b.remaining),
                (carry, limit, remaining),
                "{last:?} {before:?} {used} {pending}"
            );
        }
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let mut cal = Calendar::perpres_21_2023();
        cal.shifts.push(Shift::new("P", "Pagi", DayTime::hm(7, 0), DayTime::hm(14, 0)));
        let holidays = crate::parse_holiday_csv(crate::DEFAULT_HOLIDAYS_CSV).unwrap();
        // 2026-08-17 (Monday) is Independence Day.
        let mon = date(2026, 8, 17);
        assert_eq!(mon.weekday(), Weekday::Monday);
        assert_eq!(working_days(&cal, &holidays, &[], mon, date(2026, 8, 23)), 4);
        assert_eq!(working_days(&cal, &[], &[], mon, date(2026, 8, 23)), 5);
        // A rostered shift on the holiday is worked.
        let roster = [RosterEntry { date: mon, shift: Some("P".into()) }];
        assert_eq!(working_days(&cal, &holidays, &roster, mon, mon), 1);
        let off = [RosterEntry { date: date(2026, 8, 18), shift: None }];
        assert_eq!(working_days(&cal, &holidays, &off, mon, date(2026, 8, 23)), 3, "a roster day off is not worked");
        assert_eq!(working_days(&cal, &holidays, &[], date(2026, 8, 22), date(2026, 8, 23)), 0);
    }
}
