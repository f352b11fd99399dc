//! The `hadir` binary on PostgreSQL: the backend is chosen by the database URL given as
//! `HADIR_DATABASE_URL`, as `--database-url`, or as `database_url` in the configuration file.
//! Runs when `HADIR_TEST_PG_URL` names a server (each run creates its own database); skipped
//! otherwise, unless `HADIR_REQUIRE_PG` is set.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

mod common;

use common::BIN;

#[tokio::test]
async fn binary_serves_and_verifies_on_postgres() {
    let Some(url) = hadir_store_postgres::testing::fresh_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    // 1. HADIR_DATABASE_URL.
    let mut admin = Command::new(BIN)
        .args(["--data", data, "admin", "create", "--username", "admin", "--password-stdin"])
        .env("HADIR_DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    admin.stdin.take().unwrap().write_all(b"rahasia-admin\n").unwrap();
    assert!(admin.wait().unwrap().success());

    // 2. --database-url: the server stores in PostgreSQL, nothing in the data directory's SQLite.
    let mut server = Command::new(BIN)
        .args(["--data", data, "--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
        .env_remove("HADIR_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("server prints its address").to_string();
    let c = reqwest::Client::new();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "rahasia-admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("admin created through HADIR_DATABASE_URL logs in").to_string();
    let unit = json!({"code": "KAB", "name": "Kabupaten", "timezone": "Asia/Makassar",
                      "locations": [{"name": "Kantor", "lat": -0.5, "lon": 117.1, "radius_m": 100.0}]});
    let r = c.post(format!("{base}/api/v1/units")).bearer_auth(&token).json(&unit).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!dir.path().join("hadir.db").exists(), "no SQLite file when a PostgreSQL URL is given");

    let pg = hadir_store_postgres::PgStore::connect(&url).await.unwrap();
    use hadir_store::OrgStore;
    assert_eq!(pg.unit_by_code("KAB").await.unwrap().name, "Kabupaten");

    // 3. database_url in the configuration file.
    let config = dir.path().join("hadir.toml");
    std::fs::write(&config, format!("database_url = \"{url}\"\n")).unwrap();
    let out = Command::new(BIN)
        .args(["--data", data, "--config", config.to_str().unwrap(), "verify-chain"])
        .env_remove("HADIR_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
