//! `evaluate_day`: what was this person's day, and why.
//!
//! Precedence, first match wins:
//! 1. before the employee's `start_date` → `BELUM_AKTIF` (never TK);
//! 2. an approved objection that sets the day's status;
//! 3. a holiday (unless a roster assigns a shift that day: health units work holidays), or a
//!    day without a schedule → `LIBUR`;
//! 4. an approved full-day absence → its status (deducting only if the rule set says so);
//! 5. otherwise punches are matched to checkpoints (see `matching`): any match → `HADIR`
//!    with TL/PSW codes. A day with any punch (or presence entry) of the person is never TK
//!    (issue 19): once the day closes, one punch outside every window (05:30, 18:30) makes it
//!    `HADIR` with each missing checkpoint's code (TL4/PSW4 by default). No trace at all and
//!    the last window closed → `TK` (the TK deduction replaces TL4 + PSW4); still open →
//!    `BELUM_SELESAI`.
//!
//! Which punches belong to the day: those whose local date is the date, plus those inside one
//! of the day's windows (the next morning of an overnight shift). Others are skipped without
//! comment, so callers may pass a generous range.

use crate::day_input::*;
use crate::day_record::*;

use crate::holiday::holiday_on;
use crate::matching::{Mark, assign};
use crate::percent::Percent;
use crate::schedule::{Checkpoint, CheckpointKind, ScheduleSource};
use crate::status::{AbsenceKind, DayStatus};
use crate::zone::{clock, day_time_text, rfc3339_local, schedule_minute, zone_abbreviation};

struct Ctx<'a> {
    input: &'a DayInput<'a>,
    zone: String,
    now_minute: i64,
    request_ids: Vec<i64>,
}

impl Ctx<'_> {
    fn matched(&self, m: &Mark) -> MatchedPunch {
        MatchedPunch {
            punch_id: m.punch_id,
            request_id: m.request_id,
            source: m.source.clone(),
            at: rfc3339_local(self.input.tz, m.at),
            time: clock(self.input.tz, m.at),
            next_day: m.minute >= 1440,
        }
    }

    fn rule_ref(&self) -> String {
        format!("menurut aturan berlaku sejak {}", self.input.rules.effective_from)
    }

    fn window_text(&self, cp: &Checkpoint) -> String {
        format!("{}–{} {}", cp.window_start.clock(), day_time_text(cp.window_end), self.zone)
    }
}

