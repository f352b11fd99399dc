//! Scale-out: two `hadir serve` processes on one PostgreSQL database and one S3 bucket (moto on
//! loopback). Check-ins go alternately to both, the same idempotency key to both at once; a
//! terminal polls both; both start their background work together. Shows one punch per key,
//! photos readable through either instance, each terminal command handed out once, policies
//! seeded once and the day-close sweep run once per slot.
//! Needs `HADIR_TEST_PG_URL` and `moto_server` (skipped without them unless `HADIR_REQUIRE_PG` /
//! `HADIR_REQUIRE_S3` are set, as in CI).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::BIN;

const PW: &str = "sandi-pegawai";
const LAT: f64 = -0.5;
const LON: f64 = 117.15;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn moto() -> Option<(Proc, String)> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => Proc(c),
        Err(e) => {
            assert!(std::env::var_os("HADIR_REQUIRE_S3").is_none(), "moto_server required: {e}");
            eprintln!("skipped: moto_server not installed");
            return None;
        }
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = Client::new().put(format!("{endpoint}/hadir-bersama")).send().await
            && r.status().is_success()
        {
            return Some((child, endpoint));
        }
        assert!(Instant::now() < deadline, "moto did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hadir(data: &Path, db: &str, s3: &str) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data")
        .arg(data)
        .env("HADIR_DATABASE_URL", db)
        .env("HADIR_BLOB_URL", "s3://hadir-bersama/kab-contoh")
        .env("HADIR_S3__ENDPOINT", s3)
        .env("HADIR_S3__REGION", "us-east-1")
        .env("HADIR_S3__ACCESS_KEY_ID", "test")
        .env("HADIR_S3__SECRET_ACCESS_KEY", "test")
        .env("HADIR_S3__ALLOW_HTTP", "true");
    c
}

/// Starts `hadir serve`; its log (debug for the server crate) goes to `log`.
fn serve(data: &Path, db: &str, s3: &str, log: &Path) -> (Proc, String) {
    let mut child = hadir(data, db, s3)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "hadir_server=debug,warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("server prints its address").to_string();
    (Proc(child), base)
}

