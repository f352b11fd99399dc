//! Day records: evaluation of an employee's days from the store and the policies in memory,
//! and the background recompute that keeps the stored records in step with their inputs.
//!
//! Triggers, all ending in the durable, idempotent `recompute_queue` (so several instances can
//! share the work through the database, and a restart loses nothing already queued):
//! - new punches: the ingest writer's commit hook hands them to a collector that marks their
//!   (employee, local date) dirty, and the previous date for morning punches (overnight shifts);
//! - policy changes (calendars, assignments, holidays, rule sets, rosters) and employee changes
//!   (unit, start date): [`Recompute::enqueue_in_background`];
//! - approvals (issue 7): [`Recompute::enqueue_recompute`];
//! - day close: a sweep at start and every [`SWEEP_EVERY`] queues the open (or missing)
//!   records of yesterday and today, so TK appears without any punch arriving.
//!
//! A worker claims queued pairs, evaluates them with `now` and upserts the records; records
//! whose JSON did not change are not rewritten, so recomputing is idempotent.

use crate::context::{DayContext, Policies, ROSTER_MEMORY_DAYS, Timeline};
use crate::ingest::CommitHook;
use hadir_domain::{
    ApprovedAbsence, Correction, DayInput, DayRecord, OutageWindow, PresenceEntry, Punch as DomainPunch, RosterEntry,
    RuleSet, rule_in_force,
};
use hadir_store::{DayRow, Employee, Id, Punch, PunchFilter, RecomputeJob, RecomputeTarget, Store, StoreError};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// How often the day-close sweep runs (it also reloads the policies, to see other processes' edits).
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);
/// The `job_runs` name of the day-close sweep (claimed once per [`SWEEP_EVERY`] slot).
pub const DAY_CLOSE_JOB: &str = "day_close_sweep";
/// Pairs claimed per worker round.
const CLAIM_BATCH: u32 = 256;

/// Approved requests that shape days: leave and permits, manual/special presence, outages and
/// objections.
#[derive(Debug, Clone, Default)]
pub struct ApprovedInputs {
    pub absences: Vec<ApprovedAbsence>,
    pub presence: Vec<PresenceEntry>,
    pub outages: Vec<OutageWindow>,
    pub corrections: Vec<Correction>,
    /// Apel/upacara sessions of the range that concern the employee (issue 21; not requests,
    /// but read with them so every evaluation path gets them).
    pub sessions: Vec<crate::sessions::DaySession>,
}

/// THE HOOK FOR ISSUE 7 (requests and approvals): the approved requests of `employee` touching
/// `from..=to`. Empty until requests exist; fill it from the request store, and call
/// [`Recompute::enqueue_recompute`] when a decision changes a day.
pub async fn approved_inputs(
    store: &dyn Store,
    employee: &Employee,
    from: Date,
    to: Date,
) -> Result<ApprovedInputs, StoreError> {
    crate::requests::approved_inputs_for(store, employee, from, to).await
}

/// Today in `tz`.
pub fn today_in(tz: &TimeZone) -> Date {
    Timestamp::now().to_zoned_datetime(tz.clone()).date()
}

/// The date at `now` in a unit's zone (by name; UTC when the name is unknown): "today" for
/// the people of that unit, which near midnight differs between WIB, WITA and WIT.
pub fn date_in_zone(zone: &str, now: Timestamp) -> Date {
    now.to_zoned_datetime(hadir_domain::unit_zone(zone).unwrap_or(TimeZone::UTC)).date()
}

/// The latest "today" in Indonesia (WIT, UTC+9): no employee's today is later.
pub fn latest_today() -> Date {
    today_in(&TimeZone::get("Asia/Jayapura").unwrap_or(TimeZone::UTC))
}

/// Local midnight of `d` in `tz`, as an instant.
pub fn day_start(tz: &TimeZone, d: Date) -> Timestamp {
    d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).unwrap_or(d)
}

/// The employee's context today; makes sure a unit created after the last load is known.
pub async fn context(store: &dyn Store, policies: &Policies, e: &Employee) -> Result<DayContext, StoreError> {
    know_units(store, policies, &[e.unit_id]).await?;
    Ok(policies.context_for(e))
}

