//! The TPP payout sheet (issue 22): CSV (UTF-8 with BOM, `;`, for Excel in id-ID) and XLSX
//! (a summary sheet per unit and a sheet per unit with every employee's shares, the amount,
//! its explanation and a signature block).

use crate::recap_export::neutral;
use crate::tpp::{TppMonth, TppRow};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

const HEAD: [&str; 14] = [
    "NIP",
    "Nama",
    "Unit",
    "Dasar TPP",
    "Potongan kehadiran (%)",
    "Nilai kinerja",
    "Sumber nilai",
    "Kinerja (%)",
    "Bagian kehadiran",
    "Bagian kinerja",
    "Sanksi (%)",
    "Potongan sanksi",
    "Dibayar",
    "Penjelasan",
];

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').replace('.', ",")
}

fn source_word(s: &str) -> &'static str {
    match s {
        "import" => "impor",
        "api" => "e-kinerja",
        "manual" => "diisi BKD",
        _ => "kegiatan tervalidasi",
    }
}

pub fn to_csv(m: &TppMonth) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&format!("TPP {};{};{}\r\n", m.month, neutral(&m.regency), m.state));
    out.push_str(&HEAD.join(";"));
    out.push_str("\r\n");
    for r in &m.employees {
        let cells = [
            neutral(r.nip.as_deref().unwrap_or(&r.login)),
            neutral(&r.name),
            neutral(&r.unit_code),
            r.base.to_string(),
            num(r.attendance_deduction),
            r.score.map(num).unwrap_or_default(),
            source_word(&r.score_source).into(),
            num(r.performance_percent),
            r.attendance_share.to_string(),
            r.performance_share.to_string(),
            num(r.sanction_percent),
            r.sanction_rupiah.to_string(),
            r.amount.to_string(),
            neutral(&r.explanation.replace(';', ",")),
        ];
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out.push_str(&format!("Jumlah;;;{};;;;;;;;;{};\r\n", m.total_base, m.total_amount));
    out.into_bytes()
}

fn unit_sheet(ws: &mut Worksheet, m: &TppMonth, title: &str, rows: &[&TppRow]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_border(FormatBorder::Thin).set_text_wrap().set_align(FormatAlign::Center);
    let money = Format::new().set_num_format("#,##0").set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let dec = Format::new().set_num_format("0.00").set_border(FormatBorder::Thin);
    ws.write_string_with_format(0, 0, format!("Daftar pembayaran TPP bulan {}", m.month), &bold)?;
    ws.write_string(1, 0, format!("{} — {title}", m.regency))?;
    ws.write_string(2, 0, format!("Status rekap: {}", m.state))?;
    let y0 = 4u32;
    for (c, h) in HEAD.iter().enumerate() {
        ws.write_string_with_format(y0, c as u16, *h, &head)?;
    }
    let mut y = y0 + 1;
    for r in rows {
        ws.write_string_with_format(y, 0, r.nip.as_deref().unwrap_or(&r.login), &cell)?;
        ws.write_string_with_format(y, 1, neutral(&r.name), &cell)?;
        ws.write_string_with_format(y, 2, &r.unit_code, &cell)?;
        ws.write_number_with_format(y, 3, r.base as f64, &money)?;
        ws.write_number_with_format(y, 4, r.attendance_deduction, &dec)?;
        match r.score {
            Some(s) => ws.write_number_with_format(y, 5, s, &dec)?,
            None => ws.write_string_with_format(y, 5, "-", &cell)?,
        };
        ws.write_string_with_format(y, 6, source_word(&r.score_source), &cell)?;
        ws.write_number_with_format(y, 7, r.performance_percent, &dec)?;
        ws.write_number_with_format(y, 8, r.attendance_share as f64, &money)?;
        ws.write_number_with_format(y, 9, r.performance_share as f64, &money)?;
        ws.write_number_with_format(y, 10, r.sanction_percent, &dec)?;
        ws.write_number_with_format(y, 11, r.sanction_rupiah as f64, &money)?;
        ws.write_number_with_format(y, 12, r.amount as f64, &money)?;
        ws.write_string_with_format(y, 13, neutral(&r.explanation), &cell)?;
        y += 1;
    }
    ws.write_string_with_format(y, 1, "Jumlah", &bold)?;
    ws.write_number_with_format(y, 3, rows.iter().map(|r| r.base).sum::<i64>() as f64, &money)?;
    ws.write_number_with_format(y, 12, rows.iter().map(|r| r.amount).sum::<i64>() as f64, &money)?;
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 28)?;
    ws.set_column_width(13, 80)?;
    ws.set_freeze_panes(y0 + 1, 2)?;
    // Signature block: the head of the unit (or the regional secretary for the whole regency)
    // and the treasurer.
    let sy = y + 3;
    ws.write_string(sy, 1, "Mengetahui,")?;
    ws.write_string(
        sy + 1,
        1,
        if m.unit_code.is_some() || title != "Kabupaten" {
            format!("Kepala {title}")
        } else {
            "Sekretaris Daerah".into()
        },
    )?;
    ws.write_string(sy + 5, 1, "(....................................)")?;
    ws.write_string(sy + 6, 1, "NIP. ....................")?;
    ws.write_string(sy, 9, "Dibuat oleh,")?;
    ws.write_string(sy + 1, 9, "Bendahara Pengeluaran")?;
    ws.write_string(sy + 5, 9, "(....................................)")?;
    ws.write_string(sy + 6, 9, "NIP. ....................")?;
    Ok(())
}

pub fn to_xlsx(m: &TppMonth) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("Ringkasan")?;
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0");
        ws.write_string_with_format(0, 0, format!("Ringkasan TPP bulan {} — {}", m.month, m.regency), &bold)?;
        ws.write_string(1, 0, format!("Status rekap: {}", m.state))?;
        for (c, h) in ["Unit", "Nama unit", "Pegawai", "Dasar TPP", "Dibayar"].iter().enumerate() {
            ws.write_string_with_format(3, c as u16, *h, &bold)?;
        }
        let mut y = 4;
        for u in &m.units {
            ws.write_string(y, 0, &u.unit_code)?;
            ws.write_string(y, 1, neutral(&u.unit_name))?;
            ws.write_number(y, 2, f64::from(u.employees))?;
            ws.write_number_with_format(y, 3, u.base as f64, &money)?;
            ws.write_number_with_format(y, 4, u.amount as f64, &money)?;
            y += 1;
        }
        ws.write_string_with_format(y, 1, "Jumlah", &bold)?;
        ws.write_number_with_format(y, 3, m.total_base as f64, &money)?;
        ws.write_number_with_format(y, 4, m.total_amount as f64, &money)?;
        ws.set_column_width(1, 30)?;
    }
    let mut used: Vec<String> = vec!["Ringkasan".into()];
    for u in &m.units {
        let rows: Vec<&TppRow> = m.employees.iter().filter(|r| r.unit_code == u.unit_code).collect();
        let mut name: String =
            u.unit_code.chars().map(|c| if "[]:*?/\\".contains(c) { '-' } else { c }).take(28).collect();
        while used.contains(&name) {
            name.push('~');
        }
        used.push(name.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        unit_sheet(ws, m, &u.unit_name, &rows)?;
    }
    wb.save_to_buffer()
}
