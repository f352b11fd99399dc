//! Realistic history for the demo: terminal punches from the first day of the previous month to
//! yesterday, so every month shown is whole and its figures plausible (most
//! people on time, some late, a few absent or forgetting to check out), then the day records
//! computed, so every screen has something to show. Deterministic (fixed seed) apart from the
//! dates, which follow today.

use anyhow::Result;
use hadir_domain::{CheckpointKind, holiday_on};
use hadir_server::context::Policies;
use hadir_server::days::{recompute_range, today_in};
use hadir_store::{Employee, EmployeeFilter, NewPunch, PunchSource, Scope, Store};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

const BATCH: usize = 5_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n.max(1)) as i64
    }
}

/// A punch `second` seconds after local midnight of `d`, unless that is still in the future.
fn punch(e: &Employee, tz: &TimeZone, d: Date, second: i64, what: &str) -> Option<NewPunch> {
    let at = d.to_zoned_datetime(tz.clone()).ok()?.timestamp().checked_add(second.seconds()).ok()?;
    if at > Timestamp::now() {
        return None;
    }
    let sn = format!("DEMO-{}", e.unit_code);
    let pin = e.device_pin.clone().unwrap_or_else(|| e.id.to_string());
    Some(NewPunch {
        employee_id: Some(e.id),
        source: PunchSource::Terminal,
        dedup_key: format!("t:{sn}:{pin}:{d}:{what}"),
        punched_at: at,
        received_at: at,
        captured_at: None,
        device_sn: Some(sn),
        device_pin: Some(pin),
        lat: None,
        lon: None,
        accuracy_m: None,
        distance_m: None,
        location_name: None,
        photo_hash: None,
        note: None,
        review: None,
        review_detail: None,
        status: Some(if what == "in" { 0 } else { 1 }),
        verify: Some(1),
        quarantined: false,
        hold: None,
        response: None,
    })
}

/// Inserts the punches from the first day of the previous month and computes the day records.
pub async fn seed_history(store: &dyn Store) -> Result<()> {
    let started = std::time::Instant::now();
    let policies = Policies::load(store).await?;
    let mut employees = Vec::new();
    loop {
        let f = EmployeeFilter { offset: employees.len() as u32, limit: 500, ..Default::default() };
        let page = store.list_employees(&Scope::All, &f).await?;
        if page.items.is_empty() {
            break;
        }
        employees.extend(page.items);
    }
    let mut rng = Rng(0x0048_4953_544f_5259);
    let mut batch: Vec<NewPunch> = Vec::with_capacity(BATCH);
    let mut total = 0usize;
    let mut first_day = None;
    let ids: Vec<_> = employees.iter().map(|e| e.id).collect();
    let mut history: std::collections::HashMap<i64, Vec<hadir_store::UnitSpell>> = Default::default();
    for h in store.unit_history(&ids).await? {
        history.entry(h.employee_id).or_default().push(h);
    }
    for e in &employees {
        let today = today_in(&policies.context_for(e).tz);
        let from = today.first_of_month().checked_sub(1.month())?;
        // Each day with the unit (zone) and calendar in force that date (issue 19).
        let tl = policies.timeline(e, history.get(&e.id).map(Vec::as_slice).unwrap_or(&[]), from, today);
        first_day = Some(first_day.map_or(from, |f: Date| f.min(from)));
        // Habits: most are punctual, some often late, a few often absent.
        let habit = rng.below(100);
        let (p_absent, p_late) = match habit {
            0..75 => (2, 6),
            75..93 => (4, 30),
            _ => (15, 20),
        };
        let mut d = from;
        // Up to yesterday: today belongs to whoever tries the demo (and has no future punches).
        while d < today && !e.ended_before(d) {
            let next = d.tomorrow()?;
            let ctx = tl.on(d);
            let sched = ctx.calendar.resolve(d, &ctx.roster).ok().and_then(|s| s.day);
            let Some(day) = sched.filter(|_| holiday_on(&ctx.holidays, d).is_none()) else {
                d = next;
                continue;
            };
            if rng.below(100) < p_absent {
                d = next;
                continue;
            }
            for cp in &day.checkpoints {
                let due = i64::from(cp.due.minutes());
                let (minute, what) = match cp.kind {
                    CheckpointKind::CheckIn => {
                        let m = if rng.below(100) < p_late {
                            due + 1 + if rng.below(5) == 0 { 30 + rng.below(50) } else { rng.below(25) }
                        } else {
                            due - 30 + rng.below(30)
                        };
                        (m, "in")
                    }
                    CheckpointKind::Presence => (due - 20 + rng.below(40), "mid"),
                    CheckpointKind::CheckOut => {
                        let r = rng.below(100);
                        if r < 3 {
                            continue; // forgot to check out
                        }
                        let m = if r < 6 { due - 5 - rng.below(60) } else { due + rng.below(40) };
                        (m, "out")
                    }
                };
                if let Some(p) = punch(e, &ctx.tz, d, minute * 60 + rng.below(60), what) {
                    batch.push(p);
                }
                if batch.len() >= BATCH {
                    total += batch.len();
                    store.insert_punches(&batch).await?;
                    batch.clear();
                }
            }
            d = next;
        }
    }
    total += batch.len();
    store.insert_punches(&batch).await?;
    let punches_secs = started.elapsed().as_secs_f32();
    let Some(from) = first_day else { return Ok(()) };
    let report = recompute_range(
        store,
        &policies,
        None,
        from,
        Timestamp::now().to_zoned_datetime(TimeZone::UTC).date().tomorrow()?,
        |_, _| {},
    )
    .await?;
    tracing::info!(
        punches = total,
        punches_secs,
        days = report.days,
        secs = started.elapsed().as_secs_f32(),
        "demo history seeded"
    );
    Ok(())
}
