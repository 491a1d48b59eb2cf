//! Thin HTTP handlers, grouped by resource; the URL table is `configure`.

mod articles;
mod auth;
mod body;
mod cacheable;
mod cached;
mod categories;
mod feeds;
mod health;
mod pages;
mod partner;

pub use feeds::{feed_url, FeedFormat, SITE_FEED};

use actix_web::http::Method;
use actix_web::{web, HttpResponse};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::DbConnection;

/// Every route of the service. Shared by `startup::run` and the tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health::live)))
        .service(resource("/readyz").route(web::get().to(health::ready)))
        .service(resource("/metrics").route(web::get().to(health::metrics)))
        .service(
            resource("/feeds/{feed}")
                .route(web::get().to(feeds::show))
                .route(web::head().to(feeds::show)),
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
                .route(web::get().to(pages::index))
                .route(web::head().to(pages::index)),
        )
        .service(
            resource("/categories/{slug}")
                .route(web::get().to(pages::category))
                .route(web::head().to(pages::category)),
        )
        .service(
            resource("/api/v1/categories")
                .route(web::get().to(categories::list))
                .route(web::post().to(categories::create)),
        )
        .service(
            resource("/api/v1/categories/{slug}")
                .route(web::get().to(categories::show))
                .route(web::put().to(categories::replace))
                .route(web::delete().to(categories::delete)),
        )
        .service(
            resource("/api/v1/articles")
                .route(web::get().to(articles::list))
                .route(web::post().to(articles::create)),
        )
        .service(resource("/api/v1/articles/batch").route(web::post().to(articles::batch)))
        .service(
            resource("/api/v1/articles/by-external-id/{external_id}")
                .route(web::get().to(articles::show_by_external_id))
                .route(web::put().to(articles::upsert)),
        )
        .service(
            resource("/api/v1/articles/{id}")
                .route(web::get().to(articles::show))
                .route(web::patch().to(articles::patch))
                .route(web::delete().to(articles::delete)),
        )
        .default_service(web::to(not_found));
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

/// Runs store code on the blocking pool with a pooled connection, so the event
/// loop never waits on the database.
pub(crate) async fn with_db<T, F>(state: &AppState, query: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    state.metrics.database_calls.inc();
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        query(&mut conn)
    })
    .await?
}

/// Like `with_db` for writes: afterwards the change log is read so this
/// process's cached responses for the touched scopes are dropped at once.
pub(crate) async fn write_db<T, F>(state: &web::Data<AppState>, write: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &dyn Clock) -> Result<T, ApiError> + Send + 'static,
{
    state.metrics.database_calls.inc();
    let state = state.clone();
    web::block(move || {
        let mut conn = state.pool.get()?;
        let result = write(&mut conn, state.clock.as_ref());
        if let Err(error) = state.watcher.sync(&mut conn, &state.cache) {
            tracing::warn!(%error, "reading the change log failed; dropping every cached response");
            state.cache.invalidate_all();
        }
        result
    })
    .await?
}
