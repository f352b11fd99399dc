//! Notifications (issue 25): Web Push to the browsers people subscribed, and the same event to
//! the regency's webhook endpoints (a WhatsApp/SMS gateway) as `notification.<kind>`.
//!
//! [`notify`] is the one entry point: it checks the person's preferences, then queues the
//! notification under a unique `dedup_key` (a second call with the same key, from a second tick
//! or a second instance, adds nothing) with one push delivery per subscription, and, only when it
//! was new, the webhook event. A worker claims due push deliveries (leased, as webhooks),
//! encrypts the payload for the subscription (RFC 8291 `aes128gcm`, `web-push-native`), signs a
//! VAPID JWT (RFC 8292, ES256 with the server's P-256 key) and POSTs it:
//!
//! ```text
//! POST <subscription endpoint>
//! TTL: <ttl_secs>            Content-Encoding: aes128gcm     Urgency: normal
//! Authorization: vapid t=<JWT {aud: endpoint origin, exp, sub}>, k=<server public key>
//! ```
//!
//! 2xx delivers; 404/410 means the browser unsubscribed: the subscription and its deliveries are
//! deleted; 429, 5xx and network errors are retried with backoff; other answers fail at once.
//! The VAPID key pair is made on first start and kept as the server secret `vapid` (every
//! instance reads the same one); its public key is served to the app.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hadir_store::{DeliveryAttempt, Id, NewNotification, PushDelivery, Store, StoreError};
use jiff::Timestamp;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyConfig {
    /// Contact of the server's operator in every VAPID token (`mailto:` or `https:`); push
    /// services use it when a server misbehaves.
    pub vapid_subject: String,
    /// Accept `http://` subscription endpoints on loopback addresses (tests with a local push
    /// endpoint). Off in production: endpoints must be `https://`.
    pub allow_http_loopback: bool,
    /// Subscriptions kept per account (browsers, phones); the oldest give way.
    pub max_subscriptions_per_account: u32,
    /// How long a push service keeps an undelivered message (the `TTL` header), seconds.
    pub ttl_secs: u64,
    /// How often the worker looks for due pushes.
    pub poll_ms: u64,
    /// First retry after this; each next one waits twice as long (at most a day).
    pub backoff_base_ms: u64,
    /// Attempts before a push is given up.
    pub max_attempts: u32,
    pub timeout_secs: u64,
    /// Reminders to employees (the scheduler); off: only decisions and alerts are sent.
    pub reminders_enabled: bool,
    /// How often the scheduler looks for reminders and alerts due, seconds.
    pub reminder_tick_secs: u64,
    /// The second reminder comes this many minutes before a checkpoint's window closes.
    pub before_close_minutes: u16,
    /// How late a tick may still send a reminder (after a restart), minutes.
    pub catch_up_minutes: u16,
    /// Nothing is sent from `quiet_start` to `quiet_end`, in the recipient's local time.
    pub quiet_start: hadir_domain::DayTime,
    pub quiet_end: hadir_domain::DayTime,
    /// A terminal not heard from for this long during working hours alerts its unit's
    /// operators, minutes.
    pub terminal_silent_minutes: u32,
    /// The same for an office relay (when it has called in at least once), minutes.
    pub relay_offline_minutes: u32,
    /// Requests waiting longer than this for their head alert the heads over the unit, hours.
    pub requests_waiting_hours: u32,
    /// Held punches waiting longer than this for a decision alert the heads and operators
    /// over the employee's unit, hours.
    pub review_waiting_hours: u32,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            vapid_subject: "mailto:admin@localhost".into(),
            allow_http_loopback: false,
            max_subscriptions_per_account: 5,
            ttl_secs: 4 * 3600,
            poll_ms: 2_000,
            backoff_base_ms: 30_000,
            max_attempts: 8,
            timeout_secs: 10,
            reminders_enabled: true,
            reminder_tick_secs: 60,
            before_close_minutes: 15,
            catch_up_minutes: 10,
            quiet_start: hadir_domain::DayTime::hm(21, 0),
            quiet_end: hadir_domain::DayTime::hm(5, 0),
            terminal_silent_minutes: 60,
            relay_offline_minutes: 30,
            requests_waiting_hours: 24,
            review_waiting_hours: 24,
        }
    }
}

