//! `hadir blobs export-files` on the real binary: photos checked in through a running server
//! (kept in segments, the default layout) are written as one file per photo where the `files`
//! layout keeps them, while that server runs; a second run writes nothing; `--to` writes
//! elsewhere; a store in S3 is refused.

use reqwest::Client;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::{BIN, photo};

async fn post(c: &Client, base: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = c.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

/// Every file under `dir` as (path relative to `dir`, bytes).
fn files_under(dir: &Path) -> BTreeSet<(String, Vec<u8>)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn export(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["--data", data.to_str().unwrap(), "blobs", "export-files"]).args(extra).env("HADIR_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_files_writes_each_live_photo_once_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::create_admin(&data, "rahasia-admin");
    let (mut server, base) = common::start_server_at(&data, "127.0.0.1:0", None);
    let c = Client::new();
    let (_, login) =
        post(&c, &base, "/api/v1/auth/login", None, json!({"username": "admin", "password": "rahasia-admin"})).await;
    let admin = login["token"].as_str().unwrap().to_string();
    let unit = json!({"code": "SD1", "name": "SD 1", "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15, "radius_m": 100}]});
    assert_eq!(post(&c, &base, "/api/v1/units", Some(&admin), unit).await.0, 201);
    let mut sent = BTreeSet::new();
    for i in 0..3 {
        let nip = format!("198609262015051{:03}", i + 1);
        let e = json!({"nip": nip, "name": format!("Guru {i}"), "category": "PNS", "unit_code": "SD1", "password": "sandi123"});
        assert_eq!(post(&c, &base, "/api/v1/employees", Some(&admin), e).await.0, 201);
        let (_, l) =
            post(&c, &base, "/api/v1/auth/login", None, json!({"username": nip, "password": "sandi123"})).await;
        let key = format!("k{i}");
        let meta = json!({"idempotency_key": key, "lat": -0.5, "lon": 117.15, "accuracy_m": 5.0});
        let form = reqwest::multipart::Form::new()
            .text("meta", meta.to_string())
            .part("photo", reqwest::multipart::Part::bytes(photo(&key)).mime_str("image/jpeg").unwrap());
        let r = c
            .post(format!("{base}/api/v1/checkins"))
            .bearer_auth(l["token"].as_str().unwrap())
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        sent.insert(photo(&key));
    }
    let blobs = data.join("blobs");
    assert!(!blobs.join("photos").exists(), "the default layout keeps photos in segments");
    let segments_before = files_under(&blobs.join("segments"));
    assert!(!segments_before.is_empty());

    // While the server runs.
    let out = export(&data, &[], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("3 berkas baru") && stdout.contains("0 sudah ada"), "{stdout}");
    let exported = files_under(&blobs.join("photos"));
    assert_eq!(exported.iter().map(|(_, b)| b.clone()).collect::<BTreeSet<_>>(), sent);
    for (rel, bytes) in &exported {
        // photos/ab/cd/abcd…: the name is the SHA-256 of the bytes, as the files layout has it.
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 3, "{rel}");
        assert!(parts[2].starts_with(parts[0]) && parts[2][2..].starts_with(parts[1]), "{rel}");
        assert_eq!(parts[2].len(), 64, "{rel}");
        assert!(!bytes.is_empty());
    }
    assert_eq!(files_under(&blobs.join("segments")), segments_before, "segments only read");

    // Again: nothing new.
    let out = export(&data, &[], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("0 berkas baru") && stdout.contains("3 sudah ada"), "{stdout}");
    assert_eq!(files_under(&blobs.join("photos")), exported);

    server.kill().unwrap();
    server.wait().unwrap();

    // Elsewhere, with the server stopped.
    let other = dir.path().join("to-s3");
    let out = export(&data, &["--to", other.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(files_under(&other.join("photos")), exported);

    // Photos already in S3: refused, nothing written.
    let out =
        export(&data, &["--to", dir.path().join("none").to_str().unwrap()], &[("HADIR_BLOB_URL", "s3://bucket/x")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("S3"), "{stderr}");
    assert!(!dir.path().join("none").exists());
}