async fn call(c: &Client, method: reqwest::Method, url: String, token: &str, body: Value) -> (StatusCode, Value) {
    let r = c.request(method, url).bearer_auth(token).json(&body).send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn login(c: &Client, base: &str, user: &str, pw: &str) -> String {
    let (st, b) = call(
        c,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/login"),
        "",
        json!({"username": user, "password": pw}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["token"].as_str().unwrap().to_string()
}

fn photo(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([x as u8 ^ seed, y as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn checkin(c: &Client, base: &str, token: &str, key: &str, seed: u8) -> (StatusCode, String) {
    let meta = json!({"idempotency_key": key, "lat": LAT, "lon": LON, "accuracy_m": 8.0});
    let form = reqwest::multipart::Form::new().text("meta", meta.to_string()).part(
        "photo",
        reqwest::multipart::Part::bytes(photo(seed)).file_name("selfie.jpg").mime_str("image/jpeg").unwrap(),
    );
    let r = c.post(format!("{base}/api/v1/checkins")).bearer_auth(token).multipart(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn nip(i: u16) -> String {
    format!("19860926201505{}{:03}", if i.is_multiple_of(2) { 1 } else { 2 }, i)
}

#[tokio::test]
async fn two_servers_one_database_one_bucket() {
    let Some(db) = hadir_store_postgres::testing::fresh_test_database().await else { return };
    let Some((_moto, s3)) = moto().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&da).unwrap();
    std::fs::create_dir_all(&dbb).unwrap();
    let mut admin = hadir(&da, &db, &s3)
        .args(["admin", "create", "--username", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut admin.stdin.take().unwrap(), b"rahasia-admin\n").unwrap();
    assert!(admin.wait().unwrap().success());

    // Both instances start together: both try to seed the policies and to sweep.
    let (log_a, log_b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let (_a, a) = serve(&da, &db, &s3, &log_a);
    let (_b, b) = serve(&dbb, &db, &s3, &log_b);
    let c = Client::new();
    let tok_a = login(&c, &a, "admin", "rahasia-admin").await;
    let tok_b = login(&c, &b, "admin", "rahasia-admin").await;

    let unit = json!({"code": "SD1", "name": "SD Negeri 1", "timezone": "Asia/Makassar",
                      "locations": [{"name": "Halaman sekolah", "lat": LAT, "lon": LON, "radius_m": 150.0}]});
    assert_eq!(call(&c, reqwest::Method::POST, format!("{a}/api/v1/units"), &tok_a, unit).await.0, StatusCode::CREATED);
    let n = 12u16;
    let mut tokens = Vec::new();
    for i in 1..=n {
        // Alternate instances for writes, too.
        let (base, tok) = if i % 2 == 0 { (&a, &tok_a) } else { (&b, &tok_b) };
        let e =
            json!({"nip": nip(i), "name": format!("Guru {i}"), "category": "PNS", "unit_code": "SD1", "password": PW});
        let (st, body) = call(&c, reqwest::Method::POST, format!("{base}/api/v1/employees"), tok, e).await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        tokens.push(login(&c, if i % 2 == 0 { &b } else { &a }, &nip(i), PW).await);
    }

    // Check-ins alternately to A and B; then every key again, to both at once.
    for (i, t) in tokens.iter().enumerate() {
        let base = if i % 2 == 0 { &a } else { &b };
        let (st, body) = checkin(&c, base, t, &format!("pagi-{i}"), i as u8).await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
    }
    for (i, t) in tokens.iter().enumerate() {
        let key = format!("siang-{i}");
        let (ra, rb) = tokio::join!(checkin(&c, &a, t, &key, 100 + i as u8), checkin(&c, &b, t, &key, 100 + i as u8));
        let mut codes = [ra.0, rb.0];
        codes.sort();
        assert_eq!(codes, [StatusCode::OK, StatusCode::CREATED], "one stores, the other answers the stored one");
        assert_eq!(ra.1, rb.1, "the same answer from both instances");
        // A retry of the morning key through the other instance: the first answer again.
        let (st, _) = checkin(&c, if i % 2 == 0 { &b } else { &a }, t, &format!("pagi-{i}"), i as u8).await;
        assert_eq!(st, StatusCode::OK);
    }
    for i in 1..=n {
        let (st, body) =
            call(&c, reqwest::Method::GET, format!("{b}/api/v1/punches?employee={}", nip(i)), &tok_b, Value::Null)
                .await;
        assert_eq!(st, StatusCode::OK);
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "one punch per key for {}: {body}", nip(i));
        // The photo stored by whichever instance took the check-in is served by the other.
        for p in items {
            let id = p["id"].as_i64().unwrap();
            for (base, tok) in [(&a, &tok_a), (&b, &tok_b)] {
                let r = c.get(format!("{base}/api/v1/punches/{id}/photo")).bearer_auth(tok).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                assert_eq!(&r.bytes().await.unwrap()[..3], &[0xFF, 0xD8, 0xFF]);
            }
        }
    }
    let out = hadir(&da, &db, &s3).arg("verify-chain").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A terminal that polls both instances gets each queued command exactly once.
    let sn = "CQZ7231560021";
    let dev = json!({"sn": sn, "unit_code": "SD1"});
    assert_eq!(
        call(&c, reqwest::Method::POST, format!("{a}/api/v1/devices"), &tok_a, dev).await.0,
        StatusCode::CREATED
    );
    let mut queued = BTreeSet::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { &a } else { &b };
        let (st, body) = call(
            &c,
            reqwest::Method::POST,
            format!("{base}/api/v1/devices/{sn}/commands"),
            &tok_a,
            json!({"command": "check"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        for item in body["items"].as_array().unwrap() {
            queued.insert(item["id"].as_i64().unwrap());
        }
    }
    let mut handed = Vec::new();
    for _ in 0..40 {
        let poll = |base: String| {
            let c = c.clone();
            async move { c.get(format!("{base}/iclock/getrequest?SN={sn}")).send().await.unwrap().text().await.unwrap() }
        };
        let (x, y) = tokio::join!(poll(a.clone()), poll(b.clone()));
        for body in [x, y] {
            for line in body.lines().filter(|l| l.starts_with("C:")) {
                handed.push(line.split(':').nth(1).unwrap().parse::<i64>().unwrap());
            }
        }
        if queued.iter().all(|id| handed.contains(id)) {
            break;
        }
    }
    let unique: BTreeSet<i64> = handed.iter().copied().collect();
    assert_eq!(unique.len(), handed.len(), "a command was handed out twice: {handed:?}");
    assert!(queued.is_subset(&unique), "every queued command reached the terminal");

    // Policies were seeded once although both instances started on an empty database.
    let (_, cals) = call(&c, reqwest::Method::GET, format!("{b}/api/v1/calendars"), &tok_b, Value::Null).await;
    assert_eq!(cals.as_array().unwrap().iter().filter(|c| c["is_default"] == true).count(), 1, "{cals}");
    // The day-close sweep of the start slot ran on one instance; the other saw it taken.
    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    let runs: Vec<(String, String, String, Option<i64>)> =
        sqlx::query_as("SELECT job, period, holder, done_at FROM job_runs ORDER BY job, period")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!runs.is_empty(), "the sweep claimed its slot");
    assert!(runs.iter().all(|r| r.3.is_some()), "every claimed run finished: {runs:?}");
    let mut logs = String::new();
    for l in [&log_a, &log_b] {
        std::fs::File::open(l).unwrap().read_to_string(&mut logs).unwrap();
    }
    let skipped = logs.matches("done by another instance").count();
    let slots: BTreeSet<&String> = runs.iter().filter(|r| r.0 == "day_close_sweep").map(|r| &r.1).collect();
    // Two starts in one 10-minute slot: one sweeps, one skips. (Straddling a slot boundary, each
    // sweeps its own slot, once.)
    assert_eq!(skipped + slots.len(), 2, "slots {slots:?}, skips {skipped}");
}