/// What a person can be told. Employees get reminders and decisions; heads, operators and
/// admins the operational alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ReminderOpen,
    ReminderClose,
    Decision,
    TerminalSilent,
    RelayOffline,
    ReviewWaiting,
    RequestsWaiting,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::ReminderOpen,
        Kind::ReminderClose,
        Kind::Decision,
        Kind::TerminalSilent,
        Kind::RelayOffline,
        Kind::ReviewWaiting,
        Kind::RequestsWaiting,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::ReminderOpen => "reminder_open",
            Kind::ReminderClose => "reminder_close",
            Kind::Decision => "decision",
            Kind::TerminalSilent => "terminal_silent",
            Kind::RelayOffline => "relay_offline",
            Kind::ReviewWaiting => "review_waiting",
            Kind::RequestsWaiting => "requests_waiting",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The checkbox label in the app and the console.
    pub fn label(&self) -> &'static str {
        match self {
            Kind::ReminderOpen => "Pengingat saat jam absen dibuka",
            Kind::ReminderClose => "Pengingat sebelum jam absen ditutup (jika belum absen)",
            Kind::Decision => "Keputusan atas pengajuan dan absen yang diperiksa",
            Kind::TerminalSilent => "Mesin absen tidak mengirim data pada jam kerja",
            Kind::RelayOffline => "Penerus data kantor tidak terhubung",
            Kind::ReviewWaiting => "Absen menunggu pemeriksaan terlalu lama",
            Kind::RequestsWaiting => "Pengajuan menunggu keputusan",
        }
    }

    /// Employees' kinds; the rest are for people who look after units.
    pub fn for_employees(&self) -> bool {
        matches!(self, Kind::ReminderOpen | Kind::ReminderClose | Kind::Decision)
    }
}

/// The kinds a person may choose: employees' kinds when they are an employee, the alerts when
/// they are an admin, head or operator.
pub fn kinds_for(is_employee: bool, is_staff: bool) -> Vec<Kind> {
    Kind::ALL.into_iter().filter(|k| if k.for_employees() { is_employee } else { is_staff }).collect()
}

/// The server's VAPID signing key, read from (or, on first start, made into) the store once.
#[derive(Default)]
pub struct PushKeys {
    key: OnceCell<SigningKey>,
}

const VAPID_SECRET: &str = "vapid";

impl PushKeys {
    pub async fn signing_key(&self, store: &dyn Store) -> Result<&SigningKey, StoreError> {
        self.key
            .get_or_try_init(|| async {
                let fresh = loop {
                    let mut b = [0u8; 32];
                    getrandom::fill(&mut b).map_err(|e| StoreError::Backend(e.to_string()))?;
                    // Almost every 32 bytes are a valid scalar; the rare others are drawn again.
                    if SigningKey::from_slice(&b).is_ok() {
                        break b;
                    }
                };
                let stored = store.server_secret(VAPID_SECRET, &fresh).await?;
                SigningKey::from_slice(&stored)
                    .map_err(|_| StoreError::Backend("stored VAPID key is not a P-256 key".into()))
            })
            .await
    }

    /// The public key the app passes to `pushManager.subscribe` (uncompressed point, base64url).
    pub async fn public_key(&self, store: &dyn Store) -> Result<String, StoreError> {
        Ok(public_key_b64(self.signing_key(store).await?))
    }
}

fn public_key_b64(k: &SigningKey) -> String {
    B64.encode(k.verifying_key().to_encoded_point(false).as_bytes())
}

/// `Authorization: vapid t=…, k=…` for a push to `endpoint` (RFC 8292): an ES256 JWT whose
/// audience is the endpoint's origin, valid 12 hours.
pub fn vapid_authorization(key: &SigningKey, endpoint: &str, subject: &str, now: Timestamp) -> Option<String> {
    let uri: axum::http::Uri = endpoint.parse().ok()?;
    let aud = format!("{}://{}", uri.scheme_str()?, uri.authority()?);
    let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({"aud": aud, "exp": now.as_second() + 12 * 3600, "sub": subject});
    let signed = format!("{header}.{}", B64.encode(claims.to_string()));
    let sig: p256::ecdsa::Signature = key.sign(signed.as_bytes());
    Some(format!("vapid t={signed}.{}, k={}", B64.encode(sig.to_bytes()), public_key_b64(key)))
}

/// Decodes base64url with or without padding (browsers send it without).
pub fn b64url(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim().trim_end_matches('=')).ok()
}

