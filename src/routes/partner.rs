//! Partner endpoints: `/api/v1/headlines` (JSON) and the widgets
//! `/embed/{category}.js` and `/embed/{category}.html`, cacheable and
//! conditional like the feeds, readable from other origins (CORS).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;

use super::cacheable;
use super::query::parse_limit;
use crate::cache::Rendered;
use crate::config::{Config, CorsOrigins};
use crate::domain::{Category, Scope, Slug, SurrogateKey};
use crate::error::ApiError;
use crate::render::{self, Headlines};
use crate::state::AppState;
use crate::store::{self, DbConnection};
use chrono::{DateTime, Utc};

/// Headlines a widget shows when the request names no `limit` (at most the
/// configured maximum).
pub const DEFAULT_HEADLINES: u32 = 10;

/// How long a browser may keep a preflight answer, seconds.
const PREFLIGHT_MAX_AGE: &str = "86400";

/// Query of `/api/v1/headlines`; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub struct HeadlinesQuery {
    category: Option<String>,
    limit: Option<String>,
}

/// Query of `/embed/…`; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub struct EmbedQuery {
    limit: Option<String>,
}

/// `GET /api/v1/headlines?category=SLUG&limit=N`. `category` is required:
/// headlines are always one category's (the site-wide list is the feeds').
pub async fn headlines(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HeadlinesQuery>,
) -> HttpResponse {
    let response = async {
        let raw = query.category.as_deref().filter(|s| !s.is_empty());
        let raw = raw.ok_or_else(|| {
            ApiError::bad_parameter("category", "is required: the slug of a category")
        })?;
        let limit = widget_limit(&state.config, query.limit.as_deref())?;
        let category = find_category(&state, raw).await?;
        let key = state.config.base_url.join(&format!(
            "api/v1/headlines?category={}&limit={limit}",
            category.slug
        ));
        serve_widget(&req, &state, key.to_string(), category, limit, Widget::Json).await
    }
    .await;
    with_cors(&req, &state.config, response)
}

/// `GET /embed/{category}.js` and `/embed/{category}.html`.
pub async fn embed(
    req: HttpRequest,
    state: web::Data<AppState>,
    file: web::Path<String>,
    query: web::Query<EmbedQuery>,
) -> HttpResponse {
    let response = async {
        let unknown = || ApiError::NotFound(format!("no widget {file:?}", file = file.as_str()));
        let (name, extension) = file.rsplit_once('.').ok_or_else(unknown)?;
        let widget = match extension {
            "js" => Widget::Script,
            "html" => Widget::Page,
            _ => return Err(unknown()),
        };
        let limit = widget_limit(&state.config, query.limit.as_deref())?;
        let category = find_category(&state, name).await?;
        let key = state.config.base_url.join(&format!(
            "embed/{}.{extension}?limit={limit}",
            category.slug
        ));
        let mut response =
            serve_widget(&req, &state, key.to_string(), category, limit, widget).await?;
        if widget == Widget::Page {
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                frame_policy(&state.config.cors_origins),
            );
        }
        Ok(response)
    }
    .await;
    with_cors(&req, &state.config, response)
}

