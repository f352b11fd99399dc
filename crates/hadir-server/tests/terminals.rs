//! Issue 5: ZKTeco PUSH terminals over real HTTP, byte for byte. Request and response examples
//! are transcribed from ZKTeco's "Attendance PUSH Communication Protocol" 2.4.1 (sections 5, 9,
//! 11, 12, 13; the PDF's spurious spaces removed, tabs restored).

mod common;

use common::*;
use hadir_server::ServerConfig;
use hadir_server::config::TerminalConfig;
use hadir_store::{DeviceContact, PunchFilter};
use jiff::{Timestamp, ToSpan};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SN: &str = "0316144680030";

struct Reply {
    status: StatusCode,
    body: String,
    date: String,
}

/// A raw request as a terminal sends it.
async fn term(s: &TestServer, method: Method, path: &str, body: &[u8]) -> Reply {
    let mut req = s
        .client
        .request(method, s.url(path))
        .header("User-Agent", "iClock Proxy/1.09")
        .header("Connection", "close")
        .header("Accept", "application/push")
        .header("Accept-Charset", "UTF-8")
        .header("Accept-Language", "zh-CN");
    if !body.is_empty() {
        req = req.header("Content-Type", "text/plain").body(body.to_vec());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let date = r.headers().get("date").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = r.text().await.unwrap();
    // Every reply carries the GMT date the terminal sets its clock from.
    assert!(date.ends_with(" GMT"), "Date header: {date:?}");
    let t = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(&date).unwrap();
    assert!((Timestamp::now().duration_since(t)).as_secs().abs() < 5, "{date}");
    Reply { status, body, date }
}

async fn get_ok(s: &TestServer, path: &str) -> String {
    let r = term(s, Method::GET, path, b"").await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn post_ok(s: &TestServer, path: &str, body: &[u8]) -> String {
    let r = term(s, Method::POST, path, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn register(s: &TestServer, token: &str, sn: &str, unit: &str) -> Value {
    let (st, b) = s.post("/api/v1/devices", token, json!({"sn": sn, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b
}

async fn device(s: &TestServer, token: &str, sn: &str) -> Value {
    let (st, b) = s.get(&format!("/api/v1/devices/{sn}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

async fn punches_of(s: &TestServer, token: &str, nip_: &str) -> Vec<Value> {
    let (st, b) = s.get(&format!("/api/v1/punches?employee={nip_}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["items"].as_array().unwrap().clone()
}

const HANDSHAKE_NEW: &str = "GET OPTION FROM: 0316144680030\n\
    ATTLOGStamp=0\n\
    OPERLOGStamp=0\n\
    ATTPHOTOStamp=0\n\
    ErrorDelay=60\n\
    Delay=30\n\
    TransTimes=00:00;14:05\n\
    TransInterval=1\n\
    TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP\n\
    TimeZone=8\n\
    Realtime=1\n\
    Encrypt=None\n\
    ServerVer=2.4.1\n\
    PushProtVer=2.4.1\n";

#[tokio::test]
async fn handshake_with_and_without_pushver() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, SN, "SD1").await;

    // Section 5: a terminal with pushver gets the new-style stamps; SD1 is WITA → TimeZone=8.
    let q = "/iclock/cdata?SN=0316144680030&options=all&pushver=2.2.14&language=83&pushcommkey=4a9594af164f2b9779b59e8554b5df26";
    let r = term(&s, Method::GET, q, b"").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, HANDSHAKE_NEW);
    assert!(!r.date.is_empty());

    // After an upload with Stamp=9999 the handshake tells the terminal where it stands.
    let body = post_ok(
        &s,
        "/iclock/cdata?SN=0316144680030&table=ATTLOG&Stamp=9999",
        b"2\t2025-11-03 07:10:00\t0\t1\t0\t0\t0\n",
    )
    .await;
    assert_eq!(body, "OK:1");
    assert_eq!(get_ok(&s, q).await, HANDSHAKE_NEW.replace("ATTLOGStamp=0", "ATTLOGStamp=9999"));

    // Old firmware (no pushver): old-style keys, TransFlag format I, Encrypt=0. An unknown
    // serial is recorded as pending; it is read in the regency's zone (WITA).
    let r = term(&s, Method::GET, "/iclock/cdata?SN=ABCD1234&options=all", b"").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        "GET OPTION FROM: ABCD1234\n\
         Stamp=0\n\
         OpStamp=0\n\
         PhotoStamp=0\n\
         ErrorDelay=60\n\
         Delay=30\n\
         TransTimes=00:00;14:05\n\
         TransInterval=1\n\
         TransFlag=1101101100\n\
         TimeZone=8\n\
         Realtime=1\n\
         Encrypt=0\n"
    );
    let d = device(&s, &o.admin, "ABCD1234").await;
    assert_eq!((d["state"].as_str(), d["ip"].as_str()), (Some("pending"), Some("127.0.0.1")));

    // Security PUSH 3.x: logged and refused clearly, never a false OK.
    let r = term(&s, Method::GET, "/iclock/cdata?SN=X1&options=all&pushver=3.1.2&language=73", b"").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::NOT_IMPLEMENTED, "UNSUPPORTED: Security PUSH 3.x"));
    let r = term(&s, Method::POST, "/iclock/registry?SN=X1", b"DeviceType=acc").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::NOT_IMPLEMENTED, "UNSUPPORTED: Security PUSH 3.x"));
    assert_eq!(device(&s, &o.admin, "X1").await["pushver"], "3.1.2");

    // Malformed requests are refused in plain text, with the Date header.
    let r = term(&s, Method::GET, "/iclock/cdata?options=all", b"").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::BAD_REQUEST, "ERROR: parameter SN tidak ada"));
    let r = term(&s, Method::GET, "/iclock/getrequest?SN=a%0Ab", b"").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(get_ok(&s, "/iclock/ping?SN=0316144680030").await, "OK");
    // Not part of the OpenAPI document.
    let (_, doc) = s.call(Method::GET, "/api/openapi.json", None, Value::Null).await;
    assert!(!doc["paths"].as_object().unwrap().keys().any(|k| k.contains("iclock")));
    assert!(doc["paths"]["/api/v1/devices"].is_object());
    assert!(doc["paths"]["/api/v1/relay/punches"].is_object());
}

#[tokio::test]
async fn attlog_operlog_options_and_photos() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, SN, "SD1").await; // issue 16: registering is an admin decision

    // Section 11.2: several records, one with the extra trailing fields of newer firmware, one
    // with an unknown PIN, one whose clock is days ahead, one malformed line.
    let ahead = (Timestamp::now() + 72.hours()).to_zoned_datetime(hadir_domain::unit_zone("Asia/Makassar").unwrap());
    let ahead = ahead.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let body = format!(
        "2\t2025-11-03 07:10:00\t0\t1\t0\t0\t0\n\
         3\t2025-11-03 07:31:02\t0\t15\t0\t0\t0\t0\t0\t0\t\t\n\
         2\t2025-11-03 16:05:59\t1\t1\t0\t0\t0\n\
         1452\t2025-11-03 07:15:00\t0\t1\t0\t0\t0\n\
         3\t{ahead}\t0\t1\t0\t0\t0\n\
         4\t2025-02-30 07:00:00\t0\t1\t0\t0\t0\n"
    );
    let path = "/iclock/cdata?SN=0316144680030&table=ATTLOG&Stamp=9999";
    assert_eq!(post_ok(&s, path, body.as_bytes()).await, "OK:5");

    // 07:10 WITA is 23:10 UTC the previous day.
    let stored = s.store.list_punches(&PunchFilter { device_sn: Some(SN.into()), ..Default::default() }).await.unwrap();
    assert_eq!(stored.len(), 5);
    let first = stored.iter().find(|p| p.p.dedup_key == "t:0316144680030:2:2025-11-03T07:10:00").unwrap();
    assert_eq!(first.p.punched_at.to_string(), "2025-11-02T23:10:00Z");
    assert_eq!((first.p.status, first.p.verify), (Some(0), Some(1)));
    assert_eq!(first.p.source, hadir_store::PunchSource::Terminal);
    let p2 = punches_of(&s, &o.head, &nip(2)).await;
    assert_eq!(p2.len(), 2);
    assert_eq!(p2[0]["punched_at"], "2025-11-03T07:10:00+08:00");
    assert_eq!(p2[0]["source"], "terminal");
    assert_eq!(p2[1]["punched_at"], "2025-11-03T16:05:59+08:00");
    let p3 = punches_of(&s, &o.head, &nip(3)).await;
    assert_eq!(p3.len(), 2);
    assert_eq!(p3[0]["punched_at"], "2025-11-03T07:31:02+08:00");
    // Issue 16: more than 10 minutes ahead of the server clock waits in review (`future`).
    assert_eq!((p3[1]["review"].as_str(), p3[1]["state"].as_str()), (Some("future"), Some("pending")), "{}", p3[1]);

    // Resending the same body (after a stamp reset, or a lost reply) stores nothing new.
    assert_eq!(post_ok(&s, path, body.as_bytes()).await, "OK:5");
    let again = s.store.list_punches(&PunchFilter { device_sn: Some(SN.into()), ..Default::default() }).await.unwrap();
    assert_eq!(again.len(), 5);
    assert_eq!(post_ok(&s, "/iclock/cdata?SN=0316144680030&table=ATTLOG&Stamp=1", b"").await, "OK:0");

    // The unknown PIN waits, listed for the operator of the terminal's unit, not for others.
    let (st, un) = s.get("/api/v1/punches/unmatched", &o.operator).await;
    assert_eq!(st, StatusCode::OK, "{un}");
    let items = un["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["device_pin"].as_str(), items[0]["device_sn"].as_str()), (Some("1452"), Some(SN)));
    assert_eq!(items[0]["punched_at"], "2025-11-03T07:15:00+08:00");
    let (_, un) = s.get("/api/v1/punches/unmatched?unit=RSUD", &o.admin).await;
    assert!(un["items"].as_array().unwrap().is_empty());
    // Giving the PIN to an employee matches it.
    let e = s.employee(&o.operator, &nip(5), "SD1", "1452").await;
    assert_eq!(e["device_pin"], "1452");
    let p5 = punches_of(&s, &o.admin, &nip(5)).await;
    assert_eq!(p5.len(), 1);
    assert_eq!(p5[0]["punched_at"], "2025-11-03T07:15:00+08:00");
    let (_, un) = s.get("/api/v1/punches/unmatched", &o.operator).await;
    assert!(un["items"].as_array().unwrap().is_empty());
    // Also when a PIN is changed on an existing employee.
    post_ok(&s, "/iclock/cdata?SN=0316144680030&table=ATTLOG&Stamp=2", b"777\t2025-11-04 07:01:00\t0\t1\n").await;
    let (st, b) = s
        .call(Method::PATCH, &format!("/api/v1/employees/{}", nip(4)), Some(&o.admin), json!({"device_pin": "777"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(punches_of(&s, &o.admin, &nip(4)).await.len(), 1);

    // Section 11.4/11.5: OPERLOG with OPLOG, USER (a UTF-8 name), FP lines: OK:<n>.
    let mut op = Vec::new();
    op.extend_from_slice(b"OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0\n");
    op.extend_from_slice(b"USER PIN=36234\tName=36234\tPri=0\tPasswd=\tCard=133440\tGrp=1\tTZ=0001000000000000\n");
    op.extend_from_slice("USER PIN=7\tName=Ni Luh Putu Ayu Dewi\tPri=14\tPasswd=123\tCard=[15CD5B07]\tGrp=1\tTZ=0000000000000000\tVerify=-1\n".as_bytes());
    op.extend_from_slice(b"FP PIN=2\tFID=0\tSize=12\tValid=1\tTMP=SghTUzIxAAAD\n");
    assert_eq!(post_ok(&s, "/iclock/cdata?SN=0316144680030&table=OPERLOG&Stamp=77", &op).await, "OK:4");
    // Old firmware names the mark OpStamp.
    assert_eq!(
        post_ok(
            &s,
            "/iclock/cdata?SN=0316144680030&table=OPERLOG&OpStamp=78",
            b"OPLOG 0\t0\t2015-07-30 10:22:34\t0\t0\t0\t0\n"
        )
        .await,
        "OK:1"
    );

    // table=options (reply OK) tells us the model; ATTPHOTO is acknowledged.
    let opts = b"~DeviceName=iFace302,FirmVer=Ver 8.0.4.7-20150320,UserCount=12,FPCount=20,TransactionCount=5";
    assert_eq!(post_ok(&s, "/iclock/cdata?SN=0316144680030&table=options", opts).await, "OK");
    let mut photo = b"PIN=20150731103012-123.jpg\nSN=0316144680030\nsize=4\nCMD=uploadphoto\0".to_vec();
    photo.extend_from_slice(&[0xFF, 0xD8, 0x00, 0xD9]);
    assert_eq!(post_ok(&s, "/iclock/cdata?SN=0316144680030&table=ATTPHOTO&Stamp=5", &photo).await, "OK");
    let d = device(&s, &o.operator, SN).await;
    assert_eq!(d["model"], "iFace302");
    assert_eq!((d["users"].as_i64(), d["records"].as_i64()), (Some(12), Some(5)));
    assert_eq!(d["state"], "active");
    let r = term(&s, Method::GET, "/iclock/cdata?SN=0316144680030&options=all", b"").await;
    assert!(r.body.contains("\nStamp=2\nOpStamp=78\nPhotoStamp=5\n"), "{}", r.body);
}

#[tokio::test]
async fn unknown_serial_is_quarantined_until_approved() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let path = "/iclock/cdata?SN=NEW0001&table=ATTLOG&Stamp=1";
    assert_eq!(post_ok(&s, path, b"3\t2025-11-03 07:20:00\t0\t1\t0\t0\t0\n").await, "OK:1");
    assert!(punches_of(&s, &o.head, &nip(3)).await.is_empty(), "nothing counts before approval");

    let (_, list) = s.get("/api/v1/devices?state=pending", &o.admin).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["sn"].as_str(), items[0]["ip"].as_str()), (Some("NEW0001"), Some("127.0.0.1")));
    assert!(items[0]["last_seen"].is_string());
    // Pending terminals have no unit yet: operators do not see them and may not approve them.
    let (_, list) = s.get("/api/v1/devices?state=pending", &o.operator).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (st, _) = s.post("/api/v1/devices/NEW0001/approve", &o.operator, json!({"unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, b) = s.get("/api/v1/devices", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");

    let (st, b) = s.post("/api/v1/devices/NEW0001/approve", &o.admin, json!({"unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["released"].as_u64(), b["device"]["state"].as_str()), (Some(1), Some("active")));
    let p3 = punches_of(&s, &o.head, &nip(3)).await;
    assert_eq!(p3.len(), 1);
    assert_eq!(p3[0]["punched_at"], "2025-11-03T07:20:00+08:00");
    // Later punches count at once; the approval is audited.
    post_ok(&s, path, b"3\t2025-11-03 16:00:00\t1\t1\t0\t0\t0\n").await;
    assert_eq!(punches_of(&s, &o.head, &nip(3)).await.len(), 2);
    let (_, audit) = s.get("/api/v1/audit?entity=device", &o.admin).await;
    assert!(audit.to_string().contains("approve"), "{audit}");

    // Registering a serial twice is a conflict; bad input gets clear errors.
    register(&s, &o.admin, "T2", "RSUD").await;
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": "T2", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": "a b", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_sn")));
    let (st, b) =
        s.post("/api/v1/devices", &o.admin, json!({"sn": "T3", "unit_code": "SD1", "timezone": "Mars/Base"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_timezone")));
    // An operator of DIK cannot register a terminal for RSUD.
    let (st, _) = s.post("/api/v1/devices", &o.operator, json!({"sn": "T4", "unit_code": "RSUD"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A WIB override changes how the clock is read.
    let (st, _) =
        s.post("/api/v1/devices", &o.admin, json!({"sn": "T5", "unit_code": "SD1", "timezone": "Asia/Jakarta"})).await;
    assert_eq!(st, StatusCode::CREATED);
    post_ok(&s, "/iclock/cdata?SN=T5&table=ATTLOG", b"2\t2025-11-05 07:10:00\t0\t1\n").await;
    let p2 = punches_of(&s, &o.head, &nip(2)).await;
    assert_eq!(p2[0]["punched_at"], "2025-11-05T08:10:00+08:00", "07:10 WIB is 08:10 WITA");
}

#[tokio::test]
async fn commands_sync_employees_and_results() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, SN, "SD1").await; // issue 16: registering is an admin decision

    // Section 9: INFO on the poll; nothing queued → OK.
    let poll = "/iclock/getrequest?SN=0316144680030&INFO=Ver%202.0.12-20150625,3,7,120,192.168.16.27,10,7,15,0,111";
    assert_eq!(get_ok(&s, poll).await, "OK");
    let d = device(&s, &o.operator, SN).await;
    assert_eq!(d["firmware"], "Ver 2.0.12-20150625");
    assert_eq!((d["users"].as_i64(), d["fingerprints"].as_i64(), d["records"].as_i64()), (Some(3), Some(7), Some(120)));
    assert_eq!(d["reported_ip"], "192.168.16.27");

    // Sinkron pegawai: SD1 has employees 2 and 3; 3 was deactivated → one update, one delete.
    let (st, _) = s.post(&format!("/api/v1/employees/{}/deactivate", nip(3)), &o.operator, Value::Null).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = s.post(&format!("/api/v1/devices/{SN}/sync-employees"), &o.head, Value::Null).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "heads only read: {b}");
    let (st, b) = s.post(&format!("/api/v1/devices/{SN}/sync-employees"), &o.operator, Value::Null).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"queued": 2, "updates": 1, "deletes": 1, "relay_sync": false}));
    assert_eq!(device(&s, &o.operator, SN).await["pending_commands"], 2);

    let (_, cmds) = s.get(&format!("/api/v1/devices/{SN}/commands"), &o.operator).await;
    let mut cmds: Vec<Value> = cmds["items"].as_array().unwrap().clone();
    cmds.reverse(); // oldest first
    assert!(cmds.iter().all(|c| c["state"] == "queued"));
    let id_of = |text: &str| cmds.iter().find(|c| c["command"] == text).unwrap()["id"].as_i64().unwrap();
    let upd = id_of("DATA UPDATE USERINFO PIN=2\tName=Pegawai 2\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000");
    let del = id_of("DATA DELETE USERINFO PIN=3");
    let mut expected: Vec<(i64, String)> = vec![
        (
            upd,
            format!(
                "C:{upd}:DATA UPDATE USERINFO PIN=2\tName=Pegawai 2\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\n"
            ),
        ),
        (del, format!("C:{del}:DATA DELETE USERINFO PIN=3\n")),
    ];
    expected.sort();
    let expected: String = expected.into_iter().map(|(_, l)| l).collect();
    assert_eq!(get_ok(&s, "/iclock/getrequest?SN=0316144680030").await, expected);
    // Sent commands are not sent again.
    assert_eq!(get_ok(&s, "/iclock/getrequest?SN=0316144680030").await, "OK");

    // Section 13: the results, with their meanings.
    let results = format!("ID={upd}&Return=0&CMD=DATA\nID={del}&Return=-10&CMD=DATA\nID=info8487&Return=0&CMD=DATA\n");
    assert_eq!(post_ok(&s, "/iclock/devicecmd?SN=0316144680030", results.as_bytes()).await, "OK");
    let (_, cmds) = s.get(&format!("/api/v1/devices/{SN}/commands"), &o.head).await;
    let by_id = |id: i64| cmds["items"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    let u = by_id(upd);
    assert_eq!(
        (u["state"].as_str(), u["return_code"].as_i64(), u["meaning"].as_str()),
        (Some("ok"), Some(0), Some("berhasil"))
    );
    assert!(u["done_at"].as_str().unwrap().ends_with("+08:00"));
    let d = by_id(del);
    assert_eq!(
        (d["state"].as_str(), d["return_code"].as_i64(), d["meaning"].as_str()),
        (Some("error"), Some(-10), Some("PIN tidak dikenal"))
    );

    // An INFO result updates what we know of the terminal.
    let (st, b) = s.post(&format!("/api/v1/devices/{SN}/commands"), &o.operator, json!({"command": "info"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let info_id = b["items"][0]["id"].as_i64().unwrap();
    assert_eq!(get_ok(&s, "/iclock/getrequest?SN=0316144680030").await, format!("C:{info_id}:INFO\n"));
    let body = format!("ID={info_id}&Return=0&CMD=INFO\n~DeviceName=iFace302\nMAC=00:17:61:01:02:03\nUserCount=12\n");
    assert_eq!(post_ok(&s, "/iclock/devicecmd?SN=0316144680030", body.as_bytes()).await, "OK");
    let dv = device(&s, &o.operator, SN).await;
    assert_eq!((dv["model"].as_str(), dv["users"].as_i64()), (Some("iFace302"), Some(12)));

    // Clear-and-resend: stamps to 0 and CHECK, so the terminal resends everything.
    post_ok(&s, "/iclock/cdata?SN=0316144680030&table=ATTLOG&Stamp=9999", b"2\t2025-11-03 07:10:00\t0\t1\n").await;
    let (st, b) =
        s.post(&format!("/api/v1/devices/{SN}/commands"), &o.operator, json!({"command": "clear_and_resend"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let check = b["items"][0]["id"].as_i64().unwrap();
    let hs = get_ok(&s, "/iclock/cdata?SN=0316144680030&options=all&pushver=2.4.1").await;
    assert!(hs.contains("\nATTLOGStamp=0\n"), "{hs}");
    // Time zone and reboot; nothing after REBOOT in one reply.
    let (st, b) = s
        .post(
            &format!("/api/v1/devices/{SN}/commands"),
            &o.operator,
            json!({"command": "set_timezone", "timezone": "Asia/Jakarta"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let tz = b["items"][0]["id"].as_i64().unwrap();
    assert_eq!(device(&s, &o.operator, SN).await["timezone"], "Asia/Jakarta");
    let (_, b) = s.post(&format!("/api/v1/devices/{SN}/commands"), &o.operator, json!({"command": "reboot"})).await;
    let reboot = b["items"][0]["id"].as_i64().unwrap();
    let (_, b) = s.post(&format!("/api/v1/devices/{SN}/commands"), &o.operator, json!({"command": "check"})).await;
    let after = b["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        get_ok(&s, "/iclock/getrequest?SN=0316144680030").await,
        format!("C:{check}:CHECK\nC:{tz}:SET OPTION TimeZone=7\nC:{reboot}:REBOOT\n")
    );
    assert_eq!(get_ok(&s, "/iclock/getrequest?SN=0316144680030").await, format!("C:{after}:CHECK\n"));
    let (st, b) =
        s.post(&format!("/api/v1/devices/{SN}/commands"), &o.operator, json!({"command": "format_disk"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_command")));
    // A pending terminal cannot be synced.
    term(&s, Method::GET, "/iclock/ping?SN=PENDING9", b"").await;
    let (st, b) = s.post("/api/v1/devices/PENDING9/sync-employees", &o.admin, Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("device_not_active")));
}

#[tokio::test]
async fn silent_terminals() {
    let config = ServerConfig {
        terminals: TerminalConfig {
            silent_minutes: 1,
            work_start: "00:00".into(),
            work_end: "24:00".into(),
            weekdays_only: false,
            ..TerminalConfig::default()
        },
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    for sn in ["QUIET1", "LIVE1", "NEVER1"] {
        register(&s, &o.admin, sn, "SD1").await;
    }
    let long_ago = Timestamp::now() - 5.minutes();
    s.store
        .device_contact(&DeviceContact { sn: "QUIET1".into(), at: Some(long_ago), ..Default::default() })
        .await
        .unwrap();
    get_ok(&s, "/iclock/ping?SN=LIVE1").await;
    // A pending terminal is never "silent".
    s.store
        .device_contact(&DeviceContact { sn: "PEND1".into(), at: Some(long_ago), ..Default::default() })
        .await
        .unwrap();

    let (st, list) = s.get("/api/v1/devices?state=silent", &o.operator).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let sns: Vec<&str> = list["items"].as_array().unwrap().iter().map(|d| d["sn"].as_str().unwrap()).collect();
    assert_eq!(sns, ["NEVER1", "QUIET1"]);
    let (_, all) = s.get("/api/v1/devices?unit=SD1", &o.head).await;
    let all = all["items"].as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|d| d["sn"] == "LIVE1" && d["silent"] == false && d["last_seen"].is_string()));
    let (st, _) = s.get("/api/v1/devices?state=sleepy", &o.admin).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // The gauge is exported.
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hadir_devices_silent"), "{metrics}");
}
