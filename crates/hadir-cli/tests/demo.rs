//! `hadir demo`: seeds the demo regency, prints logins that work, serves it; its punch chain
//! verifies.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hadir");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_working_logins_and_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["--data", dir.path().to_str().unwrap(), "demo", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base = loop {
        let line = lines.next().expect("demo output").unwrap();
        if let Some(b) = line.strip_prefix("listening on ") {
            break b.to_string();
        }
        printed.push(line);
    };
    eprintln!("demo seeded and serving after {:.1} s", started.elapsed().as_secs_f64());
    // Lines like "  operator     : 1965… / hadir123   (Name, UNIT)".
    let logins: Vec<(String, String)> = printed
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once(": ")?;
            let mut parts = rest.split_whitespace();
            let user = parts.next()?.to_string();
            (parts.next()? == "/").then_some(())?;
            Some((user, parts.next()?.to_string()))
        })
        .collect();
    assert!(logins.len() >= 4, "admin, operator, head and employee: {printed:?}");
    let c = reqwest::Client::new();
    let mut roles = Vec::new();
    for (user, pw) in &logins {
        let r = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{user}");
        let b: Value = r.json().await.unwrap();
        roles.push(b["user"]["roles"].to_string());
    }
    let all = roles.join(" ");
    for role in ["admin", "operator", "head", "employee"] {
        assert!(all.contains(role), "{role} missing in {all}");
    }
    let admin = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": logins[0].0, "password": logins[0].1}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let units: Value =
        c.get(format!("{base}/api/v1/units")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert!(units.as_array().unwrap().len() >= 40);
    let emps: Value = c
        .get(format!("{base}/api/v1/employees?limit=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(emps["total"].as_u64().unwrap() >= 2000);

    // The regency has a name (the app's login screen reads it before anyone signs in).
    let info: Value = c.get(format!("{base}/api/v1/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["regency_name"], "Pemerintah Kabupaten Contoh");
    assert!(printed.iter().any(|l| l.contains("Pemerintah Kabupaten Contoh")), "{printed:?}");
    // Effective-dated facts a visitor can look at (issue 19): a transfer across zones, a
    // pension, a 6-day school calendar from a date.
    for fact in [
        "pindah dari Jayapura (WIT) ke Jakarta (WIB) mulai",
        "pensiun, hari terakhir",
        "kalender sekolah 6 hari",
        "Ramadan 1448 H",
    ] {
        assert!(printed.iter().any(|l| l.contains("riwayat") && l.contains(fact)), "{fact}: {printed:?}");
    }

    // History starts on the first day of the previous month: the employee's first days of that
    // month have punches (the whole month is plausible, not a regency-wide strike).
    let (emp_user, emp_pw) = logins.last().unwrap();
    let emp = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": emp_user, "password": emp_pw}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let first = today.first_of_month().checked_sub(jiff::ToSpan::month(1)).unwrap();
    let fifth = first.checked_add(jiff::ToSpan::days(4)).unwrap();
    let punches: Value = c
        .get(format!("{base}/api/v1/punches?from={first}&to={fifth}"))
        .bearer_auth(&emp)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!punches["items"].as_array().unwrap().is_empty(), "punches on {first}..{fifth}: {punches}");

    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(100));
    let out = Command::new(BIN).args(["--data", dir.path().to_str().unwrap(), "verify-chain"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // Started again on the same data, the demo prints every login again, and they still work.
    let out = Command::new(BIN)
        .args(["--data", dir.path().to_str().unwrap(), "demo", "--seed-only"])
        .env("HADIR_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let again = String::from_utf8_lossy(&out.stdout);
    for (user, _) in &logins {
        assert!(again.contains(user.as_str()), "{user} is printed again: {again}");
    }
}
