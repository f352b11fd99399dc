//! Issue 21, point 2: "Absen untuk rekan" over real HTTP. A colleague's phone scans the
//! person's personal QR card and records the person's punch with the colleague as witness,
//! inside the geofence by the colleague's position; it counts at once and is listed for the
//! head, who may reject it (then it no longer counts);
//! a colleague may do this for at most `checkin.colleague_daily_cap` people a day. Own card,
//! another unit's card, a reissued (revoked) card, a forged card and a position outside the
//! geofence are refused with nothing stored.

mod common;

use common::*;
use hadir_domain::GeoPoint;
use hadir_domain::geo::offset_north;
use hadir_server::config::ServerConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(m: f64) -> GeoPoint {
    offset_north(GeoPoint::new(SD1_LAT, SD1_LON), m)
}

fn meta(key: &str, card: &str, p: GeoPoint) -> Value {
    json!({"idempotency_key": key, "lat": p.lat, "lon": p.lon, "accuracy_m": 8.0, "colleague_card": card})
}

async fn punches(s: &TestServer, token: &str) -> Vec<Value> {
    let (st, list) = s.get("/api/v1/punches", token).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().clone()
}

async fn card(s: &TestServer, token: &str) -> String {
    let (st, b) = s.get("/api/v1/me/qr-card", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b["svg"].as_str().unwrap().contains("<svg"));
    b["code"].as_str().unwrap().to_string()
}

/// Employees of SD1 with their tokens: (nip, token).
async fn sd1_people(s: &TestServer, admin: &str, seqs: &[u16]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &n in seqs {
        s.employee(admin, &nip(n), "SD1", &n.to_string()).await;
        out.push((nip(n), s.login(&nip(n), PW).await));
    }
    out
}

/// The person's day record of today (Asia/Makassar, the units' zone).
async fn today_record(s: &TestServer, token: &str) -> Value {
    let d = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let (st, days) = s.get(&format!("/api/v1/me/days?month={:04}-{:02}", d.year(), d.month()), token).await;
    assert_eq!(st, StatusCode::OK, "{days}");
    days["days"].as_array().unwrap().iter().find(|x| x["date"] == d.to_string()).unwrap().clone()
}

/// Whether the day record uses this punch at one of its checkpoints.
fn uses(day: &Value, punch_id: &Value) -> bool {
    day["checkpoints"].as_array().is_some_and(|cs| cs.iter().any(|c| &c["punch"]["punch_id"] == punch_id))
}

