//! Hadir's HTTP server: the JSON API under `/api/v1`, the terminal endpoints under `/iclock`,
//! health, metrics and the OpenAPI document.

pub mod admin;
pub mod allocator;
pub mod api;
pub mod auth;
pub mod availability;
mod cache;
pub mod config;
pub mod context;
pub mod dates;
pub mod days;
pub mod error;
pub mod flood;
pub mod iclock;
pub mod images;
pub mod import;
pub mod import_jobs;
pub mod inflight;
pub mod ingest;
pub mod json;
pub mod kiosk;
pub mod notifications;
pub mod org;
pub mod outbox;
pub mod privacy;
pub mod recap;
pub mod recap_export;
pub mod reminders;
pub mod requests;
mod serve;
pub mod sessions;
pub mod signals;
mod state;
mod system;
pub mod templates;
mod thumbs;
pub mod tpp;
pub mod tpp_export;
pub mod views;
pub mod web;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use hadir_blob::BlobStore;
use hadir_store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub use config::ServerConfig;
pub use state::AppState;

/// Everything the server needs to run.
pub struct Server {
    pub config: ServerConfig,
    pub store: Arc<dyn Store>,
    pub blob: BlobStore,
}

impl Server {
    /// Builds the shared state and starts the background writer (needs a Tokio runtime).
    pub fn state(&self) -> AppState {
        let (_, openapi) = api::router().split_for_parts();
        let c = &self.config;
        let policies = Arc::new(context::Policies::default());
        let recompute = days::Recompute::start(self.store.clone(), policies.clone());
        let signals = signals::Signals::default();
        let ingest = ingest::Ingest::start(
            self.store.clone(),
            self.blob.clone(),
            ingest::IngestConfig { queue_capacity: c.ingest_queue, max_batch: c.ingest_batch },
            signals.counting(recompute.commit_hook()),
        );
        let flood = Arc::new(flood::FloodLimits::new(&c.flood));
        flood::FloodLimits::start_cleanup(&flood);
        AppState {
            flood,
            store: self.store.clone(),
            blob: self.blob.clone(),
            config: Arc::new(c.clone()),
            limiter: Arc::new(auth::LoginLimiter::new(
                c.login_fail_per_account,
                c.login_fail_per_ip,
                Duration::from_secs(c.login_window_secs),
            )),
            openapi: Arc::new(openapi),
            ingest,
            policies,
            recompute,
            availability: availability::Availability::new(self.store.clone()),
            inflight: Arc::new(inflight::InFlight::default()),
            caches: Arc::new(state::Caches::default()),
            imports: Arc::new(import_jobs::ImportJobs::new(c.import.max_running)),
            kiosk_keys: Arc::new(kiosk::KioskKeys::default()),
            template_keys: Arc::new(templates::TemplateKeys::default()),
            push_keys: Arc::new(notifications::PushKeys::default()),
            signals,
        }
    }

    pub fn router(&self) -> Router {
        build_router(self.state())
    }

    /// Serves on `listener` until `shutdown` resolves.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        system::install_metrics();
        let state = self.state();
        let availability = state.availability.clone();
        // The heartbeat lives exactly as long as this future: a killed server stops beating.
        let beating = AbortOnDrop(availability.start().await);
        let limits = state.config.connections.clone();
        // The daily retention purge (issue 17), once per day across instances.
        let purging =
            self.config.retention.purge_enabled.then(|| {
                AbortOnDrop(privacy::start(self.store.clone(), self.blob.clone(), self.config.retention.clone()))
            });
        // Fraud signals (issue 23): analysed after commit, off the check-in path.
        let analysing = self.config.signals.enabled.then(|| AbortOnDrop(signals::start(state.clone())));
        // Outgoing webhook deliveries (issue 25), while the server runs.
        let delivering = AbortOnDrop(webhooks::start(self.store.clone(), self.config.webhooks.clone()));
        // Web Push deliveries (issue 25); makes the VAPID key on the first start.
        let pushing = AbortOnDrop(notifications::start(
            self.store.clone(),
            state.push_keys.clone(),
            self.config.notifications.clone(),
        ));
        // The reminder and alert scheduler (issue 25), once a minute.
        let reminding = self.config.notifications.reminders_enabled.then(|| {
            AbortOnDrop(reminders::start(self.store.clone(), state.policies.clone(), self.config.notifications.clone()))
        });
        let app = build_router(state);
        serve::serve(listener, app, &limits, shutdown).await;
        drop(beating);
        drop(purging);
        drop(analysing);
        drop(delivering);
        drop(pushing);
        drop(reminding);
        availability.stop().await;
        Ok(())
    }
}

/// The content security policy of the app, the console and the API docs: only this origin's
/// scripts (no inline script anywhere), inline styles (htmx's indicator style, the docs page),
/// camera and object-URL images, the console's evidence frame.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; \
    frame-src 'self' blob:; worker-src 'self'; frame-ancestors 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'";

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    let worth_it = SizeAbove::new(1024)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::SSE)
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("video/"));
    tower_http::compression::CompressionLayer::new().gzip(true).compress_when(worth_it)
}

pub fn build_router(state: AppState) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer as Set;
    let max_body = state.config.max_body_bytes;
    let hsts = state.config.serves_https();
    let (api, _) = api::router().split_for_parts();
    let api = api.layer(axum::middleware::map_response(error::json_rejections));
    Router::new()
        .merge(api)
        .merge(system::router())
        .merge(iclock::router(&state))
        .merge(web::router())
        .merge(admin::router())
        .fallback(system::not_found)
        // gzip for pages, scripts, styles and JSON when the client asks (a first visit over a
        // slow link: ~3x fewer bytes); small answers and images (already compressed) as they are.
        .layer(compression())
        // Per-address flood limits on logins and terminal endpoints (issue 17), before anything
        // reads a body or asks the store.
        .layer(axum::middleware::from_fn_with_state(state.clone(), flood::guard))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.config.connections.body_read_secs,
        )))
        // Every response (issue 17): no content sniffing (photos too), no framing by other
        // sites, no referrer leaking NIPs in URLs, the CSP above.
        .layer(Set::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(Set::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN")))
        .layer(Set::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(Set::if_not_present(HeaderName::from_static("content-security-policy"), HeaderValue::from_static(CSP)))
        // HSTS only when people reach us over https (the proxy terminates TLS).
        .layer(tower::util::option_layer(hsts.then(|| {
            Set::if_not_present(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"))
        })))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(system::panic_response))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
