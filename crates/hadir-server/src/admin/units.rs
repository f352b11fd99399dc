//! Units and their check-in locations: the tree with zones, each location's coordinates and
//! geofence radius with an offline sketch to scale (`map::locations_svg`); admins create units
//! and add, change and remove locations through the API's handlers (validation, audit).

use super::map::{Spot, locations_svg};
use super::{CResult, Console, ConsoleError, Nav, html};
use crate::api::units::UnitView;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::org::{LocationInput, UnitInput};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use serde::Deserialize;

pub struct LocationLine {
    pub id: i64,
    pub name: String,
    pub lat: String,
    pub lon: String,
    pub radius: String,
}

#[derive(Template)]
#[template(path = "admin/unit_locations.html")]
pub struct UnitLocations {
    pub code: String,
    /// The locations as JSON for the live map (`console.js`), when tiles are configured.
    pub points: String,
    pub is_admin: bool,
    pub locations: Vec<LocationLine>,
    pub svg: String,
}

impl UnitLocations {
    fn new(code: String, locations: &[crate::api::units::LocationView], is_admin: bool) -> UnitLocations {
        let spots: Vec<Spot> =
            locations.iter().map(|l| Spot { name: &l.name, lat: l.lat, lon: l.lon, radius_m: l.radius_m }).collect();
        let points = serde_json::Value::Array(
            locations
                .iter()
                .map(|l| serde_json::json!({"name": l.name, "lat": l.lat, "lon": l.lon, "radius": l.radius_m}))
                .collect(),
        )
        .to_string();
        UnitLocations {
            points,
            svg: locations_svg(&spots),
            code,
            is_admin,
            locations: locations
                .iter()
                .map(|l| LocationLine {
                    id: l.id,
                    name: l.name.clone(),
                    lat: format!("{:.6}", l.lat),
                    lon: format!("{:.6}", l.lon),
                    radius: format!("{:.0}", l.radius_m),
                })
                .collect(),
        }
    }
}

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub timezone: String,
    pub depth: usize,
    pub locations_html: String,
}

#[derive(Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    nav: Nav,
    units: Vec<UnitLine>,
    /// (code, name) for the parent select.
    parents: Vec<(String, String)>,
    /// Tile URL template for the live map; empty: offline, sketch only.
    tiles: String,
    attribution: String,
}

/// The tile server's origin for the page's CSP (`{s}` subdomains as a wildcard), or `None`
/// when the setting is empty or not a plain http(s) URL (then no live map is offered).
pub fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    let ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'));
    ok.then(|| format!("{scheme}://{host}"))
}

fn zone_label(tz: &str) -> &str {
    match tz {
        "Asia/Jakarta" => "WIB",
        "Asia/Makassar" => "WITA",
        "Asia/Jayapura" => "WIT",
        other => other,
    }
}

/// `GET /admin/units`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let units = super::readable_units(&s, &c).await?;
    let min_depth = units.iter().map(|u| u.path.matches('/').count()).min().unwrap_or(0);
    let parents = units.iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    let mut lines = Vec::with_capacity(units.len());
    for u in units {
        let depth = u.path.matches('/').count() - min_depth;
        let v = UnitView::from(u);
        let block = UnitLocations::new(v.code.clone(), &v.locations, c.is_admin);
        lines.push(UnitLine {
            depth,
            timezone: format!("{} ({})", zone_label(&v.timezone), v.timezone),
            parent: v.parent_code.unwrap_or_default(),
            locations_html: block.render().map_err(|_| ConsoleError(ApiError::internal()))?,
            code: v.code,
            name: v.name,
        });
    }
    let origin = tile_origin(&s.config.map_tile_url);
    let page = UnitsPage {
        nav: Nav::new(&s, &c, "units"),
        units: lines,
        parents,
        tiles: if origin.is_some() { s.config.map_tile_url.trim().to_string() } else { String::new() },
        attribution: s.config.map_attribution.clone(),
    };
    let mut r = html(&page);
    if let Some(o) = origin {
        // The server-wide CSP allows images from 'self' only: this page adds the tile server.
        let csp = crate::CSP.replace("img-src 'self' data: blob:", &format!("img-src 'self' data: blob: {o}"));
        if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
            r.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(r)
}

