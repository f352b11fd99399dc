//! Issue 16, terminals and relays: a terminal's or relay's punch counts only when the channel
//! proves the person was there then (an employee of the terminal's unit, at a time near its
//! receipt); otherwise it waits in the review queue. Each attack is sent as real PUSH bytes or a
//! real relay upload over HTTP, and checked for its refusal and for nothing having changed.

mod common;

use common::*;
use hadir_server::ServerConfig;
use hadir_store::{CommandState, PunchFilter};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn today() -> Date {
    Timestamp::now().to_zoned_datetime(wita()).date()
}

/// The weekday at least `days` before today.
fn weekday_before(days: i64) -> Date {
    let mut d = today().checked_sub(days.days()).unwrap();
    while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        d = d.yesterday().unwrap();
    }
    d
}

/// A weekday of last month (its day is closed: TK without punches).
fn last_month_weekday(nth: i64) -> Date {
    let mut d = today().first_of_month().checked_sub(1.month()).unwrap().checked_add(nth.days()).unwrap();
    while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        d = d.tomorrow().unwrap();
    }
    d
}

fn wall(d: Date, h: i8, m: i8) -> String {
    d.at(h, m, 0, 0).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// An ATTLOG line as a terminal sends it.
fn line(pin: &str, time: &str) -> String {
    format!("{pin}\t{time}\t0\t1\t0\t0\t0\n")
}

struct Reply {
    status: StatusCode,
    body: String,
}

/// A raw request as a terminal sends it (optionally claiming an address via X-Forwarded-For).
async fn term(s: &TestServer, method: Method, path: &str, body: &[u8], forwarded: Option<&str>) -> Reply {
    let mut req = s.client.request(method, s.url(path)).header("User-Agent", "iClock Proxy/1.09");
    if let Some(f) = forwarded {
        req = req.header("X-Forwarded-For", f);
    }
    if !body.is_empty() {
        req = req.header("Content-Type", "text/plain").body(body.to_vec());
    }
    let r = req.send().await.unwrap();
    Reply { status: r.status(), body: r.text().await.unwrap() }
}

async fn push(s: &TestServer, sn: &str, stamp: u64, body: &str) -> Reply {
    term(s, Method::POST, &format!("/iclock/cdata?SN={sn}&table=ATTLOG&Stamp={stamp}"), body.as_bytes(), None).await
}

async fn register(s: &TestServer, admin: &str, sn: &str, unit: &str) {
    let (st, b) = s.post("/api/v1/devices", admin, json!({"sn": sn, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}

/// The day's status as the employee's month view shows it.
async fn status(s: &TestServer, token: &str, d: Date) -> String {
    let (st, b) = s.get(&format!("/api/v1/me/days?month={:04}-{:02}", d.year(), d.month()), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["days"][(d.day() - 1) as usize]["status"].as_str().unwrap_or_default().to_string()
}

async fn my_punches(s: &TestServer, token: &str) -> Vec<Value> {
    let (st, b) = s.get("/api/v1/punches", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["items"].as_array().cloned().unwrap_or_default()
}

async fn chained(s: &TestServer, sn: &str) -> usize {
    s.store
        .list_punches(&PunchFilter { device_sn: Some(sn.into()), include_quarantined: true, ..Default::default() })
        .await
        .unwrap()
        .len()
}

async fn accept_terminal(s: &TestServer, token: &str, sn: &str) -> u64 {
    let body = json!({"filter": {"device_sn": sn}, "accept": true, "note": "data mesin setelah gangguan"});
    let (st, b) = s.post("/api/v1/review/punches/decide", token, body).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["decided"].as_u64().unwrap()
}

/// Days are recomputed after commit, off the request path.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Backlog rules that let last month's days be used where the backlog is not the point.
fn long_backlog() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.terminals.backlog_hours = 24 * 70;
    c
}

#[tokio::test]
async fn a_pin_of_another_unit_waits_for_that_units_operator() {
    let s = TestServer::start_with(long_backlog()).await;
    let o = org(&s).await;
    register(&s, &o.admin, "SD1-T", "SD1").await;
    s.employee(&o.admin, &nip(6), "RSUD", "60").await;
    s.grant(&o.admin, &nip(6), "operator", "RSUD").await;
    let rsud_operator = s.login(&nip(6), PW).await;
    let d = last_month_weekday(3);
    assert_eq!(status(&s, &o.emp_rsud, d).await, "TK");

    // The attack: SD1's terminal serial posts PIN 4, an RSUD employee. Stored, not counted.
    let body = line("4", &wall(d, 7, 5)) + &line("4", &wall(d, 16, 10));
    let r = push(&s, "SD1-T", 10, &body).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:2"));
    settle().await;
    assert_eq!(status(&s, &o.emp_rsud, d).await, "TK", "a PIN outside the terminal's unit does not count");
    let mine = my_punches(&s, &o.emp_rsud).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|p| p["state"] == "pending" && p["review"] == "pin_out_of_unit"), "{mine:?}");

    // DIK's operator (the terminal's side) does not see it; RSUD's operator does, with the reason.
    let (_, list) = s.get("/api/v1/review/punches", &o.operator).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    let (st, list) = s.get("/api/v1/review/punches?device_sn=SD1-T", &rsud_operator).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][0]["reason_label"], "PIN di luar unit mesin");
    assert_eq!(accept_terminal(&s, &rsud_operator, "SD1-T").await, 2);
    settle().await;
    assert_eq!(status(&s, &o.emp_rsud, d).await, "HADIR");

    // The same through a PIN given later: an unknown PIN of SD1's terminal, then assigned to an
    // RSUD employee. Linked, but held: it does not count unseen.
    let d2 = last_month_weekday(10);
    let e7 = s.employee(&o.admin, &nip(7), "RSUD", "70").await;
    assert_eq!(e7["device_pin"], "70");
    let emp7 = s.login(&nip(7), PW).await;
    assert_eq!(push(&s, "SD1-T", 11, &line("777", &wall(d2, 7, 0))).await.body, "OK:1");
    let (st, b) = s
        .call(Method::PATCH, &format!("/api/v1/employees/{}", nip(7)), Some(&o.admin), json!({"device_pin": "777"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    settle().await;
    let mine = my_punches(&s, &emp7).await;
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0]["state"].as_str(), mine[0]["review"].as_str()), (Some("pending"), Some("pin_out_of_unit")));
    assert_eq!(status(&s, &emp7, d2).await, "TK");
    // A PIN given to an employee of the terminal's own unit counts as before.
    assert_eq!(push(&s, "SD1-T", 12, &line("888", &wall(d2, 7, 30))).await.body, "OK:1");
    let (st, b) = s
        .call(Method::PATCH, &format!("/api/v1/employees/{}", nip(3)), Some(&o.admin), json!({"device_pin": "888"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d2).await, "HADIR");
}

#[tokio::test]
async fn a_bare_stamp_does_not_move_the_upload_mark() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, "STAMP1", "SD1").await;
    let stamp = |s: &TestServer| {
        let store = s.store.clone();
        async move { store.device_by_sn("STAMP1").await.unwrap().attlog_stamp }
    };

    // The attack: Stamp=9999999999 with no lines (or only garbage) would make the real terminal
    // believe the server holds everything.
    let r = push(&s, "STAMP1", 9_999_999_999, "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:0"));
    let r = push(&s, "STAMP1", 9_999_999_999, "garbage line\n").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:0"));
    assert_eq!(stamp(&s).await, 0);
    let hs = term(&s, Method::GET, "/iclock/cdata?SN=STAMP1&options=all", b"", None).await;
    assert!(hs.body.contains("\nStamp=0\n"), "{}", hs.body);
    assert_eq!(chained(&s, "STAMP1").await, 0);

    // A real batch moves it.
    let t = Timestamp::now() - 1.hour();
    let local = t.to_zoned_datetime(wita()).datetime().strftime("%Y-%m-%d %H:%M:%S").to_string();
    let r = push(&s, "STAMP1", 500, &line("3", &local)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:1"));
    assert_eq!(stamp(&s).await, 500);
    // A resent batch (already held) is received too.
    let r = push(&s, "STAMP1", 501, &line("3", &local)).await;
    assert_eq!(r.body, "OK:1");
    assert_eq!(stamp(&s).await, 501);
    let hs = term(&s, Method::GET, "/iclock/cdata?SN=STAMP1&options=all", b"", None).await;
    assert!(hs.body.contains("\nStamp=501\n"), "{}", hs.body);
}

