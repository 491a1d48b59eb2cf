//! `/feeds/{all|category}.{rss|atom|json}` and
//! `/feeds/{tags|authors|sources}/{value}.{rss|atom|json}`: paged feeds.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::cacheable;
use super::query::{parse_limit, parse_page};
use crate::cache::Rendered;
use crate::domain::{
    AbsoluteUrl, Category, Facet, FacetKind, FeedFormat, FeedName, Scope, SurrogateKey,
};
use crate::error::ApiError;
use crate::render::{self, Feed, FeedLinks};
use crate::state::AppState;
use crate::store::{self, FeedPage};

/// Query of a feed URL; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    limit: Option<String>,
    page: Option<String>,
}

/// A feed request, parsed and checked.
struct FeedRequest {
    name: FeedName,
    format: FeedFormat,
    category: Option<Category>,
    limit: i64,
    /// `limit` was given, so links keep it.
    explicit_limit: bool,
    page: i64,
}

impl FeedRequest {
    fn scope(&self) -> Scope {
        match (&self.name, &self.category) {
            (FeedName::Facet(facet), _) => Scope::Facet(facet.clone()),
            (_, Some(category)) => Scope::Category(category.id),
            (_, None) => Scope::Site,
        }
    }

    /// What a cache in front files this feed under.
    fn surrogate_keys(&self) -> Vec<SurrogateKey> {
        match (&self.name, &self.category) {
            (FeedName::Facet(facet), _) => vec![SurrogateKey::Facet(facet.clone())],
            (_, Some(category)) => vec![SurrogateKey::Category(category.slug.clone())],
            (_, None) => vec![SurrogateKey::Site],
        }
    }

