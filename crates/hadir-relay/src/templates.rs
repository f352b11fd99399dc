//! Fingerprint templates between the server and the relay's terminals (issue 25), done in a
//! terminal's pull session after its roster:
//!
//! * **writes**: the templates the server lists for this terminal (`GET /api/v1/relay/templates`,
//!   fetched with the roster) are written per user with the buffered write and
//!   `CMD_SAVE_USERTEMPS`; the employees it should lose are deleted (the user, or only its
//!   fingers while the roster still lists the PIN for the relay's unit). What was done is
//!   reported with `POST /api/v1/relay/templates`, so the server does not hand it out again.
//! * **reads**: the terminal's template table is read when its finger count changed (and with
//!   each new template list); fingers whose SHA-256 differs from the one the relay last saw are
//!   uploaded (`POST /api/v1/relay/templates/upload`) and reach the unit's other terminals.
//!
//! Bounded per session (count and bytes, both ways); whatever is left waits for the next
//! session. Templates are held in memory only; the buffer keeps one SHA-256 per finger.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hadir_zk::binary::{FingerTemplate, UserLayout, UserRecord};
use sha2::{Digest, Sha256};

use crate::api::{
    RelayTemplate, RelayTemplates, Roster, TemplateFailed, TemplateReport, TemplateUserRemoved, TemplateWritten,
    UploadedTemplate,
};
use crate::buffer::Buffer;
use crate::client::ZkClient;
use crate::error::ClientError;
use crate::puller::CycleError;

/// Templates written to one terminal per session at most, and their bytes.
pub(crate) const MAX_WRITES_PER_SESSION: usize = 200;
pub(crate) const MAX_WRITE_BYTES_PER_SESSION: usize = 1 << 20;
/// Fingers uploaded from one terminal per session at most (the server takes 100 per request),
/// and their bytes.
pub(crate) const MAX_UPLOADS_PER_SESSION: usize = 100;
pub(crate) const MAX_UPLOAD_BYTES_PER_SESSION: usize = 256 << 10;
/// Largest finger uploaded, in bytes (the server takes 8 KiB of base64; ZKFinger templates are
/// 1–2 KiB).
const MAX_UPLOAD_TEMPLATE: usize = 6 * 1024;
/// The row marking "this terminal's fingers were read" when it had none.
const READ_MARK: (&str, u8) = ("", u8::MAX);

/// What one session did with templates.
#[derive(Default)]
pub(crate) struct Outcome {
    /// For `POST /api/v1/relay/templates`.
    pub report: TemplateReport,
    /// Fingers to upload, with the digests to record once the server took them.
    pub upload: Vec<UploadedTemplate>,
    pub upload_digests: Vec<(String, u8, Vec<u8>)>,
    /// A cap was reached: more is waiting (written or read).
    pub capped_writes: bool,
    pub capped_reads: bool,
    /// The terminal's finger count after the session.
    pub fingers: i32,
}

fn digest(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

fn failed(sn: &str, t: &RelayTemplate, reason: &str) -> TemplateFailed {
    TemplateFailed { sn: sn.to_owned(), id: t.id, version: t.version.clone(), reason: reason.to_owned() }
}

/// The finger a template of the list becomes on a port-4370 terminal, or why it cannot.
fn to_finger(t: &RelayTemplate, uid: u16) -> Result<FingerTemplate, &'static str> {
    if t.kind != "finger" {
        return Err("unsupported_kind");
    }
    let finger = u8::try_from(t.no).ok().filter(|f| *f <= 9).ok_or("bad_template")?;
    let bytes = STANDARD.decode(t.template.trim()).map_err(|_| "bad_template")?;
    if bytes.is_empty() {
        return Err("bad_template");
    }
    if bytes.len() > usize::from(u16::MAX) - 6 {
        return Err("too_large");
    }
    let valid = u8::try_from(t.valid).unwrap_or(1);
    Ok(FingerTemplate { uid, finger, valid, template: bytes })
}

/// A finger the server's upload takes: a PIN of letters and digits (at most 24), finger 0–9,
/// flag 0–3, 1 byte to [`MAX_UPLOAD_TEMPLATE`].
fn uploadable(pin: &str, f: &FingerTemplate) -> bool {
    !pin.is_empty()
        && pin.len() <= 24
        && pin.bytes().all(|b| b.is_ascii_alphanumeric())
        && f.finger <= 9
        && f.valid <= 3
        && !f.template.is_empty()
        && f.template.len() <= MAX_UPLOAD_TEMPLATE
}

