//! What the day evaluator needs about a person besides their punches: their unit's zone, the
//! calendar in force for them, the holidays and the rule sets. Policies change rarely and are
//! read on every check-in, so they are kept in memory and swapped whole when an admin edits them.

use hadir_domain::{Calendar, DEFAULT_HOLIDAYS_CSV, Holiday, RosterEntry, RuleSet, parse_holiday_csv, unit_zone};
use hadir_store::Employee;
use jiff::tz::TimeZone;
use std::sync::{Arc, RwLock};

/// Everything needed to evaluate one employee's days.
#[derive(Clone)]
pub struct DayContext {
    pub tz: TimeZone,
    pub calendar: Arc<Calendar>,
    pub roster: Arc<Vec<RosterEntry>>,
    pub holidays: Arc<Vec<Holiday>>,
    pub rules: Arc<Vec<RuleSet>>,
}

#[derive(Clone)]
struct Snapshot {
    default_calendar: Arc<Calendar>,
    holidays: Arc<Vec<Holiday>>,
    rules: Arc<Vec<RuleSet>>,
}

/// The policies in force (calendars, holidays, rule sets), cheap to read concurrently.
pub struct Policies {
    current: RwLock<Snapshot>,
}

impl Default for Policies {
    fn default() -> Self {
        let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap_or_default();
        Policies {
            current: RwLock::new(Snapshot {
                default_calendar: Arc::new(Calendar::perpres_21_2023()),
                holidays: Arc::new(holidays),
                rules: Arc::new(vec![RuleSet::default()]),
            }),
        }
    }
}

impl Policies {
    fn snapshot(&self) -> Snapshot {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn context_for(&self, e: &Employee) -> DayContext {
        let s = self.snapshot();
        DayContext {
            tz: unit_zone(&e.timezone).unwrap_or(TimeZone::UTC),
            calendar: s.default_calendar,
            roster: Arc::new(vec![]),
            holidays: s.holidays,
            rules: s.rules,
        }
    }

    pub fn set_holidays(&self, holidays: Vec<Holiday>) {
        self.current.write().unwrap_or_else(|p| p.into_inner()).holidays = Arc::new(holidays);
    }

    pub fn set_rules(&self, rules: Vec<RuleSet>) {
        self.current.write().unwrap_or_else(|p| p.into_inner()).rules = Arc::new(rules);
    }

    pub fn set_default_calendar(&self, c: Calendar) {
        self.current.write().unwrap_or_else(|p| p.into_inner()).default_calendar = Arc::new(c);
    }
}
