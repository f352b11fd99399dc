//! Issue 25 point 3: a terminal's log exported to a USB flash disk, uploaded over HTTP as the raw
//! file. Real-format bytes (`1_attlog.dat` with space-padded PINs, BOM and CRLF; a headed
//! `GLG_001.TXT`), the per-line report, idempotence with itself and with PUSH, the unit and
//! backlog holds, and every refusal with nothing changed.

mod common;

use common::*;
use hadir_store::PunchFilter;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SN: &str = "USB0001";

/// `YYYY-MM-DD HH:MM:SS` on the terminal's wall clock (SD1 is WITA), `ago` before now.
fn local(ago: jiff::Span) -> String {
    let tz = TimeZone::get("Asia/Makassar").unwrap();
    let t = tz.to_datetime(Timestamp::now().checked_sub(ago).unwrap());
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

async fn upload(s: &TestServer, token: &str, sn: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = s
        .client
        .post(s.url(&format!("/api/v1/devices/{sn}/log-file")))
        .bearer_auth(token)
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let st = r.status();
    let text = r.text().await.unwrap();
    (st, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Every stored punch: (device PIN, review code, counts) sorted, plus the number of audit records.
async fn state(s: &TestServer) -> (Vec<(String, Option<String>, String)>, u64) {
    let f = PunchFilter { limit: 10_000, include_quarantined: true, ..Default::default() };
    let mut p: Vec<_> = s
        .store
        .list_punches(&f)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.p.device_pin.clone().unwrap_or_default(), p.p.review.clone(), p.p.dedup_key.clone()))
        .collect();
    p.sort();
    let audit = s.store.list_audit(None, 0, 1).await.unwrap().total;
    (p, audit)
}

fn outcomes(report: &Value) -> Vec<(u64, String, Option<String>)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["line"].as_u64().unwrap(),
                i["outcome"].as_str().unwrap().to_string(),
                i["code"].as_str().map(Into::into),
            )
        })
        .collect()
}

