//! Channel policy (issue 25): which channels' punches count for the people of a unit subtree
//! and category from a date, and whether their attendance is recorded yet. Admins add dated
//! rows (never edit one: a change is a new row from its date); the rule itself is
//! [`hadir_domain::channels`]. Recorded days from the row's date on are evaluated again; the
//! days before keep what they were.

use crate::auth::Caller;
use crate::days::{latest_today, policy_recompute_from};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hadir_domain::channels::Channel;
use hadir_store::{Audit, Category, ChannelPolicyRow, NewChannelPolicy, RecomputeTarget, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChannelPolicyView {
    pub id: i64,
    /// None: the whole regency.
    pub unit_code: Option<String>,
    /// PNS, PPPK or HONORER; none: every category.
    pub category: Option<String>,
    /// `YYYY-MM-DD`: the first day it applies to.
    pub effective_from: String,
    /// Channels whose punches count: terminal, mobile, kiosk, relay.
    pub channels: Vec<String>,
    /// False: attendance is not recorded yet (days are BELUM_AKTIF, never TK).
    pub recorded: bool,
    pub created_by: String,
}

impl From<ChannelPolicyRow> for ChannelPolicyView {
    fn from(r: ChannelPolicyRow) -> Self {
        ChannelPolicyView {
            id: r.id,
            unit_code: r.unit_code,
            category: r.category.map(|c| c.as_str().to_string()),
            effective_from: r.effective_from.to_string(),
            channels: r.channels.iter().map(|c| c.as_str().to_string()).collect(),
            recorded: r.recorded,
            created_by: r.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelPolicyList {
    pub items: Vec<ChannelPolicyView>,
}

#[derive(Deserialize, ToSchema)]
pub struct ChannelPolicyInput {
    /// The unit whose subtree it covers; absent: the whole regency.
    pub unit_code: Option<String>,
    /// PNS, PPPK or HONORER; absent: every category.
    pub category: Option<String>,
    /// `YYYY-MM-DD`, default today.
    pub effective_from: Option<String>,
    /// Channels that count: terminal, mobile, kiosk, relay (may be empty when not recorded).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Default true.
    pub recorded: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelPolicyResult {
    pub policy: ChannelPolicyView,
    /// Days already recorded on or after its date for the people concerned, evaluated again.
    pub days_reevaluated: u64,
    pub message: String,
}

/// The channel policy rows, oldest first (staff).
#[utoipa::path(get, path = "/api/v1/channel-policies", tag = "policies",
    responses((status = 200, body = ChannelPolicyList), (status = 403, body = ErrorBody)))]
pub async fn list_channel_policies(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<ChannelPolicyList>> {
    caller.require_staff()?;
    let items = s.store.list_channel_policies().await?.into_iter().map(Into::into).collect();
    Ok(Json(ChannelPolicyList { items }))
}

/// Untrusted text quoted in a message, at most 40 characters.
fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(code, message).with_details(serde_json::json!({"field": field}))
}

/// Add a channel policy row from a date (admin; audited). Recorded days from that date are
/// evaluated again; earlier days are not touched.
#[utoipa::path(post, path = "/api/v1/channel-policies", tag = "policies", request_body = ChannelPolicyInput,
    responses((status = 201, body = ChannelPolicyResult), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_channel_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ChannelPolicyInput>,
) -> ApiResult<(StatusCode, Json<ChannelPolicyResult>)> {
    caller.require_admin()?;
    let given = match input.effective_from.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(hadir_domain::years::parse_date(v).map_err(|_| {
            invalid(
                "invalid_date",
                "effective_from",
                "Tanggal berlaku harus berformat TTTT-BB-HH, misalnya 2026-01-02.",
            )
        })?),
    };
    let category = match input.category.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(c) => Some(Category::parse(c).ok_or_else(|| {
            invalid(
                "invalid_category",
                "category",
                format!("Kategori '{c}' tidak dikenal; pilih PNS, PPPK atau HONORER."),
            )
        })?),
    };
    let mut channels = Vec::new();
    for c in &input.channels {
        let ch = Channel::parse(c).ok_or_else(|| {
            invalid(
                "invalid_channel",
                "channels",
                format!("Kanal '{}' tidak dikenal; pilih terminal, mobile, kiosk atau relay.", excerpt(c)),
            )
        })?;
        if !channels.contains(&ch) {
            channels.push(ch);
        }
    }
    let recorded = input.recorded.unwrap_or(true);
    if recorded && channels.is_empty() {
        return Err(invalid(
            "channels_required",
            "channels",
            "Pilih setidaknya satu kanal yang dihitung, atau nyatakan presensinya belum dicatat.",
        ));
    }
    let units = s.store.list_units(&Scope::All).await?;
    let unit = match input.unit_code.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(code) => Some(units.iter().find(|u| u.code == code).cloned().ok_or_else(|| {
            invalid("unknown_unit", "unit_code", format!("Unit kerja '{}' tidak ditemukan.", excerpt(code)))
        })?),
    };
    let scope = unit.as_ref().or_else(|| units.iter().find(|u| u.parent_id.is_none()));
    let path = scope.map(|u| u.path.clone()).unwrap_or_else(|| "/".into());
    // Without a date: today in the zone of the unit it covers (the regency's for all units).
    let from = given.unwrap_or_else(|| {
        let zone = scope.map(|u| u.timezone.as_str()).unwrap_or("Asia/Jakarta");
        crate::days::date_in_zone(zone, jiff::Timestamp::now())
    });
    crate::api::employees::refuse_locked_month(&s, &path, from, "effective_from").await?;
    let people = s.store.employees_in_units_during(Some(&path), from, latest_today().max(from)).await?;
    let days = crate::api::employees::recorded_days_from(&s, &people, from).await?;
    let new = NewChannelPolicy {
        unit_id: unit.as_ref().map(|u| u.id),
        category,
        effective_from: from,
        channels: channels.clone(),
        recorded,
        created_by: caller.username.clone(),
    };
    let audit = Audit::new(caller.actor(), "create", "channel_policy", "").after(serde_json::json!({
        "unit_code": unit.as_ref().map(|u| u.code.clone()),
        "category": category.map(|c| c.as_str()),
        "effective_from": from.to_string(),
        "channels": channels.iter().map(Channel::as_str).collect::<Vec<_>>(),
        "recorded": recorded,
    }));
    let row = s.store.add_channel_policy(&new, audit).await?;
    crate::webhooks::enqueue_or_log(
        s.store.as_ref(),
        "channel_policy.created",
        &serde_json::to_value(ChannelPolicyView::from(row.clone())).unwrap_or_default(),
    )
    .await;
    s.policies.reload(s.store.as_ref()).await?;
    if from <= latest_today() {
        s.recompute.enqueue_in_background(
            RecomputeTarget::Subtrees(vec![path]),
            policy_recompute_from(from),
            latest_today(),
        );
    }
    let message = format!(
        "Kebijakan kanal berlaku mulai {from}; {days} hari yang sudah tercatat sejak tanggal itu dihitung ulang. \
         Hari sebelumnya tidak berubah."
    );
    Ok((StatusCode::CREATED, Json(ChannelPolicyResult { policy: row.into(), days_reevaluated: days, message })))
}
