//! Office QR kiosks in the console (issue 21): list, register (the token shown once), revoke;
//! and an employee's personal QR card as a printable page. Each action calls the API handler.

use super::{CResult, Console, Nav, html};
use crate::api::cards::{QrCardView, employee_card};
use crate::api::kiosks::{KioskInput, KioskView, create_kiosk, list_kiosks, revoke_kiosk};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/kiosks.html")]
struct KiosksPage {
    nav: Nav,
    items: Vec<KioskView>,
}

/// `GET /admin/kiosk`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let axum::Json(list) = list_kiosks(State(s.clone()), c.clone()).await?;
    Ok(html(&KiosksPage { nav: Nav::new(&s, &c, "terminals"), items: list.items }))
}

#[derive(Deserialize)]
pub struct KioskForm {
    pub name: String,
    pub unit_code: String,
}

#[derive(Template)]
#[template(path = "admin/kiosk_created.html")]
struct Created {
    name: String,
    unit_name: String,
    token: String,
}

/// `POST /admin/kiosk`: the token is shown here once.
pub async fn create(State(s): State<AppState>, Console(c): Console, Form(f): Form<KioskForm>) -> CResult {
    let input = KioskInput { name: f.name, unit_code: f.unit_code };
    let (_, axum::Json(k)) = create_kiosk(State(s), c, ApiJson(input)).await?;
    Ok(html(&Created { name: k.kiosk.name, unit_name: k.kiosk.unit_name, token: k.token }))
}

/// `POST /admin/kiosk/{id}/revoke`.
pub async fn revoke(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let axum::Json(k) = revoke_kiosk(State(s), c, Path(id)).await?;
    Ok(super::notice(format!("Kiosk {} dinonaktifkan; kode QR-nya tidak diterima lagi.", k.name)))
}

#[derive(Template)]
#[template(path = "admin/qr_card.html")]
struct CardPage {
    card: QrCardView,
}

/// `GET /admin/employees/{login}/kartu-qr`: the employee's personal QR card, to print.
pub async fn card(State(s): State<AppState>, Console(c): Console, Path(login): Path<String>) -> CResult {
    let axum::Json(card) = employee_card(State(s), c, Path(login)).await?;
    Ok(html(&CardPage { card }))
}
