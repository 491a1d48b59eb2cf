//! Answers for cacheable GET/HEAD responses (feeds, headlines, embeds,
//! OPML): validators, freshness headers, conditional `304`, and the body in
//! the encoding the client accepts, compressed once and kept.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::cache::{Encoding, Rendered};
use crate::conditional::{self, Outcome, Preconditions, Validators};
use crate::config::Config;
use crate::startup::AppState;

/// How long a cache in front may serve a stale copy when syndic fails.
const STALE_IF_ERROR_SECONDS: u32 = 86_400;

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `304` when the client's copy is current, else `200` with the body.
/// `links` go out as `Link` headers (WebSub `self` and `hub`).
pub fn respond(
    req: &HttpRequest,
    rendered: &Rendered,
    state: &AppState,
    links: &[(String, &str)],
) -> HttpResponse {
    let config = &state.config;
    let validators = Validators {
        etag: rendered.etag.clone(),
        last_modified: conditional::last_modified(
            rendered.updated,
            state.watcher.confirmed_until(),
        ),
    };
    let preconditions = Preconditions {
        if_none_match: header_str(req, header::IF_NONE_MATCH),
        if_modified_since: header_str(req, header::IF_MODIFIED_SINCE),
    };
    let outcome = conditional::evaluate(preconditions, &validators);
    let mut response = match outcome {
        Outcome::Fresh => HttpResponse::NotModified(),
        Outcome::Stale => HttpResponse::Ok(),
    };
    set_cache_headers(&mut response, &validators, config);
    for (target, relation) in links {
        response.append_header((header::LINK, format!("<{target}>; rel=\"{relation}\"")));
    }
    if outcome == Outcome::Fresh {
        return response.finish();
    }
    let encoding = Encoding::negotiate(header_str(req, header::ACCEPT_ENCODING));
    if let Some(value) = encoding.header_value() {
        response.insert_header((header::CONTENT_ENCODING, value));
    }
    response
        .insert_header((header::CONTENT_TYPE, rendered.content_type))
        .body(rendered.encoded(encoding))
}

fn set_cache_headers(response: &mut HttpResponseBuilder, validators: &Validators, config: &Config) {
    let max_age = config.max_age;
    if let Some(last_modified) = validators.last_modified {
        response.insert_header((
            header::LAST_MODIFIED,
            conditional::format_http_date(last_modified),
        ));
    }
    response
        .insert_header((header::ETAG, format!("W/\"{}\"", validators.etag)))
        .insert_header((
            header::CACHE_CONTROL,
            format!(
                "public, max-age={max_age}, stale-while-revalidate={max_age}, stale-if-error={STALE_IF_ERROR_SECONDS}"
            ),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
}
