//! Issue 23: fraud signals over real HTTP (SQLite, or PostgreSQL with `HADIR_TEST_PG_URL`).
//! Check-ins are answered as before; the background analyser then finds near-duplicate and
//! non-camera selfies, impossible journeys and mock-looking positions, puts the punches in the
//! review queue with the reasons, and the employee reads why a punch waits. Faces: real photos
//! (`tests/fixtures/face/`, public domain) through the embedded BlazeFace detector.

mod common;

use common::scene::{brighten, jpeg, scene};
use common::*;
use hadir_domain::GeoPoint;
use hadir_domain::geo::offset_north;
use image::{Rgb, RgbImage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn config() -> hadir_server::ServerConfig {
    let mut c = hadir_server::ServerConfig::default();
    c.signals.poll_ms = 50;
    // Tests send punches faster than a real office: never wait for a "rush" to pass.
    c.signals.busy_per_sec = 0;
    // The generated scenes have no face: the face signals are tested on their own below.
    c.signals.faces = false;
    c
}

fn meta(key: &str, p: GeoPoint, accuracy: f64) -> Value {
    json!({"idempotency_key": key, "lat": p.lat, "lon": p.lon, "accuracy_m": accuracy})
}

fn sd1(m: f64) -> GeoPoint {
    offset_north(GeoPoint::new(SD1_LAT, SD1_LON), m)
}

/// Waits until the analyser has looked at every stored punch (bounded; not a timing assert).
async fn drained(s: &TestServer, admin: &str) -> Value {
    for _ in 0..600 {
        let (st, b) = s.get("/api/v1/signals/status", admin).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        if b["backlog"] == 0 {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the analyser did not drain");
}

async fn checkin_ok(s: &TestServer, token: &str, m: Value, photo: Vec<u8>) -> i64 {
    let (st, b, _) = s.checkin(token, m, Some(photo)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["state"], "counted", "answered as before, whatever the analyser finds later: {b}");
    b["punch"]["id"].as_i64().unwrap()
}

/// The kinds of signal on `id` in the review queue as `token` sees it (empty: not waiting).
async fn review_kinds(s: &TestServer, token: &str, id: i64) -> Vec<String> {
    let (st, list) = s.get("/api/v1/review/punches?limit=500", token).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let Some(item) = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == id) else {
        return Vec::new();
    };
    assert_eq!(item["reason"], "signal", "{item}");
    item["signals"].as_array().unwrap().iter().map(|g| g["kind"].as_str().unwrap().to_string()).collect()
}

/// One of `token`'s own punches as the employee's app reads it.
async fn own_punch(s: &TestServer, token: &str, id: i64) -> Value {
    let (st, b) = s.get("/api/v1/punches", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let items = b.as_array().or_else(|| b["items"].as_array()).unwrap().clone();
    items.into_iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("punch {id} not in {b}"))
}

#[tokio::test]
async fn near_duplicate_and_non_camera_selfies_wait_for_review_and_a_fresh_one_counts() {
    let s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    let face = scene(1, 640, 480);
    let original = jpeg(&face, 90);

    // A real picture counts and stays counted.
    let a = checkin_ok(&s, &o.emp_sd1, meta("a", sd1(12.3), 9.7), original.clone()).await;
    // The exact bytes again: refused at check-in (session 5), nothing stored.
    let (st, b, _) = s.checkin(&o.emp_rsud, meta("copy", GeoPoint::new(-0.5201, 117.1601), 9.7), Some(original)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_reused")), "{b}");
    // The same picture re-encoded (another person) and brightened (the same person, later).
    let rsud = GeoPoint::new(-0.52013, 117.16021);
    let reencoded = checkin_ok(&s, &o.emp_rsud, meta("b", rsud, 11.4), jpeg(&face, 40)).await;
    let brightened = checkin_ok(&s, &o.emp_sd1, meta("c", sd1(14.1), 10.2), jpeg(&brighten(&face, 12), 75)).await;
    // Another picture is not similar; a blank one and a tiny one are not a camera's.
    let other = checkin_ok(&s, &o.emp_sd1, meta("d", sd1(9.9), 8.4), jpeg(&scene(7, 640, 480), 85)).await;
    let blank = checkin_ok(
        &s,
        &o.emp_sd1,
        meta("e", sd1(11.6), 12.8),
        jpeg(&RgbImage::from_pixel(640, 480, Rgb([245, 245, 245])), 90),
    )
    .await;
    let tiny = checkin_ok(&s, &o.emp_rsud, meta("f", rsud, 13.3), jpeg(&scene(3, 48, 48), 90)).await;
    let st = drained(&s, &o.admin).await;
    assert!(st["analysed_up_to"].as_i64().unwrap() >= tiny, "{st}");

    assert_eq!(review_kinds(&s, &o.admin, a).await, Vec::<String>::new(), "the first picture is nobody's copy");
    assert_eq!(review_kinds(&s, &o.admin, other).await, Vec::<String>::new(), "another picture is not similar");
    assert_eq!(review_kinds(&s, &o.admin, reencoded).await, ["photo_similar"]);
    assert_eq!(review_kinds(&s, &o.admin, brightened).await, ["photo_similar"]);
    assert_eq!(review_kinds(&s, &o.admin, blank).await, ["photo_not_camera"]);
    assert_eq!(review_kinds(&s, &o.admin, tiny).await, ["photo_not_camera"]);
    assert_eq!(own_punch(&s, &o.emp_sd1, a).await["state"], "counted");

    // The reviewer reads which punch it resembles; the employee reads why it waits, without it.
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == brightened).unwrap().clone();
    assert_eq!(item["reason_label"], "Tanda kecurangan (lihat rincian)");
    let detail = item["signals"][0]["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("#{a}")), "{detail}");
    let mine = own_punch(&s, &o.emp_sd1, brightened).await;
    assert_eq!(mine["state"], "pending", "{mine}");
    let why = mine["review_detail"].as_str().unwrap();
    assert_eq!(why, "Diperiksa karena swafoto sangat mirip swafoto absen lain");
    assert!(!why.contains('#'), "no other punch named to the employee");
    // The head of SD1 does not see RSUD's punch.
    assert!(review_kinds(&s, &o.head, reencoded).await.is_empty());

    // The head accepts one and rejects another; the signals carry the decision.
    let (st, b) = s
        .post(
            "/api/v1/review/punches/decide",
            &o.head,
            json!({"ids": [brightened], "accept": true, "note": "foto ulang, orangnya hadir"}),
        )
        .await;
    assert_eq!((st, b["decided"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    assert_eq!(own_punch(&s, &o.emp_sd1, brightened).await["state"], "counted");
    let (st, _) = s
        .post("/api/v1/review/punches/decide", &o.head, json!({"ids": [blank], "accept": false, "note": "foto kosong"}))
        .await;
    assert_eq!(st, StatusCode::OK);

    // The BKD's month: per unit, kinds, who accepted and rejected.
    let today = hadir_domain::unit_zone("Asia/Jakarta").unwrap().to_datetime(jiff::Timestamp::now()).date();
    let month = format!("{:04}-{:02}", today.year(), today.month());
    let (st, sum) = s.get(&format!("/api/v1/signals/summary?month={month}"), &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{sum}");
    let unit = |code: &str| sum["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == code).cloned().unwrap();
    let sd = unit("SD1");
    assert_eq!(
        (sd["total"].as_i64(), sd["accepted"].as_i64(), sd["rejected"].as_i64(), sd["pending"].as_i64()),
        (Some(2), Some(1), Some(1), Some(0)),
        "{sd}"
    );
    let head_name = nip(2);
    assert_eq!(sd["accepted_by"], json!([{"by": head_name, "count": 1}]), "{sd}");
    assert_eq!(unit("RSUD")["pending"], 2, "{sum}");
    // The head sees only SD1's subtree; another unit answers 404; an employee 403; a bad month 422.
    let (st, sum) = s.get(&format!("/api/v1/signals/summary?month={month}"), &o.head).await;
    assert_eq!((st, sum["units"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{sum}");
    let (st, _) = s.get(&format!("/api/v1/signals/summary?month={month}&unit=RSUD"), &o.head).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get(&format!("/api/v1/signals/summary?month={month}"), &o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = s.get("/api/v1/signals/summary?month=2026-13", &o.admin).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_month")));
    let (st, _) = s.get("/api/v1/signals/status", &o.head).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The console: the inbox shows the measurement, the BKD's page the month per unit.
    let cookie = console_session(&s, "admin", ADMIN_PW).await;
    let (st, page) = console_get(&s, "/admin/inbox", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&format!("swafoto absen #{a}")) && page.contains("Tanda kecurangan"), "inbox");
    let (st, page) = console_get(&s, &format!("/admin/tanda?month={month}"), &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("Unit SD1") && page.contains("foto tidak seperti hasil kamera: 1") && page.contains(&nip(2)),
        "{page}"
    );
}

async fn console_session(s: &TestServer, user: &str, pw: &str) -> String {
    let r = console_client()
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

fn console_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn console_get(s: &TestServer, path: &str, cookie: &str) -> (StatusCode, String) {
    let r = console_client().get(s.url(path)).header("cookie", cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn impossible_travel_the_office_centre_and_mock_accuracy_are_flagged() {
    let s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    // A second office 111 km south, where employee 3 may also check in.
    s.unit(&o.admin, "FAR", Some("KAB"), "Asia/Makassar", SD1_LAT - 1.0, SD1_LON).await;
    let (_, units) = s.get("/api/v1/units", &o.admin).await;
    let units = units.as_array().or_else(|| units["items"].as_array()).unwrap().clone();
    let far = units.iter().find(|u| u["code"] == "FAR").unwrap()["locations"][0]["id"].as_i64().unwrap();
    let (st, b) =
        s.post(&format!("/api/v1/employees/{}/locations", nip(3)), &o.admin, json!({"location_id": far})).await;
    assert!(st.is_success(), "{b}");

    let mut n = 0;
    let mut photo = || {
        n += 1;
        jpeg(&scene(100 + n, 320, 240), 85)
    };
    let here = checkin_ok(&s, &o.emp_sd1, meta("here", sd1(12.37), 9.81), photo()).await;
    let there = checkin_ok(
        &s,
        &o.emp_sd1,
        meta("there", offset_north(GeoPoint::new(SD1_LAT - 1.0, SD1_LON), 8.3), 9.81),
        photo(),
    )
    .await;
    // Employee 4 exactly at RSUD's centre, with an accuracy of 0.
    let centre = checkin_ok(&s, &o.emp_rsud, meta("centre", GeoPoint::new(-0.52, 117.16), 0.0), photo()).await;
    // A refused check-in (outside every fence) leaves nothing to analyse.
    let (st, b, _) = s.checkin(&o.emp_rsud, meta("away", GeoPoint::new(-3.0, 117.16), 9.1), Some(photo())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")));
    drained(&s, &o.admin).await;

    assert!(review_kinds(&s, &o.admin, here).await.is_empty(), "the first punch of the day is fine");
    assert_eq!(review_kinds(&s, &o.admin, there).await, ["impossible_travel"]);
    let mut k = review_kinds(&s, &o.admin, centre).await;
    k.sort();
    assert_eq!(k, ["at_centre", "mock_accuracy"]);
    let (_, list) = s.get("/api/v1/review/punches", &o.admin).await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == there).unwrap().clone();
    let detail = item["signals"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("km/jam") && detail.contains(&format!("#{here}")), "{detail}");
    assert_eq!(item["signals"][0]["label"], "perpindahan lokasi yang tidak mungkin");
    // The app's home card says why today's punch waits.
    let (st, today) = s.get("/api/v1/me/today", &o.emp_rsud).await;
    assert_eq!(st, StatusCode::OK, "{today}");
    let outcome = today["punch_outcomes"].as_array().unwrap().iter().find(|p| p["id"] == centre).unwrap().clone();
    assert_eq!(outcome["outcome"], "pending");
    assert!(outcome["text"].as_str().unwrap().contains("posisi tepat di titik pusat lokasi absen"), "{outcome}");
    let mine = own_punch(&s, &o.emp_rsud, centre).await;
    assert_eq!(
        mine["review_detail"],
        "Diperiksa karena posisi tepat di titik pusat lokasi absen; akurasi GPS khas lokasi palsu"
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "nothing else waits: {list}");
}

fn stored(emp: i64, key: &str, t: jiff::Timestamp, p: GeoPoint, accuracy: f64) -> hadir_store::NewPunch {
    hadir_store::NewPunch {
        source: hadir_store::PunchSource::Mobile,
        dedup_key: key.into(),
        device_sn: None,
        captured_at: Some(t),
        lat: Some(p.lat),
        lon: Some(p.lon),
        accuracy_m: Some(accuracy),
        distance_m: Some(25.0),
        ..punch(emp, t)
    }
}

#[tokio::test]
async fn the_same_coordinates_on_another_day_and_a_burst_drained_across_a_restart() {
    let mut s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    let emp = s.store.employee_by_login(&nip(3)).await.unwrap().id;
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    let spot = GeoPoint::new(-0.4998213, 117.1502177);
    // Yesterday's punch at a precise spot, then a check-in today at the very same coordinates.
    s.store.insert_punches(&[stored(emp, "m:yesterday", now - day, spot, 7.4)]).await.unwrap();
    let today = checkin_ok(&s, &o.emp_sd1, meta("today", spot, 8.6), jpeg(&scene(40, 320, 240), 85)).await;
    drained(&s, &o.admin).await;
    assert_eq!(review_kinds(&s, &o.admin, today).await, ["same_position"]);

    // A burst of 600 punches (other people's shapes do not matter: honest, varied positions).
    let burst: Vec<_> = (0..600)
        .map(|i| {
            stored(
                emp,
                &format!("m:burst:{i}"),
                now - day * 3 + jiff::SignedDuration::from_secs(i),
                sd1(10.0 + i as f64 * 0.013),
                6.0 + (i % 7) as f64 * 1.13,
            )
        })
        .collect();
    s.store.insert_punches(&burst).await.unwrap();
    let st = drained(&s, &o.admin).await;
    assert_eq!(st["backlog"], 0);

    // Stopped, punches arrive meanwhile (one with accuracy 0); after the restart they are analysed once.
    s.kill().await;
    let late = s.store.insert_punches(&[stored(emp, "m:while-down", now - day * 2, sd1(17.3), 0.0)]).await.unwrap();
    let late_id = match &late[0] {
        hadir_store::PunchInsert::Inserted(p) => p.id,
        other => panic!("{other:?}"),
    };
    let (cursor, backlog) = s.store.signal_backlog().await.unwrap();
    assert!(cursor < late_id && backlog == 1, "the marker is durable: {cursor} {backlog}");
    s.restart().await;
    drained(&s, &o.admin).await;
    s.kill().await;
    s.restart().await;
    drained(&s, &o.admin).await;
    let signals = s.store.signals_of(&[late_id, today]).await.unwrap();
    let kinds: Vec<_> = signals.iter().map(|g| (g.s.punch_id, g.s.kind.as_str())).collect();
    assert_eq!(kinds, [(today, "same_position"), (late_id, "mock_accuracy")], "each analysed exactly once");
}

/// A phone's device key: the raw public point, base64url, as the app's WebCrypto exports it.
fn device(seed: u8) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn public_b64(k: &p256::ecdsa::SigningKey) -> String {
    use base64::Engine;
    let point = k.verifying_key().to_encoded_point(false);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(point.as_bytes())
}

/// The check-in meta signed by `k` as the app signs it (idempotency key and the photo's SHA-256).
fn signed(key: &str, p: GeoPoint, photo: &[u8], k: &p256::ecdsa::SigningKey, key_id: &str) -> Value {
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(photo));
    let sig: p256::ecdsa::Signature = k.sign(format!("hadir-checkin\n{key}\n{hash}").as_bytes());
    let mut m = meta(key, p, 9.3);
    m["device_key"] = json!(key_id);
    m["device_signature"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.to_bytes()));
    m
}

async fn register(s: &TestServer, token: &str, k: &p256::ecdsa::SigningKey) -> Value {
    let (st, b) = s.post("/api/v1/me/device-keys", token, json!({"public_key": public_b64(k)})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b
}

#[tokio::test]
async fn new_shared_and_forged_devices_are_flagged_and_an_operator_accepts_a_new_one() {
    let s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    let mut n = 0;
    let mut photo = || {
        n += 1;
        jpeg(&scene(200 + n, 320, 240), 85)
    };
    let (phone, second, thief) = (device(1), device(2), device(3));

    // A key that is no P-256 point is refused, nothing stored.
    let (st, b) = s.post("/api/v1/me/device-keys", &o.emp_sd1, json!({"public_key": "AAAA"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_device_key")));
    let (_, trusted) = s.get("/api/v1/device-keys?state=trusted", &o.admin).await;
    assert_eq!(trusted, json!([]));

    // The first device is trusted (registering again changes nothing); its check-ins are clean.
    let first = register(&s, &o.emp_sd1, &phone).await;
    assert_eq!(first["state"], "trusted");
    assert_eq!(register(&s, &o.emp_sd1, &phone).await["id"], first["id"]);
    let key = first["key_id"].as_str().unwrap().to_string();
    let pic = photo();
    let clean = checkin_ok(&s, &o.emp_sd1, signed("d1", sd1(11.3), &pic, &phone, &key), pic).await;
    // Old clients without a key still check in (flagged only when configured).
    let unsigned = checkin_ok(&s, &o.emp_sd1, meta("d2", sd1(12.9), 10.3), photo()).await;

    // A forged signature: the key's id with another key's signature.
    let pic = photo();
    let forged = checkin_ok(&s, &o.emp_sd1, signed("d3", sd1(13.1), &pic, &thief, &key), pic).await;
    // A signature over another photo than the one sent.
    let pic = photo();
    let swapped = checkin_ok(&s, &o.emp_sd1, signed("d4", sd1(13.7), &photo(), &phone, &key), pic).await;

    // A second phone: pending until the operator accepts it.
    let second_key = register(&s, &o.emp_sd1, &second).await;
    assert_eq!(second_key["state"], "pending");
    let second_id = second_key["key_id"].as_str().unwrap().to_string();
    let pic = photo();
    let new_phone = checkin_ok(&s, &o.emp_sd1, signed("d5", sd1(10.7), &pic, &second, &second_id), pic).await;

    // Buddy punching: employee 4 checks in on employee 3's phone the same day.
    let shared_key = register(&s, &o.emp_rsud, &phone).await;
    assert_eq!(shared_key["state"], "trusted", "their first key");
    let pic = photo();
    let buddy =
        checkin_ok(&s, &o.emp_rsud, signed("d6", GeoPoint::new(-0.52017, 117.16013), &pic, &phone, &key), pic).await;
    drained(&s, &o.admin).await;

    assert!(review_kinds(&s, &o.admin, clean).await.is_empty());
    assert!(review_kinds(&s, &o.admin, unsigned).await.is_empty());
    assert_eq!(review_kinds(&s, &o.admin, forged).await, ["device_signature_invalid"]);
    assert_eq!(review_kinds(&s, &o.admin, swapped).await, ["device_signature_invalid"]);
    assert_eq!(review_kinds(&s, &o.admin, new_phone).await, ["new_device"]);
    assert_eq!(review_kinds(&s, &o.admin, buddy).await, ["shared_device"]);
    let why = own_punch(&s, &o.emp_rsud, buddy).await["review_detail"].clone();
    assert_eq!(why, "Diperiksa karena perangkat yang sama dipakai pegawai lain pada hari yang sama");

    // The operator of DIK sees the pending phone; the employee cannot decide it, nor can the
    // head of another unit; the operator accepts it once.
    let (st, pending) = s.get("/api/v1/device-keys", &o.operator).await;
    assert_eq!(st, StatusCode::OK, "{pending}");
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["employee_nip"], nip(3));
    let id = pending[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/device-keys/{id}/decide");
    let (st, _) = s.post(&path, &o.emp_sd1, json!({"accept": true})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    s.grant(&o.admin, &nip(4), "head", "RSUD").await;
    let rsud_head = s.login(&nip(4), PW).await;
    let (st, _) = s.post(&path, &rsud_head, json!({"accept": true})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, still) = s.get("/api/v1/device-keys", &o.operator).await;
    assert_eq!(still[0]["state"], "pending", "nothing changed");
    let (st, b) = s.post(&path, &o.operator, json!({"accept": true})).await;
    assert_eq!(
        (st, b["state"].as_str(), b["decided_by"].as_str()),
        (StatusCode::OK, Some("accepted"), Some(nip(1).as_str())),
        "{b}"
    );
    let (st, b) = s.post(&path, &o.operator, json!({"accept": false})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_pending")));
    let pic = photo();
    let accepted = checkin_ok(&s, &o.emp_sd1, signed("d7", sd1(9.4), &pic, &second, &second_id), pic).await;
    drained(&s, &o.admin).await;
    assert!(review_kinds(&s, &o.admin, accepted).await.is_empty(), "an accepted device is no longer flagged");
}

async fn console_post(s: &TestServer, path: &str, cookie: &str, form: &str) -> (StatusCode, String) {
    let r = console_client()
        .post(s.url(path))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn audit_actions(s: &TestServer, admin: &str) -> Vec<(String, String, Value)> {
    let (st, b) = s.get("/api/v1/audit?entity=employee&limit=100", admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"].as_str().is_some_and(|a| a.ends_with("_device")))
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["entity_id"].as_str().unwrap().to_string(),
                a["after"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_console_lists_pending_devices_in_scope_and_decisions_are_audited() {
    let s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    // Employee 3 (SD1, under DIK) gets a second phone and checks in with it; employee 4 (RSUD)
    // too; the operator of DIK (employee 1) gets a second phone of their own.
    assert_eq!(register(&s, &o.emp_sd1, &device(11)).await["state"], "trusted");
    let second = register(&s, &o.emp_sd1, &device(12)).await;
    assert_eq!(second["state"], "pending");
    let key = second["key_id"].as_str().unwrap().to_string();
    let pic = jpeg(&scene(301, 320, 240), 85);
    let punch = checkin_ok(&s, &o.emp_sd1, signed("c1", sd1(10.2), &pic, &device(12), &key), pic).await;
    assert_eq!(register(&s, &o.emp_rsud, &device(13)).await["state"], "trusted");
    let rsud_second = register(&s, &o.emp_rsud, &device(14)).await;
    assert_eq!(register(&s, &o.operator, &device(15)).await["state"], "trusted");
    let own = register(&s, &o.operator, &device(16)).await;
    assert_eq!(own["state"], "pending");
    drained(&s, &o.admin).await;

    // The operator's page: employee 3's phone with its punch; not RSUD's, not their own.
    let cookie = console_session(&s, &nip(1), PW).await;
    let (st, page) = console_get(&s, "/admin/tanda/perangkat", &cookie).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let sd1_id = second["id"].as_i64().unwrap();
    assert!(page.contains(&format!("id=\"device-{sd1_id}\"")), "{page}");
    assert!(page.contains(&nip(3)) && page.contains(&format!("nomor {punch} (")), "{page}");
    assert!(page.contains(&key[..12]) && page.contains("Terima") && page.contains("Tolak"), "{page}");
    assert!(!page.contains(&format!("device-{}\"", rsud_second["id"])), "another unit's device: {page}");
    assert!(!page.contains(&format!("device-{}\"", own["id"])), "their own device: {page}");
    let (_, signals) = console_get(&s, "/admin/tanda", &cookie).await;
    assert!(signals.contains("/admin/tanda/perangkat"), "{signals}");

    // Refusals through the console: their own device, another unit's, a decision that is no
    // word; nothing changes and nothing is audited.
    let (st, body) =
        console_post(&s, &format!("/admin/tanda/perangkat/{}", own["id"]), &cookie, "decision=accept").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("perangkat Anda sendiri"), "{body}");
    let (st, _) =
        console_post(&s, &format!("/admin/tanda/perangkat/{}", rsud_second["id"]), &cookie, "decision=accept").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = console_post(&s, &format!("/admin/tanda/perangkat/{sd1_id}"), &cookie, "decision=ok").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("terima atau tolak"), "{body}");
    let (_, pending) = s.get("/api/v1/device-keys", &o.admin).await;
    assert_eq!(pending.as_array().unwrap().len(), 3, "nothing changed: {pending}");
    assert!(audit_actions(&s, &o.admin).await.is_empty(), "nothing audited");

    // The operator rejects employee 3's phone; the admin accepts employee 4's through the API.
    let (st, body) = console_post(&s, &format!("/admin/tanda/perangkat/{sd1_id}"), &cookie, "decision=reject").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("ditolak"), "{body}");
    let (_, page) = console_get(&s, "/admin/tanda/perangkat", &cookie).await;
    assert!(!page.contains(&format!("id=\"device-{sd1_id}\"")) && page.contains("Tidak ada perangkat baru"), "{page}");
    let (st, b) =
        s.post(&format!("/api/v1/device-keys/{}/decide", rsud_second["id"]), &o.admin, json!({"accept": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = s.post(&format!("/api/v1/device-keys/{sd1_id}/decide"), &o.admin, json!({"accept": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_pending")));

    // Each decision is in the audit trail once, on the employee, with the state before and after.
    let mut trail = audit_actions(&s, &o.admin).await;
    trail.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert_eq!((trail[0].0.as_str(), trail[0].1.as_str()), ("accept_device", nip(4).as_str()));
    assert_eq!((trail[1].0.as_str(), trail[1].1.as_str()), ("reject_device", nip(3).as_str()));
    assert_eq!(trail[1].2, json!({"device": &key[..12], "state": "rejected"}));
    let admin = console_session(&s, "admin", ADMIN_PW).await;
    let (st, page) = console_get(&s, "/admin/audit?what=employee%3Areject_device", &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("menolak perangkat (HP) baru pegawai") && page.contains(&nip(3)), "{page}");
    assert!(page.contains(&format!("Perangkat: {}", &key[..12])), "{page}");
    assert!(page.contains("Status: menunggu persetujuan → Ditolak"), "{page}");
    let (_, page) = console_get(&s, "/admin/audit?what=employee%3Aaccept_device", &admin).await;
    assert!(page.contains("menerima perangkat (HP) baru pegawai") && page.contains(&nip(4)), "{page}");
    assert!(page.contains("menunggu persetujuan → diterima"), "{page}");
}

/// Real photos (public domain; see `tests/fixtures/face/README.md`): the astronaut's portrait
/// (one face), her head twice side by side (two faces), and the lower corner of the portrait
/// (no face).
#[cfg(feature = "face")]
const FACE_ONE: &[u8] = include_bytes!("fixtures/face/face_one.jpg");
const FACE_TWO: &[u8] = include_bytes!("fixtures/face/face_two.jpg");
const FACE_NONE: &[u8] = include_bytes!("fixtures/face/face_none.jpg");

#[cfg(feature = "face")]
#[tokio::test]
async fn selfies_without_a_face_or_with_several_wait_for_review_and_one_face_counts() {
    let mut c = config();
    c.signals.faces = true;
    let s = TestServer::start_with_signals(c).await;
    let o = org(&s).await;
    let rsud = |m: f64| offset_north(GeoPoint::new(-0.52013, 117.16021), m);

    let one = checkin_ok(&s, &o.emp_sd1, meta("one", sd1(12.3), 9.7), FACE_ONE.to_vec()).await;
    let two = checkin_ok(&s, &o.emp_sd1, meta("two", sd1(10.1), 8.6), FACE_TWO.to_vec()).await;
    let scene_only = checkin_ok(&s, &o.emp_rsud, meta("scene", rsud(3.2), 11.4), jpeg(&scene(5, 640, 480), 85)).await;
    let no_face = checkin_ok(&s, &o.emp_rsud, meta("none", rsud(6.7), 10.3), FACE_NONE.to_vec()).await;
    drained(&s, &o.admin).await;

    assert_eq!(review_kinds(&s, &o.admin, one).await, Vec::<String>::new(), "one face: not held");
    assert_eq!(own_punch(&s, &o.emp_sd1, one).await["state"], "counted");
    assert_eq!(review_kinds(&s, &o.admin, two).await, ["face_several"]);
    assert_eq!(review_kinds(&s, &o.admin, scene_only).await, ["face_none"]);
    assert_eq!(review_kinds(&s, &o.admin, no_face).await, ["face_none"]);

    // The reviewer reads the count; the employee reads why the punch waits.
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == two).unwrap().clone();
    assert_eq!(item["signals"][0]["detail"], "Lebih dari satu wajah pada swafoto (2 wajah).", "{item}");
    assert_eq!(item["signals"][0]["score"], 2.0, "{item}");
    let mine = own_punch(&s, &o.emp_sd1, two).await;
    assert_eq!(mine["state"], "pending", "{mine}");
    assert_eq!(mine["review_detail"], "Diperiksa karena lebih dari satu wajah pada swafoto");
    let mine = own_punch(&s, &o.emp_rsud, no_face).await;
    assert_eq!(mine["review_detail"], "Diperiksa karena tidak ada wajah pada swafoto");
}

#[tokio::test]
async fn with_face_signals_off_the_same_photos_are_not_flagged() {
    // `faces = false` (the setting, or a build without the `face` feature): nothing recorded.
    let s = TestServer::start_with_signals(config()).await;
    let o = org(&s).await;
    let two = checkin_ok(&s, &o.emp_sd1, meta("two", sd1(10.1), 8.6), FACE_TWO.to_vec()).await;
    let none = checkin_ok(&s, &o.emp_sd1, meta("none", sd1(12.9), 9.1), FACE_NONE.to_vec()).await;
    drained(&s, &o.admin).await;
    assert_eq!(review_kinds(&s, &o.admin, two).await, Vec::<String>::new());
    assert_eq!(review_kinds(&s, &o.admin, none).await, Vec::<String>::new());
    assert_eq!(own_punch(&s, &o.emp_sd1, two).await["state"], "counted");
}

/// Two portraits of one person and one of another (public domain; see
/// `tests/fixtures/face/README-embedder.md`).
#[cfg(feature = "face")]
const SAME_A: &[u8] = include_bytes!("fixtures/face/same_a.jpg");
#[cfg(feature = "face")]
const SAME_B: &[u8] = include_bytes!("fixtures/face/same_b.jpg");
#[cfg(feature = "face")]
const OTHER: &[u8] = include_bytes!("fixtures/face/other.jpg");

/// Uploads a photo as `nip`'s reference face.
#[cfg(feature = "face")]
async fn upload_reference(s: &TestServer, token: &str, nip: &str, photo: &[u8]) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(photo.to_vec()).file_name("wajah.jpg").mime_str("image/jpeg").unwrap(),
    );
    let url = s.url(&format!("/api/v1/employees/{nip}/reference-face"));
    let r = s.client.post(url).bearer_auth(token).multipart(form).send().await.unwrap();
    let st = r.status();
    let text = r.text().await.unwrap();
    (st, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The reference-face audit records (action, employee id).
#[cfg(feature = "face")]
async fn face_audit(s: &TestServer, admin: &str) -> Vec<(String, String)> {
    let (st, b) = s.get("/api/v1/audit?entity=employee&limit=100", admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let items = b["items"].as_array().unwrap();
    for a in items {
        assert!(!a.to_string().contains("embedding\":["), "no embedding in the audit trail: {a}");
    }
    items
        .iter()
        .filter(|a| a["action"].as_str().is_some_and(|a| a.ends_with("_reference_face")))
        .map(|a| (a["action"].as_str().unwrap().to_string(), a["entity_id"].as_str().unwrap().to_string()))
        .collect()
}

#[cfg(feature = "face")]
#[tokio::test]
async fn a_selfie_unlike_the_reference_face_waits_for_review_with_its_score() {
    let mut c = config();
    c.signals.faces = true;
    let s = TestServer::start_with_signals(c).await;
    let o = org(&s).await;
    let path = |n: u16| format!("/api/v1/employees/{}/reference-face", nip(n));
    let (_, me) = s.get(&format!("/api/v1/employees/{}", nip(3)), &o.admin).await;
    let emp_id = me["id"].as_i64().unwrap().to_string();

    // A selfie of the employee before any reference: one face, nothing compared, counted.
    let a = checkin_ok(&s, &o.emp_sd1, meta("a", sd1(12.3), 9.7), SAME_A.to_vec()).await;
    let rsud_at = GeoPoint::new(-0.52013, 117.16021);
    let rsud = checkin_ok(&s, &o.emp_rsud, meta("r", rsud_at, 8.2), jpeg(&scene(5, 640, 480), 85)).await;
    drained(&s, &o.admin).await;
    assert_eq!(review_kinds(&s, &o.admin, a).await, Vec::<String>::new());

    // Refusals, and nothing stored by any of them.
    let (st, b) = s.post(&path(3), &o.emp_sd1, json!({"punch_id": a})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_reference")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("sendiri"), "{b}");
    let (st, b) = upload_reference(&s, &o.emp_sd1, &nip(3), SAME_A).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_reference")), "{b}");
    let (st, b) = upload_reference(&s, &o.head, &nip(2), SAME_A).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("own_reference")),
        "head for themself: {b}"
    );
    // The operator of DIK does not reach RSUD's employee (nor the head of SD1).
    let (st, b) = upload_reference(&s, &o.operator, &nip(4), OTHER).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    let (st, b) = s.post(&path(4), &o.head, json!({"punch_id": rsud})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    // Photos with no face or several faces; another employee's punch; no punch at all.
    let (st, b) = upload_reference(&s, &o.head, &nip(3), FACE_NONE).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("face_none")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("Tidak ada wajah"), "{b}");
    let (st, b) = upload_reference(&s, &o.head, &nip(3), FACE_TWO).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("face_several")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("2 wajah"), "{b}");
    let (st, b) = s.post(&path(3), &o.admin, json!({"punch_id": rsud})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("punch_not_usable")), "{b}");
    let (st, b) = s.post(&path(3), &o.head, json!({"punch_id": 999_999})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("punch_not_usable")), "{b}");
    let (st, b) = upload_reference(&s, &o.head, &nip(3), b"not a picture").await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_unreadable")), "{b}");
    let (st, b) = s.get(&path(3), &o.head).await;
    assert_eq!((st, &b["has_reference"]), (StatusCode::OK, &json!(false)), "{b}");
    assert!(face_audit(&s, &o.admin).await.is_empty());

    // The head of SD1 enrols the employee's selfie; the answer never holds the embedding.
    let (st, b) = s.post(&path(3), &o.head, json!({"punch_id": a})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!((&b["has_reference"], &b["source"], &b["punch_id"]), (&json!(true), &json!("punch"), &json!(a)), "{b}");
    assert_eq!(b["enrolled_by"], nip(2), "{b}");
    assert!(b.get("embedding").is_none() && !b.to_string().contains("embedding"), "{b}");
    let (_, seen) = s.get(&path(3), &o.emp_sd1).await;
    assert_eq!((&seen["has_reference"], seen.get("embedding")), (&json!(true), None), "{seen}");
    assert_eq!(face_audit(&s, &o.admin).await, [("enrol_reference_face".to_string(), emp_id.clone())]);

    // Another photo of the same person counts; another person's face waits, with the score.
    let same = checkin_ok(&s, &o.emp_sd1, meta("b", sd1(10.8), 8.9), SAME_B.to_vec()).await;
    let other = checkin_ok(&s, &o.emp_sd1, meta("c", sd1(11.9), 10.6), OTHER.to_vec()).await;
    drained(&s, &o.admin).await;
    assert_eq!(review_kinds(&s, &o.admin, same).await, Vec::<String>::new(), "the same face is not flagged");
    assert_eq!(own_punch(&s, &o.emp_sd1, same).await["state"], "counted");
    assert_eq!(review_kinds(&s, &o.head, other).await, ["face_mismatch"]);
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == other).unwrap().clone();
    let score = item["signals"][0]["score"].as_f64().unwrap();
    assert!((0.3..0.55).contains(&score), "{item}");
    let shown = format!("{score:.2}").replace('.', ",");
    assert_eq!(item["signals"][0]["detail"], format!("Wajah tidak mirip dengan foto acuan ({shown})."), "{item}");
    let mine = own_punch(&s, &o.emp_sd1, other).await;
    assert_eq!(mine["state"], "pending", "{mine}");
    assert_eq!(mine["review_detail"], "Diperiksa karena wajah tidak mirip dengan foto acuan");
    // RSUD's employee has no reference: their selfie (no face) was never compared.
    assert_eq!(review_kinds(&s, &o.admin, rsud).await, ["face_none"]);

    // The operator of DIK (above SD1) replaces it with an uploaded photo; then removes it.
    let (st, b) = upload_reference(&s, &o.operator, &nip(3), SAME_B).await;
    assert_eq!((st, &b["source"], &b["punch_id"]), (StatusCode::CREATED, &json!("upload"), &Value::Null), "{b}");
    assert_eq!(b["enrolled_by"], nip(1), "{b}");
    let (st, b) = s.call(reqwest::Method::DELETE, &path(3), Some(&o.emp_sd1), Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_reference")), "{b}");
    assert_eq!(s.get(&path(3), &o.head).await.1["has_reference"], true);
    let (st, b) = s.call(reqwest::Method::DELETE, &path(3), Some(&o.head), Value::Null).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, _) = s.call(reqwest::Method::DELETE, &path(3), Some(&o.head), Value::Null).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&path(3), &o.head).await.1["has_reference"], false);
    let audit = face_audit(&s, &o.admin).await;
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(audit.iter().any(|(a, id)| a == "remove_reference_face" && *id == emp_id), "{audit:?}");

    // The routes are documented.
    let doc: Value = s.client.get(s.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let route = &doc["paths"]["/api/v1/employees/{nip}/reference-face"];
    assert!(["get", "post", "delete"].iter().all(|m| route.get(*m).is_some()), "{route}");

    // Without a reference, another person's face is no longer compared (the same picture
    // re-encoded: its bytes are not a stored punch's, its print is).
    let again = jpeg(&image::load_from_memory(OTHER).unwrap().to_rgb8(), 70);
    let later = checkin_ok(&s, &o.emp_sd1, meta("d", sd1(13.4), 7.3), again).await;
    drained(&s, &o.admin).await;
    assert!(!review_kinds(&s, &o.admin, later).await.contains(&"face_mismatch".to_string()));
}

/// Posts a photo to the console's reference-face form (multipart, as the browser sends it),
/// with a console cookie or an app token, and optionally an `Origin` header.
#[cfg(feature = "face")]
async fn console_upload(
    s: &TestServer,
    nip: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
    origin: Option<&str>,
    photo: &[u8],
) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(photo.to_vec()).file_name("wajah.jpg").mime_str("image/jpeg").unwrap(),
    );
    let mut req = console_client()
        .post(s.url(&format!("/admin/employees/{nip}/wajah-acuan")))
        .header("hx-request", "true")
        .multipart(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Issue 23 in the console: the head of SD1 uploads a reference face on the employee's page,
/// sees its status in the unit's zone and removes it; refusals (own page, another unit's
/// operator, a cross-site post, no session, an employee without a role, no face, two faces)
/// change and audit nothing; in the review inbox a mismatching selfie shows its score and the
/// operator makes it the reference face with one button.
#[cfg(feature = "face")]
#[tokio::test]
async fn the_console_enrols_reference_faces_on_the_employee_page_and_from_the_inbox() {
    let mut c = config();
    c.signals.faces = true;
    let s = TestServer::start_with_signals(c).await;
    let o = org(&s).await;
    let api = |n: u16| format!("/api/v1/employees/{}/reference-face", nip(n));
    let page_of = |n: u16| format!("/admin/employees/{}", nip(n));
    let head = console_session(&s, &nip(2), PW).await;
    let operator = console_session(&s, &nip(1), PW).await;

    // The head's view of employee 3: the section, no reference yet, the upload form.
    let (st, page) = console_get(&s, &page_of(3), &head).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("<h2>Wajah acuan</h2>") && page.contains("Belum ada wajah acuan."), "{page}");
    assert!(page.contains("id=\"face-upload\"") && !page.contains("id=\"face-remove\""), "{page}");
    // Their own page: the reason instead of the form.
    let (_, own) = console_get(&s, &page_of(2), &head).await;
    assert!(own.contains("id=\"face-own\"") && own.contains("sendiri") && !own.contains("id=\"face-upload\""), "{own}");

    // Refusals; nothing stored, nothing audited.
    let (st, body) = console_upload(&s, &nip(2), Some(&head), None, None, SAME_A).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "own: {body}");
    assert!(body.contains("wajah Anda sendiri") && body.contains("data-code=\"own_reference\""), "{body}");
    let (st, body) = console_upload(&s, &nip(4), Some(&operator), None, None, SAME_A).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "RSUD is outside DIK: {body}");
    let (st, body) = console_upload(&s, &nip(3), Some(&head), None, Some("http://evil.example"), SAME_A).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("situs lain"), "{body}");
    let (st, body) = console_upload(&s, &nip(3), None, None, None, SAME_A).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "no session (htmx: sent to the login page): {body}");
    let (st, body) = console_upload(&s, &nip(4), None, Some(&o.emp_sd1), None, SAME_A).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "an employee without a role: {body}");
    assert!(body.contains("Tidak berwenang"), "{body}");
    let (st, body) = console_upload(&s, &nip(3), Some(&head), None, None, FACE_NONE).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("Tidak ada wajah yang terlihat pada foto ini"), "{body}");
    let (st, body) = console_upload(&s, &nip(3), Some(&head), None, None, FACE_TWO).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("memuat 2 wajah"), "{body}");
    // No file chosen (an empty part, as a browser sends it).
    let (st, body) = console_upload(&s, &nip(3), Some(&head), None, None, b"").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("Pilih foto wajah pegawai terlebih dahulu."), "{body}");
    for n in [2, 3, 4] {
        assert_eq!(s.get(&api(n), &o.admin).await.1["has_reference"], false, "employee {n}");
    }
    assert!(face_audit(&s, &o.admin).await.is_empty());

    // The head uploads; the section says from what, by whom and when, in WITA.
    let (st, body) = console_upload(&s, &nip(3), Some(&head), None, Some(&s.base), SAME_A).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("Wajah acuan disimpan."), "{body}");
    assert!(body.contains(&format!("Terdaftar dari foto unggahan oleh Pegawai 2 ({})", nip(2))), "{body}");
    assert!(body.contains(" WITA.") && body.contains("id=\"face-remove\""), "{body}");
    let (_, b) = s.get(&api(3), &o.admin).await;
    assert_eq!(
        (&b["has_reference"], &b["source"], &b["enrolled_by"]),
        (&json!(true), &json!("upload"), &json!(nip(2)))
    );
    let (_, page) = console_get(&s, &page_of(3), &operator).await;
    assert!(page.contains("Terdaftar dari foto unggahan oleh Pegawai 2"), "the operator reads it too: {page}");
    assert_eq!(face_audit(&s, &o.admin).await.len(), 1);

    // A selfie of another face waits in the inbox with its score and the button.
    let other = checkin_ok(&s, &o.emp_sd1, meta("x", sd1(11.2), 9.1), OTHER.to_vec()).await;
    let rsud = checkin_ok(&s, &o.emp_rsud, meta("r", GeoPoint::new(-0.52013, 117.16021), 8.2), SAME_B.to_vec()).await;
    drained(&s, &o.admin).await;
    assert_eq!(review_kinds(&s, &o.admin, other).await, ["face_mismatch"]);
    let (st, inbox) = console_get(&s, "/admin/inbox", &operator).await;
    assert_eq!(st, StatusCode::OK, "{inbox}");
    let card = inbox.split(&format!("id=\"punch-{other}\"")).nth(1).unwrap().split("</article>").next().unwrap();
    assert!(card.contains("Wajah tidak mirip dengan foto acuan (0,"), "{card}");
    assert!(
        card.contains("Jadikan wajah acuan") && card.contains(&format!("name=\"punch_id\" value=\"{other}\"")),
        "{card}"
    );

    // From the inbox: another unit's punch (404) and an unknown one change nothing; then the
    // operator makes the selfie the reference face.
    let (st, _) = console_post(&s, "/admin/review/wajah-acuan", &operator, &format!("punch_id={rsud}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = console_post(&s, "/admin/review/wajah-acuan", &operator, "punch_id=999999").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("tidak dapat dipakai"), "{body}");
    assert_eq!(s.get(&api(4), &o.admin).await.1["has_reference"], false);
    assert_eq!(s.get(&api(3), &o.admin).await.1["source"], "upload");
    let (st, body) = console_post(&s, "/admin/review/wajah-acuan", &operator, &format!("punch_id={other}")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains(&format!("Swafoto absen #{other} menjadi wajah acuan Pegawai 3")), "{body}");
    let (_, b) = s.get(&api(3), &o.admin).await;
    assert_eq!((&b["source"], &b["punch_id"], &b["enrolled_by"]), (&json!("punch"), &json!(other), &json!(nip(1))));
    let (_, page) = console_get(&s, &page_of(3), &head).await;
    assert!(page.contains(&format!("Terdaftar dari absen #{other} oleh Pegawai 1 ({})", nip(1))), "{page}");
    assert_eq!(face_audit(&s, &o.admin).await.len(), 2);

    // A special check-in is decided with its request: its card has the button too.
    let mut m = meta("dl", GeoPoint::new(-1.2, 116.8), 9.0);
    m["special"] = json!(true);
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(SAME_A.to_vec())).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let special = b["punch"]["id"].as_i64().unwrap();
    let (_, inbox) = console_get(&s, "/admin/inbox", &operator).await;
    let card = inbox.split("class=\"card request\"").nth(1).unwrap().split("</article>").next().unwrap();
    assert!(card.contains(&format!("name=\"punch_id\" value=\"{special}\"")), "{card}");
    let (st, body) = console_post(&s, "/admin/review/wajah-acuan", &operator, &format!("punch_id={special}")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(s.get(&api(3), &o.admin).await.1["punch_id"], special);
    assert_eq!(face_audit(&s, &o.admin).await.len(), 3);

    // Removal: refused on one's own page and across units; then the head removes it.
    let (st, _) = console_post(&s, &format!("/admin/employees/{}/wajah-acuan/hapus", nip(2)), &head, "").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = console_post(&s, &format!("/admin/employees/{}/wajah-acuan/hapus", nip(4)), &operator, "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(face_audit(&s, &o.admin).await.len(), 3, "nothing removed");
    let (st, body) = console_post(&s, &format!("/admin/employees/{}/wajah-acuan/hapus", nip(3)), &head, "").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("Wajah acuan dihapus.") && body.contains("Belum ada wajah acuan."), "{body}");
    assert_eq!(s.get(&api(3), &o.admin).await.1["has_reference"], false);
    let (st, body) = console_post(&s, &format!("/admin/employees/{}/wajah-acuan/hapus", nip(3)), &head, "").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "none left: {body}");
    let audit = face_audit(&s, &o.admin).await;
    assert_eq!(audit.iter().filter(|(a, _)| a == "remove_reference_face").count(), 1, "{audit:?}");
}
