//! What the day evaluator needs about a person besides their punches: their unit's zone, the
//! calendar in force for them, their roster, the holidays and the rule sets.
//!
//! Policies live in the store (seeded on first start: the Perpres 21/2023 calendar, the shipped
//! SKB holiday table, the DOMAIN.md rule set) and are read on every check-in, so they are kept
//! in memory as one immutable snapshot, swapped whole after an admin edits them ([`Policies::reload`])
//! and on the periodic sweep (changes made by another process). [`Policies::context_for`] only
//! does map lookups.
//!
//! Calendar resolution on a date (issue 19: assignments carry the date they take effect): the
//! employee's own assignment in force that day, else the nearest unit up the tree with one, else
//! the default calendar. The unit of a day comes from the employee's unit history
//! ([`Policies::timeline`]); the check-in path uses today's unit and calendar ([`Policies::context_for`]). Holidays: national ones plus the regional holidays of every
//! unit on the employee's path. Rosters in memory cover recent and future dates
//! ([`ROSTER_MEMORY_DAYS`] back); evaluation of older dates reads the roster from the store.

use hadir_domain::{Calendar, DEFAULT_HOLIDAYS_CSV, Holiday, RosterEntry, RuleSet, parse_holiday_csv, unit_zone};
use hadir_store::{CalendarTarget, Employee, Id, PolicyDefaults, Scope, Store, StoreError, UnitSpell, unit_on};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// How far back rosters are kept in memory (the check-in path needs only recent days).
pub const ROSTER_MEMORY_DAYS: i32 = 45;

/// Everything needed to evaluate one employee's days.
#[derive(Clone)]
pub struct DayContext {
    pub tz: TimeZone,
    pub calendar: Arc<Calendar>,
    /// The calendar's id in the store (`None` before the first load).
    pub calendar_id: Option<Id>,
    pub roster: Arc<Vec<RosterEntry>>,
    pub holidays: Arc<Vec<Holiday>>,
    pub rules: Arc<Vec<RuleSet>>,
    /// The channel policy rows that may apply to the employee in this unit (issue 25); each
    /// day picks the one in force on its date.
    pub channels: Arc<Vec<hadir_domain::channels::ChannelPolicy>>,
}

#[derive(Clone, Default)]
struct Snapshot {
    default_calendar: Option<(Id, Arc<Calendar>)>,
    calendars: HashMap<Id, Arc<Calendar>>,
    /// Dated assignments per target, by date (`None`: inherit again from that date).
    unit_calendar: HashMap<Id, Vec<(Date, Option<Id>)>>,
    employee_calendar: HashMap<Id, Vec<(Date, Option<Id>)>>,
    /// Unit id → materialised path (`/1/4/17/`).
    unit_paths: HashMap<Id, String>,
    /// Unit id → IANA zone.
    unit_tz: HashMap<Id, String>,
    national: Arc<Vec<Holiday>>,
    /// Regional holidays by the unit whose subtree they cover.
    regional: HashMap<Id, Vec<Holiday>>,
    /// National + regional holidays per unit, precomputed.
    unit_holidays: HashMap<Id, Arc<Vec<Holiday>>>,
    rules: Arc<Vec<RuleSet>>,
    rosters: HashMap<Id, Arc<Vec<RosterEntry>>>,
    channels: Vec<hadir_domain::channels::ChannelPolicy>,
}

/// The policies in force (calendars, holidays, rule sets, rosters), cheap to read concurrently.
pub struct Policies {
    current: RwLock<Arc<Snapshot>>,
    fallback_calendar: Arc<Calendar>,
    /// Reloads are serialised, so the last one to finish saw every committed change.
    reload_lock: tokio::sync::Mutex<()>,
    loaded: AtomicBool,
    ready: tokio::sync::Notify,
}

/// The defaults a fresh database is seeded with.
pub fn default_policies() -> PolicyDefaults {
    PolicyDefaults {
        calendar: Calendar::perpres_21_2023(),
        holidays: parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap_or_default(),
        rules: RuleSet::default(),
    }
}

