use crate::Result;
use crate::types::*;
use crate::{
    AvailabilityStore, ChannelPolicyStore, DayStore, DeviceStore, KinerjaStore, PrivacyStore, RecapStore, RequestStore,
    SignalStore, WebhookStore,
};
use async_trait::async_trait;
use jiff::Timestamp;

/// Units (a tree with zones and geofenced locations) and employees.
#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_unit(&self, unit: &NewUnit, audit: Audit) -> Result<Unit>;
    async fn unit_by_code(&self, code: &str) -> Result<Unit>;
    async fn unit_by_id(&self, id: Id) -> Result<Unit>;
    /// Units visible in `scope`, ordered by path (parents before children).
    async fn list_units(&self, scope: &Scope) -> Result<Vec<Unit>>;
    /// Adds a check-in location (geofence) to a unit; returns the unit as it is now.
    async fn add_location(&self, unit_id: Id, l: &NewLocation, audit: Audit) -> Result<Unit>;
    /// Changes a location of the unit (`NotFound("location")` when it is not that unit's).
    async fn update_location(&self, unit_id: Id, location_id: Id, l: &NewLocation, audit: Audit) -> Result<Unit>;
    /// Removes a location of the unit; `Conflict("location_in_use")` while employees have it as
    /// an extra check-in location (punches keep the name they were recorded with).
    async fn delete_location(&self, unit_id: Id, location_id: Id, audit: Audit) -> Result<Unit>;

    /// Creates the employee and their login account in one transaction.
    async fn create_employee(&self, e: &NewEmployee, audit: Audit) -> Result<Employee>;
    /// A unit change takes effect on `u.unit_from` (a unit-history row; later rows give way),
    /// an end of employment deletes the stored day records after it.
    async fn update_employee(&self, id: Id, u: &EmployeeUpdate, audit: Audit) -> Result<Employee>;
    /// The unit history of these employees, by employee then date.
    async fn unit_history(&self, ids: &[Id]) -> Result<Vec<UnitSpell>>;
    /// Employees who spent a day of `from..=to` in the subtree at `path` (every unit: `None`)
    /// while employed (started by `to`, not ended before `from`).
    async fn employees_in_units_during(
        &self,
        path: Option<&str>,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<Id>>;
    async fn employee_by_id(&self, id: Id) -> Result<Employee>;
    /// The employees with these ids that exist, in any order (one query in a real backend: the
    /// background recompute reads hundreds at a time).
    async fn employees_by_ids(&self, ids: &[Id]) -> Result<Vec<Employee>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.employee_by_id(*id).await {
                Ok(e) => out.push(e),
                Err(crate::StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    /// By NIP or internal login number.
    async fn employee_by_login(&self, login: &str) -> Result<Employee>;
    async fn employee_by_device_pin(&self, pin: &str) -> Result<Employee>;
    async fn list_employees(&self, scope: &Scope, f: &EmployeeFilter) -> Result<Page<Employee>>;
    async fn count_employees(&self) -> Result<u64>;
    /// Assigns (or with `assign = false`, removes) an extra check-in location to an employee.
    async fn set_employee_location(&self, employee_id: Id, location_id: Id, assign: bool, audit: Audit) -> Result<()>;
    /// The extra locations assigned to an employee (besides their unit's).
    async fn employee_locations(&self, employee_id: Id) -> Result<Vec<Location>>;
    /// The employee and their extra locations (what a check-in needs; one read in a real backend).
    async fn employee_with_locations(&self, id: Id) -> Result<(Employee, Vec<Location>)> {
        let e = self.employee_by_id(id).await?;
        let locations = self.employee_locations(id).await?;
        Ok((e, locations))
    }
}

/// Login accounts, role grants and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_admin(&self, username: &str, name: &str, password_hash: &str) -> Result<Account>;
    async fn account_by_username(&self, username: &str) -> Result<Account>;
    async fn account_by_id(&self, id: Id) -> Result<Account>;
    /// Sets a new password and ends every session of the account. `reset` marks a reset by
    /// someone else (shown to the owner until they set their own); `None` (the owner's own
    /// change) clears any earlier mark.
    async fn set_password(
        &self,
        account_id: Id,
        password_hash: &str,
        reset: Option<&PasswordResetMark>,
        audit: Audit,
    ) -> Result<()>;
    async fn grant_role(&self, account_id: Id, role: Role, unit_code: &str, audit: Audit) -> Result<RoleGrant>;
    async fn revoke_role(&self, account_id: Id, role: Role, unit_code: &str, audit: Audit) -> Result<()>;
    async fn roles_of(&self, account_id: Id) -> Result<Vec<RoleGrant>>;

    /// Stores a session under the SHA-256 of its token; the token itself is never stored.
    async fn create_session(&self, token_hash: &[u8], account_id: Id, expires_at: Timestamp) -> Result<()>;
    async fn session(&self, token_hash: &[u8], now: Timestamp) -> Result<Session>;
    /// Who holds a live session: the account, its role grants and, for an employee's account,
    /// the employee and their extra locations (what every authenticated request and then a
    /// check-in need: one read). `NotFound` when the session is unknown, expired or its account
    /// inactive.
    async fn session_holder(&self, token_hash: &[u8], now: Timestamp) -> Result<SessionHolder>;
    /// The account and grants of `session_holder`.
    async fn session_account(&self, token_hash: &[u8], now: Timestamp) -> Result<(Account, Vec<RoleGrant>)> {
        let h = self.session_holder(token_hash, now).await?;
        Ok((h.account, h.grants))
    }
    async fn delete_session(&self, token_hash: &[u8]) -> Result<()>;
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;
}

/// The append-only trail of changes made by people.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, audit: Audit) -> Result<()>;
    async fn list_audit(&self, entity: Option<&str>, offset: u32, limit: u32) -> Result<Page<AuditEntry>>;
    /// The trail narrowed by [`AuditFilter`], newest first.
    async fn search_audit(&self, f: &AuditFilter, offset: u32, limit: u32) -> Result<Page<AuditEntry>>;
}

