//! JSON views shared by several endpoints. Times are RFC 3339 with the unit's offset.

use hadir_domain::zone::rfc3339_local;
use hadir_store::Punch;
use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PunchView {
    pub id: i64,
    /// mobile, special, terminal or relay.
    pub source: String,
    /// When the person was there.
    pub punched_at: String,
    /// When the server received it.
    pub received_at: String,
    pub captured_at: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub distance_m: Option<f64>,
    pub location: Option<String>,
    pub device_sn: Option<String>,
    pub device_pin: Option<String>,
    pub note: Option<String>,
    /// Why it needs a person's look (offline_gap, clock_fault, special_pending), if it does.
    pub review: Option<String>,
    pub review_detail: Option<String>,
    pub photo_url: Option<String>,
    pub thumb_url: Option<String>,
}

impl PunchView {
    pub fn new(p: &Punch, tz: &TimeZone) -> PunchView {
        let photo = p.p.photo_hash.as_ref().map(|_| format!("/api/v1/punches/{}/photo", p.id));
        PunchView {
            id: p.id,
            source: p.p.source.as_str().into(),
            punched_at: rfc3339_local(tz, p.p.punched_at),
            received_at: rfc3339_local(tz, p.p.received_at),
            captured_at: p.p.captured_at.map(|t| rfc3339_local(tz, t)),
            lat: p.p.lat,
            lon: p.p.lon,
            accuracy_m: p.p.accuracy_m,
            distance_m: p.p.distance_m,
            location: p.p.location_name.clone(),
            device_sn: p.p.device_sn.clone(),
            device_pin: p.p.device_pin.clone(),
            note: p.p.note.clone(),
            review: p.p.review.clone(),
            review_detail: p.p.review_detail.clone(),
            thumb_url: photo.as_ref().map(|u| format!("{u}?size=thumb")),
            photo_url: photo,
        }
    }
}
