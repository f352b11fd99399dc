//! Record types shared by every backend. Instants are `jiff::Timestamp` (stored as UTC epoch
//! milliseconds), calendar dates are `jiff::civil::Date` (stored as `YYYY-MM-DD`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub type Id = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Category {
    Pns,
    Pppk,
    Honorer,
}

impl Category {
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Pns => "PNS",
            Category::Pppk => "PPPK",
            Category::Honorer => "HONORER",
        }
    }
    pub fn parse(s: &str) -> Option<Category> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PNS" => Some(Category::Pns),
            "PPPK" => Some(Category::Pppk),
            "HONORER" => Some(Category::Honorer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: Id,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLocation {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Id>,
    pub parent_code: Option<String>,
    pub timezone: String,
    /// Materialised path of ids, e.g. `/1/4/17/`: a subtree is every path with this prefix.
    pub path: String,
    pub locations: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub timezone: String,
    pub locations: Vec<NewLocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Employee {
    pub id: Id,
    pub account_id: Id,
    pub nip: Option<String>,
    /// Login name: the NIP, or an internal number for honorer.
    pub login: String,
    pub name: String,
    pub category: Category,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_name: String,
    pub timezone: String,
    pub position: Option<String>,
    /// Monthly TPP base in rupiah, when known.
    pub tpp_base: Option<i64>,
    pub device_pin: Option<String>,
    pub active: bool,
    pub start_date: Option<Date>,
    /// The last day employed (issue 19): no days after it; `None` while employed.
    pub end_date: Option<Date>,
    pub end_reason: Option<EndReason>,
    /// TMT service counts from, when set (issue 19; overrides the NIP's).
    pub service_start: Option<Date>,
    /// `L` or `P`, when set (overrides the NIP's gender digit).
    pub gender: Option<String>,
    /// Kelas jabatan 1–17, when known.
    pub grade: Option<i16>,
}

impl Employee {
    /// Whether `d` lies after the end of employment (no day is evaluated there).
    pub fn ended_before(&self, d: Date) -> bool {
        self.end_date.is_some_and(|end| d > end)
    }
    /// Whether the employee was employed on some day of `from..=to`.
    pub fn employed_during(&self, from: Date, to: Date) -> bool {
        self.start_date.is_none_or(|s| s <= to) && self.end_date.is_none_or(|e| e >= from)
    }
}

/// Why employment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Pensiun,
    MutasiKeluar,
    Meninggal,
    Berhenti,
}

impl EndReason {
    pub const ALL: [EndReason; 4] =
        [EndReason::Pensiun, EndReason::MutasiKeluar, EndReason::Meninggal, EndReason::Berhenti];
    pub fn as_str(&self) -> &'static str {
        match self {
            EndReason::Pensiun => "pensiun",
            EndReason::MutasiKeluar => "mutasi_keluar",
            EndReason::Meninggal => "meninggal",
            EndReason::Berhenti => "berhenti",
        }
    }
    pub fn parse(s: &str) -> Option<EndReason> {
        EndReason::ALL.into_iter().find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }
    /// The Indonesian label.
    pub fn label(&self) -> &'static str {
        match self {
            EndReason::Pensiun => "pensiun",
            EndReason::MutasiKeluar => "mutasi keluar",
            EndReason::Meninggal => "meninggal dunia",
            EndReason::Berhenti => "berhenti",
        }
    }
}

/// One row of an employee's unit history: in `unit_id` from `effective_from` until the next row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSpell {
    pub employee_id: Id,
    pub unit_id: Id,
    pub effective_from: Date,
}

