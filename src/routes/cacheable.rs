//! Every cacheable GET/HEAD (feeds, headlines, widgets, OPML, pages) is
//! answered by [`serve`]: the cache, the conditional decision, freshness
//! headers and the body in the encoding the client accepts, in one place.

use std::sync::Arc;

use actix_web::http::header::{self, AcceptEncoding, Header, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::cache::{Encoding, Rendered};
use crate::conditional::{self, Outcome, Preconditions, Validators};
use crate::config::Config;
use crate::domain::{Scope, SurrogateKey, SurrogateKeys};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::DbConnection;

/// How long a cache in front may serve a stale copy when syndic fails.
const STALE_IF_ERROR_SECONDS: u32 = 86_400;

/// Answers `req` with the rendering cached at `key` for `scope`, or with a
/// new one made by `render` on the blocking pool (and kept, filed under the
/// surrogate keys `keys` names): `304` when the client's copy is current,
/// else `200` with the body.
pub async fn serve<F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    key: String,
    scope: Scope,
    keys: &[SurrogateKey],
    render: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Rendered, ApiError> + Send + 'static,
{
    let rendered = match state.cache.get(&key, &scope, state.clock.now()) {
        Some(hit) => {
            state.metrics.cache_hits.inc();
            hit
        }
        None => {
            state.metrics.cache_misses.inc();
            // Read before querying: a write landing meanwhile leaves the entry stale.
            let version = state.cache.version(&scope);
            let timer = state.metrics.render_seconds.start_timer();
            let mut rendered = state.db.read(render).await?;
            timer.observe_duration();
            rendered.keys = SurrogateKeys::new(keys);
            let rendered = Arc::new(rendered);
            state.cache.put(key, version, rendered.clone());
            rendered
        }
    };
    Ok(respond(req, &rendered, state))
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn respond(req: &HttpRequest, rendered: &Rendered, state: &AppState) -> HttpResponse {
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
    set_cache_headers(&mut response, &validators, &state.config);
    response
        .insert_header(("surrogate-key", rendered.keys.surrogate_key.as_str()))
        .insert_header(("cache-tag", rendered.keys.cache_tag.as_str()));
    if outcome == Outcome::Fresh {
        return response.finish();
    }
    let accepted = AcceptEncoding::parse(req).unwrap_or(AcceptEncoding(Vec::new()));
    let (encoding, body) = rendered.encoded(Encoding::negotiate(&accepted));
    if let Some(value) = encoding.header_value() {
        response.insert_header((header::CONTENT_ENCODING, value));
    }
    response
        .insert_header((header::CONTENT_TYPE, rendered.content_type))
        .body(body)
}

fn set_cache_headers(response: &mut HttpResponseBuilder, validators: &Validators, config: &Config) {
    let max_age = config.max_age;
    // A shared cache that is purged on change may keep a copy far longer.
    let shared = config
        .cdn_max_age
        .map_or_else(String::new, |n| format!(", s-maxage={n}"));
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
                "public, max-age={max_age}{shared}, stale-while-revalidate={max_age}, stale-if-error={STALE_IF_ERROR_SECONDS}"
            ),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
}
