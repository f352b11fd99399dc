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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
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