/// Capitalised checkpoint name for sentences: `masuk` → `Masuk`.
pub(crate) fn title(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Collects the day's marks: punches and presence entries (corrections add their own),
/// chronologically, restricted to the local date or a window of the day.
fn collect_marks(input: &DayInput<'_>, checkpoints: &[Checkpoint]) -> Vec<Mark> {
    let belongs = |minute: i64| (0..1440).contains(&minute) || checkpoints.iter().any(|c| c.window_contains(minute));
    let mut marks: Vec<Mark> = Vec::new();
    for p in input.punches {
        let minute = schedule_minute(input.tz, input.date, p.at);
        if belongs(minute) {
            marks.push(Mark {
                punch_id: Some(p.id),
                request_id: None,
                source: p.source.clone(),
                at: p.at,
                minute,
                forced_checkpoint: None,
            });
        }
    }
    for e in input.presence_entries {
        let minute = schedule_minute(input.tz, input.date, e.at);
        let forced = e.checkpoint.clone().filter(|n| checkpoints.iter().any(|c| &c.name == n));
        if forced.is_some() || belongs(minute) {
            marks.push(Mark {
                punch_id: None,
                request_id: Some(e.request_id),
                source: format!("{} #{}", e.label, e.request_id),
                at: e.at,
                minute,
                forced_checkpoint: forced,
            });
        }
    }
    for c in input.corrections.iter().filter(|c| c.date == input.date) {
        if let CorrectionFix::CheckpointTime { checkpoint, at } = &c.fix
            && checkpoints.iter().any(|cp| &cp.name == checkpoint)
        {
            // A correction outranks a presence entry for the same checkpoint.
            for m in marks.iter_mut().filter(|m| m.forced_checkpoint.as_ref() == Some(checkpoint)) {
                m.forced_checkpoint = None;
            }
            marks.push(Mark {
                punch_id: None,
                request_id: Some(c.request_id),
                source: format!("keberatan #{}", c.request_id),
                at: *at,
                minute: schedule_minute(input.tz, input.date, *at),
                forced_checkpoint: Some(checkpoint.clone()),
            });
        }
    }
    marks.sort_by_key(|m| (m.at, m.punch_id, m.request_id));
    marks
}

/// Evaluates one employee's day. Pure and deterministic: the same input gives the same record.
///
/// A channel policy (issue 25) applies first: attendance not recorded yet makes the day
/// `BELUM_AKTIF` (never TK) with its reason; punches through a channel that does not count for
/// the person are left out of the evaluation and listed as ignored (`channel_not_counted`).
pub fn evaluate_day(input: &DayInput<'_>) -> DayRecord {
    let Some(policy) = input.channels else { return evaluate_unrestricted(input) };
    let since = policy.effective_from;
    if !policy.recorded {
        let after = input.date.tomorrow().unwrap_or(input.date);
        let inactive = DayInput { start_date: Some(after), channels: None, ..input.clone() };
        let mut r = evaluate_unrestricted(&inactive);
        let why = format!("presensi pegawai ini belum dicatat (kebijakan kanal sejak {since})");
        r.explanation = format!(
            "Presensi pegawai ini belum dicatat menurut kebijakan kanal sejak {since}: hari ini tidak dihitung."
        );
        for i in &mut r.ignored_punches {
            i.explanation = i.explanation.replace("sebelum tanggal mulai presensi", &why);
        }
        return r;
    }
    let (counted, left_out): (Vec<Punch>, Vec<Punch>) =
        input.punches.iter().cloned().partition(|p| crate::channels::source_counts(Some(policy), &p.source));
    let mut r = evaluate_unrestricted(&DayInput { punches: &counted, channels: None, ..input.clone() });
    let zone = zone_abbreviation(input.tz, input.now);
    for p in left_out.iter().filter(|p| input.tz.to_datetime(p.at).date() == input.date) {
        let label = crate::channels::Channel::of_source(&p.source).map_or("kanal ini", |c| c.label());
        r.ignored_punches.push(IgnoredPunch {
            punch: MatchedPunch {
                punch_id: Some(p.id),
                request_id: None,
                source: p.source.clone(),
                at: rfc3339_local(input.tz, p.at),
                time: clock(input.tz, p.at),
                next_day: false,
            },
            reason: IgnoreReason::ChannelNotCounted,
            explanation: format!(
                "Presensi {} {zone} lewat {label} tidak dihitung: kanal ini tidak berlaku bagi pegawai ini sejak {since}.",
                clock(input.tz, p.at)
            ),
        });
    }
    r
}

fn evaluate_unrestricted(input: &DayInput<'_>) -> DayRecord {
    let tz = input.tz;
    let mut ctx = Ctx {
        input,
        zone: zone_abbreviation(tz, input.now),
        now_minute: schedule_minute(tz, input.date, input.now),
        request_ids: Vec::new(),
    };
    let day = input.schedule.day.as_ref().filter(|d| !d.checkpoints.is_empty());
    let checkpoints: &[Checkpoint] = day.map_or(&[], |d| &d.checkpoints);
    let marks = collect_marks(input, checkpoints);
    let required = day.map_or(0, |d| d.required_minutes());
    let rostered_shift = matches!(&input.schedule.source, ScheduleSource::Roster { shift: Some(_) });
    let holiday = holiday_on(input.holidays, input.date).cloned();
    let mut record = DayRecord {
        date: input.date,
        status: DayStatus::Libur,
        closed: ctx.now_minute >= 1440,
        timezone: tz.iana_name().unwrap_or("UTC").to_string(),
        zone: ctx.zone.clone(),
        schedule_source: input.schedule.source.clone(),
        schedule_label: input.schedule.label.clone(),
        holiday: holiday.clone(),
        checkpoints: Vec::new(),
        ignored_punches: Vec::new(),
        deduction: Percent::ZERO,
        required_minutes: 0,
        worked_minutes: 0,
        rule_set: input.rules.name.clone(),
        rule_effective_from: input.rules.effective_from,
        request_ids: Vec::new(),
        explanation: String::new(),
        sessions: Vec::new(),
    };

    let ignore_all = |ctx: &Ctx<'_>, record: &mut DayRecord, reason: IgnoreReason, why: &str| {
        record.ignored_punches = marks
            .iter()
            .map(|m| IgnoredPunch {
                punch: ctx.matched(m),
                reason,
                explanation: format!("Presensi {} {} tidak dihitung: {why}", clock(tz, m.at), ctx.zone),
            })
            .collect();
    };

    // 1. Not yet active.
    if let Some(start) = input.start_date
        && input.date < start
    {
        record.status = DayStatus::BelumAktif;
        record.closed = true;
        record.explanation = format!("Sebelum tanggal mulai presensi pegawai ({start}): hari ini tidak dihitung.");
        ignore_all(&ctx, &mut record, IgnoreReason::NotActive, "sebelum tanggal mulai presensi");
        return finish(ctx, record);
    }

    // 2. A status set by an approved objection.
    let status_fix = input
        .corrections
        .iter()
        .filter(|c| c.date == input.date)
        .filter_map(|c| match c.fix {
            CorrectionFix::Status { status } if !matches!(status, DayStatus::BelumAktif | DayStatus::BelumSelesai) => {
                Some((c.request_id, status))
            }
            _ => None,
        })
        .max_by_key(|(id, _)| *id);
    if let Some((rid, status)) = status_fix {
        ctx.request_ids.push(rid);
        match status {
            DayStatus::Hadir => {} // evaluated below with every deduction waived
            DayStatus::Libur => {
                record.status = DayStatus::Libur;
                record.explanation = format!("Libur menurut keberatan yang disetujui (permohonan #{rid}).");
                ignore_all(&ctx, &mut record, IgnoreReason::ExcusedDay, "hari ditetapkan libur");
                return finish(ctx, record);
            }
            DayStatus::Tk => {
                record.status = DayStatus::Tk;
                record.closed = true;
                record.required_minutes = required;
                record.deduction = input.rules.tk_per_day.min(input.rules.monthly_cap);
                record.explanation = format!(
                    "TK menurut keberatan yang diputus (permohonan #{rid}) → potongan {} {}.",
                    record.deduction,
                    ctx.rule_ref()
                );
                ignore_all(&ctx, &mut record, IgnoreReason::ExcusedDay, "hari ditetapkan TK");
                return finish(ctx, record);
            }
            other => {
                if let Some(kind) = other.absence() {
                    return absence_day(ctx, record, kind, rid, required, &ignore_all);
                }
            }
        }
    }
    let waive_all = status_fix.is_some_and(|(_, s)| s == DayStatus::Hadir);

    // 3. Holidays and days without a schedule.
    if !waive_all {
        if let Some(h) = holiday.as_ref().filter(|_| !rostered_shift) {
            record.status = DayStatus::Libur;
            record.explanation = format!("Libur: {} ({}).", h.name, h.kind.label());
            ignore_all(&ctx, &mut record, IgnoreReason::NonWorkingDay, "hari libur, tanpa potongan");
            return finish(ctx, record);
        }
        if day.is_none() {
            record.status = DayStatus::Libur;
            record.explanation = format!("Libur: bukan hari kerja ({}).", input.schedule.label);
            ignore_all(&ctx, &mut record, IgnoreReason::NonWorkingDay, "bukan hari kerja, tanpa potongan");
            return finish(ctx, record);
        }
    }

    // 4. Whole-day absence.
    if !waive_all
        && let Some(a) = input
            .absences
            .iter()
            .filter(|a| a.covers(input.date) && a.checkpoints.is_empty())
            .min_by_key(|a| a.request_id)
    {
        return absence_day(ctx, record, a.kind, a.request_id, required, &ignore_all);
    }

    // 5. Matching.
    record.required_minutes = required;
    let Some(day) = day else {
        // Only reachable with a HADIR correction on a day without a schedule.
        record.status = DayStatus::Hadir;
        record.explanation =
            format!("Hadir menurut keberatan yang disetujui (permohonan #{}).", status_fix.map_or(0, |s| s.0));
        return finish(ctx, record);
    };
    let assigned = assign(checkpoints, &marks);
    let last_end = i64::from(day.last_window_end().map_or(0, |t| t.minutes()));
    record.closed = ctx.now_minute > last_end;
    let any_match = assigned.iter().any(Option::is_some);
    let has_evidence = !marks.is_empty();

    let waived_by = status_fix.filter(|_| waive_all).map(|(id, _)| id);
    let excuses: Vec<Option<(String, i64)>> =
        checkpoints.iter().map(|cp| excuse_for(&ctx, cp, has_evidence, waived_by)).collect();
    // Any trace of the person on the day (a punch outside every window included) is not TK:
    // missing checkpoints take their own codes instead (issue 19).
    let status = if any_match || waive_all || (record.closed && has_evidence) {
        DayStatus::Hadir
    } else if record.closed {
        DayStatus::Tk
    } else {
        DayStatus::BelumSelesai
    };
    record.status = status;

    for ((cp, m), excuse) in checkpoints.iter().zip(&assigned).zip(excuses) {
        let mark = m.map(|i| &marks[i]);
        if let Some(rid) = mark.and_then(|mk| mk.request_id) {
            ctx.request_ids.push(rid);
        }
        let r = evaluate_checkpoint(&mut ctx, cp, mark, status, excuse);
        record.checkpoints.push(r);
    }

    // Unused marks are listed, never silently dropped.
    let used: Vec<usize> = assigned.iter().flatten().copied().collect();
    for (i, m) in marks.iter().enumerate().filter(|(i, _)| !used.contains(i)) {
        let t = clock(tz, m.at);
        let owner = checkpoints.iter().zip(&assigned).find(|(cp, a)| a.is_some() && cp.window_contains(m.minute));
        let (reason, explanation) = match owner {
            Some((cp, a)) => (
                IgnoreReason::Duplicate,
                format!(
                    "Presensi {t} {} diabaikan: {} sudah tercatat pukul {}",
                    ctx.zone,
                    cp.name,
                    clock(tz, marks[a.unwrap_or(i)].at)
                ),
            ),
            None if checkpoints.iter().any(|cp| cp.window_contains(m.minute)) => (
                IgnoreReason::Duplicate,
                format!("Presensi {t} {} diabaikan: tidak urut dengan presensi lain hari ini", ctx.zone),
            ),
            None => (
                IgnoreReason::OutsideWindows,
                format!("Presensi {t} {} diabaikan: di luar semua jendela presensi", ctx.zone),
            ),
        };
        record.ignored_punches.push(IgnoredPunch { punch: ctx.matched(m), reason, explanation });
    }

    // Totals.
    let rules = input.rules;
    record.deduction = match status {
        DayStatus::Tk => rules.tk_per_day,
        DayStatus::BelumSelesai => Percent::ZERO,
        _ => record.checkpoints.iter().map(|c| c.deduction).sum(),
    }
    .min(rules.monthly_cap);
    record.worked_minutes =
        if waive_all { required } else { worked_minutes(checkpoints, &assigned, &marks, day.break_minutes) };
    record.explanation = day_explanation(&ctx, &record, waived_by);
    if status == DayStatus::Hadir && !any_match && !waive_all {
        record.explanation.push_str(
            " Ada presensi pada hari ini meskipun di luar jendela presensi, jadi hari ini bukan TK: \
             titik presensi yang kosong dihitung dengan kodenya masing-masing.",
        );
    }
    finish(ctx, record)
}

