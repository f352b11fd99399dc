//! Issue 4: the mobile check-in path over real HTTP.

mod common;

use common::*;
use hadir_domain::GeoPoint;
use hadir_domain::geo::offset_north;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(m: f64) -> GeoPoint {
    offset_north(GeoPoint::new(SD1_LAT, SD1_LON), m)
}

fn meta(key: &str, p: GeoPoint) -> Value {
    json!({"idempotency_key": key, "lat": p.lat, "lon": p.lon, "accuracy_m": 8.0})
}

#[tokio::test]
async fn geofence_edges_and_other_units() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("k99", at(99.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["location"], "Kantor SD1");
    assert!((b["punch"]["distance_m"].as_f64().unwrap() - 99.0).abs() < 0.2);
    assert!(b["message"].as_str().unwrap().contains("WITA"), "{b}");
    assert!(b["punch"]["punched_at"].as_str().unwrap().ends_with("+08:00"));

    let (st, b, _) = s.checkin(&o.emp_sd1, meta("k101", at(101.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["code"], "outside_geofence");
    assert_eq!(b["error"]["details"]["location"], "Kantor SD1");
    assert!((b["error"]["details"]["distance_m"].as_f64().unwrap() - 101.0).abs() < 0.2);
    assert!(b["error"]["message"].as_str().unwrap().contains("Absen khusus"));

    // Standing at another unit's office does not count for an SD1 teacher.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("krsud", GeoPoint::new(-0.52, 117.16)), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")));

    // Special attendance (dinas luar) is accepted anywhere, marked pending approval.
    let mut m = meta("kdl", GeoPoint::new(-1.2, 116.8));
    m["special"] = json!(true);
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["source"], "special");
    assert_eq!(b["punch"]["review"], "special_pending");

    // Poor GPS accuracy is refused with its own code.
    let mut m = meta("kacc", at(10.0));
    m["accuracy_m"] = json!(900.0);
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("inaccurate_location")));
    // Nothing was stored for the refused ones.
    let (_, list) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

