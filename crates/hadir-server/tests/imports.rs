//! Issue 17, "Imports": an employee file is imported by a background job (each line with a
//! password costs an argon2id hash), with progress the API and the console show, a size limit,
//! the per-line report at the end, and a second import of the same file that changes nothing.

mod common;

use common::*;
use hadir_server::ServerConfig;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::Value;

/// `n` employees of SD1 with passwords (nip sequence from 100), and one line for RSUD (outside
/// the operator's branch) that must be reported.
fn employee_file(n: u16) -> String {
    let mut csv = String::from("nip,name,category,unit_code,password,device_pin\n");
    for i in 0..n {
        csv.push_str(&format!("{},Guru Impor {i},PNS,SD1,{PW},{}\n", nip(100 + i), 1000 + i));
    }
    csv.push_str(&format!("{},Di Luar,PNS,RSUD,{PW},999\n", nip(99)));
    csv
}

async fn upload(s: &TestServer, token: &str, csv: &str) -> (StatusCode, Value) {
    let r = s
        .client
        .post(s.url("/api/v1/employees/import"))
        .bearer_auth(token)
        .header(CONTENT_TYPE, "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// Polls the job until it is done; returns the progress figures seen on the way and the report.
async fn until_done(s: &TestServer, token: &str, url: &str) -> (Vec<(u64, u64)>, Value) {
    let mut seen = Vec::new();
    for _ in 0..600 {
        let (st, v) = s.get(url, token).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        seen.push((v["done"].as_u64().unwrap(), v["total"].as_u64().unwrap()));
        if v["state"] == "done" {
            return (seen, v["report"].clone());
        }
        assert_eq!(v["state"], "running", "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import did not finish");
}

async fn employee_count(s: &TestServer, admin: &str) -> u64 {
    let (st, v) = s.get("/api/v1/employees?limit=1", admin).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_long_import_runs_as_a_job_with_progress_and_importing_the_file_again_changes_nothing() {
    // Answer at once with the job (as a 100,000-line file would), whatever this machine's speed.
    let mut config = ServerConfig::default();
    config.import.answer_within_ms = 0;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let csv = employee_file(12);
    let before = employee_count(&s, &o.admin).await;

    let (st, job) = upload(&s, &o.operator, &csv).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    assert_eq!((job["state"].as_str(), job["total"].as_u64()), (Some("running"), Some(13)), "{job}");
    let url = job["status_url"].as_str().unwrap().to_string();

    // Someone else (another operator's or an employee's token) cannot read the job.
    let (st, _) = s.get(&url, &o.head).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another staff member's job is not theirs to read");
    let (st, _) = s.get(&url, &o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (seen, report) = until_done(&s, &o.operator, &url).await;
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "progress only moves forward: {seen:?}");
    assert!(seen.iter().all(|(d, t)| d <= t && *t == 13), "{seen:?}");
    assert_eq!(
        (report["total"].as_u64(), report["imported"].as_u64(), report["failed"].as_u64()),
        (Some(13), Some(12), Some(1)),
        "{report}"
    );
    assert_eq!(report["errors"][0]["line"].as_u64(), Some(14), "the RSUD line is reported: {report}");
    assert_eq!(employee_count(&s, &o.admin).await, before + 12);
    // The imported people can log in with the file's password.
    s.login(&nip(100), PW).await;
    // An admin may read any import.
    let (st, _) = s.get(&url, &o.admin).await;
    assert_eq!(st, StatusCode::OK);

    // The same file again: nothing changes, nothing is hashed again, the lines say why.
    let audit_before = s.get("/api/v1/audit?limit=500", &o.admin).await.1["total"].as_u64();
    // Without a hash to make, the job may end before the handler looks (its task runs on
    // another worker thread), even with `answer_within_ms = 0`: then the answer is the report.
    let (st, job) = upload(&s, &o.operator, &csv).await;
    let report = match st {
        StatusCode::ACCEPTED => until_done(&s, &o.operator, job["status_url"].as_str().unwrap()).await.1,
        StatusCode::OK => job,
        other => panic!("{other}: {job}"),
    };
    assert_eq!(
        (report["imported"].as_u64(), report["unchanged"].as_u64(), report["failed"].as_u64()),
        (Some(0), Some(12), Some(1)),
        "{report}"
    );
    assert_eq!(employee_count(&s, &o.admin).await, before + 12);
    let audit_after = s.get("/api/v1/audit?limit=500", &o.admin).await.1["total"].as_u64();
    assert_eq!(audit_before, audit_after, "a second import writes nothing");
}

#[tokio::test]
async fn a_short_import_answers_with_its_report_and_a_different_person_under_a_known_nip_is_a_conflict() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // nip(3) is already "Pegawai 3" of SD1: a line naming someone else under it is refused.
    let csv = format!("nip,name,category,unit_code,password\n{},Orang Lain,PNS,SD1,{PW}\n", nip(3));
    let (st, report) = upload(&s, &o.admin, &csv).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(report["errors"][0]["code"], "conflict", "{report}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(3)), &o.admin).await;
    assert_ne!(e["name"], "Orang Lain", "{e}");
}

#[tokio::test]
async fn import_files_beyond_the_size_or_line_limit_are_refused_whole() {
    let mut config = ServerConfig::default();
    config.import.max_bytes = 64 * 1024;
    config.import.max_lines = 50;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let before = employee_count(&s, &o.admin).await;

    let mut big = String::from("nip,name,category,unit_code\n");
    while big.len() < 70 * 1024 {
        big.push_str(&format!("{},Nama Panjang Sekali,PNS,SD1\n", nip(200)));
    }
    let (st, b) = upload(&s, &o.admin, &big).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("file_too_large")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("terlalu besar"), "{b}");

    let many = employee_file(60);
    let (st, b) = upload(&s, &o.admin, &many).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_many_lines")), "{b}");
    assert_eq!(employee_count(&s, &o.admin).await, before, "nothing was imported");

    // The console's upload has the same limit.
    let cookie = console_cookie(&s).await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(big.into_bytes()).file_name("pegawai.csv"));
    let r = s
        .client
        .post(s.url("/admin/employees/import"))
        .header(COOKIE, &cookie)
        .header("HX-Request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("terlalu besar"));
    assert_eq!(employee_count(&s, &o.admin).await, before);
}

async fn console_cookie(s: &TestServer) -> String {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client
        .post(s.url("/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username=admin&password={ADMIN_PW}"))
        .send()
        .await
        .unwrap();
    r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn the_console_shows_a_running_import_and_then_its_report() {
    let mut config = ServerConfig::default();
    config.import.answer_within_ms = 0;
    let s = TestServer::start_with(config).await;
    let _o = org(&s).await;
    let cookie = console_cookie(&s).await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(employee_file(6).into_bytes()).file_name("pegawai.csv"));
    let r = s
        .client
        .post(s.url("/admin/employees/import"))
        .header(COOKIE, &cookie)
        .header("HX-Request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Sedang mengimpor") && page.contains("dari 7 baris"), "{page}");
    let poll = page.split("hx-get=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let mut last = String::new();
    for _ in 0..600 {
        let r = s.client.get(s.url(&poll)).header(COOKIE, &cookie).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        last = r.text().await.unwrap();
        if !last.contains("Sedang mengimpor") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        last.contains("7 dari 7 baris diimpor, 0 gagal") || last.contains("6 dari 7 baris diimpor, 1 gagal"),
        "{last}"
    );
}
