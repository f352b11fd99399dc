use crate::auth::LoginLimiter;
use crate::config::ServerConfig;
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
}
