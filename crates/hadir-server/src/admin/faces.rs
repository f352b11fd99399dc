//! Reference faces in the console (issue 23): the section "Wajah acuan" of an employee's page
//! (status, upload, removal) and "Jadikan wajah acuan" on a selfie in the review inbox. Every
//! change goes through `api::faces` (`enrollable`, `enrol`, `remove`): the same scope,
//! own-face refusal, face checks and audit records as the API.

use super::{CResult, Console, ConsoleError, html};
use crate::api::faces::{FacePhoto, enrol, enrollable, punch_not_usable, remove, uploaded_photo};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use hadir_store::{Employee, Id, StoreError};
use serde::Deserialize;

/// What the section shows: the status sentence, and whether the caller may change it.
pub struct FaceSection {
    pub login: String,
    pub status: String,
    pub has_reference: bool,
    /// The caller may enrol or remove (head/operator of the subtree, admin; never oneself).
    pub can_enrol: bool,
    /// The page is the caller's own.
    pub own: bool,
    /// A line after a change ("Wajah acuan disimpan.").
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/face_section.html")]
struct SectionFragment {
    face: FaceSection,
}

/// Who enrolled, as people read it: "Nama (NIP)" for an employee account, else the username.
async fn who(s: &AppState, username: &str) -> String {
    match s.store.employee_by_login(username).await {
        Ok(e) => format!("{} ({})", e.name, e.login),
        Err(_) => username.to_string(),
    }
}

/// The section of `e`'s page for `c`.
pub async fn section(s: &AppState, c: &Caller, e: &Employee) -> Result<FaceSection, ConsoleError> {
    let own = c.employee_id == Some(e.id);
    let unit = s.store.unit_by_id(e.unit_id).await?;
    let can_enrol = !own && c.can_decide_for_unit(&unit.path);
    let r = s.store.reference_face(e.id).await?;
    let status = match &r {
        None => "Belum ada wajah acuan.".to_string(),
        Some(r) => {
            let tz = hadir_domain::unit_zone(&unit.timezone).unwrap_or_else(|_| s.config.regency_zone());
            let from = match r.punch_id {
                Some(id) if r.source == "punch" => format!("dari absen #{id}"),
                _ => "dari foto unggahan".to_string(),
            };
            format!(
                "Terdaftar {from} oleh {} pada {}.",
                who(s, &r.enrolled_by).await,
                super::zoned_time(&tz, r.enrolled_at)
            )
        }
    };
    Ok(FaceSection { login: e.login.clone(), status, has_reference: r.is_some(), can_enrol, own, done: None })
}

async fn fragment(s: &AppState, c: &Caller, e: &Employee, done: String) -> CResult {
    let mut face = section(s, c, e).await?;
    face.done = Some(done);
    Ok(html(&SectionFragment { face }))
}

/// `POST /admin/employees/{login}/wajah-acuan` (multipart, part `photo`): enrols the uploaded
/// photo; answers the section again.
pub async fn upload(
    State(s): State<AppState>,
    Console(c): Console,
    Path(login): Path<String>,
    req: Request,
) -> CResult {
    let e = enrollable(&s, &c, &login).await?;
    let mp = Multipart::from_request(req, &s).await.map_err(|_| {
        ApiError::bad_request("invalid_multipart", "Formulir tidak terbaca; pilih fotonya lalu kirim lagi.")
    })?;
    let photo = uploaded_photo(&s, mp).await.map_err(|err| match err.code {
        "photo_missing" => ApiError::unprocessable("photo_missing", "Pilih foto wajah pegawai terlebih dahulu."),
        _ => err,
    })?;
    enrol(&s, &c, &e, FacePhoto::Upload(photo)).await?;
    fragment(&s, &c, &e.0, "Wajah acuan disimpan.".into()).await
}

/// `POST /admin/employees/{login}/wajah-acuan/hapus`.
pub async fn delete(State(s): State<AppState>, Console(c): Console, Path(login): Path<String>) -> CResult {
    let e = enrollable(&s, &c, &login).await?;
    remove(&s, &c, &e).await?;
    fragment(&s, &c, &e.0, "Wajah acuan dihapus.".into()).await
}

#[derive(Deserialize)]
pub struct FromPunchForm {
    pub punch_id: Id,
}

/// `POST /admin/review/wajah-acuan`: a punch's selfie becomes its employee's reference face.
pub async fn from_punch(State(s): State<AppState>, Console(c): Console, Form(f): Form<FromPunchForm>) -> CResult {
    let p = match s.store.punch_by_id(f.punch_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => return Err(punch_not_usable().into()),
        Err(err) => return Err(err.into()),
    };
    let Some(emp) = p.p.employee_id else { return Err(punch_not_usable().into()) };
    let login = s.store.employee_by_id(emp).await?.login;
    let e = enrollable(&s, &c, &login).await?;
    enrol(&s, &c, &e, FacePhoto::Punch(f.punch_id)).await?;
    Ok(super::notice(format!(
        "Swafoto absen #{} menjadi wajah acuan {} ({}); swafoto berikutnya dibandingkan dengannya.",
        f.punch_id, e.0.name, e.0.login
    )))
}
