//! The relay's status page under attack (issue 17), over real HTTP on
//! loopback: where it listens, its password, requests from other pages
//! (CSRF), DNS rebinding, and the security headers.

use std::path::Path;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hadir_relay::RelayConfig;
use hadir_relay::fake_server::{FakeServer, lock};
use reqwest::StatusCode;

const TOKEN: &str = "relay-token-1";

type Headers = Vec<(&'static str, String)>;

fn config(server: &str, buffer: &Path, listen: &str) -> RelayConfig {
    RelayConfig::from_toml(&format!(
        "server = \"{server}\"\ntoken = \"{TOKEN}\"\nbuffer = \"{}\"\nstatus_listen = \"{listen}\"\n\
         roster_interval_secs = 0\n",
        buffer.display()
    ))
    .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn basic(password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("operator:{password}")))
}

fn form_token(html: &str) -> String {
    html.split("name=\"token\" value=\"").nth(1).expect("the page has the form token").split('"').next().unwrap().into()
}

async fn sync_requests_after(server: &FakeServer, pause: Duration) -> u64 {
    tokio::time::sleep(pause).await;
    lock(&server.state()).roster_gets
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_security_headers(resp: &reqwest::Response) {
    let h = resp.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(h["referrer-policy"], "same-origin");
}

#[tokio::test]
async fn default_is_loopback_and_an_exposed_page_needs_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("server = \"http://127.0.0.1:1\"\ntoken = \"t\"\nbuffer = \"{}\"\n", dir.path().join("r.db").display());
    assert_eq!(RelayConfig::from_toml(&text).unwrap().status_listen, "127.0.0.1:8090");

    // A config built in code skips `from_toml`: `start` checks again before binding anything.
    let mut exposed = RelayConfig::from_toml(&text).unwrap();
    exposed.status_listen = "0.0.0.0:0".into();
    let err = hadir_relay::start(exposed.clone()).await.err().expect("refused without a password").to_string();
    assert!(err.contains("terbuka untuk jaringan") && err.contains("status_password"), "{err}");
    let file_err = RelayConfig::from_toml(&format!("status_listen = \"0.0.0.0:8090\"\n{text}")).unwrap_err();
    assert!(file_err.to_string().contains("status_password_hash"), "{file_err}");

    exposed.status_password = Some("rahasia-kantor".into());
    let relay = hadir_relay::start(exposed).await.expect("a password makes it acceptable");
    assert!(relay.status_addr().ip().is_unspecified());
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_password_is_401_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let mut cfg = config(&server.url(), &dir.path().join("relay.db"), "127.0.0.1:0");
    cfg.status_password = Some("rahasia-kantor".into());
    let relay = hadir_relay::start(cfg).await.unwrap();
    let origin = format!("http://{}", relay.status_addr());
    let http = http();

    let resp = http.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic "));
    assert_security_headers(&resp);
    assert!(resp.text().await.unwrap().contains("Kata sandi"));
    for path in ["/", "/status.json"] {
        let resp = http.get(format!("{origin}{path}")).header("authorization", basic("salah")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
    }

    let good = basic("rahasia-kantor");
    let html =
        http.get(format!("{origin}/")).header("authorization", &good).send().await.unwrap().text().await.unwrap();
    let token = form_token(&html);
    // The right origin and token but no or a wrong password: refused, nothing requested.
    for auth in [None, Some(basic("salah")), Some(basic("")), Some("Bearer rahasia-kantor".to_string())] {
        let mut req = http
            .post(format!("{origin}/sinkron"))
            .header("origin", &origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"));
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{auth:?}");
    }
    assert_eq!(sync_requests_after(&server, Duration::from_millis(400)).await, 0, "no sync was requested");

    let resp = http
        .post(format!("{origin}/sinkron"))
        .header("authorization", &good)
        .header("origin", &origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    wait_until("sync requested", Duration::from_secs(5), || lock(&server.state()).roster_gets == 1).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argon2id_hash_is_accepted_as_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let hash = Argon2::default().hash_password(b"sandi-relay-2026").unwrap().to_string();
    let text = format!(
        "server = \"{}\"\ntoken = \"{TOKEN}\"\nbuffer = \"{}\"\nstatus_listen = \"0.0.0.0:0\"\n\
         status_password_hash = \"{hash}\"\nroster_interval_secs = 0\n",
        server.url(),
        dir.path().join("relay.db").display()
    );
    let relay = hadir_relay::start(RelayConfig::from_toml(&text).unwrap()).await.unwrap();
    let url = format!("http://127.0.0.1:{}/status.json", relay.status_addr().port());
    let http = http();
    let with = |p: &str| http.get(&url).header("authorization", basic(p)).send();
    assert_eq!(with("salah").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(with("sandi-relay-2026").await.unwrap().status(), StatusCode::OK);
    assert_eq!(with("sandi-relay-2026").await.unwrap().status(), StatusCode::OK, "remembered");
    assert_eq!(with("sandi-relay-2027").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let bad = text.replace(&hash, "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA");
    assert!(RelayConfig::from_toml(&bad).unwrap_err().to_string().contains("argon2id"));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_only_from_the_page_itself_with_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let relay = hadir_relay::start(config(&server.url(), &dir.path().join("relay.db"), "127.0.0.1:0")).await.unwrap();
    let origin = format!("http://{}", relay.status_addr());
    let http = http();

    // Loopback without a password: the page opens without one.
    let resp = http.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_security_headers(&resp);
    let token = form_token(&resp.text().await.unwrap());
    let json = http.get(format!("{origin}/status.json")).send().await.unwrap().text().await.unwrap();
    assert!(!json.contains(&token), "the token is only in the page");

    let post = |headers: Headers, body: String| {
        let mut req = http
            .post(format!("{origin}/sinkron"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let with_token = format!("token={token}");
    let refused: Vec<(&str, Headers, String)> = vec![
        ("foreign origin", vec![("origin", "http://evil.example".into())], with_token.clone()),
        ("origin on another port", vec![("origin", "http://127.0.0.1:1".into())], with_token.clone()),
        ("opaque origin", vec![("origin", "null".into())], with_token.clone()),
        ("foreign referer", vec![("referer", "http://evil.example/x".into())], with_token.clone()),
        ("no origin nor referer", vec![], with_token.clone()),
        (
            "foreign origin wins over our referer",
            vec![("origin", "http://evil.example".into()), ("referer", format!("{origin}/"))],
            with_token.clone(),
        ),
        ("no token", vec![("origin", origin.clone())], String::new()),
        ("wrong token", vec![("origin", origin.clone())], format!("token={}", "0".repeat(64))),
        ("token of another field", vec![("origin", origin.clone())], format!("xtoken={token}")),
    ];
    for (what, headers, body) in refused {
        let resp = post(headers, body).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{what}");
        assert_security_headers(&resp);
    }
    assert_eq!(sync_requests_after(&server, Duration::from_millis(400)).await, 0, "no sync was requested");

    let resp = post(vec![("origin", origin.clone())], with_token.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/?sinkron=1");
    wait_until("first sync", Duration::from_secs(5), || lock(&server.state()).roster_gets == 1).await;
    // An older browser that sends only the Referer.
    let resp = post(vec![("referer", format!("{origin}/?sinkron=1"))], with_token).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    wait_until("second sync", Duration::from_secs(5), || lock(&server.state()).roster_gets == 2).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwordless_page_answers_only_loopback_host_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(TOKEN).unwrap();
    let relay = hadir_relay::start(config(&server.url(), &dir.path().join("relay.db"), "127.0.0.1:0")).await.unwrap();
    let port = relay.status_addr().port();
    let url = format!("http://127.0.0.1:{port}/");
    let http = http();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        assert_eq!(http.get(&url).header("host", &host).send().await.unwrap().status(), StatusCode::OK, "{host}");
    }
    // A DNS-rebinding page reaches 127.0.0.1 under its own name.
    let resp = http.get(&url).header("host", format!("evil.example:{port}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    relay.shutdown().await;
}