#[tokio::test]
async fn a_colleague_checks_in_the_person_it_counts_and_the_head_may_reject_it() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let people = sd1_people(&s, &o.admin, &[5]).await;
    let (witness_nip, witness) = &people[0];
    let person_card = card(&s, &o.emp_sd1).await;
    assert!(person_card.starts_with("HC1."), "{person_card}");
    s.shape_today(&o.admin, &nip(3), "Asia/Makassar").await;
    let without = today_record(&s, &o.emp_sd1).await;

    let (st, b, _) = s.checkin(witness, meta("c1", &person_card, at(40.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["punch"]["id"].clone();
    assert_eq!(b["punch"]["review"], "colleague");
    assert_eq!(b["punch"]["state"], "counted", "a colleague's check-in counts at once: {b}");
    assert!(b["punch"]["review_detail"].as_str().unwrap().contains(witness_nip.as_str()), "{b}");
    let message = b["message"].as_str().unwrap();
    assert!(message.starts_with("Diabsenkan oleh rekan") && !message.contains("Menunggu"), "{b}");
    // Stored for the person, not for the witness, and the day record uses it.
    let mine = punches(&s, &o.emp_sd1).await;
    assert_eq!(mine.len(), 1);
    assert!((mine[0]["distance_m"].as_f64().unwrap() - 40.0).abs() < 0.5, "measured by the witness's phone");
    assert_eq!(punches(&s, witness).await.len(), 0);
    let counted = today_record(&s, &o.emp_sd1).await;
    assert!(uses(&counted, &id), "{counted}");
    assert_ne!(counted["status"], without["status"], "{counted} {without}");
    // The retry of the same key is the first answer.
    let (st, again, _) = s.checkin(witness, meta("c1", &person_card, at(40.0)), Some(jpeg(64))).await;
    assert_eq!((st, again["punch"]["id"].clone()), (StatusCode::OK, id.clone()));

    // Listed for the head of SD1.
    let (_, queue) = s.get("/api/v1/review/punches", &o.head).await;
    let items = queue["items"].as_array().unwrap();
    assert!(items.iter().any(|p| p["punch"]["id"] == id && p["reason"] == "colleague"), "{queue}");
    assert!(items.iter().all(|p| p["reason_label"] == "Diabsenkan rekan"), "{queue}");

    // Refusals, with nothing changed: the person themself, another unit's head, the witness.
    s.grant(&o.admin, &nip(4), "head", "RSUD").await;
    let rsud_head = s.login(&nip(4), PW).await;
    let audits = s.store.list_audit(Some("punch_hold"), 0, 100).await.unwrap().total;
    let reject = json!({"ids": [id.clone()], "accept": false, "note": "Tidak terlihat di kantor"});
    for (who, token, status) in [
        ("the person", &o.emp_sd1, StatusCode::FORBIDDEN),
        ("the witness", witness, StatusCode::FORBIDDEN),
        ("another unit's head", &rsud_head, StatusCode::NOT_FOUND),
    ] {
        let (st, e) = s.post("/api/v1/review/punches/decide", token, reject.clone()).await;
        assert_eq!(st, status, "{who}: {e}");
        assert_eq!(punches(&s, &o.emp_sd1).await[0]["state"], "counted", "{who}");
    }
    assert_eq!(s.store.list_audit(Some("punch_hold"), 0, 100).await.unwrap().total, audits);
    assert!(uses(&today_record(&s, &o.emp_sd1).await, &id));

    // The head rejects it with a note: it no longer counts, the day is what it would be
    // without it, the person reads why, and the decision is audited.
    let (st, d) = s.post("/api/v1/review/punches/decide", &o.head, reject.clone()).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["decided"], 1, "{d}");
    let mine = punches(&s, &o.emp_sd1).await;
    assert_eq!(mine[0]["state"], "rejected", "{mine:?}");
    assert!(serde_json::to_string(&mine[0]).unwrap().contains("Tidak terlihat di kantor"), "{mine:?}");
    let after = today_record(&s, &o.emp_sd1).await;
    assert!(!uses(&after, &id), "{after}");
    assert_eq!(after["status"], without["status"], "{after} {without}");
    let trail = s.store.list_audit(Some("punch_hold"), 0, 100).await.unwrap();
    assert_eq!(trail.total, audits + 1);
    let entry = trail.items.iter().find(|a| a.entity_id.parse::<i64>().ok() == id.as_i64()).unwrap();
    assert_eq!(entry.action, "reject");
    assert_eq!(entry.before.as_ref().unwrap()["hold"], Value::Null, "it counted before: {entry:?}");
    assert_eq!(entry.after.as_ref().unwrap()["hold"], "rejected");
    // Decided once: not listed any more, and a second decision is refused.
    let (_, queue) = s.get("/api/v1/review/punches", &o.head).await;
    assert!(queue["items"].as_array().unwrap().iter().all(|p| p["punch"]["id"] != id), "{queue}");
    let (st, e) = s.post("/api/v1/review/punches/decide", &o.head, reject).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
}

#[tokio::test]
async fn own_foreign_revoked_forged_and_distant_cards_are_refused_and_the_day_is_capped() {
    let mut config = ServerConfig::default();
    config.checkin.colleague_daily_cap = 3;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let people = sd1_people(&s, &o.admin, &[5, 6, 7, 8, 9]).await;
    let witness = &people[0].1;
    let code = |b: &Value| b["error"]["code"].as_str().map(str::to_string);

    // Own card.
    let own = card(&s, witness).await;
    let (st, b, _) = s.checkin(witness, meta("o1", &own, at(10.0)), Some(jpeg(64))).await;
    assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("colleague_self")), "{b}");
    // Another unit's employee (RSUD).
    let rsud = card(&s, &o.emp_rsud).await;
    let (st, b, _) = s.checkin(witness, meta("o2", &rsud, at(10.0)), Some(jpeg(64))).await;
    assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("colleague_other_unit")), "{b}");
    // Outside the geofence by the witness's phone.
    let person = card(&s, &o.emp_sd1).await;
    let (st, b, _) = s.checkin(witness, meta("o3", &person, at(500.0)), Some(jpeg(64))).await;
    assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")), "{b}");
    // Reissued: the old card is revoked (the operator reissues it; the employee can too).
    let (st, re) = s.post(&format!("/api/v1/employees/{}/qr-card/reissue", nip(3)), &o.operator, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{re}");
    assert_eq!(re["version"], 2);
    let (st, b, _) = s.checkin(witness, meta("o4", &person, at(10.0)), Some(jpeg(64))).await;
    assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("card_revoked")), "{b}");
    // Forged: the card's version raised by hand, and a kiosk code offered as a card.
    let forged = re["code"].as_str().unwrap().replacen(".2.", ".3.", 1);
    for (k, bad) in [("o5", forged.as_str()), ("o6", "HK1.1.2.3.abcdefghijklmnopqrstuv"), ("o7", "HC1.3.1")] {
        let (st, b, _) = s.checkin(witness, meta(k, bad, at(10.0)), Some(jpeg(64))).await;
        assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("card_invalid")), "{bad}: {b}");
    }
    assert_eq!(punches(&s, &o.emp_sd1).await.len(), 0, "nothing stored for the refusals");
    assert_eq!(punches(&s, &o.emp_rsud).await.len(), 0);

    // The new card works; then two more people; the fourth of the day is refused.
    let new_card = re["code"].as_str().unwrap().to_string();
    let (st, b, _) = s.checkin(witness, meta("n1", &new_card, at(10.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    for (i, (_, tok)) in people[1..3].iter().enumerate() {
        let c = card(&s, tok).await;
        let (st, b, _) = s.checkin(witness, meta(&format!("n{}", i + 2), &c, at(10.0)), Some(jpeg(64))).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
    let fourth = card(&s, &people[3].1).await;
    let (st, b, _) = s.checkin(witness, meta("n4", &fourth, at(10.0)), Some(jpeg(64))).await;
    assert_eq!((st, code(&b).as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("colleague_cap_reached")), "{b}");
    assert_eq!(b["error"]["details"]["cap"], 3);
    assert_eq!(punches(&s, &people[3].1).await.len(), 0);
    // Another witness may still help the fourth person.
    let (st, b, _) = s.checkin(&people[4].1, meta("m1", &fourth, at(10.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    // Printing someone's card: operators of the unit yes, heads no, out of scope 404.
    let (st, _) = s.get(&format!("/api/v1/employees/{}/qr-card", nip(5)), &o.operator).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&format!("/api/v1/employees/{}/qr-card", nip(5)), &o.head).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.get(&format!("/api/v1/employees/{}/qr-card", nip(4)), &o.operator).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, audit) = s.get("/api/v1/audit?entity=qr_card", &o.admin).await;
    assert!(audit["items"].as_array().unwrap().iter().any(|a| a["action"] == "reissue"), "{audit}");
}

/// The daily cap holds under concurrency: four check-ins by one witness at the same moment,
/// with a cap of two, store exactly two (each takes a unique slot row before its punch).
#[tokio::test]
async fn the_cap_holds_when_check_ins_race() {
    let mut config = ServerConfig::default();
    config.checkin.colleague_daily_cap = 2;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let people = sd1_people(&s, &o.admin, &[5, 6, 7, 8, 9]).await;
    let witness = &people[0].1;
    let mut cards = Vec::new();
    for (_, tok) in &people[1..5] {
        cards.push(card(&s, tok).await);
    }
    let go = |i: usize| s.checkin(witness, meta(&format!("r{i}"), &cards[i], at(10.0)), Some(jpeg(64)));
    let (a, b, c, d) = tokio::join!(go(0), go(1), go(2), go(3));
    let answers = [a, b, c, d];
    let created = answers.iter().filter(|(st, _, _)| *st == StatusCode::CREATED).count();
    let capped = answers
        .iter()
        .filter(|(st, b, _)| *st == StatusCode::UNPROCESSABLE_ENTITY && b["error"]["code"] == "colleague_cap_reached")
        .count();
    assert_eq!((created, capped), (2, 2), "{answers:?}");
    let mut stored = 0;
    for (_, tok) in &people[1..5] {
        stored += punches(&s, tok).await.len();
    }
    assert_eq!(stored, 2);
}

/// A colleague's check-in in a locked month cannot be rejected any more (as other decisions).
#[tokio::test]
async fn a_colleague_check_in_in_a_locked_month_is_not_rejected() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let people = sd1_people(&s, &o.admin, &[5]).await;
    let person_card = card(&s, &o.emp_sd1).await;
    let (st, b, _) = s.checkin(&people[0].1, meta("l1", &person_card, at(10.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let d = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let month = format!("{:04}-{:02}", d.year(), d.month());
    // The month is not over, so the API would not lock it yet: locked through the store.
    let lock = hadir_store::Audit::new((None, "test"), "lock", "month", &month);
    s.store.lock_month(&month, None, lock).await.unwrap();
    let audits = s.store.list_audit(Some("punch_hold"), 0, 100).await.unwrap().total;
    let reject = json!({"ids": [b["punch"]["id"]], "accept": false, "note": "Tidak terlihat"});
    let (st, e) = s.post("/api/v1/review/punches/decide", &o.head, reject).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{e}");
    assert_eq!(punches(&s, &o.emp_sd1).await[0]["state"], "counted");
    assert_eq!(s.store.list_audit(Some("punch_hold"), 0, 100).await.unwrap().total, audits);
}
