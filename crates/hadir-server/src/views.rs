//! JSON views shared by several endpoints. Times are RFC 3339 with the unit's offset.

use hadir_domain::zone::rfc3339_local;
use hadir_store::{Punch, PunchHold};
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
    /// `counted`, `pending` (waits for a person's decision), `rejected`, or `quarantined`
    /// (an unapproved terminal's).
    pub state: String,
    /// The state as the employee reads it: "dihitung", "menunggu pemeriksaan atasan", "ditolak".
    pub state_label: String,
    /// Set when the channel policy in force for the person that day does not count this
    /// punch's channel (issue 25): why, in Indonesian. The punch stays stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_not_counted: Option<String>,
    /// Who accepted or rejected it, when, and their note.
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// The photo was deleted at the end of its retention period (`photo_url` is then absent;
    /// the photo's address answers 410).
    pub photo_purged: bool,
    /// The position was withdrawn at the end of its retention period (`lat`, `lon`,
    /// `accuracy_m` and `distance_m` are then absent).
    pub position_purged: bool,
}

/// A punch's state, machine-readable and in Indonesian.
pub fn punch_state(p: &Punch) -> (&'static str, &'static str) {
    if p.p.quarantined {
        return ("quarantined", "menunggu persetujuan mesin");
    }
    match p.p.hold {
        None | Some(PunchHold::Accepted) => ("counted", "dihitung"),
        Some(PunchHold::Pending) => ("pending", "menunggu pemeriksaan atasan"),
        Some(PunchHold::Rejected) => ("rejected", "ditolak"),
    }
}

impl PunchView {
    pub fn new(p: &Punch, tz: &TimeZone) -> PunchView {
        let photo =
            p.p.photo_hash
                .as_ref()
                .filter(|_| p.photo_purged_at.is_none())
                .map(|_| format!("/api/v1/punches/{}/photo", p.id));
        // Purged positions are never served (the columns stay only because the chain hashes them).
        let position = |v: Option<f64>| v.filter(|_| p.position_purged_at.is_none());
        PunchView {
            id: p.id,
            source: p.p.source.as_str().into(),
            punched_at: rfc3339_local(tz, p.p.punched_at),
            received_at: rfc3339_local(tz, p.p.received_at),
            captured_at: p.p.captured_at.map(|t| rfc3339_local(tz, t)),
            lat: position(p.p.lat),
            lon: position(p.p.lon),
            accuracy_m: position(p.p.accuracy_m),
            distance_m: position(p.p.distance_m),
            location: p.p.location_name.clone(),
            device_sn: p.p.device_sn.clone(),
            device_pin: p.p.device_pin.clone(),
            note: p.p.note.clone(),
            review: p.p.review.clone(),
            review_detail: p.p.review_detail.clone(),
            thumb_url: photo.as_ref().map(|u| format!("{u}?size=thumb")),
            photo_url: photo,
            state: punch_state(p).0.into(),
            state_label: punch_state(p).1.into(),
            channel_not_counted: None,
            decided_by: p.decision.as_ref().map(|d| d.by.clone()),
            decided_at: p.decision.as_ref().map(|d| rfc3339_local(tz, d.at)),
            decision_note: p.decision.as_ref().and_then(|d| d.note.clone()),
            photo_purged: p.photo_purged_at.is_some(),
            position_purged: p.position_purged_at.is_some(),
        }
    }
}