/// Makes units created after the last policy load known (their path decides inheritance).
async fn know_units(store: &dyn Store, policies: &Policies, ids: &[Id]) -> Result<(), StoreError> {
    for id in ids {
        if !policies.knows_unit(*id) {
            let u = store.unit_by_id(*id).await?;
            policies.note_unit(u.id, &u.path, &u.timezone);
        }
    }
    Ok(())
}

/// The contexts of `e`'s days `from..=to` from their unit history (issue 19: each day with the
/// unit, zone, holidays and calendar in force on its date).
pub async fn timeline(
    store: &dyn Store,
    policies: &Policies,
    e: &Employee,
    history: &[hadir_store::UnitSpell],
    from: Date,
    to: Date,
) -> Result<Timeline, StoreError> {
    let mut units: Vec<Id> = history.iter().map(|h| h.unit_id).collect();
    units.push(e.unit_id);
    units.sort_unstable();
    units.dedup();
    know_units(store, policies, &units).await?;
    Ok(policies.timeline(e, history, from, to.max(from)))
}

/// Evaluates `from..=to` for one employee with the given punches (those from the day before
/// to the day after are needed), each day in the context of its date. Days after the end of
/// employment are not days: no record.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_with(
    timeline: &Timeline,
    roster: &[RosterEntry],
    e: &Employee,
    punches: &[DomainPunch],
    inputs: &ApprovedInputs,
    from: Date,
    to: Date,
    now: Timestamp,
) -> Vec<DayRecord> {
    let fallback_rules = RuleSet::default();
    let mut out = Vec::new();
    let mut d = from;
    while d <= to && !e.ended_before(d) {
        let ctx = timeline.on(d);
        let schedule = ctx.calendar.resolve(d, roster).or_else(|err| {
            tracing::warn!(employee = e.id, date = %d, error = %err, "roster names an unknown shift; weekly pattern used");
            ctx.calendar.resolve(d, &[])
        });
        let Ok(schedule) = schedule else { break };
        let rules = rule_in_force(&ctx.rules, d).or(ctx.rules.first()).unwrap_or(&fallback_rules);
        let input = DayInput {
            holidays: &ctx.holidays,
            start_date: e.start_date,
            punches,
            absences: &inputs.absences,
            presence_entries: &inputs.presence,
            outages: &inputs.outages,
            corrections: &inputs.corrections,
            channels: hadir_domain::channels::in_force(&ctx.channels, d),
            ..DayInput::new(d, &ctx.tz, &schedule, rules, now)
        };
        let mut record = hadir_domain::evaluate_day(&input);
        crate::sessions::apply(&mut record, inputs, rules, e, now);
        out.push(record);
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

pub fn domain_punches(ps: &[Punch]) -> Vec<DomainPunch> {
    ps.iter()
        .filter(|p| p.counts_on_day())
        .map(|p| DomainPunch { id: p.id, at: p.p.punched_at, source: p.p.source.as_str().into() })
        .collect()
}

/// Punches of `from..=to` plus the day before and after, wide enough for every zone the days
/// may be spent in (UTC+7..+9).
pub async fn punches_around(store: &dyn Store, e: &Employee, from: Date, to: Date) -> Result<Vec<Punch>, StoreError> {
    store
        .list_punches(&PunchFilter {
            employee_id: Some(e.id),
            from: Some(day_start(&TimeZone::UTC, add_days(from, -2))),
            to: Some(day_start(&TimeZone::UTC, add_days(to, 2))),
            limit: 100_000,
            ..Default::default()
        })
        .await
}

/// Evaluates one employee's days `from..=to` from the store and the policies.
pub async fn evaluate_days(
    store: &dyn Store,
    policies: &Policies,
    e: &Employee,
    from: Date,
    to: Date,
    now: Timestamp,
) -> Result<Vec<DayRecord>, StoreError> {
    let history = store.unit_history(&[e.id]).await?;
    let tl = timeline(store, policies, e, &history, from, to).await?;
    evaluate_days_on(store, &tl, e, from, to, now).await
}

/// The same with the employee's timeline already at hand (the recap needs it too).
pub async fn evaluate_days_on(
    store: &dyn Store,
    tl: &Timeline,
    e: &Employee,
    from: Date,
    to: Date,
    now: Timestamp,
) -> Result<Vec<DayRecord>, StoreError> {
    let roster = roster_for(store, tl.last(), e, from, to).await?;
    let punches = domain_punches(&punches_around(store, e, from, to).await?);
    let mut inputs = approved_inputs(store, e, from, to).await?;
    inputs.sessions = crate::sessions::for_employee(store, tl, e, from, to).await?;
    Ok(evaluate_with(tl, &roster, e, &punches, &inputs, from, to, now))
}

/// The roster around `from..=to`: from memory for recent days, else from the store.
async fn roster_for(
    store: &dyn Store,
    ctx: &DayContext,
    e: &Employee,
    from: Date,
    to: Date,
) -> Result<Arc<Vec<RosterEntry>>, StoreError> {
    let memory_from = add_days(crate::org::today_jakarta(), -i64::from(ROSTER_MEMORY_DAYS) + 1);
    if add_days(from, -1) >= memory_from {
        return Ok(ctx.roster.clone());
    }
    let rows = store.list_roster(Some(e.id), add_days(from, -1), add_days(to, 1)).await?;
    Ok(Arc::new(rows.into_iter().map(|r| RosterEntry { date: r.date, shift: r.shift }).collect()))
}

/// Rows worth storing: dates up to the employee's today (later ones are not days yet).
pub fn storable(e: &Employee, records: &[DayRecord]) -> Vec<DayRow> {
    let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(TimeZone::UTC);
    let today = today_in(&tz);
    records.iter().filter(|r| r.date <= today).map(|r| DayRow::new(e.id, r.clone())).collect()
}

/// Evaluates and stores `from..=to` for one employee; returns the records and how many stored
/// rows changed.
pub async fn recompute_employee(
    store: &dyn Store,
    policies: &Policies,
    e: &Employee,
    from: Date,
    to: Date,
) -> Result<(Vec<DayRecord>, u64), StoreError> {
    let records = evaluate_days(store, policies, e, from, to, Timestamp::now()).await?;
    let changed = store.upsert_day_records(&storable(e, &records)).await?;
    Ok((records, changed))
}

/// The handle handlers use to mark days dirty. Cheap to clone.
#[derive(Clone)]
pub struct Recompute {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    policies: Arc<Policies>,
    wake: Notify,
    punches: mpsc::UnboundedSender<(Id, Timestamp)>,
}

impl Recompute {
    /// Loads the policies (seeding them on first start) and starts the collector, the worker
    /// and the day-close sweep. Needs a Tokio runtime.
    pub fn start(store: Arc<dyn Store>, policies: Arc<Policies>) -> Recompute {
        let (tx, rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner { store, policies, wake: Notify::new(), punches: tx });
        tokio::spawn(collector(inner.clone(), rx));
        tokio::spawn(worker(inner.clone()));
        tokio::spawn(sweeper(inner.clone()));
        Recompute { inner }
    }

    /// For the ingest writer: new punches mark their days dirty (off the request path).
    pub fn commit_hook(&self) -> CommitHook {
        let tx = self.inner.punches.clone();
        Arc::new(move |ps: &[Punch]| {
            for p in ps {
                if let Some(e) = p.p.employee_id
                    && !p.p.quarantined
                {
                    let _ = tx.send((e, p.p.punched_at));
                }
            }
        })
    }

    pub fn policies(&self) -> &Arc<Policies> {
        &self.inner.policies
    }

    /// Marks `from..=to` of these employees dirty and wakes the worker. Called by approvals
    /// (issue 7) and employee changes.
    pub async fn enqueue_recompute(&self, employee_ids: &[Id], from: Date, to: Date) -> Result<u64, StoreError> {
        self.enqueue(RecomputeTarget::Employees(employee_ids.to_vec()), from, to).await
    }

    pub async fn enqueue(&self, target: RecomputeTarget, from: Date, to: Date) -> Result<u64, StoreError> {
        let to = to.min(latest_today());
        let n = self.inner.store.enqueue_recompute_range(&target, from, to).await?;
        self.inner.wake.notify_one();
        Ok(n)
    }

    /// The same, without waiting (policy edits touch many employees).
    pub fn enqueue_in_background(&self, target: RecomputeTarget, from: Date, to: Date) {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.enqueue(target, from, to).await {
                tracing::error!(error = %e, "could not queue day recomputation");
            }
        });
    }

    /// Wakes the worker (e.g. after queueing directly in the store).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }
}

