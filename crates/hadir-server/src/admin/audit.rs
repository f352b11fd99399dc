//! The audit trail (admin) in words a clerk reads: who (the account's name), what (an
//! Indonesian phrase for the action), on whom (employee name and NIP), what changed (field
//! names translated, before → after), when (in the regency's zone, labelled). Filters by
//! person, unit, action and date range go to the API's own list (`api::audit::list_audit`).

use super::{CResult, Console, Nav, html};
use crate::api::audit::AuditQuery;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// One line of the trail as shown.
pub struct Line {
    pub at: String,
    pub who: String,
    pub what: String,
    pub whom: String,
    pub changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    f: PageQuery,
    actions: Vec<(String, &'static str)>,
    units: Vec<(String, String)>,
    lines: Vec<Line>,
    total: u64,
    next: Option<String>,
    prev: Option<String>,
}

impl AuditPage {
    fn sel(&self, field: &str, value: &str) -> &'static str {
        let cur = if field == "unit" { self.f.unit.as_deref() } else { self.f.what.as_deref() };
        if cur == Some(value) { "selected" } else { "" }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PageQuery {
    /// Who acted or who was acted on: part of a name, a NIP or a login.
    pub person: Option<String>,
    pub unit: Option<String>,
    /// `entity:action`, e.g. `employee:update`.
    pub what: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: Option<u32>,
}

const PAGE: u32 = 100;

/// `(entity, action)` → what was done, in Indonesian.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("employee", "create", "menambah pegawai"),
    ("employee", "import", "menambah pegawai lewat impor"),
    ("employee", "update", "mengubah data pegawai"),
    ("employee", "deactivate", "menonaktifkan pegawai"),
    ("employee", "reset_password", "mengatur ulang kata sandi pegawai"),
    ("employee", "assign_location", "memberi lokasi absen tambahan"),
    ("employee", "remove_location", "mencabut lokasi absen tambahan"),
    ("employee", "accept_device", "menerima perangkat (HP) baru pegawai"),
    ("employee", "reject_device", "menolak perangkat (HP) baru pegawai"),
    ("employee", "enrol_reference_face", "menetapkan foto acuan wajah pegawai"),
    ("employee", "remove_reference_face", "menghapus foto acuan wajah pegawai"),
    ("employee", "purge_reference_face", "menghapus foto acuan wajah pegawai yang masa kerjanya berakhir (otomatis)"),
    ("account", "grant_role", "memberi peran"),
    ("account", "revoke_role", "mencabut peran"),
    ("account", "change_password", "mengganti kata sandinya sendiri"),
    ("admin", "create", "membuat akun admin"),
    ("unit", "create", "membuat unit kerja"),
    ("unit", "import", "membuat unit kerja lewat impor"),
    ("unit", "add_location", "menambah lokasi absen unit"),
    ("unit", "update_location", "mengubah lokasi absen unit"),
    ("unit", "delete_location", "menghapus lokasi absen unit"),
    ("device", "propose", "mesin absen baru meminta didaftarkan"),
    ("device", "register", "mendaftarkan mesin absen"),
    ("device", "approve", "menyetujui mesin absen"),
    ("device", "bind", "mengikat mesin absen ke alamat jaringan"),
    ("device", "unbind", "melepas ikatan alamat jaringan mesin absen"),
    ("device", "discard", "membuang mesin absen"),
    ("device", "sync_employees", "mengirim data pegawai ke mesin absen"),
    ("device", "sync_on_approve", "meminta penerus data kantor mengisi mesin absen yang baru disetujui"),
    ("device", "terminal_records_refused", "data dari mesin absen ditolak"),
    ("relay", "sync_templates", "meminta penerus data kantor menulis templat sidik jari ke mesin absennya"),
    ("request", "create", "mengajukan permohonan"),
    ("request", "submit", "mengajukan permohonan"),
    ("request", "attach", "melampirkan bukti permohonan"),
    ("request", "approve", "menyetujui permohonan"),
    ("request", "reject", "menolak permohonan"),
    ("request", "cancel", "membatalkan permohonan"),
    ("punch_hold", "accept", "menerima absen yang diperiksa"),
    ("punch_hold", "reject", "menolak absen yang diperiksa"),
    ("recap", "recap.lock", "mengunci rekap bulanan"),
    ("recap", "recap.reopen", "membuka kembali rekap bulanan"),
    ("recap", "recap.deadline", "mengatur batas waktu rekap"),
    ("calendar", "create", "membuat kalender kerja"),
    ("calendar", "update", "mengubah kalender kerja"),
    ("calendar", "assign", "memasang kalender kerja ke unit"),
    ("calendar", "unassign", "melepas kalender kerja dari unit"),
    ("holiday", "create", "menambah hari libur"),
    ("holiday", "delete", "menghapus hari libur"),
    ("rule_set", "create", "menambah aturan potongan baru"),
    ("roster", "put", "menyimpan jadwal shift"),
    ("relay", "create", "membuat penerus data mesin"),
    ("relay", "revoke", "mencabut penerus data mesin"),
    ("policies", "seed", "memasang aturan awal"),
];

/// The phrase for an action; unknown ones (added later) still read as words.
pub fn action_phrase(entity: &str, action: &str) -> String {
    if let Some((_, _, p)) = ACTIONS.iter().find(|(e, a, _)| *e == entity && *a == action) {
        return (*p).to_string();
    }
    if let Some(cmd) = action.strip_prefix("command_") {
        return format!("mengirim perintah ke mesin absen ({})", cmd.replace('_', " "));
    }
    format!("perubahan lain pada {}", entity_word(entity))
}

fn entity_word(entity: &str) -> &'static str {
    match entity {
        "employee" => "pegawai",
        "account" => "akun",
        "unit" => "unit kerja",
        "device" => "mesin absen",
        "request" => "permohonan",
        "punch_hold" => "absen",
        "recap" => "rekap",
        "calendar" => "kalender kerja",
        "holiday" => "hari libur",
        "rule_set" => "aturan potongan",
        "roster" => "jadwal shift",
        "relay" => "penerus data",
        _ => "data",
    }
}

