use crate::auth::LoginLimiter;
use crate::config::ServerConfig;
use crate::context::Policies;
use crate::inflight::InFlight;
use crate::ingest::Ingest;
use hadir_blob::BlobStore;
use hadir_store::Store;
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blob: BlobStore,
    pub config: Arc<ServerConfig>,
    pub limiter: Arc<LoginLimiter>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    pub ingest: Ingest,
    pub policies: Arc<Policies>,
    /// Check-ins in progress by dedup key, so concurrent retries share one answer.
    pub inflight: Arc<InFlight<CheckinOutcome>>,
}

pub type CheckinOutcome = Result<(axum::http::StatusCode, String), crate::error::ApiError>;
