//! The directory of feeds: `/feeds.opml`, the index page `/` and the
//! category pages `/categories/{slug}`, cacheable and conditional like the
//! feeds.

use actix_web::{web, HttpRequest, HttpResponse};

use super::cacheable;
use crate::cache::Rendered;
use crate::config::Config;
use crate::domain::{Scope, Slug, SurrogateKey};
use crate::error::ApiError;
use crate::render::{self, Directory};
use crate::state::AppState;
use crate::store::{self, CategoryListing, DirectoryListing};

/// The pages' policy: their own inline style, nothing else, never framed
/// (set on their resources by `DefaultHeaders`, see `routes::configure`).
pub(super) const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Which directory document to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Document {
    Opml,
    Index,
}

/// `GET /feeds.opml`: every feed, site-wide and per category.
pub async fn opml(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    show_directory(req, state, Document::Opml).await
}

/// `GET /`: the index of categories and their feeds.
pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    show_directory(req, state, Document::Index).await
}

async fn show_directory(
    req: HttpRequest,
    state: web::Data<AppState>,
    document: Document,
) -> Result<HttpResponse, ApiError> {
    let path = match document {
        Document::Opml => "feeds.opml",
        Document::Index => "",
    };
    let key = state.config.base_url.join(path).to_string();
    let (config, clock) = (state.config.clone(), state.clock.clone());
    // With tags listed, which ones depends on every article.
    let keys = match config.opml_tags {
        0 => vec![SurrogateKey::Directory],
        _ => vec![SurrogateKey::Directory, SurrogateKey::Site],
    };
    cacheable::serve(&req, &state, key, Scope::Site, &keys, move |conn| {
        let listing = store::directory(conn, clock.now(), config.opml_tags)?;
        render_directory(&config, listing, document)
    })
    .await
}

/// `GET /categories/{slug}`: one category's feeds and partner snippets.
pub async fn category(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unknown = || ApiError::NotFound(format!("no category {slug:?}", slug = slug.as_str()));
    let parsed = Slug::parse(&slug).map_err(|_| unknown())?;
    let category = state.category(&parsed).await?.ok_or_else(unknown)?;
    let key = state
        .config
        .base_url
        .join(&format!("categories/{}", category.slug))
        .to_string();
    let config = state.config.clone();
    let scope = Scope::Category(category.id);
    let keys = vec![
        SurrogateKey::Directory,
        SurrogateKey::Category(category.slug.clone()),
    ];
    cacheable::serve(&req, &state, key, scope, &keys, move |conn| {
        let listing = store::category_listing(conn, &parsed)?.ok_or_else(unknown_category)?;
        render_category_page(&config, listing)
    })
    .await
}

/// Renders the OPML file or the index page.
fn render_directory(
    config: &Config,
    listing: DirectoryListing,
    document: Document,
) -> Result<Rendered, ApiError> {
    let directory = Directory {
        site: &config.site,
        base_url: &config.base_url,
        categories: &listing.categories,
        tags: &listing.tags,
        created: listing.created,
        updated: listing.updated,
    };
    let (content_type, body) = match document {
        Document::Opml => ("text/x-opml; charset=utf-8", render::opml(&directory)),
        Document::Index => ("text/html; charset=utf-8", render::index_page(&directory)?),
    };
    Ok(Rendered::new(
        content_type,
        body,
        listing.updated,
        listing.valid_until,
    ))
}

fn render_category_page(config: &Config, listing: CategoryListing) -> Result<Rendered, ApiError> {
    let categories = [listing.category];
    let directory = Directory {
        site: &config.site,
        base_url: &config.base_url,
        categories: &categories,
        tags: &[],
        created: listing.updated,
        updated: listing.updated,
    };
    Ok(Rendered::new(
        "text/html; charset=utf-8",
        render::category_page(&directory, &categories[0])?,
        listing.updated,
        None,
    ))
}

/// A category that went away between the lookup and the query.
fn unknown_category() -> ApiError {
    ApiError::NotFound("no such category".to_owned())
}
