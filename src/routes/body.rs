//! Reading JSON request bodies with the content-type and size rules of the API.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::ApiError;

/// Which media types a call takes.
#[derive(Debug, Clone, Copy)]
pub enum Accepts {
    /// `application/json`.
    Json,
    /// `application/merge-patch+json` or `application/json`.
    MergePatch,
}

impl Accepts {
    fn allows(self, essence: &str) -> bool {
        match self {
            Self::Json => essence == "application/json",
            Self::MergePatch => {
                matches!(essence, "application/json" | "application/merge-patch+json")
            }
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::MergePatch => "application/merge-patch+json or application/json",
        }
    }
}

/// Reads the body as JSON: `415` for another media type, `413` past `limit`
/// bytes (checked on `Content-Length` first, then while streaming), `400`
/// when it does not parse.
pub async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    accepts: Accepts,
    limit: usize,
) -> Result<Value, ApiError> {
    let media_type = req.mime_type().ok().flatten();
    if !media_type.is_some_and(|m| accepts.allows(m.essence_str())) {
        return Err(ApiError::UnsupportedMediaType {
            expected: accepts.expected(),
        });
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut bytes = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::MalformedJson(Box::new(e)))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(Box::new(e)))
}