/// The unit of `d` in a history sorted by date (rows of one employee); before the first row,
/// the first row's unit; without rows, `current`.
pub fn unit_on(history: &[UnitSpell], current: Id, d: Date) -> Id {
    match history.iter().rev().find(|h| h.effective_from <= d) {
        Some(h) => h.unit_id,
        None => history.first().map(|h| h.unit_id).unwrap_or(current),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEmployee {
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub category: Category,
    pub unit_code: String,
    pub position: Option<String>,
    pub tpp_base: Option<i64>,
    pub device_pin: Option<String>,
    pub start_date: Option<Date>,
    pub password_hash: String,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmployeeUpdate {
    pub name: Option<String>,
    pub unit_code: Option<String>,
    pub position: Option<Option<String>>,
    pub tpp_base: Option<Option<i64>>,
    pub device_pin: Option<Option<String>>,
    pub start_date: Option<Option<Date>>,
    pub active: Option<bool>,
    pub category: Option<Category>,
    /// The date a unit change takes effect (days before it keep the old unit); without it, the
    /// store's today (UTC).
    pub unit_from: Option<Date>,
    /// End employment on a date with a reason (sets `active = false`), or with `Some(None)`
    /// employ again (clears the end, `active = true`).
    pub end: Option<Option<(Date, EndReason)>>,
    /// Issue 19: service start (TMT), gender `L`/`P`, kelas jabatan.
    pub service_start: Option<Option<Date>>,
    pub gender: Option<Option<String>>,
    pub grade: Option<Option<i16>>,
}

/// What part of the organisation a query may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Unit subtrees, given by their materialised paths.
    Subtrees(Vec<String>),
    /// Only this employee.
    Employee(Id),
    Nothing,
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeFilter {
    /// Restrict to this unit's subtree.
    pub unit_code: Option<String>,
    /// Substring of name, NIP or login.
    pub q: Option<String>,
    pub category: Option<Category>,
    pub active: Option<bool>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

/// Who holds a live session, read in one go: the account, its role grants and, for an
/// employee's account, the employee with their extra check-in locations (what a check-in
/// reads next).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionHolder {
    pub account: Account,
    pub grants: Vec<RoleGrant>,
    pub employee: Option<(Employee, Vec<Location>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: Id,
    pub username: String,
    pub password_hash: String,
    pub name: String,
    pub employee_id: Option<Id>,
    pub is_admin: bool,
    pub active: bool,
    /// Set when someone else last reset the password; cleared when the owner sets a new one.
    pub password_reset: Option<PasswordResetMark>,
}

/// When and by whom a password was reset by someone other than its owner (issue 16): shown to
/// the owner at their next login until they choose a new password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordResetMark {
    pub at: Timestamp,
    pub by_account_id: Id,
    pub by_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Operator,
    Head,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Head => "head",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "operator" => Some(Role::Operator),
            "head" => Some(Role::Head),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub id: Id,
    pub account_id: Id,
    pub role: Role,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_path: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub account_id: Id,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Id,
    pub at: Timestamp,
    pub actor_account_id: Option<Id>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What to select from the audit trail (every field optional, all given ones must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub action: Option<String>,
    /// Part of a name (case-insensitive), or an exact NIP or login: matches who acted (their
    /// account's name or login) or the employee acted on.
    pub person: Option<String>,
    /// Records about employees (and their accounts) of this unit subtree, and about its units.
    pub unit_path: Option<String>,
    /// `from <= at < to`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// An audit record to append; written in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    pub actor_account_id: Option<Id>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Audit {
    pub fn new(actor: (Option<Id>, &str), action: &str, entity: &str, entity_id: &str) -> Self {
        Audit {
            actor_account_id: actor.0,
            actor_name: actor.1.to_string(),
            action: action.into(),
            entity: entity.into(),
            entity_id: entity_id.into(),
            before: None,
            after: None,
        }
    }
    pub fn before(mut self, v: impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }
    pub fn after(mut self, v: impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PunchSource {
    /// The employee app (selfie + GPS).
    Mobile,
    /// Special attendance away from the office (needs approval).
    Special,
    /// A terminal pushing over HTTP (PUSH/ADMS).
    Terminal,
    /// A terminal read by an office relay.
    Relay,
}

impl PunchSource {
    /// The channels whose photo is a selfie taken at the punch: its bytes may prove one punch only.
    /// A relay's punch carries one only when a phone checked in on the office network (its
    /// terminals' punches have none).
    pub fn is_selfie(&self) -> bool {
        matches!(self, PunchSource::Mobile | PunchSource::Special | PunchSource::Relay)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            PunchSource::Mobile => "mobile",
            PunchSource::Special => "special",
            PunchSource::Terminal => "terminal",
            PunchSource::Relay => "relay",
        }
    }
    pub fn parse(s: &str) -> Option<PunchSource> {
        Some(match s {
            "mobile" => PunchSource::Mobile,
            "special" => PunchSource::Special,
            "terminal" => PunchSource::Terminal,
            "relay" => PunchSource::Relay,
            _ => return None,
        })
    }
}

/// A punch to append. `dedup_key` makes every write path idempotent:
/// `m:<employee id>:<idempotency key>` for the app, `t:<serial>:<pin>:<local time>` for terminals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPunch {
    pub employee_id: Option<Id>,
    pub source: PunchSource,
    pub dedup_key: String,
    /// When the person was there.
    pub punched_at: Timestamp,
    /// When the server received it.
    pub received_at: Timestamp,
    /// The phone's capture time, as sent.
    pub captured_at: Option<Timestamp>,
    pub device_sn: Option<String>,
    pub device_pin: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub distance_m: Option<f64>,
    pub location_name: Option<String>,
    pub photo_hash: Option<String>,
    pub note: Option<String>,
    /// Why a person should look at it (e.g. `offline_gap`, `clock_fault`), with detail.
    pub review: Option<String>,
    pub review_detail: Option<String>,
    /// Terminal status/verify codes.
    pub status: Option<i64>,
    pub verify: Option<i64>,
    /// From a terminal not yet approved: stored, not counted.
    pub quarantined: bool,
    /// The response body given to the caller, replayed on a retry with the same key.
    pub response: Option<String>,
    /// `Some(Pending)` when the channel did not prove the person was there then: stored, not
    /// counted until a responsible person accepts it. `None`: counts as received.
    #[serde(default)]
    pub hold: Option<PunchHold>,
}

impl NewPunch {
    /// Whether the store refuses this punch (`PhotoReused`) when a stored punch already holds its
    /// photo: a copied file, not a selfie taken now. A relay check-in was acknowledged to the
    /// person offline and cannot be refused any more, so once it is held for review it is stored
    /// with the reused photo and waits for a responsible person's decision.
    pub fn photo_must_be_unique(&self) -> bool {
        self.photo_hash.is_some()
            && self.source.is_selfie()
            && !(self.source == PunchSource::Relay && self.hold.is_some())
    }
}

/// Where a punch that waits for a person's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PunchHold {
    Pending,
    Accepted,
    Rejected,
}

impl PunchHold {
    pub fn as_str(&self) -> &'static str {
        match self {
            PunchHold::Pending => "pending",
            PunchHold::Accepted => "accepted",
            PunchHold::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<PunchHold> {
        Some(match s {
            "pending" => PunchHold::Pending,
            "accepted" => PunchHold::Accepted,
            "rejected" => PunchHold::Rejected,
            _ => return None,
        })
    }
}

/// Who accepted or rejected a held punch, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldDecision {
    pub by: String,
    pub at: Timestamp,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Punch {
    pub id: Id,
    #[serde(flatten)]
    pub p: NewPunch,
    pub prev_hash: String,
    pub hash: String,
    /// The decision on a held punch, once made.
    #[serde(default)]
    pub decision: Option<HoldDecision>,
    /// When the retention purge deleted the photo (its hash stays: it is in the chain).
    #[serde(default)]
    pub photo_purged_at: Option<Timestamp>,
    /// When the retention purge withdrew the position (never served again; the columns stay
    /// because they are hashed into the chain).
    #[serde(default)]
    pub position_purged_at: Option<Timestamp>,
}

impl Punch {
    /// Whether this punch enters attendance: not quarantined, and not held (or held and
    /// accepted). The one counting rule every evaluation applies.
    pub fn counts(&self) -> bool {
        !self.p.quarantined && matches!(self.p.hold, None | Some(PunchHold::Accepted))
    }

    /// Whether the punch enters a day's evaluation as a punch: it counts, and it is not special
    /// attendance (which counts only through its approved request, as a presence entry).
    pub fn counts_on_day(&self) -> bool {
        self.counts() && self.p.source != PunchSource::Special
    }
}

/// The outcome of appending one punch.
#[derive(Debug, Clone, PartialEq)]
pub enum PunchInsert {
    Inserted(Punch),
    /// The dedup key was already stored: the earlier punch.
    Duplicate(Punch),
    /// Nothing stored: the photo's bytes (its hash) already belong to a stored punch under
    /// another key, so the selfie is not proof of this presence. Carries that earlier punch.
    PhotoReused(Punch),
}

impl PunchInsert {
    pub fn punch(&self) -> &Punch {
        match self {
            PunchInsert::Inserted(p) | PunchInsert::Duplicate(p) | PunchInsert::PhotoReused(p) => p,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PunchFilter {
    pub employee_id: Option<Id>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub device_sn: Option<String>,
    /// Only punches with no employee (unknown terminal PIN).
    pub unmatched: bool,
    pub needs_review: bool,
    pub include_quarantined: bool,
    /// Only punches in this hold state.
    pub hold: Option<PunchHold>,
    /// With `hold`: also the punches not held (they count) that carry this review reason, e.g.
    /// `colleague` check-ins, which count at once and are listed until decided.
    pub or_counted_review: Option<String>,
    /// Only punches of employees in these unit subtrees (materialised paths).
    pub subtrees: Option<Vec<String>>,
    /// Skip this many (paging; ordered by `punched_at`, `id`).
    pub offset: u32,
    pub limit: u32,
}

/// What a verdict or a day's evaluation reads of a punch that counts (see
/// `PunchStore::counting_punches_of`, which leaves out special attendance, and
/// `PunchStore::checkin_punches`, which keeps it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountingPunch {
    pub id: Id,
    pub employee_id: Id,
    pub punched_at: Timestamp,
    pub source: PunchSource,
}

/// The bounded read of a mobile check-in (see `PunchStore::checkin_punches`).
#[derive(Debug, Clone)]
pub struct CheckinRead {
    pub employee_id: Id,
    pub dedup_key: String,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Local midnights of the day before the punch's local date and of that date.
    pub day_starts: [Timestamp; 2],
    pub per_part: u32,
}

/// What a mobile check-in reads (see `PunchStore::checkin_punches`).
#[derive(Debug, Clone, Default)]
pub struct CheckinPunches {
    /// The punch stored under the read's key: the request is a retry.
    pub retry: Option<Punch>,
    /// The bounded set of the person's counting punches around the new one, in time order.
    pub counting: Vec<CountingPunch>,
}

/// Result of checking the whole chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    pub checked: u64,
    /// The first punch whose link does not hold, with what was expected.
    pub first_broken: Option<(Id, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_unit_of_a_day_is_the_history_row_in_force() {
        let h = |unit_id, effective_from| UnitSpell { employee_id: 1, unit_id, effective_from };
        let history = [h(10, date(2025, 1, 2)), h(20, date(2025, 11, 5))];
        assert_eq!(unit_on(&history, 20, date(2025, 11, 4)), 10, "the day before the transfer");
        assert_eq!(unit_on(&history, 20, date(2025, 11, 5)), 20, "the day of the transfer");
        assert_eq!(unit_on(&history, 20, date(2025, 11, 6)), 20, "the day after");
        assert_eq!(unit_on(&history, 20, date(2024, 6, 1)), 10, "before the first row: the first unit");
        assert_eq!(unit_on(&[], 7, date(2025, 11, 5)), 7, "no history: the current unit");
    }

    #[test]
    fn end_reasons_round_trip() {
        for r in EndReason::ALL {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(EndReason::parse(" Pensiun "), Some(EndReason::Pensiun));
        assert_eq!(EndReason::parse("kabur"), None);
    }
}