/// Why a subscription is refused (an Indonesian message for the app), or `None`.
pub fn check_subscription(
    cfg: &NotifyConfig,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Option<(&'static str, &'static str)> {
    let bad_endpoint = ("invalid_endpoint", "Alamat layanan notifikasi browser tidak sah (harus https://).");
    if endpoint.len() > 1000 || p256dh.len() > 200 || auth.len() > 100 {
        return Some(("subscription_too_large", "Data langganan notifikasi terlalu panjang."));
    }
    let Ok(uri) = endpoint.parse::<axum::http::Uri>() else {
        return Some(bad_endpoint);
    };
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Some(bad_endpoint);
    };
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if cfg.allow_http_loopback && loopback => {}
        _ => return Some(bad_endpoint),
    }
    let key_ok = b64url(p256dh).is_some_and(|k| k.len() == 65 && p256::PublicKey::from_sec1_bytes(&k).is_ok());
    let auth_ok = b64url(auth).is_some_and(|a| a.len() == 16);
    if !key_ok || !auth_ok {
        return Some(("invalid_keys", "Kunci langganan notifikasi dari browser tidak sah."));
    }
    None
}

/// What the service worker shows.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub title: String,
    pub body: String,
    /// Where a tap leads (a path of this server).
    pub url: String,
}

/// Who is told, for the webhook event (a gateway maps NIP or login to a phone number).
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub account_id: Id,
    pub login: String,
    pub name: String,
    pub nip: Option<String>,
}

/// Tells `to` about something once per `dedup_key`, if they chose to receive `kind`: queues
/// the push deliveries and, when new, the webhook event `notification.<kind>`. Returns whether
/// it was queued now. Errors are the store's.
pub async fn notify(
    store: &dyn Store,
    to: &Recipient,
    kind: Kind,
    dedup_key: &str,
    msg: &Message,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if let Some(chosen) = store.notification_prefs(to.account_id).await?
        && !chosen.iter().any(|k| k == kind.as_str())
    {
        return Ok(false);
    }
    let payload = serde_json::json!({"kind": kind.as_str(), "title": msg.title, "body": msg.body, "url": msg.url,
        "tag": dedup_key});
    let n = NewNotification {
        dedup_key: dedup_key.into(),
        account_id: to.account_id,
        kind: kind.as_str().into(),
        payload: payload.to_string(),
    };
    // Deliverable at once: a tick given an instant ahead of the clock must not hold it back.
    if store.queue_notification(&n, now.min(Timestamp::now())).await?.is_none() {
        return Ok(false);
    }
    let event = serde_json::json!({"recipient": to, "kind": kind.as_str(), "title": msg.title, "body": msg.body,
        "key": dedup_key});
    crate::webhooks::enqueue_or_log(store, &format!("notification.{}", kind.as_str()), &event).await;
    metrics::counter!("hadir_notifications_total", "kind" => kind.as_str()).increment(1);
    Ok(true)
}

/// [`notify`] for callers that must not fail because of it (a decision is made whether or not
/// its notice is queued): an error is logged.
pub async fn notify_or_log(store: &dyn Store, to: &Recipient, kind: Kind, dedup_key: &str, msg: &Message) {
    if let Err(e) = notify(store, to, kind, dedup_key, msg, Timestamp::now()).await {
        tracing::error!(kind = kind.as_str(), error = %e, "notification not queued");
    }
}

/// The recipient record of an employee (by employee id).
pub async fn employee_recipient(store: &dyn Store, employee_id: Id) -> Result<Recipient, StoreError> {
    let e = store.employee_by_id(employee_id).await?;
    Ok(Recipient { account_id: e.account_id, login: e.login, name: e.name, nip: e.nip })
}

/// Tells the employee a request about them was decided (issue 25), once per request.
pub async fn decision_notice(s: &crate::state::AppState, r: &hadir_store::Request) {
    let Some(employee_id) = r.employee_id else {
        return; // a unit's request (MANUAL, OUTAGE): nobody in particular
    };
    let to = match employee_recipient(s.store.as_ref(), employee_id).await {
        Ok(to) => to,
        Err(e) => {
            tracing::error!(request = r.id, error = %e, "decision notice: employee not read");
            return;
        }
    };
    let approved = r.state == hadir_store::RequestState::Approved;
    let verdict = if approved { "disetujui" } else { "ditolak" };
    let dates = if r.date_to == r.date_from {
        r.date_from.strftime("%d-%m-%Y").to_string()
    } else {
        format!("{} s.d. {}", r.date_from.strftime("%d-%m-%Y"), r.date_to.strftime("%d-%m-%Y"))
    };
    let msg = Message {
        title: format!("Pengajuan {verdict}"),
        body: format!("Pengajuan {} untuk {dates} telah {verdict}.", r.kind.replace('_', " ")),
        url: "/app/#/pengajuan".into(),
    };
    notify_or_log(s.store.as_ref(), &to, Kind::Decision, &format!("decision:request:{}", r.id), &msg).await;
}

