//! The signed-in person's notifications (issue 25): their Web Push subscriptions (with the
//! server's VAPID public key) and which kinds they receive. Everything here is about the caller
//! only: nobody reads or changes another person's subscriptions or preferences.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::notifications::{Kind, check_subscription, kinds_for};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    /// The push service's host (the full endpoint is a capability and is not shown back).
    pub service: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Subscriptions {
    /// The server's VAPID public key (`applicationServerKey` for `pushManager.subscribe`).
    pub public_key: String,
    pub items: Vec<SubscriptionView>,
}

#[derive(Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// `PushSubscription.toJSON()` as the browser gives it.
#[derive(Deserialize, ToSchema)]
pub struct SubscriptionInput {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Deserialize, ToSchema)]
pub struct UnsubscribeInput {
    pub endpoint: String,
}

#[derive(Serialize, ToSchema)]
pub struct KindChoice {
    pub kind: String,
    pub label: String,
    pub enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Prefs {
    /// Every kind the caller may receive, with whether they chose it.
    pub kinds: Vec<KindChoice>,
}

#[derive(Deserialize, ToSchema)]
pub struct PrefsInput {
    /// The kinds to receive; the others are off.
    pub kinds: Vec<String>,
}

fn service_host(endpoint: &str) -> String {
    endpoint.parse::<axum::http::Uri>().ok().and_then(|u| u.host().map(str::to_string)).unwrap_or_default()
}

async fn list(s: &AppState, caller: &Caller) -> ApiResult<Subscriptions> {
    let public_key = s.push_keys.public_key(s.store.as_ref()).await?;
    let items = s
        .store
        .push_subscriptions_of(caller.account_id)
        .await?
        .into_iter()
        .map(|p| SubscriptionView {
            id: p.id,
            service: service_host(&p.endpoint),
            created_at: p.created_at.to_string(),
        })
        .collect();
    Ok(Subscriptions { public_key, items })
}

/// The caller's push subscriptions and the server's VAPID public key.
#[utoipa::path(get, path = "/api/v1/me/push-subscriptions", tag = "notifications",
    responses((status = 200, body = Subscriptions), (status = 401, body = ErrorBody)))]
pub async fn list_subscriptions(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Subscriptions>> {
    Ok(Json(list(&s, &caller).await?))
}

/// Subscribes this browser for the caller (`PushSubscription.toJSON()`). The endpoint must be
/// `https://`; a browser known under another account moves to the caller.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", tag = "notifications", request_body = SubscriptionInput,
    responses((status = 201, body = Subscriptions), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscribe(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<(StatusCode, Json<Subscriptions>)> {
    let cfg = &s.config.notifications;
    let (endpoint, p256dh, auth) = (input.endpoint.trim(), input.keys.p256dh.trim(), input.keys.auth.trim());
    if let Some((code, message)) = check_subscription(cfg, endpoint, p256dh, auth) {
        return Err(ApiError::unprocessable(code, message));
    }
    s.store
        .upsert_push_subscription(
            caller.account_id,
            endpoint,
            p256dh,
            auth,
            cfg.max_subscriptions_per_account,
            Timestamp::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(list(&s, &caller).await?)))
}

/// Unsubscribes one of the caller's browsers. Another person's endpoint answers 404.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions", tag = "notifications", request_body = UnsubscribeInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unsubscribe(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<UnsubscribeInput>,
) -> ApiResult<StatusCode> {
    if input.endpoint.len() > 1000
        || !s.store.delete_push_subscription(caller.account_id, input.endpoint.trim()).await?
    {
        return Err(ApiError::not_found("Langganan notifikasi ini"));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn available(caller: &Caller) -> Vec<Kind> {
    kinds_for(caller.employee_id.is_some(), caller.is_staff())
}

async fn prefs(s: &AppState, caller: &Caller) -> ApiResult<Prefs> {
    let chosen = s.store.notification_prefs(caller.account_id).await?;
    let kinds = available(caller)
        .into_iter()
        .map(|k| KindChoice {
            kind: k.as_str().into(),
            label: k.label().into(),
            // Never chosen: everything the person may receive is on.
            enabled: chosen.as_ref().is_none_or(|c| c.iter().any(|x| x == k.as_str())),
        })
        .collect();
    Ok(Prefs { kinds })
}

/// Which kinds of notification the caller receives.
#[utoipa::path(get, path = "/api/v1/me/notification-prefs", tag = "notifications",
    responses((status = 200, body = Prefs), (status = 401, body = ErrorBody)))]
pub async fn get_prefs(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Prefs>> {
    Ok(Json(prefs(&s, &caller).await?))
}

/// Chooses the kinds the caller receives (the rest are off). A kind the caller cannot receive
/// (an operator's alert for an employee) is refused.
#[utoipa::path(put, path = "/api/v1/me/notification-prefs", tag = "notifications", request_body = PrefsInput,
    responses((status = 200, body = Prefs), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_prefs(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<PrefsInput>,
) -> ApiResult<Json<Prefs>> {
    if input.kinds.len() > Kind::ALL.len() {
        return Err(ApiError::unprocessable("invalid_kind", "Terlalu banyak jenis notifikasi."));
    }
    let allowed = available(&caller);
    let mut kinds: Vec<String> = Vec::new();
    for k in &input.kinds {
        match Kind::parse(k.trim()).filter(|k| allowed.contains(k)) {
            Some(k) if !kinds.iter().any(|x| x == k.as_str()) => kinds.push(k.as_str().into()),
            Some(_) => {}
            None => {
                return Err(ApiError::unprocessable(
                    "invalid_kind",
                    "Jenis notifikasi ini tidak tersedia untuk akun Anda.",
                )
                .with_details(serde_json::json!({"kind": k.chars().take(64).collect::<String>()})));
            }
        }
    }
    s.store.set_notification_prefs(caller.account_id, &kinds, Timestamp::now()).await?;
    Ok(Json(prefs(&s, &caller).await?))
}
