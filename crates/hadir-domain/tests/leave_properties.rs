//! Property tests of the leave rules: working days split additively over a range and never
//! exceed its calendar days; the annual-leave balance never goes negative, and what is left
//! plus what is in use never exceeds the limit.

use hadir_domain::leave::{
    ANNUAL_ENTITLEMENT, CARRY_OVER_MAX, LeaveBalance, TWO_UNUSED_YEARS_LIMIT, calendar_days, working_days,
};
use hadir_domain::{Calendar, DEFAULT_HOLIDAYS_CSV, parse_holiday_csv};
use jiff::ToSpan;
use jiff::civil::{Date, date};
use proptest::prelude::*;

fn day(offset: i64) -> Date {
    date(2025, 1, 1).checked_add(offset.days()).unwrap()
}

fn calendar(i: u8) -> Calendar {
    if i.is_multiple_of(2) { Calendar::perpres_21_2023() } else { Calendar::school_six_day() }
}

proptest! {
    #[test]
    fn working_days_add_up_over_a_split(start in 0i64..1000, len in 0i64..120, cut in 0i64..120, cal in 0u8..2) {
        let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
        let cal = calendar(cal);
        let (from, to) = (day(start), day(start + len));
        let mid = day(start + cut.min(len));
        let whole = working_days(&cal, &holidays, &[], from, to);
        let left = working_days(&cal, &holidays, &[], from, mid);
        let right = if mid < to { working_days(&cal, &holidays, &[], mid.tomorrow().unwrap(), to) } else { 0 };
        prop_assert_eq!(whole, left + right);
        prop_assert!(whole <= calendar_days(from, to));
        prop_assert!(whole >= 0);
    }

    #[test]
    fn the_balance_stays_within_the_limit(
        last in proptest::option::of(0i64..40),
        used in 0i64..40,
        pending in 0i64..40,
        more in 0i64..40,
    ) {
        let b = LeaveBalance::new(2026, last, used, pending);
        prop_assert!(b.remaining >= 0);
        prop_assert!((0..=CARRY_OVER_MAX).contains(&b.carry_over));
        prop_assert_eq!(b.remaining, (b.limit() - used - pending).max(0));
        // Whatever more fits keeps the total in use within the limit.
        if more > 0 && b.fits(more) {
            prop_assert!(used + pending + more <= b.limit());
        }
    }

    #[test]
    fn two_unused_years_raise_the_limit_to_24_and_no_further(
        last in proptest::option::of(0i64..15),
        before in proptest::option::of(0i64..15),
        used in 0i64..40,
        pending in 0i64..40,
    ) {
        let b = LeaveBalance::with_two_years(2026, last, before, used, pending);
        let one = LeaveBalance::new(2026, last, used, pending);
        prop_assert!(b.limit() <= TWO_UNUSED_YEARS_LIMIT);
        prop_assert!(b.limit() >= one.limit(), "never less than the 6-day rule");
        prop_assert!(b.remaining >= 0);
        prop_assert_eq!(b.remaining, (b.limit() - used - pending).max(0));
        if last == Some(0) && before == Some(0) {
            prop_assert_eq!(b.limit(), TWO_UNUSED_YEARS_LIMIT);
        } else {
            prop_assert_eq!(b, one);
            prop_assert!(b.limit() <= ANNUAL_ENTITLEMENT + CARRY_OVER_MAX);
        }
    }
}
