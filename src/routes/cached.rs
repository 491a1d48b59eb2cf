//! The response cache in front of rendering, for the partner and directory
//! responses: a hit costs no query; a miss renders on the blocking pool and
//! keeps the result for the scope's current version.

use std::sync::Arc;

use actix_web::web;

use super::with_db;
use crate::cache::{Rendered, Scope};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::DbConnection;

/// The cached rendering at `key`, or a new one made by `render`.
pub(super) async fn get_or_render<F>(
    state: &web::Data<AppState>,
    key: String,
    scope: Scope,
    render: F,
) -> Result<Arc<Rendered>, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Rendered, ApiError> + Send + 'static,
{
    if let Some(hit) = state.cache.get(&key, scope, state.clock.now()) {
        state.metrics.cache_hits.inc();
        return Ok(hit);
    }
    state.metrics.cache_misses.inc();
    // Read before querying: a write landing meanwhile leaves the entry stale.
    let version = state.cache.version(scope);
    let timer = state.metrics.render_seconds.start_timer();
    let rendered = Arc::new(with_db(state, render).await?);
    timer.observe_duration();
    state.cache.put(key, version, rendered.clone());
    Ok(rendered)
}
