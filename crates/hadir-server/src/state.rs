use crate::auth::LoginLimiter;
use crate::cache::TtlCache;
use crate::config::ServerConfig;
use crate::context::Policies;
use crate::inflight::InFlight;
use crate::ingest::Ingest;
use hadir_blob::BlobStore;
use hadir_store::{Employee, Id, Location, Store, StoreError, Unit};
use std::sync::Arc;
use std::time::Duration;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blob: BlobStore,
    pub config: Arc<ServerConfig>,
    pub limiter: Arc<LoginLimiter>,
    /// Per-address flood limits on logins and terminal endpoints.
    pub flood: Arc<crate::flood::FloodLimits>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    pub ingest: Ingest,
    pub policies: Arc<Policies>,
    /// Marks day records dirty for the background recompute (punches, policies, approvals).
    pub recompute: crate::days::Recompute,
    /// The server's record of its own unavailability (late captures it caused count at once).
    pub availability: crate::availability::Availability,
    /// Check-ins in progress by dedup key, so concurrent retries share one answer.
    pub inflight: Arc<InFlight<CheckinOutcome>>,
    pub caches: Arc<Caches>,
    /// Employee imports running in the background (and recent reports).
    pub imports: Arc<crate::import_jobs::ImportJobs>,
    /// The kiosk QR signing secret (issue 21), read from the store once.
    pub kiosk_keys: Arc<crate::kiosk::KioskKeys>,
    /// The fingerprint/face template key (issue 25), read from the store once.
    pub template_keys: Arc<crate::templates::TemplateKeys>,
    /// The VAPID key of Web Push (issue 25), read from the store once.
    pub push_keys: Arc<crate::notifications::PushKeys>,
    /// Shared with the fraud-signal analyser (issue 23).
    pub signals: crate::signals::Signals,
}

/// Hot-path read caches (see `cache.rs`).
pub struct Caches {
    pub sessions: TtlCache<Vec<u8>, crate::auth::Caller>,
    pub employees: TtlCache<Id, Employee>,
    pub units: TtlCache<Id, Unit>,
    /// Extra check-in locations per employee.
    pub extra_locations: TtlCache<Id, Vec<Location>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            sessions: TtlCache::new(Duration::from_secs(15), 200_000),
            employees: TtlCache::new(Duration::from_secs(30), 200_000),
            units: TtlCache::new(Duration::from_secs(60), 50_000),
            extra_locations: TtlCache::new(Duration::from_secs(30), 200_000),
        }
    }
}

impl AppState {
    pub async fn employee(&self, id: Id) -> Result<Employee, StoreError> {
        if let Some(e) = self.caches.employees.get(&id) {
            return Ok(e);
        }
        // The extra locations come along in the same read: a check-in needs both.
        let (e, locations) = self.store.employee_with_locations(id).await?;
        self.caches.employees.put(id, e.clone());
        self.caches.extra_locations.put(id, locations);
        Ok(e)
    }

    pub async fn unit(&self, id: Id) -> Result<Unit, StoreError> {
        if let Some(u) = self.caches.units.get(&id) {
            return Ok(u);
        }
        let u = self.store.unit_by_id(id).await?;
        self.caches.units.put(id, u.clone());
        Ok(u)
    }

    /// Where an employee may check in: their unit's locations and any assigned to them.
    pub async fn checkin_locations(&self, e: &Employee, unit: &Unit) -> Result<Vec<Location>, StoreError> {
        let extra = match self.caches.extra_locations.get(&e.id) {
            Some(x) => x,
            None => {
                let x = self.store.employee_locations(e.id).await?;
                self.caches.extra_locations.put(e.id, x.clone());
                x
            }
        };
        Ok(unit.locations.iter().cloned().chain(extra).collect())
    }

    /// Forget what is cached about an account and its employee after a change to them.
    pub fn forget_account(&self, account_id: Id) {
        self.caches.sessions.remove_where(|_, c| c.account_id == account_id);
        self.caches.employees.remove_where(|_, e| e.account_id == account_id);
    }
}

pub type CheckinOutcome = Result<(axum::http::StatusCode, String), crate::error::ApiError>;
