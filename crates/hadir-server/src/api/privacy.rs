//! Personal data (issue 17, UU 27/2022 PDP): the privacy notice, the access log ("siapa yang
//! melihat data saya") and the employee's own-data export.

use super::Paging;
use crate::api::employees::employee_in_scope;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::views::PunchView;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hadir_domain::unit_zone;
use hadir_domain::zone::rfc3339_local;
use hadir_store::{AccessEntry, AccessFilter, AccessKind, Id, PunchFilter, RequestFilter};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::io::{Seek, SeekFrom, Write};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};

/// Exports built at once (each reads every photo of one person).
static EXPORTS: Semaphore = Semaphore::const_new(2);

#[derive(Serialize, ToSchema)]
pub struct RetentionView {
    /// What is kept.
    pub kind: String,
    /// Its Indonesian name.
    pub label: String,
    /// Months after the end of the month it belongs to; 0: kept for good (or, with
    /// `until_employment_ends`, until the employment has ended).
    pub months: u32,
    /// Kept until the employee's employment ends (removed the day after the end date).
    pub until_employment_ends: bool,
    /// How long, in words ("2 tahun setelah bulannya berakhir", "sampai masa kerja berakhir").
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct PrivacyNotice {
    pub controller: String,
    /// The notice in Bahasa Indonesia, paragraph by paragraph.
    pub paragraphs: Vec<String>,
    pub retention: Vec<RetentionView>,
}

fn period(months: u32) -> String {
    match months {
        0 => "disimpan tanpa batas waktu".into(),
        m if m % 12 == 0 => format!("{} tahun setelah bulannya berakhir", m / 12),
        m => format!("{m} bulan setelah bulannya berakhir"),
    }
}

/// How long a reference face is kept (the retention purge removes it the day after the end date).
const FACE_PERIOD: &str = "sampai masa kerja berakhir";

/// What is collected, why, and for how long (from the server's retention settings).
#[utoipa::path(get, path = "/api/v1/privacy", tag = "privacy", security(()),
    responses((status = 200, body = PrivacyNotice)))]
pub async fn privacy_notice(State(s): State<AppState>) -> Json<PrivacyNotice> {
    let r = &s.config.retention;
    let controller = s.config.regency_name.clone();
    let paragraphs = vec![
        format!(
            "{controller} mengelola data pribadi Anda dalam aplikasi Hadir sebagai pengendali data pribadi \
             menurut UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi, untuk melaksanakan kewajiban \
             hukum pencatatan kehadiran dan disiplin ASN (PP No. 94 Tahun 2021) serta perhitungan TPP."
        ),
        "Yang dikumpulkan: identitas kepegawaian (NIP, nama, jabatan, unit kerja), waktu presensi, \
         swafoto saat presensi (untuk memastikan Anda sendiri yang hadir), wajah acuan (angka ciri wajah \
         yang dihitung dari satu foto Anda, bukan fotonya, ditetapkan oleh atasan atau operator unit Anda \
         untuk mencocokkan swafoto), lokasi dan akurasi GPS saat \
         presensi (untuk memastikan Anda berada di lokasi kerja), PIN mesin sidik jari, pengajuan izin/cuti \
         beserta lampirannya (misalnya surat keterangan dokter)."
            .into(),
        format!(
            "Masa simpan: swafoto {}; lokasi presensi {}; lampiran pengajuan {}; wajah acuan {FACE_PERIOD} \
             (dihapus sehari sesudah tanggal berhenti). Setelah itu berkas dihapus; \
             waktu presensi dan sidik digital (hash) berkas tetap disimpan agar rantai bukti presensi tetap \
             dapat diperiksa.",
            period(r.selfie_months),
            period(r.position_months),
            period(r.evidence_months)
        ),
        "Yang dapat melihat: Anda sendiri; operator dan atasan unit kerja Anda; admin BKD. Setiap kali orang \
         lain melihat swafoto, lokasi atau lampiran Anda, hal itu dicatat dan dapat Anda lihat di \
         \"Siapa yang melihat data saya\"."
            .into(),
        "Hak Anda: melihat dan mengunduh salinan data Anda (tombol \"Unduh data saya\"), meminta perbaikan \
         data yang salah melalui operator unit kerja Anda, dan mengajukan keberatan atas rekap kehadiran."
            .into(),
    ];
    let kept = |kind: &str, label: &str, months: u32| RetentionView {
        kind: kind.into(),
        label: label.into(),
        months,
        until_employment_ends: false,
        period: period(months),
    };
    let retention = vec![
        kept("selfie", "Swafoto presensi", r.selfie_months),
        kept("position", "Lokasi presensi", r.position_months),
        kept("evidence", "Lampiran pengajuan", r.evidence_months),
        RetentionView {
            kind: "reference_face".into(),
            label: "Wajah acuan".into(),
            months: 0,
            until_employment_ends: true,
            period: FACE_PERIOD.into(),
        },
    ];
    Json(PrivacyNotice { controller, paragraphs, retention })
}

