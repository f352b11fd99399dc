//! A stand-in for the Hadir server's relay endpoints, for tests and the
//! benchmark: idempotent on (sn, pin, time) like the real one, recording what
//! it received. It runs on its own runtime so [`FakeServer::stop`] really
//! drops every connection (a server that is down, not one that says no).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::api::{
    PunchBatch, PunchReply, RelayPunch, RelayTemplates, Roster, TemplateReport, TemplateUpload, TemplateUploadReply,
    TerminalReport, UploadedTemplate,
};

/// What the fake server holds; shared across restarts.
#[derive(Debug, Default)]
pub struct FakeState {
    pub token: String,
    /// Stored punches by (sn, pin, time).
    pub punches: BTreeMap<(String, String, String), RelayPunch>,
    /// Punches received in all requests, duplicates included.
    pub received: u64,
    pub duplicates: u64,
    pub posts: u64,
    pub terminals: BTreeMap<String, TerminalReport>,
    pub roster: Roster,
    pub roster_gets: u64,
    /// Sent once in the next reply, then cleared.
    pub sync_roster: bool,
    /// Answer 503 + Retry-After to this many requests first.
    pub busy: u32,
    /// Stored, then slow to answer: lets a test kill the relay mid-upload.
    pub reply_delay: Duration,
    /// Issue 25: the templates handed out (`None`: 404, as an older server), the reports
    /// received, the fingers uploaded (accepted ones), and how many uploads to fail (500) first.
    pub templates: Option<RelayTemplates>,
    pub template_reports: Vec<TemplateReport>,
    pub uploads: Vec<UploadedTemplate>,
    pub upload_failures: u32,
    /// How many template list requests to fail (500) first.
    pub template_list_failures: u32,
}

pub type SharedFakeState = Arc<Mutex<FakeState>>;

pub fn lock(state: &SharedFakeState) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct FakeServer {
    addr: SocketAddr,
    state: SharedFakeState,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeServer {
    /// Starts on 127.0.0.1 (ephemeral port) with a fresh state.
    pub fn start(token: &str) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(FakeState { token: token.into(), ..FakeState::default() }));
        let mut s = Self { addr: ([127, 0, 0, 1], 0).into(), state, runtime: None };
        s.restart()?;
        Ok(s)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> SharedFakeState {
        self.state.clone()
    }

    /// Stops the server: the port refuses connections, open ones are dropped.
    pub fn stop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }

    /// (Re)starts on the same address.
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.stop();
        let listener = std::net::TcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        self.addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        let app = router(self.state.clone());
        rt.spawn(async move {
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                let _ = axum::serve(listener, app).await;
            }
        });
        self.runtime = Some(rt);
        Ok(())
    }

    /// Distinct punches stored.
    pub fn stored(&self) -> usize {
        lock(&self.state).punches.len()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn router(state: SharedFakeState) -> Router {
    Router::new()
        .route("/api/v1/relay/punches", post(punches))
        .route("/api/v1/relay/roster", get(roster))
        .route("/api/v1/relay/templates", get(templates).post(template_report))
        .route("/api/v1/relay/templates/upload", post(template_upload))
        .with_state(state)
}

fn authorized(state: &SharedFakeState, headers: &HeaderMap) -> bool {
    let want = format!("Bearer {}", lock(state).token);
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(want.as_str())
}

async fn punches(State(state): State<SharedFakeState>, headers: HeaderMap, Json(batch): Json<PunchBatch>) -> Response {
    if !authorized(&state, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let (reply, delay) = {
        let mut s = lock(&state);
        if s.busy > 0 {
            s.busy -= 1;
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")]).into_response();
        }
        s.posts += 1;
        let mut reply = PunchReply::default();
        for p in batch.punches {
            s.received += 1;
            let key = (p.sn.clone(), p.pin.clone(), p.time.clone());
            match s.punches.entry(key) {
                std::collections::btree_map::Entry::Occupied(_) => {
                    reply.duplicates += 1;
                    s.duplicates += 1;
                }
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(p);
                    reply.accepted += 1;
                }
            }
        }
        for t in batch.terminals {
            s.terminals.insert(t.sn.clone(), t);
        }
        reply.sync_roster = std::mem::take(&mut s.sync_roster);
        (reply, s.reply_delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Json(reply).into_response()
}

async fn roster(State(state): State<SharedFakeState>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    s.roster_gets += 1;
    Json(s.roster.clone()).into_response()
}

async fn templates(State(state): State<SharedFakeState>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    if s.template_list_failures > 0 {
        s.template_list_failures -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match s.templates.clone() {
        Some(t) => Json(t).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Records the report; what was written or removed is no longer handed out (as the server).
async fn template_report(
    State(state): State<SharedFakeState>,
    headers: HeaderMap,
    Json(report): Json<TemplateReport>,
) -> Response {
    if !authorized(&state, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    if let Some(t) = s.templates.as_mut() {
        for w in &report.written {
            for item in t.templates.iter_mut().filter(|i| i.id == w.id) {
                item.terminals.retain(|sn| *sn != w.sn);
            }
        }
        t.templates.retain(|i| !i.terminals.is_empty());
        for r in &report.removed {
            for item in t.removed.iter_mut().filter(|i| i.pin == r.pin) {
                item.terminals.retain(|sn| *sn != r.sn);
            }
        }
        t.removed.retain(|i| !i.terminals.is_empty());
    }
    s.template_reports.push(report);
    Json(serde_json::json!({"recorded": 0})).into_response()
}

async fn template_upload(
    State(state): State<SharedFakeState>,
    headers: HeaderMap,
    Json(up): Json<TemplateUpload>,
) -> Response {
    if !authorized(&state, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    if s.upload_failures > 0 {
        s.upload_failures -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let stored = up.templates.len();
    s.uploads.extend(up.templates);
    Json(TemplateUploadReply { stored, unchanged: 0, dropped: 0 }).into_response()
}