/// Locations are added, moved and removed through the API (admins, audited), and check-ins
/// follow at once.
#[tokio::test]
async fn locations_are_edited_and_check_ins_follow() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let annex = offset_north(GeoPoint::new(SD1_LAT, SD1_LON), 2_000.0);
    let body = json!({"name": "Gedung B", "lat": annex.lat, "lon": annex.lon, "radius_m": 60});
    // Operators may not; bad input is refused with field messages.
    let (st, _) = s.post("/api/v1/units/SD1/locations", &o.operator, body.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let bad = json!({"name": "X", "lat": 95.0, "lon": 117.0});
    let (st, b) = s.post("/api/v1/units/SD1/locations", &o.admin, bad).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_location")));
    let bad = json!({"name": "X", "lat": -0.5, "lon": 117.0, "radius_m": 5});
    let (st, b) = s.post("/api/v1/units/SD1/locations", &o.admin, bad).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_radius")));
    let bad = json!({"name": " ", "lat": -0.5, "lon": 117.0});
    let (st, b) = s.post("/api/v1/units/SD1/locations", &o.admin, bad).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required")));

    // 2 km away: refused until the annex is a location of SD1.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("a1", annex), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")));
    let (st, unit) = s.post("/api/v1/units/SD1/locations", &o.admin, body).await;
    assert_eq!(st, StatusCode::CREATED, "{unit}");
    let loc = unit["locations"].as_array().unwrap().iter().find(|l| l["name"] == "Gedung B").unwrap().clone();
    let id = loc["id"].as_i64().unwrap();
    assert_eq!(loc["radius_m"], 60.0);
    let near = offset_north(annex, 50.0);
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("a2", near), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["location"], "Gedung B");

    // A smaller radius: 50 m from the annex is now outside.
    let path = format!("/api/v1/units/SD1/locations/{id}");
    let (st, b) = s
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&o.admin),
            json!({"name": "Gedung B", "lat": annex.lat, "lon": annex.lon, "radius_m": 30}),
        )
        .await;
    assert_eq!((st, b["locations"][1]["radius_m"].as_f64()), (StatusCode::OK, Some(30.0)), "{b}");
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("a3", near), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")));
    // Another unit's location id is "not found" under SD1.
    let (st, _) = s
        .call(
            reqwest::Method::PUT,
            "/api/v1/units/RSUD/locations/1",
            Some(&o.admin),
            json!({"name": "x", "lat": -0.5, "lon": 117.0}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // In use as an employee's extra location: removal refused until unassigned.
    let (st, _) =
        s.post(&format!("/api/v1/employees/{}/locations", nip(4)), &o.admin, json!({"location_id": id})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = s.call(reqwest::Method::DELETE, &path, Some(&o.admin), Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("location_in_use")), "{b}");
    let (st, _) = s
        .post(&format!("/api/v1/employees/{}/locations", nip(4)), &o.admin, json!({"location_id": id, "assign": false}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = s.call(reqwest::Method::DELETE, &path, Some(&o.admin), Value::Null).await;
    assert_eq!((st, b["locations"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{b}");

    let (_, audit) = s.get("/api/v1/audit?entity=unit", &o.admin).await;
    let acts: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["add_location", "update_location", "delete_location"] {
        assert!(acts.contains(&a), "{acts:?}");
    }
}

#[tokio::test]
async fn photo_rules() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("p1", at(5.0)), None).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_required")));
    let big = vec![0xFFu8; 2 * 1024 * 1024 + 10];
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("p2", at(5.0)), Some(big)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("photo_too_large")), "{b}");
    let text = b"ini bukan foto, hanya teks".to_vec();
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("p3", at(5.0)), Some(text)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_type")));
    let (_, list) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "bad input changes nothing");

    // A good photo is served to the employee, their head and admins, not to colleagues.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("p4", at(5.0)), Some(jpeg(400))).await;
    assert_eq!(st, 201);
    let url = b["punch"]["photo_url"].as_str().unwrap().to_string();
    let thumb = b["punch"]["thumb_url"].as_str().unwrap().to_string();
    for (who, tok, want) in [
        ("self", &o.emp_sd1, 200),
        ("head", &o.head, 200),
        ("admin", &o.admin, 200),
        ("colleague elsewhere", &o.emp_rsud, 404),
    ] {
        let r = s.client.get(s.url(&url)).bearer_auth(tok).send().await.unwrap();
        assert_eq!(r.status().as_u16(), want, "{who}");
    }
    let r = s.client.get(s.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 401, "never without authorisation");
    let r = s.client.get(s.url(&thumb)).bearer_auth(&o.head).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert!(img.width() <= 160 && img.height() <= 160);
}

#[tokio::test]
async fn idempotent_repeats_sequential_and_concurrent() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st1, _, body1) = s.checkin(&o.emp_sd1, meta("same", at(3.0)), Some(jpeg(64))).await;
    let (st2, _, body2) = s.checkin(&o.emp_sd1, meta("same", at(3.0)), Some(jpeg(64))).await;
    assert_eq!((st1, st2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(body1, body2, "the first answer, byte for byte");

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (c, url, tok) = (s.client.clone(), s.url("/api/v1/checkins"), o.emp_sd1.clone());
        let m = meta("burst", at(4.0)).to_string();
        tasks.push(tokio::spawn(async move {
            let form = reqwest::multipart::Form::new()
                .text("meta", m)
                .part("photo", reqwest::multipart::Part::bytes(jpeg(64)).mime_str("image/jpeg").unwrap());
            let r = c.post(url).bearer_auth(tok).multipart(form).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }));
    }
    let mut created = 0;
    let mut bodies = std::collections::HashSet::new();
    for t in tasks {
        let (st, body) = t.await.unwrap();
        assert!(st == 201 || st == 200, "{st} {body}");
        created += (st == 201) as u32;
        bodies.insert(body);
    }
    assert_eq!(created, 1, "exactly one request created the punch");
    assert_eq!(bodies.len(), 1, "every repeat got the same answer");
    let (_, list) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // Keys are per employee: another employee may use the same key.
    let (st, _, _) = s.checkin(&o.head, meta("same", at(3.0)), Some(jpeg(64))).await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn capture_time_rules() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let now = jiff::Timestamp::now();
    let with_capture = |key: &str, t: jiff::Timestamp| {
        let mut m = meta(key, at(2.0));
        m["captured_at"] = json!(t.to_string());
        m
    };
    let one_min = now - jiff::SignedDuration::from_mins(1);
    let (st, b, _) = s.checkin(&o.emp_sd1, with_capture("c1", one_min), Some(jpeg(64))).await;
    assert_eq!(st, 201, "{b}");
    let punched: jiff::Timestamp = b["punch"]["punched_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(punched.as_second(), one_min.as_second(), "the capture time is the punch time");
    assert_eq!(b["punch"]["review"], Value::Null);

    let three_h = now - jiff::SignedDuration::from_hours(3);
    let (st, b, _) = s.checkin(&o.emp_sd1, with_capture("c2", three_h), Some(jpeg(64))).await;
    assert_eq!(st, 201, "an offline punch is accepted, never dropped");
    let punched: jiff::Timestamp = b["punch"]["punched_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(punched.as_second(), three_h.as_second());
    assert_eq!(b["punch"]["review"], "offline_gap");
    assert_eq!(b["punch"]["state"], "pending", "without an outage to explain it, it waits for review");
    assert!(b["message"].as_str().unwrap().starts_with("Menunggu pemeriksaan atasan"), "{b}");
    assert!(b["punch"]["review_detail"].as_str().unwrap().contains("180 menit"));
    let received: jiff::Timestamp = b["punch"]["received_at"].as_str().unwrap().parse().unwrap();
    assert!(received >= now - jiff::SignedDuration::from_secs(5));

    let future = now + jiff::SignedDuration::from_mins(10);
    let (st, b, _) = s.checkin(&o.emp_sd1, with_capture("c3", future), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("clock_skew")));
    let (st, b, _) = s.checkin(&o.emp_sd1, with_capture("c4", now).clone(), Some(jpeg(64))).await;
    assert_eq!(st, 201, "{b}");
}

#[tokio::test]
async fn who_may_check_in_and_read_punches() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // Admins are not employees: no check-in.
    let (st, _, _) = s.checkin(&o.admin, meta("a", at(1.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s.checkin(&o.emp_sd1, meta("e1", at(1.0)), Some(jpeg(64))).await;
    assert_eq!(st, 201);
    // A deactivated employee cannot punch.
    let (st, _) = s.post(&format!("/api/v1/employees/{}/deactivate", nip(3)), &o.operator, Value::Null).await;
    assert_eq!(st, 200);
    let (st, _, _) = s.checkin(&o.emp_sd1, meta("e2", at(1.0)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Punch lists follow the scope rules.
    let q = format!("/api/v1/punches?employee={}", nip(3));
    assert_eq!(s.get(&q, &o.head).await.0, 200);
    assert_eq!(s.get(&q, &o.operator).await.0, 200);
    assert_eq!(s.get(&q, &o.emp_rsud).await.0, 404);
    let (_, list) = s.get(&q, &o.admin).await;
    assert_eq!(list["items"][0]["source"], "mobile");
    // Malformed requests get clear codes.
    let r = s.client.post(s.url("/api/v1/checkins")).bearer_auth(&o.head).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let (st, b, _) = s.checkin(&o.head, json!({"lat": 1}), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_meta")));
}

#[tokio::test]
async fn an_assigned_extra_location_counts_for_that_employee_only() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let rsud_office = GeoPoint::new(-0.52, 117.16);
    let (st, _, _) = s.checkin(&o.emp_sd1, meta("x1", rsud_office), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, units) = s.get("/api/v1/units", &o.admin).await;
    let rsud = units.as_array().unwrap().iter().find(|u| u["code"] == "RSUD").unwrap();
    let loc = rsud["locations"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/employees/{}/locations", nip(3));
    // The DIK operator cannot see RSUD's location; the admin can assign it.
    let (st, _) = s.post(&path, &o.operator, json!({"location_id": loc})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.post(&path, &o.admin, json!({"location_id": loc})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, list) = s.get(&path, &o.head).await;
    assert_eq!(list[0]["name"], "Kantor RSUD");
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("x2", rsud_office), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["location"], "Kantor RSUD");
    // A colleague of the same school still cannot check in there.
    let (st, _, _) = s.checkin(&o.head, meta("x3", rsud_office), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // Removing it takes effect at once.
    let (st, _) = s.post(&path, &o.admin, json!({"location_id": loc, "assign": false})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _, _) = s.checkin(&o.emp_sd1, meta("x4", rsud_office), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Issue 23: a stored selfie's bytes prove one punch only. The same file under another key,
/// another day or another employee is refused and nothing is stored; a photo first refused
/// (outside the geofence) is in no punch, so it may still be used.
#[tokio::test]
async fn a_photo_proves_one_punch_only() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let photo = jpeg(64);
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("first", at(101.0)), Some(photo.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")));
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("first-again", at(10.0)), Some(photo.clone())).await;
    assert_eq!(st, StatusCode::CREATED, "a refused photo is in no punch: {b}");
    // A retry with the same key gets the first answer back, not a refusal.
    let (st, again, _) = s.checkin(&o.emp_sd1, meta("first-again", at(10.0)), Some(photo.clone())).await;
    assert_eq!((st, &again["punch"]["id"]), (StatusCode::OK, &b["punch"]["id"]));

    let (st, b, _) = s.checkin(&o.emp_sd1, meta("copy-same-person", at(10.0)), Some(photo.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_reused")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("swafoto baru"), "{b}");
    let rsud = meta("copy-other-person", GeoPoint::new(-0.52, 117.16));
    let (st, b, _) = s.checkin(&o.emp_rsud, rsud, Some(photo.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_reused")), "{b}");
    let mut special = meta("copy-special", GeoPoint::new(-1.2, 116.8));
    special["special"] = json!(true);
    let (st, b, _) = s.checkin(&o.emp_sd1, special, Some(photo.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo_reused")), "{b}");

    // Nothing was stored for the copies, and a fresh selfie still counts.
    let (_, mine) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    let (_, theirs) = s.get("/api/v1/punches", &o.emp_rsud).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "{theirs}");
    let (st, b, _) = s.checkin(&o.emp_rsud, meta("fresh", GeoPoint::new(-0.52, 117.16)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(s.store.verify_chain().await.unwrap().first_broken, None);
}