/// A field's name in Indonesian; `None` for fields not worth showing (ids, duplicates).
fn field_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "name" => "Nama",
        "nip" => "NIP",
        "login" | "username" => "Nama pengguna",
        "category" => "Kategori",
        "unit_name" => "Unit",
        "position" => "Jabatan",
        "tpp_base" => "TPP dasar",
        "device_pin" => "PIN mesin",
        "active" => "Status",
        "start_date" => "TMT",
        "end_date" => "Akhir masa kerja",
        "timezone" => "Zona waktu",
        "lat" => "Lintang",
        "lon" => "Bujur",
        "radius_m" => "Radius",
        "reason" => "Alasan",
        "comment" | "note" => "Catatan",
        "state" => "Status",
        "month" => "Bulan",
        "deadline" => "Batas waktu",
        "role" => "Peran",
        "unit_code" => "Kode unit",
        "code" => "Kode",
        "date" => "Tanggal",
        "kind" | "type" => "Jenis",
        "sn" => "Nomor seri mesin",
        "cidr" => "Alamat jaringan",
        "location" => "Lokasi",
        "device" => "Perangkat",
        "id" | "account_id" | "unit_id" | "employee_id" | "password_hash" | "path" | "parent_id" => return None,
        _ => return None,
    })
}

fn value_text(key: &str, v: &Value) -> String {
    match (key, v) {
        (_, Value::Null) => "(kosong)".into(),
        ("active", Value::Bool(b)) => if *b { "aktif" } else { "nonaktif" }.into(),
        (_, Value::Bool(b)) => if *b { "ya" } else { "tidak" }.into(),
        ("tpp_base", Value::Number(n)) => n.as_i64().map(super::rupiah).unwrap_or_else(|| n.to_string()),
        ("radius_m", Value::Number(n)) => format!("{n} m"),
        ("state", Value::String(s)) => match s.as_str() {
            "pending" => "menunggu persetujuan".into(),
            "active" => "aktif".into(),
            "silent" => "tidak terhubung".into(),
            "revoked" => "dicabut".into(),
            "discarded" => "dibuang".into(),
            "accepted" => "diterima".into(),
            s => super::inbox::state_label(s).replace('?', s),
        },
        ("timezone", Value::String(z)) => match hadir_domain::unit_zone(z) {
            Ok(tz) => hadir_domain::zone::zone_abbreviation(&tz, jiff::Timestamp::now()),
            Err(_) => z.clone(),
        },
        ("kind" | "type", Value::String(s)) => match hadir_domain::HolidayKind::from_code(s) {
            Some(k) => k.label().to_string(),
            None => super::inbox::kind_label(s),
        },
        (_, Value::Array(items)) if items.len() != 1 => format!("{} butir", items.len()),
        (_, Value::Array(items)) => value_text(key, &items[0]),
        (_, Value::Object(o)) => o
            .iter()
            .filter_map(|(k, v)| field_label(k).map(|l| format!("{l} {}", value_text(k, v))))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::String(s)) if s.is_empty() => "(kosong)".into(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
    }
}

/// A one-element array read as its element.
fn single(v: Option<&Value>) -> Option<&Value> {
    match v {
        Some(Value::Array(items)) if items.len() == 1 => items.first(),
        v => v,
    }
}

/// "Field: before → after" for every shown field that differs (or every field of a record
/// that only has an "after").
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (before, after) = (single(before), single(after));
    match (before, after) {
        (None, None) => Vec::new(),
        (b, a) if b.is_none_or(Value::is_object) && a.is_none_or(Value::is_object) => {
            let b = b.and_then(Value::as_object).unwrap_or(&empty);
            let a = a.and_then(Value::as_object).unwrap_or(&empty);
            let keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for k in keys {
                if !seen.insert(k) {
                    continue;
                }
                let (bv, av) = (b.get(k), a.get(k));
                if bv == av {
                    continue;
                }
                let Some(label) = field_label(k) else { continue };
                out.push(match (bv, av) {
                    (Some(bv), Some(av)) => format!("{label}: {} → {}", value_text(k, bv), value_text(k, av)),
                    (None, Some(av)) => format!("{label}: {}", value_text(k, av)),
                    (Some(bv), None) => format!("{label}: {} → (dihapus)", value_text(k, bv)),
                    (None, None) => continue,
                });
            }
            out
        }
        (b, a) => {
            let t = |v: Option<&Value>| v.map(|v| value_text("", v)).unwrap_or_else(|| "(kosong)".into());
            vec![format!("{} → {}", t(b), t(a))]
        }
    }
}