#[derive(Serialize, ToSchema)]
pub struct AccessView {
    pub at: String,
    pub viewer_username: String,
    pub viewer_name: String,
    pub subject_employee_id: Id,
    /// Whose data: their login (NIP) and name.
    pub subject_login: String,
    pub subject_name: String,
    /// `photo`, `position` or `evidence`.
    pub kind: String,
    /// "swafoto", "lokasi presensi", "lampiran".
    pub kind_label: String,
    pub item: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessList {
    pub items: Vec<AccessView>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

/// The page's entries with the names of the people whose data was viewed (one read).
async fn access_views(s: &AppState, items: &[AccessEntry]) -> ApiResult<Vec<AccessView>> {
    let mut ids: Vec<Id> = items.iter().map(|e| e.a.subject_employee_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: std::collections::HashMap<Id, hadir_store::Employee> =
        s.store.employees_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect();
    Ok(items
        .iter()
        .map(|e| {
            let who = people.get(&e.a.subject_employee_id);
            access_view(
                e,
                who.map(|p| p.login.clone()).unwrap_or_default(),
                who.map(|p| p.name.clone()).unwrap_or_default(),
            )
        })
        .collect())
}

fn access_view(e: &AccessEntry, subject_login: String, subject_name: String) -> AccessView {
    let wib = TimeZone::get("Asia/Jakarta").unwrap_or(TimeZone::UTC);
    AccessView {
        at: rfc3339_local(&wib, e.a.at),
        viewer_username: e.a.viewer_username.clone(),
        viewer_name: e.a.viewer_name.clone(),
        subject_employee_id: e.a.subject_employee_id,
        subject_login,
        subject_name,
        kind: e.a.kind.as_str().into(),
        kind_label: match e.a.kind {
            AccessKind::Photo => "swafoto",
            AccessKind::Position => "lokasi presensi",
            AccessKind::Evidence => "lampiran",
        }
        .into(),
        item: e.a.item.clone(),
    }
}

fn own_employee(caller: &Caller) -> ApiResult<Id> {
    caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))
}

/// Who viewed your selfies, positions or evidence files ("siapa yang melihat data saya"),
/// newest first. Your own views are not recorded.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "privacy", params(Paging),
    responses((status = 200, body = AccessList), (status = 403, body = ErrorBody)))]