/// `OPTIONS` on the partner endpoints: the CORS preflight (and a plain
/// `OPTIONS` answer).
pub async fn preflight(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let response = HttpResponse::NoContent()
        .insert_header((header::ALLOW, "GET, HEAD, OPTIONS"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Accept, If-None-Match, If-Modified-Since",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
        .finish();
    with_cors(&req, &state.config, Ok(response))
}

/// Which document a headlines request renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Widget {
    Json,
    Script,
    Page,
}

/// `widget` for `category` at `key`, from the cache or rendered.
async fn serve_widget(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    key: String,
    category: Category,
    limit: i64,
    widget: Widget,
) -> Result<HttpResponse, ApiError> {
    let (config, clock) = (state.config.clone(), state.clock.clone());
    let scope = Scope::Category(category.id);
    let keys = vec![SurrogateKey::Category(category.slug.clone())];
    cacheable::serve(req, state, key, scope, &keys, move |conn| {
        render_headlines(conn, &config, clock.now(), &category.slug, limit, widget)
    })
    .await
}

/// Queries the category's live headlines and renders `widget` (on the
/// blocking pool). The category is read again here, so the body and the
/// cache version it is stored under agree.
fn render_headlines(
    conn: &mut DbConnection,
    config: &Config,
    now: DateTime<Utc>,
    slug: &Slug,
    limit: i64,
    widget: Widget,
) -> Result<Rendered, ApiError> {
    if widget == Widget::Script {
        // The script holds only the headlines URL: it changes with the site
        // settings and the category's existence, not with its articles.
        let listing =
            store::category_listing(conn, slug)?.ok_or_else(|| no_category(slug.as_str()))?;
        let (category, updated) = (listing.category, listing.updated);
        let source = config.base_url.join(&format!(
            "api/v1/headlines?category={}&limit={limit}",
            category.slug
        ));
        let body = render::embed_script(source.as_str());
        return Ok(Rendered::new(
            "text/javascript; charset=utf-8",
            body,
            updated,
            None,
        ));
    }
    let category = store::find_category(conn, slug)?.ok_or_else(|| no_category(slug.as_str()))?;
    let page = store::feed_page(conn, &Scope::Category(category.id), now, 0, limit, None)?;
    let headlines = Headlines {
        site: &config.site,
        category: &category,
        items: &page.items,
    };
    let (content_type, body) = match widget {
        Widget::Page => ("text/html; charset=utf-8", render::embed_page(&headlines)?),
        Widget::Json | Widget::Script => ("application/json", render::headlines_json(&headlines)),
    };
    Ok(Rendered::new(
        content_type,
        body,
        page.updated,
        page.valid_until,
    ))
}

fn widget_limit(config: &Config, raw: Option<&str>) -> Result<i64, ApiError> {
    parse_limit(
        raw,
        DEFAULT_HEADLINES.min(config.max_items),
        config.max_items,
    )
}

/// The category named `raw`, from the cached list.
async fn find_category(state: &AppState, raw: &str) -> Result<Category, ApiError> {
    let slug = Slug::parse(raw).map_err(|_| no_category(raw))?;
    state.category(&slug).await?.ok_or_else(|| no_category(raw))
}

fn no_category(raw: &str) -> ApiError {
    ApiError::NotFound(format!("no category {raw:?}"))
}

/// The response (errors too, as problem+json) with the CORS headers: `*`
/// when any origin may read, else the request's `Origin` when it is listed,
/// with `Vary: Origin` since the answer then depends on it.
pub(super) fn with_cors(
    req: &HttpRequest,
    config: &Config,
    response: Result<HttpResponse, ApiError>,
) -> HttpResponse {
    let mut response = response.unwrap_or_else(|error| error.error_response());
    let allowed = allowed_origin(req, &config.cors_origins);
    let headers = response.headers_mut();
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Last-Modified"),
        );
    }
    if matches!(config.cors_origins, CorsOrigins::List(_)) {
        let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
            Some(existing) if !existing.is_empty() => format!("{existing}, Origin"),
            _ => "Origin".to_owned(),
        };
        if let Ok(value) = HeaderValue::from_str(&vary) {
            headers.insert(header::VARY, value);
        }
    }
    response
}

/// `Access-Control-Allow-Origin` for this request, if it may read.
fn allowed_origin(req: &HttpRequest, origins: &CorsOrigins) -> Option<HeaderValue> {
    match origins {
        CorsOrigins::Any => Some(HeaderValue::from_static("*")),
        CorsOrigins::List(list) => {
            let origin = req.headers().get(header::ORIGIN)?;
            let text = origin.to_str().ok()?;
            list.iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(text))
                .then(|| origin.clone())
        }
    }
}

/// The iframe page's policy: no script, no request but images, framed by
/// the partner origins (any, unless a list is configured).
fn frame_policy(origins: &CorsOrigins) -> HeaderValue {
    let ancestors = match origins {
        CorsOrigins::Any => "*".to_owned(),
        CorsOrigins::List(list) if list.is_empty() => "'none'".to_owned(),
        CorsOrigins::List(list) => list.join(" "),
    };
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_policy_names_the_configured_origins() {
        let any = frame_policy(&CorsOrigins::Any);
        assert!(any.to_str().expect("ascii").ends_with("frame-ancestors *"));
        let list = frame_policy(&CorsOrigins::List(vec![
            "https://a.example".into(),
            "https://b.example".into(),
        ]));
        let text = list.to_str().expect("ascii");
        assert!(text.contains("default-src 'none'"));
        assert!(text.ends_with("frame-ancestors https://a.example https://b.example"));
    }
}
