//! Validation of units and employees as they come in (API and CSV import share it), turning
//! raw input into store records or a field-level error a clerk can act on.

use crate::error::ApiError;
use hadir_domain::{GeoPoint, Nip, NipKind};
use hadir_store::{Category, NewEmployee, NewLocation, NewUnit};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const DEFAULT_RADIUS_M: f64 = 100.0;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct LocationInput {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Geofence radius in metres (default 100).
    pub radius_m: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// IANA zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).
    pub timezone: String,
    #[serde(default)]
    pub locations: Vec<LocationInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct EmployeeInput {
    /// 18-digit NIP (PNS) or NI PPPK; spaces and dots allowed. Empty for honorer.
    pub nip: Option<String>,
    /// Login for honorer (internal number or NIK); defaults to the NIP.
    pub login: Option<String>,
    pub name: String,
    /// PNS, PPPK or HONORER.
    pub category: String,
    pub unit_code: String,
    pub password: Option<String>,
    pub device_pin: Option<String>,
    /// First day attendance is counted (YYYY-MM-DD).
    pub start_date: Option<String>,
    pub position: Option<String>,
    /// Monthly TPP base in rupiah.
    pub tpp_base: Option<i64>,
    /// Issue 19: the TMT service counts from (YYYY-MM-DD), for leave eligibility when the NIP
    /// does not carry it (PPPK, honorer) or carries the wrong one. Overrides the NIP.
    #[serde(default)]
    pub service_start: Option<String>,
    /// `L` (laki-laki) or `P` (perempuan): overrides the NIP's gender digit.
    #[serde(default)]
    pub gender: Option<String>,
    /// Kelas jabatan 1–17 (rule sets may scale deductions by it).
    #[serde(default)]
    pub grade: Option<i16>,
}

/// Issue 19's facts of an employee, validated: each `Some` is a change (`Some(None)` clears).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFacts {
    pub service_start: Option<Option<Date>>,
    pub gender: Option<Option<String>>,
    pub grade: Option<Option<i16>>,
}

impl RuleFacts {
    pub fn is_empty(&self) -> bool {
        self.service_start.is_none() && self.gender.is_none() && self.grade.is_none()
    }

    pub fn update(&self) -> hadir_store::EmployeeUpdate {
        hadir_store::EmployeeUpdate {
            service_start: self.service_start,
            gender: self.gender.clone(),
            grade: self.grade,
            ..Default::default()
        }
    }
}

/// Validates the facts as sent: `None` leaves a fact alone, an empty string (grade: `0`) clears
/// it. Service start: a date from 1950 up to today.
pub fn validate_rule_facts(
    service_start: Option<&str>,
    gender: Option<&str>,
    grade: Option<i16>,
    today: Date,
) -> Result<RuleFacts, FieldError> {
    let service_start = match service_start.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(s) => {
            let d: Date = s.parse().ok().filter(|d: &Date| d.year() >= 1950 && *d <= today).ok_or_else(|| {
                FieldError::new(
                    "service_start",
                    "invalid_date",
                    "TMT (awal masa kerja) harus berformat TTTT-BB-HH, tidak sebelum 1950 dan tidak di masa depan.",
                )
            })?;
            Some(Some(d))
        }
    };
    let gender = match gender.map(|g| g.trim().to_ascii_uppercase()) {
        None => None,
        Some(g) if g.is_empty() => Some(None),
        Some(g) if g == "L" || g == "LAKI-LAKI" => Some(Some("L".to_string())),
        Some(g) if g == "P" || g == "PEREMPUAN" => Some(Some("P".to_string())),
        Some(_) => {
            return Err(FieldError::new(
                "gender",
                "invalid_gender",
                "Jenis kelamin diisi L (laki-laki) atau P (perempuan), atau dikosongkan.",
            ));
        }
    };
    let grade = match grade {
        None => None,
        Some(0) => Some(None),
        Some(g @ 1..=17) => Some(Some(g)),
        Some(_) => {
            return Err(FieldError::new("grade", "invalid_grade", "Kelas jabatan harus 1 sampai 17 (0 mengosongkan)."));
        }
    };
    Ok(RuleFacts { service_start, gender, grade })
}

/// A field-level validation failure.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, code, message: message.into() }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::unprocessable(e.code, e.message).with_details(serde_json::json!({ "field": e.field }))
    }
}

pub fn today_jakarta() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC))
        .date()
}

pub fn zone_ok(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// A check-in location: valid coordinates, a radius of 10 m to 10 km (default 100 m).
pub fn validate_location(l: &LocationInput, field: &'static str) -> Result<NewLocation, FieldError> {
    if !GeoPoint::new(l.lat, l.lon).is_valid() {
        return Err(FieldError::new(field, "invalid_location", format!("Koordinat lokasi '{}' tidak valid.", l.name)));
    }
    let radius_m = l.radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !(radius_m.is_finite() && (10.0..=10_000.0).contains(&radius_m)) {
        return Err(FieldError::new(field, "invalid_radius", "Radius lokasi harus antara 10 dan 10.000 meter."));
    }
    Ok(NewLocation { name: l.name.trim().to_string(), lat: l.lat, lon: l.lon, radius_m })
}

pub fn validate_unit(u: &UnitInput) -> Result<NewUnit, FieldError> {
    let code = u.code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(FieldError::new(
            "code",
            "invalid_code",
            "Kode unit wajib diisi: huruf, angka, '-', '_' atau '.', paling banyak 32 karakter.",
        ));
    }
    if u.name.trim().is_empty() {
        return Err(FieldError::new("name", "required", "Nama unit wajib diisi."));
    }
    if !zone_ok(&u.timezone) {
        return Err(FieldError::new(
            "timezone",
            "invalid_timezone",
            format!(
                "Zona waktu '{}' tidak dikenal. Gunakan Asia/Jakarta (WIB), Asia/Makassar (WITA) atau Asia/Jayapura (WIT).",
                u.timezone
            ),
        ));
    }
    let locations = u.locations.iter().map(|l| validate_location(l, "locations")).collect::<Result<Vec<_>, _>>()?;
    Ok(NewUnit {
        code: code.to_string(),
        name: u.name.trim().to_string(),
        parent_code: u.parent_code.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        timezone: u.timezone.clone(),
        locations,
    })
}

