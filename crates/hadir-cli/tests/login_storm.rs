//! Issue 17: a storm of parallel logins against the real `hadir serve` process. Password hashing
//! is bounded (one argon2 at a time per core, a short queue, 503 beyond it), so the server's
//! memory stays small and check-ins are still answered. The server's peak resident memory is read
//! from /proc (no timing asserts).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod common;

use common::BIN;

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9];

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &std::path::Path) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
        // Behind a (pretend) proxy, so the storm can come from many addresses.
        .env("HADIR_SERVER__TRUST_FORWARDED_FOR", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("server prints its address").to_string();
    (Server(child), base)
}

/// Peak resident memory of a process, in MB, from /proc.
fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

async fn post(c: &Client, base: &str, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut r = c.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_storm_keeps_the_server_small_and_check_ins_answered() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");
    let (server, base) = start(dir.path());
    let pid = server.0.id();
    let c = Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(0).build().unwrap();
    let (_, login) =
        post(&c, &base, "/api/v1/auth/login", None, json!({"username": "admin", "password": "rahasia-admin"})).await;
    let admin = login["token"].as_str().unwrap().to_string();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15, "radius_m": 100}]});
    assert_eq!(post(&c, &base, "/api/v1/units", Some(&admin), unit).await.0, 201);
    let nip = "198609262015051001";
    let e = json!({"nip": nip, "name": "Guru", "category": "PNS", "unit_code": "SD1", "password": "sandi123"});
    assert_eq!(post(&c, &base, "/api/v1/employees", Some(&admin), e).await.0, 201);
    let (st, l) = post(&c, &base, "/api/v1/auth/login", None, json!({"username": nip, "password": "sandi123"})).await;
    assert_eq!(st, 200, "{l}");
    let token = l["token"].as_str().unwrap().to_string();
    let before = peak_rss_mb(pid);

    // 250 parallel logins from 250 addresses, each costing a full argon2 hash.
    let storm: Vec<_> = (0..250)
        .map(|i| {
            let (c, base) = (c.clone(), base.clone());
            tokio::spawn(async move {
                c.post(format!("{base}/api/v1/auth/login"))
                    .header("x-forwarded-for", format!("10.{}.{}.1", i / 200, i % 200))
                    .json(&json!({"username": format!("1990010120200110{:02}", i % 100), "password": "bukan"}))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let meta = json!({"idempotency_key": "during-storm", "lat": -0.5, "lon": 117.15, "accuracy_m": 5.0});
    let form = reqwest::multipart::Form::new()
        .text("meta", meta.to_string())
        .part("photo", reqwest::multipart::Part::bytes(JPEG.to_vec()).mime_str("image/jpeg").unwrap());
    let r = c.post(format!("{base}/api/v1/checkins")).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "a check-in is answered during the storm");
    let mut statuses = Vec::new();
    for t in storm {
        statuses.push(t.await.unwrap().unwrap());
    }
    assert!(
        statuses.iter().all(|s| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::SERVICE_UNAVAILABLE), "a full hashing queue answers 503 at once");
    let peak = peak_rss_mb(pid);
    eprintln!("server peak RSS: {before} MB before the storm, {peak} MB after");
    assert!(peak < 300, "the server's peak RSS stays under 300 MB: {peak} MB");
}
