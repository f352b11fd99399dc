//! Web pages: the employee app (PWA) at `/`, served from files embedded in the binary.
//! In debug builds rust-embed reads the files from disk, so front-end work needs no rebuild.
//!
//! The service worker (`/app/sw.js`) controls the whole origin (`Service-Worker-Allowed: /`) and
//! is served with the app's version and file list filled in, so every change to any file in
//! `web/app/` reaches installed phones without anyone bumping a version by hand.

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hadir_app_assets::AppAssets;
use sha2::{Digest, Sha256};

const SW_PATH: &str = "sw.js";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/kiosk", get(kiosk))
        .route("/app/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
}

/// Browsers ask for `/favicon.ico` on every site, the console's pages included: the app's icon.
async fn favicon() -> Response {
    serve_file("icon-192.png", "public, max-age=86400")
}

async fn index() -> Response {
    serve_file("index.html", "no-cache")
}

/// The office QR kiosk's page (issue 21): signs in with a kiosk token, shows the signed code.
async fn kiosk() -> Response {
    serve_file("kiosk.html", "no-cache")
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/app/");
    if path == SW_PATH {
        return service_worker();
    }
    serve_file(path, "public, max-age=300")
}

fn serve_file(path: &str, cache: &'static str) -> Response {
    match AppAssets::get(path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache.to_string())], f.data.into_owned())
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response(),
    }
}

/// The service worker with `__APP_VERSION__` (a hash of every app file) and `__APP_FILES__`
/// (the URLs of the app shell) filled in. Revalidated on every load so updates reach phones.
fn service_worker() -> Response {
    let Some(f) = AppAssets::get(SW_PATH) else {
        return (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response();
    };
    let (version, files) = shell_manifest();
    let body =
        String::from_utf8_lossy(&f.data).replace("__APP_VERSION__", &version).replace("\"__APP_FILES__\"", &files);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (HeaderName::from_static("service-worker-allowed"), "/".to_string()),
        ],
        body,
    )
        .into_response()
}

/// (version, JSON array of shell URLs). Computed once in release builds, where the files are
/// compiled in; in debug builds on every request, since the files on disk may have changed.
fn shell_manifest() -> (String, String) {
    #[cfg(not(debug_assertions))]
    {
        static CACHED: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        CACHED.get_or_init(compute_shell_manifest).clone()
    }
    #[cfg(debug_assertions)]
    compute_shell_manifest()
}

fn compute_shell_manifest() -> (String, String) {
    let mut paths: Vec<String> = AppAssets::iter().map(|p| p.into_owned()).collect();
    paths.sort();
    let mut hasher = Sha256::new();
    let mut urls = vec!["/".to_string()];
    for p in &paths {
        if let Some(f) = AppAssets::get(p) {
            hasher.update(p.as_bytes());
            hasher.update(f.metadata.sha256_hash());
        }
        // index.html is served at `/`; sw.js is the worker itself. The kiosk page and the QR
        // decoder (250 KB, loaded only without BarcodeDetector, and useless offline: a kiosk
        // code must reach the server within 60 s) are not precached on every phone.
        if p != SW_PATH && p != "index.html" && !p.starts_with("kiosk.") && !p.starts_with("vendor/") {
            urls.push(format!("/app/{p}"));
        }
    }
    let version = hex::encode(&hasher.finalize()[..8]);
    (version, serde_json::to_string(&urls).unwrap_or_else(|_| "[]".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_text(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn service_worker_is_filled_in_and_may_control_the_whole_app() {
        let res = service_worker();
        assert_eq!(res.headers()["service-worker-allowed"], "/");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        let body = body_text(res).await;
        assert!(!body.contains("__APP_VERSION__") && !body.contains("__APP_FILES__"));
        let (version, files) = shell_manifest();
        assert!(body.contains(&format!("'{version}'")));
        let files: Vec<String> = serde_json::from_str(&files).unwrap();
        assert!(files.contains(&"/".to_string()) && files.contains(&"/app/app.js".to_string()));
        assert!(!files.contains(&"/app/sw.js".to_string()));
    }

    /// Every `/app/…` file the page links (scripts, styles, icons, manifest) is embedded, so an
    /// installed app never asks for a file the service worker could not cache.
    #[test]
    fn every_file_the_page_links_exists() {
        let index = AppAssets::get("index.html").unwrap();
        let html = String::from_utf8_lossy(&index.data).into_owned();
        let manifest = AppAssets::get("manifest.webmanifest").unwrap();
        let text = html + &String::from_utf8_lossy(&manifest.data);
        let mut seen = 0;
        for part in text.split("\"/app/").skip(1) {
            let path = &part[..part.find('"').unwrap()];
            assert!(AppAssets::get(path).is_some(), "index.html or the manifest links a missing file: /app/{path}");
            seen += 1;
        }
        assert!(seen >= 10, "expected the page to link its scripts and icons, found {seen}");
    }
}
