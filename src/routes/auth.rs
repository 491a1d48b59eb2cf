//! Bearer-token authentication for the write API.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::domain::hash_token;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::find_token_name;

/// A request that carried a valid token. Taking it as a handler argument makes
/// the handler require one; it is checked against the database on every
/// request, so a revoked token fails at once.
#[derive(Debug)]
pub struct Writer {
    /// Name the token was created under.
    #[allow(dead_code)]
    pub token_name: String,
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for Writer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized)?;
            let state = state.ok_or_else(|| ApiError::Internal("no application state"))?;
            let hash = hash_token(&token);
            let name = state
                .db
                .query(move |conn| find_token_name(conn, &hash))
                .await?;
            name.map(|token_name| Writer { token_name })
                .ok_or(ApiError::Unauthorized)
        })
    }
}
