//! "Impor berkas log (flash disk)" on the terminals page: the multipart upload of a terminal's
//! exported log, imported by the API's [`import_log_file`]; the answer is the per-line report
//! (lines stored are counted, the others listed with their reason).

use super::{CResult, Console, html};
use crate::api::logfiles::{LogImportReport, LogLine, MAX_LOG_FILE_BYTES, import_log_file};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "admin/log_import_report.html")]
struct Report {
    r: LogImportReport,
    /// Lines other than "stored", at most [`SHOWN`].
    listed: Vec<LogLine>,
    more: usize,
}

/// Lines listed on the page (the API answer has them all).
const SHOWN: usize = 500;

fn outcome_label(o: &str) -> &'static str {
    match o {
        "held" => "Ditahan untuk diperiksa",
        "unmatched" => "PIN belum dikenal",
        "duplicate" => "Sudah tercatat",
        "refused" => "Ditolak",
        _ => "Tersimpan",
    }
}

/// `POST /admin/terminals/log-file` (multipart: `sn`, `file`).
pub async fn upload(State(s): State<AppState>, Console(c): Console, mut m: Multipart) -> CResult {
    let unreadable = || ApiError::bad_request("bad_upload", "Berkas tidak terbaca; coba unggah lagi.");
    let (mut sn, mut body) = (String::new(), None);
    while let Ok(Some(mut field)) = m.next_field().await {
        match field.name() {
            Some("sn") => sn = field.text().await.map_err(|_| unreadable())?.chars().take(64).collect(),
            Some("file") => {
                let mut buf = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                    if buf.len() + chunk.len() > MAX_LOG_FILE_BYTES {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "file_too_large",
                            format!(
                                "Berkas log terlalu besar (paling besar {} MB); bagi menjadi beberapa berkas.",
                                MAX_LOG_FILE_BYTES / (1024 * 1024)
                            ),
                        )
                        .into());
                    }
                    buf.extend_from_slice(&chunk);
                }
                body = Some(buf);
            }
            _ => {}
        }
    }
    if sn.trim().is_empty() {
        return Err(ApiError::unprocessable("sn_required", "Pilih mesin asal berkas log.").into());
    }
    let body = body.filter(|b| !b.is_empty()).ok_or_else(|| {
        ApiError::unprocessable("file_required", "Pilih berkas log (mis. 1_attlog.dat) terlebih dahulu.")
    })?;
    let r = import_log_file(&s, &c, &sn, &body).await?;
    let mut listed: Vec<LogLine> = r.items.iter().filter(|i| i.outcome != "stored").cloned().collect();
    let more = listed.len().saturating_sub(SHOWN);
    listed.truncate(SHOWN);
    for l in &mut listed {
        l.outcome = outcome_label(&l.outcome).into();
    }
    Ok(html(&Report { r, listed, more }))
}