/// Tells each employee whose held punches were just decided (issue 25): one notice per
/// employee per decision, keyed by the first punch decided (a punch is decided once).
pub async fn held_punch_notices(
    s: &crate::state::AppState,
    decided: &[hadir_store::Punch],
    accept: bool,
    note: Option<&str>,
) {
    let mut by_employee: std::collections::BTreeMap<Id, Vec<&hadir_store::Punch>> = Default::default();
    for p in decided {
        if let Some(e) = p.p.employee_id {
            by_employee.entry(e).or_default().push(p);
        }
    }
    let verdict = if accept { "diterima" } else { "ditolak" };
    for (employee_id, punches) in by_employee {
        let e = match s.store.employee_by_id(employee_id).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(employee = employee_id, error = %e, "punch decision notice: employee not read");
                continue;
            }
        };
        let tz = hadir_domain::zone::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let first = punches.iter().map(|p| p.id).min().unwrap_or_default();
        let when = |p: &hadir_store::Punch| {
            let z = p.p.punched_at.to_zoned_datetime(tz.clone());
            let zone = hadir_domain::zone::zone_abbreviation(&tz, p.p.punched_at);
            format!("{} pukul {} {zone}", z.date().strftime("%d-%m-%Y"), hadir_domain::zone::clock(&tz, p.p.punched_at))
        };
        let what = match punches.as_slice() {
            [p] => format!("Absen Anda tanggal {}", when(p)),
            ps => format!("{} absen Anda (pertama {})", ps.len(), when(ps[0])),
        };
        let note = note.map(|n| format!(" Catatan pemeriksa: {n}")).unwrap_or_default();
        let msg = Message {
            title: format!("Absen {verdict}"),
            body: format!("{what} telah {verdict} oleh pemeriksa.{note}"),
            url: "/app/#/riwayat".into(),
        };
        let to = Recipient { account_id: e.account_id, login: e.login, name: e.name, nip: e.nip };
        notify_or_log(s.store.as_ref(), &to, Kind::Decision, &format!("decision:punch:{first}"), &msg).await;
    }
}

/// Push deliveries claimed per poll.
const BATCH: u32 = 50;

/// Starts the push worker (and makes the VAPID key if this is the first start).
pub fn start(store: Arc<dyn Store>, keys: Arc<PushKeys>, cfg: NotifyConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match crate::outbox::http_client(cfg.timeout_secs) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "push client not built: no notifications");
                return;
            }
        };
        let poll = Duration::from_millis(cfg.poll_ms.max(10));
        loop {
            let key = match keys.signing_key(store.as_ref()).await {
                Ok(k) => k,
                Err(e) => {
                    tracing::error!(error = %e, "VAPID key not available");
                    tokio::time::sleep(poll.max(Duration::from_secs(5))).await;
                    continue;
                }
            };
            match deliver_due(store.as_ref(), &client, key, &cfg).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "push deliveries: store error"),
            }
            tokio::time::sleep(poll).await;
        }
    })
}

/// One pass: claims due push deliveries and attempts each; returns how many were attempted.
pub async fn deliver_due(
    store: &dyn Store,
    client: &reqwest::Client,
    key: &SigningKey,
    cfg: &NotifyConfig,
) -> Result<usize, StoreError> {
    let now = Timestamp::now();
    let lease = crate::outbox::lease_until(now, cfg.timeout_secs);
    let due = store.claim_due_pushes(now, lease, BATCH).await?;
    for d in &due {
        let outcome = attempt(client, key, cfg, d).await;
        if outcome == Outcome::Gone {
            tracing::info!(subscription = d.subscription_id, "push subscription gone: deleted");
            store.drop_push_subscription(d.subscription_id).await?;
            metrics::counter!("hadir_push_attempts_total", "outcome" => "gone").increment(1);
            continue;
        }
        let attempts = crate::outbox::attempts_after(d.attempts);
        let (delivered, status, error, retry) = match outcome {
            Outcome::Delivered(s) => (true, Some(s), None, false),
            Outcome::Retry(s, e) => (false, s, Some(e), true),
            Outcome::Failed(s, e) => (false, s, Some(e), false),
            Outcome::Gone => unreachable!("handled above"),
        };
        let retry_at = crate::outbox::retry_at(cfg.backoff_base_ms, attempts, cfg.max_attempts, retry);
        if !delivered {
            tracing::warn!(
                delivery = d.id,
                status,
                error = error.as_deref().unwrap_or(""),
                given_up = retry_at.is_none(),
                "push not delivered"
            );
        }
        let a = DeliveryAttempt { delivered, status, error, retry_at };
        store.record_push_attempt(d.id, &a, Timestamp::now()).await?;
        metrics::counter!("hadir_push_attempts_total", "outcome" => if delivered { "delivered" } else { "failed" })
            .increment(1);
    }
    Ok(due.len())
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Delivered(i64),
    Gone,
    Retry(Option<i64>, String),
    Failed(Option<i64>, String),
}

