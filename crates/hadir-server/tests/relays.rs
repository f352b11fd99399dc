//! Issue 6, server side: relay registration, the idempotent punch upload, the roster.

mod common;

use common::*;
use hadir_server::ServerConfig;
use hadir_store::PunchFilter;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create_relay(s: &TestServer, admin: &str, name: &str, unit: &str) -> (i64, String) {
    let (st, b) = s.post("/api/v1/relays", admin, json!({"name": name, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    (b["id"].as_i64().unwrap(), b["token"].as_str().unwrap().to_string())
}

fn batch(punches: Value) -> Value {
    json!({
        "terminals": [{"sn": "RLY001", "address": "192.168.1.201:4370", "firmware": "Ver 6.60 Apr 28 2017",
                       "users": 30, "records": 1200, "clock_drift_secs": 3, "last_pull": "2025-11-03T00:05:00Z",
                       "reachable": true, "last_error": null}],
        "punches": punches,
    })
}

fn punch(pin: &str, time: &str) -> Value {
    json!({"sn": "RLY001", "pin": pin, "time": time, "timezone": null, "status": 0, "verify": 1, "workcode": 0})
}

#[tokio::test]
async fn relay_upload_is_idempotent_and_shares_keys_with_push() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, _) = s.post("/api/v1/relays", &o.operator, json!({"name": "x", "unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "admins only");
    let (id, token) = create_relay(&s, &o.admin, "Pijo Dinas Pendidikan", "DIK").await;

    let body = batch(json!([
        punch("2", "2025-11-03T07:10:00"),
        punch("3", "2025-11-03T07:12:30"),
        punch("99", "2025-11-03T07:13:00"),
        {"sn": "RLY001", "pin": "3", "time": "2025-11-03T07:10:00", "timezone": "Asia/Jakarta", "status": 0, "verify": 1, "workcode": null},
        punch("2", "03/11/2025 07:10"),
    ]));
    let (st, b) = s.post("/api/v1/relay/punches", &token, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (b["accepted"].as_u64(), b["duplicates"].as_u64(), b["sync_roster"].as_bool()),
        (Some(4), Some(0), Some(false))
    );
    assert_eq!(b["rejected"], json!([{"index": 4, "reason": "invalid_time"}]));
    // The same batch again (the relay lost the reply): nothing new.
    let (st, b) = s.post("/api/v1/relay/punches", &token, body).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((b["accepted"].as_u64(), b["duplicates"].as_u64()), (Some(0), Some(4)));

    // Issue 16: a relay never activates a terminal. RLY001 is pending in the relay's unit, its
    // punches in quarantine (outside the chain) until an admin approves it.
    let (_, d) = s.get("/api/v1/devices/RLY001", &o.operator).await;
    assert_eq!(
        (d["state"].as_str(), d["unit_code"].as_str(), d["quarantined"].as_i64()),
        (Some("pending"), Some("DIK"), Some(4))
    );
    assert!(s.store.punch_by_dedup_key("t:RLY001:2:2025-11-03T07:10:00").await.unwrap().is_none());
    let (st, b) = s.post("/api/v1/devices/RLY001/approve", &o.admin, json!({"unit_code": "DIK"})).await;
    assert_eq!((st, b["released"].as_u64()), (StatusCode::OK, Some(4)), "{b}");

    // Stored as relay punches, in the terminal's zone (its unit's: WITA) or the relay's override.
    let (_, p2) = s.get(&format!("/api/v1/punches?employee={}", nip(2)), &o.head).await;
    let p2 = p2["items"].as_array().unwrap().clone();
    assert_eq!(p2.len(), 1);
    assert_eq!(
        (p2[0]["source"].as_str(), p2[0]["punched_at"].as_str()),
        (Some("relay"), Some("2025-11-03T07:10:00+08:00"))
    );
    let (_, p3) = s.get(&format!("/api/v1/punches?employee={}", nip(3)), &o.head).await;
    let times: Vec<&str> = p3["items"].as_array().unwrap().iter().map(|p| p["punched_at"].as_str().unwrap()).collect();
    assert_eq!(times, ["2025-11-03T07:12:30+08:00", "2025-11-03T08:10:00+08:00"]);
    let stored = s.store.punch_by_dedup_key("t:RLY001:2:2025-11-03T07:10:00").await.unwrap().unwrap();
    assert_eq!(stored.p.punched_at.to_string(), "2025-11-02T23:10:00Z");

    // The same punch pushed by the terminal itself never counts twice.
    let r = s
        .client
        .post(s.url("/iclock/cdata?SN=RLY001&table=ATTLOG&Stamp=1"))
        .header("User-Agent", "iClock Proxy/1.09")
        .body("2\t2025-11-03 07:10:00\t0\t1\t0\t0\t0\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "OK:1");
    let all =
        s.store.list_punches(&PunchFilter { device_sn: Some("RLY001".into()), ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 4);

    // The terminal appears in the list with the relay and its LAN address, in the relay's unit.
    let (_, d) = s.get("/api/v1/devices/RLY001", &o.operator).await;
    assert_eq!((d["unit_code"].as_str(), d["state"].as_str()), (Some("DIK"), Some("active")));
    assert_eq!(
        (d["relay_name"].as_str(), d["lan_address"].as_str()),
        (Some("Pijo Dinas Pendidikan"), Some("192.168.1.201:4370"))
    );
    assert_eq!(
        (d["records"].as_i64(), d["clock_drift_secs"].as_i64(), d["reachable"].as_bool()),
        (Some(1200), Some(3), Some(true))
    );
    assert_eq!(d["last_pull"], "2025-11-03T08:05:00+08:00");
    let (_, relays) = s.get("/api/v1/relays", &o.admin).await;
    assert_eq!(relays["items"][0]["id"], id);
    assert!(relays["items"][0]["last_seen"].is_string());
    assert!(!relays.to_string().contains(&token), "the token is shown once");

    // Unknown PIN 99 waits unmatched, for the operator.
    let (_, un) = s.get("/api/v1/punches/unmatched", &o.operator).await;
    assert_eq!(un["items"][0]["device_pin"], "99");
}

#[tokio::test]
async fn relay_tokens_roster_and_sync() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (id, token) = create_relay(&s, &o.admin, "Pijo Diknas", "DIK").await;
    let (rsud_id, rsud_token) = create_relay(&s, &o.admin, "Pijo RSUD", "RSUD").await;
    assert_ne!(id, rsud_id);

    // Bad tokens: 401 with its own code; a session token is not a relay token either.
    for bad in ["nope", o.admin.as_str()] {
        let (st, b) = s.post("/api/v1/relay/punches", bad, batch(json!([]))).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_relay_token")));
    }
    let (st, _) = s.call(Method::GET, "/api/v1/relay/roster", None, Value::Null).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // The roster is the relay's unit subtree: DIK has employee 1, SD1 has 2 and 3; RSUD's 4 is not in it.
    let (st, r) = s.get("/api/v1/relay/roster", &token).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let mut pins: Vec<&str> = r["users"].as_array().unwrap().iter().map(|u| u["pin"].as_str().unwrap()).collect();
    pins.sort();
    assert_eq!(pins, ["1", "2", "3"]);
    assert_eq!(
        r["users"].as_array().unwrap().iter().find(|u| u["pin"] == "2").unwrap(),
        &json!({"pin": "2", "name": "Pegawai 2", "privilege": 0, "password": "", "card": "", "active": true})
    );
    assert_eq!(r["removed"], json!([]));
    let (_, r) = s.get("/api/v1/relay/roster", &rsud_token).await;
    assert_eq!(r["users"].as_array().unwrap().len(), 1);
    // Issue 17: a deactivated employee's PIN is listed as removed (the relay deletes only those).
    let (st, _) = s.post(&format!("/api/v1/employees/{}/deactivate", nip(3)), &o.operator, Value::Null).await;
    assert_eq!(st, StatusCode::OK);
    let (_, r) = s.get("/api/v1/relay/roster", &token).await;
    assert_eq!(r["removed"], json!(["3"]), "{r}");
    let (_, r) = s.get("/api/v1/relay/roster", &rsud_token).await;
    assert_eq!(r["removed"], json!([]), "{r}");
    // Moved out of the subtree (2: SD1 → RSUD) or given another PIN (1: 1 → 11): listed as removed
    // for DIK; RSUD's relay, where 2 now works, is told nothing about 2.
    let url = |seq: u16| format!("/api/v1/employees/{}", nip(seq));
    assert_eq!(s.call(Method::PATCH, &url(2), Some(&o.admin), json!({"unit_code": "RSUD"})).await.0, StatusCode::OK);
    assert_eq!(s.call(Method::PATCH, &url(1), Some(&o.admin), json!({"device_pin": "11"})).await.0, StatusCode::OK);
    let (_, r) = s.get("/api/v1/relay/roster", &token).await;
    assert_eq!(r["removed"], json!(["1", "2", "3"]), "{r}");
    let (_, r) = s.get("/api/v1/relay/roster", &rsud_token).await;
    assert_eq!(r["removed"], json!([]), "{r}");
    // Back in the subtree: no longer removed.
    assert_eq!(s.call(Method::PATCH, &url(2), Some(&o.admin), json!({"unit_code": "SD1"})).await.0, StatusCode::OK);
    let (_, r) = s.get("/api/v1/relay/roster", &token).await;
    assert_eq!(r["removed"], json!(["1", "3"]), "{r}");

    // "Sync employees" on a relay terminal asks the relay (sync_roster) until it fetches the roster.
    // (Issue 16: the relay's new terminal is pending until an admin approves it.)
    s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    let (_, b) = s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    assert_eq!(b["sync_roster"], false, "a pending terminal gets no roster");
    let (st, b) = s.post("/api/v1/devices/RLY001/approve", &o.admin, json!({"unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // Approved: its relay is asked to write the roster to it now.
    let (_, b) = s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    assert_eq!(b["sync_roster"], true, "{b}");
    // The audit names that sync as the approval's, not as a person's "Sinkron pegawai".
    let (_, audit) = s.get("/api/v1/audit?entity=device", &o.admin).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"sync_on_approve") && !actions.contains(&"sync_employees"), "{actions:?}");
    s.get("/api/v1/relay/roster", &token).await;
    let (st, b) = s.post("/api/v1/devices/RLY001/sync-employees", &o.operator, Value::Null).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["relay_sync"].as_bool(), b["queued"].as_u64()), (Some(true), Some(0)));
    let (_, b) = s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    assert_eq!(b["sync_roster"], true);
    let (_, b) = s.post("/api/v1/relay/punches", &rsud_token, json!({"terminals": [], "punches": []})).await;
    assert_eq!(b["sync_roster"], false, "only that relay");
    s.get("/api/v1/relay/roster", &token).await;
    let (_, b) = s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    assert_eq!(b["sync_roster"], false);

    // A terminal of another unit keeps its unit when a relay reports it, and (issue 16) the relay
    // does not take it over either.
    let (st, _) = s.post("/api/v1/devices", &o.admin, json!({"sn": "RS-1", "unit_code": "RSUD"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, b) = s
        .post(
            "/api/v1/relay/punches",
            &token,
            json!({"terminals": [{"sn": "RS-1", "address": "10.0.0.9:4370", "reachable": true}], "punches": []}),
        )
        .await;
    assert_eq!(b["accepted"], 0);
    let (_, d) = s.get("/api/v1/devices/RS-1", &o.admin).await;
    assert_eq!(
        (d["unit_code"].as_str(), d["relay_name"].as_str(), d["lan_address"].as_str()),
        (Some("RSUD"), None, None)
    );

    // Revoked: refused from now on.
    let (st, b) = s.post(&format!("/api/v1/relays/{id}/revoke"), &o.admin, Value::Null).await;
    assert_eq!((st, b["revoked"].as_bool()), (StatusCode::OK, Some(true)));
    let (st, b) = s.post("/api/v1/relay/punches", &token, batch(json!([]))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_relay_token")));
    let (st, _) = s.post("/api/v1/relays/9999/revoke", &o.admin, Value::Null).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn relay_body_limit() {
    let s = TestServer::start_with(ServerConfig { max_body_bytes: 4096, ..ServerConfig::default() }).await;
    let o = org(&s).await;
    let (_, token) = create_relay(&s, &o.admin, "Pijo", "DIK").await;
    let many: Vec<Value> =
        (0..200).map(|i| punch("2", &format!("2025-11-03T07:{:02}:{:02}", i / 60, i % 60))).collect();
    let (st, b) = s.post("/api/v1/relay/punches", &token, batch(json!(many))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
}

/// Sends an office-network check-in as the relay forwards it (relay token, multipart).
async fn relay_checkin(s: &TestServer, token: &str, login: &str, key: &str, photo: Vec<u8>) -> (StatusCode, Value) {
    let meta = json!({"login": login, "idempotency_key": key, "punched_at": jiff::Timestamp::now().to_string()});
    let form = reqwest::multipart::Form::new()
        .text("meta", meta.to_string())
        .part("photo", reqwest::multipart::Part::bytes(photo).file_name("selfie.jpg").mime_str("image/jpeg").unwrap());
    let r = s.client.post(s.url("/api/v1/relay/checkins")).bearer_auth(token).multipart(form).send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// Issue 23 point 1 on the office network: a selfie whose bytes a stored punch already holds is a
/// copied file. The relay already told the person "tercatat", so the server cannot refuse it: the
/// punch is stored held with the reason (it does not count until a head decides), and the photo
/// then still blocks a phone check-in that reuses it.
#[tokio::test]
async fn relay_checkin_with_a_reused_photo_waits_for_review() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (_, token) = create_relay(&s, &o.admin, "Jaringan Dinas Pendidikan", "DIK").await;
    let photo = jpeg(48);

    let (st, first) = relay_checkin(&s, &token, &nip(3), "k-first", photo.clone()).await;
    assert_eq!((st, first["state"].as_str()), (StatusCode::CREATED, Some("counted")), "{first}");

    // The same bytes for another person of the unit: stored, held, with the reason.
    let (st, copy) = relay_checkin(&s, &token, &nip(2), "k-copy", photo.clone()).await;
    assert_eq!((st, copy["state"].as_str()), (StatusCode::CREATED, Some("pending")), "{copy}");
    assert_ne!(copy["punch_id"], first["punch_id"], "its own punch, not the earlier one");
    assert!(copy["message"].as_str().unwrap().contains("menunggu pemeriksaan"), "{copy}");
    let head = s.store.employee_by_login(&nip(2)).await.unwrap();
    let held = s.store.list_punches(&PunchFilter { employee_id: Some(head.id), ..Default::default() }).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].p.hold, Some(hadir_store::PunchHold::Pending));
    assert_eq!(held[0].p.review.as_deref(), Some("photo_reused"));
    assert!(held[0].p.review_detail.as_deref().unwrap().contains("sama persis"), "{:?}", held[0].p.review_detail);

    // A retry of the copy gets the same held punch back; nothing new is stored.
    let (st, again) = relay_checkin(&s, &token, &nip(2), "k-copy", photo.clone()).await;
    assert_eq!((st, &again["punch_id"], again["state"].as_str()), (StatusCode::OK, &copy["punch_id"], Some("pending")));
    let all = s.store.list_punches(&PunchFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);

    // A phone check-in with the photo the relay stored is refused as on the phone path.
    let meta = json!({"idempotency_key": "phone-copy", "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 8.0});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(photo)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_reused")), "{b}");
    assert_eq!(s.store.list_punches(&PunchFilter::default()).await.unwrap().len(), 2, "nothing stored for the refusal");
    assert_eq!(s.store.verify_chain().await.unwrap().first_broken, None);
}
