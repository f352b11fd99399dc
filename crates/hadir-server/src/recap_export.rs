//! Recap exports: CSV and XLSX (what a clerk would make by hand, done right).
//!
//! CSV: UTF-8 with a BOM, `;` as separator and `,` as decimal comma (percent `4,5`) — what
//! Excel in the id-ID locale opens into columns without an import dialog (a `,`-separated file
//! opens in one column there, and `1.5` would read as fifteen). Rupiah are whole numbers without
//! thousands separators. One header row, one row per employee; machines should use the JSON.
//!
//! XLSX: a summary sheet ("Ringkasan"), one sheet per unit and a day-by-day detail sheet
//! ("Rincian Harian"). Each sheet has a header (regency, unit, month, state in the recap page's words), a
//! frozen header row, column widths and number formats (percent `0.00%`, rupiah `Rp #,##0`);
//! unit sheets end with a totals row (SUM formulas with their values), the attendance rate and a
//! signature block for the head of unit and the head of BKPSDM (name and NIP lines).

use crate::recap::{
    LEAVE_COLUMNS, MARK_LEGEND, MonthRecap, RecapRow, RecapTotals, fraction, month_bounds, month_label,
};
use hadir_domain::recap::STANDARD_CODES;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError};
use std::collections::HashSet;

pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
pub const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Header row of the unit sheets and the CSV (after NIP/name/unit columns).
fn leave_header(s: hadir_domain::DayStatus) -> &'static str {
    use hadir_domain::DayStatus::*;
    match s {
        Izin => "Izin",
        Sakit => "Sakit",
        CutiTahunan => "Cuti Tahunan",
        CutiSakit => "Cuti Sakit",
        CutiBesar => "Cuti Besar",
        CutiMelahirkan => "Cuti Melahirkan",
        CutiAlasanPenting => "Cuti Alasan Penting",
        Cltn => "CLTN",
        _ => "",
    }
}

fn dec(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

fn hours(minutes: u64) -> f64 {
    minutes as f64 / 60.0
}

/// The CSV export (see the module doc for the dialect).
/// A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR at the
/// start) gets a leading apostrophe, so a name like `=HYPERLINK(…)` stays text (CSV injection).
pub fn neutral(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

pub fn to_csv(r: &MonthRecap) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        let mut header: Vec<String> = [
            "bulan",
            "status",
            "kode_unit",
            "unit",
            "nip",
            "login",
            "nama",
            "kategori",
            "jabatan",
            "hari_kerja",
            "hadir",
            "dinas",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend(STANDARD_CODES.iter().map(|c| c.to_string()));
        header.push("TK".into());
        header.extend(LEAVE_COLUMNS.iter().map(|s| s.code().to_string()));
        header.extend(
            [
                "jam_wajib",
                "jam_hadir",
                "potongan_persen",
                "potongan_diterapkan_persen",
                "tpp",
                "potongan_rupiah",
                "potongan_diterapkan_rupiah",
                "uji_coba",
                "kategori_berlaku",
                "aturan",
                "keterangan",
                // Issue 21: appended so the earlier columns keep their places.
                "apel_hadir",
                "apel_tidak_hadir",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        let _ = w.write_record(&header);
        for row in &r.employees {
            let m = &row.recap;
            let mut rec: Vec<String> = vec![
                r.month.clone(),
                if row.locked { "Terkunci".into() } else { "Belum dikunci".into() },
                neutral(&row.employee.unit_code),
                neutral(&row.employee.unit_name),
                neutral(&row.employee.nip.clone().unwrap_or_default()),
                neutral(&row.employee.login),
                neutral(&row.employee.name),
                neutral(&row.employee.category),
                neutral(&row.employee.position.clone().unwrap_or_default()),
                m.working_days.to_string(),
                m.days_present.to_string(),
                m.days_duty.to_string(),
            ];
            rec.extend(STANDARD_CODES.iter().map(|c| row.code(c).to_string()));
            rec.push(m.days_tk.to_string());
            rec.extend(LEAVE_COLUMNS.iter().map(|s| row.leave_days(*s).to_string()));
            rec.push(dec(hours(u64::from(m.minutes_required)), 2));
            rec.push(dec(hours(u64::from(m.minutes_present)), 2));
            rec.push(dec(m.deduction_computed.as_f64(), 2));
            rec.push(dec(m.deduction_applied.as_f64(), 2));
            rec.push(m.tpp_base.map(|v| v.to_string()).unwrap_or_default());
            rec.push(m.rupiah_computed.map(|v| v.to_string()).unwrap_or_default());
            rec.push(m.rupiah_applied.map(|v| v.to_string()).unwrap_or_default());
            rec.push(if m.trial_mode { "ya".into() } else { "tidak".into() });
            rec.push(if m.category_covered { "ya".into() } else { "tidak".into() });
            rec.push(neutral(&format!("{} (sejak {})", m.rule_set, m.rule_effective_from)));
            rec.push(neutral(&m.notes.join(" ")));
            rec.push(m.sessions_attended.to_string());
            rec.push(m.sessions_missed.to_string());
            let _ = w.write_record(&rec);
        }
        let _ = w.flush();
    }
    out
}

struct Formats {
    title: Format,
    bold: Format,
    header: Format,
    text: Format,
    int: Format,
    dec: Format,
    pct: Format,
    rp: Format,
    total_label: Format,
    total_int: Format,
    total_dec: Format,
    total_pct: Format,
    total_rp: Format,
    mark: Format,
    note: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        let total = cell.clone().set_bold().set_background_color(Color::RGB(0xEDEDED));
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            bold: Format::new().set_bold(),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xD9E1F2)),
            text: cell.clone(),
            int: cell.clone().set_num_format("0"),
            dec: cell.clone().set_num_format("0.00"),
            pct: cell.clone().set_num_format("0.00%"),
            rp: cell.clone().set_num_format("Rp #,##0"),
            total_label: total.clone(),
            total_int: total.clone().set_num_format("0"),
            total_dec: total.clone().set_num_format("0.00"),
            total_pct: total.clone().set_num_format("0.00%"),
            total_rp: total.set_num_format("Rp #,##0"),
            mark: cell.set_align(FormatAlign::Center),
            note: Format::new().set_italic().set_font_size(9),
        }
    }
}