fn finish(ctx: Ctx<'_>, mut record: DayRecord) -> DayRecord {
    let mut ids = ctx.request_ids;
    ids.sort_unstable();
    ids.dedup();
    record.request_ids = ids;
    record
}

type IgnoreAll<'m> = dyn Fn(&Ctx<'_>, &mut DayRecord, IgnoreReason, &str) + 'm;

fn absence_day(
    mut ctx: Ctx<'_>,
    mut record: DayRecord,
    kind: AbsenceKind,
    request_id: i64,
    required: u32,
    ignore_all: &IgnoreAll<'_>,
) -> DayRecord {
    let rules = ctx.input.rules;
    ctx.request_ids.push(request_id);
    record.status = kind.into();
    record.required_minutes = required;
    record.worked_minutes = if kind.is_duty() { required } else { 0 };
    record.deduction = if kind.is_duty() { Percent::ZERO } else { rules.leave_deduction(kind).min(rules.monthly_cap) };
    let label = title(kind.label());
    record.explanation = if record.deduction > Percent::ZERO {
        format!("{label} (permohonan #{request_id} disetujui) → potongan {} {}.", record.deduction, ctx.rule_ref())
    } else {
        format!("{label} (permohonan #{request_id} disetujui), tanpa potongan.")
    };
    ignore_all(&ctx, &mut record, IgnoreReason::ExcusedDay, &format!("hari {}", kind.label()));
    finish(ctx, record)
}

