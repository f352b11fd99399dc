//! The whole relay against emulated terminals and a fake server on loopback:
//! outages, a relay killed mid-upload, a dead terminal, roster sync, the
//! status page, clearing the terminal log.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use hadir_relay::api::{Roster, RosterUser};
use hadir_relay::emulator::{Emulator, EmulatorConfig};
use hadir_relay::fake_server::{FakeServer, lock};
use hadir_relay::{Protocol, RelayConfig, TerminalConfig};
use hadir_zk::binary::UserRecord;
use jiff::civil::{DateTime, date};

const TOKEN: &str = "relay-token-1";

fn config(server: &str, buffer: &Path, terminals: Vec<TerminalConfig>) -> RelayConfig {
    RelayConfig {
        server: server.into(),
        token: TOKEN.into(),
        interval_secs: 1,
        buffer: buffer.into(),
        status_listen: "127.0.0.1:0".into(),
        status_password_hash: None,
        status_password: None,
        timeout_secs: 2,
        roster_interval_secs: 0,
        batch_size: 200,
        retry_min_ms: 100,
        retry_max_secs: 1,
        app_listen: None,
        app_url: None,
        app_photo_max_bytes: 2 * 1024 * 1024,
        terminals,
    }
}

fn term(addr: std::net::SocketAddr, protocol: Protocol, comm_key: u32) -> TerminalConfig {
    TerminalConfig { comm_key, ..TerminalConfig::new(addr.to_string(), protocol) }
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn t(i: u32) -> DateTime {
    date(2024, 8, 19).at(6, 30, 0, 0).saturating_add(jiff::SignedDuration::from_secs(i64::from(i) * 20))
}

fn fmt(dt: DateTime) -> String {
    dt.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Adds punches `range` for PIN `1000 + i % 7` and returns their (pin, time) keys.
fn punch(emu: &Emulator, range: std::ops::Range<u32>) -> Vec<(String, String)> {
    let keys: Vec<_> = range.map(|i| (format!("{}", 1000 + i % 7), t(i))).collect();
    emu.add_punches(keys.iter().map(|(p, dt)| (p.clone(), *dt, 0, 1)));
    keys.into_iter().map(|(p, dt)| (p, fmt(dt))).collect()
}

fn stored_keys(server: &FakeServer, sn: &str) -> BTreeSet<(String, String)> {
    lock(&server.state()).punches.keys().filter(|k| k.0 == sn).map(|k| (k.1.clone(), k.2.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_every_punch_arrives_once_with_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = FakeServer::start(TOKEN).unwrap();
    let tcp =
        Emulator::start(EmulatorConfig { serial: "TCP1".into(), comm_key: 1234, ..Default::default() }).await.unwrap();
    let udp =
        Emulator::start(EmulatorConfig { serial: "UDP1".into(), record_size: 16, ..Default::default() }).await.unwrap();
    let mut expected_tcp = punch(&tcp, 0..300);
    let mut expected_udp = punch(&udp, 0..120);
    let mut tcp_term = term(tcp.tcp_addr(), Protocol::Tcp, 1234);
    tcp_term.timezone = Some("Asia/Makassar".into());
    let cfg =
        config(&server.url(), &dir.path().join("relay.db"), vec![tcp_term, term(udp.udp_addr(), Protocol::Udp, 0)]);
    let relay = hadir_relay::start(cfg).await.unwrap();
    wait_until("first pull uploaded", Duration::from_secs(10), || server.stored() == 420).await;

    // The server goes down; people keep punching for several pull cycles.
    server.stop();
    for round in 0..3 {
        expected_tcp.extend(punch(&tcp, 300 + round * 10..310 + round * 10));
        expected_udp.extend(punch(&udp, 120 + round * 5..125 + round * 5));
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    wait_until("relay buffered the new punches", Duration::from_secs(10), || {
        relay.status().terminals.iter().all(|t| t.unread == Some(0))
    })
    .await;
    assert_eq!(relay.status().server.reachable, Some(false));
    assert_eq!(server.stored(), 420, "nothing arrived while down");

    // Back up, and busy for its first two answers (503 + Retry-After).
    lock(&server.state()).busy = 2;
    server.restart().unwrap();
    wait_until("backlog uploaded", Duration::from_secs(15), || server.stored() == 420 + 45).await;
    let want: BTreeSet<_> = expected_tcp.into_iter().collect();
    assert_eq!(stored_keys(&server, "TCP1"), want);
    assert_eq!(stored_keys(&server, "UDP1"), expected_udp.into_iter().collect::<BTreeSet<_>>());
    {
        let state = server.state();
        let s = lock(&state);
        assert_eq!(s.received, s.punches.len() as u64, "nothing was sent twice");
        let p = s.punches.values().find(|p| p.sn == "TCP1").unwrap();
        assert_eq!(p.timezone.as_deref(), Some("Asia/Makassar"), "zone override is forwarded");
        let p = s.punches.values().find(|p| p.sn == "UDP1").unwrap();
        assert_eq!(p.timezone, None);
        let rep = &s.terminals["TCP1"];
        assert!(rep.reachable && rep.last_pull.is_some() && rep.firmware.is_some());
        assert_eq!(rep.address, tcp.tcp_addr().to_string());
        assert!(
            rep.clock_drift_secs.is_some_and(|d| (d + 3600).abs() <= 5),
            "a Jakarta clock read as Makassar time is 1 h behind"
        );
    }
    // The server stores a batch before the relay reads its answer and marks the rows sent.
    let start = Instant::now();
    let mut counts = relay.buffer().counts().await.unwrap();
    while counts["TCP1"].buffered > 0 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        counts = relay.buffer().counts().await.unwrap();
    }
    assert_eq!((counts["TCP1"].buffered, counts["TCP1"].sent), (0, 330));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_mid_upload_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let buffer = dir.path().join("relay.db");
    let server = FakeServer::start(TOKEN).unwrap();
    let emu = Emulator::start(EmulatorConfig { serial: "K1".into(), ..Default::default() }).await.unwrap();
    let expected: BTreeSet<_> = punch(&emu, 0..1000).into_iter().collect();
    // The server stores the batch, then is slow to answer: the relay is killed
    // after the server has the punches but before it marked them sent.
    lock(&server.state()).reply_delay = Duration::from_secs(3);
    let cfg = config(&server.url(), &buffer, vec![term(emu.tcp_addr(), Protocol::Tcp, 0)]);
    let relay = hadir_relay::start(cfg.clone()).await.unwrap();
    wait_until("first batch reached the server", Duration::from_secs(10), || lock(&server.state()).received > 0).await;
    relay.abort();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let first = lock(&server.state()).received;
    assert!(first > 0 && first < 1000);

    lock(&server.state()).reply_delay = Duration::ZERO;
    let more: BTreeSet<_> = punch(&emu, 1000..1010).into_iter().collect();
    let relay = hadir_relay::start(cfg).await.unwrap();
    wait_until("all punches uploaded", Duration::from_secs(15), || server.stored() == 1010).await;
    let all: BTreeSet<_> = expected.union(&more).cloned().collect();
    assert_eq!(stored_keys(&server, "K1"), all);
    let duplicates = lock(&server.state()).duplicates;
    assert_eq!(duplicates, first, "exactly the unacknowledged batch was sent again (and dropped by the server)");
    let counts = relay.buffer().counts().await.unwrap();
    assert_eq!(counts["K1"].sent + counts["K1"].buffered, 1010, "no duplicate rows in the buffer");
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_terminal_does_not_hold_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let dead = Emulator::start(EmulatorConfig { serial: "DEAD".into(), ..Default::default() }).await.unwrap();
    dead.set_mute(true);
    let live = Emulator::start(EmulatorConfig { serial: "LIVE".into(), ..Default::default() }).await.unwrap();
    punch(&live, 0..10);
    let mut dead_term = term(dead.udp_addr(), Protocol::Udp, 0);
    dead_term.timeout_secs = Some(5);
    let cfg = config(
        &server.url(),
        &dir.path().join("relay.db"),
        vec![dead_term, term(dead.tcp_addr(), Protocol::Tcp, 0), term(live.tcp_addr(), Protocol::Tcp, 0)],
    );
    let relay = hadir_relay::start(cfg).await.unwrap();
    let start = Instant::now();
    wait_until("live terminal uploaded", Duration::from_secs(4), || server.stored() == 10).await;
    assert!(start.elapsed() < Duration::from_secs(3), "not held by the dead terminal's 5 s timeouts");
    punch(&live, 10..20);
    wait_until("live terminal keeps going", Duration::from_secs(4), || server.stored() == 20).await;
    wait_until("dead terminals reported", Duration::from_secs(8), || {
        relay.status().terminals[..2].iter().all(|t| t.reachable == Some(false) && t.last_error.is_some())
    })
    .await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_sync_from_the_status_page_button() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let user = |uid: u16, pin: &str, name: &str, privilege: u8| UserRecord {
        uid,
        user_id: pin.into(),
        name: name.into(),
        privilege,
        ..Default::default()
    };
    emu.add_user(user(1, "1001", "Nama Lama", 0)); // renamed by the roster
    emu.add_user(user(2, "1002", "Nonaktif", 0)); // inactive in the roster → deleted
    emu.add_user(user(3, "9999", "Tamu", 0)); // not mentioned by the server → kept
    emu.add_user(user(4, "1", "Admin Kantor", 14)); // device admin, not mentioned → kept
    emu.add_user(user(5, "2001", "Pegawai Dinas Lain", 0)); // another unit on a shared terminal → kept
    emu.add_user(user(6, "3001", "Pindah Unit", 0)); // listed as removed by the server → deleted
    emu.add_user(user(7, "4001", "PIN dipakai lagi", 0)); // removed but active again → kept
    let ru = |pin: &str, name: &str, active: bool| RosterUser {
        pin: pin.into(),
        name: name.into(),
        privilege: 0,
        password: String::new(),
        card: "0012345".into(),
        active,
    };
    lock(&server.state()).roster = Roster {
        users: vec![
            ru("1001", "Siti Rahmawati", true),
            ru("1002", "Nonaktif", false),
            ru("199001012020121001", "Budi Santoso", true),
            ru("4001", "PIN dipakai lagi", true),
        ],
        removed: vec!["3001".into(), "4001".into(), "5555".into()],
        accounts: vec![],
    };
    let cfg = config(&server.url(), &dir.path().join("relay.db"), vec![term(emu.tcp_addr(), Protocol::Tcp, 0)]);
    let relay = hadir_relay::start(cfg).await.unwrap();
    let origin = format!("http://{}", relay.status_addr());
    let page = format!("{origin}/");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = http.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Sinkron sekarang") && html.contains(&emu.tcp_addr().to_string()), "{html}");
    assert_eq!(lock(&server.state()).roster_gets, 0, "roster_interval_secs = 0: only on demand");

    let token = html.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let resp = http
        .post(format!("{page}sinkron"))
        .header("origin", &origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "redirected back to the page");
    wait_until("roster applied", Duration::from_secs(8), || emu.users().len() == 6).await;
    let mut users = emu.users();
    users.sort_by_key(|u| u.uid);
    let pins: Vec<_> = users.iter().map(|u| (u.user_id.as_str(), u.name.as_str())).collect();
    assert_eq!(
        pins,
        [
            ("1001", "Siti Rahmawati"),
            ("9999", "Tamu"),
            ("1", "Admin Kantor"),
            ("2001", "Pegawai Dinas Lain"),
            ("4001", "PIN dipakai lagi"),
            ("199001012020121001", "Budi Santoso"),
        ]
    );
    assert_eq!(emu.stats().user_deletes, 2, "only 1002 (inactive) and 3001 (removed)");
    let budi = users.iter().find(|u| u.user_id == "199001012020121001").unwrap();
    assert_eq!(budi.card, 12345);
    assert_ne!(budi.uid, 0);
    let writes = emu.stats().user_writes;
    // The server may also ask for a sync in an upload reply; an unchanged roster writes nothing.
    lock(&server.state()).sync_roster = true;
    wait_until("server-requested roster fetched", Duration::from_secs(8), || lock(&server.state()).roster_gets >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(emu.stats().user_writes, writes);
    let json: serde_json::Value = http.get(format!("{page}status.json")).send().await.unwrap().json().await.unwrap();
    assert!(json["terminals"][0]["last_roster_sync"].is_string(), "{json}");
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_log_is_cleared_only_after_the_server_acknowledged_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = FakeServer::start(TOKEN).unwrap();
    server.stop();
    let emu = Emulator::start(EmulatorConfig { serial: "C1".into(), ..Default::default() }).await.unwrap();
    let mut expected: BTreeSet<_> = punch(&emu, 0..50).into_iter().collect();
    let mut tc = term(emu.tcp_addr(), Protocol::Tcp, 0);
    tc.clear_after_upload = true;
    let relay = hadir_relay::start(config(&server.url(), &dir.path().join("relay.db"), vec![tc])).await.unwrap();
    // Server down: several cycles pass, the log must stay.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!((emu.record_count(), emu.stats().clears), (50, 0));
    server.restart().unwrap();
    wait_until("uploaded", Duration::from_secs(8), || server.stored() == 50).await;
    wait_until("log cleared", Duration::from_secs(8), || emu.stats().clears == 1).await;
    assert_eq!(emu.record_count(), 0);
    expected.extend(punch(&emu, 50..60));
    wait_until("new punches after the clear", Duration::from_secs(8), || server.stored() == 60).await;
    assert_eq!(stored_keys(&server, "C1"), expected);
    relay.shutdown().await;
}

/// Not a test of its own: the relay process that
/// `relay_process_killed_with_sigkill_mid_upload` starts (this test binary
/// re-executed with `HADIR_RELAY_CHILD_CONFIG`) and kills with SIGKILL.
#[test]
fn child_relay_process() {
    let Some(path) = std::env::var_os("HADIR_RELAY_CHILD_CONFIG") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = RelayConfig::load(path).unwrap();
        hadir_relay::run(config).await.unwrap();
    });
}

fn spawn_relay_process(config: &Path) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_relay_process", "--nocapture", "--test-threads=1"])
        .env("HADIR_RELAY_CHILD_CONFIG", config)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_process_killed_with_sigkill_mid_upload() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let emu = Emulator::start(EmulatorConfig { serial: "K9".into(), ..Default::default() }).await.unwrap();
    let mut expected: BTreeSet<_> = punch(&emu, 0..1000).into_iter().collect();
    let config_path = dir.path().join("relay.toml");
    std::fs::write(
        &config_path,
        format!(
            "server = \"{}\"\ntoken = \"{TOKEN}\"\ninterval_secs = 1\nbuffer = \"{}\"\nstatus_listen = \"127.0.0.1:0\"\n\
             roster_interval_secs = 0\nbatch_size = 200\nretry_min_ms = 100\nretry_max_secs = 1\n\
             [[terminals]]\naddress = \"{}\"\nprotocol = \"tcp\"\n",
            server.url(),
            dir.path().join("relay.db").display(),
            emu.tcp_addr()
        ),
    )
    .unwrap();
    lock(&server.state()).reply_delay = Duration::from_secs(5);
    let mut child = spawn_relay_process(&config_path);
    wait_until("first batch reached the server", Duration::from_secs(15), || lock(&server.state()).received > 0).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let first = lock(&server.state()).received;

    lock(&server.state()).reply_delay = Duration::ZERO;
    expected.extend(punch(&emu, 1000..1020));
    let mut child = spawn_relay_process(&config_path);
    wait_until("all punches uploaded", Duration::from_secs(15), || server.stored() == 1020).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(stored_keys(&server, "K9"), expected);
    assert_eq!(lock(&server.state()).duplicates, first, "only the unacknowledged batch went twice");
}

/// Issue 25, relay side against the fake server: the list's fingers are written (once), kinds
/// port 4370 cannot carry and broken data are reported failed, a PIN to remove that the roster
/// still lists loses only its fingers, fingers enrolled on the terminal are uploaded once each
/// (a failed upload is retried), and a restart on the same buffer uploads nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_written_removed_read_and_uploaded_once() {
    use base64::Engine;
    use hadir_relay::api::{RelayTemplate, RelayTemplateRemoval, RelayTemplates};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let emu = Emulator::start(EmulatorConfig { serial: "EMU-T".into(), ..Default::default() }).await.unwrap();
    let user =
        |uid: u16, pin: &str| UserRecord { uid, user_id: pin.into(), name: format!("P {pin}"), ..Default::default() };
    emu.add_user(user(1, "1001"));
    emu.add_user(user(2, "1002"));
    emu.add_user(user(3, "1003"));
    assert!(emu.enroll_finger("1002", 3, &[0x22; 500])); // to be removed
    assert!(emu.enroll_finger("1003", 1, &[0x33; 600])); // enrolled here: uploaded
    let ru = |pin: &str| RosterUser {
        pin: pin.into(),
        name: format!("P {pin}"),
        privilege: 0,
        password: String::new(),
        card: String::new(),
        active: true,
    };
    let item = |id: i64, kind: &str, no: u32, template: String| RelayTemplate {
        id,
        version: format!("v{id}"),
        pin: "1001".into(),
        kind: kind.into(),
        no,
        index: 0,
        valid: 1,
        template,
        terminals: vec!["EMU-T".into(), "OTHER".into()],
    };
    let state = server.state();
    {
        let mut s = lock(&state);
        s.roster = Roster { users: vec![ru("1001"), ru("1002"), ru("1003")], removed: vec![], accounts: vec![] };
        s.templates = Some(RelayTemplates {
            templates: vec![
                item(11, "finger", 6, b64(&[0x11; 1500])),
                item(12, "face", 0, b64(&[0x12; 100])),
                item(13, "finger", 2, "%%not base64%%".into()),
            ],
            removed: vec![RelayTemplateRemoval { pin: "1002".into(), terminals: vec!["EMU-T".into()] }],
        });
        s.upload_failures = 1;
    }
    let buffer = dir.path().join("relay.db");
    let cfg = || RelayConfig {
        roster_interval_secs: 1,
        ..config(&server.url(), &buffer, vec![term(emu.tcp_addr(), Protocol::Tcp, 0)])
    };
    let relay = hadir_relay::start(cfg()).await.unwrap();
    wait_until("finger written", Duration::from_secs(15), || emu.templates().iter().any(|t| t.0 == "1001" && t.1 == 6))
        .await;
    wait_until("report received", Duration::from_secs(15), || !lock(&server.state()).template_reports.is_empty()).await;
    wait_until("upload accepted after one failure", Duration::from_secs(15), || {
        !lock(&server.state()).uploads.is_empty()
    })
    .await;
    {
        let s = lock(&state);
        let r = &s.template_reports[0];
        assert_eq!(r.written.iter().map(|w| (w.sn.as_str(), w.id)).collect::<Vec<_>>(), [("EMU-T", 11)]);
        let mut failed: Vec<_> = r.failed.iter().map(|f| (f.id, f.reason.as_str())).collect();
        failed.sort();
        assert_eq!(failed, [(12, "unsupported_kind"), (13, "bad_template")]);
        assert_eq!(r.removed.iter().map(|x| (x.sn.as_str(), x.pin.as_str())).collect::<Vec<_>>(), [("EMU-T", "1002")]);
        assert_eq!(s.upload_failures, 0);
        let up: Vec<_> = s.uploads.iter().map(|u| (u.sn.as_str(), u.pin.as_str(), u.finger)).collect();
        assert_eq!(up, [("EMU-T", "1003", 1)], "the relay's own write and the removed PIN are not uploaded");
        assert_eq!(s.uploads[0].template, b64(&[0x33; 600]));
    }
    // 1002 stays (the roster lists it) without fingers; 1001's finger is there exactly.
    assert!(emu.users().iter().any(|u| u.user_id == "1002"));
    let held: Vec<_> = emu.templates().into_iter().map(|(p, f, b)| (p, f, b.len())).collect();
    assert_eq!(held, [("1001".to_string(), 6, 1500), ("1003".to_string(), 1, 600)]);
    assert_eq!(emu.stats().templates_written, 1);

    // A finger enrolled on the terminal later is uploaded, alone.
    assert!(emu.enroll_finger("1003", 2, &[0x34; 700]));
    wait_until("second upload", Duration::from_secs(15), || lock(&server.state()).uploads.len() == 2).await;
    assert_eq!(lock(&server.state()).uploads[1].finger, 2);
    // Several more cycles (the roster and the list are fetched every second): nothing again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(lock(&server.state()).uploads.len(), 2);
    assert_eq!(emu.stats().templates_written, 1, "a finger reported written is not written again");
    // The status page counts them.
    let t = &relay.status().terminals[0];
    assert_eq!((t.fingers, t.fingers_written, t.fingers_uploaded), (Some(3), 1, 2));
    let html = reqwest::get(format!("http://{}/", relay.status_addr())).await.unwrap().text().await.unwrap();
    assert!(html.contains("Sidik jari") && html.contains("3 (ditulis 1, diunggah 2)"), "{html}");
    relay.shutdown().await;

    // A restart on the same buffer: the fingers seen are remembered, nothing is re-uploaded.
    let relay = hadir_relay::start(cfg()).await.unwrap();
    wait_until("a template list fetched", Duration::from_secs(15), || lock(&server.state()).roster_gets >= 8).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(lock(&server.state()).uploads.len(), 2);
    // No template is kept on disk: not the ones written, not the ones read.
    relay.shutdown().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for t in [[0x11u8; 64], [0x33; 64], [0x34; 64]] {
            assert!(!bytes.windows(64).any(|w| w == t), "a template on the relay's disk");
        }
    }
}

