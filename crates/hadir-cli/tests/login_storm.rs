//! Issue 17: storms against the real `hadir serve` process, each with the server's peak resident
//! memory read from /proc (no timing asserts) and a check-in answered in the middle of it.
//! - parallel logins: password hashing is bounded (one argon2 at a time per core, a short queue,
//!   503 beyond it);
//! - decompression: images whose header declares too many pixels are refused without decoding,
//!   and thumbnails of large (allowed) photos decode two at a time with a memory limit.

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

/// An admin, a school and one of its teachers (who can check in there): their tokens.
async fn admin_and_employee(c: &Client, base: &str) -> (String, String) {
    let (_, login) =
        post(c, base, "/api/v1/auth/login", None, json!({"username": "admin", "password": "rahasia-admin"})).await;
    let admin = login["token"].as_str().unwrap().to_string();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15, "radius_m": 100}]});
    assert_eq!(post(c, base, "/api/v1/units", Some(&admin), unit).await.0, 201);
    let nip = "198609262015051001";
    let e = json!({"nip": nip, "name": "Guru", "category": "PNS", "unit_code": "SD1", "password": "sandi123"});
    assert_eq!(post(c, base, "/api/v1/employees", Some(&admin), e).await.0, 201);
    let (st, l) = post(c, base, "/api/v1/auth/login", None, json!({"username": nip, "password": "sandi123"})).await;
    assert_eq!(st, 200, "{l}");
    let token = l["token"].as_str().unwrap().to_string();
    (admin, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_storm_keeps_the_server_small_and_check_ins_answered() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");
    let (server, base) = start(dir.path());
    let pid = server.0.id();
    let c = Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(0).build().unwrap();
    let (_, token) = admin_and_employee(&c, &base).await;
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

/// A PNG decompression bomb: `side`×`side` grey pixels, all zero, a few hundred KB on the wire
/// (the case: 11000×11000 in ~470 KB, ~120 MB of pixels once decoded).
fn png_bomb(side: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; side as usize + 1]; // filter byte + pixels
    for _ in 0..side {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A real JPEG of `side`×`side` pixels (allowed: under the pixel limit), distinct per `seed`.
fn large_jpeg(side: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| image::Rgb([(x / 64) as u8 ^ seed, (y / 64) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn checkin(c: &Client, base: &str, token: &str, key: &str, photo: Vec<u8>, mime: &str) -> (StatusCode, Value) {
    let meta = json!({"idempotency_key": key, "lat": -0.5, "lon": 117.15, "accuracy_m": 5.0});
    let form = reqwest::multipart::Form::new()
        .text("meta", meta.to_string())
        .part("photo", reqwest::multipart::Part::bytes(photo).mime_str(mime).unwrap());
    let r = c.post(format!("{base}/api/v1/checkins")).bearer_auth(token).multipart(form).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decompression_storm_keeps_the_server_small_and_check_ins_answered() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");
    let (server, base) = start(dir.path());
    let pid = server.0.id();
    let c = Client::builder().timeout(Duration::from_secs(120)).pool_max_idle_per_host(0).build().unwrap();
    let (admin, token) = admin_and_employee(&c, &base).await;

    // Twelve large but allowed photos (9 megapixels each, 27 MB once decoded: all twelve at once
    // would take the server past 300 MB) on twelve punches.
    let mut punches = Vec::new();
    for i in 0..12u8 {
        let (st, b) = checkin(&c, &base, &token, &format!("large-{i}"), large_jpeg(3000, i), "image/jpeg").await;
        assert!(st.is_success(), "{st} {b}");
        punches.push(b["punch"]["id"].as_i64().unwrap());
    }
    let bomb = png_bomb(11000);
    assert!(bomb.len() < 1024 * 1024, "the bomb is small on the wire: {} bytes", bomb.len());
    let before = peak_rss_mb(pid);

    // 40 parallel check-ins carrying the bomb, and 48 parallel thumbnail requests of the large
    // photos (four per photo), all at once.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (c, base, token, bomb) = (c.clone(), base.clone(), token.clone(), bomb.clone());
        tasks.push(tokio::spawn(
            async move { checkin(&c, &base, &token, &format!("bomb-{i}"), bomb, "image/png").await.0 },
        ));
    }
    for i in 0..48 {
        let (c, base, admin, id) = (c.clone(), base.clone(), admin.clone(), punches[i % punches.len()]);
        tasks.push(tokio::spawn(async move {
            let r =
                c.get(format!("{base}/api/v1/punches/{id}/photo?size=thumb")).bearer_auth(&admin).send().await.unwrap();
            let st = r.status();
            let body = r.bytes().await.unwrap();
            assert!(body.len() < 64 * 1024, "a thumbnail is small: {} bytes", body.len());
            st
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (st, b) = checkin(&c, &base, &token, "during-storm", large_jpeg(64, 9), "image/jpeg").await;
    assert!(st.is_success(), "a check-in is answered during the storm: {st} {b}");
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let (bombs, thumbs) = statuses.split_at(40);
    assert!(bombs.iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY), "every bomb is refused: {bombs:?}");
    assert!(thumbs.iter().all(|s| *s == StatusCode::OK), "every thumbnail is made: {thumbs:?}");
    let peak = peak_rss_mb(pid);
    eprintln!("server peak RSS: {before} MB before the storm, {peak} MB after");
    assert!(peak < 300, "the server's peak RSS stays under 300 MB: {peak} MB");
}
