//! Outgoing webhook endpoints and their delivery log (admin; issue 25). The secret is made by
//! the server and shown once, in the answer that creates the endpoint. See
//! [`crate::webhooks`] for the request a receiver gets and how to check its signature.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hadir_store::{Audit, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// Event kinds it receives; `*`: every kind.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: String,
}

impl From<WebhookEndpoint> for WebhookView {
    fn from(e: WebhookEndpoint) -> Self {
        WebhookView {
            id: e.id,
            name: e.name,
            url: e.url,
            events: e.events,
            active: e.active,
            created_at: e.created_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookCreated {
    pub endpoint: WebhookView,
    /// The shared secret for `X-Hadir-Signature`, shown only now.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

#[derive(Deserialize, ToSchema)]
pub struct WebhookInput {
    pub name: String,
    /// `https://…` (or `http://…` inside the regency's network).
    pub url: String,
    /// Event kinds to receive; absent or empty: every kind.
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub endpoint: String,
    pub kind: String,
    /// pending, delivered or failed (given up).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    /// Why the last attempt failed, in Indonesian or as `HTTP <code>`.
    pub last_error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

impl From<WebhookDelivery> for DeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        let pending = d.state == hadir_store::DeliveryState::Pending;
        DeliveryView {
            id: d.id,
            endpoint: d.endpoint_name,
            kind: d.event_kind,
            state: d.state.as_str().into(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at.to_string(),
            next_attempt_at: pending.then(|| d.next_attempt_at.to_string()),
            delivered_at: d.delivered_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(code, message).with_details(serde_json::json!({"field": field}))
}

/// Add an outgoing webhook endpoint (admin; audited). The answer carries its secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    caller.require_admin()?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("invalid_name", "name", "Nama tujuan wajib diisi (paling panjang 100 huruf)."));
    }
    let url = input.url.trim();
    let parsed = url.parse::<axum::http::Uri>().ok();
    let scheme_ok = parsed.as_ref().and_then(|u| u.scheme_str()).is_some_and(|s| s == "https" || s == "http");
    let host_ok = parsed.as_ref().and_then(|u| u.host()).is_some_and(|h| !h.is_empty());
    if !scheme_ok || !host_ok || url.len() > 500 {
        return Err(invalid(
            "invalid_url",
            "url",
            "Alamat tujuan harus berupa URL lengkap yang diawali https:// (atau http:// di jaringan pemda).",
        ));
    }
    let mut events = Vec::new();
    for e in &input.events {
        let e = e.trim();
        let ok = !e.is_empty() && e.len() <= 64 && e.chars().all(|c| c.is_ascii_alphanumeric() || "._*-".contains(c));
        if !ok {
            return Err(invalid(
                "invalid_event",
                "events",
                "Jenis peristiwa hanya boleh huruf, angka, titik, garis bawah.",
            ));
        }
        if !events.iter().any(|x| x == e) {
            events.push(e.to_string());
        }
    }
    if events.is_empty() {
        events.push("*".into());
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a webhook secret");
        ApiError::internal()
    })?;
    let secret = hex::encode(raw);
    let new = NewWebhookEndpoint { name: name.into(), url: url.into(), secret: secret.clone(), events: events.clone() };
    let audit = Audit::new(caller.actor(), "create", "webhook", "")
        .after(serde_json::json!({"name": name, "url": url, "events": events}));
    let e = s.store.create_webhook(&new, audit).await?;
    Ok((StatusCode::CREATED, Json(WebhookCreated { endpoint: e.into(), secret })))
}

/// The outgoing webhook endpoints, without their secrets (admin).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<WebhookList>> {
    caller.require_admin()?;
    Ok(Json(WebhookList { items: s.store.list_webhooks().await?.into_iter().map(Into::into).collect() }))
}

/// The delivery log, newest first (admin): each event per endpoint with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks",
    responses((status = 200, body = DeliveryList), (status = 403, body = ErrorBody)))]
pub async fn list_deliveries(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<DeliveryList>> {
    caller.require_admin()?;
    let items = s.store.list_webhook_deliveries(500).await?.into_iter().map(Into::into).collect();
    Ok(Json(DeliveryList { items }))
}
