//! The reminder scheduler (issue 25): once a minute, employees whose checkpoint opens now, or
//! closes in `before_close_minutes`, in their own zone (WIB/WITA/WIT), are reminded, by Web
//! Push and the webhook event `notification.reminder_open` / `notification.reminder_close`.
//!
//! [`tick`] does one pass at an explicit `now` (the background task passes the clock; tests pass
//! the instant they mean). Employees are read in pages of [`BATCH`]; for each, the pure rule
//! [`hadir_domain::reminders::due_reminders`] first runs on the schedule alone (no store reads),
//! and only when something may be due are the person's approved requests and punches of the
//! day read and the rule run again with them (holidays, non-working days, approved leave,
//! punches already made, quiet hours). Each reminder is queued once under the key
//! `reminder:<employee>:<date>:<checkpoint>:<open|close>` (a second tick, or a second instance,
//! adds nothing), and only if the person chose that kind.
//!
//! The same pass alerts the people who look after units (in the unit's working hours, never in
//! the quiet window): silent terminals and offline relays (operators), requests waiting for a
//! head (heads), and held punches waiting in review (heads and operators).

use crate::context::Policies;
use crate::notifications::{Kind, Message, NotifyConfig, Recipient, notify};
use hadir_domain::reminders::{ReminderDay, ReminderKind, ReminderSettings, due_reminders, local_now};
use hadir_domain::zone::{day_time_text, unit_zone, zone_abbreviation};
use hadir_store::{Employee, EmployeeFilter, Scope, Store, StoreError};
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// Employees read per page.
pub const BATCH: u32 = 200;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Employees looked at.
    pub employees: u64,
    /// Reminders queued now (not counting those queued by an earlier tick).
    pub queued: u64,
    /// Alerts to operators and heads queued now (silent terminals, relays offline, requests
    /// and review items waiting).
    pub alerts: u64,
}

pub fn settings(cfg: &NotifyConfig) -> ReminderSettings {
    ReminderSettings {
        before_close_minutes: cfg.before_close_minutes,
        quiet_start: cfg.quiet_start,
        quiet_end: cfg.quiet_end,
        catch_up_minutes: cfg.catch_up_minutes,
    }
}

