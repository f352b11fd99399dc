//! Health, metrics, the OpenAPI document and its human-readable page, and fallbacks.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once (tests start several servers per process).
pub fn install_metrics() -> &'static PrometheusHandle {
    METRICS.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        // Histogram samples pile up in the recorder until they are folded into their summaries;
        // without a scrape of /metrics nothing folds them (the 30-minute soak grew ~7 MB a
        // minute), so fold them every few seconds whether or not anyone scrapes.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        });
        handle
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn prometheus() -> Response {
    let body = install_metrics().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn openapi_json(State(s): State<AppState>) -> Response {
    axum::Json(s.openapi.as_ref().clone()).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A plain page listing every route from the OpenAPI document (no CDN, works offline).
async fn docs(State(s): State<AppState>) -> Html<String> {
    let doc = serde_json::to_value(s.openapi.as_ref()).unwrap_or_default();
    let mut rows = String::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else { continue };
            for (method, op) in ops {
                let summary = op.get("summary").and_then(|v| v.as_str()).unwrap_or("");
                let desc = op.get("description").and_then(|v| v.as_str()).unwrap_or("");
                rows.push_str(&format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}<br><small>{}</small></td></tr>\n",
                    esc(&method.to_uppercase()),
                    esc(path),
                    esc(summary),
                    esc(desc)
                ));
            }
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Dokumentasi API Hadir</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}table{{border-collapse:collapse;width:100%}}</style>\
         </head><body><h1>Dokumentasi API Hadir</h1><p>Dokumen lengkap (OpenAPI 3.1): <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
         Autentikasi: <code>Authorization: Bearer TOKEN</code> dari <code>POST /api/v1/auth/login</code>.</p>\
         <table><tr><th>Metode</th><th>Jalur</th><th>Keterangan</th></tr>{rows}</table></body></html>"
    ))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("Alamat")
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut r = ApiError::internal().into_response();
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}
