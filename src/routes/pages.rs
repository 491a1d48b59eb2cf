//! The directory of feeds: `/feeds.opml`, the index page `/` and the
//! category pages `/categories/{slug}`, cacheable and conditional like the
//! feeds.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use super::cacheable::respond;
use super::cached::get_or_render;
use super::feeds::categories;
use crate::cache::{Rendered, Scope};
use crate::config::Config;
use crate::domain::Slug;
use crate::error::ApiError;
use crate::render::{self, Directory};
use crate::startup::AppState;
use crate::store::{self, DbConnection};

/// The pages' policy: their own inline style, nothing else, never framed.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
    let config = state.config.clone();
    let rendered = get_or_render(&state, key, Scope::Site, move |conn| {
        render_directory(conn, &config, document)
    })
    .await?;
    let mut response = respond(&req, &rendered, &state, &[]);
    if document == Document::Index {
        secure_page(&mut response);
    }
    Ok(response)
}

/// `GET /categories/{slug}`: one category's feeds and partner snippets.
pub async fn category(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unknown = || ApiError::NotFound(format!("no category {slug:?}", slug = slug.as_str()));
    let parsed = Slug::parse(&slug).map_err(|_| unknown())?;
    let categories = categories(&state).await?;
    let category = categories
        .iter()
        .find(|c| c.slug == parsed)
        .ok_or_else(unknown)?;
    let key = state
        .config
        .base_url
        .join(&format!("categories/{}", category.slug))
        .to_string();
    let config = state.config.clone();
    let rendered = get_or_render(&state, key, Scope::Category(category.id), move |conn| {
        render_category_page(conn, &config, &parsed)
    })
    .await?;
    let mut response = respond(&req, &rendered, &state, &[]);
    secure_page(&mut response);
    Ok(response)
}

/// Reads the categories and when their list last changed, and renders.
fn render_directory(
    conn: &mut DbConnection,
    config: &Config,
    document: Document,
) -> Result<Rendered, ApiError> {
    let categories = store::list_categories(conn)?;
    let first = store::first_change_at(conn)?;
    let changed = store::last_category_list_change_at(conn)?;
    let newest_category = categories.iter().map(|c| c.updated_at).max();
    let updated = changed.max(newest_category).unwrap_or_default();
    let directory = Directory {
        site: &config.site,
        base_url: &config.base_url,
        categories: &categories,
        created: first.unwrap_or(updated),
        updated,
    };
    Ok(match document {
        Document::Opml => Rendered::new(
            "text/x-opml; charset=utf-8",
            render::opml(&directory),
            updated,
            None,
        ),
        Document::Index => Rendered::new(
            "text/html; charset=utf-8",
            render::index_page(&directory),
            updated,
            None,
        ),
    })
}

fn render_category_page(
    conn: &mut DbConnection,
    config: &Config,
    slug: &Slug,
) -> Result<Rendered, ApiError> {
    let category = store::find_category(conn, slug)?
        .ok_or_else(|| ApiError::NotFound(format!("no category {:?}", slug.as_str())))?;
    let site_changed = store::last_site_wide_change_at(conn)?;
    let updated = site_changed
        .max(Some(category.updated_at))
        .unwrap_or_default();
    let categories = [category];
    let directory = Directory {
        site: &config.site,
        base_url: &config.base_url,
        categories: &categories,
        created: updated,
        updated,
    };
    Ok(Rendered::new(
        "text/html; charset=utf-8",
        render::category_page(&directory, &categories[0]),
        updated,
        None,
    ))
}

fn secure_page(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
