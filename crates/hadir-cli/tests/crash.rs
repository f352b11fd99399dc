//! Issue 4's crash test: many clients check in, the server is killed with SIGKILL mid-stream,
//! restarted on the same data, and every acknowledged check-in is there exactly once; resending
//! the unacknowledged ones with the same keys creates no duplicates. Also `verify-chain`
//! before and after a hand edit of the SQLite file.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::{BIN, photo};

fn start(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("server prints its address").to_string();
    (child, base)
}

async fn post(c: &Client, base: &str, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut r = c.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn checkin(c: &Client, base: &str, token: &str, key: &str) -> Result<(StatusCode, Value), reqwest::Error> {
    let meta = json!({"idempotency_key": key, "lat": -0.5, "lon": 117.15, "accuracy_m": 5.0});
    let form = reqwest::multipart::Form::new()
        .text("meta", meta.to_string())
        .part("photo", reqwest::multipart::Part::bytes(photo(key)).mime_str("image/jpeg").unwrap());
    let r = c.post(format!("{base}/api/v1/checkins")).bearer_auth(token).multipart(form).send().await?;
    let st = r.status();
    Ok((st, r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");

    let (mut server, base) = start(dir.path());
    let c = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let (_, login) =
        post(&c, &base, "/api/v1/auth/login", None, json!({"username": "admin", "password": "rahasia-admin"})).await;
    let admin_tok = login["token"].as_str().unwrap().to_string();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15, "radius_m": 100}]});
    assert_eq!(post(&c, &base, "/api/v1/units", Some(&admin_tok), unit).await.0, 201);
    const PEOPLE: usize = 16;
    const PER_PERSON: usize = 60;
    let mut tokens = Vec::new();
    for i in 0..PEOPLE {
        let nip = format!("19860926201505{}{:03}", 1 + i % 2, i + 1);
        let e = json!({"nip": nip, "name": format!("Guru {i}"), "category": "PNS", "unit_code": "SD1", "password": "sandi123"});
        assert_eq!(post(&c, &base, "/api/v1/employees", Some(&admin_tok), e).await.0, 201);
        let (_, l) =
            post(&c, &base, "/api/v1/auth/login", None, json!({"username": nip, "password": "sandi123"})).await;
        tokens.push(l["token"].as_str().unwrap().to_string());
    }

    // Acknowledged keys with the punch id the server answered.
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let mut tasks = Vec::new();
    for (i, tok) in tokens.iter().enumerate() {
        let (c, base, tok, acked) = (c.clone(), base.clone(), tok.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..PER_PERSON {
                let key = format!("p{i}-k{n}");
                match checkin(&c, &base, &tok, &key).await {
                    Ok((st, b)) if st.is_success() => {
                        acked.lock().unwrap().insert(format!("{i}/{key}"), b["punch"]["id"].as_i64().unwrap());
                    }
                    Ok(_) => {}
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill once a fair share has been acknowledged, while requests are in flight.
    for _ in 0..400 {
        if acked.lock().unwrap().len() >= PEOPLE * PER_PERSON / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty() && acked.len() < PEOPLE * PER_PERSON, "killed mid-stream ({} acked)", acked.len());

    let (mut server, base) = start(dir.path());
    // Every acknowledged check-in is stored, exactly once: resending its key answers 200 with
    // the same punch id.
    for (id_key, punch_id) in &acked {
        let (i, key) = id_key.split_once('/').unwrap();
        let (st, b) = checkin(&c, &base, &tokens[i.parse::<usize>().unwrap()], key).await.unwrap();
        assert_eq!(st, StatusCode::OK, "{key} was acknowledged before the crash: {b}");
        assert_eq!(b["punch"]["id"].as_i64(), Some(*punch_id));
    }
    // Resending everything (acknowledged or not) adds exactly the missing ones.
    for (i, tok) in tokens.iter().enumerate() {
        for n in 0..PER_PERSON {
            let (st, _) = checkin(&c, &base, tok, &format!("p{i}-k{n}")).await.unwrap();
            assert!(st.is_success());
        }
        let r = c.get(format!("{base}/api/v1/punches")).bearer_auth(tok).send().await.unwrap();
        let list: Value = r.json().await.unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), PER_PERSON, "one punch per key for person {i}");
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // The chain is intact; a hand edit of one punch in the SQLite file is named by verify-chain.
    let verify = || Command::new(BIN).args(["--data", dir.path().to_str().unwrap(), "verify-chain"]).output().unwrap();
    let ok = verify();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let db = dir.path().join("hadir.db");
    let edit = Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE punches SET punched_at = punched_at - 3600000 WHERE id = 7'); c.commit()", db.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(edit.success());
    let broken = verify();
    assert!(!broken.status.success());
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(out.contains("punch id 7"), "{out}");
}
