//! Apel and upacara sessions on the server (issue 21 point 3): the facts a day evaluation needs
//! (the sessions of the range, whether each concerns the person, their attendance), the outcome
//! per day through the pure rule `hadir_domain::sessions`, and the session's own QR code.
//!
//! A session's code is `HS1.<session id>.<slot>.<signature>`, signed like the kiosk codes
//! (`kiosk.rs`: HMAC-SHA256 under the server secret, 30-second slots, accepted up to 60 s after
//! its slot began); the prefix keeps it apart from kiosk codes and personal cards.

use crate::days::ApprovedInputs;
use crate::kiosk::{MAX_AGE_SECS, SLOT_SECS};
use hadir_domain::sessions::{
    Attendance, Session, SessionInput, SessionKind, SessionResult, apply_to_day, session_outcome,
};
use hadir_domain::{DayRecord, RuleSet, unit_zone};
use hadir_store::{Employee, Id, SessionMark, Store, StoreError, StoredSession};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;

const PREFIX: &str = "HS1";
const SIG_BYTES: usize = 16;

/// One session of the range as it concerns one employee.
#[derive(Debug, Clone)]
pub struct DaySession {
    pub session: Arc<StoredSession>,
    /// The unit the person spent the session's date in is among those that must attend.
    pub required: bool,
    pub mark: Option<SessionMark>,
}

/// `HH:MM` → time of day.
pub fn parse_hm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// The pure rule's view of a stored session (`None`: unreadable times or kind).
pub fn domain_session(s: &StoredSession) -> Option<Session> {
    let kind = match s.s.kind.as_str() {
        "apel" => SessionKind::Apel,
        "upacara" => SessionKind::Upacara,
        _ => return None,
    };
    Some(Session {
        kind,
        name: s.s.name.clone(),
        date: s.s.date,
        start: parse_hm(&s.s.start)?,
        end: parse_hm(&s.s.end)?,
        mandatory: s.s.mandatory,
    })
}

/// The instants a session starts and ends (in the zone of its unit).
pub fn window(s: &StoredSession) -> Option<(Timestamp, Timestamp)> {
    let tz = unit_zone(&s.unit_timezone).ok()?;
    let at = |t: Time| {
        jiff::civil::DateTime::from_parts(s.s.date, t).to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp())
    };
    Some((at(parse_hm(&s.s.start)?)?, at(parse_hm(&s.s.end)?)?))
}

/// The sessions of `sessions` that concern `e` on their date (with `unit_on`: the unit of a
/// date; `paths`: unit paths), with `e`'s attendance from `marks`.
pub fn select(
    sessions: &[Arc<StoredSession>],
    marks: &[SessionMark],
    e: &Employee,
    unit_on: impl Fn(Date) -> Id,
    paths: &HashMap<Id, String>,
) -> Vec<DaySession> {
    sessions
        .iter()
        .filter(|s| !s.cancelled)
        .map(|s| {
            let required = paths.get(&unit_on(s.s.date)).is_some_and(|p| s.concerns(p));
            let mark = marks.iter().find(|m| m.session_id == s.id && m.employee_id == e.id).cloned();
            DaySession { session: s.clone(), required, mark }
        })
        .filter(|d| d.required)
        .collect()
}

/// Unit paths of `ids` from the store.
pub async fn unit_paths(store: &dyn Store, ids: &[Id]) -> Result<HashMap<Id, String>, StoreError> {
    let mut out = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(v) = out.entry(*id) {
            v.insert(store.unit_by_id(*id).await?.path);
        }
    }
    Ok(out)
}

/// The sessions of `from..=to` concerning `e` (one read when there are none).
pub async fn for_employee(
    store: &dyn Store,
    tl: &crate::context::Timeline,
    e: &Employee,
    from: Date,
    to: Date,
) -> Result<Vec<DaySession>, StoreError> {
    let sessions: Vec<Arc<StoredSession>> =
        store.list_apel_sessions(from, to).await?.into_iter().filter(|s| !s.cancelled).map(Arc::new).collect();
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let units: Vec<Id> = sessions.iter().map(|s| tl.unit_on(s.s.date)).collect();
    let paths = unit_paths(store, &units).await?;
    let ids: Vec<Id> = sessions.iter().map(|s| s.id).collect();
    let marks = store.attendance_of(&[e.id], &ids).await?;
    Ok(select(&sessions, &marks, e, |d| tl.unit_on(d), &paths))
}