#[tokio::test]
async fn a_bound_terminal_refuses_other_addresses_and_nothing_changes() {
    let s = TestServer::start_with(long_backlog()).await;
    let o = org(&s).await;
    register(&s, &o.admin, "BOUND1", "SD1").await;
    let d = last_month_weekday(4);

    // One click from the address it last spoke from: the operator of its unit binds it.
    assert_eq!(term(&s, Method::GET, "/iclock/ping?SN=BOUND1", b"", None).await.body, "OK");
    let (st, b) = s.post("/api/v1/devices/BOUND1/bind", &o.operator, json!({"from_last_seen": true})).await;
    assert_eq!((st, b["bound_cidr"].as_str()), (StatusCode::OK, Some("127.0.0.1/32")), "{b}");
    // Someone else's terminal is not theirs to bind; nonsense is refused clearly.
    let (st, _) = s.post("/api/v1/devices/BOUND1/bind", &o.emp_sd1, json!({"cidr": "0.0.0.0/0"})).await;
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND, "{st}");
    let (st, b) = s.post("/api/v1/devices/BOUND1/bind", &o.admin, json!({"cidr": "10.0.0.0/33"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cidr")));
    // From its own address it still works.
    let r = push(&s, "BOUND1", 7, &line("3", &wall(d, 7, 1))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:1"));

    // Now bound to the office LAN, which 127.0.0.1 is not in.
    let (st, b) = s.post("/api/v1/devices/BOUND1/bind", &o.admin, json!({"cidr": "10.9.0.77/16"})).await;
    assert_eq!((st, b["bound_cidr"].as_str()), (StatusCode::OK, Some("10.9.0.0/16")), "{b}");
    let (st, b) = s.post("/api/v1/devices/BOUND1/commands", &o.operator, json!({"command": "info"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let cmd = b["items"][0]["id"].as_i64().unwrap();
    let before = s.store.device_by_sn("BOUND1").await.unwrap();
    let punches_before = chained(&s, "BOUND1").await;
    let day_before = status(&s, &o.emp_sd1, d).await;

    // The attack, from elsewhere: every endpoint is refused and changes nothing.
    let attempts: Vec<(Method, String, Vec<u8>)> = vec![
        (
            Method::POST,
            "/iclock/cdata?SN=BOUND1&table=ATTLOG&Stamp=9999999999".into(),
            line("3", &wall(d, 16, 2)).into_bytes(),
        ),
        (Method::GET, "/iclock/getrequest?SN=BOUND1&INFO=Ver%201,1,1,1,6.6.6.6,1,1,1,0,1".into(), vec![]),
        (Method::POST, "/iclock/devicecmd?SN=BOUND1".into(), format!("ID={cmd}&Return=0&CMD=INFO\n").into_bytes()),
        (Method::POST, "/iclock/cdata?SN=BOUND1&table=options".into(), b"~DeviceName=Evil,UserCount=999".to_vec()),
        (
            Method::POST,
            "/iclock/cdata?SN=BOUND1&table=OPERLOG&Stamp=9999999999".into(),
            b"OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0\n".to_vec(),
        ),
        (Method::GET, "/iclock/cdata?SN=BOUND1&options=all".into(), vec![]),
        (Method::GET, "/iclock/ping?SN=BOUND1".into(), vec![]),
    ];
    for (m, path, body) in attempts {
        let r = term(&s, m, &path, &body, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(r.body.starts_with("ERROR: "), "{path}: {}", r.body);
    }
    // X-Forwarded-For is not trusted in this configuration.
    let r = term(&s, Method::GET, "/iclock/getrequest?SN=BOUND1", b"", Some("10.9.1.2")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let after = s.store.device_by_sn("BOUND1").await.unwrap();
    assert_eq!(after, before, "no contact, stamp, options or command change");
    assert_eq!(chained(&s, "BOUND1").await, punches_before, "no punches");
    let cmds = s.store.list_device_commands("BOUND1", 10).await.unwrap();
    let c = cmds.iter().find(|c| c.id == cmd).unwrap();
    assert_eq!((c.state, c.sent_at, c.return_code), (CommandState::Queued, None, None), "still queued");
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, day_before);
    let (_, audit) = s.get("/api/v1/audit?entity=device", &o.admin).await;
    assert!(audit.to_string().contains("\"bind\""), "{audit}");
}

#[tokio::test]
async fn a_bound_terminal_behind_a_trusted_proxy() {
    let mut c = ServerConfig { trust_forwarded_for: true, ..ServerConfig::default() };
    c.terminals.backlog_hours = 72;
    let s = TestServer::start_with(c).await;
    let o = org(&s).await;
    register(&s, &o.admin, "PROXIED", "SD1").await;
    let (st, b) = s.post("/api/v1/devices/PROXIED/bind", &o.admin, json!({"cidr": "10.9.0.0/16"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let r = term(&s, Method::GET, "/iclock/ping?SN=PROXIED", b"", Some("10.9.3.4")).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK"));
    let r = term(&s, Method::GET, "/iclock/ping?SN=PROXIED", b"", Some("203.0.113.9")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let d = s.store.device_by_sn("PROXIED").await.unwrap();
    assert_eq!(d.ip.as_deref(), Some("10.9.3.4"));
}

#[tokio::test]
async fn a_backlog_waits_and_is_accepted_in_one_click_per_terminal() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, "BACK1", "SD1").await;
    let d = weekday_before(5);
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");

    // Punches 5 days old (the default limit is 72 h): stored, not counted.
    let body = line("3", &wall(d, 7, 3)) + &line("3", &wall(d, 16, 4)) + &line("2", &wall(d, 7, 9));
    let r = push(&s, "BACK1", 42, &body).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:3"));
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");
    let mine = my_punches(&s, &o.emp_sd1).await;
    assert!(mine.iter().all(|p| p["state"] == "pending" && p["review"] == "backlog"), "{mine:?}");
    let (_, list) = s.get("/api/v1/review/punches?reason=backlog", &o.operator).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][0]["reason_label"], "Data lama dari mesin");

    // One click for the terminal counts them all.
    assert_eq!(accept_terminal(&s, &o.operator, "BACK1").await, 3);
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");
    assert!(my_punches(&s, &o.emp_sd1).await.iter().all(|p| p["state"] == "counted"));
}

#[tokio::test]
async fn a_relay_after_a_two_day_outage_waits_and_is_accepted_in_one_click() {
    // A 24 h limit makes a 2-day outage a backlog (the default 72 h would let it count at once).
    let mut c = ServerConfig::default();
    c.terminals.backlog_hours = 24;
    let s = TestServer::start_with(c).await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/relays", &o.admin, json!({"name": "Pijo SD1", "unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let token = b["token"].as_str().unwrap().to_string();
    register(&s, &o.admin, "RLY-SD1", "SD1").await;
    let d = weekday_before(2);
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");

    let p = |pin: &str, h: i8, m: i8| json!({"sn": "RLY-SD1", "pin": pin, "time": d.at(h, m, 0, 0).strftime("%Y-%m-%dT%H:%M:%S").to_string(), "status": 0, "verify": 1});
    let (st, b) = s
        .post(
            "/api/v1/relay/punches",
            &token,
            json!({"terminals": [{"sn": "RLY-SD1", "reachable": true}], "punches": [p("3", 7, 2), p("3", 16, 1)]}),
        )
        .await;
    assert_eq!((st, b["accepted"].as_u64()), (StatusCode::OK, Some(2)), "{b}");
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");
    let mine = my_punches(&s, &o.emp_sd1).await;
    assert!(mine.iter().all(|p| p["state"] == "pending" && p["review"] == "backlog" && p["source"] == "relay"));
    assert_eq!(accept_terminal(&s, &o.head, "RLY-SD1").await, 2);
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");
}

#[tokio::test]
async fn punches_ahead_of_the_server_clock_wait() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    register(&s, &o.admin, "FUT1", "SD1").await;
    let ahead = (Timestamp::now() + 30.minutes()).to_zoned_datetime(wita()).datetime();
    let near = (Timestamp::now() + 2.minutes()).to_zoned_datetime(wita()).datetime();
    let fmt = |t: DateTime| t.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let r = push(&s, "FUT1", 3, &(line("3", &fmt(ahead)) + &line("2", &fmt(near)))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:2"));
    let mine = my_punches(&s, &o.emp_sd1).await;
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0]["state"].as_str(), mine[0]["review"].as_str()), (Some("pending"), Some("future")));
    let (_, list) = s.get("/api/v1/review/punches?reason=future", &o.admin).await;
    assert_eq!(list["items"][0]["reason_label"], "Waktu di depan jam server");
    // Two minutes ahead is within the tolerance: it counts.
    let head = my_punches(&s, &o.head).await;
    assert_eq!((head[0]["state"].as_str(), head[0]["review"].as_str()), (Some("counted"), None));
}

#[tokio::test]
async fn operators_propose_terminals_and_admins_decide() {
    let s = TestServer::start_with(long_backlog()).await;
    let o = org(&s).await;
    let d = last_month_weekday(6);
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");
    let chain_before = s.store.verify_chain().await.unwrap();
    assert_eq!(chain_before.first_broken, None);

    // The attack: an operator registers a serial for their unit and pushes punches for an employee.
    let (st, b) = s.post("/api/v1/devices", &o.operator, json!({"sn": "OPS1", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("admin_decision")), "{b}");
    assert_eq!(b["error"]["details"]["proposal"], true);
    let r = push(&s, "OPS1", 1, &(line("3", &wall(d, 7, 0)) + &line("3", &wall(d, 16, 0)))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "OK:2"));
    // Approving it themselves is refused too (the proposal is recorded again).
    let (st, b) = s.post("/api/v1/devices/OPS1/approve", &o.operator, json!({"unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("admin_decision")), "{b}");
    let (_, dv) = s.get("/api/v1/devices/OPS1", &o.operator).await;
    assert_eq!(
        (dv["state"].as_str(), dv["proposed_by"].as_str(), dv["quarantined"].as_i64()),
        (Some("pending"), Some(nip(1).as_str()), Some(2))
    );
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK", "nothing counts");
    assert!(my_punches(&s, &o.emp_sd1).await.is_empty());
    assert_eq!(s.store.verify_chain().await.unwrap().checked, chain_before.checked, "quarantine is outside the chain");
    let (_, audit) = s.get("/api/v1/audit?entity=device", &o.admin).await;
    assert!(audit.to_string().contains("propose"), "{audit}");

    // The admin decides: the quarantined punches move into the chain and count.
    let (st, b) = s.post("/api/v1/devices/OPS1/approve", &o.admin, json!({"unit_code": "SD1"})).await;
    assert_eq!((st, b["released"].as_u64(), b["device"]["state"].as_str()), (StatusCode::OK, Some(2), Some("active")));
    assert_eq!(b["device"]["quarantined"], 0);
    let chain = s.store.verify_chain().await.unwrap();
    assert_eq!((chain.checked, chain.first_broken), (chain_before.checked + 2, None));
    settle().await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");
    let mine = my_punches(&s, &o.emp_sd1).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|p| p["state"] == "counted" && p["source"] == "terminal"));
}

#[tokio::test]
async fn floods_of_lines_and_serials_are_bounded_and_pending_terminals_can_be_discarded() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let chain_before = s.store.verify_chain().await.unwrap().checked;
    let t = Timestamp::now() - 1.hour();
    let local = t.to_zoned_datetime(wita()).datetime().strftime("%Y-%m-%d %H:%M:%S").to_string();

    // 100,000 lines in one request: 413, nothing stored (not even the serial).
    let huge: String = (0..100_000).map(|i| line(&format!("{}", 10_000 + i), &local)).collect();
    let r = push(&s, "FLOOD", 1, &huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.starts_with("ERROR: "), "{}", r.body);
    // Just over the line limit (small enough for the body limit): 413 too.
    let over: String = (0..5001).map(|i| line(&format!("{i}"), &local)).collect();
    let r = push(&s, "FLOOD", 1, &over).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.starts_with("ERROR: terlalu banyak baris"), "{}", r.body);
    assert!(s.store.device_by_sn("FLOOD").await.is_err(), "nothing stored");
    // A real terminal's batch of a few hundred passes (kept in quarantine: it is unknown).
    let batch: String = (0..300).map(|i| line(&format!("{}", 500 + i), &local)).collect();
    assert_eq!(push(&s, "P00", 1, &batch).await.body, "OK:300");
    assert_eq!(s.store.device_by_sn("P00").await.unwrap().quarantined, 300);

    // 60 new serials: the pending cap (50) refuses the 51st and later; nothing is stored for them.
    let mut refused = 0;
    for i in 1..60 {
        let r = term(&s, Method::GET, &format!("/iclock/cdata?SN=P{i:02}&options=all"), b"", None).await;
        if r.status == StatusCode::FORBIDDEN {
            assert!(r.body.starts_with("ERROR: "), "{}", r.body);
            refused += 1;
        } else {
            assert_eq!(r.status, StatusCode::OK);
        }
    }
    assert_eq!(refused, 10);
    let pending = |s: &TestServer, admin: String| {
        let s_base = s.url("/api/v1/devices?state=pending");
        let client = s.client.clone();
        async move {
            let b: Value = client.get(s_base).bearer_auth(admin).send().await.unwrap().json().await.unwrap();
            b["items"].as_array().unwrap().iter().map(|d| d["sn"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    let list = pending(&s, o.admin.clone()).await;
    assert_eq!(list.len(), 50);
    assert!(!list.contains(&"P50".to_string()) && !list.contains(&"P59".to_string()));
    assert!(s.store.device_by_sn("P55").await.is_err());
    let r = push(&s, "P59", 1, &line("3", &local)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "its punches are refused too");

    // The admin discards the flooding serial: its quarantined punches are gone, and none was
    // ever in the chain. An operator may not.
    let (st, _) = s.call(Method::DELETE, "/api/v1/devices/P00", Some(&o.operator), Value::Null).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = s.call(Method::DELETE, "/api/v1/devices/P00", Some(&o.admin), Value::Null).await;
    assert_eq!((st, b["discarded"].as_u64()), (StatusCode::OK, Some(300)), "{b}");
    assert!(s.store.device_by_sn("P00").await.is_err());
    assert!(s.store.quarantined_punches("P00", 10).await.unwrap().is_empty());
    assert_eq!(s.store.verify_chain().await.unwrap().checked, chain_before);
    assert_eq!(chained(&s, "P00").await, 0);
    let (_, audit) = s.get("/api/v1/audit?entity=device", &o.admin).await;
    assert!(audit.to_string().contains("discard"), "{audit}");
    // An active terminal is not discarded this way.
    register(&s, &o.admin, "KEEP1", "SD1").await;
    let (st, b) = s.call(Method::DELETE, "/api/v1/devices/KEEP1", Some(&o.admin), Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("device_not_pending")));
    // There is room for one more pending terminal now.
    let r = term(&s, Method::GET, "/iclock/cdata?SN=P55&options=all", b"", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(pending(&s, o.admin.clone()).await.len(), 50);
}

#[tokio::test]
async fn a_relay_cannot_speak_for_another_units_terminal() {
    let s = TestServer::start_with(long_backlog()).await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/relays", &o.admin, json!({"name": "Pijo Diknas", "unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let token = b["token"].as_str().unwrap().to_string();
    register(&s, &o.admin, "RSUD-T", "RSUD").await;
    let before = s.store.device_by_sn("RSUD-T").await.unwrap();
    let d = last_month_weekday(7);
    assert_eq!(status(&s, &o.emp_rsud, d).await, "TK");

    // The attack: DIK's relay token posts punches for RSUD's terminal and employee.
    let t = |h: i8| d.at(h, 0, 0, 0).strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let (st, b) = s
        .post(
            "/api/v1/relay/punches",
            &token,
            json!({"terminals": [{"sn": "RSUD-T", "address": "192.168.9.9:4370", "reachable": true}],
                   "punches": [{"sn": "RSUD-T", "pin": "4", "time": t(7)}, {"sn": "RSUD-T", "pin": "4", "time": t(16)}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["accepted"].as_u64(), b["duplicates"].as_u64()), (Some(0), Some(0)));
    assert_eq!(
        b["rejected"],
        json!([{"index": 0, "reason": "terminal_of_other_unit"}, {"index": 1, "reason": "terminal_of_other_unit"}])
    );
    let after = s.store.device_by_sn("RSUD-T").await.unwrap();
    assert_eq!(after, before, "still RSUD's, not re-homed to the relay, nothing recorded");
    assert_eq!(chained(&s, "RSUD-T").await, 0);
    assert!(s.store.quarantined_punches("RSUD-T", 10).await.unwrap().is_empty());
    settle().await;
    assert_eq!(status(&s, &o.emp_rsud, d).await, "TK");

    // A new serial it reports becomes pending in its unit, not active.
    let (_, b) = s
        .post(
            "/api/v1/relay/punches",
            &token,
            json!({"terminals": [], "punches": [{"sn": "NEW-DIK", "pin": "3", "time": t(7)}]}),
        )
        .await;
    assert_eq!(b["accepted"], 1);
    let nd = s.store.device_by_sn("NEW-DIK").await.unwrap();
    assert_eq!((nd.state.as_str(), nd.unit_code.as_deref(), nd.quarantined), ("pending", Some("DIK"), 1));
}
