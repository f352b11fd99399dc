//! The relay's own status page (plain HTML, Bahasa Indonesia): operators find
//! it by the relay's IP on the office LAN.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Json, Redirect};
use axum::routing::{get, post};
use jiff::Timestamp;

use crate::buffer::{Buffer, Counts};
use crate::state::{Shared, StatusSnapshot};

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
    buffer: Buffer,
}

pub(crate) fn router(shared: Arc<Shared>, buffer: Buffer) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/status.json", get(json))
        .route("/sinkron", post(sync_now))
        .with_state(Ctx { shared, buffer })
}

async fn json(State(ctx): State<Ctx>) -> Json<StatusSnapshot> {
    Json(ctx.shared.snapshot())
}

async fn sync_now(State(ctx): State<Ctx>) -> Redirect {
    ctx.shared.sync_now();
    Redirect::to("/?sinkron=1")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn when(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M:%S %Z").to_string())
        .unwrap_or_else(|| "–".into())
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "<span class=ok>Ya</span>",
        Some(false) => "<span class=bad>Tidak</span>",
        None => "belum dicoba",
    }
}

async fn page(State(ctx): State<Ctx>) -> impl IntoResponse {
    let snap = ctx.shared.snapshot();
    let counts = ctx.buffer.counts().await.unwrap_or_default();
    let mut rows = String::new();
    for t in &snap.terminals {
        let c = t.sn.as_ref().and_then(|sn| counts.get(sn)).copied().unwrap_or(Counts::default());
        let drift = t.clock_drift_secs.map(|d| format!("{d:+} detik")).unwrap_or_else(|| "–".into());
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.address),
            format!("{:?}", t.protocol).to_uppercase(),
            esc(t.sn.as_deref().unwrap_or("–")),
            yes_no(t.reachable),
            when(t.last_pull),
            c.buffered,
            c.sent,
            drift,
            opt(t.users),
            opt(t.records),
            esc(t.last_error.as_deref().unwrap_or("")),
        );
    }
    let s = &snap.server;
    let html = format!(
        r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Relay Hadir</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left}}
.ok{{color:#070}}.bad{{color:#b00;font-weight:bold}}button{{font-size:1.1em;padding:.4em 1em}}</style></head><body>
<h1>Relay presensi Hadir</h1>
<h2>Server</h2>
<p>Alamat: {url}<br>Terjangkau: {reach}<br>Kontak terakhir: {last}<br>Galat terakhir: {err}<br>
Diterima server: {acc} (ganda: {dup})</p>
<h2>Mesin presensi</h2>
<table><tr><th>Alamat</th><th>Protokol</th><th>Nomor seri</th><th>Terjangkau</th><th>Tarik terakhir</th>
<th>Tersimpan belum terkirim</th><th>Terkirim</th><th>Selisih jam</th><th>Pengguna</th><th>Rekaman</th><th>Galat terakhir</th></tr>
{rows}</table>
<form method="post" action="/sinkron"><p><button type="submit">Sinkron sekarang</button>
Tarik data semua mesin dan kirim daftar pegawai ke mesin sekarang.</p></form>
</body></html>"#,
        url = esc(&s.url),
        reach = yes_no(s.reachable),
        last = when(s.last_contact),
        err = esc(s.last_error.as_deref().unwrap_or("–")),
        acc = s.accepted,
        dup = s.duplicates,
    );
    Html(html)
}