/// Validates everything except the password hash, which the caller computes (it is slow).
pub fn validate_employee(e: &EmployeeInput, today: Date) -> Result<NewEmployee, FieldError> {
    let category = Category::parse(&e.category)
        .ok_or_else(|| FieldError::new("category", "invalid_category", "Kategori harus PNS, PPPK atau HONORER."))?;
    let name = e.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(FieldError::new("name", "required", "Nama pegawai wajib diisi (paling banyak 200 karakter)."));
    }
    let nip_raw = e.nip.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let nip = match (category, nip_raw) {
        (Category::Honorer, None) => None,
        (_, Some(raw)) => {
            let nip = Nip::parse(raw, today).map_err(|err| FieldError::new("nip", err.code(), err.to_string()))?;
            match (category, nip.kind()) {
                (Category::Pns, NipKind::Pppk) => {
                    return Err(FieldError::new(
                        "nip",
                        "nip_category",
                        "Nomor ini adalah NI PPPK, tetapi kategori pegawai PNS.",
                    ));
                }
                (Category::Pppk, NipKind::Pns) => {
                    return Err(FieldError::new(
                        "nip",
                        "nip_category",
                        "Nomor ini adalah NIP PNS, tetapi kategori pegawai PPPK.",
                    ));
                }
                _ => {}
            }
            Some(nip.as_str().to_string())
        }
        (_, None) => return Err(FieldError::new("nip", "nip_required", "NIP wajib diisi untuk PNS dan PPPK.")),
    };
    let login = match (&nip, e.login.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
        (Some(n), _) => n.clone(),
        (None, Some(l)) if l.len() <= 32 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => l.to_string(),
        (None, Some(_)) => {
            return Err(FieldError::new(
                "login",
                "invalid_login",
                "Nomor login hanya boleh huruf, angka dan '-', paling banyak 32 karakter.",
            ));
        }
        (None, None) => {
            return Err(FieldError::new(
                "login",
                "login_required",
                "Pegawai honorer memerlukan nomor login (nomor internal atau NIK).",
            ));
        }
    };
    let device_pin = match e.device_pin.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) if p.len() <= 9 && p.chars().all(|c| c.is_ascii_digit()) => Some(p.to_string()),
        Some(_) => {
            return Err(FieldError::new(
                "device_pin",
                "invalid_device_pin",
                "PIN mesin absen harus berupa angka, paling banyak 9 digit.",
            ));
        }
        None => None,
    };
    let start_date = match e.start_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(hadir_domain::years::parse_date(s).map_err(|_| {
            FieldError::new(
                "start_date",
                "invalid_date",
                "Tanggal mulai harus berformat TTTT-BB-HH (tahun 2000–2100), misalnya 2026-01-02.",
            )
        })?),
        None => None,
    };
    if let Some(t) = e.tpp_base
        && !(0..=1_000_000_000).contains(&t)
    {
        return Err(FieldError::new("tpp_base", "invalid_tpp", "Besaran TPP tidak wajar."));
    }
    Ok(NewEmployee {
        nip,
        login,
        name: name.to_string(),
        category,
        unit_code: e.unit_code.trim().to_string(),
        position: e.position.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from),
        tpp_base: e.tpp_base,
        device_pin,
        start_date,
        password_hash: String::new(),
    })
}

/// A password hash that matches no password: the account exists but cannot log in until a
/// password is set.
pub const NO_PASSWORD: &str = "!";

pub fn check_password(p: &str) -> Result<(), FieldError> {
    if p.chars().count() < crate::auth::password::MIN_LEN || p.len() > 128 {
        return Err(FieldError::new("password", "weak_password", "Kata sandi minimal 6 karakter (paling banyak 128)."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(nip: Option<&str>, cat: &str) -> EmployeeInput {
        EmployeeInput {
            nip: nip.map(String::from),
            login: None,
            name: "Siti".into(),
            category: cat.into(),
            unit_code: "U".into(),
            password: None,
            device_pin: Some("0042".into()),
            start_date: None,
            position: None,
            tpp_base: None,
            service_start: None,
            gender: None,
            grade: None,
        }
    }

    #[test]
    fn category_must_match_number_kind() {
        let t = jiff::civil::date(2026, 11, 24);
        assert!(validate_employee(&input(Some("198609262015051001"), "PNS"), t).is_ok());
        assert_eq!(validate_employee(&input(Some("198609262015051001"), "PPPK"), t).unwrap_err().code, "nip_category");
        assert_eq!(validate_employee(&input(Some("199001012021211001"), "PNS"), t).unwrap_err().code, "nip_category");
        assert_eq!(validate_employee(&input(None, "PNS"), t).unwrap_err().code, "nip_required");
        assert_eq!(validate_employee(&input(None, "HONORER"), t).unwrap_err().code, "login_required");
        let ok = validate_employee(&input(Some("19860926 201505 1 001"), "pns"), t).unwrap();
        assert_eq!(ok.login, "198609262015051001");
        assert_eq!(ok.device_pin.as_deref(), Some("0042"), "kept exactly as enrolled on the terminal");
    }
}