pub async fn my_access_log(
    State(s): State<AppState>,
    caller: Caller,
    Query(p): Query<Paging>,
) -> ApiResult<Json<AccessList>> {
    let id = own_employee(&caller)?;
    let f = AccessFilter { subject_employee_id: Some(id), offset: p.offset(), limit: p.limit(), ..Default::default() };
    let page = s.store.list_access(&f).await?;
    Ok(Json(AccessList {
        items: access_views(&s, &page.items).await?,
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct AccessQuery {
    /// Views of this employee's data (NIP or login).
    pub employee: Option<String>,
    /// Views by this account (username).
    pub viewer: Option<String>,
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

/// The whole access log (admins only), optionally for one employee or one viewer.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "privacy", params(AccessQuery),
    responses((status = 200, body = AccessList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn access_log(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<AccessQuery>,
) -> ApiResult<Json<AccessList>> {
    if !caller.is_admin {
        return Err(ApiError::forbidden());
    }
    let subject = match q.employee.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(login) => Some(employee_in_scope(&s, &caller, login.trim()).await?.id),
        None => None,
    };
    let viewer = match q.viewer.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(u) => Some(s.store.account_by_username(u.trim()).await.map_err(|_| ApiError::not_found("Akun"))?.id),
        None => None,
    };
    let p = Paging { offset: q.offset, limit: q.limit };
    let f =
        AccessFilter { subject_employee_id: subject, viewer_account_id: viewer, offset: p.offset(), limit: p.limit() };
    let page = s.store.list_access(&f).await?;
    Ok(Json(AccessList {
        items: access_views(&s, &page.items).await?,
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

/// The JSON part of the export.
#[derive(Serialize)]
struct ExportJson {
    exported_at: String,
    controller: String,
    employee: hadir_store::Employee,
    punches: Vec<PunchView>,
    days: Vec<hadir_domain::DayRecord>,
    requests: Vec<hadir_store::Request>,
    /// Photo files in the archive, by punch id.
    photos: Vec<ExportFile>,
    /// Evidence files in the archive, by request and attachment id.
    attachments: Vec<ExportFile>,
    /// Whether a reference face is kept, from what, by whom and when (never the embedding).
    reference_face: crate::api::faces::ReferenceFaceView,
}

#[derive(Serialize)]
struct ExportFile {
    id: String,
    file: String,
}

/// Your own data as a ZIP: `data-saya.json` (your record, punches, day records and requests)
/// with your photos (`foto/`) and evidence files (`lampiran/`) still kept.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "privacy",
    responses((status = 200, content_type = "application/zip", description = "The archive"), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn my_export(State(s): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let id = own_employee(&caller)?;
    let _permit = EXPORTS
        .try_acquire()
        .map_err(|_| ApiError::unavailable("Unduhan data sedang ramai. Coba lagi sebentar lagi.", 30))?;
    let e = s.store.employee_by_id(id).await?;
    let tz = unit_zone(&e.timezone).unwrap_or(TimeZone::UTC);
    let punches =
        s.store.list_punches(&PunchFilter { employee_id: Some(id), limit: 1_000_000, ..Default::default() }).await?;
    let (first, last) = (
        jiff::civil::date(2000, 1, 1),
        crate::org::today_jakarta().checked_add(jiff::ToSpan::days(1)).unwrap_or(jiff::civil::date(2100, 12, 31)),
    );
    let days = s.store.day_records(id, first, last).await?.into_iter().map(|d| d.record).collect();
    let mut requests = Vec::new();
    loop {
        let f =
            RequestFilter { employee_id: Some(id), offset: requests.len() as u32, limit: 500, ..Default::default() };
        let page = s.store.list_requests(&f).await?;
        let n = page.items.len();
        requests.extend(page.items);
        if n < 500 {
            break;
        }
    }
    let mut files: Vec<(String, &'static str, String)> = Vec::new();
    let mut photos = Vec::new();
    for p in punches.iter().filter(|p| p.photo_purged_at.is_none()) {
        if let Some(h) = &p.p.photo_hash {
            let name = format!("foto/presensi-{}.{}", p.id, "jpg");
            photos.push(ExportFile { id: p.id.to_string(), file: name.clone() });
            files.push((name, "photos", h.clone()));
        }
    }
    let mut attachments = Vec::new();
    for r in &requests {
        for a in r.attachments.iter().filter(|a| a.purged_at.is_none()) {
            let ext = match a.mime.as_str() {
                "application/pdf" => "pdf",
                "image/png" => "png",
                _ => "jpg",
            };
            let name = format!("lampiran/pengajuan-{}-{}.{ext}", r.id, a.id);
            attachments.push(ExportFile { id: format!("{}/{}", r.id, a.id), file: name.clone() });
            files.push((name, "evidence", a.blob_hash.clone()));
        }
    }
    let json = ExportJson {
        exported_at: rfc3339_local(&tz, Timestamp::now()),
        controller: s.config.regency_name.clone(),
        punches: punches.iter().map(|p| PunchView::new(p, &tz)).collect(),
        employee: e.clone(),
        days,
        requests,
        photos,
        attachments,
        reference_face: s.store.reference_face(id).await?.as_ref().into(),
    };
    let json = serde_json::to_vec_pretty(&json).map_err(|_| ApiError::internal())?;

    // The archive is written to an unlinked temporary file on a blocking thread (photos are
    // fetched one at a time), then streamed: memory stays one photo, not all of them.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(String, Bytes)>(2);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let path = std::env::temp_dir().join(format!("hadir-export-{}.zip", hex::encode(nonce)));
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
        std::fs::remove_file(&path)?;
        let mut zip = zip::ZipWriter::new(file);
        while let Some((name, bytes)) = rx.blocking_recv() {
            // JSON compresses; photos and PDFs do not.
            let method =
                if name.ends_with(".json") { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
            let opts = zip::write::SimpleFileOptions::default().compression_method(method);
            zip.start_file(name, opts).map_err(std::io::Error::other)?;
            zip.write_all(&bytes)?;
        }
        let mut file = zip.finish().map_err(std::io::Error::other)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    });
    let feed = async {
        if tx.send(("data-saya.json".into(), Bytes::from(json))).await.is_err() {
            return;
        }
        for (name, kind, hash) in files {
            match s.blob.get(kind, &hash).await {
                Ok(bytes) => {
                    if tx.send((name, bytes)).await.is_err() {
                        return;
                    }
                }
                Err(err) => tracing::warn!(%hash, error = %err, "export: a file is missing from the blob store"),
            }
        }
    };
    feed.await;
    drop(tx);
    let file = writer.await.map_err(|_| ApiError::internal())?.map_err(|err| {
        tracing::error!(error = %err, "export: could not write the archive");
        ApiError::internal()
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let stream = futures::stream::unfold(tokio::fs::File::from_std(file), |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), f))
            }
            Err(err) => Some((Err(err), f)),
        }
    });
    // Fused: a layer that polls the body again after its end (tower-http's compression did)
    // must get `None`, not unfold's panic.
    let stream = futures::StreamExt::fuse(stream);
    let filename = format!("attachment; filename=\"data-saya-{}.zip\"", e.login.replace(['"', '\\'], ""));
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, filename),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
