//! Shared by the tests that drive the real `hadir` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_hadir");

/// `hadir admin create --username admin --password-stdin` in `data`.
pub fn create_admin(data: &Path, password: &str) {
    let mut admin = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "admin", "create", "--username", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    admin.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    assert!(admin.wait().unwrap().success());
}
