//! Web pages: the employee app (PWA) at `/`, served from files embedded in the binary.
//! In debug builds rust-embed reads the files from disk, so front-end work needs no rebuild.

use crate::state::AppState;
use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/app/"]
struct AppAssets;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/app/{*path}", get(asset))
}

async fn index() -> Response {
    serve_file("index.html", "no-cache")
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/app/");
    // The service worker must be revalidated so updates reach phones.
    let cache = if path == "sw.js" { "no-cache" } else { "public, max-age=300" };
    serve_file(path, cache)
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
