//! CSV import of units and employees, shared by the API and the CLI. Every line is validated on
//! its own: good lines are imported, bad lines are reported (line number, field, reason) and
//! change nothing.

use crate::auth::password;
use crate::error::ApiError;
use crate::org::{
    EmployeeInput, LocationInput, NO_PASSWORD, UnitInput, check_password, today_jakarta, validate_employee,
    validate_rule_facts, validate_unit,
};
use hadir_store::{Audit, Id, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LineError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub total: u64,
    pub imported: u64,
    /// Lines whose employee is already registered with the same NIP, name, category and unit:
    /// left as they are, so importing the same file again changes nothing (and hashes nothing).
    #[serde(default)]
    pub unchanged: u64,
    pub failed: u64,
    pub errors: Vec<LineError>,
}

impl ImportReport {
    fn fail(&mut self, line: u64, field: &str, code: &str, message: String) {
        self.failed += 1;
        self.errors.push(LineError { line, field: field.into(), code: code.into(), message });
    }
}

fn store_error_line(e: StoreError) -> (String, String, String) {
    let api: ApiError = e.into();
    let field = api.details.as_ref().and_then(|d| d.get("field")).and_then(|f| f.as_str()).unwrap_or("").to_string();
    (field, api.code.to_string(), api.message)
}

fn reader(data: &[u8]) -> csv::Reader<&[u8]> {
    // Tolerate a UTF-8 BOM (Excel writes one) and semicolons (Excel's separator in id-ID locale).
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let delim = if first_line.contains(&b';') && !first_line.contains(&b',') { b';' } else { b',' };
    csv::ReaderBuilder::new().delimiter(delim).flexible(true).trim(csv::Trim::All).from_reader(data)
}

