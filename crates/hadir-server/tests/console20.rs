//! Issue 20's console over HTTP: the one review and approval screen (evidence on each card,
//! filters, bulk decisions with their refusals), the audit log in Indonesian, and no English
//! words on the console's pages.

mod common;

use common::{ADMIN_PW, PW, TestServer, jpeg, nip, org};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::json;

fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn session(s: &TestServer, user: &str, pw: &str) -> String {
    let r = client()
        .post(s.url("/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn get(s: &TestServer, path: &str, cookie: &str) -> (StatusCode, String) {
    let r = client().get(s.url(path)).header(COOKIE, cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(s: &TestServer, path: &str, cookie: &str, body: &str) -> (StatusCode, String) {
    let r = client()
        .post(s.url(path))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("HX-Request", "true")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The review queue's punch ids as the API gives them to the admin.
async fn held(s: &TestServer, admin: &str) -> Vec<i64> {
    let (_, l) = s.get("/api/v1/review/punches", admin).await;
    l["items"].as_array().unwrap().iter().map(|i| i["punch"]["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn one_screen_shows_the_evidence_filters_and_decides_in_bulk() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let now = jiff::Timestamp::now();
    // Two phone check-ins sent three hours late (SD1 and RSUD), and a special check-in away.
    let late = |key: &str, lat: f64, lon: f64| {
        json!({"idempotency_key": key, "lat": lat, "lon": lon, "accuracy_m": 8.0,
               "captured_at": (now - jiff::SignedDuration::from_hours(3)).to_string()})
    };
    let (st, b, _) = s.checkin(&o.emp_sd1, late("a", common::SD1_LAT, common::SD1_LON), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let p_sd1 = b["punch"]["id"].as_i64().unwrap();
    let (st, b, _) = s.checkin(&o.emp_rsud, late("b", -0.52, 117.16), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let p_rsud = b["punch"]["id"].as_i64().unwrap();
    let meta = json!({"idempotency_key": "dl", "lat": -0.51, "lon": 117.16, "accuracy_m": 10.0, "special": true,
                      "note": "rapat di kantor bupati"});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let special = b["punch"]["id"].as_i64().unwrap();
    let (_, inbox) = s.get("/api/v1/requests?inbox=true&type=DINAS_LUAR", &o.admin).await;
    let req = inbox["items"][0]["id"].as_i64().unwrap();

    let a = session(&s, "admin", ADMIN_PW).await;
    let (st, page) = get(&s, "/admin/inbox", &a).await;
    assert_eq!(st, StatusCode::OK);
    // Each late capture is a card with its selfie (through the scoped route), both times with
    // their zone, the position in words and on the sketch; raw codes are words.
    let card_at = page.find(&format!("id=\"punch-{p_sd1}\"")).unwrap_or_else(|| panic!("{page}"));
    let card = &page[card_at..card_at + page[card_at..].find("</article>").unwrap()];
    for want in [
        &format!("/admin/punches/{p_sd1}/photo?size=thumb") as &str,
        "Dikirim terlambat dari ponsel",
        "Aplikasi ponsel",
        "Waktu di tempat",
        "WITA",
        "Diterima server",
        "m dari",
        "akurasi 8 m",
        "<svg class=\"map\"",
    ] {
        assert!(card.contains(want), "{want} missing in {card}");
    }
    for raw in ["offline_gap", ">mobile<", "special_pending"] {
        assert!(!page.contains(raw), "raw code {raw} on the page");
    }
    // The special check-in is decided with its request, whose card shows the selfie and place.
    assert!(!page.contains(&format!("id=\"punch-{special}\"")), "special punch is not a separate card");
    let req_at = page.find(&format!("id=\"request-{req}\"")).unwrap();
    let req_card = &page[req_at..req_at + page[req_at..].find("</article>").unwrap()];
    assert!(
        req_card.contains(&format!("/admin/punches/{special}/photo?size=thumb"))
            && req_card.contains("Absen khusus (di luar lokasi)")
            && req_card.contains("<svg class=\"map\""),
        "{req_card}"
    );
    let photo = client()
        .get(s.url(&format!("/admin/punches/{special}/photo?size=thumb")))
        .header(COOKIE, &a)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);

    // Filters: by unit, by type, by employee, by date.
    let (_, f) = get(&s, "/admin/inbox?unit=RSUD", &a).await;
    assert!(f.contains(&format!("id=\"punch-{p_rsud}\"")) && !f.contains(&format!("id=\"punch-{p_sd1}\"")));
    assert!(!f.contains(&format!("id=\"request-{req}\"")));
    let (_, f) = get(&s, "/admin/inbox?type=presensi", &a).await;
    assert!(f.contains(&format!("id=\"punch-{p_sd1}\"")) && !f.contains(&format!("id=\"request-{req}\"")));
    let (_, f) = get(&s, "/admin/inbox?type=DINAS_LUAR", &a).await;
    assert!(!f.contains(&format!("id=\"punch-{p_sd1}\"")) && f.contains(&format!("id=\"request-{req}\"")));
    let (_, f) = get(&s, &format!("/admin/inbox?employee={}", nip(4)), &a).await;
    assert!(f.contains(&format!("id=\"punch-{p_rsud}\"")) && !f.contains(&format!("id=\"punch-{p_sd1}\"")));
    let (_, f) = get(&s, "/admin/inbox?date=2001-01-01", &a).await;
    assert!(!f.contains(&format!("id=\"punch-{p_sd1}\"")) && !f.contains(&format!("id=\"request-{req}\"")));

    // Bulk refusals change nothing: a rejection without a note, an empty selection, a bad id.
    let before = held(&s, &o.admin).await;
    let (st, body) =
        post(&s, "/admin/inbox/bulk", &a, &format!("punch={p_sd1}&punch={p_rsud}&decision=reject&note=")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-code=\"note_required\"") && body.contains("alasan penolakan"), "{body}");
    let (st, body) = post(&s, "/admin/inbox/bulk", &a, "decision=accept&note=").await;
    assert!(st == StatusCode::UNPROCESSABLE_ENTITY && body.contains("nothing_selected"), "{st} {body}");
    let (st, body) = post(&s, "/admin/inbox/bulk", &a, "punch=abc&decision=accept").await;
    assert!(st == StatusCode::UNPROCESSABLE_ENTITY && body.contains("invalid_selection"), "{st} {body}");
    assert_eq!(held(&s, &o.admin).await, before, "nothing decided by a refused bulk decision");
    let (_, r) = s.get(&format!("/api/v1/requests/{req}"), &o.admin).await;
    assert_eq!(r["state"], "submitted");

    // Bulk rejection with a note: both punches and the request are decided and leave the list.
    let (st, body) = post(
        &s,
        "/admin/inbox/bulk",
        &a,
        &format!("punch={p_sd1}&punch={p_rsud}&request={req}&decision=reject&note=foto+tidak+jelas"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("3 butir ditolak"), "{body}");
    for id in [format!("punch-{p_sd1}"), format!("punch-{p_rsud}"), format!("request-{req}")] {
        assert!(body.contains(&format!("id=\"{id}\" hx-swap-oob=\"delete\"")), "{body}");
    }
    let after = held(&s, &o.admin).await;
    assert!(!after.contains(&p_sd1) && !after.contains(&p_rsud), "{after:?}");
    let (_, r) = s.get(&format!("/api/v1/requests/{req}"), &o.admin).await;
    assert_eq!((r["state"].as_str(), r["decision_comment"].as_str()), (Some("rejected"), Some("foto tidak jelas")));
    let (_, page) = get(&s, "/admin/inbox", &a).await;
    assert!(!page.contains(&format!("id=\"punch-{p_sd1}\"")) && !page.contains(&format!("id=\"request-{req}\"")));
    let _ = PW;
}

/// The text of the audit table's row containing `needle`.
fn row_with<'a>(page: &'a str, needle: &str) -> Option<&'a str> {
    let at = page.find(needle)?;
    let start = page[..at].rfind("<tr>")?;
    let end = at + page[at..].find("</tr>")?;
    Some(&page[start..end])
}

#[tokio::test]
async fn the_audit_log_answers_who_changed_agus_pin_and_from_what_to_what() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let agus = nip(7);
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": agus, "name": "Agus Salim", "category": "PNS", "unit_code": "SD1", "password": PW,
                   "device_pin": "1234", "tpp_base": 4250000}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    // The DIK operator ("Pegawai 1") changes Agus's PIN; someone else in RSUD is changed too.
    let (st, b) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/employees/{agus}"),
            Some(&o.operator),
            json!({"device_pin": "5678"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/employees/{}", nip(4)),
            Some(&o.admin),
            json!({"device_pin": "4444"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    let a = session(&s, "admin", ADMIN_PW).await;
    let (st, page) = get(&s, "/admin/audit?person=agus&what=employee%3Aupdate", &a).await;
    assert_eq!(st, StatusCode::OK);
    let row = row_with(&page, "PIN mesin: 1234 → 5678").unwrap_or_else(|| panic!("{page}"));
    for want in ["Pegawai 1", "mengubah data pegawai", &format!("Agus Salim (NIP {agus})"), "WIB"] as [&str; 4] {
        assert!(row.contains(want), "{want} missing in {row}");
    }
    // The filter left out the other employee's change, and Agus's creation (another action).
    assert!(!page.contains("4444") && !page.contains("menambah pegawai</td>"), "{page}");
    assert!(page.contains("1 catatan"), "{page}");
    // No raw codes or JSON for a clerk.
    for raw in ["device_pin", "\"update\"", "{&quot;", ">update<", ">employee"] {
        assert!(!page.contains(raw), "{raw} on the page");
    }

    // By unit: RSUD's change only; by date range: nothing before today; by the actor's name.
    let (_, page) = get(&s, "/admin/audit?unit=RSUD&what=employee%3Aupdate", &a).await;
    assert!(page.contains("PIN mesin: 4 → 4444") && !page.contains("5678"), "{page}");
    let (_, page) = get(&s, "/admin/audit?from=2020-01-01&to=2020-12-31", &a).await;
    assert!(page.contains("0 catatan"), "{page}");
    let (_, page) = get(&s, "/admin/audit?person=Pegawai+1&what=employee%3Aupdate", &a).await;
    assert!(page.contains("1234 → 5678") && !page.contains("4444"), "{page}");
    // A malformed date is refused with a code and an Indonesian message.
    let (st, body) = get(&s, "/admin/audit?from=kemarin", &a).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Operators do not read the audit log.
    let op = session(&s, &nip(1), PW).await;
    let (st, _) = get(&s, "/admin/audit", &op).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

/// The text a clerk reads on a page: element text and the attributes shown on screen
/// (placeholder, title, alt, aria-label, button values), scripts and styles left out, entities
/// decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let after = &rest[lt..];
        let lower = after.get(..8).unwrap_or("").to_ascii_lowercase();
        if lower.starts_with("<script") || lower.starts_with("<style") {
            let close = if lower.starts_with("<script") { "</script>" } else { "</style>" };
            rest = after.find(close).map(|i| &after[i + close.len()..]).unwrap_or("");
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let tag = &after[..gt];
        for attr in ["placeholder=\"", "title=\"", "alt=\"", "aria-label=\""] {
            if let Some(i) = tag.find(attr) {
                let v = &tag[i + attr.len()..];
                out.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                out.push(' ');
            }
        }
        rest = &after[gt + 1..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
}

/// English (or internal) words a clerk should never read on a console page.
const ENGLISH: &[&str] = &[
    "relay",
    "geofence",
    "rule set",
    "draft",
    "pending",
    "approved",
    "rejected",
    "submitted",
    "submit",
    "save",
    "cancel",
    "delete",
    "edit",
    "settings",
    "dashboard",
    "mobile",
    "special",
    "offline_gap",
    "libur_nasional",
    "cuti_bersama",
    "domain.md",
    "inbox",
    "upload",
    "download",
    "employee",
    "request",
    "review",
    "null",
    "active",
    "inactive",
];

fn english_words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for w in ENGLISH {
        let mut from = 0;
        while let Some(i) = lower[from..].find(w) {
            let at = from + i;
            let before = lower[..at].chars().next_back();
            let after = lower[at + w.len()..].chars().next();
            let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if !word_char(before) && !word_char(after) {
                let ctx: String = lower[at.saturating_sub(40)..].chars().take(90).collect();
                found.push(format!("{w} in …{ctx}…"));
                break;
            }
            from = at + w.len();
        }
    }
    found
}

#[test]
fn the_scan_catches_the_old_words() {
    let old = r#"<h2>Relay kantor</h2><p>radius geofence</p><h2>Aturan potongan (rule set)</h2><td>libur_nasional</td>
        <td>Standar (DOMAIN.md)</td><b>Status: DRAFT</b><td>mobile</td><input placeholder="employee, device, request…">"#;
    let found = english_words(&visible_text(old));
    assert_eq!(found.len(), 9, "{found:#?}");
    // Code in attributes a clerk does not read (values, ids, URLs) is not text.
    let fine =
        r#"<option value="libur_nasional">Libur nasional</option><a href="/admin/inbox" id="review-1">Kotak masuk</a>"#;
    assert!(english_words(&visible_text(fine)).is_empty());
}

#[tokio::test]
async fn no_english_word_on_any_console_page() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // Demo-like data: a terminal, a relay, a held phone punch, a special check-in, a leave request,
    // a holiday, an audit trail.
    let (st, _) = s.post("/api/v1/devices", &o.admin, json!({"sn": "T1", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, b) = s.post("/api/v1/relays", &o.admin, json!({"name": "Penerus SD1", "unit_code": "SD1"})).await;
    assert!(st.is_success(), "{b}");
    let now = jiff::Timestamp::now();
    let meta = json!({"idempotency_key": "late", "lat": common::SD1_LAT, "lon": common::SD1_LON, "accuracy_m": 8.0,
                      "captured_at": (now - jiff::SignedDuration::from_hours(3)).to_string()});
    let (st, _, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED);
    let meta = json!({"idempotency_key": "dl", "lat": -0.51, "lon": 117.16, "accuracy_m": 10.0, "special": true, "note": "rapat"});
    let (st, _, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED);
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_rsud,
            json!({"type": "IZIN", "date_from": today.to_string(), "reason": "urusan keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (st, b) = s
        .post(
            "/api/v1/holidays",
            &o.admin,
            json!({"date": format!("{}-08-17", today.year()), "kind": "libur_nasional", "name": "HUT RI"}),
        )
        .await;
    assert!(st.is_success(), "{b}");
    let (st, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/employees/{}", nip(3)),
            Some(&o.admin),
            json!({"device_pin": "33"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // A second phone of employee 3, waiting for acceptance (issue 23).
    for seed in [21u8, 22] {
        use base64::Engine;
        let k = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = k.verifying_key().to_encoded_point(false);
        let public_key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(point.as_bytes());
        let (st, b) = s.post("/api/v1/me/device-keys", &o.emp_sd1, json!({"public_key": public_key})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }

    let a = session(&s, "admin", ADMIN_PW).await;
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let cal = cals["items"].as_array().or(cals.as_array()).and_then(|l| l.first()).map(|c| c["id"].clone()).unwrap();
    let (_, rules) = s.get("/api/v1/rule-sets", &o.admin).await;
    let rule = rules["items"].as_array().or(rules.as_array()).and_then(|l| l.first()).map(|c| c["id"].clone()).unwrap();
    let pages = [
        "/admin".to_string(),
        "/admin/board/units".into(),
        "/admin/board/unit/SD1".into(),
        "/admin/inbox".into(),
        "/admin/kinerja?state=all".into(),
        "/admin/tpp".into(),
        "/admin/terminals".into(),
        "/admin/terminals/T1/commands".into(),
        "/admin/recap".into(),
        "/admin/employees".into(),
        format!("/admin/employees/{}", nip(3)),
        "/admin/units".into(),
        "/admin/policies".into(),
        format!("/admin/policies/calendars/{cal}"),
        format!("/admin/policies/rule-sets/new?from={rule}"),
        "/admin/audit".into(),
        "/admin/akses".into(),
        "/admin/roster?unit=SD1".into(),
        "/admin/periods".into(),
        "/admin/kiosk".into(),
        format!("/admin/employees/{}/kartu-qr", nip(3)),
        "/admin/kanal".into(),
        "/admin/integrasi".into(),
        "/admin/pemberitahuan".into(),
        "/admin/tanda".into(),
        "/admin/tanda/perangkat".into(),
    ];
    let mut problems = Vec::new();
    for p in &pages {
        let (st, html) = get(&s, p, &a).await;
        assert_eq!(st, StatusCode::OK, "{p}: {html}");
        problems.extend(english_words(&visible_text(&html)).into_iter().map(|w| format!("{p}: {w}")));
    }
    assert!(problems.is_empty(), "English on the console:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn the_employee_edit_form_is_its_own_page_with_rupiah() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/employees/{}", nip(3)),
            Some(&o.admin),
            json!({"tpp_base": 4250000}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let op = session(&s, &nip(1), PW).await; // operator of DIK (SD1 is under it, RSUD is not)
    let (_, list) = get(&s, "/admin/employees?q=Pegawai", &op).await;
    assert!(list.contains(&format!("href=\"/admin/employees/{}\"", nip(3))), "{list}");
    assert!(list.contains("Rp 4.250.000") && !list.contains("4250000"), "{list}");
    assert!(!list.contains("form class=\"edit-employee\""), "the list has no inline edit form");
    let (st, page) = get(&s, &format!("/admin/employees/{}", nip(3)), &op).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("class=\"edit-employee\"") && page.contains("value=\"4.250.000\""), "{page}");
    // Saving the form as shown changes nothing (the dotted amount reads back as the same number).
    let body = "name=Pegawai+3&unit_code=SD1&position=&device_pin=3&active=true";
    let (st, msg) = post(&s, &format!("/admin/employees/{}/edit", nip(3)), &op, body).await;
    assert!(st == StatusCode::OK && msg.contains("Tidak ada perubahan"), "{st} {msg}");
    // Someone outside the operator's branch, or nobody: not found, in Indonesian.
    let (st, page) = get(&s, &format!("/admin/employees/{}", nip(4)), &op).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{page}");
    let (st, page) = get(&s, "/admin/employees/tidak-ada", &op).await;
    assert!(st == StatusCode::NOT_FOUND && page.contains("tidak ditemukan"), "{st} {page}");
}

/// A recent working day (Monday–Thursday, no holiday) before today, in WITA.
fn recent_workday() -> jiff::civil::Date {
    use hadir_domain::{DEFAULT_HOLIDAYS_CSV, holiday_on, parse_holiday_csv};
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let tz = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let mut d = jiff::Timestamp::now().to_zoned_datetime(tz).date().yesterday().unwrap();
    while matches!(
        d.weekday(),
        jiff::civil::Weekday::Friday | jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
    ) || holiday_on(&holidays, d).is_some()
    {
        d = d.yesterday().unwrap();
    }
    d
}

async fn attach(s: &TestServer, token: &str, id: i64, name: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let r = s
        .client
        .post(s.url(&format!("/api/v1/requests/{id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default())
}

/// A small MP4 as a phone writes it: an `ftyp` box with a video brand, then data.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    v.resize(len, 7);
    v
}

#[tokio::test]
async fn video_evidence_is_sniffed_limited_served_and_played_in_place() {
    let config = hadir_server::ServerConfig { evidence_video_max_bytes: 6 * 1024 * 1024, ..Default::default() };
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let d = recent_workday();
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.operator,
            json!({"type": "MANUAL", "unit": "SD1", "date_from": d.to_string(), "reason": "jaringan putus, wajah direkam",
                   "entries": [{"employee": nip(3), "time": "07:15"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let manual = b["id"].as_i64().unwrap();
    let count = |r: &serde_json::Value| r["attachments"].as_array().map(Vec::len).unwrap_or(0);

    // Refused, nothing stored: a file named .mp4 that is not a video; a video over the setting
    // (larger than the 4 MB global body limit too, so the route's own limit is what answers).
    let (st, b) = attach(&s, &o.operator, manual, "rekaman.mp4", b"bukan video sama sekali".to_vec()).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attachment_type")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("video MP4/WebM"), "{b}");
    let (st, b) = attach(&s, &o.operator, manual, "besar.mp4", mp4(6 * 1024 * 1024 + 1)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("attachment_too_large")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("6 MB"), "{b}");
    // A photo keeps its 3 MB limit on a request that takes videos.
    let mut big_jpeg = jpeg(16);
    big_jpeg.resize(3 * 1024 * 1024 + 10, 0);
    let (st, b) = attach(&s, &o.operator, manual, "besar.jpg", big_jpeg).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("attachment_too_large")), "{b}");
    let (_, r) = s.get(&format!("/api/v1/requests/{manual}"), &o.admin).await;
    assert_eq!(count(&r), 0, "{r}");

    // Accepted: a 5 MB MP4 (over the global body limit), typed from its bytes whatever its name.
    let video = mp4(5 * 1024 * 1024);
    let (st, b) = attach(&s, &o.operator, manual, "rekaman wajah.bin", video.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["items"][0]["mime"], "video/mp4");
    let aid = b["items"][0]["id"].as_i64().unwrap();
    // Served through the same authorised URL with its type; the console plays it in place.
    let r = s
        .client
        .get(s.url(&format!("/api/v1/requests/{manual}/attachments/{aid}")))
        .bearer_auth(&o.head)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), r.headers()[CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "video/mp4"));
    assert_eq!(r.bytes().await.unwrap().len(), video.len());
    let r = s
        .client
        .get(s.url(&format!("/api/v1/requests/{manual}/attachments/{aid}")))
        .bearer_auth(&o.emp_rsud)
        .send()
        .await
        .unwrap();
    assert!(r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN, "{}", r.status());
    let head = session(&s, &nip(2), PW).await;
    let (_, page) = get(&s, "/admin/inbox", &head).await;
    let src = format!("/admin/requests/{manual}/attachments/{aid}");
    assert!(page.contains(&format!("<video controls preload=\"metadata\" src=\"{src}\"")), "{page}");
    let r = client().get(s.url(&src)).header(COOKIE, &head).send().await.unwrap();
    assert_eq!((r.status(), r.headers()[CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "video/mp4"));

    // Other request types take no video (refused, nothing stored), but still take photos.
    let (st, b) = s
        .post("/api/v1/requests", &o.emp_sd1, json!({"type": "SAKIT", "date_from": d.to_string(), "reason": "demam"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let sick = b["id"].as_i64().unwrap();
    let (st, b) = attach(&s, &o.emp_sd1, sick, "video.mp4", mp4(1000)).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("video_not_allowed")), "{b}");
    let (st, b) = attach(&s, &o.emp_sd1, sick, "video.webm", mp4(5 * 1024 * 1024)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "a request without videos keeps the 3 MB limit: {b}");
    let (_, r) = s.get(&format!("/api/v1/requests/{sick}"), &o.admin).await;
    assert_eq!(count(&r), 0, "{r}");
    let (st, _) = attach(&s, &o.emp_sd1, sick, "surat.jpg", jpeg(32)).await;
    assert_eq!(st, StatusCode::CREATED);
}

#[tokio::test]
async fn the_location_editor_offers_my_location_and_a_map_only_where_tiles_are_set() {
    // Offline (the default): the scaled sketch, "Pakai lokasi saya", no map library, the
    // server-wide CSP.
    let s = TestServer::start().await;
    let o = org(&s).await;
    let a = session(&s, "admin", ADMIN_PW).await;
    let r = client().get(s.url("/admin/units")).header(COOKIE, &a).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    let page = r.text().await.unwrap();
    assert!(page.contains("class=\"use-my-location\"") && page.contains("Pakai lokasi saya"), "{page}");
    assert!(page.contains("<svg class=\"map\"") && !page.contains("leaflet") && !page.contains("map-config"));
    assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
    let js = client().get(s.url("/admin/assets/console.js")).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.text().await.unwrap().contains("getCurrentPosition"));
    drop(o);

    // With a tile URL: Leaflet from the binary's assets, the tile server allowed for images only
    // on this page, the locations as data for the map.
    let config = hadir_server::ServerConfig {
        map_tile_url: "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
        map_attribution: "© OpenStreetMap".into(),
        ..Default::default()
    };
    let s = TestServer::start_with(config).await;
    org(&s).await;
    let a = session(&s, "admin", ADMIN_PW).await;
    let r = client().get(s.url("/admin/units")).header(COOKIE, &a).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    let page = r.text().await.unwrap();
    assert!(
        csp.contains("img-src 'self' data: blob: https://*.tile.openstreetmap.org;")
            && csp.contains("script-src 'self';"),
        "{csp}"
    );
    assert!(page.contains("src=\"/admin/assets/leaflet/leaflet.js\"") && page.contains("id=\"map-config\""), "{page}");
    assert!(page.contains("data-points=\"[{&#34;lat"), "{page}");
    for asset in ["leaflet/leaflet.js", "leaflet/leaflet.css"] {
        let r = client().get(s.url(&format!("/admin/assets/{asset}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
    }
    let (_, other) = get(&s, "/admin/inbox", &a).await;
    assert!(!other.contains("leaflet"), "only the location editor loads the map");
}

/// The roster cell select for `nip` on `date`, as rendered.
fn roster_cell<'a>(page: &'a str, nip: &str, date: &str) -> &'a str {
    let at = page.find(&format!("<select name=\"c|{nip}|{date}\"")).unwrap_or_else(|| panic!("no cell {nip} {date}"));
    &page[at..at + page[at..].find("</select>").unwrap()]
}

#[tokio::test]
async fn the_roster_grid_saves_changed_cells_through_the_api() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let health = serde_json::to_value(hadir_domain::Calendar::health_shifts()).unwrap();
    let (_, b) = s.post("/api/v1/calendars", &o.admin, health).await;
    let health_id = b["id"].as_i64().unwrap();
    s.post(&format!("/api/v1/calendars/{health_id}/assign"), &o.admin, json!({"unit_code": "RSUD"})).await;
    let a = session(&s, "admin", ADMIN_PW).await;
    let (st, page) = get(&s, "/admin/roster?unit=RSUD&month=2025-12", &a).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let who = nip(4);
    assert!(
        page.contains(&format!("data-nip=\"{who}\"")) && page.contains("<option value=\"M\" >M</option>"),
        "{page}"
    );
    assert_eq!(page.matches(&format!("name=\"c|{who}|2025-12-")).count(), 31, "one cell per day of December");

    // A night shift on the 6th and a day off on the 7th; the untouched cells are not sent.
    let body = format!(
        "o|{who}|2025-12-06=&c|{who}|2025-12-06=M&o|{who}|2025-12-07=&c|{who}|2025-12-07=-&o|{who}|2025-12-08=&c|{who}|2025-12-08="
    );
    let (st, msg) = post(&s, "/admin/roster", &a, &body.replace('|', "%7C")).await;
    assert_eq!(st, StatusCode::OK, "{msg}");
    assert!(msg.contains("2 sel diubah"), "{msg}");
    let (_, page) = get(&s, "/admin/roster?unit=RSUD&month=2025-12", &a).await;
    assert!(roster_cell(&page, &who, "2025-12-06").contains("value=\"M\" selected"));
    assert!(roster_cell(&page, &who, "2025-12-07").contains("value=\"-\" selected"));
    assert!(!roster_cell(&page, &who, "2025-12-08").contains("selected"));

    // Refused, nothing changed: a shift code the calendar does not have (all or nothing), a bad
    // month, and a unit outside an operator's subtree.
    let body = format!("o|{who}|2025-12-06=M&c|{who}|2025-12-06=&o|{who}|2025-12-09=&c|{who}|2025-12-09=X");
    let (st, msg) = post(&s, "/admin/roster", &a, &body.replace('|', "%7C")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{msg}");
    assert!(msg.contains("data-code=\"invalid_roster\""), "{msg}");
    let (_, page) = get(&s, "/admin/roster?unit=RSUD&month=2025-12", &a).await;
    assert!(
        roster_cell(&page, &who, "2025-12-06").contains("value=\"M\" selected"),
        "the valid cell was not saved either"
    );
    assert!(!roster_cell(&page, &who, "2025-12-09").contains("selected"));
    let (st, _) = get(&s, "/admin/roster?unit=RSUD&month=2025-13", &a).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let op = session(&s, &nip(1), PW).await;
    let (st, _) = get(&s, "/admin/roster?unit=RSUD", &op).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, page) = get(&s, "/admin/roster?unit=SD1", &op).await;
    assert_eq!(st, StatusCode::OK, "{page}");
}

#[tokio::test]
async fn special_periods_are_added_and_removed_on_a_calendar() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let id = cals[0]["id"].as_i64().unwrap();
    let overrides = |cals: &serde_json::Value| {
        cals.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["calendar"]["overrides"].clone()
    };
    let before = overrides(&cals);
    let a = session(&s, "admin", ADMIN_PW).await;
    let (st, page) = get(&s, &format!("/admin/periods?calendar={id}"), &a).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"new-period\""));

    let path = format!("/admin/periods/{id}");
    let (st, msg) = post(&s, &path, &a, "name=Ramadan+1448+H&date_from=2027-02-08&date_to=2027-03-09&action=add").await;
    assert_eq!(st, StatusCode::OK, "{msg}");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let now = overrides(&cals);
    let added =
        now.as_array().unwrap().iter().find(|o| o["name"] == "Ramadan 1448 H").unwrap_or_else(|| panic!("{now}"));
    assert_eq!((added["date_from"].as_str(), added["date_to"].as_str()), (Some("2027-02-08"), Some("2027-03-09")));
    let (_, page) = get(&s, &format!("/admin/periods?calendar={id}"), &a).await;
    assert!(page.contains("Ramadan 1448 H") && page.contains("jam kerja Ramadan"), "{page}");

    // Refused, nothing changed: overlapping, reversed dates, no name, an operator.
    for (body, code) in [
        ("name=Lain&date_from=2027-03-01&date_to=2027-03-20&action=add", "period_overlap"),
        ("name=Lain&date_from=2027-05-10&date_to=2027-05-01&action=add", "invalid_period"),
        ("name=+&date_from=2027-05-01&date_to=2027-05-10&action=add", "period_name_required"),
        ("name=Lain&date_from=kemarin&date_to=2027-05-10&action=add", "invalid_date"),
    ] {
        let (st, msg) = post(&s, &path, &a, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {msg}");
        assert!(msg.contains(&format!("data-code=\"{code}\"")), "{body}: {msg}");
    }
    let op = session(&s, &nip(1), PW).await;
    let (st, _) = post(&s, &path, &op, "name=X&date_from=2027-06-01&date_to=2027-06-02&action=add").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    assert_eq!(overrides(&cals), now, "refusals changed nothing");

    let (st, msg) =
        post(&s, &path, &a, "name=Ramadan+1448+H&date_from=2027-02-08&date_to=2027-03-09&action=remove").await;
    assert_eq!(st, StatusCode::OK, "{msg}");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    assert_eq!(overrides(&cals), before);
}