/// The outage (if any) whose window contains the checkpoint's due time.
fn outage_for(ctx: &Ctx<'_>, cp: &Checkpoint) -> Option<i64> {
    let input = ctx.input;
    let due = i64::from(cp.due.minutes());
    input
        .outages
        .iter()
        .filter(|o| {
            let s = schedule_minute(input.tz, input.date, o.start);
            let e = schedule_minute(input.tz, input.date, o.end);
            s <= due && due <= e
        })
        .map(|o| o.request_id)
        .min()
}

/// A partial absence (e.g. IZIN for `masuk`) excusing this checkpoint.
fn partial_absence_for(ctx: &Ctx<'_>, cp: &Checkpoint) -> Option<(i64, AbsenceKind)> {
    ctx.input
        .absences
        .iter()
        .filter(|a| a.covers(ctx.input.date) && a.checkpoints.contains(&cp.name))
        .map(|a| (a.request_id, a.kind))
        .min()
}

/// What excuses this checkpoint if it is late, early or missing, strongest first: a HADIR
/// correction, a partial absence, an outage (only with evidence the person came).
fn excuse_for(ctx: &Ctx<'_>, cp: &Checkpoint, has_evidence: bool, waived_by: Option<i64>) -> Option<(String, i64)> {
    if let Some(id) = waived_by {
        return Some((format!("keberatan disetujui (permohonan #{id})"), id));
    }
    if let Some((id, kind)) = partial_absence_for(ctx, cp) {
        return Some((format!("{} (permohonan #{id})", kind.label()), id));
    }
    outage_for(ctx, cp).filter(|_| has_evidence).map(|id| (format!("gangguan sistem/jaringan (permohonan #{id})"), id))
}

