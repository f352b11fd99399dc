//! A JSON extractor whose rejections are [`ApiError`]s (Indonesian message, machine code),
//! instead of axum's plain-text ones.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Read as a document first so that every text in it is checked for control characters
        // (issue 17: a NUL stored in SQLite fails a whole PostgreSQL batch later).
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rej) => return Err(json_rejection(rej)),
        };
        refuse_control_chars(&value, "")?;
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError::unprocessable("invalid_field", format!("Isian tidak valid: {e}")))
    }
}

/// Whether `c` may appear in free text: anything printable, plus line breaks and tabs.
fn allowed(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// Refuses a document with a control character (NUL, ESC, …) in any string or key, naming the
/// field, so nothing stored can break an export, a terminal or a batch commit.
pub fn refuse_control_chars(v: &serde_json::Value, path: &str) -> Result<(), ApiError> {
    let bad = |field: &str| {
        ApiError::unprocessable(
            "control_characters",
            format!("Isian '{field}' memuat karakter kendali yang tidak diizinkan."),
        )
        .with_details(serde_json::json!({"field": field}))
    };
    match v {
        serde_json::Value::String(s) if !s.chars().all(allowed) => Err(bad(if path.is_empty() { "-" } else { path })),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, x)| refuse_control_chars(x, &format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, x)| {
            let field = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            if !k.chars().all(allowed) {
                return Err(bad("-"));
            }
            refuse_control_chars(x, &field)
        }),
        _ => Ok(()),
    }
}

pub fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Permintaan harus berformat JSON (Content-Type: application/json).",
        ),
        JsonRejection::JsonDataError(e) => {
            ApiError::unprocessable("invalid_field", format!("Isian tidak valid: {}", e.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request("invalid_json", "Format JSON tidak valid."),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => ApiError::bad_request("bad_request", format!("Permintaan tidak valid: {}", other.body_text())),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Ukuran data yang dikirim terlalu besar.")
}
