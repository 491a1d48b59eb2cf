//! `/api/v1/articles`: every call needs a token (drafts live here).

use std::collections::HashSet;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Writer;
use super::query::parse_limit;
use crate::domain::{
    is_representable, merge_patch, Article, ArticleJson, ArticleStatus, ExternalId, FieldError,
    NewArticle, Slug,
};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{self, ArticleCursor, ArticleFilter, Upserted};

/// A page of the article listing.
#[derive(Serialize)]
struct ArticlePage<'a> {
    items: Vec<ArticleJson<'a>>,
    next_cursor: Option<String>,
}

/// Most articles in one batch call.
pub const MAX_BATCH_ARTICLES: usize = 1000;

fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("no article {raw:?}")))
}

fn article_not_found(id: impl std::fmt::Display) -> ApiError {
    ApiError::NotFound(format!("no article {id}"))
}

fn location(state: &AppState, article: &Article) -> String {
    state
        .config
        .base_url
        .join(&format!("api/v1/articles/{}", article.id))
        .to_string()
}

pub async fn create(
    _writer: Writer,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewArticle::from_json(&body).map_err(ApiError::Validation)?;
    let article = state
        .db
        .write(move |conn, clock| store::insert_article(conn, clock, &new))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location(&state, &article)))
        .json(article.to_json()))
}

pub async fn show(
    _writer: Writer,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let found = state
        .db
        .query(move |conn| store::find_article(conn, id))
        .await?;
    let article = found.ok_or_else(|| article_not_found(id))?;
    Ok(HttpResponse::Ok().json(article.to_json()))
}

pub async fn show_by_external_id(
    _writer: Writer,
    state: web::Data<AppState>,
    external_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = external_id.into_inner();
    // No stored article has a key that does not parse (PostgreSQL would
    // even fail on a NUL in the query), so such a key finds nothing.
    let parsed = ExternalId::parse(&key)
        .map_err(|_| article_not_found(format!("with external_id {key:?}")))?;
    let found = state
        .db
        .query(move |conn| store::find_article_by_external_id(conn, parsed.as_str()))
        .await?;
    let article = found.ok_or_else(|| article_not_found(format!("with external_id {key:?}")))?;
    Ok(HttpResponse::Ok().json(article.to_json()))
}

/// JSON merge patch (RFC 7396) over the article's JSON form, validated as a
/// whole and applied in the same transaction that reads the article.
pub async fn patch(
    _writer: Writer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let patch = body.into_inner();
    if !patch.is_object() {
        return Err(ApiError::validation(
            "",
            "a merge patch for an article must be a JSON object",
        ));
    }
    let updated = state
        .db
        .write(move |conn, clock| {
            store::update_article(conn, clock, id, |existing| {
                let mut document = serde_json::to_value(existing.to_json())
                    .map_err(|e| vec![FieldError::new("", e.to_string())])?;
                merge_patch(&mut document, &patch);
                NewArticle::from_json(&document)
            })
        })
        .await?;
    let article = updated.ok_or_else(|| article_not_found(id))?;
    Ok(HttpResponse::Ok().json(article.to_json()))
}

pub async fn delete(
    _writer: Writer,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    if state
        .db
        .write(move |conn, clock| store::delete_article(conn, clock, id))
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(article_not_found(id))
    }
}

/// Idempotent upsert: `201` when the article is new, `200` after.
pub async fn upsert(
    _writer: Writer,
    state: web::Data<AppState>,
    external_id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let key = external_id.into_inner();
    let mut body = body.into_inner();
    if let Value::Object(object) = &mut body {
        match object.get("external_id") {
            None | Some(Value::Null) => {
                object.insert("external_id".into(), Value::String(key.clone()));
            }
            Some(given) if given.as_str() == Some(key.as_str()) => {}
            Some(_) => {
                return Err(ApiError::validation(
                    "external_id",
                    "differs from the external_id in the URL",
                ))
            }
        }
    }
    let new = NewArticle::from_json(&body).map_err(ApiError::Validation)?;
    let (article, outcome) = state
        .db
        .write(move |conn, clock| store::upsert_article(conn, clock, &new))
        .await?;
    let mut response = match outcome {
        Upserted::Created => HttpResponse::Created(),
        Upserted::Updated => HttpResponse::Ok(),
    };
    Ok(response
        .insert_header((header::LOCATION, location(&state, &article)))
        .json(article.to_json()))
}