impl Default for Policies {
    /// The shipped defaults, in memory only: what is in force until the store is loaded.
    fn default() -> Self {
        let d = default_policies();
        let snap = Snapshot { national: Arc::new(d.holidays), rules: Arc::new(vec![d.rules]), ..Snapshot::default() };
        Policies {
            current: RwLock::new(Arc::new(snap)),
            fallback_calendar: Arc::new(d.calendar),
            reload_lock: tokio::sync::Mutex::new(()),
            loaded: AtomicBool::new(false),
            ready: tokio::sync::Notify::new(),
        }
    }
}

impl Policies {
    /// Seeds the defaults on first start and loads everything (for the CLI and jobs).
    pub async fn load(store: &dyn Store) -> Result<Policies, StoreError> {
        let p = Policies::default();
        p.seed_and_load(store).await?;
        Ok(p)
    }

    /// Seeds once per database, then loads.
    pub async fn seed_and_load(&self, store: &dyn Store) -> Result<(), StoreError> {
        store.seed_policies(&default_policies()).await?;
        self.reload(store).await
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Waits until the first load from the store has finished.
    pub async fn wait_loaded(&self) {
        loop {
            let notified = self.ready.notified();
            if self.is_loaded() {
                return;
            }
            notified.await;
        }
    }

    /// Reads every policy from the store and swaps the snapshot.
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        let _guard = self.reload_lock.lock().await;
        let calendars = store.list_calendars().await?;
        let assignments = store.list_calendar_assignments().await?;
        let units = store.list_units(&Scope::All).await?;
        let holidays = store.list_holidays(None).await?;
        let rules = store.list_rule_sets().await?;
        let today = crate::org::today_jakarta();
        let from = today.checked_sub(jiff::Span::new().days(ROSTER_MEMORY_DAYS)).unwrap_or(today);
        let roster = store.list_roster(None, from, jiff::civil::date(9999, 12, 31)).await?;
        let channels = store.list_channel_policies().await?;

        let mut s = Snapshot::default();
        for c in calendars {
            let cal = Arc::new(c.calendar);
            if c.is_default && s.default_calendar.is_none() {
                s.default_calendar = Some((c.id, cal.clone()));
            }
            s.calendars.insert(c.id, cal);
        }
        // Listed by date, so each target's rows are in date order.
        for a in assignments {
            let row = (a.effective_from, a.calendar_id);
            match a.target {
                CalendarTarget::Unit(u) => s.unit_calendar.entry(u).or_default().push(row),
                CalendarTarget::Employee(e) => s.employee_calendar.entry(e).or_default().push(row),
            };
        }
        s.unit_tz = units.iter().map(|u| (u.id, u.timezone.clone())).collect();
        s.unit_paths = units.into_iter().map(|u| (u.id, u.path)).collect();
        let mut national = Vec::new();
        for h in holidays {
            match h.unit_id {
                Some(u) => s.regional.entry(u).or_default().push(h.holiday),
                None => national.push(h.holiday),
            }
        }
        s.national = Arc::new(national);
        s.unit_holidays = s.unit_paths.iter().map(|(id, path)| (*id, s.holidays_on_path(path))).collect();
        s.rules = Arc::new(rules.into_iter().map(|r| r.rules).collect());
        let mut rosters: HashMap<Id, Vec<RosterEntry>> = HashMap::new();
        for r in roster {
            rosters.entry(r.employee_id).or_default().push(RosterEntry { date: r.date, shift: r.shift });
        }
        s.rosters = rosters.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        s.channels = channels.iter().map(|c| c.policy()).collect();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(s);
        self.loaded.store(true, Ordering::Release);
        self.ready.notify_waiters();
        Ok(())
    }