/// `GET /admin/audit`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(f): Query<PageQuery>) -> CResult {
    let offset = f.offset.unwrap_or(0);
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (entity, action) = match text(&f.what).as_deref().and_then(|w| w.split_once(':')) {
        Some((e, a)) => (Some(e.to_string()), Some(a.to_string())),
        None => (None, None),
    };
    let aq = AuditQuery {
        entity,
        action,
        person: text(&f.person),
        unit: text(&f.unit),
        from: text(&f.from),
        to: text(&f.to),
        offset: Some(offset),
        limit: Some(PAGE),
    };
    let axum::Json(page) = crate::api::audit::list_audit(State(s.clone()), c.clone(), Query(aq)).await?;
    let tz = s.config.regency_zone();
    let mut actors: HashMap<i64, String> = HashMap::new();
    let mut people: HashMap<String, Option<String>> = HashMap::new();
    let mut lines = Vec::new();
    for a in page.items {
        let who = match a.actor_account_id {
            Some(id) => match actors.get(&id) {
                Some(n) => n.clone(),
                None => {
                    let n = s.store.account_by_id(id).await.map(|acc| acc.name).unwrap_or_else(|_| a.actor.clone());
                    actors.insert(id, n.clone());
                    n
                }
            },
            None if a.actor == "system" => "Sistem".into(),
            None if a.actor == "cli" => "Baris perintah server".into(),
            None => a.actor.clone(),
        };
        let whom = match a.entity.as_str() {
            "employee" | "account" => {
                if !people.contains_key(&a.entity_id) {
                    let e = s.store.employee_by_login(&a.entity_id).await.ok().map(|e| match e.nip {
                        Some(nip) => format!("{} (NIP {nip})", e.name),
                        None => format!("{} ({})", e.name, e.login),
                    });
                    people.insert(a.entity_id.clone(), e);
                }
                people.get(&a.entity_id).cloned().flatten().unwrap_or_else(|| a.entity_id.clone())
            }
            "request" if a.entity_id != "-" => format!("permohonan nomor {}", a.entity_id),
            "punch_hold" => format!("absen nomor {}", a.entity_id),
            "unit" => format!("unit {}", a.entity_id),
            "device" => format!("mesin {}", a.entity_id),
            "recap" => format!("rekap {}", a.entity_id),
            "holiday" => format!("hari libur {}", a.entity_id),
            "calendar" => format!("kalender {}", a.entity_id),
            "rule_set" => format!("aturan {}", a.entity_id),
            "-" => String::new(),
            _ if a.entity_id == "-" => String::new(),
            _ => a.entity_id.clone(),
        };
        lines.push(Line {
            at: super::zoned_text(&tz, &a.at),
            who,
            what: action_phrase(&a.entity, &a.action),
            whom,
            changes: changes(a.before.as_ref(), a.after.as_ref()),
        });
    }
    let link = |o: u32| {
        let q = |v: &Option<String>| v.as_deref().map(percent).unwrap_or_default();
        format!(
            "?person={}&unit={}&what={}&from={}&to={}&offset={o}",
            q(&f.person),
            q(&f.unit),
            q(&f.what),
            q(&f.from),
            q(&f.to)
        )
    };
    let units = super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    Ok(html(&AuditPage {
        nav: Nav::new(&s, &c, "audit"),
        actions: ACTIONS.iter().map(|(e, a, p)| (format!("{e}:{a}"), *p)).collect(),
        units,
        lines,
        next: (u64::from(offset + PAGE) < page.total).then(|| link(offset + PAGE)),
        prev: (offset > 0).then(|| link(offset.saturating_sub(PAGE))),
        total: page.total,
        f,
    }))
}

/// Percent-encodes a query value.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pin_change_reads_as_words() {
        let b = json!({"id": 3, "name": "Agus", "device_pin": "1234", "tpp_base": 4250000, "active": true});
        let a = json!({"id": 3, "name": "Agus", "device_pin": "5678", "tpp_base": 4300000, "active": false});
        assert_eq!(
            changes(Some(&b), Some(&a)),
            vec!["Status: aktif → nonaktif", "PIN mesin: 1234 → 5678", "TPP dasar: Rp 4.250.000 → Rp 4.300.000"]
        );
        assert_eq!(action_phrase("employee", "update"), "mengubah data pegawai");
        assert_eq!(action_phrase("thing", "frobnicate"), "perubahan lain pada data");
    }
}
