//! Issue 6 end to end: an emulated terminal on loopback, the real relay, the real server. The
//! server is stopped while punches keep arriving at the terminal and restarted; the relay is
//! aborted and restarted on the same buffer. Every punch reaches the server exactly once, with
//! its original terminal time.

use hadir_relay::RelayHandle;
use hadir_relay::emulator::{Emulator, EmulatorConfig};
use jiff::civil::date;
use reqwest::Client;
use serde_json::{Value, json};
use std::process::Child;
use std::time::{Duration, Instant};

mod common;

const NIP: &str = "198609262015051001";

fn start_server(data: &std::path::Path, addr: &str) -> Child {
    common::start_server(data, addr, None)
}

async fn punch_times(c: &Client, base: &str, token: &str) -> Vec<String> {
    let Ok(r) = c
        .get(format!("{base}/api/v1/punches?employee={NIP}&from=2026-11-01&to=2026-11-30"))
        .bearer_auth(token)
        .send()
        .await
    else {
        return vec![];
    };
    let v: Value = r.json().await.unwrap_or(Value::Null);
    v["items"]
        .as_array()
        .map(|a| a.iter().map(|p| p["punched_at"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

async fn wait_for(c: &Client, base: &str, token: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = punch_times(c, base, token).await;
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn relay(server: &str, token: &str, buffer: &std::path::Path, terminal: std::net::SocketAddr) -> RelayHandle {
    common::start_relay(server, token, buffer, terminal, 0).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_outage_and_restart_deliver_every_punch_once_with_its_time() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");

    // A fixed port, so the relay finds the server again after the restart.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let base = format!("http://{addr}");
    let mut server = start_server(dir.path(), &addr);
    let c = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "rahasia-admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["token"].as_str().unwrap().to_string();
    let post = |path: &str, body: Value| c.post(format!("{base}{path}")).bearer_auth(&admin).json(&body).send();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15}]});
    assert_eq!(post("/api/v1/units", unit).await.unwrap().status(), 201);
    let emp = json!({"nip": NIP, "name": "Guru", "category": "PNS", "unit_code": "SD1", "password": "sandi123", "device_pin": "7"});
    assert_eq!(post("/api/v1/employees", emp).await.unwrap().status(), 201);
    let r: Value =
        post("/api/v1/relays", json!({"name": "Pijo SD1", "unit_code": "SD1"})).await.unwrap().json().await.unwrap();
    let relay_token = r["token"].as_str().unwrap().to_string();
    // Issue 16: a relay only makes punches of terminals an admin registered count (a new serial
    // it reports waits, pending, with its punches in quarantine).
    let dev = json!({"sn": "E2E0001", "unit_code": "SD1"});
    assert_eq!(post("/api/v1/devices", dev).await.unwrap().status(), 201);

    let emu = Emulator::start(EmulatorConfig {
        serial: "E2E0001".into(),
        timezone: jiff::tz::TimeZone::get("Asia/Makassar").unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    emu.add_punch("7", date(2026, 11, 2).at(7, 10, 0, 0), 0, 1);
    emu.add_punch("7", date(2026, 11, 2).at(16, 5, 0, 0), 1, 1);
    let buffer = dir.path().join("relay.db");
    let r1 = relay(&base, &relay_token, &buffer, emu.tcp_addr()).await;
    let got = wait_for(&c, &base, &admin, 2).await;
    assert_eq!(
        got,
        ["2026-11-02T07:10:00+08:00", "2026-11-02T16:05:00+08:00"],
        "terminal wall clock in the unit's zone"
    );

    // Outage: the server goes away; the terminal keeps taking punches.
    server.kill().unwrap();
    server.wait().unwrap();
    emu.add_punch("7", date(2026, 11, 3).at(7, 5, 0, 0), 0, 1);
    emu.add_punch("7", date(2026, 11, 3).at(16, 10, 0, 0), 1, 1);
    let deadline = Instant::now() + Duration::from_secs(15);
    while r1.buffer().unsent_count("E2E0001").await.unwrap_or(0) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut server = start_server(dir.path(), &addr);
    let got = wait_for(&c, &base, &admin, 4).await;
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(&got[2..], ["2026-11-03T07:05:00+08:00", "2026-11-03T16:10:00+08:00"]);

    // The relay dies abruptly and starts again on the same buffer: nothing lost, nothing doubled.
    r1.abort();
    emu.add_punch("7", date(2026, 11, 4).at(7, 20, 0, 0), 0, 1);
    let r2 = relay(&base, &relay_token, &buffer, emu.tcp_addr()).await;
    let got = wait_for(&c, &base, &admin, 5).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a few more pull cycles
    let got_later = punch_times(&c, &base, &admin).await;
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got_later, got, "re-reads after the restart add nothing");
    assert_eq!(got[4], "2026-11-04T07:20:00+08:00");

    // The terminal is listed with the relay it came through.
    let devices: Value =
        c.get(format!("{base}/api/v1/devices")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let text = devices.to_string();
    assert!(text.contains("E2E0001") && text.contains("Pijo SD1"), "{text}");
    r2.shutdown().await;
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Benchmark, not a test (ignored): a backlog of 100,000 records on one emulated terminal through
/// the real relay into the real server. `cargo test --release -p hadir-cli --test relay_e2e -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_relay_backlog_to_real_server() {
    let n: u32 = std::env::var("HADIR_BACKLOG").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let base = format!("http://{addr}");
    let mut server = start_server(dir.path(), &addr);
    let c = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "rahasia-admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["token"].as_str().unwrap().to_string();
    let post = |path: &str, body: Value| c.post(format!("{base}{path}")).bearer_auth(&admin).json(&body).send();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15}]});
    assert_eq!(post("/api/v1/units", unit).await.unwrap().status(), 201);
    let r: Value =
        post("/api/v1/relays", json!({"name": "Pijo", "unit_code": "SD1"})).await.unwrap().json().await.unwrap();
    let relay_token = r["token"].as_str().unwrap().to_string();
    assert_eq!(post("/api/v1/devices", json!({"sn": "BENCH2", "unit_code": "SD1"})).await.unwrap().status(), 201);
    let emu = Emulator::start(EmulatorConfig { serial: "BENCH2".into(), ..Default::default() }).await.unwrap();
    let t0 = date(2024, 1, 2).at(6, 0, 0, 0);
    emu.add_punches(
        (0..n).map(|i| ((1 + i % 5000).to_string(), t0 + jiff::SignedDuration::from_secs(i as i64 * 37), 0u8, 1u8)),
    );
    let started = Instant::now();
    let r = relay(&base, &relay_token, &dir.path().join("relay.db"), emu.tcp_addr()).await;
    // The PINs are unknown to the server: it keeps them as unmatched punches, which costs the same.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut stored = 0;
    while Instant::now() < deadline {
        // `sent` counts records the server acknowledged (after its commit).
        let sent: u64 = r.buffer().counts().await.unwrap().values().map(|c| c.sent).sum();
        if sent >= n as u64 {
            stored = sent;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "relay backlog to the real server: {stored} records acknowledged in {secs:.1} s ({:.0}/s)",
        stored as f64 / secs
    );
    assert_eq!(stored, n as u64);
    r.shutdown().await;
    server.kill().unwrap();
    server.wait().unwrap();
}
