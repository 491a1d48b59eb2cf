//! Thin HTTP handlers, grouped by resource; the URL table is `configure`.

mod articles;
mod auth;
mod body;
pub mod cacheable;
mod categories;
mod feeds;
mod health;
mod pages;
mod partner;
mod query;

use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, HttpResponse};

use body::{json_body, Accepts};

use crate::config::Config;
use crate::error::ApiError;

/// Every route of the service, with the body limits of `config`.
pub fn configure(cfg: &mut web::ServiceConfig, config: &Config) {
    public_routes(cfg);
    write_api(cfg, config);
    cfg.default_service(web::to(not_found));
}

/// What anyone may read: health, feeds, partner widgets, the directory.
fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health::live)))
        .service(resource("/readyz").route(web::get().to(health::ready)))
        .service(resource("/metrics").route(web::get().to(health::metrics)))
        .service(
            resource("/feeds/{feed}")
                .route(web::get().to(feeds::show))
                .route(web::head().to(feeds::show)),
        )
        .service(
            resource("/feeds/{kind}/{feed}")
                .route(web::get().to(feeds::show_facet))
                .route(web::head().to(feeds::show_facet)),
        )
        // Partner widgets and the directory of feeds (issue 5).
        .service(
            resource("/api/v1/headlines")
                .route(web::get().to(partner::headlines))
                .route(web::head().to(partner::headlines))
                .route(web::method(Method::OPTIONS).to(partner::preflight)),
        )
        .service(
            resource("/embed/{file}")
                .route(web::get().to(partner::embed))
                .route(web::head().to(partner::embed))
                .route(web::method(Method::OPTIONS).to(partner::preflight)),
        )
        .service(
            resource("/feeds.opml")
                .route(web::get().to(pages::opml))
                .route(web::head().to(pages::opml)),
        )
        .service(
            resource("/")
                .wrap(page_headers())
                .route(web::get().to(pages::index))
                .route(web::head().to(pages::index)),
        )
        .service(
            resource("/categories/{slug}")
                .wrap(page_headers())
                .route(web::get().to(pages::category))
                .route(web::head().to(pages::category)),
        );
}

/// The JSON API under `/api/v1` (writes and article reads need a token).
fn write_api(cfg: &mut web::ServiceConfig, config: &Config) {
    let article_body = || json_body(Accepts::Json, config.max_article_bytes);
    cfg.service(
        resource("/api/v1/categories")
            .app_data(article_body())
            .route(web::get().to(categories::list))
            .route(
                web::post()
                    .to(categories::create)
                    .wrap(from_fn(body::json_only)),
            ),
    )
    .service(
        resource("/api/v1/categories/{slug}")
            .app_data(article_body())
            .route(web::get().to(categories::show))
            .route(
                web::put()
                    .to(categories::replace)
                    .wrap(from_fn(body::json_only)),
            )
            .route(web::delete().to(categories::delete)),
    )
    .service(
        resource("/api/v1/articles")
            .app_data(article_body())
            .route(web::get().to(articles::list))
            .route(
                web::post()
                    .to(articles::create)
                    .wrap(from_fn(body::json_only)),
            ),
    )
    .service(
        resource("/api/v1/articles/batch")
            .app_data(json_body(Accepts::Json, config.max_batch_bytes))
            .route(
                web::post()
                    .to(articles::batch)
                    .wrap(from_fn(body::json_only)),
            ),
    )
    .service(
        resource("/api/v1/articles/by-external-id/{external_id}")
            .app_data(article_body())
            .route(web::get().to(articles::show_by_external_id))
            .route(
                web::put()
                    .to(articles::upsert)
                    .wrap(from_fn(body::json_only)),
            ),
    )
    .service(
        resource("/api/v1/articles/{id}")
            .app_data(json_body(Accepts::MergePatch, config.max_article_bytes))
            .route(web::get().to(articles::show))
            .route(
                web::patch()
                    .to(articles::patch)
                    .wrap(from_fn(body::merge_patch)),
            )
            .route(web::delete().to(articles::delete)),
    );
}

/// The HTML pages' content security policy, on every answer of theirs.
fn page_headers() -> DefaultHeaders {
    DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, pages::PAGE_POLICY))
}

/// A resource that answers a problem+json 405 to methods it does not route.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed)
    }))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such resource".to_owned()))
}
