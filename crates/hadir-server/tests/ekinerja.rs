//! Issue 22 over HTTP: the e-kinerja integration. The BKD creates a credential (token shown
//! once, stored hashed, scoped); the e-kinerja site pulls validated activities and attendance
//! and pushes scores; a session token does not open these routes, nor an integration token the
//! rest of the API; a revoked token stops at once; the routes are in the OpenAPI document.

mod common;

use common::*;
use hadir_domain::{DEFAULT_HOLIDAYS_CSV, holiday_on, parse_holiday_csv};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

/// A Monday–Thursday working day of the last six days (not today).
fn recent_workday() -> Date {
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    (1..=6)
        .map(|b| today.checked_sub(b.days()).unwrap())
        .find(|d| {
            matches!(d.weekday(), Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday)
                && holiday_on(&holidays, *d).is_none()
        })
        .unwrap()
}

async fn bearer(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = s.client.request(method, s.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pull_and_push_with_a_scoped_credential() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let d = recent_workday();
    let e = s.store.employee_by_login(&nip(3)).await.unwrap();
    let at = |h: i8, m: i8| d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp();
    s.store.insert_punches(&[punch(e.id, at(7, 20)), punch(e.id, at(16, 40))]).await.unwrap();
    let body = |start: &str, end: &str| {
        json!({"date": d.to_string(), "description": "Menyusun RPP", "output": "RPP",
        "volume": 2, "volume_unit": "dokumen", "start": start, "end": end})
    };
    let (st, a1) = s.post("/api/v1/me/activities", &o.emp_sd1, body("08:00", "10:00")).await;
    assert_eq!(st, StatusCode::CREATED, "{a1}");
    let (st, a2) = s.post("/api/v1/me/activities", &o.emp_sd1, body("10:00", "11:00")).await;
    assert_eq!(st, StatusCode::CREATED, "{a2}");
    let (st, _) = s.post("/api/v1/activities/validate", &o.head, json!({"ids": [a1["id"]], "approve": true})).await;
    assert_eq!(st, StatusCode::OK);

    // Only admins create credentials, with known scopes; nothing is stored otherwise.
    let (st, _) = s.post("/api/v1/integrations", &o.operator, json!({"name": "x", "scopes": ["kinerja:read"]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = s.post("/api/v1/integrations", &o.admin, json!({"name": "x", "scopes": ["semua"]})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_scope")));
    let (st, b) = s.post("/api/v1/integrations", &o.admin, json!({"name": " ", "scopes": ["kinerja:read"]})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name_required")));
    assert!(s.store.list_integrations().await.unwrap().is_empty());
    let (st, reader) =
        s.post("/api/v1/integrations", &o.admin, json!({"name": "e-Kinerja", "scopes": ["kinerja:read"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{reader}");
    let token = reader["token"].as_str().unwrap().to_string();
    // Shown once: the list has no token, and the store holds only its hash.
    let (_, list) = s.get("/api/v1/integrations", &o.admin).await;
    assert!(list[0].get("token").is_none(), "{list}");
    let stored = s.store.integration_by_hash(&sha(&token)).await.unwrap();
    assert_eq!(stored.scopes, vec!["kinerja:read".to_string()]);

    // Tokens do not cross: an integration token is no session, a session token no integration.
    let (st, _) = bearer(&s, reqwest::Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let month = &d.to_string()[..7];
    let (st, _) =
        bearer(&s, reqwest::Method::GET, &format!("/api/v1/integration/kinerja?month={month}"), &o.admin, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) =
        bearer(&s, reqwest::Method::GET, &format!("/api/v1/integration/kinerja?month={month}"), "hki_nonsense", None)
            .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // The pull: the validated activity only, with the month's attendance.
    let (st, b) =
        bearer(&s, reqwest::Method::GET, &format!("/api/v1/integration/kinerja?month={month}&unit=SD1"), &token, None)
            .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let me = b["employees"].as_array().unwrap().iter().find(|x| x["login"] == nip(3).as_str()).unwrap();
    let ids: Vec<i64> = me["activities"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![a1["id"].as_i64().unwrap()]);
    assert_eq!(me["activity_minutes"], 120);
    assert!(me["attendance"]["days_present"].as_u64().unwrap() >= 1, "{me}");
    let (st, b) = bearer(
        &s,
        reqwest::Method::GET,
        &format!("/api/v1/integration/kinerja?month={month}&employee={}", nip(4)),
        &token,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(b["employees"].as_array().unwrap().iter().all(|x| x["login"] == nip(4).as_str()));
    let (st, b) = bearer(&s, reqwest::Method::GET, "/api/v1/integration/kinerja?month=13-2025", &token, None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // Pushing needs `scores:write`.
    let push = json!({"month": month, "scores": [{"employee": nip(3), "score": 88.5}, {"employee": "199001012020121999", "score": 80},
        {"employee": nip(4), "score": 150}]});
    let (st, b) = bearer(&s, reqwest::Method::POST, "/api/v1/integration/scores", &token, Some(push.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("scope_missing")));
    assert!(s.store.kinerja_scores(month).await.unwrap().is_empty());
    let (_, writer) =
        s.post("/api/v1/integrations", &o.admin, json!({"name": "e-Kinerja tulis", "scopes": ["scores:write"]})).await;
    let wtoken = writer["token"].as_str().unwrap().to_string();
    let (st, b) = bearer(&s, reqwest::Method::POST, "/api/v1/integration/scores", &wtoken, Some(push)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["imported"].as_u64(), b["refused"].as_u64()), (Some(1), Some(2)), "{b}");
    let codes: Vec<&str> = b["lines"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap_or("ok")).collect();
    assert_eq!(codes, vec!["ok", "unknown_employee", "invalid_score"]);
    let scores = s.store.kinerja_scores(month).await.unwrap();
    assert_eq!((scores.len(), scores[0].score, scores[0].source.as_str()), (1, 8850, "api"));
    assert_eq!(scores[0].updated_by_name, "Integrasi e-Kinerja tulis");
    let (_, t) = s.get(&format!("/api/v1/me/tpp?month={month}"), &o.emp_sd1).await;
    assert_eq!((t["score"].as_f64(), t["score_source"].as_str()), (Some(88.5), Some("api")), "{t}");

    // Revoked: the token stops at once.
    let (st, _) = s.post(&format!("/api/v1/integrations/{}/revoke", reader["id"]), &o.admin, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) =
        bearer(&s, reqwest::Method::GET, &format!("/api/v1/integration/kinerja?month={month}"), &token, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Documented.
    let doc: Value = s.client.get(s.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for p in [
        "/api/v1/integration/kinerja",
        "/api/v1/integration/scores",
        "/api/v1/integrations",
        "/api/v1/tpp",
        "/api/v1/me/activities",
        "/api/v1/activities/validate",
        "/api/v1/kinerja/scores",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} in the OpenAPI document");
    }
}

fn sha(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}
