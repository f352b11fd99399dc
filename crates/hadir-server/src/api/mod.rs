//! The JSON API under `/api/v1`. Every handler is listed in the OpenAPI document through
//! `utoipa_axum::routes!`, so the document cannot miss a route.

pub(crate) mod audit;
pub(crate) mod auth;
pub mod cards;
pub mod channels;
pub mod checkins;
pub mod days;
pub mod devices;
pub mod employees;
pub mod faces;
pub mod integration;
pub mod kinerja;
pub mod kiosks;
pub mod local_presence;
pub mod logfiles;
pub mod notifications;
pub mod policies;
pub mod privacy;
pub(crate) mod punches;
pub mod recap;
pub mod relay_checkins;
pub mod relays;
pub mod requests;
pub(crate) mod review;
mod roles;
pub mod sessions;
pub(crate) mod signals;
pub mod tpp;
pub mod units;
pub mod webhooks;

use crate::error::ErrorBody;
use crate::state::AppState;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Hadir API", description = "Presensi ASN daerah: API untuk aplikasi pegawai, konsol, relay dan integrasi."),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;
impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::info))
        .routes(routes!(auth::change_own_password))
        .routes(routes!(units::create_unit, units::list_units))
        .routes(routes!(units::get_unit))
        .routes(routes!(units::add_location))
        .routes(routes!(units::update_location, units::delete_location))
        .routes(routes!(employees::create_employee, employees::list_employees))
        .routes(routes!(employees::get_employee, employees::update_employee))
        .routes(routes!(employees::deactivate_employee))
        .routes(routes!(employees::reset_password))
        .routes(routes!(employees::import_employees))
        .routes(routes!(employees::import_status))
        .routes(routes!(employees::employee_locations, employees::assign_location))
        .routes(routes!(roles::grant_role, roles::list_roles))
        .routes(routes!(roles::revoke_role))
        .routes(routes!(audit::list_audit))
        .routes(routes!(checkins::checkin))
        .routes(routes!(punches::list_punches))
        .routes(routes!(punches::punch_photo))
        .routes(routes!(review::list_review))
        .routes(routes!(review::decide_review))
        .routes(routes!(signals::signal_summary))
        .routes(routes!(signals::analyser_status))
        .routes(routes!(signals::register_device_key))
        .routes(routes!(signals::list_device_keys))
        .routes(routes!(signals::decide_device_key))
        .routes(routes!(requests::create_request, requests::list_requests))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::decide_request))
        .routes(routes!(requests::cancel_request))
        .routes(routes!(requests::submit_request))
        // Evidence may be a video (issue 20) larger than the global body limit: the handler
        // streams each file against its own limit (3 MB, or `evidence_video_max_bytes`) and
        // counts files, so the route lifts the global cap.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(requests::add_attachments))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(requests::get_attachment))
        .routes(routes!(requests::my_leave_balance))
        .routes(routes!(requests::my_objection_window))
        .routes(routes!(recap::get_recap))
        .routes(routes!(recap::lock_recap))
        .routes(routes!(recap::reopen_recap))
        .routes(routes!(recap::set_deadline))
        .routes(routes!(recap::discipline))
        .routes(routes!(days::my_days))
        .routes(routes!(days::employee_days))
        .routes(routes!(days::my_today))
        .routes(routes!(policies::list_calendars, policies::create_calendar))
        .routes(routes!(policies::update_calendar))
        .routes(routes!(policies::assign_calendar))
        .routes(routes!(policies::list_holidays, policies::create_holiday))
        .routes(routes!(policies::delete_holiday))
        .routes(routes!(policies::list_rule_sets, policies::create_rule_set))
        .routes(routes!(policies::put_roster))
        .routes(routes!(channels::list_channel_policies, channels::add_channel_policy))
        .routes(routes!(devices::register_device, devices::list_devices))
        .routes(routes!(devices::get_device, devices::discard_device))
        .routes(routes!(devices::bind_device))
        .routes(routes!(devices::approve_device))
        .routes(routes!(devices::sync_employees))
        .routes(routes!(devices::queue_command, devices::list_commands))
        .routes(routes!(devices::unmatched_punches))
        // The file's own limit (`logfiles::MAX_LOG_FILE_BYTES`) is enforced while reading it.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(logfiles::upload_log_file))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(relays::create_relay, relays::list_relays))
        .routes(routes!(relays::revoke_relay))
        .routes(routes!(relays::upload_punches))
        .routes(routes!(relays::roster))
        .routes(routes!(relay_checkins::relay_checkin))
        .routes(routes!(local_presence::my_local_presence))
        .routes(routes!(relays::templates, relays::report_templates))
        .routes(routes!(relays::upload_templates))
        .routes(routes!(kiosks::create_kiosk, kiosks::list_kiosks))
        .routes(routes!(kiosks::revoke_kiosk))
        .routes(routes!(kiosks::kiosk_code))
        .routes(routes!(sessions::create_session, sessions::list_sessions))
        .routes(routes!(sessions::update_session))
        .routes(routes!(sessions::cancel_session))
        .routes(routes!(sessions::session_code))
        .routes(routes!(sessions::kiosk_session_code))
        .routes(routes!(sessions::checkin_session))
        .routes(routes!(sessions::attendance))
        .routes(routes!(sessions::mark))
        .routes(routes!(cards::my_card))
        .routes(routes!(cards::reissue_my_card))
        .routes(routes!(cards::employee_card))
        .routes(routes!(cards::reissue_employee_card))
        .routes(routes!(faces::get_reference_face, faces::enrol_reference_face, faces::remove_reference_face))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(notifications::list_subscriptions, notifications::subscribe, notifications::unsubscribe))
        .routes(routes!(notifications::get_prefs, notifications::put_prefs))
        .routes(routes!(privacy::privacy_notice))
        .routes(routes!(privacy::my_access_log))
        .routes(routes!(privacy::access_log))
        .routes(routes!(privacy::my_export))
        // Daily work reports (issue 22).
        .routes(routes!(kinerja::create_activity, kinerja::my_activities))
        .routes(routes!(kinerja::update_activity, kinerja::delete_activity))
        .routes(routes!(kinerja::attach_file))
        .routes(routes!(kinerja::get_attachment))
        .routes(routes!(kinerja::list_activities))
        .routes(routes!(kinerja::validate))
        // The whole TPP (issue 22).
        .routes(routes!(tpp::get_tpp))
        .routes(routes!(tpp::my_tpp))
        .routes(routes!(tpp::add_policy))
        .routes(routes!(tpp::add_base))
        .routes(routes!(tpp::add_sanction))
        .routes(routes!(tpp::import_scores))
        .routes(routes!(integration::create_integration, integration::list_integrations))
        .routes(routes!(integration::revoke_integration))
        .routes(routes!(integration::pull))
        .routes(routes!(integration::push_scores))
}

/// Paging parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// Items to skip (default 0).
    pub offset: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub limit: Option<u32>,
}

impl Paging {
    pub fn offset(&self) -> u32 {
        self.offset.unwrap_or(0)
    }
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}
