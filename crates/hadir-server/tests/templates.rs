//! Issue 25, point 2: fingerprint and face templates. A terminal uploads a template in real
//! PUSH bytes; the server keeps it sealed and writes it to the other terminals of the
//! employee's unit (and only those), once; a transferred employee follows; no API answer
//! carries a template. Runs on SQLite, and on PostgreSQL with `HADIR_TEST_PG_URL`.

mod common;

use base64::Engine;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// A fingerprint template as ZKTeco firmware sends it (ZKFinger v10 header `SS21`, then the
/// minutiae), base64; `seed` makes different fingers.
fn finger(seed: u8) -> String {
    let mut raw = b"J\x18SS21\x00\x00\x03\xfa\xfe\x04\x05\x07\x09\xce\xd0\x00\x00\x1b\xfb\x69\x01".to_vec();
    raw.extend((0..1100u32).map(|i| (i.wrapping_mul(31) as u8) ^ seed));
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn fp_line(pin: &str, fid: u32, tmp: &str) -> String {
    format!("FP PIN={pin}\tFID={fid}\tSize={}\tValid=1\tTMP={tmp}\n", tmp.len())
}

async fn raw(s: &TestServer, method: Method, path: &str, body: &[u8]) -> (StatusCode, String) {
    let mut req = s.client.request(method, s.url(path)).header("User-Agent", "iClock Proxy/1.09");
    if !body.is_empty() {
        req = req.header("Content-Type", "text/plain").body(body.to_vec());
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn operlog(s: &TestServer, sn: &str, body: &str) -> String {
    let (st, b) =
        raw(s, Method::POST, &format!("/iclock/cdata?SN={sn}&table=OPERLOG&OpStamp=9"), body.as_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

async fn poll(s: &TestServer, sn: &str) -> String {
    let (st, b) = raw(s, Method::GET, &format!("/iclock/getrequest?SN={sn}"), b"").await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

/// Polls until the terminal is handed something (the transfer is applied in the background);
/// fails after a generous bound rather than asserting any duration.
async fn poll_until_commands(s: &TestServer, sn: &str) -> String {
    for _ in 0..200 {
        let b = poll(s, sn).await;
        if b != "OK" {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sn} was never sent anything");
}

async fn terminal(s: &TestServer, admin: &str, sn: &str, unit: &str, bind: bool) {
    let (st, b) = s.post("/api/v1/devices", admin, json!({"sn": sn, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    if bind {
        let (st, b) = s.post(&format!("/api/v1/devices/{sn}/bind"), admin, json!({"cidr": "127.0.0.1"})).await;
        assert_eq!(st, StatusCode::OK, "{b}");
    }
}

/// `C:<id>:<command>` lines of a getrequest reply.
fn commands(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter_map(|l| l.strip_prefix("C:")?.split_once(':').map(|(id, c)| (id.to_string(), c.to_string())))
        .collect()
}

const USER3: &str = "DATA UPDATE USERINFO PIN=3\tName=Pegawai 3\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000";

async fn employee_id(s: &TestServer, pin: &str) -> i64 {
    s.store.employee_by_device_pin(pin).await.unwrap().id
}

#[tokio::test]
async fn a_template_from_one_terminal_reaches_the_units_other_terminals_once() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // KAB-BKD: the BKD's enrolment terminal (regency root: its subtree holds everyone).
    terminal(&s, &o.admin, "KAB-BKD", "KAB", true).await;
    terminal(&s, &o.admin, "SD1-A", "SD1", true).await;
    terminal(&s, &o.admin, "RSUD-A", "RSUD", true).await;
    // An SD1 terminal not bound to an address: anyone knowing its serial could poll as it.
    terminal(&s, &o.admin, "SD1-OPEN", "SD1", false).await;
    let emp = employee_id(&s, "3").await;

    // Refusals first; each leaves nothing stored and nothing queued.
    let tmp = finger(1);
    // A terminal nobody approved (pending).
    assert_eq!(operlog(&s, "UNKNOWN9", &fp_line("3", 6, &tmp)).await, "OK:1");
    // A terminal of another unit (RSUD) sending an SD1 employee's finger.
    assert_eq!(operlog(&s, "RSUD-A", &fp_line("3", 6, &tmp)).await, "OK:1");
    // A PIN nobody has, and a template that is not base64 (the line is skipped).
    assert_eq!(operlog(&s, "KAB-BKD", &fp_line("999", 6, &tmp)).await, "OK:1");
    assert_eq!(operlog(&s, "KAB-BKD", &fp_line("3", 6, "AAAA%%AAAA")).await, "OK:0");
    assert!(s.store.templates_of(emp).await.unwrap().is_empty());
    assert!(s.store.employees_with_templates().await.unwrap().is_empty());
    for sn in ["KAB-BKD", "SD1-A", "RSUD-A", "SD1-OPEN"] {
        assert_eq!(poll(&s, sn).await, "OK", "{sn}");
    }

    // Enrolment at the BKD: a real OPERLOG body (an OPLOG "enrol finger" line and the FP line).
    let body = format!("OPLOG 6\t0\t2025-11-03 09:12:40\t3\t6\t0\t0\n{}", fp_line("3", 6, &tmp));
    assert_eq!(operlog(&s, "KAB-BKD", &body).await, "OK:2");

    // Stored sealed: neither the base64 text nor the raw template bytes are in the row.
    let stored = s.store.templates_of(emp).await.unwrap();
    assert_eq!(stored.len(), 1);
    let t = &stored[0];
    assert_eq!((t.kind.as_str(), t.no, t.idx, t.source_sn.as_str()), ("finger", 6, 0, "KAB-BKD"));
    assert_eq!(t.nonce.len(), 12);
    let raw_bytes = base64::engine::general_purpose::STANDARD.decode(&tmp).unwrap();
    for hay in [&t.sealed, &t.digest, &t.nonce] {
        assert!(!hay.windows(16).any(|w| tmp.as_bytes().windows(16).any(|x| x == w)), "base64 text in clear");
        assert!(!hay.windows(16).any(|w| raw_bytes.windows(16).any(|x| x == w)), "template bytes in clear");
    }
    if s.sqlite.is_some() {
        // Nor anywhere in the database files.
        for name in ["hadir.db", "hadir.db-wal"] {
            if let Ok(bytes) = std::fs::read(s.dir.path().join(name)) {
                assert!(!bytes.windows(64).any(|w| w == &tmp.as_bytes()[..64]), "template text in {name}");
            }
        }
    }

    // The SD1 terminal is sent the user, then the template as DATA UPDATE FINGERTMP, exactly
    // as uploaded.
    let b = poll(&s, "SD1-A").await;
    let cmds = commands(&b);
    assert_eq!(cmds.len(), 2, "{b}");
    assert_eq!(cmds[0].1, USER3);
    let (id, cmd) = &cmds[1];
    assert_eq!(cmd, &format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP={tmp}", tmp.len()));
    // Not the RSUD terminal, not the unbound one, not the one it came from.
    for sn in ["RSUD-A", "SD1-OPEN", "KAB-BKD"] {
        assert_eq!(poll(&s, sn).await, "OK", "{sn}");
    }
    // The terminal's result is recorded like any command's; the command list shows a
    // placeholder, never the template.
    let (st, r) =
        raw(&s, Method::POST, "/iclock/devicecmd?SN=SD1-A", format!("ID={id}&Return=0&CMD=DATA\n").as_bytes()).await;
    assert_eq!((st, r.as_str()), (StatusCode::OK, "OK"));
    let (st, list) = s.get("/api/v1/devices/SD1-A/commands", &o.admin).await;
    assert_eq!(st, StatusCode::OK);
    let item = list["items"].as_array().unwrap().iter().find(|c| c["id"].as_i64() == id.parse().ok()).unwrap().clone();
    assert_eq!(item["state"], "ok");
    assert_eq!(
        item["command"],
        format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP=<templat #{}>", tmp.len(), t.id)
    );

    // The same upload again (terminals resend after a stamp reset) adds nothing.
    assert_eq!(operlog(&s, "KAB-BKD", &body).await, "OK:2");
    let again = s.store.templates_of(emp).await.unwrap();
    assert_eq!((again.len(), &again[0].digest, &again[0].sealed), (1, &t.digest, &t.sealed));
    for sn in ["SD1-A", "RSUD-A", "SD1-OPEN", "KAB-BKD"] {
        assert_eq!(poll(&s, sn).await, "OK", "{sn}");
    }

    // A re-enrolled finger (same slot, new template) replaces it and goes out again; a second
    // finger in the same body too.
    let tmp2 = finger(2);
    let tmp3 = finger(3);
    let body2 = format!("{}{}", fp_line("3", 6, &tmp2), fp_line("3", 1, &tmp3));
    assert_eq!(operlog(&s, "KAB-BKD", &body2).await, "OK:2");
    assert_eq!(s.store.templates_of(emp).await.unwrap().len(), 2);
    let b = poll(&s, "SD1-A").await;
    let sent: Vec<String> = commands(&b).into_iter().map(|(_, c)| c).collect();
    assert_eq!(sent.len(), 2, "{b}");
    assert!(sent.contains(&format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP={tmp2}", tmp2.len())));
    assert!(sent.contains(&format!("DATA UPDATE FINGERTMP PIN=3\tFID=1\tSize={}\tValid=1\tTMP={tmp3}", tmp3.len())));
    assert_eq!(poll(&s, "RSUD-A").await, "OK");

    // No API answer carries a template: employee, terminals, commands, audit trail.
    let nip3 = nip(3);
    for path in [
        format!("/api/v1/employees/{nip3}"),
        "/api/v1/employees?unit=SD1".to_string(),
        "/api/v1/devices".to_string(),
        "/api/v1/devices/SD1-A".to_string(),
        "/api/v1/devices/KAB-BKD".to_string(),
        "/api/v1/devices/SD1-A/commands".to_string(),
        "/api/v1/devices/KAB-BKD/commands".to_string(),
        "/api/v1/audit".to_string(),
    ] {
        let (st, v) = s.get(&path, &o.admin).await;
        assert_eq!(st, StatusCode::OK, "{path}: {v}");
        let text = v.to_string();
        for t in [&tmp, &tmp2, &tmp3] {
            assert!(!text.contains(&t[..40]), "{path} shows a template");
        }
    }
    // The employee's own data export neither.
    let (st, v) = s.get("/api/v1/me/export", &o.emp_sd1).await;
    if st == StatusCode::OK {
        assert!(!v.to_string().contains(&tmp[..40]));
    }

    // A transfer to RSUD (from today): the RSUD terminal gets the templates, the SD1 terminal
    // loses the employee, the BKD terminal (still holding the employee's unit) is left alone.
    let (st, v) =
        s.call(Method::PATCH, &format!("/api/v1/employees/{nip3}"), Some(&o.admin), json!({"unit_code": "RSUD"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // (The user and the templates are queued by the background transfer one after the other: a
    // poll may come between them.)
    let mut sent: Vec<String> = Vec::new();
    for _ in 0..200 {
        sent.extend(commands(&poll_until_commands(&s, "RSUD-A").await).into_iter().map(|(_, c)| c));
        if sent.len() >= 3 {
            break;
        }
    }
    let b = sent.join("\n");
    assert_eq!(sent.len(), 3, "{b}");
    assert_eq!(sent[0], USER3, "the user before its templates");
    let mut templates = sent[1..].to_vec();
    templates.sort();
    assert_eq!(
        templates,
        [
            format!("DATA UPDATE FINGERTMP PIN=3\tFID=1\tSize={}\tValid=1\tTMP={tmp3}", tmp3.len()),
            format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP={tmp2}", tmp2.len()),
        ]
    );
    let b = poll_until_commands(&s, "SD1-A").await;
    assert_eq!(commands(&b).into_iter().map(|(_, c)| c).collect::<Vec<_>>(), ["DATA DELETE USERINFO PIN=3"]);
    assert_eq!(poll(&s, "KAB-BKD").await, "OK");
    assert_eq!(poll(&s, "SD1-OPEN").await, "OK");
    // Now the RSUD terminal may send the employee's finger; the SD1 one may not.
    let tmp4 = finger(4);
    assert_eq!(operlog(&s, "SD1-A", &fp_line("3", 2, &tmp4)).await, "OK:1");
    assert_eq!(s.store.templates_of(emp).await.unwrap().len(), 2);
    assert_eq!(operlog(&s, "RSUD-A", &fp_line("3", 2, &tmp4)).await, "OK:1");
    assert_eq!(s.store.templates_of(emp).await.unwrap().len(), 3);
    assert_eq!(poll(&s, "RSUD-A").await, "OK", "the terminal it came from has it");
    let b = poll(&s, "KAB-BKD").await;
    assert_eq!(commands(&b).len(), 1, "{b}");
    assert_eq!(poll(&s, "SD1-A").await, "OK");
}

#[tokio::test]
async fn face_and_biodata_templates_travel_as_their_own_commands() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    terminal(&s, &o.admin, "DIK-1", "DIK", true).await;
    terminal(&s, &o.admin, "SD1-B", "SD1", true).await;
    let face = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v";
    let bio = "TfJTUzIxAAAFREgECAUHCc7QAAAcRWkBAAAAhGsfN0RDAA8PeQAYAIdLpQBIAFcPKgBORMAPqQBXAKkPsERdAFMPwgCdAORL";
    let body = format!(
        "FACE PIN=2\tFID=0\tSize={}\tValid=1\tTMP={face}\nBIODATA Pin=2\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp={bio}\n",
        face.len()
    );
    assert_eq!(operlog(&s, "DIK-1", &body).await, "OK:2");
    let b = poll(&s, "SD1-B").await;
    let cmds = commands(&b);
    assert_eq!(cmds.len(), 3, "{b}");
    assert!(cmds[0].1.starts_with("DATA UPDATE USERINFO PIN=2\t"));
    // The terminal takes the BIODATA but is full for the FACE (-1001): recorded, not resent by
    // itself; "sync employees" sends it again.
    let results: String = cmds[1..]
        .iter()
        .map(|(id, c)| format!("ID={id}&Return={}&CMD=DATA\n", if c.contains("UPDATE FACE") { -1001 } else { 0 }))
        .collect();
    let (st, _) = raw(&s, Method::POST, "/iclock/devicecmd?SN=SD1-B", results.as_bytes()).await;
    assert_eq!(st, StatusCode::OK);
    let mut sent: Vec<String> = cmds[1..].iter().map(|(_, c)| c.clone()).collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            format!(
                "DATA UPDATE BIODATA Pin=2\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp={bio}"
            ),
            format!("DATA UPDATE FACE PIN=2\tFID=0\tSize={}\tValid=1\tTMP={face}", face.len()),
        ]
    );
    assert_eq!(operlog(&s, "DIK-1", &body).await, "OK:2");
    assert_eq!(poll(&s, "SD1-B").await, "OK");
    let (st, v) = s.post("/api/v1/devices/SD1-B/sync-employees", &o.admin, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["updates"].as_u64(), v["queued"].as_u64()), (Some(2), Some(3)), "{v}");
    let b = poll(&s, "SD1-B").await;
    let sent: Vec<String> = commands(&b).into_iter().map(|(_, c)| c).collect();
    assert_eq!(sent.len(), 3, "{b}");
    assert_eq!(sent[2], format!("DATA UPDATE FACE PIN=2\tFID=0\tSize={}\tValid=1\tTMP={face}", face.len()));
    // A body too large for the terminal endpoints is refused whole, nothing stored.
    let huge = "A".repeat(8 * 1024 * 1024);
    let (st, _) =
        raw(&s, Method::POST, "/iclock/cdata?SN=DIK-1&table=OPERLOG", fp_line("2", 3, &huge).as_bytes()).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    let emp = employee_id(&s, "2").await;
    assert_eq!(s.store.templates_of(emp).await.unwrap().len(), 2);
    // A single template beyond 64 KiB in an acceptable body is skipped (not a template).
    let long = "A".repeat(100 * 1024);
    assert_eq!(operlog(&s, "DIK-1", &fp_line("2", 3, &long)).await, "OK:0");
    assert_eq!(s.store.templates_of(emp).await.unwrap().len(), 2);
    assert_eq!(poll(&s, "SD1-B").await, "OK");
}

/// A relay registered for `unit`, with one terminal of `unit` registered by an admin and then
/// reported by the relay (so the relay reaches it over port 4370). Returns the relay's token.
async fn relay_with_terminal(s: &TestServer, admin: &str, name: &str, unit: &str, sn: &str) -> (i64, String) {
    let (st, b) = s.post("/api/v1/relays", admin, json!({"name": name, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (id, token) = (b["id"].as_i64().unwrap(), b["token"].as_str().unwrap().to_string());
    terminal(s, admin, sn, unit, false).await;
    let up = json!({"terminals": [{"sn": sn, "address": "192.168.1.201:4370", "reachable": true}], "punches": []});
    let (st, b) = s.post("/api/v1/relay/punches", &token, up.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(s.store.device_by_sn(sn).await.unwrap().relay_id, Some(id));
    // A terminal new behind the relay: the relay is asked to write the roster (and templates)
    // now, until it fetches the roster; reporting it again asks nothing more.
    assert_eq!(b["sync_roster"], json!(true), "{b}");
    let (_, b) = s.post("/api/v1/relay/punches", &token, up.clone()).await;
    assert_eq!(b["sync_roster"], json!(true), "kept until the roster is fetched: {b}");
    assert_eq!(s.get("/api/v1/relay/roster", &token).await.0, StatusCode::OK);
    let (_, b) = s.post("/api/v1/relay/punches", &token, up).await;
    assert_eq!(b["sync_roster"], json!(false), "{b}");
    (id, token)
}

#[tokio::test]
async fn a_relay_gets_its_units_templates_reports_them_written_and_loses_a_moved_employee() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    terminal(&s, &o.admin, "KAB-BKD", "KAB", true).await;
    let (_, sd1) = relay_with_terminal(&s, &o.admin, "Relay SD1", "SD1", "RLY-SD1").await;
    let (rsud_id, rsud) = relay_with_terminal(&s, &o.admin, "Relay RSUD", "RSUD", "RLY-RSUD").await;
    let emp = employee_id(&s, "3").await;

    // Nothing stored yet: nothing to write.
    let (st, v) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"templates": [], "removed": []})));

    // Enrolment at the BKD (PUSH).
    let tmp = finger(7);
    assert_eq!(operlog(&s, "KAB-BKD", &fp_line("3", 6, &tmp)).await, "OK:1");
    let stored = s.store.templates_of(emp).await.unwrap();
    assert_eq!(stored.len(), 1);
    // No PUSH command for the relay's terminals: their relay writes them, asked to sync now (in
    // the answers to its uploads, until it fetches the roster); the RSUD relay is not.
    assert_eq!(s.store.device_by_sn("RLY-SD1").await.unwrap().pending_commands, 0);
    let empty = json!({"terminals": [], "punches": []});
    let (_, b) = s.post("/api/v1/relay/punches", &sd1, empty.clone()).await;
    assert_eq!(b["sync_roster"], json!(true), "{b}");
    let (st, _) = s.get("/api/v1/relay/roster", &sd1).await;
    assert_eq!(st, StatusCode::OK);
    let (_, b) = s.post("/api/v1/relay/punches", &sd1, empty.clone()).await;
    assert_eq!(b["sync_roster"], json!(false), "{b}");
    let (_, b) = s.post("/api/v1/relay/punches", &rsud, empty.clone()).await;
    assert_eq!(b["sync_roster"], json!(false), "{b}");

    // The SD1 relay gets it, for its terminal; the RSUD relay gets nothing.
    let (st, v) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let items = v["templates"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    let t = &items[0];
    assert_eq!(
        (t["pin"].as_str(), t["kind"].as_str(), t["no"].as_u64(), t["valid"].as_u64(), t["template"].as_str()),
        (Some("3"), Some("finger"), Some(6), Some(1), Some(tmp.as_str()))
    );
    assert_eq!(t["terminals"], json!(["RLY-SD1"]));
    assert_eq!(v["removed"], json!([]));
    let (st, v2) = s.get("/api/v1/relay/templates", &rsud).await;
    assert_eq!((st, v2), (StatusCode::OK, json!({"templates": [], "removed": []})));

    // Not for anyone else: no token, a person's token, the admin's.
    for token in [o.admin.as_str(), o.emp_sd1.as_str(), "not-a-token"] {
        let (st, b) = s.get("/api/v1/relay/templates", token).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
        assert!(!b.to_string().contains(&tmp[..40]));
    }

    // Reports that do not count change nothing: another relay's terminal, an old version.
    let id = t["id"].as_i64().unwrap();
    let version = t["version"].as_str().unwrap().to_string();
    let bad = json!({"written": [
        {"sn": "RLY-SD1", "id": id, "version": "00ff"},
        {"sn": "KAB-BKD", "id": id, "version": version},
    ]});
    let (st, b) = s.post("/api/v1/relay/templates", &sd1, bad.clone()).await;
    assert_eq!((st, b["recorded"].as_u64()), (StatusCode::OK, Some(0)), "{b}");
    let (st, b) = s
        .post("/api/v1/relay/templates", &rsud, json!({"written": [{"sn": "RLY-SD1", "id": id, "version": version}]}))
        .await;
    assert_eq!((st, b["recorded"].as_u64()), (StatusCode::OK, Some(0)), "{b}");
    let (_, again) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(again["templates"].as_array().unwrap().len(), 1);

    // The written report: not handed out again.
    let ok = json!({"written": [{"sn": "RLY-SD1", "id": id, "version": version}]});
    let (st, b) = s.post("/api/v1/relay/templates", &sd1, ok).await;
    assert_eq!((st, b["recorded"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, again) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(again, json!({"templates": [], "removed": []}));

    // A revoked relay is refused, and nothing it reports is recorded.
    let (st, _) = s.post(&format!("/api/v1/relays/{rsud_id}/revoke"), &o.admin, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get("/api/v1/relay/templates", &rsud).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // A transfer to RSUD: the SD1 relay is told to remove PIN 3 from its terminal, and once it
    // reports the removal, is not told again. (The RSUD relay is revoked: a new one would get it.)
    let nip3 = nip(3);
    let (st, v) =
        s.call(Method::PATCH, &format!("/api/v1/employees/{nip3}"), Some(&o.admin), json!({"unit_code": "RSUD"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(v, json!({"templates": [], "removed": [{"pin": "3", "terminals": ["RLY-SD1"]}]}));
    let (st, b) = s.post("/api/v1/relay/templates", &sd1, json!({"removed": [{"sn": "RLY-SD1", "pin": "3"}]})).await;
    assert_eq!((st, b["recorded"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, v) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(v, json!({"templates": [], "removed": []}));
    let (_, rsud2) = relay_with_terminal(&s, &o.admin, "Relay RSUD 2", "RSUD", "RLY-RSUD2").await;
    let (_, v) = s.get("/api/v1/relay/templates", &rsud2).await;
    assert_eq!(v["templates"][0]["terminals"], json!(["RLY-RSUD2"]), "{v}");
    assert_eq!(v["templates"][0]["template"].as_str(), Some(tmp.as_str()));
}

fn upload(sn: &str, pin: &str, finger: u32, tmp: &str) -> serde_json::Value {
    json!({"sn": sn, "pin": pin, "finger": finger, "valid": 1, "template": tmp})
}

#[tokio::test]
async fn a_relay_uploads_fingers_enrolled_on_its_terminals_within_its_unit_only() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    terminal(&s, &o.admin, "SD1-A", "SD1", true).await;
    let (_, sd1) = relay_with_terminal(&s, &o.admin, "Relay SD1", "SD1", "RLY-SD1").await;
    let (_, rsud) = relay_with_terminal(&s, &o.admin, "Relay RSUD", "RSUD", "RLY-RSUD").await;
    let emp3 = employee_id(&s, "3").await;
    let emp4 = employee_id(&s, "4").await;
    let tmp = finger(5);
    let path = "/api/v1/relay/templates/upload";
    let good = json!({"templates": [upload("RLY-SD1", "3", 6, &tmp)]});

    // Refusals first; none stores or queues anything.
    for token in [o.admin.as_str(), o.emp_sd1.as_str(), "not-a-token"] {
        let (st, _) = s.post(path, token, good.clone()).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let many: Vec<_> = (0..101).map(|i| upload("RLY-SD1", "3", i % 10, &tmp)).collect();
    let (st, b) = s.post(path, &sd1, json!({ "templates": many })).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many")), "{b}");
    let huge = "A".repeat(8 * 1024 + 4);
    let (st, b) = s.post(path, &sd1, json!({"templates": [upload("RLY-SD1", "3", 6, &huge)]})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("template_too_large")));
    assert!(b["error"]["message"].as_str().unwrap().contains("terlalu besar"), "{b}");
    // Malformed entries refuse the whole request, good ones with them.
    for bad in [
        upload("RLY-SD1", "3", 10, &tmp),
        upload("RLY-SD1", "3\tFID=1", 6, &tmp),
        upload("RLY-SD1", "", 6, &tmp),
        upload("RLY-SD1", "3", 6, "AAAA\nFP PIN=4"),
        upload("RLY-SD1", "3", 6, ""),
    ] {
        let (st, b) = s.post(path, &sd1, json!({"templates": [upload("RLY-SD1", "3", 1, &tmp), bad]})).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_template")), "{b}");
    }
    // Well-formed but not the relay's to give: an RSUD employee through the SD1 relay, an SD1
    // employee through the RSUD relay, another relay's terminal, a PIN nobody has.
    for (token, entry) in [
        (&sd1, upload("RLY-SD1", "4", 6, &tmp)),
        (&rsud, upload("RLY-RSUD", "3", 6, &tmp)),
        (&sd1, upload("RLY-RSUD", "4", 6, &tmp)),
        (&sd1, upload("SD1-A", "3", 6, &tmp)),
        (&sd1, upload("RLY-SD1", "999", 6, &tmp)),
    ] {
        let (st, b) = s.post(path, token, json!({ "templates": [entry] })).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(b, json!({"stored": 0, "unchanged": 0, "dropped": 1}));
    }
    assert!(s.store.templates_of(emp3).await.unwrap().is_empty());
    assert!(s.store.templates_of(emp4).await.unwrap().is_empty());
    assert!(s.store.employees_with_templates().await.unwrap().is_empty());
    assert_eq!(poll(&s, "SD1-A").await, "OK");

    // A finger enrolled on the SD1 relay's terminal: stored sealed, queued for SD1's PUSH
    // terminal exactly as read, and not handed back to the terminal it came from.
    let (st, b) = s.post(path, &sd1, good.clone()).await;
    assert_eq!((st, b), (StatusCode::OK, json!({"stored": 1, "unchanged": 0, "dropped": 0})));
    let stored = s.store.templates_of(emp3).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].kind.as_str(), stored[0].no, stored[0].source_sn.as_str()), ("finger", 6, "RLY-SD1"));
    assert!(!stored[0].sealed.windows(32).any(|w| tmp.as_bytes().windows(32).any(|x| x == w)));
    let b = poll(&s, "SD1-A").await;
    let cmds = commands(&b);
    assert_eq!(cmds.len(), 2, "{b}");
    assert_eq!(cmds[0].1, USER3);
    assert_eq!(cmds[1].1, format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP={tmp}", tmp.len()));
    let (_, v) = s.get("/api/v1/relay/templates", &sd1).await;
    assert_eq!(v, json!({"templates": [], "removed": []}));
    // The same finger again: unchanged, nothing queued.
    let (st, b) = s.post(path, &sd1, good).await;
    assert_eq!((st, b), (StatusCode::OK, json!({"stored": 0, "unchanged": 1, "dropped": 0})));
    assert_eq!(poll(&s, "SD1-A").await, "OK");

    // A report of templates the terminal cannot take is accepted (logged), records nothing.
    let (st, b) = s
        .post(
            "/api/v1/relay/templates",
            &sd1,
            json!({"failed": [{"sn": "RLY-SD1", "id": stored[0].id, "version": "00", "reason": "unsupported_kind"}]}),
        )
        .await;
    assert_eq!((st, b["recorded"].as_u64()), (StatusCode::OK, Some(0)), "{b}");
}

/// The instant of local `hour`:00 on `d` in WITA (the test organisation's zone).
fn wita(d: jiff::civil::Date, hour: i8) -> jiff::Timestamp {
    d.at(hour, 0, 0, 0).to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).unwrap().timestamp()
}

/// Acknowledges every command of a getrequest reply as done.
async fn ack(s: &TestServer, sn: &str, body: &str) {
    let results: String = commands(body).iter().map(|(id, _)| format!("ID={id}&Return=0&CMD=DATA\n")).collect();
    let (st, r) = raw(s, Method::POST, &format!("/iclock/devicecmd?SN={sn}"), results.as_bytes()).await;
    assert_eq!((st, r.as_str()), (StatusCode::OK, "OK"));
}

#[tokio::test]
async fn a_dated_transfer_moves_the_templates_on_its_date_and_not_the_day_before() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    terminal(&s, &o.admin, "KAB-BKD", "KAB", true).await;
    terminal(&s, &o.admin, "SD1-A", "SD1", true).await;
    terminal(&s, &o.admin, "RSUD-A", "RSUD", true).await;
    let emp = employee_id(&s, "3").await;
    let tmp = finger(9);
    assert_eq!(operlog(&s, "KAB-BKD", &fp_line("3", 6, &tmp)).await, "OK:1");
    let b = poll(&s, "SD1-A").await;
    assert_eq!(commands(&b).len(), 2, "the user and the finger: {b}");
    ack(&s, "SD1-A", &b).await;

    // A transfer to RSUD from a date ahead (a decree entered before it takes effect). The API
    // takes dates up to today; the dated row is written as the store keeps it.
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let effective = today.checked_add(jiff::ToSpan::days(3)).unwrap();
    let audit = hadir_store::Audit::new((None, "uji"), "update", "employee", &nip(3));
    let u = hadir_store::EmployeeUpdate {
        unit_code: Some("RSUD".into()),
        unit_from: Some(effective),
        ..Default::default()
    };
    s.store.update_employee(emp, &u, audit).await.unwrap();
    let keys = hadir_server::templates::TemplateKeys::default();
    let sweep = |now| hadir_server::templates::sweep(s.store.as_ref(), &keys, now);

    // The day before (late in the evening, and a minute before midnight): the old unit's
    // terminal keeps the employee, the new unit's gets nothing.
    assert_eq!(sweep(wita(effective.yesterday().unwrap(), 12)).await.unwrap(), 0);
    let last_minute = wita(effective, 0) - jiff::SignedDuration::from_mins(1);
    assert_eq!(sweep(last_minute).await.unwrap(), 0);
    for sn in ["SD1-A", "RSUD-A", "KAB-BKD"] {
        assert_eq!(poll(&s, sn).await, "OK", "{sn}");
    }

    // On the day (just after midnight): the RSUD terminal is sent the user, then the finger;
    // the SD1 terminal the removal; the BKD terminal (its subtree still holds RSUD) nothing.
    assert_eq!(sweep(wita(effective, 0) + jiff::SignedDuration::from_mins(5)).await.unwrap(), 3);
    let b = poll(&s, "RSUD-A").await;
    let sent: Vec<String> = commands(&b).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        sent,
        [USER3.to_string(), format!("DATA UPDATE FINGERTMP PIN=3\tFID=6\tSize={}\tValid=1\tTMP={tmp}", tmp.len())]
    );
    ack(&s, "RSUD-A", &b).await;
    let b = poll(&s, "SD1-A").await;
    assert_eq!(commands(&b).into_iter().map(|(_, c)| c).collect::<Vec<_>>(), ["DATA DELETE USERINFO PIN=3"]);
    ack(&s, "SD1-A", &b).await;
    assert_eq!(poll(&s, "KAB-BKD").await, "OK");

    // The day after: nothing more (each terminal already holds what it should).
    assert_eq!(sweep(wita(effective.tomorrow().unwrap(), 9)).await.unwrap(), 0);
    for sn in ["SD1-A", "RSUD-A", "KAB-BKD"] {
        assert_eq!(poll(&s, sn).await, "OK", "{sn}");
    }
}

#[tokio::test]
async fn a_dated_transfer_first_swept_the_day_after_still_moves_the_templates() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    terminal(&s, &o.admin, "SD1-A", "SD1", true).await;
    terminal(&s, &o.admin, "RSUD-A", "RSUD", true).await;
    terminal(&s, &o.admin, "SD1-B", "SD1", true).await;
    let emp = employee_id(&s, "3").await;
    let tmp = finger(11);
    // Enrolled at the SD1 terminal A: B gets it.
    assert_eq!(operlog(&s, "SD1-A", &fp_line("3", 2, &tmp)).await, "OK:1");
    let b = poll(&s, "SD1-B").await;
    assert_eq!(commands(&b).len(), 2, "{b}");
    ack(&s, "SD1-B", &b).await;
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let effective = today.checked_add(jiff::ToSpan::days(2)).unwrap();
    let audit = hadir_store::Audit::new((None, "uji"), "update", "employee", &nip(3));
    let u = hadir_store::EmployeeUpdate {
        unit_code: Some("RSUD".into()),
        unit_from: Some(effective),
        ..Default::default()
    };
    s.store.update_employee(emp, &u, audit).await.unwrap();
    let keys = hadir_server::templates::TemplateKeys::default();
    // The server was down on the day: the first sweep after it, the next morning, applies it.
    let n =
        hadir_server::templates::sweep(s.store.as_ref(), &keys, wita(effective.tomorrow().unwrap(), 8)).await.unwrap();
    assert_eq!(n, 4, "user and finger to RSUD-A, removal from both SD1 terminals");
    assert_eq!(commands(&poll(&s, "RSUD-A").await).len(), 2);
    for sn in ["SD1-A", "SD1-B"] {
        let b = poll(&s, sn).await;
        assert_eq!(
            commands(&b).into_iter().map(|(_, c)| c).collect::<Vec<_>>(),
            ["DATA DELETE USERINFO PIN=3"],
            "{sn}"
        );
    }
}