#[tokio::test]
async fn usb_log_file_imports_once_with_a_per_line_report() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": SN, "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    let recent = local(2.hours());
    let recent2 = local(1.hours());
    let old = local(240.hours());
    // As the terminal writes it: PIN right-aligned to 9, tabs, CRLF; a UTF-8 BOM the carrying
    // PC's editor added; a repeated line; a garbled one; a clock fault (1999).
    let file = format!(
        "\u{FEFF}        3\t{recent}\t0\t1\t0\t0\r\n\
                 2\t{old}\t0\t1\t0\t0\r\n\
                 4\t{recent}\t0\t1\t0\t0\r\n\
               999\t{recent}\t0\t1\t0\t0\r\n\
                 3\t{recent}\t0\t1\t0\t0\r\n\
                 3\t2024-13-01 07:00:00\t0\t1\t0\t0\r\n\
                 3\t1999-03-01 07:00:00\t0\t1\t0\t0\r\n\
                 3\t{recent2}\t1\t15\t0\t0\r\n\r\n"
    );
    let before = state(&s).await;
    let (st, r) = upload(&s, &o.operator, SN, file.clone().into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["format"], "attlog");
    assert_eq!(r["lines"], 8);
    assert_eq!(
        outcomes(&r),
        vec![
            (1, "stored".into(), None),
            (2, "held".into(), Some("backlog".into())),
            (3, "held".into(), Some("pin_out_of_unit".into())),
            (4, "unmatched".into(), None),
            (5, "duplicate".into(), None),
            (6, "refused".into(), Some("invalid_line".into())),
            (7, "refused".into(), Some("time_out_of_range".into())),
            (8, "stored".into(), None),
        ]
    );
    assert_eq!((r["stored"].as_u64(), r["held"].as_u64(), r["unmatched"].as_u64()), (Some(2), Some(2), Some(1)));
    assert_eq!((r["duplicates"].as_u64(), r["refused"].as_u64()), (Some(1), Some(2)));
    let items = r["items"].as_array().unwrap();
    assert_eq!(items[0]["pin"], "3");
    assert_eq!(items[0]["time"], recent.as_str());
    assert!(items[1]["reason"].as_str().unwrap().contains("jam kemudian"), "{}", items[1]);
    assert!(items[5]["reason"].as_str().unwrap().starts_with("Baris tidak terbaca"), "{}", items[5]);
    assert!(items[4]["reason"].as_str().unwrap().contains("Sudah tercatat"), "{}", items[4]);

    // Five punches were added, with the terminal's dedup key, and one audit record.
    let after = state(&s).await;
    assert_eq!(after.0.len(), before.0.len() + 5);
    assert_eq!(after.1, before.1 + 1);
    assert!(after.0.iter().all(|(_, _, key)| key.starts_with(&format!("t:{SN}:"))));
    let (st, mine) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    let mine = mine["items"].as_array().unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|p| p["source"] == "terminal" && p["device_sn"] == SN), "{mine:?}");

    // The same file again adds nothing: every line that was stored is now a duplicate.
    let (st, again) = upload(&s, &o.admin, SN, file.into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert_eq!(
        (again["stored"].as_u64(), again["held"].as_u64(), again["unmatched"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!((again["duplicates"].as_u64(), again["refused"].as_u64()), (Some(6), Some(2)));
    assert_eq!(state(&s).await, after, "no punch and no audit record added");

    // A punch that came by PUSH first: the file's copy of it adds nothing.
    let pushed = local(30.minutes());
    let r = s
        .client
        .post(s.url(&format!("/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1")))
        .header("Content-Type", "text/plain")
        .body(format!("3\t{pushed}\t0\t1\t0\t0\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "OK:1");
    let with_push = state(&s).await;
    let (st, r) = upload(&s, &o.operator, SN, format!("        3\t{pushed}\t0\t1\t0\t0\r\n").into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(outcomes(&r), vec![(1, "duplicate".into(), None)]);
    assert_eq!(state(&s).await, with_push);
}

#[tokio::test]
async fn headed_glg_file_with_zero_padded_enrolment_numbers() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": SN, "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let t = local(3.hours()).replace('-', "/").replacen(' ', "  ", 1);
    let file = format!(
        "No\tMchn\tEnNo\t\tName\t\tMode\tIOMd\tDateTime\t\r\n\
         000001\t1\t000000003\t\tPegawai 3\t\t1\t0\t{t}\r\n"
    );
    let (st, r) = upload(&s, &o.admin, SN, file.into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["format"], "headed");
    assert_eq!(outcomes(&r), vec![(2, "stored".into(), None)]);
    assert_eq!(r["items"][0]["pin"], "3");
    let (_, mine) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn refusals_change_nothing() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    for (sn, unit) in [(SN, "SD1"), ("RSUD01", "RSUD")] {
        let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": sn, "unit_code": unit})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
    // A terminal that called in but is not approved yet.
    let r = s.client.get(s.url("/iclock/cdata?SN=PENDING1&options=all")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let good = format!("        3\t{}\t0\t1\t0\t0\r\n", local(1.hours())).into_bytes();
    let before = state(&s).await;

    let code = |b: &Value| b["error"]["code"].as_str().unwrap_or_default().to_string();
    // Employees and heads cannot import.
    let (st, b) = upload(&s, &o.emp_sd1, SN, good.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (st, b) = upload(&s, &o.head, SN, good.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    // The DIK operator does not see RSUD's terminal; an unknown serial is not found either.
    let (st, b) = upload(&s, &o.operator, "RSUD01", good.clone()).await;
    assert_eq!((st, code(&b)), (StatusCode::NOT_FOUND, "not_found".into()), "{b}");
    let (st, b) = upload(&s, &o.admin, "NOPE", good.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    // Not approved yet.
    let (st, b) = upload(&s, &o.admin, "PENDING1", good.clone()).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "device_not_active".into()), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("belum disetujui"), "{b}");
    // Not a log file: nothing readable; an empty body.
    let (st, b) = upload(&s, &o.operator, SN, b"Nama,NIP\nBudi,1986\n".to_vec()).await;
    assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "no_records".into()), "{b}");
    assert_eq!(b["error"]["details"]["errors"][0]["line"], 1, "{b}");
    let (st, b) = upload(&s, &o.operator, SN, vec![]).await;
    assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "no_records".into()), "{b}");
    // Too large: refused while reading, before anything is parsed.
    let mut big = good.clone();
    big.resize(7 * 1024 * 1024, b'\n');
    let (st, b) = upload(&s, &o.operator, SN, big).await;
    assert_eq!((st, code(&b)), (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large".into()), "{b}");
    // No token.
    let r = s.client.post(s.url(&format!("/api/v1/devices/{SN}/log-file"))).body(good.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(state(&s).await, before, "no punch and no audit record added");
    // …and the same bytes from the operator are accepted.
    let (st, b) = upload(&s, &o.operator, SN, good).await;
    assert_eq!((st, b["stored"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
}

/// The console's form on the terminals page: the operator picks the terminal and the file; the
/// answer summarises and lists the lines not simply stored.
#[tokio::test]
async fn console_form_imports_and_reports() {
    use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": SN, "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client
        .post(s.url("/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username={}&password={PW}", nip(1)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = client.get(s.url("/admin/terminals")).header(COOKIE, &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"log-import-form\"") && page.contains(&format!("<option value=\"{SN}\">")), "{page}");

    let send = |sn: Option<&'static str>, file: Option<Vec<u8>>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(sn) = sn {
            form = form.text("sn", sn);
        }
        if let Some(f) = file {
            form = form.part("file", reqwest::multipart::Part::bytes(f).file_name("1_attlog.dat"));
        }
        client
            .post(s.url("/admin/terminals/log-file"))
            .header(COOKIE, &cookie)
            .header("HX-Request", "true")
            .multipart(form)
    };
    let file =
        format!("        3\t{}\t0\t1\t0\t0\r\n        2\t{}\t0\t1\t0\t0\r\n", local(1.hours()), local(200.hours()));
    let before = state(&s).await;
    // No file chosen, no terminal chosen: nothing imported.
    let r = send(Some(SN), None).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Pilih berkas log"));
    let r = send(None, Some(file.clone().into_bytes())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Pilih mesin"));
    assert_eq!(state(&s).await, before);

    let r = send(Some(SN), Some(file.into_bytes())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("1 presensi tersimpan, 1 ditahan untuk diperiksa"), "{html}");
    assert!(html.contains("<td>2</td><td>2</td>") && html.contains("Ditahan untuk diperiksa"), "{html}");
}
