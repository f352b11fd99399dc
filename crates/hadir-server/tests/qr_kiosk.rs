//! Issue 21, point 1: the office QR kiosk over real HTTP. A kiosk registered by an operator
//! shows a signed code that changes every 30 s; an employee's check-in with a fresh code of
//! their unit counts without GPS; expired, foreign, forged, revoked and malformed codes are
//! refused with nothing stored; the same code twice is the first check-in again.

mod common;

use common::*;
use hadir_server::kiosk::{KioskCode, SLOT_SECS, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Registers a kiosk and returns (id, token).
async fn kiosk(s: &TestServer, token: &str, name: &str, unit: &str) -> (i64, String) {
    let (st, b) = s.post("/api/v1/kiosks", token, json!({"name": name, "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    (b["id"].as_i64().unwrap(), b["token"].as_str().unwrap().to_string())
}

async fn code_of(s: &TestServer, kiosk_token: &str) -> (StatusCode, Value) {
    s.get("/api/v1/kiosk/code", kiosk_token).await
}

fn meta(key: &str, code: &str) -> Value {
    json!({"idempotency_key": key, "kiosk_code": code})
}

async fn punch_count(s: &TestServer, token: &str) -> usize {
    let (st, list) = s.get("/api/v1/punches", token).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().len()
}

/// The server's signing secret, read through the store as an instance would.
async fn secret(s: &TestServer) -> Vec<u8> {
    s.store.server_secret("kiosk_qr_v1", b"unused: the server stored one first").await.unwrap()
}

#[tokio::test]
async fn registering_a_kiosk_is_for_operators_of_the_unit_and_audited() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // The operator of DIK registers a kiosk for SD1 (below DIK); the token is shown once.
    let (st, b) = s.post("/api/v1/kiosks", &o.operator, json!({"name": "Lobi SD1", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["unit_code"], "SD1");
    assert_eq!(b["token"].as_str().unwrap().len(), 43, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (_, list) = s.get("/api/v1/kiosks", &o.operator).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("token").is_none(), "the token is never listed: {list}");

    // Refusals, each leaving no kiosk behind.
    for (who, unit, status, code) in [
        (&o.head, "SD1", StatusCode::FORBIDDEN, "forbidden"),
        (&o.emp_sd1, "SD1", StatusCode::FORBIDDEN, "forbidden"),
        (&o.operator, "RSUD", StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
        (&o.operator, "NOPE", StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
    ] {
        let (st, b) = s.post("/api/v1/kiosks", who, json!({"name": "X", "unit_code": unit})).await;
        assert_eq!((st, b["error"]["code"].as_str()), (status, Some(code)), "{unit}: {b}");
    }
    let (st, b) = s.post("/api/v1/kiosks", &o.operator, json!({"name": "  ", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_name")));
    let (_, list) = s.get("/api/v1/kiosks", &o.admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // An operator of another subtree cannot revoke it (404, as if absent); the employee cannot.
    let (_, rsud_op) = {
        s.employee(&o.admin, &nip(9), "RSUD", "9").await;
        s.grant(&o.admin, &nip(9), "operator", "RSUD").await;
        ((), s.login(&nip(9), PW).await)
    };
    let (st, _) = s.post(&format!("/api/v1/kiosks/{id}/revoke"), &rsud_op, json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.post(&format!("/api/v1/kiosks/{id}/revoke"), &o.emp_sd1, json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, list) = s.get("/api/v1/kiosks", &o.admin).await;
    assert_eq!(list["items"][0]["revoked"], false);

    let (_, audit) = s.get("/api/v1/audit?entity=kiosk", &o.admin).await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["action"], "create");
}

#[tokio::test]
async fn a_fresh_kiosk_code_checks_in_without_gps() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (_, token) = kiosk(&s, &o.operator, "Lobi SD1", "SD1").await;

    // The kiosk page's answer: the code, its drawing and the seconds to the next one.
    let (st, c) = code_of(&s, &token).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    let code = c["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("HK1."), "{c}");
    assert!(c["svg"].as_str().unwrap().starts_with("<?xml") || c["svg"].as_str().unwrap().contains("<svg"));
    let next = c["next_in_secs"].as_i64().unwrap();
    assert!((1..=SLOT_SECS).contains(&next), "{c}");
    assert_eq!(c["recent"].as_array().unwrap().len(), 0);

    // No position at all: the code is the proof of place.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("q1", &code), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["source"], "mobile");
    assert_eq!(b["punch"]["location"], "Kiosk QR: Lobi SD1");
    assert!(b["punch"]["lat"].is_null(), "{b}");
    assert_eq!(b["punch"]["state"], "counted", "{b}");

    // A position given is recorded (not judged: 5 km away is still the kiosk's check-in).
    let mut m = meta("q2", &code);
    m["lat"] = json!(SD1_LAT + 0.05);
    m["lon"] = json!(SD1_LON);
    s.employee(&o.admin, &nip(5), "SD1", "5").await;
    let colleague = s.login(&nip(5), PW).await;
    let (st, b, _) = s.checkin(&colleague, m, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert!((b["punch"]["lat"].as_f64().unwrap() - (SD1_LAT + 0.05)).abs() < 1e-9, "{b}");
    assert!(b["punch"]["distance_m"].as_f64().unwrap() > 5000.0, "{b}");

    // The kiosk greets them, newest first.
    let (_, c) = code_of(&s, &token).await;
    let recent = c["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 2, "{c}");
    let g = recent[1]["greeting"].as_str().unwrap();
    assert!(g.starts_with("Selamat datang, ") && g.ends_with(" WITA"), "{g}");

    // Without a code a position is still required.
    let (st, b, _) = s.checkin(&o.emp_sd1, json!({"idempotency_key": "nogps"}), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("location_required")));
    assert_eq!(punch_count(&s, &o.emp_sd1).await, 1);

    // A wrong kiosk token gets no code.
    let (st, b) = code_of(&s, "not-a-token").await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_kiosk_token")));
}

#[tokio::test]
async fn expired_foreign_forged_and_revoked_codes_are_refused_and_replays_are_the_first_answer() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (sd1_id, sd1_token) = kiosk(&s, &o.operator, "Lobi SD1", "SD1").await;
    let (_, rsud_token) = kiosk(&s, &o.admin, "Lobi RSUD", "RSUD").await;
    let (_, c) = code_of(&s, &sd1_token).await;
    let fresh = c["code"].as_str().unwrap().to_string();
    let key = secret(&s).await;
    let (parsed, _) = KioskCode::parse(&fresh).unwrap();

    let refused = |b: &Value| b["error"]["code"].as_str().map(str::to_string);
    // Expired: a genuine signature on a code from 3 slots (90 s) ago.
    let old = sign(&key, &KioskCode { slot: parsed.slot - 3, ..parsed });
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("e1", &old), Some(jpeg(64))).await;
    assert_eq!((st, refused(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kiosk_code_expired")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("kedaluwarsa"));
    // A code from the slot before is still fresh enough (≤ 60 s old): not refused for its age.
    let prev = sign(&key, &KioskCode { slot: KioskCode::slot_of(jiff::Timestamp::now()) - 1, ..parsed });
    let (st, b, _) = s.checkin(&o.head, meta("p1", &prev), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    // Foreign: the RSUD kiosk's genuine code scanned by an SD1 teacher.
    let (_, rc) = code_of(&s, &rsud_token).await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("f1", rc["code"].as_str().unwrap()), Some(jpeg(64))).await;
    assert_eq!((st, refused(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kiosk_other_unit")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("Lobi RSUD"));
    // Forged: the SD1 code re-signed with another key, and the RSUD code relabelled as SD1's unit.
    let forged = sign(b"a key the attacker made up", &parsed);
    let relabelled = rc["code"].as_str().unwrap().replacen(
        &format!(".{}.", KioskCode::parse(rc["code"].as_str().unwrap()).unwrap().0.unit_id),
        &format!(".{}.", parsed.unit_id),
        1,
    );
    for (k, bad) in
        [("g1", forged.as_str()), ("g2", relabelled.as_str()), ("g3", "HK1.1.2.3"), ("g4", "https://x.example/")]
    {
        let (st, b, _) = s.checkin(&o.emp_sd1, meta(k, bad), Some(jpeg(64))).await;
        assert_eq!(
            (st, refused(&b).as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("kiosk_code_invalid")),
            "{bad}: {b}"
        );
    }
    // Nothing stored for any refusal.
    assert_eq!(punch_count(&s, &o.emp_sd1).await, 0);

    // Replayed: the same person with the same code under a new key gets the first check-in back.
    let (st, first, _) = s.checkin(&o.emp_sd1, meta("r1", &fresh), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let (st, again, _) = s.checkin(&o.emp_sd1, meta("r2", &fresh), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert_eq!(again["punch"]["id"], first["punch"]["id"]);
    // The retry of the same key too, byte for byte.
    let (st, retry, _) = s.checkin(&o.emp_sd1, meta("r1", &fresh), Some(jpeg(64))).await;
    assert_eq!((st, retry["punch"]["id"].clone()), (StatusCode::OK, first["punch"]["id"].clone()));
    assert_eq!(punch_count(&s, &o.emp_sd1).await, 1);

    // Revoked: the kiosk's codes stop working at once, and its page gets none.
    let (st, _) = s.post(&format!("/api/v1/kiosks/{sd1_id}/revoke"), &o.operator, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let now_code = sign(&key, &KioskCode { slot: KioskCode::slot_of(jiff::Timestamp::now()), ..parsed });
    // (The head, who has not used this slot's code: a replay would be the first answer.)
    let (st, b, _) = s.checkin(&o.head, meta("v1", &now_code), Some(jpeg(64))).await;
    assert_eq!((st, refused(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kiosk_revoked")), "{b}");
    let (st, _) = code_of(&s, &sd1_token).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(punch_count(&s, &o.head).await, 1, "only the check-in before the revocation");
    let (_, audit) = s.get("/api/v1/audit?entity=kiosk", &o.admin).await;
    assert!(audit["items"].as_array().unwrap().iter().any(|a| a["action"] == "revoke"), "{audit}");
}

/// The console: an operator registers a kiosk (token shown once, then working on the kiosk
/// page), revokes it, and prints an employee's personal QR card.
#[tokio::test]
async fn the_console_registers_revokes_and_prints() {
    use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
    let s = TestServer::start().await;
    let o = org(&s).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client
        .post(s.url("/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username={}&password={PW}", nip(1)))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let post = |path: &str, body: &str| {
        client
            .post(s.url(path))
            .header(COOKIE, &cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("HX-Request", "true")
            .body(body.to_string())
            .send()
    };
    let r = post("/admin/kiosk", "name=Lobi+SD1&unit_code=SD1").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let token = page.split("<code id=\"kiosk-token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let (st, c) = code_of(&s, &token).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    // Refused in the error box: a unit outside the operator's subtree; nothing registered.
    let r = post("/admin/kiosk", "name=X&unit_code=RSUD").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("tidak ditemukan"));
    let list = client.get(s.url("/admin/kiosk")).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("Lobi SD1") && list.contains("aktif"), "{list}");
    let (_, kiosks) = s.get("/api/v1/kiosks", &o.admin).await;
    assert_eq!(kiosks["items"].as_array().unwrap().len(), 1);
    let id = kiosks["items"][0]["id"].as_i64().unwrap();
    let r = post(&format!("/admin/kiosk/{id}/revoke"), "").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (st, _) = code_of(&s, &token).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let card = client
        .get(s.url(&format!("/admin/employees/{}/kartu-qr", nip(3))))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(card.status(), StatusCode::OK);
    let html = card.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("Kartu ke-1"), "{html}");
}
