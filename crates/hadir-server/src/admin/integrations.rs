//! "Integrasi" (admin; issue 25): the outgoing webhook endpoints (a WhatsApp/SMS gateway, the
//! TPP system), a form to add one (its secret is shown once, in the answer), and the delivery
//! log with each attempt's outcome. Every action is the API's handler.

use super::{CResult, Console, Nav, html};
use crate::api::webhooks::{DeliveryView, WebhookInput, WebhookView, create_webhook, list_deliveries, list_webhooks};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use serde::Deserialize;

pub struct Delivery {
    pub d: DeliveryView,
    pub state_label: &'static str,
}

#[derive(Template)]
#[template(path = "admin/integrations.html")]
struct IntegrationsPage {
    nav: Nav,
    endpoints: Vec<WebhookView>,
    deliveries: Vec<Delivery>,
}

#[derive(Template)]
#[template(path = "admin/integration_created.html")]
struct Created {
    name: String,
    secret: String,
}

/// `GET /admin/integrasi`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let axum::Json(e) = list_webhooks(State(s.clone()), c.clone()).await?;
    let axum::Json(d) = list_deliveries(State(s.clone()), c.clone()).await?;
    let deliveries = d
        .items
        .into_iter()
        .map(|d| Delivery {
            state_label: match d.state.as_str() {
                "delivered" => "Terkirim",
                "failed" => "Gagal (berhenti dicoba)",
                _ => "Menunggu / dicoba lagi",
            },
            d,
        })
        .collect();
    Ok(html(&IntegrationsPage { nav: Nav::new(&s, &c, "integrations"), endpoints: e.items, deliveries }))
}

#[derive(Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    /// Comma- or space-separated kinds; empty: every kind.
    #[serde(default)]
    pub events: String,
}

/// `POST /admin/integrasi`: adds an endpoint and shows its secret once.
pub async fn create(State(s): State<AppState>, Console(c): Console, Form(f): Form<EndpointForm>) -> CResult {
    let events = f.events.split([',', ' ']).filter(|e| !e.trim().is_empty()).map(|e| e.trim().to_string()).collect();
    let input = WebhookInput { name: f.name, url: f.url, events };
    let (_, axum::Json(r)) = create_webhook(State(s), c, ApiJson(input)).await?;
    Ok(html(&Created { name: r.endpoint.name, secret: r.secret }))
}