fn evaluate_checkpoint(
    ctx: &mut Ctx<'_>,
    cp: &Checkpoint,
    mark: Option<&Mark>,
    status: DayStatus,
    excuse: Option<(String, i64)>,
) -> CheckpointResult {
    let rules = ctx.input.rules;
    let name = title(&cp.name);
    let due_text = day_time_text(cp.due);
    let mut r = CheckpointResult {
        name: cp.name.clone(),
        kind: cp.kind,
        due: cp.due,
        window_start: cp.window_start,
        window_end: cp.window_end,
        outcome: CheckpointOutcome::Missing,
        punch: mark.map(|m| ctx.matched(m)),
        minutes_late: None,
        minutes_early: None,
        code: None,
        deduction: Percent::ZERO,
        explanation: String::new(),
    };
    let use_excuse = |ctx: &mut Ctx<'_>| {
        excuse.clone().map(|(why, id)| {
            ctx.request_ids.push(id);
            why
        })
    };

    let Some(m) = mark else {
        let window = ctx.window_text(cp);
        if ctx.now_minute <= i64::from(cp.window_end.minutes()) {
            r.outcome = CheckpointOutcome::Pending;
            r.explanation = format!("Belum ada presensi {}; jendela {window} masih terbuka.", cp.name);
        } else if status == DayStatus::Tk {
            r.explanation = format!(
                "Tidak ada presensi {} (jendela {window}); hari dihitung TK, bukan per titik presensi.",
                cp.name
            );
        } else if let Some(why) = use_excuse(ctx) {
            r.outcome = CheckpointOutcome::Excused;
            r.explanation = format!("Tidak ada presensi {} (jendela {window}), dikecualikan: {why}.", cp.name);
        } else if status == DayStatus::BelumSelesai {
            r.explanation = format!(
                "Belum ada presensi {} (jendela {window} sudah lewat); tanpa presensi sampai akhir hari, hari dihitung TK.",
                cp.name
            );
        } else {
            let penalty = match cp.kind {
                CheckpointKind::CheckIn => &rules.missing_check_in,
                CheckpointKind::Presence => &rules.missing_presence,
                CheckpointKind::CheckOut => &rules.missing_check_out,
            };
            r.code = Some(penalty.code.clone());
            r.deduction = penalty.percent;
            r.explanation = format!(
                "Tidak ada presensi {} (jendela {window}) → {} ({}) {}.",
                cp.name,
                penalty.code,
                penalty.percent,
                ctx.rule_ref()
            );
        }
        return r;
    };

    let head = format!(
        "{name} {}{} {}",
        clock(ctx.input.tz, m.at),
        if m.minute >= 1440 { " (hari berikutnya)" } else { "" },
        ctx.zone
    );
    let minute = m.minute;
    let due = i64::from(cp.due.minutes());
    let via = m.request_id.map(|_| format!(" [{}]", m.source)).unwrap_or_default();
    let (minutes, bracket, grace, what) = match cp.kind {
        CheckpointKind::Presence => {
            r.outcome = CheckpointOutcome::Present;
            r.explanation = format!("{head}{via}, jendela {}: hadir.", ctx.window_text(cp));
            return r;
        }
        CheckpointKind::CheckIn => {
            let late = u32::try_from((minute - due).max(0)).unwrap_or(u32::MAX);
            r.minutes_late = Some(late);
            (late, rules.late_bracket(late), rules.grace_minutes, "terlambat")
        }
        CheckpointKind::CheckOut => {
            let early = u32::try_from((due - minute).max(0)).unwrap_or(u32::MAX);
            r.minutes_early = Some(early);
            (early, rules.early_bracket(early), rules.early_grace_minutes, "pulang lebih awal")
        }
    };
    let base = format!("{head}{via}, jadwal {due_text}");
    r.explanation = match (minutes, bracket) {
        (0, _) => {
            r.outcome = CheckpointOutcome::OnTime;
            format!("{base}: tepat waktu.")
        }
        (_, None) => {
            r.outcome = CheckpointOutcome::OnTime;
            format!("{base}: {what} {minutes} menit, masih dalam toleransi {grace} menit.")
        }
        (_, Some(b)) => match use_excuse(ctx) {
            Some(why) => {
                r.outcome = CheckpointOutcome::Excused;
                format!("{base}: {what} {minutes} menit, dikecualikan: {why}.")
            }
            None => {
                r.outcome =
                    if cp.kind == CheckpointKind::CheckIn { CheckpointOutcome::Late } else { CheckpointOutcome::Early };
                r.code = Some(b.code.clone());
                r.deduction = b.percent;
                format!("{base}: {what} {minutes} menit → {} ({}) {}.", b.code, b.percent, ctx.rule_ref())
            }
        },
    };
    r
}