/// Imports employees. `may_manage(unit_path)` says whether the importer may add to a unit;
/// `may_set_tpp` whether a line may carry a TPP base (admins only: an operator's line with one
/// is refused, the rest imports); `progress(lines_done)` is called after each line.
pub async fn import_employees_csv(
    store: &dyn Store,
    data: &[u8],
    actor: (Option<Id>, &str),
    may_manage: impl Fn(&str) -> bool,
    may_set_tpp: bool,
    progress: impl Fn(u64),
) -> Result<ImportReport, ApiError> {
    let mut rdr = reader(data);
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::bad_request("invalid_csv", format!("Baris judul CSV tidak terbaca: {e}")))?
        .clone();
    for required in ["name", "category", "unit_code"] {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(required)) {
            return Err(ApiError::bad_request(
                "missing_column",
                format!("Kolom '{required}' tidak ada pada baris judul CSV."),
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let cols: Vec<Option<usize>> = [
        "nip",
        "login",
        "name",
        "category",
        "unit_code",
        "password",
        "device_pin",
        "start_date",
        "position",
        "tpp_base",
        "service_start",
        "gender",
        "grade",
    ]
    .iter()
    .map(|c| col(c))
    .collect();
    let today = today_jakarta();
    let mut report = ImportReport::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        report.total += 1;
        progress(report.total);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.fail(line, "", "invalid_csv", format!("Baris tidak terbaca: {e}"));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            report.total -= 1;
            continue;
        }
        let get = |k: usize| cols[k].and_then(|c| rec.get(c)).map(str::to_string).filter(|s| !s.is_empty());
        let tpp_base = match get(9).map(|t| t.replace(['.', ' '], "").parse::<i64>()) {
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => {
                report.fail(line, "tpp_base", "invalid_tpp", "Besaran TPP harus berupa angka rupiah.".into());
                continue;
            }
            None => None,
        };
        if tpp_base.is_some() && !may_set_tpp {
            report.fail(
                line,
                "tpp_base",
                "admin_only_field",
                "Hanya admin BKD yang dapat mengisi besaran TPP; kosongkan kolom tpp_base.".into(),
            );
            continue;
        }
        // Issue 19's facts (TMT, gender L/P, kelas jabatan), set on the new record.
        let grade = match get(12).map(|g| g.parse::<i16>()) {
            Some(Ok(g)) => Some(g),
            Some(Err(_)) => {
                report.fail(line, "grade", "invalid_grade", "Kelas jabatan harus 1 sampai 17.".into());
                continue;
            }
            None => None,
        };
        let facts = match validate_rule_facts(get(10).as_deref(), get(11).as_deref(), grade, today) {
            Ok(f) => f,
            Err(fe) => {
                report.fail(line, fe.field, fe.code, fe.message);
                continue;
            }
        };
        if facts.grade.is_some() && !may_set_tpp {
            report.fail(
                line,
                "grade",
                "admin_only_field",
                "Hanya admin BKD yang dapat mengisi kelas jabatan; kosongkan kolom grade.".into(),
            );
            continue;
        }
        let input = EmployeeInput {
            nip: get(0),
            login: get(1),
            name: get(2).unwrap_or_default(),
            category: get(3).unwrap_or_default(),
            unit_code: get(4).unwrap_or_default(),
            password: get(5),
            device_pin: get(6),
            start_date: get(7),
            position: get(8),
            tpp_base,
            service_start: None,
            gender: None,
            grade: None,
        };
        let mut ne = match validate_employee(&input, today) {
            Ok(ne) => ne,
            Err(fe) => {
                report.fail(line, fe.field, fe.code, fe.message);
                continue;
            }
        };
        // Without a start date the employment starts on the import day, never earlier.
        ne.start_date.get_or_insert(today);
        match store.unit_by_code(&ne.unit_code).await {
            Ok(u) if may_manage(&u.path) => {}
            Ok(_) => {
                report.fail(
                    line,
                    "unit_code",
                    "forbidden",
                    format!("Anda tidak berwenang menambah pegawai di unit '{}'.", ne.unit_code),
                );
                continue;
            }
            Err(_) => {
                report.fail(
                    line,
                    "unit_code",
                    "unknown_unit",
                    format!("Unit kerja '{}' tidak ditemukan.", ne.unit_code),
                );
                continue;
            }
        }
        // Already registered: the same person is left unchanged (a second import of a file is a
        // no-op and costs no password hashing); another person under this NIP/login is a conflict.
        match store.employee_by_login(&ne.login).await {
            Ok(existing) => {
                let same = existing.nip == ne.nip
                    && existing.name == ne.name
                    && existing.category == ne.category
                    && existing.unit_code == ne.unit_code;
                if same {
                    report.unchanged += 1;
                } else {
                    let field = if ne.nip.is_some() { "nip" } else { "login" };
                    let (field, code, message) = store_error_line(StoreError::Conflict(field.into()));
                    report.fail(line, &field, &code, message);
                }
                continue;
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => {
                let (field, code, message) = store_error_line(e);
                report.fail(line, &field, &code, message);
                continue;
            }
        }
        ne.password_hash = match input.password {
            Some(p) => {
                if let Err(fe) = check_password(&p) {
                    report.fail(line, fe.field, fe.code, fe.message);
                    continue;
                }
                password::hash(p).await
            }
            None => NO_PASSWORD.to_string(),
        };
        let audit = Audit::new(actor, "import", "employee", &ne.login);
        match store.create_employee(&ne, audit).await {
            Ok(e) => {
                if !facts.is_empty() {
                    let audit = Audit::new(actor, "import", "employee", &ne.login);
                    if let Err(err) = store.update_employee(e.id, &facts.update(), audit).await {
                        let (field, code, message) = store_error_line(err);
                        report.fail(line, &field, &code, message);
                        continue;
                    }
                }
                crate::iclock::punches::match_pin(store, &e).await;
                report.imported += 1
            }
            Err(e) => {
                let (field, code, message) = store_error_line(e);
                report.fail(line, &field, &code, message);
            }
        }
    }
    Ok(report)
}

/// Imports units (header: code,name,parent_code,timezone,location_name,lat,lon,radius_m).
/// Parents must come before their children in the file.
pub async fn import_units_csv(
    store: &dyn Store,
    data: &[u8],
    actor: (Option<Id>, &str),
    progress: impl Fn(u64),
) -> Result<ImportReport, ApiError> {
    let mut rdr = reader(data);
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::bad_request("invalid_csv", format!("Baris judul CSV tidak terbaca: {e}")))?
        .clone();
    for required in ["code", "name", "timezone"] {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(required)) {
            return Err(ApiError::bad_request(
                "missing_column",
                format!("Kolom '{required}' tidak ada pada baris judul CSV."),
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let cols: Vec<Option<usize>> =
        ["code", "name", "parent_code", "timezone", "location_name", "lat", "lon", "radius_m"]
            .iter()
            .map(|c| col(c))
            .collect();
    let mut report = ImportReport::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        report.total += 1;
        progress(report.total);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.fail(line, "", "invalid_csv", format!("Baris tidak terbaca: {e}"));
                continue;
            }
        };
        let get = |k: usize| cols[k].and_then(|c| rec.get(c)).map(str::to_string).filter(|s| !s.is_empty());
        let num = |k: usize| get(k).map(|v| v.replace(',', ".").parse::<f64>());
        let mut locations = vec![];
        match (num(5), num(6)) {
            (Some(Ok(lat)), Some(Ok(lon))) => {
                let radius_m = match num(7) {
                    Some(Ok(r)) => Some(r),
                    Some(Err(_)) => {
                        report.fail(line, "radius_m", "invalid_radius", "Radius harus berupa angka (meter).".into());
                        continue;
                    }
                    None => None,
                };
                locations.push(LocationInput { name: get(4).unwrap_or_else(|| "Kantor".into()), lat, lon, radius_m });
            }
            (None, None) => {}
            _ => {
                report.fail(
                    line,
                    "lat",
                    "invalid_location",
                    "Lintang (lat) dan bujur (lon) harus diisi berupa angka, keduanya.".into(),
                );
                continue;
            }
        }
        let input = UnitInput {
            code: get(0).unwrap_or_default(),
            name: get(1).unwrap_or_default(),
            parent_code: get(2),
            timezone: get(3).unwrap_or_default(),
            locations,
        };
        let nu = match validate_unit(&input) {
            Ok(u) => u,
            Err(fe) => {
                report.fail(line, fe.field, fe.code, fe.message);
                continue;
            }
        };
        let audit = Audit::new(actor, "import", "unit", &nu.code);
        match store.create_unit(&nu, audit).await {
            Ok(_) => report.imported += 1,
            Err(e) => {
                let (field, code, message) = store_error_line(e);
                let field = if code == "conflict" {
                    "code".to_string()
                } else if field.is_empty() {
                    "parent_code".into()
                } else {
                    field
                };
                report.fail(line, &field, &code, message);
            }
        }
    }
    Ok(report)
}
