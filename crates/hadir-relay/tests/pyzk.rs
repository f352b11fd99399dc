//! The emulator must answer a third-party client (PyPI `pyzk`) correctly, so
//! it is not only shaped by our own relay. Skipped (with a message) when
//! python3 or pyzk is missing; set HADIR_REQUIRE_PYZK=1 to make that a failure.

use hadir_relay::emulator::{Emulator, EmulatorConfig};
use hadir_zk::binary::{UserLayout, UserRecord};
use jiff::civil::date;
use serde_json::Value;

fn pyzk_available() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import zk"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("HADIR_REQUIRE_PYZK").is_some() {
        panic!("pyzk required (pip install pyzk)");
    }
    ok
}

async fn run_pyzk(port: u16, protocol: &str, key: u32) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyzk_crosscheck.py");
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(protocol)
            .arg(key.to_string())
            .output(),
    )
    .await
    .expect("pyzk finished in time")
    .expect("python3 runs");
    assert!(out.status.success(), "pyzk failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json from the script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyzk_reads_serial_users_and_attendance() {
    if !pyzk_available() {
        eprintln!("python3 with pyzk not found: skipping the pyzk cross-check");
        return;
    }
    // pyzk understands 8/16/40-byte records; it needs ZK8 users over TCP and
    // ZK6 (28-byte) users are what its UDP path assumes for older firmware.
    let cases = [
        ("tcp", 0u32, 40u32, UserLayout::Zk8),
        ("tcp", 4321, 16, UserLayout::Zk8),
        ("udp", 0, 8, UserLayout::Zk6),
        ("udp", 55, 40, UserLayout::Zk8),
    ];
    for (protocol, key, record_size, user_layout) in cases {
        let ctx = format!("{protocol} key={key} size={record_size}");
        let emu = Emulator::start(EmulatorConfig { comm_key: key, record_size, user_layout, ..Default::default() })
            .await
            .unwrap();
        emu.add_user(UserRecord { uid: 1, user_id: "101".into(), name: "Ani".into(), ..Default::default() });
        emu.add_user(UserRecord {
            uid: 2,
            user_id: "102".into(),
            name: "Budi".into(),
            privilege: 14,
            ..Default::default()
        });
        // 3,000 records: several chunks (TCP 0xFFC0 bytes, UDP 16 KiB) for pyzk to assemble.
        let n = 3000u32;
        let t0 = date(2024, 5, 6).at(7, 0, 0, 0);
        emu.add_punches((0..n).map(|i| {
            let pin = if i % 2 == 0 { "101" } else { "102" };
            (pin.to_owned(), t0.saturating_add(jiff::SignedDuration::from_secs(i64::from(i) * 37)), (i % 2) as u8, 1)
        }));
        let port = if protocol == "tcp" { emu.tcp_addr().port() } else { emu.udp_addr().port() };
        let v = run_pyzk(port, protocol, key).await;

        assert_eq!(v["serial"], "EMU0000000001", "{ctx}");
        assert_eq!(v["firmware"], "Ver 6.60 Apr 28 2017", "{ctx}");
        assert_eq!(v["sizes"]["records"], n, "{ctx}");
        let users = v["users"].as_array().unwrap();
        assert_eq!(users.len(), 2, "{ctx}");
        assert_eq!((users[1]["user_id"].as_str(), users[1]["name"].as_str()), (Some("102"), Some("Budi")), "{ctx}");
        assert_eq!(users[1]["privilege"], 14);
        let att = v["attendance"].as_array().unwrap();
        assert_eq!(att.len(), n as usize, "{ctx}");
        for (i, a) in att.iter().enumerate() {
            let want_time = t0.saturating_add(jiff::SignedDuration::from_secs(i as i64 * 37));
            assert_eq!(a["time"].as_str().unwrap(), want_time.strftime("%Y-%m-%dT%H:%M:%S").to_string(), "{ctx} #{i}");
            assert_eq!(a["user_id"], if i % 2 == 0 { "101" } else { "102" }, "{ctx} #{i}");
            assert_eq!(a["punch"], i % 2, "{ctx} #{i}");
        }
        let device_now = emu.now();
        let theirs = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", v["time"].as_str().unwrap()).unwrap();
        assert!(device_now.duration_since(theirs).as_secs().abs() < 30, "{ctx}");
        assert_eq!(v["after_set"], serde_json::json!(["101", "102", "9090"]), "{ctx}");
        assert_eq!(v["after_delete"], serde_json::json!(["101", "102"]), "{ctx}");
        assert!(emu.stats().exits >= 1, "{ctx}: pyzk disconnected with CMD_EXIT");
    }
}