fn number(v: &str, what: &str) -> Result<Option<f64>, ConsoleError> {
    let v = v.trim().replace(',', ".");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>()
        .map(Some)
        .map_err(|_| ConsoleError(ApiError::unprocessable("invalid_number", format!("{what} harus berupa angka."))))
}

#[derive(Deserialize)]
pub struct LocationForm {
    pub name: String,
    pub lat: String,
    pub lon: String,
    pub radius_m: String,
}

impl LocationForm {
    fn input(&self) -> Result<LocationInput, ConsoleError> {
        let required = |v: Option<f64>, what: &str| {
            v.ok_or_else(|| ConsoleError(ApiError::unprocessable("required", format!("{what} wajib diisi."))))
        };
        Ok(LocationInput {
            name: self.name.clone(),
            lat: required(number(&self.lat, "Lintang")?, "Lintang")?,
            lon: required(number(&self.lon, "Bujur")?, "Bujur")?,
            radius_m: number(&self.radius_m, "Radius")?,
        })
    }
}

fn block(u: &UnitView, is_admin: bool) -> CResult {
    Ok(html(&UnitLocations::new(u.code.clone(), &u.locations, is_admin)))
}

/// `POST /admin/units/{code}/locations`: the API's add; answers the unit's locations block.
pub async fn add_location(
    State(s): State<AppState>,
    Console(c): Console,
    Path(code): Path<String>,
    Form(f): Form<LocationForm>,
) -> CResult {
    let input = f.input()?;
    let is_admin = c.is_admin;
    let (_, axum::Json(u)) = crate::api::units::add_location(State(s), c, Path(code), ApiJson(input)).await?;
    block(&u, is_admin)
}

/// `POST /admin/units/{code}/locations/{id}`: the API's change.
pub async fn update_location(
    State(s): State<AppState>,
    Console(c): Console,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<LocationForm>,
) -> CResult {
    let input = f.input()?;
    let is_admin = c.is_admin;
    let axum::Json(u) = crate::api::units::update_location(State(s), c, Path((code, id)), ApiJson(input)).await?;
    block(&u, is_admin)
}

/// `POST /admin/units/{code}/locations/{id}/delete`: the API's removal.
pub async fn delete_location(
    State(s): State<AppState>,
    Console(c): Console,
    Path((code, id)): Path<(String, i64)>,
) -> CResult {
    let is_admin = c.is_admin;
    let axum::Json(u) = crate::api::units::delete_location(State(s), c, Path((code, id))).await?;
    block(&u, is_admin)
}

#[derive(Deserialize)]
pub struct NewUnitForm {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub timezone: String,
    pub loc_name: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub radius_m: Option<String>,
}

/// `POST /admin/units`: the API's create (a unit under a parent, with its zone and optionally a
/// first location).
pub async fn create_unit(State(s): State<AppState>, Console(c): Console, Form(f): Form<NewUnitForm>) -> CResult {
    let lat = number(f.lat.as_deref().unwrap_or(""), "Lintang")?;
    let lon = number(f.lon.as_deref().unwrap_or(""), "Bujur")?;
    let locations = match (lat, lon) {
        (Some(lat), Some(lon)) => vec![LocationInput {
            name: f
                .loc_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("Kantor {}", f.name.trim())),
            lat,
            lon,
            radius_m: number(f.radius_m.as_deref().unwrap_or(""), "Radius")?,
        }],
        (None, None) => vec![],
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_location",
                "Isi lintang dan bujur lokasi, atau kosongkan keduanya.",
            )
            .into());
        }
    };
    let input = UnitInput {
        code: f.code,
        name: f.name,
        parent_code: f.parent_code.filter(|p| !p.trim().is_empty()),
        timezone: f.timezone,
        locations,
    };
    let (_, axum::Json(u)) = crate::api::units::create_unit(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!(
        "Unit {} ({}) dibuat{}.",
        u.name,
        u.code,
        u.parent_code.map(|p| format!(" di bawah {p}")).unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tile_origins_for_the_csp() {
        use super::tile_origin;
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.id:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.id:8443")
        );
        assert_eq!(tile_origin(""), None);
        assert_eq!(tile_origin("javascript://x"), None);
        assert_eq!(tile_origin("https://evil.example; script-src *"), None);
    }
}