/// Column letters of a 0-based column.
fn col_name(mut c: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Excel sheet names: ≤ 31 characters, none of `[]:*?/\`, unique (case-insensitive).
fn sheet_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let clean: String = wanted.chars().map(|c| if "[]:*?/\\".contains(c) { '-' } else { c }).collect();
    let clean = clean.trim_matches('\'').to_string();
    let base: String = clean.chars().take(31).collect();
    let mut name = if base.is_empty() { "Unit".to_string() } else { base };
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        let suffix = format!("~{n}");
        let keep: String = clean.chars().take(31 - suffix.len()).collect();
        name = format!("{keep}{suffix}");
        n += 1;
    }
    used.insert(name.to_lowercase());
    name
}

/// Writes the title block; returns the first row after it.
fn title_block(
    ws: &mut Worksheet,
    f: &Formats,
    r: &MonthRecap,
    title: &str,
    unit: &str,
    state: &str,
) -> Result<u32, XlsxError> {
    let first = month_bounds(&r.month).map(|b| b.0);
    ws.write_string_with_format(0, 0, r.regency.to_uppercase(), &f.title)?;
    ws.write_string_with_format(1, 0, title, &f.title)?;
    ws.write_string_with_format(2, 0, "Unit kerja", &f.bold)?;
    ws.write_string(2, 2, format!(": {unit}"))?;
    ws.write_string_with_format(3, 0, "Bulan", &f.bold)?;
    ws.write_string(3, 2, format!(": {}", first.map(month_label).unwrap_or_else(|| r.month.clone())))?;
    ws.write_string_with_format(4, 0, "Status", &f.bold)?;
    ws.write_string_with_format(4, 2, format!(": {state}"), &f.bold)?;
    ws.write_string_with_format(
        5,
        0,
        format!("Batas keberatan {}; dibuat {} oleh Hadir.", r.objection_until, made_at(r)),
        &f.note,
    )?;
    Ok(7)
}

const UNIT_FIXED: [(&str, f64); 9] = [
    ("No", 5.0),
    ("NIP", 21.0),
    ("Nama", 30.0),
    ("Kategori", 10.0),
    ("Jabatan", 22.0),
    ("Hari Kerja", 8.0),
    ("Hadir", 7.0),
    ("Dinas Luar/Diklat", 9.0),
    ("TK", 6.0),
];

/// Writes one unit's sheet.
fn unit_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    r: &MonthRecap,
    t: &RecapTotals,
    rows: &[&RecapRow],
) -> Result<(), XlsxError> {
    let state = t.state.map(|s| s.sheet_label()).unwrap_or("Berjalan");
    let hr = title_block(
        ws,
        f,
        r,
        "REKAPITULASI KEHADIRAN DAN POTONGAN TPP",
        &format!("{} ({})", t.unit_name, t.unit_code),
        state,
    )?;
    // Columns.
    let mut headers: Vec<(String, f64)> = UNIT_FIXED.iter().map(|(h, w)| (h.to_string(), *w)).collect();
    headers.extend(STANDARD_CODES.iter().map(|c| (c.to_string(), 6.0)));
    headers.extend(LEAVE_COLUMNS.iter().map(|s| (leave_header(*s).to_string(), 8.0)));
    headers.extend(
        [
            ("Jam Wajib", 9.0),
            ("Jam Hadir", 9.0),
            ("Potongan (%)", 10.0),
            ("Potongan Diterapkan (%)", 11.0),
            ("TPP (Rp)", 15.0),
            ("Potongan Diterapkan (Rp)", 15.0),
            ("Keterangan", 50.0),
            // Issue 21: appended after the existing columns.
            ("Apel/Upacara Hadir", 10.0),
            ("Apel/Upacara Tidak Hadir", 10.0),
        ]
        .iter()
        .map(|(h, w)| (h.to_string(), *w)),
    );
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
        ws.write_string_with_format(hr, c as u16, h, &f.header)?;
    }
    ws.set_row_height(hr, 45)?;
    ws.set_freeze_panes(hr + 1, 3)?;
    let first_data = hr + 1;
    for (i, row) in rows.iter().enumerate() {
        let y = first_data + i as u32;
        let m = &row.recap;
        let mut c = 0u16;
        let int = |ws: &mut Worksheet, c: &mut u16, v: u32| -> Result<(), XlsxError> {
            ws.write_number_with_format(y, *c, f64::from(v), &f.int)?;
            *c += 1;
            Ok(())
        };
        int(ws, &mut c, i as u32 + 1)?;
        ws.write_string_with_format(y, 1, row.employee.nip.as_deref().unwrap_or(&row.employee.login), &f.text)?;
        ws.write_string_with_format(y, 2, &row.employee.name, &f.text)?;
        ws.write_string_with_format(y, 3, &row.employee.category, &f.text)?;
        ws.write_string_with_format(y, 4, row.employee.position.as_deref().unwrap_or(""), &f.text)?;
        c = 5;
        int(ws, &mut c, m.working_days)?;
        int(ws, &mut c, m.days_present)?;
        int(ws, &mut c, m.days_duty)?;
        int(ws, &mut c, m.days_tk)?;
        for code in STANDARD_CODES {
            int(ws, &mut c, row.code(code))?;
        }
        for s in LEAVE_COLUMNS {
            int(ws, &mut c, row.leave_days(s))?;
        }
        ws.write_number_with_format(y, c, hours(u64::from(m.minutes_required)), &f.dec)?;
        ws.write_number_with_format(y, c + 1, hours(u64::from(m.minutes_present)), &f.dec)?;
        ws.write_number_with_format(y, c + 2, fraction(m.deduction_computed), &f.pct)?;
        ws.write_number_with_format(y, c + 3, fraction(m.deduction_applied), &f.pct)?;
        match m.tpp_base {
            Some(v) => ws.write_number_with_format(y, c + 4, v as f64, &f.rp)?,
            None => ws.write_string_with_format(y, c + 4, "", &f.text)?,
        };
        match m.rupiah_applied {
            Some(v) => ws.write_number_with_format(y, c + 5, v as f64, &f.rp)?,
            None => ws.write_string_with_format(y, c + 5, "", &f.text)?,
        };
        let mut notes = m.notes.clone();
        if row.locked
            && let Some(at) = row.frozen_at
        {
            notes.push(format!("Dikunci {}.", at.strftime("%Y-%m-%d")));
        }
        ws.write_string_with_format(y, c + 6, notes.join(" "), &f.text)?;
        ws.write_number_with_format(y, c + 7, f64::from(m.sessions_attended), &f.int)?;
        ws.write_number_with_format(y, c + 8, f64::from(m.sessions_missed), &f.int)?;
    }
    // Totals row.
    let ty = first_data + rows.len() as u32;
    ws.write_string_with_format(ty, 0, "", &f.total_label)?;
    ws.write_string_with_format(ty, 1, "", &f.total_label)?;
    ws.write_string_with_format(ty, 2, "JUMLAH", &f.total_label)?;
    ws.write_string_with_format(ty, 3, "", &f.total_label)?;
    ws.write_string_with_format(ty, 4, "", &f.total_label)?;
    let sum = |ws: &mut Worksheet, col: u16, value: f64, fmt: &Format| -> Result<(), XlsxError> {
        let letter = col_name(col);
        let formula = if rows.is_empty() {
            Formula::new("=0").set_result("0")
        } else {
            Formula::new(format!("=SUM({letter}{}:{letter}{})", first_data + 1, ty)).set_result(format!("{value}"))
        };
        ws.write_formula_with_format(ty, col, formula, fmt)?;
        Ok(())
    };
    let mut c = 5u16;
    let mut counts: Vec<u32> = vec![t.working_days, t.days_present, t.days_duty, t.days_tk];
    counts.extend(STANDARD_CODES.iter().map(|k| t.code_counts.get(*k).copied().unwrap_or(0)));
    counts.extend(LEAVE_COLUMNS.iter().map(|s| t.leave_days.get(s.code()).copied().unwrap_or(0)));
    for v in counts {
        sum(ws, c, f64::from(v), &f.total_int)?;
        c += 1;
    }
    sum(ws, c, hours(t.minutes_required), &f.total_dec)?;
    sum(ws, c + 1, hours(t.minutes_present), &f.total_dec)?;
    ws.write_string_with_format(ty, c + 2, "", &f.total_pct)?;
    ws.write_string_with_format(ty, c + 3, "", &f.total_pct)?;
    sum(ws, c + 4, t.tpp_base as f64, &f.total_rp)?;
    sum(ws, c + 5, t.rupiah_applied as f64, &f.total_rp)?;
    ws.write_string_with_format(ty, c + 6, "", &f.total_label)?;
    ws.write_string_with_format(ty, c + 7, "", &f.total_label)?;
    ws.write_string_with_format(ty, c + 8, "", &f.total_label)?;
    // Attendance rate.
    ws.write_string_with_format(ty + 1, 2, "Tingkat kehadiran (hadir + dinas ÷ hari kerja)", &f.bold)?;
    ws.write_number_with_format(ty + 1, 5, t.attendance_rate, &Format::new().set_bold().set_num_format("0.00%"))?;
    // Legend and signatures.
    ws.write_string_with_format(
        ty + 2,
        2,
        "Potongan dalam persen dari porsi kehadiran TPP; jam = jam:menit desimal.",
        &f.note,
    )?;
    signature_block(ws, f, ty + 4, &format!("Kepala {}", t.unit_name), "Kepala BKPSDM", &r.regency)?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn signature_block(
    ws: &mut Worksheet,
    f: &Formats,
    y: u32,
    left: &str,
    right: &str,
    regency: &str,
) -> Result<(), XlsxError> {
    let (lc, rc) = (2u16, 19u16);
    ws.write_string(y, rc, format!("{}, ....................", regency_town(regency)))?;
    ws.write_string(y + 1, lc, "Mengetahui,")?;
    ws.write_string_with_format(y + 2, lc, left, &f.bold)?;
    ws.write_string_with_format(y + 2, rc, right, &f.bold)?;
    ws.write_string(y + 7, lc, "Nama : ..............................")?;
    ws.write_string(y + 7, rc, "Nama : ..............................")?;
    ws.write_string(y + 8, lc, "NIP  : ..............................")?;
    ws.write_string(y + 8, rc, "NIP  : ..............................")?;
    Ok(())
}

/// "Pemerintah Kabupaten Contoh" → "Contoh" (for the place-and-date line).
fn regency_town(regency: &str) -> String {
    let r = regency.trim();
    for p in ["Pemerintah Kabupaten ", "Pemerintah Kota ", "Kabupaten ", "Kota "] {
        if let Some(rest) = r.strip_prefix(p)
            && !rest.trim().is_empty()
        {
            return rest.trim().to_string();
        }
    }
    r.to_string()
}

fn summary_sheet(ws: &mut Worksheet, f: &Formats, r: &MonthRecap) -> Result<(), XlsxError> {
    let unit = match (&r.unit_name, &r.unit_code) {
        (Some(n), Some(c)) => format!("{n} ({c}) dan sub-unit"),
        _ => "Semua unit kerja".to_string(),
    };
    let hr = title_block(ws, f, r, "RINGKASAN REKAPITULASI KEHADIRAN PER UNIT KERJA", &unit, r.state.sheet_label())?;
    let headers: [(&str, f64); 15] = [
        ("No", 5.0),
        ("Kode", 12.0),
        ("Unit Kerja", 36.0),
        ("Pegawai", 9.0),
        ("Hari Kerja", 10.0),
        ("Hadir", 9.0),
        ("Dinas Luar/Diklat", 10.0),
        ("TK", 7.0),
        ("Terlambat (TL1–TL4)", 11.0),
        ("Pulang Cepat (PSW1–PSW4)", 12.0),
        ("Cuti/Izin/Sakit", 10.0),
        ("Jam Wajib", 11.0),
        ("Jam Hadir", 11.0),
        ("Tingkat Kehadiran", 11.0),
        ("Potongan Diterapkan (Rp)", 17.0),
    ];
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
        ws.write_string_with_format(hr, c as u16, *h, &f.header)?;
    }
    ws.set_column_width(15, 12)?;
    ws.write_string_with_format(hr, 15, "Status", &f.header)?;
    ws.set_row_height(hr, 45)?;
    ws.set_freeze_panes(hr + 1, 0)?;
    let tl = |t: &RecapTotals, p: &str| -> u32 {
        t.code_counts.iter().filter(|(k, _)| k.starts_with(p)).map(|(_, v)| v).sum()
    };
    let write = |ws: &mut Worksheet, y: u32, t: &RecapTotals, total: bool| -> Result<(), XlsxError> {
        let (int, dec, pct, rp, text) = if total {
            (&f.total_int, &f.total_dec, &f.total_pct, &f.total_rp, &f.total_label)
        } else {
            (&f.int, &f.dec, &f.pct, &f.rp, &f.text)
        };
        ws.write_string_with_format(y, 1, &t.unit_code, text)?;
        ws.write_string_with_format(y, 2, if total { "JUMLAH" } else { &t.unit_name }, text)?;
        let leave: u32 = t.leave_days.values().sum();
        let nums =
            [t.employees, t.working_days, t.days_present, t.days_duty, t.days_tk, tl(t, "TL"), tl(t, "PSW"), leave];
        for (i, v) in nums.iter().enumerate() {
            ws.write_number_with_format(y, 3 + i as u16, f64::from(*v), int)?;
        }
        ws.write_number_with_format(y, 11, hours(t.minutes_required), dec)?;
        ws.write_number_with_format(y, 12, hours(t.minutes_present), dec)?;
        ws.write_number_with_format(y, 13, t.attendance_rate, pct)?;
        ws.write_number_with_format(y, 14, t.rupiah_applied as f64, rp)?;
        ws.write_string_with_format(y, 15, t.state.map(|s| s.sheet_label()).unwrap_or("Berjalan"), text)?;
        Ok(())
    };
    for (i, t) in r.units.iter().enumerate() {
        let y = hr + 1 + i as u32;
        ws.write_number_with_format(y, 0, (i + 1) as f64, &f.int)?;
        write(ws, y, t, false)?;
    }
    let ty = hr + 1 + r.units.len() as u32;
    ws.write_string_with_format(ty, 0, "", &f.total_label)?;
    write(ws, ty, &r.total, true)?;
    if !r.skipped.is_empty() {
        ws.write_string_with_format(ty + 2, 1, "Tidak direkap:", &f.bold)?;
        for (i, s) in r.skipped.iter().enumerate() {
            ws.write_string(ty + 3 + i as u32, 1, format!("{} {} — {}", s.login, s.name, s.reason))?;
        }
    }
    let y = ty + 4 + r.skipped.len() as u32;
    signature_block(ws, f, y, "Sekretaris Daerah", "Kepala BKPSDM", &r.regency)?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn detail_sheet(ws: &mut Worksheet, f: &Formats, r: &MonthRecap) -> Result<(), XlsxError> {
    let unit = r.unit_name.clone().unwrap_or_else(|| "Semua unit kerja".to_string());
    let hr = title_block(ws, f, r, "RINCIAN KEHADIRAN HARIAN", &unit, r.state.sheet_label())?;
    let days = month_bounds(&r.month).map(|(a, b)| b.day() - a.day() + 1).unwrap_or(31) as u16;
    let fixed = [("NIP", 21.0), ("Nama", 28.0), ("Unit", 10.0)];
    for (c, (h, w)) in fixed.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
        ws.write_string_with_format(hr, c as u16, *h, &f.header)?;
    }
    for d in 0..days {
        ws.set_column_width(3 + d, 7.5)?;
        ws.write_number_with_format(hr, 3 + d, f64::from(d + 1), &f.header)?;
    }
    ws.set_column_width(3 + days, 10)?;
    ws.write_string_with_format(hr, 3 + days, "Potongan (%)", &f.header)?;
    ws.set_freeze_panes(hr + 1, 3)?;
    for (i, row) in r.employees.iter().enumerate() {
        let y = hr + 1 + i as u32;
        ws.write_string_with_format(y, 0, row.employee.nip.as_deref().unwrap_or(&row.employee.login), &f.text)?;
        ws.write_string_with_format(y, 1, &row.employee.name, &f.text)?;
        ws.write_string_with_format(y, 2, &row.employee.unit_code, &f.text)?;
        for d in &row.days {
            let c = 3 + (d.date.day() - 1) as u16;
            ws.write_string_with_format(y, c, &d.mark, &f.mark)?;
        }
        ws.write_number_with_format(y, 3 + days, fraction(row.recap.deduction_computed), &f.pct)?;
    }
    let y = hr + 2 + r.employees.len() as u32;
    ws.write_string_with_format(y, 0, "Keterangan:", &f.bold)?;
    ws.write_string_with_format(y + 1, 0, MARK_LEGEND, &f.note)?;
    Ok(())
}

/// The XLSX workbook: summary, one sheet per unit, day-by-day detail.
/// When the recap was made, in its zone, labelled: `2026-11-30 16:05 WITA`.
fn made_at(r: &MonthRecap) -> String {
    let tz = hadir_domain::zone::unit_zone(&r.timezone)
        .or_else(|_| hadir_domain::zone::unit_zone("Asia/Jakarta"))
        .unwrap_or(jiff::tz::TimeZone::UTC);
    format!(
        "{} {}",
        r.generated_at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M"),
        hadir_domain::zone::zone_abbreviation(&tz, r.generated_at)
    )
}

pub fn to_xlsx(r: &MonthRecap) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut used = HashSet::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("Ringkasan", &mut used))?;
        summary_sheet(ws, &f, r)?;
    }
    // Rows are grouped by unit in `r.units` order.
    let mut start = 0usize;
    for t in &r.units {
        let end = start + r.employees[start..].iter().take_while(|e| Some(e.employee.unit_id) == t.unit_id).count();
        let rows: Vec<&RecapRow> = r.employees[start..end].iter().collect();
        start = end;
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.unit_code, &mut used))?;
        unit_sheet(ws, &f, r, t, &rows)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name("Rincian Harian", &mut used))?;
        detail_sheet(ws, &f, r)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_columns() {
        assert_eq!(col_name(0), "A");
        assert_eq!(col_name(25), "Z");
        assert_eq!(col_name(26), "AA");
        assert_eq!(col_name(30), "AE");
        let mut used = HashSet::new();
        assert_eq!(sheet_name("DIK/SD:1", &mut used), "DIK-SD-1");
        assert_eq!(sheet_name("dik-sd-1", &mut used), "dik-sd-1~2");
        let long = "X".repeat(40);
        assert_eq!(sheet_name(&long, &mut used).chars().count(), 31);
        assert_eq!(regency_town("Pemerintah Kabupaten Kutai"), "Kutai");
    }

    #[test]
    fn formula_like_text_is_neutralised() {
        let cases = [
            ("=HYPERLINK(\"http://x\",\"klik\")", "'=HYPERLINK(\"http://x\",\"klik\")"),
            ("+62811", "'+62811"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Budi", "Budi"),
            ("", ""),
            ("a=b", "a=b"),
        ];
        for (input, want) in cases {
            assert_eq!(neutral(input), want, "{input:?}");
        }
    }
}
