//! `/feeds/{all|category}.{rss|atom|json}`: paged feeds, served from the
//! response cache when nothing in their scope changed.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::articles::parse_limit;
use super::cacheable::respond;
use super::with_db;
use crate::cache::{Rendered, Scope};
use crate::domain::{Category, Slug};
use crate::error::ApiError;
use crate::render::{self, Feed, FeedLinks};
use crate::startup::AppState;
use crate::store::{self, DbConnection, FeedScope};

/// The name of the site-wide feed.
pub const SITE_FEED: &str = "all";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    pub const ALL: [Self; 3] = [Self::Rss, Self::Atom, Self::Json];

    fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "rss" => Some(Self::Rss),
            "atom" => Some(Self::Atom),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Rss => "rss",
            Self::Atom => "atom",
            Self::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Query of a feed URL; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    limit: Option<String>,
    page: Option<String>,
}

/// A feed request, parsed and checked.
struct FeedRequest {
    /// `all` or the category slug.
    name: String,
    format: FeedFormat,
    category: Option<Category>,
    limit: i64,
    /// `limit` as given, kept in links.
    explicit_limit: bool,
    page: i64,
}

impl FeedRequest {
    fn scope(&self) -> FeedScope {
        self.category
            .as_ref()
            .map_or(FeedScope::Site, |c| FeedScope::Category(c.id))
    }

    fn cache_scope(&self) -> Scope {
        self.category
            .as_ref()
            .map_or(Scope::Site, |c| Scope::Category(c.id))
    }

    /// The feed's URL for `page` (`None`: the URL as requested).
    fn url(&self, base: &crate::domain::AbsoluteUrl, page: Option<i64>) -> String {
        let mut url = feed_url(base, &self.name, self.format);
        let mut query = Vec::new();
        if self.explicit_limit {
            query.push(format!("limit={}", self.limit));
        }
        match page {
            Some(1) => {}
            Some(n) => query.push(format!("page={n}")),
            None if self.page > 1 => query.push(format!("page={}", self.page)),
            None => {}
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// The URL of the first page of feed `name` (`all` or a category slug).
pub fn feed_url(base: &crate::domain::AbsoluteUrl, name: &str, format: FeedFormat) -> String {
    // The base ends with '/' and the name is "all" or a slug, so plain
    // concatenation is a valid URL; this runs on every poll.
    format!("{base}feeds/{name}.{}", format.extension())
}

fn parse_page(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw.map(str::parse::<u32>) {
        None => Ok(1),
        Some(Ok(page)) if page >= 1 => Ok(i64::from(page)),
        Some(_) => Err(ApiError::bad_parameter("page", "must be an integer from 1")),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    feed: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let unknown = || ApiError::NotFound(format!("no feed {feed:?}", feed = feed.as_str()));
    let (name, extension) = feed.rsplit_once('.').ok_or_else(unknown)?;
    let format = FeedFormat::from_extension(extension).ok_or_else(unknown)?;
    let config = &state.config;
    let limit = parse_limit(
        query.limit.as_deref(),
        config.default_items,
        config.max_items,
    )?;
    let page = parse_page(query.page.as_deref())?;
    let category = if name == SITE_FEED {
        None
    } else {
        let slug = Slug::parse(name).map_err(|_| unknown())?;
        let categories = categories(&state).await?;
        Some(
            categories
                .iter()
                .find(|c| c.slug == slug)
                .cloned()
                .ok_or_else(unknown)?,
        )
    };
    let request = FeedRequest {
        name: name.to_owned(),
        format,
        category,
        limit,
        explicit_limit: query.limit.is_some(),
        page,
    };
    let key = request.url(&config.base_url, None);
    let links = websub_links(&state, &request);
    if let Some(hit) = state
        .cache
        .get(&key, request.cache_scope(), state.clock.now())
    {
        state.metrics.cache_hits.inc();
        return Ok(respond(&req, &hit, &state, &links));
    }
    state.metrics.cache_misses.inc();
    let version = state.cache.version(request.cache_scope());
    // Item category names come from the cached list, not another query.
    let all_categories = categories(&state).await?;
    let rendering_state = state.clone();
    let timer = state.metrics.render_seconds.start_timer();
    let rendered = with_db(&state, move |conn| {
        render_feed(conn, &rendering_state, &request, &all_categories)
    })
    .await?;
    timer.observe_duration();
    let rendered = Arc::new(rendered);
    state.cache.put(key, version, rendered.clone());
    Ok(respond(&req, &rendered, &state, &links))
}

/// Every category, from the cache when none changed.
pub(crate) async fn categories(
    state: &web::Data<AppState>,
) -> Result<Arc<Vec<Category>>, ApiError> {
    if let Some(categories) = state.cache.categories() {
        return Ok(categories);
    }
    let version = state.cache.version(Scope::Site);
    let categories = Arc::new(with_db(state, |conn| Ok(store::list_categories(conn)?)).await?);
    state.cache.put_categories(version, categories.clone());
    Ok(categories)
}

fn websub_links(state: &AppState, request: &FeedRequest) -> Vec<(String, &'static str)> {
    let mut links = vec![(request.url(&state.config.base_url, Some(1)), "self")];
    links.extend(
        state
            .config
            .websub_hubs
            .iter()
            .map(|hub| (hub.to_string(), "hub")),
    );
    links
}

/// Queries one page and renders it (on the blocking pool).
fn render_feed(
    conn: &mut DbConnection,
    state: &AppState,
    request: &FeedRequest,
    categories: &[Category],
) -> Result<Rendered, ApiError> {
    let config = &state.config;
    let now = state.clock.now();
    let scope = request.scope();
    let total = store::count_live_articles(conn, scope, now)?;
    let last_page = ((total + request.limit - 1) / request.limit).max(1);
    if request.page > last_page {
        return Err(ApiError::NotFound(format!(
            "page {} is past the last page, {last_page}",
            request.page
        )));
    }
    let items = store::list_live_articles(
        conn,
        scope,
        now,
        (request.page - 1) * request.limit,
        request.limit,
    )?;
    let changed = store::last_changed_at(conn, scope)?;
    let published = store::newest_live_published_at(conn, scope, now)?;
    let updated = changed.max(published).unwrap_or_default();
    let valid_until = store::next_scheduled_at(conn, scope, now)?;

    let hubs: Vec<String> = config.websub_hubs.iter().map(ToString::to_string).collect();
    let page_url = |page: i64| request.url(&config.base_url, Some(page));
    let feed = Feed {
        site: &config.site,
        category: request.category.as_ref(),
        categories,
        items: &items,
        links: FeedLinks {
            self_url: request.url(&config.base_url, None),
            alternate: config.site.url.to_string(),
            first: page_url(1),
            last: page_url(last_page),
            next: (request.page < last_page).then(|| page_url(request.page + 1)),
            previous: (request.page > 1).then(|| page_url(request.page - 1)),
        },
        hubs: &hubs,
        updated,
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
        updated,
        valid_until,
    ))
}