/// All-or-nothing upsert of up to 1000 articles by `external_id`.
pub async fn batch(
    _writer: Writer,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let articles = parse_batch(&body).map_err(ApiError::Validation)?;
    let outcomes = state
        .db
        .write(move |conn, clock| store::upsert_articles(conn, clock, &articles))
        .await?;
    let items: Vec<Value> = outcomes
        .iter()
        .map(|(article, outcome)| {
            json!({
                "external_id": article.fields.external_id.as_ref().map(|e| e.as_str()),
                "id": article.id,
                "status": match outcome {
                    Upserted::Created => "created",
                    Upserted::Updated => "updated",
                },
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

fn parse_batch(body: &Value) -> Result<Vec<NewArticle>, Vec<FieldError>> {
    let Value::Array(items) = body else {
        return Err(vec![FieldError::new(
            "",
            "must be a JSON array of articles",
        )]);
    };
    if items.len() > MAX_BATCH_ARTICLES {
        return Err(vec![FieldError::new(
            "",
            format!(
                "at most {MAX_BATCH_ARTICLES} articles per batch, got {}",
                items.len()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut articles = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let prefix = format!("[{index}]");
        match NewArticle::from_json(item) {
            Ok(article) => {
                match &article.fields.external_id {
                    None => errors.push(FieldError::new(
                        format!("{prefix}.external_id"),
                        "is required in a batch",
                    )),
                    Some(key) if !seen.insert(key.clone()) => errors.push(FieldError::new(
                        format!("{prefix}.external_id"),
                        "appears twice in the batch",
                    )),
                    Some(_) => {}
                }
                articles.push(article);
            }
            Err(item_errors) => errors.extend(item_errors.into_iter().map(|e| e.prefixed(&prefix))),
        }
    }
    if errors.is_empty() {
        Ok(articles)
    } else {
        Err(errors)
    }
}

/// Query of `GET /api/v1/articles`; values are checked by hand for clear errors.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn encode_cursor(article: &Article) -> String {
    let raw = format!("{}.{}", article.published_at.timestamp_micros(), article.id);
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(raw: &str) -> Option<ArticleCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (micros, id) = text.split_once('.')?;
    // A time no article can have is not one this service issued, and
    // PostgreSQL rejects some of them outright.
    let published_at =
        DateTime::from_timestamp_micros(micros.parse().ok()?).filter(|t| is_representable(*t))?;
    Some(ArticleCursor {
        published_at,
        id: id.parse().ok()?,
    })
}

pub async fn list(
    _writer: Writer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let config = &state.config;
    let limit = parse_limit(
        query.limit.as_deref(),
        config.default_items,
        config.max_items,
    )?;
    let status = query
        .status
        .as_deref()
        .map(ArticleStatus::parse)
        .transpose()
        .map_err(|m| ApiError::bad_parameter("status", m))?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|raw| {
            decode_cursor(raw).ok_or_else(|| {
                ApiError::bad_parameter("cursor", "is not a cursor this service issued")
            })
        })
        .transpose()?;
    let category = query
        .category
        .as_deref()
        .map(|raw| Slug::parse(raw).map_err(|m| ApiError::bad_parameter("category", m)))
        .transpose()?;
    let category_id = match category {
        None => None,
        Some(slug) => Some(
            state
                .category(&slug)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no category {:?}", slug.as_str())))?
                .id,
        ),
    };
    let filter = ArticleFilter {
        category_id,
        status,
    };
    // One more than asked tells whether a next page exists.
    let page = state
        .db
        .query(move |conn| store::list_articles(conn, &filter, cursor, limit + 1))
        .await?;
    let has_more = page.len() as i64 > limit;
    let shown = &page[..page.len().min(limit as usize)];
    let next_cursor = if has_more {
        shown.last().map(encode_cursor)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(ArticlePage {
        items: shown.iter().map(Article::to_json).collect(),
        next_cursor,
    }))
}