/// One pass of the scheduler at `now`.
pub async fn tick(
    store: &dyn Store,
    policies: &Policies,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> Result<TickReport, StoreError> {
    let s = settings(cfg);
    let mut report = TickReport { alerts: alerts(store, policies, cfg, now).await?, ..TickReport::default() };
    let mut offset = 0u32;
    loop {
        let f = EmployeeFilter { active: Some(true), offset, limit: BATCH, ..Default::default() };
        let page = store.list_employees(&Scope::All, &f).await?;
        let n = page.items.len() as u32;
        for e in &page.items {
            report.employees += 1;
            report.queued += remind(store, policies, &s, e, now).await?;
        }
        if n < BATCH {
            return Ok(report);
        }
        offset += n;
    }
}

async fn remind(
    store: &dyn Store,
    policies: &Policies,
    s: &ReminderSettings,
    e: &Employee,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let Ok(tz) = unit_zone(&e.timezone) else {
        return Ok(0);
    };
    let (date, minute) = local_now(now, &tz);
    if e.ended_before(date) || e.start_date.is_some_and(|d| d > date) {
        return Ok(0);
    }
    let ctx = policies.context_on(e, e.unit_id, date);
    let Ok(resolved) = ctx.calendar.resolve(date, &ctx.roster) else {
        return Ok(0);
    };
    let holiday = hadir_domain::holiday_on(&ctx.holidays, date).is_some();
    let bare = ReminderDay {
        schedule: resolved.day.as_ref(),
        holiday,
        whole_day_excused: false,
        excused_checkpoints: &[],
        punches: &[],
    };
    // Cheap first: most minutes nothing opens or closes for anybody.
    if due_reminders(&bare, s, minute).is_empty() {
        return Ok(0);
    }
    let inputs = crate::days::approved_inputs(store, e, date, date).await?;
    let covering: Vec<_> = inputs.absences.iter().filter(|a| a.covers(date)).collect();
    let whole_day_excused = covering.iter().any(|a| a.checkpoints.is_empty());
    let excused: Vec<String> = covering.iter().flat_map(|a| a.checkpoints.iter().cloned()).collect();
    let midnight = crate::days::day_start(&tz, date);
    let punches: Vec<u16> = crate::days::punches_around(store, e, date, date)
        .await?
        .iter()
        .filter(|p| p.counts())
        .map(|p| p.p.punched_at)
        .chain(inputs.presence.iter().map(|p| p.at))
        .filter_map(|at| {
            let m = at.duration_since(midnight).as_mins();
            (0..48 * 60).contains(&m).then_some(m as u16)
        })
        .collect();
    let day = ReminderDay { whole_day_excused, excused_checkpoints: &excused, punches: &punches, ..bare };
    let to = Recipient { account_id: e.account_id, login: e.login.clone(), name: e.name.clone(), nip: e.nip.clone() };
    let zone = zone_abbreviation(&tz, now);
    let mut queued = 0;
    for r in due_reminders(&day, s, minute) {
        let (kind, title, body) = match r.kind {
            ReminderKind::Open => (
                Kind::ReminderOpen,
                format!("Absen {} sudah dibuka", r.checkpoint),
                format!(
                    "Jam absen {} dibuka pukul {} {zone}, ditutup pukul {} {zone}.",
                    r.checkpoint,
                    day_time_text(r.at),
                    day_time_text(r.closes)
                ),
            ),
            ReminderKind::Close => (
                Kind::ReminderClose,
                format!("Anda belum absen {}", r.checkpoint),
                format!(
                    "Jam absen {} ditutup pukul {} {zone}. Segera lakukan absen.",
                    r.checkpoint,
                    day_time_text(r.closes)
                ),
            ),
        };
        let key = format!("reminder:{}:{date}:{}:{}", e.id, r.checkpoint, r.kind.as_str());
        let msg = Message { title, body, url: "/app/#/absen".into() };
        if notify(store, &to, kind, &key, &msg, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Whether local minute `minute` of `date` is inside the unit's working hours (a working day
/// that is no holiday, from the first checkpoint's due time to the last's) and not quiet.
fn working(
    policies: &Policies,
    s: &ReminderSettings,
    unit_id: hadir_store::Id,
    date: jiff::civil::Date,
    minute: u16,
) -> bool {
    let Some((calendar, holidays)) = policies.unit_day(unit_id, date) else {
        return false;
    };
    if hadir_domain::holiday_on(&holidays, date).is_some() || hadir_domain::reminders::quiet(s, minute) {
        return false;
    }
    let Some(day) = calendar.resolve(date, &[]).ok().and_then(|r| r.day) else {
        return false;
    };
    let first = day.checkpoints.iter().map(|c| c.due.minutes()).min().unwrap_or(u16::MAX);
    let last = day.checkpoints.iter().map(|c| c.due.minutes()).max().unwrap_or(0);
    first <= minute && minute <= last
}

/// Silent terminals and offline relays during working hours in their unit's zone: each
/// operator over the unit is told once per terminal (relay) per local day.
async fn alerts(store: &dyn Store, policies: &Policies, cfg: &NotifyConfig, now: Timestamp) -> Result<u64, StoreError> {
    let s = settings(cfg);
    let mut queued = 0;
    // (what, unit, zone, last seen, silent after, key part)
    let mut silent: Vec<(String, hadir_store::Id, String, Timestamp, Kind, String)> = Vec::new();
    let devices = store
        .list_devices(&hadir_store::DeviceFilter {
            state: Some(hadir_store::DeviceState::Active),
            ..Default::default()
        })
        .await?;
    let terminal_after = jiff::SignedDuration::from_mins(i64::from(cfg.terminal_silent_minutes.max(1)));
    for d in devices {
        let (Some(unit_id), Some(last)) = (d.unit_id, d.last_seen) else { continue };
        if now.duration_since(last) < terminal_after {
            continue;
        }
        let zone = d.timezone.clone().or(d.unit_timezone.clone()).unwrap_or_default();
        let name = match &d.unit_name {
            Some(u) => format!("Mesin absen {} ({u})", d.sn),
            None => format!("Mesin absen {}", d.sn),
        };
        silent.push((name, unit_id, zone, last, Kind::TerminalSilent, format!("terminal:{}", d.sn)));
    }
    let relay_after = jiff::SignedDuration::from_mins(i64::from(cfg.relay_offline_minutes.max(1)));
    for r in store.list_relays().await? {
        let Some(last) = r.last_seen.filter(|l| !r.revoked && now.duration_since(*l) >= relay_after) else {
            continue;
        };
        let zone = store.unit_by_id(r.unit_id).await?.timezone;
        silent.push((
            format!("Relay {} ({})", r.name, r.unit_code),
            r.unit_id,
            zone,
            last,
            Kind::RelayOffline,
            format!("relay:{}", r.id),
        ));
    }
    queued += requests_waiting(store, policies, cfg, now).await?;
    queued += review_waiting(store, policies, cfg, now).await?;
    for (what, unit_id, zone, last, kind, key) in silent {
        let Ok(tz) = unit_zone(&zone) else { continue };
        if policies.unit_path(unit_id).is_none() {
            // A unit made after the policies were loaded.
            let u = store.unit_by_id(unit_id).await?;
            policies.note_unit(u.id, &u.path, &u.timezone);
        }
        let (date, minute) = local_now(now, &tz);
        if !working(policies, &s, unit_id, date, minute) {
            continue;
        }
        let Some(path) = policies.unit_path(unit_id) else { continue };
        let since_date = last.to_zoned_datetime(tz.clone()).date();
        let since = if since_date == date {
            format!("pukul {} {}", hadir_domain::zone::clock(&tz, last), zone_abbreviation(&tz, last))
        } else {
            format!(
                "{} pukul {} {}",
                since_date.strftime("%d-%m-%Y"),
                hadir_domain::zone::clock(&tz, last),
                zone_abbreviation(&tz, last)
            )
        };
        let (title, body) = match kind {
            Kind::RelayOffline => (
                "Penerus data kantor tidak terhubung".to_string(),
                format!("{what} tidak terhubung ke server sejak {since}."),
            ),
            _ => (
                "Mesin absen tidak mengirim data".to_string(),
                format!("{what} tidak mengirim data sejak {since}. Periksa listrik dan jaringannya."),
            ),
        };
        let msg = Message { title, body, url: "/admin/terminals".into() };
        for h in store.role_holders_over(&path, "operator").await? {
            let to = Recipient { account_id: h.account_id, login: h.login, name: h.name, nip: h.nip };
            let dedup = format!("alert:{key}:{date}:{}", to.account_id);
            if notify(store, &to, kind, &dedup, &msg, now).await? {
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// Pending requests read per tick (oldest units first are not guaranteed; the rest wait for
/// the next tick's pages).
const MAX_REQUEST_PAGES: u32 = 5;

/// Requests a head decides that wait longer than `requests_waiting_hours`: the heads over each
/// unit are told once per unit per local day, in the unit's working hours.
async fn requests_waiting(
    store: &dyn Store,
    policies: &Policies,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let s = settings(cfg);
    let after = jiff::SignedDuration::from_hours(i64::from(cfg.requests_waiting_hours.max(1)));
    // unit id → (path, count)
    let mut units: std::collections::BTreeMap<hadir_store::Id, (String, u32)> = Default::default();
    for page in 0..MAX_REQUEST_PAGES {
        let f = hadir_store::RequestFilter {
            state: Some(hadir_store::RequestState::Submitted),
            decider: Some(hadir_store::Decider::Head),
            offset: page * BATCH,
            limit: BATCH,
            ..Default::default()
        };
        let got = store.list_requests(&f).await?;
        for r in got.items.iter().filter(|r| now.duration_since(r.created_at) >= after) {
            units.entry(r.unit_id).or_insert_with(|| (r.unit_path.clone(), 0)).1 += 1;
        }
        if (got.items.len() as u32) < BATCH {
            break;
        }
    }
    let mut queued = 0;
    for (unit_id, (path, count)) in units {
        let unit = store.unit_by_id(unit_id).await?;
        let Ok(tz) = unit_zone(&unit.timezone) else { continue };
        if policies.unit_path(unit_id).is_none() {
            policies.note_unit(unit.id, &unit.path, &unit.timezone);
        }
        let (date, minute) = local_now(now, &tz);
        if !working(policies, &s, unit_id, date, minute) {
            continue;
        }
        let msg = Message {
            title: "Pengajuan menunggu keputusan".into(),
            body: format!(
                "{count} pengajuan di {} menunggu keputusan lebih dari {} jam.",
                unit.name, cfg.requests_waiting_hours
            ),
            url: "/admin/inbox".into(),
        };
        for h in store.role_holders_over(&path, "head").await? {
            let to = Recipient { account_id: h.account_id, login: h.login, name: h.name, nip: h.nip };
            let key = format!("alert:requests:{unit_id}:{date}:{}", to.account_id);
            if notify(store, &to, Kind::RequestsWaiting, &key, &msg, now).await? {
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// Held punches (the review queue) received more than `review_waiting_hours` ago and still
/// pending: each head and operator over an employee's unit (the people who may decide them)
/// is told once per local day, with how many wait in the units of theirs that are in working
/// hours now; their own punches are not counted (nobody decides their own), and a person with
/// none left to decide is not told.
async fn review_waiting(
    store: &dyn Store,
    policies: &Policies,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let s = settings(cfg);
    let after = jiff::SignedDuration::from_hours(i64::from(cfg.review_waiting_hours.max(1)));
    let waiting = store.held_waiting(now - after).await?;
    struct Waiting {
        to: Recipient,
        count: i64,
        date: jiff::civil::Date,
        units: Vec<String>,
    }
    let mut per: std::collections::BTreeMap<hadir_store::Id, Waiting> = Default::default();
    let mut unit_ids: Vec<hadir_store::Id> = waiting.iter().map(|w| w.unit_id).collect();
    unit_ids.dedup();
    for unit_id in unit_ids {
        let unit = store.unit_by_id(unit_id).await?;
        let Ok(tz) = unit_zone(&unit.timezone) else { continue };
        if policies.unit_path(unit_id).is_none() {
            policies.note_unit(unit.id, &unit.path, &unit.timezone);
        }
        let (date, minute) = local_now(now, &tz);
        if !working(policies, &s, unit_id, date, minute) {
            continue;
        }
        let here: Vec<&hadir_store::HeldWaiting> = waiting.iter().filter(|w| w.unit_id == unit_id).collect();
        let mut deciders = store.role_holders_over(&unit.path, "head").await?;
        for o in store.role_holders_over(&unit.path, "operator").await? {
            if !deciders.iter().any(|h| h.account_id == o.account_id) {
                deciders.push(o);
            }
        }
        for h in deciders {
            // Nobody decides their own punches: those are not theirs to hear of.
            let count: i64 = here.iter().filter(|w| w.account_id != h.account_id).map(|w| w.count).sum();
            if count == 0 {
                continue;
            }
            let to = Recipient { account_id: h.account_id, login: h.login, name: h.name, nip: h.nip };
            let w = per.entry(to.account_id).or_insert_with(|| Waiting { to, count: 0, date, units: Vec::new() });
            w.count += count;
            w.units.push(unit.name.clone());
        }
    }
    let mut queued = 0;
    for (account_id, w) in per {
        let places = match w.units.as_slice() {
            [one] => one.clone(),
            [a, b] => format!("{a} dan {b}"),
            [a, b, rest @ ..] => format!("{a}, {b} dan {} unit lain", rest.len()),
            [] => continue,
        };
        let msg = Message {
            title: "Absen menunggu pemeriksaan".into(),
            body: format!(
                "{} absen di {places} menunggu pemeriksaan lebih dari {} jam. Terima atau tolak di Kotak masuk konsol.",
                w.count, cfg.review_waiting_hours
            ),
            url: "/admin/inbox".into(),
        };
        let key = format!("alert:review:{}:{account_id}", w.date);
        if notify(store, &w.to, Kind::ReviewWaiting, &key, &msg, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Runs [`tick`] every `reminder_tick_secs` while the server runs.
pub fn start(store: Arc<dyn Store>, policies: Arc<Policies>, cfg: NotifyConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period = Duration::from_secs(cfg.reminder_tick_secs.max(1));
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            policies.wait_loaded().await;
            match tick(store.as_ref(), &policies, &cfg, Timestamp::now()).await {
                Ok(r) if r.queued > 0 => tracing::info!(queued = r.queued, "reminders queued"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reminder tick: store error"),
            }
        }
    })
}
