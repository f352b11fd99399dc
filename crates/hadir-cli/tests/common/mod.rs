//! Shared by the tests that drive the real `hadir` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_hadir");

/// The smallest JPEG the server accepts as a photo.
pub const JPEG: &[u8] =
    &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9];

/// The tiny JPEG with a comment segment naming `key`: each check-in's own bytes (a stored
/// photo is refused under another key), the same bytes for a retry of the key.
pub fn photo(key: &str) -> Vec<u8> {
    let mut out = JPEG[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((key.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&JPEG[2..]);
    out
}

/// `hadir admin create --username admin --password-stdin` in `data`.
pub fn create_admin(data: &Path, password: &str) {
    create_admin_on(data, password, None);
}

/// [`create_admin`], in the PostgreSQL database `db_url` when given.
pub fn create_admin_on(data: &Path, password: &str, db_url: Option<&str>) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--data", data.to_str().unwrap(), "admin", "create", "--username", "admin", "--password-stdin"])
        .env_remove("HADIR_DATABASE_URL")
        .stdin(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = db_url {
        cmd.env("HADIR_DATABASE_URL", url);
    }
    let mut admin = cmd.spawn().unwrap();
    admin.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    assert!(admin.wait().unwrap().success());
}

/// `hadir serve --listen addr` on `data` (storing in `db_url` when given), returned once it
/// prints that it listens.
pub fn start_server(data: &Path, addr: &str, db_url: Option<&str>) -> Child {
    start_server_at(data, addr, db_url).0
}

/// [`start_server`], with the base URL it printed (`http://127.0.0.1:PORT` for port 0).
pub fn start_server_at(data: &Path, addr: &str, db_url: Option<&str>) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--data", data.to_str().unwrap(), "serve", "--listen", addr])
        .env("HADIR_LOG", "warn")
        .env_remove("HADIR_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = db_url {
        cmd.env("HADIR_DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_string();
    (child, base)
}

/// A real relay for one TCP terminal, pulling every second; the roster (and the templates)
/// fetched every `roster_interval_secs` (0: only on "Sinkron sekarang").
pub async fn start_relay(
    server: &str,
    token: &str,
    buffer: &Path,
    terminal: std::net::SocketAddr,
    roster_interval_secs: u64,
) -> hadir_relay::RelayHandle {
    let cfg = hadir_relay::RelayConfig::from_toml(&format!(
        "server = \"{server}\"\ntoken = \"{token}\"\ninterval_secs = 1\nbuffer = \"{}\"\nstatus_listen = \"127.0.0.1:0\"\n\
         retry_min_ms = 200\nretry_max_secs = 1\nroster_interval_secs = {roster_interval_secs}\n\
         [[terminals]]\naddress = \"{terminal}\"\nprotocol = \"tcp\"\n",
        buffer.display()
    ))
    .unwrap();
    hadir_relay::start(cfg).await.unwrap()
}
