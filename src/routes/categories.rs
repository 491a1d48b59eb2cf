//! `/api/v1/categories`: reads are public, writes need a token.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::auth::Writer;
use crate::domain::{Category, CategoryFields, CategoryJson, Slug};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store;

/// Every category.
#[derive(Serialize)]
struct CategoryList<'a> {
    items: Vec<CategoryJson<'a>>,
}

/// A slug from the path; anything that is not a slug names no category.
fn path_slug(raw: &str) -> Result<Slug, ApiError> {
    Slug::parse(raw).map_err(|_| ApiError::NotFound(format!("no category {raw:?}")))
}

fn category_not_found(slug: &Slug) -> ApiError {
    ApiError::NotFound(format!("no category {slug:?}", slug = slug.as_str()))
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let categories = state.db.query(store::list_categories).await?;
    Ok(HttpResponse::Ok().json(CategoryList {
        items: categories.iter().map(Category::to_json).collect(),
    }))
}

pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?;
    let found = state
        .db
        .query({
            let slug = slug.clone();
            move |conn| store::find_category(conn, &slug)
        })
        .await?;
    let category = found.ok_or_else(|| category_not_found(&slug))?;
    Ok(HttpResponse::Ok().json(category.to_json()))
}

pub async fn create(
    _writer: Writer,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (slug, fields) = CategoryFields::from_json(&body).map_err(ApiError::Validation)?;
    let slug = slug.ok_or_else(|| ApiError::validation("slug", "is required"))?;
    let category = state
        .db
        .write(move |conn, clock| store::create_category(conn, clock, &slug, &fields))
        .await?;
    let location = state
        .config
        .base_url
        .join(&format!("api/v1/categories/{}", category.slug));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location.as_str()))
        .json(category.to_json()))
}

pub async fn replace(
    _writer: Writer,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?;
    let body = body.into_inner();
    let (body_slug, fields) = CategoryFields::from_json(&body).map_err(ApiError::Validation)?;
    if body_slug.is_some_and(|s| s != slug) {
        return Err(ApiError::validation(
            "slug",
            "differs from the slug in the URL; slugs cannot be renamed",
        ));
    }
    let updated = state
        .db
        .write({
            let slug = slug.clone();
            move |conn, clock| store::update_category(conn, clock, &slug, &fields)
        })
        .await?;
    let category = updated.ok_or_else(|| category_not_found(&slug))?;
    Ok(HttpResponse::Ok().json(category.to_json()))
}

pub async fn delete(
    _writer: Writer,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?;
    let deleted = state
        .db
        .write({
            let slug = slug.clone();
            move |conn, clock| store::delete_category(conn, clock, &slug)
        })
        .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(category_not_found(&slug))
    }
}
