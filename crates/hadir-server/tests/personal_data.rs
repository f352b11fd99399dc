//! Issue 17, personal data kept as UU 27/2022 (PDP) asks, over real HTTP: the access log
//! ("siapa yang melihat data saya"), the retention purge (local files and S3: files gone, 410,
//! the chain still verifies, positions no longer served), the own-data export and the notice.
//! Runs on SQLite, or on PostgreSQL when `HADIR_TEST_PG_URL` is set.

mod common;

use common::*;
use hadir_blob::{BlobStore, S3Settings, content_hash};
use hadir_domain::parse_holiday_csv;
use hadir_server::config::RetentionConfig;
use hadir_server::{Server, ServerConfig};
use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn meta(key: &str) -> Value {
    json!({"idempotency_key": key, "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 8.0})
}

/// A working day of last month (a request date nobody's rules refuse).
fn workday() -> Date {
    let holidays = parse_holiday_csv(hadir_domain::DEFAULT_HOLIDAYS_CSV).unwrap();
    let wita = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let first = Timestamp::now().to_zoned_datetime(wita).date().first_of_month().checked_sub(1.month()).unwrap();
    let mut d = first;
    loop {
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        if !weekend && !holidays.iter().any(|h| h.date == d) {
            return d.checked_add(7.days()).unwrap();
        }
        d = d.tomorrow().unwrap();
    }
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

async fn get_bytes(s: &TestServer, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let r = s.client.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    let st = r.status();
    (st, r.bytes().await.unwrap().to_vec())
}

async fn access_log(s: &TestServer, token: &str) -> Value {
    let (st, b) = s.get("/api/v1/me/access-log", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        out.insert(f.name().unwrap().to_string(), buf);
    }
    out
}

#[tokio::test]
async fn access_log_export_and_retention_purge() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let me = nip(3);
    let photo = jpeg(64);
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("pdp-1"), Some(photo.clone())).await;
    assert!(st.is_success(), "{b}");
    let punch = b["punch"]["id"].as_i64().unwrap();
    let photo_url = format!("/api/v1/punches/{punch}/photo");

    // The privacy notice: what, why, how long (from the settings), in Indonesian, no login.
    let (st, notice) = s.call(reqwest::Method::GET, "/api/v1/privacy", None, Value::Null).await;
    assert_eq!(st, StatusCode::OK, "{notice}");
    let text = notice["paragraphs"].to_string();
    assert!(text.contains("swafoto 2 tahun") && text.contains("lampiran pengajuan 5 tahun"), "{text}");
    assert_eq!(notice["retention"][0]["months"], 24);

    // The owner's own views are not logged.
    assert_eq!(get_bytes(&s, &photo_url, &o.emp_sd1).await, (StatusCode::OK, photo.clone()));
    let (st, _) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(access_log(&s, &o.emp_sd1).await["total"], 0);

    // The operator views the selfie (and its thumbnail); the head lists the punches with positions.
    assert_eq!(get_bytes(&s, &photo_url, &o.operator).await.0, StatusCode::OK);
    assert_eq!(get_bytes(&s, &format!("{photo_url}?size=thumb"), &o.operator).await.0, StatusCode::OK);
    let (st, list) = s.get(&format!("/api/v1/punches?employee={me}"), &o.head).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list["items"][0]["lat"], SD1_LAT);
    let log = access_log(&s, &o.emp_sd1).await;
    assert_eq!(log["total"], 3, "{log}");
    let items = log["items"].as_array().unwrap();
    assert_eq!(items[0]["kind"], "position");
    assert_eq!(items[0]["viewer_username"], nip(2));
    assert_eq!(items[1]["kind"], "photo");
    assert_eq!(items[1]["kind_label"], "swafoto");
    assert_eq!(items[1]["viewer_username"], nip(1));
    assert_eq!(items[1]["item"], format!("punch:{punch}"));
    // Another employee's log is their own.
    assert_eq!(access_log(&s, &o.emp_rsud).await["total"], 0);

    // Evidence: the owner's view is not logged, the head's is.
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "IZIN", "date_from": workday().to_string(), "reason": "urusan keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let req = r["id"].as_i64().unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(pdf()).file_name("surat.pdf".to_string()));
    let resp = s
        .client
        .post(s.url(&format!("/api/v1/requests/{req}/attachments")))
        .bearer_auth(&o.emp_sd1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let att_url = resp.json::<Value>().await.unwrap()["items"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(get_bytes(&s, &att_url, &o.emp_sd1).await, (StatusCode::OK, pdf()));
    assert_eq!(access_log(&s, &o.emp_sd1).await["total"], 3);
    assert_eq!(get_bytes(&s, &att_url, &o.head).await.0, StatusCode::OK);
    let log = access_log(&s, &o.emp_sd1).await;
    assert_eq!(log["total"], 4);
    assert_eq!(log["items"][0]["kind"], "evidence");

    // Admins see the whole log, by employee or by viewer; others may not.
    let (st, all) = s.get(&format!("/api/v1/access-log?employee={me}"), &o.admin).await;
    assert_eq!((st, all["total"].as_u64()), (StatusCode::OK, Some(4)), "{all}");
    let (_, by_op) = s.get(&format!("/api/v1/access-log?viewer={}", nip(1)), &o.admin).await;
    assert_eq!(by_op["total"], 2, "{by_op}");
    let (st, _) = s.get("/api/v1/access-log", &o.operator).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.get("/api/v1/me/access-log", &o.admin).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the admin account is not an employee");

    // The own-data export: the JSON and the files.
    let r = s.client.get(s.url("/api/v1/me/export")).bearer_auth(&o.emp_sd1).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let files = unzip(&r.bytes().await.unwrap());
    let data: Value = serde_json::from_slice(&files["data-saya.json"]).unwrap();
    assert_eq!(data["employee"]["login"], me);
    assert_eq!(data["punches"].as_array().unwrap().len(), 1);
    assert_eq!(data["punches"][0]["lat"], SD1_LAT);
    assert_eq!(data["requests"][0]["id"], req);
    assert!(data["days"].is_array());
    let photo_file = data["photos"][0]["file"].as_str().unwrap();
    assert_eq!(files[photo_file], photo, "the selfie itself");
    let att_file = data["attachments"][0]["file"].as_str().unwrap();
    assert_eq!(files[att_file], pdf());
    let (st, _) = s.get("/api/v1/me/export", &o.admin).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The purge, 25 months on: the selfie and its thumbnail are deleted, the position withdrawn;
    // the evidence (five years) stays.
    let blob = BlobStore::local(&s.dir.path().join("blobs")).unwrap();
    let hash = content_hash(&photo);
    assert!(blob.exists("photos", &hash).await.unwrap());
    assert!(blob.exists("thumbs", &hash).await.unwrap());
    let retention = RetentionConfig::default();
    let later = Timestamp::now().checked_add(25 * 31 * 24 * 3600 * 1000.milliseconds()).unwrap();
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, later).await.unwrap();
    assert_eq!((rep.photos, rep.positions, rep.evidence, rep.files_deleted), (1, 1, 0, 1), "{rep:?}");
    assert!(!blob.exists("photos", &hash).await.unwrap(), "the selfie file is gone");
    assert!(!blob.exists("thumbs", &hash).await.unwrap(), "its thumbnail too");
    for token in [&o.emp_sd1, &o.operator] {
        let (st, b) = s.get(&photo_url, token).await;
        assert_eq!(st, StatusCode::GONE, "{b}");
        assert_eq!(b["error"]["code"], "photo_purged");
        assert!(b["error"]["message"].as_str().unwrap().contains("sudah dihapus"), "{b}");
    }
    let (st, _) = s.get(&format!("{photo_url}?size=thumb"), &o.operator).await;
    assert_eq!(st, StatusCode::GONE);
    // The chain still verifies: the hashed facts were not touched.
    let chain = s.store.verify_chain().await.unwrap();
    assert_eq!((chain.checked, chain.first_broken), (1, None));
    // Positions are no longer served, to anyone (and listing them is no longer a position view).
    let before = access_log(&s, &o.emp_sd1).await["total"].as_u64().unwrap();
    for (token, q) in [(&o.emp_sd1, String::new()), (&o.head, format!("?employee={me}"))] {
        let (_, list) = s.get(&format!("/api/v1/punches{q}"), token).await;
        let p = &list["items"][0];
        assert!(p["lat"].is_null() && p["lon"].is_null() && p["accuracy_m"].is_null(), "{p}");
        assert_eq!((p["position_purged"].as_bool(), p["photo_purged"].as_bool()), (Some(true), Some(true)));
        assert!(p["photo_url"].is_null(), "{p}");
    }
    assert_eq!(access_log(&s, &o.emp_sd1).await["total"].as_u64().unwrap(), before);
    // Running again finds nothing; the evidence is still there.
    let again = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, later).await.unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(get_bytes(&s, &att_url, &o.emp_sd1).await.0, StatusCode::OK);

    // The export after the purge: the record without the selfie or the position.
    let (st, bytes) = get_bytes(&s, "/api/v1/me/export", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK);
    let files = unzip(&bytes);
    let data: Value = serde_json::from_slice(&files["data-saya.json"]).unwrap();
    assert!(data["photos"].as_array().unwrap().is_empty());
    assert!(data["punches"][0]["lat"].is_null());
    assert!(!files.keys().any(|k| k.starts_with("foto/")), "{:?}", files.keys());

    // Five years on the evidence goes too: 410, the file deleted.
    let much_later = Timestamp::now().checked_add(61 * 31 * 24 * 3600 * 1000.milliseconds()).unwrap();
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, much_later).await.unwrap();
    assert_eq!((rep.evidence, rep.files_deleted), (1, 1), "{rep:?}");
    assert!(!blob.exists("evidence", &content_hash(&pdf())).await.unwrap());
    let (st, b) = s.get(&att_url, &o.head).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::GONE, Some("attachment_purged")), "{b}");
}

