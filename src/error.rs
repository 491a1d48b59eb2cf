//! The one error type of the HTTP layer, answered as `application/problem+json`
//! (RFC 9457).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::domain::FieldError;
use crate::store::{DbError, WriteError};

/// Whether a full disk was reported and no write has succeeded since.
static DISK_FULL: AtomicBool = AtomicBool::new(false);

/// A write succeeded: a later full disk is a new episode, logged again.
pub fn disk_has_room() {
    if DISK_FULL.swap(false, Ordering::AcqRel) {
        tracing::info!("writes succeed again: the disk has room");
    }
}

/// What a `503` tells the client to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "1";

/// Everything a request can fail with. Each variant picks its status in
/// `status_code`, with no catch-all arm.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON (or could not be read).
    #[error("malformed JSON: {0}")]
    MalformedJson(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A query or path parameter has a bad value.
    #[error("bad parameter {name}: {message}")]
    BadParameter { name: String, message: String },
    /// No bearer token, or one that is unknown or revoked.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// Nothing at this URL.
    #[error("{0}")]
    NotFound(String),
    /// The URL exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The write conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the limit for this call.
    #[error("body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body has a content type this call does not take.
    #[error("content type must be {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// The body is well-formed but its values are not acceptable.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The database could not answer.
    #[error(transparent)]
    Database(#[from] DbError),
    /// An HTML page's template failed.
    #[error("a page could not be rendered")]
    Render(#[from] askama::Error),
    /// A bug: the service is wired wrong.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_parameter(name: &str, message: impl Into<String>) -> Self {
        Self::BadParameter {
            name: name.to_owned(),
            message: message.into(),
        }
    }

    /// A short identifier of the problem type, used in its `type` URI.
    fn kind(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed-json",
            Self::BadParameter { .. } => "bad-parameter",
            Self::Unauthorized => "unauthorized",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UnsupportedMediaType { .. } => "unsupported-media-type",
            Self::Validation(_) => "validation-failed",
            Self::Database(DbError::Unavailable(_)) => "unavailable",
            Self::Database(DbError::Busy(_)) => "busy",
            Self::Database(DbError::Full(_)) => "insufficient-storage",
            Self::Database(_) | Self::Render(_) | Self::Internal(_) => "internal-error",
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::UnknownCategory { field, slug } => {
                Self::validation(&field, format!("unknown category {slug:?}"))
            }
            WriteError::Invalid(errors) => Self::Validation(errors),
            WriteError::ExternalIdTaken(_)
            | WriteError::SlugTaken(_)
            | WriteError::TokenNameTaken(_)
            | WriteError::CategoryNotEmpty(_) => Self::Conflict(error.to_string()),
            WriteError::Db(error) => Self::Database(error),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::from(error))
    }
}

/// `error` and every `source()` under it, joined by ": ", for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Database(DbError::Unavailable(_) | DbError::Busy(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Database(DbError::Full(_)) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Database(_) | Self::Render(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            // Internal details go to the log, not to the client.
            // Logged once per episode: every write fails alike until space is freed.
            Self::Database(DbError::Full(_)) => {
                if !DISK_FULL.swap(true, Ordering::AcqRel) {
                    tracing::error!(error = %error_chain(self), "disk full: writes fail until space is freed");
                }
                format!("{self}; writes fail until the operator frees space")
            }
            // Passing conditions: the client may retry (Retry-After).
            Self::Database(DbError::Busy(_) | DbError::Unavailable(_)) => {
                tracing::warn!(error = %error_chain(self), "request refused for now");
                format!("{self}; try again shortly")
            }
            Self::Database(_) | Self::Render(_) | Self::Internal(_) => {
                tracing::error!(error = %error_chain(self), "request failed");
                "the request could not be completed; see the server log".to_owned()
            }
            _ => self.to_string(),
        };
        let mut body = json!({
            "type": format!("urn:syndic:problem:{}", self.kind()),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
        });
        if let Self::Validation(errors) = self {
            body["errors"] = json!(errors);
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Contention and a full pool pass within moments.
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if matches!(self, Self::Unauthorized) {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"syndic\""),
            ));
        }
        response.body(body.to_string())
    }
}
