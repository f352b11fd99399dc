//! Fingerprint and face templates (issue 25): terminals upload them (PUSH `FP`/`FACE`/`BIODATA`
//! lines); the server keeps them per employee, sealed, and writes them to the other terminals of
//! the employee's unit, so a finger enrolled at the BKD works at the employee's office.
//!
//! * **Sealed at rest.** AES-256-GCM under a key derived from the server's template key (32
//!   random bytes drawn on first use and kept in `server_secrets`, like the kiosk secret, so
//!   every instance shares it); a fresh 96-bit nonce per row; the row's employee, kind and slot
//!   are the associated data (a sealed template cannot be moved to another row). The `digest`
//!   that tells "same template" apart is an HMAC under another derived key. No API answer,
//!   export, audit record or log line carries a template: the queued commands hold a
//!   placeholder (`TMP=<templat #id>`) and the template is put in only when the reply to the
//!   terminal's poll is written.
//! * **Accepted** from approved terminals only, for an employee (by device PIN) whose unit today
//!   lies in the terminal's unit subtree (the rule that makes a punch count); anything else is
//!   logged and dropped.
//! * **Distributed** to every other approved PUSH terminal whose unit subtree holds the
//!   employee's unit today and that is bound to an address (a serial alone is printed on the
//!   terminal: an unbound terminal could be impersonated to read templates), as `DATA UPDATE
//!   FINGERTMP|FACE|BIODATA`; a terminal holding the same version is not sent it again. A
//!   terminal that holds the employee's templates but whose unit no longer holds the employee
//!   (a transfer, effective from its date) is sent `DATA DELETE USERINFO` for the PIN.

use crate::state::AppState;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hadir_store::{Device, DeviceCommand, DeviceFilter, DeviceState, Employee, Id, NewTemplate, Store, StoreError};
use hadir_zk::push::{BioTemplate, Command, OperLogEntry, TemplateKind, UserUpdate};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::OnceCell;

const SECRET_NAME: &str = "template_key";
/// Templates taken from one OPERLOG body at most (the body itself is bounded by
/// `terminals.max_body_bytes`); the rest are acknowledged and dropped, with a warning.
pub const MAX_TEMPLATES_PER_BODY: usize = 100;
/// How often transfers that took effect since are applied (a dated transfer needs no request).
const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);
const MARK: &str = "<templat #";

/// The template key, read (or created) once per process.
#[derive(Default)]
pub struct TemplateKeys {
    keys: OnceCell<Keys>,
}

/// Keys derived from the stored secret: one seals, one hashes.
struct Keys {
    seal: Vec<u8>,
    digest: Vec<u8>,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

impl TemplateKeys {
    async fn keys(&self, store: &dyn Store) -> Result<&Keys, StoreError> {
        self.keys
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                getrandom::fill(&mut fresh).map_err(|e| StoreError::Backend(e.to_string()))?;
                let secret = store.server_secret(SECRET_NAME, &fresh).await?;
                Ok(Keys {
                    seal: hmac(&secret, b"hadir template seal v1"),
                    digest: hmac(&secret, b"hadir template digest v1"),
                })
            })
            .await
    }
}

/// The associated data binding a sealed template to its row.
fn aad(employee_id: Id, kind: &str, no: i64, idx: i64) -> Vec<u8> {
    format!("hadir-template:{employee_id}:{kind}:{no}:{idx}").into_bytes()
}

fn seal(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).ok()?;
    let sealed = cipher.encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad }).ok()?;
    Some((nonce.to_vec(), sealed))
}

fn open(key: &[u8], aad: &[u8], nonce: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher.decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad }).ok()
}

/// The canonical plaintext of a template: its upload line with the PIN left out (a PIN may
/// change; the template does not), so the digest depends on the template alone.
fn plaintext(t: &BioTemplate) -> String {
    let mut t = t.clone();
    t.pin = "0".into();
    t.upload_line()
}