#[tokio::test]
async fn retention_zero_keeps_data() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("pdp-keep"), Some(jpeg(32))).await;
    assert!(st.is_success(), "{b}");
    let blob = BlobStore::local(&s.dir.path().join("blobs")).unwrap();
    let keep = RetentionConfig { selfie_months: 0, position_months: 0, evidence_months: 0, purge_enabled: true };
    let far = Timestamp::now().checked_add(100 * 31 * 24 * 3600 * 1000.milliseconds()).unwrap();
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &keep, far).await.unwrap();
    assert_eq!(rep, Default::default());
    // Within the period nothing goes either.
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &RetentionConfig::default(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(rep, Default::default());
    let id = b["punch"]["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/api/v1/punches/{id}/photo"), &o.operator).await.0, StatusCode::OK);
}

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// moto on a free loopback port with a bucket `hadir-test`; `None` (skip) only when moto is
/// absent and `HADIR_REQUIRE_S3` is not set.
async fn moto() -> Option<(Moto, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => Moto(c),
        Err(e) => {
            assert!(std::env::var_os("HADIR_REQUIRE_S3").is_none(), "moto_server is required but did not start: {e}");
            eprintln!("skipped: moto_server not installed (pip install 'moto[server]')");
            return None;
        }
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let c = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = c.put(format!("{endpoint}/hadir-test")).send().await
            && r.status().is_success()
        {
            return Some((child, endpoint));
        }
        assert!(Instant::now() < deadline, "moto did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The purge against photos in an S3 bucket: a second instance on the same store keeps its
/// photos in moto; the purge deletes the object there and that instance answers 410.
#[tokio::test]
async fn purge_deletes_photos_in_s3() {
    let Some((_moto, endpoint)) = moto().await else { return };
    let s = TestServer::start().await;
    let o = org(&s).await;
    let settings = S3Settings {
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        allow_http: Some(true),
    };
    let blob = BlobStore::from_url("s3://hadir-test/kab-contoh", &settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = Server { config: ServerConfig::default(), store: s.store.clone(), blob: blob.clone() };
    let task = tokio::spawn(server.run(listener, std::future::pending()));

    let photo = jpeg(48);
    let form = reqwest::multipart::Form::new().text("meta", meta("pdp-s3").to_string()).part(
        "photo",
        reqwest::multipart::Part::bytes(photo.clone()).file_name("selfie.jpg").mime_str("image/jpeg").unwrap(),
    );
    let r =
        s.client.post(format!("{base}/api/v1/checkins")).bearer_auth(&o.emp_sd1).multipart(form).send().await.unwrap();
    assert!(r.status().is_success());
    let id = r.json::<Value>().await.unwrap()["punch"]["id"].as_i64().unwrap();
    let url = format!("{base}/api/v1/punches/{id}/photo");
    let hash = content_hash(&photo);
    assert!(blob.exists("photos", &hash).await.unwrap(), "the selfie is in the bucket");
    let r = s.client.get(&url).bearer_auth(&o.operator).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let later = Timestamp::now().checked_add(25 * 31 * 24 * 3600 * 1000.milliseconds()).unwrap();
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &RetentionConfig::default(), later).await.unwrap();
    assert_eq!((rep.photos, rep.files_deleted, rep.files_failed), (1, 1, 0), "{rep:?}");
    assert!(!blob.exists("photos", &hash).await.unwrap(), "the object is gone from the bucket");
    let r = s.client.get(&url).bearer_auth(&o.operator).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(s.store.verify_chain().await.unwrap().first_broken, None);
    task.abort();
}

async fn console_cookie(s: &TestServer, user: &str, pw: &str) -> String {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// The console's photo view is logged like the API's; admins read the log on `/admin/akses`,
/// operators may not.
#[tokio::test]
async fn console_views_are_logged_and_listed_for_admins() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("pdp-console"), Some(jpeg(40))).await;
    assert!(st.is_success(), "{b}");
    let id = b["punch"]["id"].as_i64().unwrap();
    let op = console_cookie(&s, &nip(1), PW).await;
    let r = s.client.get(s.url(&format!("/admin/punches/{id}/photo"))).header("cookie", &op).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let log = access_log(&s, &o.emp_sd1).await;
    assert_eq!((log["total"].as_u64(), log["items"][0]["kind"].as_str()), (Some(1), Some("photo")), "{log}");

    let admin = console_cookie(&s, "admin", ADMIN_PW).await;
    let r = s
        .client
        .get(s.url(&format!("/admin/akses?employee={}", nip(3))))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Akses data pribadi") && page.contains(&format!("absen nomor {id}")), "{page}");
    assert!(page.contains("swafoto") && page.contains(&nip(1)), "{page}");
    let r = s.client.get(s.url("/admin/akses")).header("cookie", &op).send().await.unwrap();
    assert!(!r.status().is_success(), "operators do not read the whole log");
}

/// Issue 23 and UU 27/2022: a reference face (an embedding: biometric data) is named in the
/// privacy notice with how long it is kept, shown in the own-data export without the embedding,
/// and removed by the daily purge the day after the employee's last day in their unit's zone
/// (kept the day before and on the end date itself), audited as a system action. The face is
/// put in through the store as the enrolment handler does after its face checks (enrolment over
/// HTTP is tested in `fraud.rs`; this build may lack the face models).
#[tokio::test]
async fn a_reference_face_is_named_exported_and_purged_the_day_after_employment_ends() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, notice) = s.call(reqwest::Method::GET, "/api/v1/privacy", None, Value::Null).await;
    assert_eq!(st, StatusCode::OK, "{notice}");
    let text = notice["paragraphs"].to_string();
    assert!(text.contains("wajah acuan (angka ciri wajah"), "{text}");
    assert!(text.contains("wajah acuan sampai masa kerja berakhir"), "{text}");
    let face = notice["retention"].as_array().unwrap().iter().find(|r| r["kind"] == "reference_face").unwrap().clone();
    assert_eq!(
        (&face["label"], &face["period"], &face["until_employment_ends"]),
        (&json!("Wajah acuan"), &json!("sampai masa kerja berakhir"), &json!(true)),
        "{face}"
    );
    assert_eq!(notice["retention"][0]["period"], "2 tahun setelah bulannya berakhir");

    let export = |token: String| {
        let s = &s;
        async move {
            let (st, bytes) = get_bytes(s, "/api/v1/me/export", &token).await;
            assert_eq!(st, StatusCode::OK);
            let files = unzip(&bytes);
            let text = String::from_utf8(files["data-saya.json"].clone()).unwrap();
            assert!(!text.contains("embedding"), "never the embedding: {text}");
            serde_json::from_str::<Value>(&text).unwrap()["reference_face"].clone()
        }
    };
    assert_eq!(export(o.emp_sd1.clone()).await["has_reference"], false);

    let emp = s.store.employee_by_login(&nip(3)).await.unwrap().id;
    let rsud = s.store.employee_by_login(&nip(4)).await.unwrap().id;
    let head = s.store.account_by_username(&nip(2)).await.unwrap();
    let enrolled_at: Timestamp = "2026-11-02T01:30:00Z".parse().unwrap();
    for id in [emp, rsud] {
        let f = hadir_store::ReferenceFace {
            employee_id: id,
            model: "faceres-1.2".into(),
            embedding: [0, 0, 128, 63].repeat(1024),
            source: "upload".into(),
            punch_id: None,
            enrolled_by_account: Some(head.id),
            enrolled_by: nip(2),
            enrolled_at,
        };
        let audit =
            hadir_store::Audit::new((Some(head.id), &nip(2)), "enrol_reference_face", "employee", &id.to_string());
        s.store.set_reference_face(&f, audit).await.unwrap();
    }
    let mine = export(o.emp_sd1.clone()).await;
    assert_eq!(
        (&mine["has_reference"], &mine["source"], &mine["enrolled_by"], &mine["enrolled_at"]),
        (&json!(true), &json!("upload"), &json!(nip(2)), &json!("2026-11-02T01:30:00Z")),
        "{mine}"
    );

    // Employee 3's last day is today (SD1 is in WITA); employee 4 stays.
    let wita = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let end = Timestamp::now().to_zoned_datetime(wita.clone()).date();
    let (st, b) = s
        .post(&format!("/api/v1/employees/{}/deactivate", nip(3)), &o.admin, json!({"end_date": end.to_string()}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let at = |d: Date, hh: i8, mm: i8| d.at(hh, mm, 0, 0).to_zoned_datetime(wita.clone()).unwrap().timestamp();
    let blob = BlobStore::local(&s.dir.path().join("blobs")).unwrap();
    let retention = RetentionConfig::default();
    let has = |n: u16| {
        let s = &s;
        let admin = o.admin.clone();
        async move {
            s.get(&format!("/api/v1/employees/{}/reference-face", nip(n)), &admin).await.1["has_reference"].clone()
        }
    };
    let day_before = end.yesterday().unwrap();
    for now in [at(day_before, 12, 0), at(end, 0, 1), at(end, 23, 59)] {
        let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, now).await.unwrap();
        assert_eq!(rep.reference_faces, 0, "kept at {now}");
        assert_eq!(has(3).await, true, "kept at {now}");
    }
    let next = at(end.tomorrow().unwrap(), 0, 1);
    let rep = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, next).await.unwrap();
    assert_eq!(rep.reference_faces, 1, "{rep:?}");
    assert_eq!((has(3).await, has(4).await), (json!(false), json!(true)));
    let again = hadir_server::privacy::purge(s.store.as_ref(), &blob, &retention, next).await.unwrap();
    assert_eq!(again.reference_faces, 0);
    let (_, trail) = s.get("/api/v1/audit?entity=employee&limit=200", &o.admin).await;
    let purged: Vec<&Value> =
        trail["items"].as_array().unwrap().iter().filter(|a| a["action"] == "purge_reference_face").collect();
    assert_eq!(purged.len(), 1, "{purged:?}");
    assert_eq!((&purged[0]["actor"], &purged[0]["entity_id"]), (&json!("sistem retensi"), &json!(emp.to_string())));
    assert_eq!(purged[0]["after"]["end_date"], end.to_string());
}