/// Writes this terminal's part of `plan`, applies its removals, and (with `read`) reads its
/// template table for new fingers.
pub(crate) async fn sync_terminal(
    client: &mut ZkClient,
    buffer: &Buffer,
    sn: &str,
    plan: Option<&RelayTemplates>,
    roster: Option<&Roster>,
    read: bool,
) -> Result<Outcome, CycleError> {
    let sizes = client.free_sizes().await?;
    let mut out = Outcome { fingers: sizes.fingers, ..Outcome::default() };
    let mine: Vec<&RelayTemplate> =
        plan.map(|p| p.templates.iter().filter(|t| t.terminals.iter().any(|s| s == sn)).collect()).unwrap_or_default();
    let removals: Vec<&str> = plan
        .map(|p| p.removed.iter().filter(|r| r.terminals.iter().any(|s| s == sn)).map(|r| r.pin.as_str()).collect())
        .unwrap_or_default();
    if mine.is_empty() && removals.is_empty() && !read {
        return Ok(out);
    }
    let (layout, users) = client.read_users(u32::try_from(sizes.users).unwrap_or(0)).await?;
    let layout = if users.is_empty() { UserLayout::Zk8 } else { layout };
    let by_pin: BTreeMap<&str, &UserRecord> = users.iter().map(|u| (u.user_id.as_str(), u)).collect();
    let fingers = u32::try_from(sizes.fingers).unwrap_or(0);
    let table = if read || !removals.is_empty() { client.read_templates(fingers).await? } else { Vec::new() };
    let mut changed = false;
    let mut known_now: Vec<(String, u8, Vec<u8>)> = Vec::new();

    // Writes, grouped per user (one buffered write each).
    let mut groups: BTreeMap<&str, Vec<&RelayTemplate>> = BTreeMap::new();
    for t in &mine {
        groups.entry(t.pin.as_str()).or_default().push(t);
    }
    let (mut count, mut bytes) = (0usize, 0usize);
    for (pin, group) in groups {
        let Some(user) = by_pin.get(pin).copied() else {
            // The roster writes the user first; until then the terminal would refuse them.
            tracing::debug!(sn, pin, "templates wait for their user on the terminal");
            continue;
        };
        let mut fingers = Vec::new();
        let mut versions = Vec::new();
        for t in group {
            match to_finger(t, user.uid) {
                Ok(f) => {
                    fingers.push(f);
                    versions.push(t);
                }
                Err(reason) => {
                    tracing::info!(sn, pin, template = t.id, reason, "template not written to the terminal");
                    out.report.failed.push(failed(sn, t, reason));
                }
            }
        }
        if fingers.is_empty() {
            continue;
        }
        let size: usize = fingers.iter().map(|f| f.template.len()).sum();
        if count > 0 && (count + fingers.len() > MAX_WRITES_PER_SESSION || bytes + size > MAX_WRITE_BYTES_PER_SESSION) {
            out.capped_writes = true;
            break;
        }
        match client.save_user_templates(user, &fingers, layout).await {
            Ok(()) => {
                changed = true;
                count += fingers.len();
                bytes += size;
                for (f, t) in fingers.iter().zip(&versions) {
                    known_now.push((pin.to_owned(), f.finger, digest(&f.template)));
                    out.report.written.push(TemplateWritten {
                        sn: sn.to_owned(),
                        id: t.id,
                        version: t.version.clone(),
                    });
                }
            }
            Err(ClientError::Protocol(e)) => {
                tracing::warn!(sn, pin, error = %e, "templates do not fit the terminal");
                out.report.failed.extend(versions.iter().map(|t| failed(sn, t, "too_large")));
            }
            // The terminal said no (full, busy): retried with the next list.
            Err(ClientError::Refused { reply, .. }) => {
                tracing::warn!(sn, pin, reply, "terminal refused the templates; retried next time");
            }
            Err(e) => return Err(e.into()),
        }
    }

    // Removals: the user, or only their fingers while the roster keeps them on this unit's
    // terminals (a move between two sub-units of the relay's unit).
    let kept: BTreeSet<&str> =
        roster.map(|r| r.users.iter().filter(|u| u.active).map(|u| u.pin.as_str()).collect()).unwrap_or_default();
    let mut forgotten = Vec::new();
    for pin in &removals {
        if let Some(user) = by_pin.get(pin) {
            if kept.contains(pin) {
                for f in table.iter().filter(|f| f.uid == user.uid) {
                    match client.delete_user_template(user.uid, f.finger).await {
                        // Refused: the finger is gone already.
                        Ok(()) | Err(ClientError::Refused { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            } else {
                client.delete_user(user.uid).await?;
            }
            changed = true;
        }
        tracing::info!(sn, pin, "employee's templates removed from the terminal");
        forgotten.push((*pin).to_owned());
        out.report.removed.push(TemplateUserRemoved { sn: sn.to_owned(), pin: (*pin).to_owned() });
    }
    if changed {
        client.refresh_data().await?;
        out.fingers = client.free_sizes().await?.fingers;
    }

    // Reads: fingers enrolled here since the relay last saw them.
    let known = buffer.template_digests(sn).await?;
    if read {
        let pins: BTreeMap<u16, &str> = users.iter().map(|u| (u.uid, u.user_id.as_str())).collect();
        let listed: BTreeSet<(&str, u32)> =
            mine.iter().filter(|t| t.kind == "finger").map(|t| (t.pin.as_str(), t.no)).collect();
        let (mut count, mut bytes) = (0usize, 0usize);
        for f in &table {
            let Some(pin) = pins.get(&f.uid).copied() else { continue };
            // The server has a version of its own for it, or the employee left: not uploaded.
            if listed.contains(&(pin, u32::from(f.finger))) || removals.contains(&pin) {
                continue;
            }
            // What the server would refuse (and with it the whole request) is not sent.
            if !uploadable(pin, f) {
                tracing::debug!(sn, pin, finger = f.finger, "finger not uploadable (PIN, slot, flag or size)");
                continue;
            }
            let d = digest(&f.template);
            if known.as_ref().and_then(|k| k.get(&(pin.to_owned(), f.finger))) == Some(&d) {
                continue;
            }
            if known_now.iter().any(|(p, n, k)| p == pin && *n == f.finger && *k == d) {
                continue;
            }
            if count >= MAX_UPLOADS_PER_SESSION || bytes + f.template.len() > MAX_UPLOAD_BYTES_PER_SESSION {
                out.capped_reads = true;
                break;
            }
            count += 1;
            bytes += f.template.len();
            out.upload.push(UploadedTemplate {
                sn: sn.to_owned(),
                pin: pin.to_owned(),
                finger: f.finger,
                valid: f.valid,
                template: STANDARD.encode(&f.template),
            });
            out.upload_digests.push((pin.to_owned(), f.finger, d));
        }
        if known.is_none() && out.upload.is_empty() {
            known_now.push((READ_MARK.0.to_owned(), READ_MARK.1, Vec::new()));
        }
    }
    if !known_now.is_empty() || !forgotten.is_empty() {
        buffer.update_template_digests(sn, &known_now, &forgotten).await?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(kind: &str, no: u32, template: &str) -> RelayTemplate {
        RelayTemplate {
            id: 1,
            version: "ab".into(),
            pin: "7".into(),
            kind: kind.into(),
            no,
            index: 0,
            valid: 1,
            template: template.into(),
            terminals: vec!["SN".into()],
        }
    }

    #[test]
    fn only_fingers_with_sound_data_are_written() {
        let f = to_finger(&listed("finger", 6, "AAEC"), 3).unwrap();
        assert_eq!((f.uid, f.finger, f.template.as_slice()), (3, 6, &[0u8, 1, 2][..]));
        assert_eq!(to_finger(&listed("face", 0, "AAEC"), 3).unwrap_err(), "unsupported_kind");
        assert_eq!(to_finger(&listed("bio:1", 0, "AAEC"), 3).unwrap_err(), "unsupported_kind");
        assert_eq!(to_finger(&listed("finger", 10, "AAEC"), 3).unwrap_err(), "bad_template");
        assert_eq!(to_finger(&listed("finger", 1, "%%%"), 3).unwrap_err(), "bad_template");
        assert_eq!(to_finger(&listed("finger", 1, ""), 3).unwrap_err(), "bad_template");
        let huge = STANDARD.encode(vec![0u8; 70_000]);
        assert_eq!(to_finger(&listed("finger", 1, &huge), 3).unwrap_err(), "too_large");
    }

    #[test]
    fn only_what_the_server_takes_is_uploaded() {
        let f = |finger: u8, valid: u8, n: usize| FingerTemplate { uid: 1, finger, valid, template: vec![1; n] };
        assert!(uploadable("1003", &f(0, 1, 1500)));
        assert!(uploadable("A7", &f(9, 3, MAX_UPLOAD_TEMPLATE)));
        assert!(!uploadable("", &f(0, 1, 10)));
        assert!(!uploadable("12 3", &f(0, 1, 10)));
        assert!(!uploadable(&"1".repeat(25), &f(0, 1, 10)));
        assert!(!uploadable("1", &f(10, 1, 10)));
        assert!(!uploadable("1", &f(0, 4, 10)));
        assert!(!uploadable("1", &f(0, 1, 0)));
        assert!(!uploadable("1", &f(0, 1, MAX_UPLOAD_TEMPLATE + 1)));
        // What the relay sends fits the server's limit of 8 KiB of base64.
        assert!(STANDARD.encode(vec![0u8; MAX_UPLOAD_TEMPLATE]).len() <= 8 * 1024);
    }

    #[test]
    fn debug_output_never_carries_a_template() {
        let t = listed("finger", 1, "U0VDUkVU");
        let plan = RelayTemplates { templates: vec![t.clone()], removed: vec![] };
        let up = crate::api::TemplateUpload {
            templates: vec![UploadedTemplate {
                sn: "SN".into(),
                pin: "7".into(),
                finger: 1,
                valid: 1,
                template: "U0VDUkVU".into(),
            }],
        };
        for s in [format!("{t:?}"), format!("{plan:?}"), format!("{up:?}")] {
            assert!(!s.contains("U0VDUkVU"), "{s}");
        }
    }
}