/// A template list lost to a server error is fetched again within seconds, without another
/// request to sync: the server asked once (on demand, no roster schedule) and cleared it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_template_list_is_fetched_again_without_another_request() {
    use base64::Engine;
    use hadir_relay::api::{RelayTemplate, RelayTemplates};
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let emu = Emulator::start(EmulatorConfig { serial: "EMU-T".into(), ..Default::default() }).await.unwrap();
    let state = server.state();
    {
        let mut s = lock(&state);
        let user = RosterUser {
            pin: "1001".into(),
            name: "P 1001".into(),
            privilege: 0,
            password: String::new(),
            card: String::new(),
            active: true,
        };
        s.roster = Roster { users: vec![user], removed: vec![], accounts: vec![] };
        s.templates = Some(RelayTemplates {
            templates: vec![RelayTemplate {
                id: 21,
                version: "v21".into(),
                pin: "1001".into(),
                kind: "finger".into(),
                no: 6,
                index: 0,
                valid: 1,
                template: base64::engine::general_purpose::STANDARD.encode([0x21; 900]),
                terminals: vec!["EMU-T".into()],
            }],
            removed: vec![],
        });
        s.template_list_failures = 2;
        s.sync_roster = true;
    }
    let buffer = dir.path().join("relay.db");
    let relay =
        hadir_relay::start(config(&server.url(), &buffer, vec![term(emu.tcp_addr(), Protocol::Tcp, 0)])).await.unwrap();
    wait_until("the finger written after two failed list fetches", Duration::from_secs(20), || {
        emu.templates().iter().any(|t| t.0 == "1001" && t.1 == 6)
    })
    .await;
    {
        let s = lock(&state);
        assert_eq!((s.template_list_failures, s.sync_roster), (0, false), "asked once, fetched again by itself");
        assert!(s.roster_gets >= 3, "the roster comes with each try: {}", s.roster_gets);
    }
    relay.shutdown().await;
}