async fn attempt(client: &reqwest::Client, key: &SigningKey, cfg: &NotifyConfig, d: &PushDelivery) -> Outcome {
    let keys = b64url(&d.p256dh).and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok());
    let auth = b64url(&d.auth);
    let (Some(ua_public), Some(auth)) = (keys, auth) else {
        return Outcome::Failed(None, "kunci langganan tidak sah".into());
    };
    let auth: [u8; 16] = match auth.try_into() {
        Ok(a) => a,
        Err(_) => return Outcome::Failed(None, "kunci langganan tidak sah".into()),
    };
    let auth = web_push_native::Auth::from(auth);
    let body = match web_push_native::encrypt(d.payload.clone().into_bytes(), &ua_public, &auth) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(None, format!("enkripsi gagal: {e}")),
    };
    let Some(authorization) = vapid_authorization(key, &d.endpoint, &cfg.vapid_subject, Timestamp::now()) else {
        return Outcome::Failed(None, "alamat langganan tidak sah".into());
    };
    let sent = client
        .post(&d.endpoint)
        .header("TTL", cfg.ttl_secs.to_string())
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Urgency", "normal")
        .header("Authorization", authorization)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) => {
            let s = r.status().as_u16();
            match s {
                200..=299 => Outcome::Delivered(i64::from(s)),
                404 | 410 => Outcome::Gone,
                429 | 500..=599 => Outcome::Retry(Some(i64::from(s)), format!("HTTP {s}")),
                _ => Outcome::Failed(Some(i64::from(s)), format!("HTTP {s}")),
            }
        }
        Err(e) => {
            let what = if e.is_timeout() { "tidak ada jawaban dalam batas waktu" } else { "tidak dapat terhubung" };
            Outcome::Retry(None, what.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    #[test]
    fn vapid_token_is_an_es256_jwt_for_the_endpoint_origin() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let h = vapid_authorization(
            &key,
            "https://push.example.net:8443/wpush/v2/abc?x=1",
            "mailto:bkd@example.go.id",
            now,
        )
        .unwrap();
        let (t, k) = h.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, public_key_b64(&key));
        let mut parts = t.split('.');
        let (head, claims, sig) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let claims: serde_json::Value = serde_json::from_slice(&b64url(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_700_000_000 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:bkd@example.go.id");
        let sig = p256::ecdsa::Signature::from_slice(&b64url(sig).unwrap()).unwrap();
        let signed = format!("{head}.{}", t.split('.').nth(1).unwrap());
        assert!(key.verifying_key().verify(signed.as_bytes(), &sig).is_ok());
        assert!(key.verifying_key().verify(b"something else", &sig).is_err());
    }

    #[test]
    fn subscriptions_need_https_unless_loopback_is_allowed() {
        let sk = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        let pk = B64.encode(sk.public_key().to_encoded_point(false).as_bytes());
        let auth = B64.encode([1u8; 16]);
        let strict = NotifyConfig::default();
        let tests = NotifyConfig { allow_http_loopback: true, ..NotifyConfig::default() };
        assert_eq!(check_subscription(&strict, "https://fcm.googleapis.com/fcm/send/x", &pk, &auth), None);
        assert_eq!(check_subscription(&strict, "http://127.0.0.1:9/p", &pk, &auth).unwrap().0, "invalid_endpoint");
        assert_eq!(check_subscription(&tests, "http://127.0.0.1:9/p", &pk, &auth), None);
        assert_eq!(check_subscription(&tests, "http://[::1]:9/p", &pk, &auth), None);
        assert_eq!(check_subscription(&tests, "http://10.0.0.1/p", &pk, &auth).unwrap().0, "invalid_endpoint");
        assert_eq!(check_subscription(&strict, "ftp://x/p", &pk, &auth).unwrap().0, "invalid_endpoint");
        assert_eq!(check_subscription(&strict, "https://x/p", "AAAA", &auth).unwrap().0, "invalid_keys");
        assert_eq!(check_subscription(&strict, "https://x/p", &pk, "AAAA").unwrap().0, "invalid_keys");
        let long = format!("https://x/{}", "a".repeat(2000));
        assert_eq!(check_subscription(&strict, &long, &pk, &auth).unwrap().0, "subscription_too_large");
    }
}