/// Adds the sessions of `record`'s date to it (see `hadir_domain::sessions::apply_to_day`).
pub fn apply(record: &mut DayRecord, inputs: &ApprovedInputs, rules: &RuleSet, e: &Employee, now: Timestamp) {
    let mut results = Vec::new();
    for d in inputs.sessions.iter().filter(|d| d.session.s.date == record.date) {
        let (Some(session), Ok(tz)) = (domain_session(&d.session), unit_zone(&d.session.unit_timezone)) else {
            continue;
        };
        let attendance = match &d.mark {
            Some(m) if m.how == "marked" => Attendance::MarkedByHead,
            Some(m) => Attendance::CheckedIn(m.at),
            None => Attendance::Nothing,
        };
        let excused_by = inputs
            .absences
            .iter()
            .find(|a| a.date_from <= record.date && record.date <= a.date_to && a.checkpoints.is_empty())
            .map(|a| a.request_id);
        let employed = e.start_date.is_none_or(|s| s <= record.date) && !e.ended_before(record.date);
        let input =
            SessionInput { session: &session, tz: &tz, required: d.required, employed, attendance, excused_by, now };
        let outcome = session_outcome(&input, rules.apel_deduction);
        results.push(SessionResult::new(d.session.id, &session, outcome, d.mark.as_ref().map(|m| m.how.clone())));
    }
    if !results.is_empty() {
        apply_to_day(record, results, rules.monthly_cap);
    }
}

fn mac(secret: &[u8], text: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    m.update(text.as_bytes());
    m
}

/// The session's code for the slot of `at`.
pub fn sign_code(secret: &[u8], session_id: Id, at: Timestamp) -> String {
    use base64::Engine;
    let slot = at.as_second().div_euclid(SLOT_SECS);
    let text = format!("{PREFIX}.{session_id}.{slot}");
    let tag = mac(secret, &text).finalize().into_bytes();
    format!("{text}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..SIG_BYTES]))
}

/// Why a session code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Malformed or the signature does not hold.
    Invalid,
    /// A valid code of another session.
    OtherSession,
    /// Issued more than [`MAX_AGE_SECS`] before `now` (or in the future).
    Expired,
}

/// Checks `text` as a code of session `session_id` at `now`.
pub fn verify_code(secret: &[u8], text: &str, session_id: Id, now: Timestamp) -> Result<(), CodeError> {
    use base64::Engine;
    let mut parts = text.trim().split('.');
    let (Some(PREFIX), Some(id), Some(slot), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CodeError::Invalid);
    };
    let (Ok(id), Ok(slot)) = (id.parse::<Id>(), slot.parse::<i64>()) else { return Err(CodeError::Invalid) };
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).map_err(|_| CodeError::Invalid)?;
    if sig.len() != SIG_BYTES {
        return Err(CodeError::Invalid);
    }
    mac(secret, &format!("{PREFIX}.{id}.{slot}")).verify_truncated_left(&sig).map_err(|_| CodeError::Invalid)?;
    if id != session_id {
        return Err(CodeError::OtherSession);
    }
    let age = now.as_second() - slot.saturating_mul(SLOT_SECS);
    if !(0..=MAX_AGE_SECS).contains(&age) {
        return Err(CodeError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn codes_verify_for_their_session_and_age() {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        let code = sign_code(KEY, 7, t);
        assert!(code.starts_with("HS1.7."));
        assert_eq!(verify_code(KEY, &code, 7, t), Ok(()));
        assert_eq!(verify_code(KEY, &code, 7, t + jiff::SignedDuration::from_secs(50)), Ok(()));
        assert_eq!(verify_code(KEY, &code, 7, t + jiff::SignedDuration::from_secs(91)), Err(CodeError::Expired));
        assert_eq!(verify_code(KEY, &code, 8, t), Err(CodeError::OtherSession));
        assert_eq!(verify_code(b"other key", &code, 7, t), Err(CodeError::Invalid));
        let forged = code.replacen("HS1.7.", "HS1.8.", 1);
        assert_eq!(verify_code(KEY, &forged, 8, t), Err(CodeError::Invalid));
        let kiosk = crate::kiosk::sign(KEY, &crate::kiosk::KioskCode { kiosk_id: 7, unit_id: 1, slot: 1 });
        assert_eq!(verify_code(KEY, &kiosk, 7, t), Err(CodeError::Invalid), "a kiosk code is no session code");
        for junk in ["", "HS1", "HS1.7.1", "HS1.x.1.abc", &format!("{code}.x")] {
            assert_eq!(verify_code(KEY, junk, 7, t), Err(CodeError::Invalid), "{junk:?}");
        }
    }

    #[test]
    fn times_are_two_digit_hours_and_minutes() {
        assert_eq!(parse_hm("07:30"), Some(Time::constant(7, 30, 0, 0)));
        for bad in ["7:30", "24:00", "07:60", "0730", "", "aa:bb"] {
            assert_eq!(parse_hm(bad), None, "{bad}");
        }
    }
}
