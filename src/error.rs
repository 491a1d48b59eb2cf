//! The one error type of the HTTP layer, answered as `application/problem+json`
//! (RFC 9457).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::domain::FieldError;
use crate::store::WriteError;

/// Everything a request can fail with. Each variant picks its status in
/// `status_code`, with no catch-all arm.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
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
    /// A database query failed.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// No database connection could be had.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
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
            Self::Database(_) | Self::Internal(_) => "internal-error",
            Self::Unavailable(_) => "unavailable",
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
            WriteError::Query(error) => Self::Database(error),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Internal(error.to_string())
    }
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
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            // Internal details go to the log, not to the client.
            Self::Database(_) | Self::Internal(_) | Self::Unavailable(_) => {
                tracing::error!(error = %self, "request failed");
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
        if matches!(self, Self::Unauthorized) {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"syndic\""),
            ));
        }
        response.body(body.to_string())
    }
}