/// First check-in to last check-out, less the break; 0 when either is missing.
fn worked_minutes(checkpoints: &[Checkpoint], assigned: &[Option<usize>], marks: &[Mark], break_minutes: u16) -> u32 {
    let pick = |kind: CheckpointKind, rev: bool| {
        let mut it = checkpoints.iter().zip(assigned).filter(move |(c, a)| c.kind == kind && a.is_some());
        let hit = if rev { it.next_back() } else { it.next() };
        hit.and_then(|(_, a)| a.map(|i| marks[i].minute))
    };
    match (pick(CheckpointKind::CheckIn, false), pick(CheckpointKind::CheckOut, true)) {
        (Some(i), Some(o)) if o > i => u32::try_from(o - i - i64::from(break_minutes)).unwrap_or(0),
        _ => 0,
    }
}

fn day_explanation(ctx: &Ctx<'_>, record: &DayRecord, waived_by: Option<i64>) -> String {
    let input = ctx.input;
    let sched = &input.schedule.label;
    match record.status {
        DayStatus::Tk => format!(
            "Hari kerja ({sched}) tanpa presensi dan tanpa izin/cuti yang disetujui → TK ({}) {}.",
            record.deduction,
            ctx.rule_ref()
        ),
        DayStatus::BelumSelesai => {
            let end =
                input.schedule.day.as_ref().and_then(|d| d.last_window_end()).map(day_time_text).unwrap_or_default();
            format!("Hari belum selesai ({sched}): jendela presensi terakhir ditutup {end} {}.", ctx.zone)
        }
        _ => {
            let mut s = match waived_by {
                Some(id) => format!(
                    "Hadir ({sched}); semua potongan dihapus menurut keberatan yang disetujui (permohonan #{id})."
                ),
                None => {
                    let codes: Vec<&str> = record.checkpoints.iter().filter_map(|c| c.code.as_deref()).collect();
                    if codes.is_empty() {
                        format!("Hadir ({sched}), tanpa potongan.")
                    } else {
                        format!(
                            "Hadir ({sched}): {} → potongan {} {}.",
                            codes.join(", "),
                            record.deduction,
                            ctx.rule_ref()
                        )
                    }
                }
            };
            if !record.closed {
                s.push_str(" Hari belum selesai; hasil masih sementara.");
            }
            if let Some(h) = &record.holiday {
                s.push_str(&format!(" Bertugas pada hari libur ({}).", h.name));
            }
            s
        }
    }
}