/// Raw punches: append-only, hash-chained, idempotent by dedup key.
#[async_trait]
pub trait PunchStore: Send + Sync {
    /// Appends a batch in one transaction (group commit) and reports, per item in order,
    /// whether it was new or already stored under its dedup key.
    async fn insert_punches(&self, batch: &[NewPunch]) -> Result<Vec<PunchInsert>>;
    async fn punch_by_dedup_key(&self, key: &str) -> Result<Option<Punch>>;
    async fn punch_by_id(&self, id: Id) -> Result<Punch>;
    /// Ordered by `punched_at`.
    async fn list_punches(&self, f: &PunchFilter) -> Result<Vec<Punch>>;
    /// The punches of these employees with `from <= punched_at < to` (not quarantined), ordered
    /// by `punched_at`: what [`list_punches`](Self::list_punches) gives per employee, in one read.
    async fn punches_of(&self, employee_ids: &[Id], from: Timestamp, to: Timestamp) -> Result<Vec<Punch>> {
        let mut out = Vec::new();
        for id in employee_ids {
            let f = PunchFilter {
                employee_id: Some(*id),
                from: Some(from),
                to: Some(to),
                limit: 100_000,
                ..Default::default()
            };
            out.extend(self.list_punches(&f).await?);
        }
        out.sort_by_key(|p| (p.p.punched_at, p.id));
        Ok(out)
    }
    /// The punches that count on a day (not quarantined, not held or rejected, not special
    /// attendance, which counts through its request) of these employees with
    /// `from <= punched_at < to`, ordered by time: only what a day's evaluation reads, for the
    /// recompute of a batch (a busy day's full rows, re-read at every batch, were most of its
    /// cost).
    async fn counting_punches_of(
        &self,
        employee_ids: &[Id],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CountingPunch>> {
        Ok(self
            .punches_of(employee_ids, from, to)
            .await?
            .into_iter()
            .filter(Punch::counts_on_day)
            .filter_map(|p| {
                Some(CountingPunch {
                    id: p.id,
                    employee_id: p.p.employee_id?,
                    punched_at: p.p.punched_at,
                    source: p.p.source,
                })
            })
            .collect())
    }
    /// What a mobile check-in reads, bounded whatever the day already holds: the punch stored
    /// under `q.dedup_key` (a retry), plus the counting punches (not quarantined, not held or
    /// rejected) of `q.employee_id`: the first `q.per_part` of each local day
    /// `[day_starts[0], day_starts[1])` and `[day_starts[1], q.to)`, and the last `q.per_part` of
    /// `[q.from, q.to)`. In time order, each punch once. The first punches decide a day's
    /// check-in and the last ones its check-out, so the verdict needs no more. The counting
    /// punches carry only what a verdict reads (a busy person's 48 rows were most of a busy
    /// day's row decoding); the retry's punch is whole.
    async fn checkin_punches(&self, q: &CheckinRead) -> Result<CheckinPunches> {
        let retry = self.punch_by_dedup_key(&q.dedup_key).await?;
        let f = |from, to| PunchFilter {
            employee_id: Some(q.employee_id),
            from: Some(from),
            to: Some(to),
            limit: 100_000,
            ..Default::default()
        };
        let only_counting = |v: Vec<Punch>| v.into_iter().filter(|p| p.counts()).collect::<Vec<_>>();
        let n = q.per_part as usize;
        let mut out = Vec::new();
        out.extend(only_counting(self.list_punches(&f(q.day_starts[0], q.day_starts[1])).await?).into_iter().take(n));
        out.extend(only_counting(self.list_punches(&f(q.day_starts[1], q.to)).await?).into_iter().take(n));
        let window = only_counting(self.list_punches(&f(q.from, q.to)).await?);
        out.extend(window.into_iter().rev().take(n));
        out.sort_by_key(|p| (p.p.punched_at, p.id));
        out.dedup_by_key(|p| p.id);
        let counting = out
            .into_iter()
            .map(|p| CountingPunch {
                id: p.id,
                employee_id: q.employee_id,
                punched_at: p.p.punched_at,
                source: p.p.source,
            })
            .collect();
        Ok(CheckinPunches { retry, counting })
    }
    /// Links unmatched terminal punches with this PIN to the employee; returns the linked punches.
    /// Those from a terminal whose unit subtree does not hold the employee's unit are held in the
    /// same statement (`hold = pending`, review `pin_out_of_unit`), so they never count unseen.
    async fn match_device_pin(&self, pin: &str, employee_id: Id) -> Result<Vec<Punch>>;
    /// Releases a terminal's quarantined punches (after approval); returns them.
    async fn release_quarantine(&self, device_sn: &str) -> Result<Vec<Punch>>;
    /// Decides held punches: those of `ids` still `pending` (or not held but of review
    /// `colleague`: counted at once, decided afterwards) become `accepted` or `rejected`,
    /// with who decided, when and the note; one audit record (`punch_hold`) per punch in the
    /// same transaction. Returns the punches decided (others are left as they were).
    async fn decide_held_punches(
        &self,
        ids: &[Id],
        accept: bool,
        note: Option<&str>,
        at: Timestamp,
        actor: (Option<Id>, &str),
    ) -> Result<Vec<Punch>>;
    /// Recomputes every link of the chain.
    async fn verify_chain(&self) -> Result<ChainReport>;
}

/// Everything a backend provides.
pub trait Store:
    OrgStore
    + AccountStore
    + AuditStore
    + PunchStore
    + DeviceStore
    + DayStore
    + RequestStore
    + RecapStore
    + AvailabilityStore
    + PrivacyStore
    + crate::KioskStore
    + KinerjaStore
    + SignalStore
    + ChannelPolicyStore
    + WebhookStore
    + crate::TemplateStore
    + crate::NotificationStore
    + crate::SessionStore
    + Send
    + Sync
{
}
impl<T> Store for T where
    T: OrgStore
        + AccountStore
        + AuditStore
        + PunchStore
        + DeviceStore
        + DayStore
        + RequestStore
        + RecapStore
        + AvailabilityStore
        + PrivacyStore
        + crate::KioskStore
        + KinerjaStore
        + SignalStore
        + ChannelPolicyStore
        + WebhookStore
        + crate::TemplateStore
        + crate::NotificationStore
        + crate::SessionStore
        + Send
        + Sync
{
}