/// How far back automatic recomputation after a policy change reaches: the previous month
/// (the open recap and its objection window). Older months: `hadir recompute`.
pub fn policy_recompute_from(change_from: Date) -> Date {
    let today = latest_today();
    let floor = today.first_of_month().checked_sub(1.month()).unwrap_or(today);
    change_from.max(floor)
}

/// Whether a schedule's windows reach past midnight (a night shift), so that a punch early
/// the next morning may belong to it.
fn reaches_next_day(s: &hadir_domain::ResolvedSchedule) -> bool {
    s.day.as_ref().is_some_and(|d| d.checkpoints.iter().any(|c| c.window_end.day_offset() > 0))
}

async fn collector(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<(Id, Timestamp)>) {
    while let Some(first) = rx.recv().await {
        // Coalesce a burst (the 07:25 rush) into one queue transaction.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut items = vec![first];
        while let Ok(x) = rx.try_recv() {
            items.push(x);
        }
        let mut ids: Vec<Id> = items.iter().map(|(e, _)| *e).collect();
        ids.sort_unstable();
        ids.dedup();
        let employees: HashMap<Id, Employee> = match inner.store.employees_by_ids(&ids).await {
            Ok(es) => es.into_iter().map(|e| (e.id, e)).collect(),
            Err(err) => {
                // The punches are stored; the day-close sweep and reads evaluate them anyway.
                tracing::error!(error = %err, punches = items.len(), "could not read the employees of new punches");
                continue;
            }
        };
        let mut pairs: Vec<(Id, Date)> = Vec::new();
        for (emp, at) in items {
            let Some(e) = employees.get(&emp) else {
                tracing::warn!(employee = emp, "punch of an unknown employee");
                continue;
            };
            let ctx = inner.policies.context_for(e);
            let local = at.to_zoned_datetime(ctx.tz.clone()).date();
            pairs.push((emp, local));
            // A morning punch may close yesterday's night shift: only then is yesterday dirty.
            let yesterday = add_days(local, -1);
            if ctx.calendar.resolve(yesterday, &ctx.roster).is_ok_and(|s| reaches_next_day(&s)) {
                pairs.push((emp, yesterday));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        if let Err(e) = inner.store.enqueue_recompute(&pairs).await {
            tracing::error!(error = %e, pairs = pairs.len(), "could not queue days of new punches");
        }
        inner.wake.notify_one();
    }
}

async fn worker(inner: Arc<Inner>) {
    inner.policies.wait_loaded().await;
    loop {
        let now = Timestamp::now();
        let jobs = match inner.store.claim_recompute(CLAIM_BATCH, now, now + SignedDuration::from_mins(5)).await {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(error = %e, "recompute queue unavailable");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if jobs.is_empty() {
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            continue;
        }
        match process(&inner, &jobs).await {
            Ok(changed) => {
                metrics::counter!("hadir_day_recomputed_total").increment(jobs.len() as u64);
                tracing::debug!(jobs = jobs.len(), changed, "days recomputed");
                if let Err(e) = inner.store.finish_recompute(&jobs).await {
                    tracing::error!(error = %e, "could not finish recompute jobs");
                }
            }
            Err(e) => {
                // The lease expires and the jobs are claimed again.
                tracing::error!(error = %e, "day recompute failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// Recomputes claimed pairs, grouped by employee; one upsert transaction for the batch.
///
/// The inputs are read for the whole batch at once (employees, punches, approved requests:
/// three reads instead of four per employee), then handed to each employee exactly as
/// [`evaluate_days`] would read them, so the records are the same. Punches come slim: only
/// those [`domain_punches`] would keep, with only what it keeps of them.
async fn process(inner: &Inner, jobs: &[RecomputeJob]) -> Result<u64, StoreError> {
    let store = inner.store.as_ref();
    let mut by_emp: BTreeMap<Id, Vec<Date>> = BTreeMap::new();
    for j in jobs {
        by_emp.entry(j.employee_id).or_default().push(j.date);
    }
    let ids: Vec<Id> = by_emp.keys().copied().collect();
    let employees: HashMap<Id, Employee> = store.employees_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let mut history: HashMap<Id, Vec<hadir_store::UnitSpell>> = HashMap::new();
    for h in store.unit_history(&ids).await? {
        history.entry(h.employee_id).or_default().push(h);
    }
    let (Some(lo), Some(hi)) = (jobs.iter().map(|j| j.date).min(), jobs.iter().map(|j| j.date).max()) else {
        return Ok(0);
    };
    // Wide enough for every zone (UTC+7..+9): each employee's own window is cut out below.
    let punches = store
        .counting_punches_of(
            &ids,
            day_start(&TimeZone::UTC, add_days(lo, -2)),
            day_start(&TimeZone::UTC, add_days(hi, 3)),
        )
        .await?;
    let mut punches_by: HashMap<Id, Vec<hadir_store::CountingPunch>> = HashMap::new();
    for p in punches {
        punches_by.entry(p.employee_id).or_default().push(p);
    }
    let mut who = Vec::with_capacity(employees.len());
    for e in employees.values() {
        let path = match inner.policies.unit_path(e.unit_id) {
            Some(p) => p,
            None => store.unit_by_id(e.unit_id).await?.path,
        };
        who.push((e.id, path));
    }
    // `approved_inputs` reads one day either side of the range.
    let mut requests = store.approved_requests_for_many(&who, add_days(lo, -1), add_days(hi, 1)).await?;
    // Apel/upacara sessions of the batch's dates (issue 21): one read, a second only when any.
    let sessions: Vec<Arc<hadir_store::StoredSession>> =
        store.list_apel_sessions(lo, hi).await?.into_iter().filter(|s| !s.cancelled).map(Arc::new).collect();
    let session_marks = if sessions.is_empty() {
        Vec::new()
    } else {
        store.attendance_of(&ids, &sessions.iter().map(|s| s.id).collect::<Vec<_>>()).await?
    };

    let now = Timestamp::now();
    let mut rows = Vec::new();
    for (emp, mut dates) in by_emp {
        let Some(e) = employees.get(&emp) else { continue };
        dates.sort_unstable();
        let (from, to) = (dates[0], dates[dates.len() - 1]);
        let tl =
            timeline(store, &inner.policies, e, history.get(&emp).map(Vec::as_slice).unwrap_or(&[]), from, to).await?;
        let roster = roster_for(store, tl.last(), e, from, to).await?;
        let (p_from, p_to) =
            (day_start(&TimeZone::UTC, add_days(from, -2)), day_start(&TimeZone::UTC, add_days(to, 2)));
        let mine: Vec<DomainPunch> = punches_by
            .remove(&emp)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.punched_at >= p_from && p.punched_at < p_to)
            .map(|p| DomainPunch { id: p.id, at: p.punched_at, source: p.source.as_str().into() })
            .collect();
        let (r_from, r_to) = (add_days(from, -1), add_days(to, 1));
        let reqs: Vec<hadir_store::Request> = requests
            .remove(&emp)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.date_from <= r_to && r.date_to >= r_from)
            .collect();
        let mut inputs = crate::requests::inputs_from(emp, &reqs);
        if !sessions.is_empty() {
            let mut paths = HashMap::new();
            for s in &sessions {
                let u = tl.unit_on(s.s.date);
                if let std::collections::hash_map::Entry::Vacant(v) = paths.entry(u) {
                    v.insert(match inner.policies.unit_path(u) {
                        Some(p) => p,
                        None => store.unit_by_id(u).await?.path,
                    });
                }
            }
            inputs.sessions = crate::sessions::select(&sessions, &session_marks, e, |d| tl.unit_on(d), &paths);
        }
        let records = evaluate_with(&tl, &roster, e, &mine, &inputs, from, to, now);
        let wanted: Vec<DayRecord> = records.into_iter().filter(|r| dates.binary_search(&r.date).is_ok()).collect();
        rows.extend(storable(e, &wanted));
    }
    store.upsert_day_records(&rows).await
}

async fn sweeper(inner: Arc<Inner>) {
    // First start: seed and load the policies (retrying: the server must not run on nothing).
    loop {
        match inner.policies.seed_and_load(inner.store.as_ref()).await {
            Ok(()) => break,
            Err(e) => {
                tracing::error!(error = %e, "could not load policies; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
    let mut first = true;
    let holder = format!("pid{}@{}", std::process::id(), Timestamp::now().as_millisecond());
    loop {
        // One sweep per SWEEP_EVERY slot across every instance sharing the store: the first
        // to claim the slot sweeps, the others skip it.
        let now = Timestamp::now();
        let slot = now.as_second().div_euclid(SWEEP_EVERY.as_secs() as i64).to_string();
        let lease = now + SignedDuration::try_from(SWEEP_EVERY).unwrap_or(SignedDuration::from_mins(10));
        match inner.store.claim_job(DAY_CLOSE_JOB, &slot, &holder, now, lease).await {
            Ok(true) => {
                let today = latest_today();
                let back = if first { 7 } else { 1 };
                let dates: Vec<Date> = (0..=back).rev().map(|n| add_days(today, -n)).collect();
                match inner.store.enqueue_open_days(&dates).await {
                    Ok(n) => {
                        if n > 0 {
                            tracing::debug!(queued = n, "day-close sweep");
                            inner.wake.notify_one();
                        }
                        if let Err(e) = inner.store.finish_job(DAY_CLOSE_JOB, &slot, Timestamp::now()).await {
                            tracing::warn!(error = %e, "could not mark the day-close sweep done");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "day-close sweep failed"),
                }
            }
            Ok(false) => tracing::debug!(slot, "day-close sweep of this slot done by another instance"),
            Err(e) => tracing::error!(error = %e, "could not claim the day-close sweep"),
        }
        first = false;
        tokio::time::sleep(SWEEP_EVERY).await;
        if let Err(e) = inner.policies.reload(inner.store.as_ref()).await {
            tracing::error!(error = %e, "policy reload failed");
        }
    }
}

/// What [`recompute_range`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecomputeReport {
    pub employees: u64,
    pub days: u64,
    /// Stored records that were new or changed (0 on a repeat: recomputing is idempotent).
    pub changed: u64,
}

/// Recomputes and stores `from..=to` (up to each employee's today) for every employee, or
/// those of a unit subtree, now (the `hadir recompute` command and the demo). `progress` gets
/// (employees done, total).
pub async fn recompute_range(
    store: &dyn Store,
    policies: &Policies,
    unit_code: Option<&str>,
    from: Date,
    to: Date,
    progress: impl Fn(u64, u64),
) -> Result<RecomputeReport, StoreError> {
    let mut report = RecomputeReport::default();
    let mut rows: Vec<DayRow> = Vec::new();
    let mut offset = 0u32;
    let now = Timestamp::now();
    loop {
        let f = hadir_store::EmployeeFilter {
            unit_code: unit_code.map(str::to_string),
            offset,
            limit: 500,
            ..Default::default()
        };
        let page = store.list_employees(&hadir_store::Scope::All, &f).await?;
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        for e in &page.items {
            let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(TimeZone::UTC);
            let last = to.min(today_in(&tz));
            if last >= from {
                let records = evaluate_days(store, policies, e, from, last, now).await?;
                report.days += records.len() as u64;
                rows.extend(records.into_iter().map(|r| DayRow::new(e.id, r)));
            }
            report.employees += 1;
            if rows.len() >= 5_000 {
                report.changed += store.upsert_day_records(&rows).await?;
                rows.clear();
            }
            progress(report.employees, page.total);
        }
    }
    report.changed += store.upsert_day_records(&rows).await?;
    Ok(report)
}
