//! The JSON body rules of the write API, set on each resource: the media
//! types a call takes (`415` otherwise, checked before the body is read),
//! its size limit (`413`) and `400` for a body that does not parse, through
//! actix's `JsonConfig`; all answered as problem+json.
//!
//! The media type is checked here because actix takes every `+json` type
//! as JSON, and a JSON Patch sent to a merge-patch call must be refused.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

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

/// The body rules of a resource whose calls take `accepts`, up to `limit` bytes.
pub fn json_body(accepts: Accepts, limit: usize) -> web::JsonConfig {
    // The media type is checked by `require` before the body is read.
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _| {
            let refused = match error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge { limit },
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
                    expected: accepts.expected(),
                },
                JsonPayloadError::Deserialize(error) => ApiError::MalformedJson(Box::new(error)),
                other => ApiError::MalformedJson(other.to_string().into()),
            };
            refused.into()
        })
}

async fn require(
    accepts: Accepts,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let media_type = req.mime_type().ok().flatten();
    if !media_type.is_some_and(|m| accepts.allows(m.essence_str())) {
        return Err(ApiError::UnsupportedMediaType {
            expected: accepts.expected(),
        }
        .into());
    }
    next.call(req).await
}

/// Middleware of write routes that take `application/json` only.
pub async fn json_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    require(Accepts::Json, req, next).await
}

/// Middleware of write routes that take a JSON merge patch (or JSON).
pub async fn merge_patch(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    require(Accepts::MergePatch, req, next).await
}