    /// The feed's URL for `page` (`None`: the URL as requested).
    fn url(&self, base: &AbsoluteUrl, page: Option<i64>) -> String {
        let mut url = self.name.url(base, self.format);
        let mut query = Vec::new();
        if self.explicit_limit {
            query.push(format!("limit={}", self.limit));
        }
        match page.unwrap_or(self.page) {
            1 => {}
            n => query.push(format!("page={n}")),
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// `/feeds/{all|category}.{format}`
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    feed: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = parse(&state, &feed, &query).await?;
    respond(req, state, request).await
}

/// `/feeds/{tags|authors|sources}/{value}.{format}`: the path segment is the
/// stored value, percent-decoded, matched exactly.
pub async fn show_facet(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let (kind, feed) = path.into_inner();
    let unknown = || ApiError::NotFound(format!("no feed {kind}/{feed}"));
    let kind = FacetKind::from_path_segment(&kind).ok_or_else(unknown)?;
    let (value, extension) = feed.rsplit_once('.').ok_or_else(unknown)?;
    let format = FeedFormat::from_extension(extension).ok_or_else(unknown)?;
    let facet = Facet::new(kind, value).ok_or_else(unknown)?;
    let (limit, page) = parse_paging(&state, &query)?;
    let request = FeedRequest {
        name: FeedName::Facet(facet),
        format,
        category: None,
        limit,
        explicit_limit: query.limit.is_some(),
        page,
    };
    respond(req, state, request).await
}

async fn respond(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: FeedRequest,
) -> Result<HttpResponse, ApiError> {
    let config = &state.config;
    let key = request.url(&config.base_url, None);
    let self_link = request.url(&config.base_url, Some(1));
    let scope = request.scope();
    let (rendering, clock) = (state.clone(), state.clock.clone());
    let keys = request.surrogate_keys();
    let mut response = cacheable::serve(&req, &state, key, scope, &keys, move |conn| {
        // Read after the version the result is stored under: a category
        // renamed meanwhile leaves the entry stale, never wrong.
        let categories = rendering.categories_blocking(conn)?;
        let category = match &request.category {
            None => None,
            Some(looked_up) => Some(
                categories
                    .iter()
                    .find(|c| c.id == looked_up.id)
                    .cloned()
                    .ok_or_else(|| ApiError::NotFound("no such category".to_owned()))?,
            ),
        };
        let offset = (request.page - 1) * request.limit;
        // Deleted entries belong to the first page.
        let tombstones = rendering
            .config
            .tombstone_period
            .filter(|_| request.page == 1);
        let page = store::feed_page(
            conn,
            &request.scope(),
            clock.now(),
            offset,
            request.limit,
            tombstones,
        )?;
        render_feed(&rendering, &request, category.as_ref(), &categories, page)
    })
    .await?;
    // WebSub discovery (RFC 8288 links) on every answer, 304 included.
    let headers = response.headers_mut();
    let links = std::iter::once(format!("<{self_link}>; rel=\"self\"")).chain(
        config
            .websub_hubs
            .iter()
            .map(|hub| format!("<{hub}>; rel=\"hub\"")),
    );
    for link in links {
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            headers.append(header::LINK, value);
        }
    }
    Ok(response)
}

/// The feed named by the path and query, or why there is none.
async fn parse(state: &AppState, feed: &str, query: &FeedQuery) -> Result<FeedRequest, ApiError> {
    let unknown = || ApiError::NotFound(format!("no feed {feed:?}"));
    let (name, extension) = feed.rsplit_once('.').ok_or_else(unknown)?;
    let format = FeedFormat::from_extension(extension).ok_or_else(unknown)?;
    let name = FeedName::parse(name).ok_or_else(unknown)?;
    let (limit, page) = parse_paging(state, query)?;
    let category = match &name {
        FeedName::Category(slug) => Some(state.category(slug).await?.ok_or_else(unknown)?),
        FeedName::Site | FeedName::Facet(_) => None,
    };
    Ok(FeedRequest {
        name,
        format,
        category,
        limit,
        explicit_limit: query.limit.is_some(),
        page,
    })
}

/// `limit` and `page` from the query, checked.
fn parse_paging(state: &AppState, query: &FeedQuery) -> Result<(i64, i64), ApiError> {
    let config = &state.config;
    let limit = parse_limit(
        query.limit.as_deref(),
        config.default_items,
        config.max_items,
    )?;
    Ok((limit, parse_page(query.page.as_deref())?))
}

/// Renders one page (on the blocking pool); a page past the last is `404`.
fn render_feed(
    state: &AppState,
    request: &FeedRequest,
    category: Option<&Category>,
    categories: &[Category],
    page: FeedPage,
) -> Result<Rendered, ApiError> {
    let config = &state.config;
    let last_page = ((page.total + request.limit - 1) / request.limit).max(1);
    if request.page > last_page {
        return Err(ApiError::NotFound(format!(
            "page {} is past the last page, {last_page}",
            request.page
        )));
    }
    let hubs: Vec<String> = config.websub_hubs.iter().map(ToString::to_string).collect();
    let page_url = |n: i64| request.url(&config.base_url, Some(n));
    let facet = match &request.name {
        FeedName::Facet(facet) => Some(facet),
        FeedName::Site | FeedName::Category(_) => None,
    };
    let feed = Feed {
        site: &config.site,
        category,
        facet,
        deleted: &page.deleted,
        categories,
        items: &page.items,
        links: FeedLinks {
            self_url: request.url(&config.base_url, None),
            alternate: config.site.url.to_string(),
            first: page_url(1),
            last: page_url(last_page),
            next: (request.page < last_page).then(|| page_url(request.page + 1)),
            previous: (request.page > 1).then(|| page_url(request.page - 1)),
        },
        hubs: &hubs,
        updated: page.updated,
        ttl_minutes: config.max_age.div_ceil(60),
    };
    let body = match request.format {
        FeedFormat::Rss => render::rss(&feed),
        FeedFormat::Atom => render::atom(&feed),
        FeedFormat::Json => render::json_feed(&feed),
    };
    Ok(Rendered::new(
        request.format.content_type(),
        body,
        page.updated,
        page.valid_until,
    ))
}