    /// Makes a unit created after the last load known (its path decides inheritance).
    pub fn note_unit(&self, unit_id: Id, path: &str, timezone: &str) {
        let mut w = self.current.write().unwrap_or_else(|p| p.into_inner());
        if w.unit_paths.get(&unit_id).map(String::as_str) == Some(path)
            && w.unit_tz.get(&unit_id).map(String::as_str) == Some(timezone)
        {
            return;
        }
        let mut s = (**w).clone();
        s.unit_paths.insert(unit_id, path.to_string());
        s.unit_tz.insert(unit_id, timezone.to_string());
        let hs = s.holidays_on_path(path);
        s.unit_holidays.insert(unit_id, hs);
        *w = Arc::new(s);
    }

    /// The materialised path of a loaded unit.
    pub fn unit_path(&self, unit_id: Id) -> Option<String> {
        self.snapshot().unit_paths.get(&unit_id).cloned()
    }

    pub fn knows_unit(&self, unit_id: Id) -> bool {
        self.snapshot().unit_paths.contains_key(&unit_id)
    }

    /// The context of one employee today (their current unit, the calendar in force today):
    /// in-memory lookups only (the check-in hot path).
    pub fn context_for(&self, e: &Employee) -> DayContext {
        let tz = unit_zone(&e.timezone).unwrap_or(TimeZone::UTC);
        let today = jiff::Timestamp::now().to_zoned_datetime(tz).date();
        self.context_on(e, e.unit_id, today)
    }

    /// A unit's own day `d` (no employee's calendar): the calendar in force on its path and its
    /// holidays; `None` for a unit not loaded yet.
    pub fn unit_day(&self, unit_id: Id, d: Date) -> Option<(Arc<Calendar>, Arc<Vec<Holiday>>)> {
        let s = self.snapshot();
        let path = s.unit_paths.get(&unit_id)?;
        let calendar = s
            .calendar_for(0, path, d)
            .map(|(_, c)| c)
            .or_else(|| s.default_calendar.as_ref().map(|(_, c)| c.clone()))
            .unwrap_or_else(|| self.fallback_calendar.clone());
        let holidays = s.unit_holidays.get(&unit_id).cloned().unwrap_or_else(|| s.national.clone());
        Some((calendar, holidays))
    }

    /// The context of `e`'s day `d` spent in `unit_id`: that unit's zone and holidays, the
    /// calendar in force that day.
    pub fn context_on(&self, e: &Employee, unit_id: Id, d: Date) -> DayContext {
        let s = self.snapshot();
        self.context_in(&s, e, unit_id, d)
    }

    fn context_in(&self, s: &Snapshot, e: &Employee, unit_id: Id, d: Date) -> DayContext {
        let path = s.unit_paths.get(&unit_id).map(String::as_str).unwrap_or("");
        let (calendar_id, calendar) = s.calendar_for(e.id, path, d).unwrap_or_else(|| match &s.default_calendar {
            Some((id, c)) => (Some(*id), c.clone()),
            None => (None, self.fallback_calendar.clone()),
        });
        let zone = match s.unit_tz.get(&unit_id) {
            Some(z) => z.as_str(),
            None => e.timezone.as_str(),
        };
        DayContext {
            tz: unit_zone(zone).unwrap_or(TimeZone::UTC),
            calendar,
            calendar_id,
            roster: s.rosters.get(&e.id).cloned().unwrap_or_default(),
            holidays: s.unit_holidays.get(&unit_id).cloned().unwrap_or_else(|| s.national.clone()),
            rules: s.rules.clone(),
            channels: Arc::new(hadir_domain::channels::applicable(&s.channels, path, e.category.as_str())),
        }
    }

