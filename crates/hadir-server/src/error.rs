//! The one API error type: an HTTP status, a machine-readable code and an Indonesian message
//! a clerk understands. Serialised as `{"error":{"code","message","details"?}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hadir_store::StoreError;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after_secs: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `outside_geofence`.
    pub code: String,
    /// Message in Bahasa Indonesia.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: None, retry_after_secs: None }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Silakan masuk (login) terlebih dahulu.")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Anda tidak berwenang untuk tindakan ini.")
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} tidak ditemukan."))
    }
    pub fn too_many(code: &'static str, message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, code, message);
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }
    pub fn unavailable(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message);
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Terjadi kesalahan pada server. Silakan coba lagi; bila berulang, hubungi admin BKD.",
        )
    }
}

fn field_label(field: &str) -> &str {
    match field {
        "nip" => "NIP",
        "login" | "username" => "Nama pengguna/NIP",
        "device_pin" => "PIN mesin absen",
        "code" => "Kode",
        "sn" => "Nomor seri mesin",
        other => other,
    }
}

/// A request rule's refusal (`hadir_domain::requests`): 422 with its code and Indonesian message.
impl From<hadir_domain::requests::RequestRefusal> for ApiError {
    fn from(r: hadir_domain::requests::RequestRefusal) -> Self {
        ApiError::unprocessable(r.code(), r.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(match what {
                "employee" => "Pegawai",
                "unit" => "Unit kerja",
                "account" => "Akun",
                "role" => "Peran",
                _ => "Data",
            }),
            StoreError::Conflict(field) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", format!("{} sudah terdaftar.", field_label(&field)))
                    .with_details(serde_json::json!({ "field": field }))
            }
            StoreError::Invalid(msg) => ApiError::unprocessable("invalid", format!("Data tidak valid: {msg}")),
            // Handlers map the limits they set to their own answers; this is the fallback.
            StoreError::LimitExceeded { limit, in_use, requested, max } => ApiError::unprocessable(
                "limit_exceeded",
                format!("Batas terlampaui: sudah {in_use}, diminta {requested}, batas {max}."),
            )
            .with_details(serde_json::json!({ "limit": limit, "in_use": in_use, "requested": requested, "max": max })),
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "store failure");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        metrics::counter!("hadir_api_errors_total", "code" => self.code).increment(1);
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, details: self.details },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// One error format for the API (issue 17): rejections made before a handler runs (a query
/// string or path that does not parse, a body over the size limit, a wrong method) come from
/// axum as plain text; they are answered as the same JSON error body as every other 4xx.
pub async fn json_rejections(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return resp;
    }
    let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => {
            ("bad_request", "Permintaan tidak valid: parameter atau alamat tidak sesuai format.")
        }
        StatusCode::NOT_FOUND => ("not_found", "Alamat tidak ditemukan."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Metode permintaan tidak didukung untuk alamat ini."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Ukuran data yang dikirim terlalu besar."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Jenis data yang dikirim tidak didukung."),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_field", "Isian tidak valid."),
        StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "Terlalu banyak permintaan. Coba lagi sebentar lagi."),
        _ => ("bad_request", "Permintaan tidak dapat diproses."),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}
