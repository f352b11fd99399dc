//! The authenticated caller, extracted from `Authorization: Bearer …` (or the console's session
//! cookie), with the scope rules every handler uses.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use hadir_store::{Account, Id, Role, RoleGrant, Scope};
use jiff::Timestamp;

#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Id,
    pub username: String,
    pub name: String,
    pub is_admin: bool,
    pub employee_id: Option<Id>,
    pub grants: Vec<RoleGrant>,
    pub token_hash: Vec<u8>,
}

pub const SESSION_COOKIE: &str = "hadir_session";

fn bearer(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(s) = v.to_str()
        && let Some(t) = s.strip_prefix("Bearer ").or_else(|| s.strip_prefix("bearer "))
    {
        return Some(t.trim().to_string());
    }
    let cookies = parts.headers.get_all(axum::http::header::COOKIE);
    for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for kv in c.split(';') {
            if let Some(t) = kv.trim().strip_prefix(SESSION_COOKIE).and_then(|r| r.strip_prefix('=')) {
                return Some(t.to_string());
            }
        }
    }
    None
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let token_hash = crate::auth::token::hash(&token);
        if let Some(c) = state.caches.sessions.get(&token_hash) {
            return Ok(c);
        }
        let holder = state.store.session_holder(&token_hash, Timestamp::now()).await.map_err(|e| match e {
            hadir_store::StoreError::NotFound(_) => ApiError::unauthorized(),
            e => e.into(),
        })?;
        // The employee came in the same read: a check-in that follows finds it cached.
        if let Some((e, locations)) = holder.employee {
            state.caches.extra_locations.put(e.id, locations);
            state.caches.employees.put(e.id, e);
        }
        let (account, grants) = (holder.account, holder.grants);
        let caller = Caller::from_account(account, grants, token_hash.clone());
        state.caches.sessions.put(token_hash, caller.clone());
        Ok(caller)
    }
}

impl Caller {
    pub fn from_account(a: Account, grants: Vec<RoleGrant>, token_hash: Vec<u8>) -> Caller {
        Caller {
            account_id: a.id,
            username: a.username,
            name: a.name,
            is_admin: a.is_admin,
            employee_id: a.employee_id,
            grants,
            token_hash,
        }
    }

    /// Role names for the login response.
    pub fn roles(&self) -> Vec<String> {
        let mut r = Vec::new();
        if self.is_admin {
            r.push("admin".to_string());
        }
        for g in &self.grants {
            let s = g.role.as_str().to_string();
            if !r.contains(&s) {
                r.push(s);
            }
        }
        if self.employee_id.is_some() {
            r.push("employee".to_string());
        }
        r
    }

    /// For audit records.
    pub fn actor(&self) -> (Option<Id>, &str) {
        (Some(self.account_id), &self.username)
    }

    pub fn is_staff(&self) -> bool {
        self.is_admin || !self.grants.is_empty()
    }

    /// What this caller may read about people: admin all; operator/head their subtrees;
    /// an employee only themself.
    pub fn read_scope(&self) -> Scope {
        if self.is_admin {
            return Scope::All;
        }
        if !self.grants.is_empty() {
            return Scope::Subtrees(self.grants.iter().map(|g| g.unit_path.clone()).collect());
        }
        match self.employee_id {
            Some(id) => Scope::Employee(id),
            None => Scope::Nothing,
        }
    }

    /// Subtrees in which the caller holds one of `roles` (admins: everywhere).
    fn holds(&self, roles: &[Role], unit_path: &str) -> bool {
        self.is_admin || self.grants.iter().any(|g| roles.contains(&g.role) && unit_path.starts_with(&g.unit_path))
    }

    /// May read people and data of the unit at `unit_path`.
    pub fn can_read_unit(&self, unit_path: &str) -> bool {
        self.holds(&[Role::Operator, Role::Head], unit_path)
    }

    /// May change employees, terminals and data of the unit (operators and admins).
    pub fn can_manage_unit(&self, unit_path: &str) -> bool {
        self.holds(&[Role::Operator], unit_path)
    }

    /// May decide head-level requests for people of the unit: heads, and operators acting for
    /// the unit as the agency's verifier (and admins). Own requests are excluded by the caller.
    pub fn can_decide_for_unit(&self, unit_path: &str) -> bool {
        self.holds(&[Role::Head, Role::Operator], unit_path)
    }

    /// Holds a head or operator grant on a unit strictly above `unit_path` (an ancestor, not
    /// the unit itself): may decide an OUTAGE of a sub-unit they belong to (issue 16).
    pub fn decides_strictly_above(&self, unit_path: &str) -> bool {
        self.grants.iter().any(|g| {
            matches!(g.role, Role::Head | Role::Operator)
                && unit_path.len() > g.unit_path.len()
                && unit_path.starts_with(&g.unit_path)
        })
    }

    /// Subtrees in which the caller decides head-level requests (heads and operators).
    pub fn decide_paths(&self) -> Vec<String> {
        self.grants
            .iter()
            .filter(|g| matches!(g.role, Role::Head | Role::Operator))
            .map(|g| g.unit_path.clone())
            .collect()
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.is_staff() { Ok(()) } else { Err(ApiError::forbidden()) }
    }
}