    /// The contexts of `e`'s days `from..=to`, each with the unit of its date (from `history`,
    /// the employee's rows in date order) and the calendar in force that date.
    pub fn timeline(&self, e: &Employee, history: &[UnitSpell], from: Date, to: Date) -> Timeline {
        let s = self.snapshot();
        let mut spans: Vec<Span> = Vec::new();
        let mut d = from;
        loop {
            let unit_id = unit_on(history, e.unit_id, d);
            let path = s.unit_paths.get(&unit_id).map(String::as_str).unwrap_or("");
            let cal = s.calendar_for(e.id, path, d).and_then(|(id, _)| id);
            if spans.last().is_none_or(|l| l.unit_id != unit_id || l.calendar_key != cal) {
                spans.push(Span { from: d, unit_id, calendar_key: cal, ctx: self.context_in(&s, e, unit_id, d) });
            }
            match d.tomorrow() {
                Ok(n) if n <= to => d = n,
                _ => break,
            }
        }
        Timeline { spans }
    }

    /// The channel policy in force for `e` on `d` in their current unit (issue 25).
    pub fn channel_policy_on(&self, e: &Employee, d: Date) -> Option<hadir_domain::channels::ChannelPolicy> {
        let s = self.snapshot();
        let path = s.unit_paths.get(&e.unit_id).map(String::as_str).unwrap_or("");
        hadir_domain::channels::resolve(&s.channels, path, e.category.as_str(), d).cloned()
    }

    /// The calendar with this id, if loaded.
    pub fn calendar(&self, id: Id) -> Option<Arc<Calendar>> {
        self.snapshot().calendars.get(&id).cloned()
    }
}

/// Unit ids on a materialised path, root first: `/1/4/17/` → 1, 4, 17.
fn path_ids(path: &str) -> impl DoubleEndedIterator<Item = Id> + '_ {
    path.split('/').filter_map(|p| p.parse().ok())
}

/// The assignment in force on `d` among rows in date order: `Some(None)` means "inherit".
fn in_force(rows: Option<&Vec<(Date, Option<Id>)>>, d: Date) -> Option<Id> {
    rows?.iter().rev().find(|(from, _)| *from <= d).and_then(|(_, id)| *id)
}

/// One stretch of days with the same unit and calendar.
#[derive(Clone)]
pub struct Span {
    pub from: Date,
    pub unit_id: Id,
    calendar_key: Option<Id>,
    pub ctx: DayContext,
}

/// The contexts of a range of days: the unit and calendar in force change on their dates.
#[derive(Clone)]
pub struct Timeline {
    /// In date order; never empty.
    spans: Vec<Span>,
}

impl Timeline {
    /// One context for every day (today's board, tests).
    pub fn single(unit_id: Id, ctx: DayContext) -> Timeline {
        Timeline { spans: vec![Span { from: Date::MIN, unit_id, calendar_key: ctx.calendar_id, ctx }] }
    }

    fn span(&self, d: Date) -> &Span {
        self.spans.iter().rev().find(|s| s.from <= d).unwrap_or(&self.spans[0])
    }

    /// The context of day `d` (before the first span: the first).
    pub fn on(&self, d: Date) -> &DayContext {
        &self.span(d).ctx
    }

    /// The unit day `d` was spent in.
    pub fn unit_on(&self, d: Date) -> Id {
        self.span(d).unit_id
    }

    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The context of the last day.
    pub fn last(&self) -> &DayContext {
        &self.spans[self.spans.len() - 1].ctx
    }
}

impl Snapshot {
    fn calendar_for(&self, employee_id: Id, unit_path: &str, d: Date) -> Option<(Option<Id>, Arc<Calendar>)> {
        let own = in_force(self.employee_calendar.get(&employee_id), d);
        let id = own.or_else(|| path_ids(unit_path).rev().find_map(|u| in_force(self.unit_calendar.get(&u), d)))?;
        self.calendars.get(&id).map(|c| (Some(id), c.clone()))
    }

    fn holidays_on_path(&self, path: &str) -> Arc<Vec<Holiday>> {
        let regional: Vec<&Holiday> = path_ids(path).filter_map(|u| self.regional.get(&u)).flatten().collect();
        if regional.is_empty() {
            return self.national.clone();
        }
        let mut all: Vec<Holiday> = self.national.as_ref().clone();
        all.extend(regional.into_iter().cloned());
        Arc::new(all)
    }
}