fn kind_numbers(t: &BioTemplate) -> (String, i64, i64) {
    (t.kind.as_key(), i64::from(t.no), i64::from(t.index))
}

/// What one OPERLOG body's templates did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub stored: usize,
    pub unchanged: usize,
    pub dropped: usize,
}

/// Stores the templates of one OPERLOG body from terminal `d` and queues the changed ones for
/// the employees' other terminals.
pub async fn receive(s: &AppState, d: &Device, entries: &[&BioTemplate]) -> Result<Received, StoreError> {
    let mut out = Received::default();
    if entries.is_empty() {
        return Ok(out);
    }
    let (Some(dev_path), DeviceState::Active) = (d.unit_path.as_deref(), d.state) else {
        tracing::info!(sn = %d.sn, templates = entries.len(), "templates of a terminal not approved yet are not stored");
        out.dropped = entries.len();
        return Ok(out);
    };
    if entries.len() > MAX_TEMPLATES_PER_BODY {
        tracing::warn!(sn = %d.sn, templates = entries.len(), max = MAX_TEMPLATES_PER_BODY, "too many templates in one body: the rest dropped");
        out.dropped += entries.len() - MAX_TEMPLATES_PER_BODY;
    }
    let keys = s.template_keys.keys(s.store.as_ref()).await?;
    let mut owners: HashMap<String, Option<(Employee, String)>> = HashMap::new();
    let mut changed: HashSet<Id> = HashSet::new();
    let mut batch = Vec::new();
    for t in entries.iter().take(MAX_TEMPLATES_PER_BODY) {
        let owner = match owners.get(&t.pin) {
            Some(o) => o.clone(),
            None => {
                let o = match s.store.employee_by_device_pin(&t.pin).await {
                    Ok(e) => {
                        let path = unit_today(s.store.as_ref(), &e).await?.path;
                        Some((e, path))
                    }
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                owners.insert(t.pin.clone(), o.clone());
                o
            }
        };
        let Some((e, path)) = owner else {
            tracing::info!(sn = %d.sn, pin = %t.pin, "template of an unknown PIN not stored");
            out.dropped += 1;
            continue;
        };
        if !path.starts_with(dev_path) {
            tracing::warn!(sn = %d.sn, pin = %t.pin, employee = %e.login, "template of an employee outside the terminal's unit not stored");
            metrics::counter!("hadir_templates_total", "outcome" => "out_of_unit").increment(1);
            out.dropped += 1;
            continue;
        }
        let (kind, no, idx) = kind_numbers(t);
        let text = plaintext(t);
        let Some((nonce, sealed)) = seal(&keys.seal, &aad(e.id, &kind, no, idx), text.as_bytes()) else {
            return Err(StoreError::Backend("template sealing failed".into()));
        };
        batch.push(NewTemplate {
            employee_id: e.id,
            kind,
            no,
            idx,
            digest: hmac(&keys.digest, text.as_bytes()),
            nonce,
            sealed,
            source_sn: d.sn.clone(),
        });
    }
    // One transaction for the body.
    for (t, saved) in batch.iter().zip(s.store.save_templates(&batch).await?) {
        match saved {
            hadir_store::TemplateSaved::Same(_) => out.unchanged += 1,
            _ => {
                out.stored += 1;
                changed.insert(t.employee_id);
            }
        }
    }
    metrics::counter!("hadir_templates_total", "outcome" => "stored").increment(out.stored as u64);
    metrics::counter!("hadir_templates_total", "outcome" => "unchanged").increment(out.unchanged as u64);
    for id in changed {
        follow(s, id, false).await?;
        nudge_relays(s, id).await?;
    }
    Ok(out)
}

/// Asks the relays whose terminals lack one of the employee's fingerprints, or hold the
/// employee but should not any more, to sync now (their next upload is answered
/// `sync_roster`), rather than at their roster time (hourly by default).
pub async fn nudge_relays(s: &AppState, employee_id: Id) -> Result<(), StoreError> {
    let e = s.store.employee_by_id(employee_id).await?;
    let templates = s.store.templates_of(e.id).await?;
    if templates.is_empty() {
        return Ok(());
    }
    let copies = s.store.template_copies(e.id).await?;
    let path = unit_today(s.store.as_ref(), &e).await?.path;
    let keep = e.device_pin.is_some() && e.active;
    let mut relays: Vec<Id> = Vec::new();
    for d in s.store.list_devices(&DeviceFilter::default()).await? {
        let Some(relay_id) = d.relay_id.filter(|_| relay_written(&d) && d.state == DeviceState::Active) else {
            continue;
        };
        let holds_unit = d.unit_path.as_deref().is_some_and(|p| path.starts_with(p));
        let lacks = templates
            .iter()
            .filter(|t| t.kind == "finger")
            .any(|t| !copies.iter().any(|c| c.device_sn == d.sn && c.template_id == t.id && c.digest == t.digest));
        let leaving = copies.iter().any(|c| c.device_sn == d.sn);
        if ((keep && holds_unit && lacks) || (!(keep && holds_unit) && leaving)) && !relays.contains(&relay_id) {
            relays.push(relay_id);
        }
    }
    for relay_id in relays {
        let audit = hadir_store::Audit::new((None, "sistem templat"), "sync_templates", "relay", &relay_id.to_string());
        match s.store.request_relay_sync(relay_id, audit).await {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The templates among OPERLOG entries.
pub fn templates_in<'a>(entries: impl Iterator<Item = &'a OperLogEntry>) -> Vec<&'a BioTemplate> {
    entries
        .filter_map(|e| match e {
            OperLogEntry::Template(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// The employee's unit today (in their zone), from the dated unit history.
async fn unit_today(store: &dyn Store, e: &Employee) -> Result<hadir_store::Unit, StoreError> {
    unit_at(store, e, jiff::Timestamp::now()).await
}

/// The employee's unit on the local date (in their zone) of `now`, from the dated unit history.
async fn unit_at(store: &dyn Store, e: &Employee, now: jiff::Timestamp) -> Result<hadir_store::Unit, StoreError> {
    let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let history = store.unit_history(&[e.id]).await?;
    let id = hadir_store::unit_on(&history, e.unit_id, now.to_zoned_datetime(tz).date());
    store.unit_by_id(id).await
}

/// The terminals that should hold the templates of an employee whose unit path is `path`:
/// approved, PUSH, bound to an address, of a unit subtree holding the employee.
fn targets<'a>(devices: &'a [Device], path: &str) -> impl Iterator<Item = &'a Device> {
    devices.iter().filter(move |d| {
        d.state == DeviceState::Active
            && d.unit_path.as_deref().is_some_and(|p| path.starts_with(p))
            && (d.relay_id.is_none() || d.ip.is_some())
            && d.bound_cidr.is_some()
    })
}

/// The placeholder queued in place of a template: what operators see in the command list.
fn placeholder(t: &BioTemplate, template_id: Id) -> Option<String> {
    let line = Command::UpdateTemplate(t.clone()).render().ok()?;
    let head = line.strip_suffix(t.template.as_str())?;
    Some(format!("{head}{MARK}{template_id}>"))
}

/// The template a queued command carries, by its placeholder.
fn template_ref(command: &str) -> Option<Id> {
    let ours = ["DATA UPDATE FINGERTMP ", "DATA UPDATE FACE ", "DATA UPDATE BIODATA "];
    if !ours.iter().any(|p| command.starts_with(p)) {
        return None;
    }
    command.strip_suffix('>')?.rsplit_once(MARK)?.1.parse().ok()
}

/// The PIN field of a queued command.
fn pin_of(command: &str) -> Option<&str> {
    command.split(['\t', ' ']).find_map(|f| f.strip_prefix("PIN=").or_else(|| f.strip_prefix("Pin=")))
}

/// Brings the terminals in line with the employee: their unit's terminals get the templates
/// they do not hold yet (with `retry_failed`, also those whose last write failed), terminals
/// no longer of their unit lose the employee. Returns the commands queued.
pub async fn follow(s: &AppState, employee_id: Id, retry_failed: bool) -> Result<usize, StoreError> {
    let now = jiff::Timestamp::now();
    follow_on(s.store.as_ref(), &s.template_keys, employee_id, None, retry_failed, now).await
}

/// [`follow`] as of `now` (the employee's unit on that local date), limited to the terminal
/// `only` when given.
async fn follow_on(
    store: &dyn Store,
    template_keys: &TemplateKeys,
    employee_id: Id,
    only: Option<&str>,
    retry_failed: bool,
    now: jiff::Timestamp,
) -> Result<usize, StoreError> {
    let e = store.employee_by_id(employee_id).await?;
    let templates = store.templates_of(e.id).await?;
    if templates.is_empty() {
        return Ok(0);
    }
    let copies = store.template_copies(e.id).await?;
    let devices = store.list_devices(&DeviceFilter::default()).await?;
    let path = unit_at(store, &e, now).await?.path;
    let wanted: Vec<&Device> = match (&e.device_pin, e.active) {
        (Some(_), true) => targets(&devices, &path).collect(),
        _ => Vec::new(),
    };
    let mine = |sn: &str| only.is_none_or(|o| o == sn);
    let keys = template_keys.keys(store).await?;
    let mut queued = 0;
    for d in wanted.iter().filter(|d| mine(&d.sn)) {
        let Some(pin) = e.device_pin.as_deref() else { break };
        let mut items = Vec::new();
        for t in &templates {
            let held = copies.iter().any(|c| {
                c.device_sn == d.sn && c.template_id == t.id && c.digest == t.digest && !(retry_failed && c.failed)
            });
            if held {
                continue;
            }
            let Some(mut bio) = decode(keys, t) else {
                tracing::error!(template = t.id, "stored template cannot be opened (another template key?)");
                continue;
            };
            bio.pin = pin.to_owned();
            if let Some(cmd) = placeholder(&bio, t.id) {
                items.push((t.id, t.digest.clone(), cmd));
            }
        }
        if !items.is_empty() {
            // A terminal that holds none of the employee's templates may not know the employee
            // either: the user goes first (as "sync employees" writes it), or the terminal would
            // refuse the templates of an unknown PIN.
            // (With `only`, "sync employees" has just queued the users.)
            if only.is_none()
                && !copies.iter().any(|c| c.device_sn == d.sn)
                && let Ok(line) = Command::UpdateUser(UserUpdate::new(pin, &e.name)).render()
            {
                queued += store.queue_device_commands(&d.sn, &[line], None).await?.len();
            }
            queued += store.queue_template_commands(&d.sn, &items).await?.len();
            tracing::info!(sn = %d.sn, employee = %e.login, templates = items.len(), "templates queued for terminal");
        }
    }
    // Terminals holding the employee that should not any more (transfer, end of employment).
    let mut leaving: Vec<&str> = copies.iter().map(|c| c.device_sn.as_str()).collect();
    leaving.sort_unstable();
    leaving.dedup();
    for sn in leaving.into_iter().filter(|sn| mine(sn)) {
        if wanted.iter().any(|d| d.sn == sn) {
            continue;
        }
        let Some(d) = devices.iter().find(|d| d.sn == sn && d.state == DeviceState::Active) else { continue };
        if relay_written(d) {
            // Its relay removes the employee (the removal list of `GET /api/v1/relay/templates`).
            continue;
        }
        let Some(pin) = e.device_pin.as_deref() else { continue };
        let Ok(line) = (Command::DeleteUser { pin: pin.to_owned() }).render() else { continue };
        queued += store.queue_template_removal(&d.sn, e.id, &[line]).await?.len();
        tracing::info!(sn = %d.sn, employee = %e.login, "employee and templates removed from a terminal outside their unit");
    }
    Ok(queued)
}

/// A terminal its relay writes over port 4370 (it makes no PUSH requests).
pub(crate) fn relay_written(d: &Device) -> bool {
    d.relay_id.is_some() && d.ip.is_none()
}

/// One template a relay should write, opened for it.
pub struct ForRelay {
    pub template_id: Id,
    pub digest: Vec<u8>,
    /// With the employee's device PIN.
    pub template: BioTemplate,
    /// The relay's terminals that lack this version.
    pub terminals: Vec<String>,
}

/// An employee the relay's terminals should lose.
pub struct RelayRemoval {
    pub pin: String,
    pub terminals: Vec<String>,
}

/// What a relay's terminals should be given and lose: the templates of the active employees
/// (with a device PIN) of its unit subtree that its approved terminals holding the employee's
/// unit lack, and the employees its terminals hold templates of but should not any more.
pub async fn for_relay(
    s: &AppState,
    relay: &hadir_store::Relay,
) -> Result<(Vec<ForRelay>, Vec<RelayRemoval>), StoreError> {
    let mine = s.store.list_devices(&DeviceFilter { relay_id: Some(relay.id), ..Default::default() }).await?;
    let mine: Vec<&Device> = mine
        .iter()
        .filter(|d| {
            relay_written(d)
                && d.state == DeviceState::Active
                && d.unit_path.as_deref().is_some_and(|p| p.starts_with(&relay.unit_path))
        })
        .collect();
    let (mut give, mut remove) = (Vec::new(), Vec::new());
    if mine.is_empty() {
        return Ok((give, remove));
    }
    let keys = s.template_keys.keys(s.store.as_ref()).await?;
    for id in s.store.employees_with_templates().await? {
        let e = match s.store.employee_by_id(id).await {
            Ok(e) => e,
            Err(StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let copies = s.store.template_copies(e.id).await?;
        let path = unit_today(s.store.as_ref(), &e).await?.path;
        let wanted: Vec<&Device> = match (&e.device_pin, e.active) {
            (Some(_), true) => {
                mine.iter().copied().filter(|d| d.unit_path.as_deref().is_some_and(|p| path.starts_with(p))).collect()
            }
            _ => Vec::new(),
        };
        if let Some(pin) = e.device_pin.as_deref() {
            let mut leaving: Vec<String> = mine
                .iter()
                .filter(|d| !wanted.iter().any(|w| w.sn == d.sn) && copies.iter().any(|c| c.device_sn == d.sn))
                .map(|d| d.sn.clone())
                .collect();
            leaving.sort();
            if !leaving.is_empty() {
                remove.push(RelayRemoval { pin: pin.to_owned(), terminals: leaving });
            }
        }
        let Some(pin) = e.device_pin.as_deref().filter(|_| !wanted.is_empty()) else { continue };
        for t in s.store.templates_of(e.id).await? {
            let terminals: Vec<String> = wanted
                .iter()
                .filter(|d| {
                    !copies.iter().any(|c| c.device_sn == d.sn && c.template_id == t.id && c.digest == t.digest)
                })
                .map(|d| d.sn.clone())
                .collect();
            if terminals.is_empty() {
                continue;
            }
            let Some(mut bio) = decode(keys, &t) else {
                tracing::error!(template = t.id, "stored template cannot be opened (another template key?)");
                continue;
            };
            bio.pin = pin.to_owned();
            give.push(ForRelay { template_id: t.id, digest: t.digest.clone(), template: bio, terminals });
        }
    }
    Ok((give, remove))
}

/// Records what a relay reports it wrote (`(sn, template id, digest)`; only its own approved
/// terminals and the current version of a template count) and removed (`(sn, pin)`).
/// Returns how many entries were recorded.
pub async fn relay_wrote(
    s: &AppState,
    relay: &hadir_store::Relay,
    written: &[(String, Id, Vec<u8>)],
    removed: &[(String, String)],
) -> Result<usize, StoreError> {
    let mine = s.store.list_devices(&DeviceFilter { relay_id: Some(relay.id), ..Default::default() }).await?;
    let ours = |sn: &str| mine.iter().any(|d| d.sn == sn && relay_written(d) && d.state == DeviceState::Active);
    let ids: Vec<Id> = written.iter().map(|(_, id, _)| *id).collect();
    let current: HashMap<Id, Vec<u8>> =
        s.store.templates_by_ids(&ids).await?.into_iter().map(|t| (t.id, t.digest)).collect();
    let mut per_sn: HashMap<&str, Vec<(Id, Vec<u8>)>> = HashMap::new();
    for (sn, id, digest) in written {
        if ours(sn) && current.get(id) == Some(digest) {
            per_sn.entry(sn.as_str()).or_default().push((*id, digest.clone()));
        }
    }
    let mut n = 0;
    for (sn, copies) in per_sn {
        n += copies.len();
        s.store.record_template_copies(sn, &copies).await?;
    }
    for (sn, pin) in removed {
        if !ours(sn) {
            continue;
        }
        match s.store.employee_by_device_pin(pin).await {
            Ok(e) => {
                s.store.forget_template_copies(sn, e.id).await?;
                n += 1;
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Opens a stored template.
fn decode(keys: &Keys, t: &hadir_store::SealedTemplate) -> Option<BioTemplate> {
    let text = open(&keys.seal, &aad(t.employee_id, &t.kind, t.no, t.idx), &t.nonce, &t.sealed)?;
    let batch = hadir_zk::push::parse_operlog(&text);
    match batch.entries.into_iter().next()?.entry {
        OperLogEntry::Template(b) if TemplateKind::from_key(&t.kind) == Some(b.kind) => Some(b),
        _ => None,
    }
}

/// "Sync employees" of one terminal: the templates of the employees in `employee_ids` it does
/// not hold, or whose last write failed, are queued for it (after the users). Returns how many
/// commands.
pub async fn resend_to(s: &AppState, sn: &str, employee_ids: &[Id]) -> Result<usize, StoreError> {
    let with: HashSet<Id> = s.store.employees_with_templates().await?.into_iter().collect();
    let mut n = 0;
    for id in employee_ids.iter().filter(|id| with.contains(id)) {
        n += follow_on(s.store.as_ref(), &s.template_keys, *id, Some(sn), true, jiff::Timestamp::now()).await?;
    }
    Ok(n)
}

/// [`follow`] in the background (after an employee changed), logging failures.
pub fn follow_in_background(s: &AppState, employee_id: Id) {
    let s = s.clone();
    tokio::spawn(async move {
        if let Err(e) = follow(&s, employee_id, false).await {
            tracing::error!(employee_id, error = %e, "templates: following an employee failed");
        }
        if let Err(e) = nudge_relays(&s, employee_id).await {
            tracing::warn!(employee_id, error = %e, "templates: asking relays to sync failed");
        }
    });
}

/// One sweep at `now`: every employee with templates is followed as of their unit on the
/// local date of `now` (a dated transfer moves the templates from its date, never before).
/// An employee who fails is logged and skipped. Returns the commands queued.
pub async fn sweep(store: &dyn Store, keys: &TemplateKeys, now: jiff::Timestamp) -> Result<usize, StoreError> {
    let mut queued = 0;
    for id in store.employees_with_templates().await? {
        match follow_on(store, keys, id, None, false, now).await {
            Ok(n) => queued += n,
            Err(e) => tracing::warn!(employee_id = id, error = %e, "templates: sweep failed for an employee"),
        }
    }
    Ok(queued)
}

/// Every [`SWEEP_EVERY`], applies dated transfers that took effect since (no request marks
/// them): [`sweep`] with the clock.
pub fn spawn_sweeper(s: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(s.store.as_ref(), &s.template_keys, jiff::Timestamp::now()).await {
                tracing::warn!(error = %e, "templates: sweep could not list employees");
            }
        }
    });
}

/// The lines to send for commands taken from a terminal's queue: template placeholders are
/// replaced by the real command (opened now, never stored in clear). Prepared before the
/// queue is taken; see [`Prepared::lines`].
#[derive(Default)]
pub struct Prepared {
    lines: HashMap<Id, String>,
}

impl Prepared {
    /// Opens the templates the terminal's queued commands carry.
    pub async fn for_queue(s: &AppState, queued: &[DeviceCommand]) -> Result<Prepared, StoreError> {
        let refs: Vec<(Id, Id)> = queued.iter().filter_map(|c| Some((c.id, template_ref(&c.command)?))).collect();
        let mut out = Prepared::default();
        if refs.is_empty() {
            return Ok(out);
        }
        let keys = s.template_keys.keys(s.store.as_ref()).await?;
        let ids: Vec<Id> = refs.iter().map(|(_, t)| *t).collect();
        let stored: HashMap<Id, hadir_store::SealedTemplate> =
            s.store.templates_by_ids(&ids).await?.into_iter().map(|t| (t.id, t)).collect();
        for (cmd_id, template_id) in refs {
            let cmd = queued.iter().find(|c| c.id == cmd_id).map(|c| c.command.as_str()).unwrap_or_default();
            let line = stored.get(&template_id).and_then(|t| decode(keys, t)).and_then(|mut b| {
                b.pin = pin_of(cmd)?.to_owned();
                Command::UpdateTemplate(b).render().ok()
            });
            // A template gone or not opened: the placeholder goes out, the terminal refuses it
            // (its result is recorded) and nothing secret leaves.
            let line = line.unwrap_or_else(|| {
                tracing::error!(command = cmd_id, template = template_id, "queued template could not be opened");
                cmd.to_owned()
            });
            out.lines.insert(cmd_id, format!("C:{cmd_id}:{line}"));
        }
        Ok(out)
    }

    /// The lines for `taken` (in order), stopping before a template command that was queued
    /// after this was prepared (it waits for the next poll).
    pub fn lines(&self, taken: &[DeviceCommand]) -> Vec<String> {
        let mut out = Vec::with_capacity(taken.len());
        for c in taken {
            match self.lines.get(&c.id) {
                Some(l) => out.push(l.clone()),
                None if template_ref(&c.command).is_some() => break,
                None => out.push(format!("C:{}:{}", c.id, c.command)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_templates_open_only_in_their_row() {
        let key = [7u8; 32];
        let (nonce, sealed) = seal(&key, b"row-1", b"FP PIN=0\tFID=1\tTMP=AAAA").unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"AAAA"));
        assert_eq!(open(&key, b"row-1", &nonce, &sealed).unwrap(), b"FP PIN=0\tFID=1\tTMP=AAAA");
        assert!(open(&key, b"row-2", &nonce, &sealed).is_none());
        assert!(open(&[8u8; 32], b"row-1", &nonce, &sealed).is_none());
        let (nonce2, sealed2) = seal(&key, b"row-1", b"FP PIN=0\tFID=1\tTMP=AAAA").unwrap();
        assert_ne!((nonce, sealed), (nonce2, sealed2), "a fresh nonce per seal");
    }

    #[test]
    fn placeholders_name_the_template_and_keep_it_out() {
        let batch = hadir_zk::push::parse_operlog(b"FP PIN=12\tFID=3\tSize=8\tValid=1\tTMP=U2VjcmV0\n");
        let OperLogEntry::Template(t) = &batch.entries[0].entry else { panic!() };
        let p = placeholder(t, 42).unwrap();
        assert_eq!(p, "DATA UPDATE FINGERTMP PIN=12\tFID=3\tSize=8\tValid=1\tTMP=<templat #42>");
        assert_eq!(template_ref(&p), Some(42));
        assert_eq!(pin_of(&p), Some("12"));
        assert_eq!(template_ref("DATA UPDATE USERINFO PIN=1\tName=<templat #x>"), None);
        assert_eq!(template_ref("INFO"), None);
    }
}
