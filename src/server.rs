//! From configuration to a running server: the state, the actix App with
//! its middleware and routes, and the background workers beside it.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::rt::task::JoinHandle;
use actix_web::{web, App, HttpServer};
use tokio::sync::watch;

use crate::cache::{ChangeWatcher, ResponseCache};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::routes;
use crate::state::{AppState, Db};
use crate::store;
use crate::workers::{changes, outbox};

/// Bodies the response cache may hold, compressed forms included.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// How long shutdown waits for a WebSub round in progress (a hub's answer
/// is awaited at most 10 s).
const PUBLISHER_GRACE: Duration = Duration::from_secs(12);

/// Start-up failed before the server could listen.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database")]
    Connect(#[from] store::ConnectError),
    #[error("cannot get a database connection")]
    Pool(#[from] r2d2::Error),
    #[error("migrations failed")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("metrics could not be registered")]
    Metrics(#[from] prometheus::Error),
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    #[error("site settings could not be recorded")]
    Settings(#[from] store::WriteError),
}

/// Connections per process; SQLite serializes writers anyway, PostgreSQL
/// nodes share the server's limit.
const POOL_SIZE: u32 = 16;

/// Connects, applies migrations, and records the site settings.
pub fn prepare(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, StartupError> {
    let pool = store::connect_pool(&config.database_url, POOL_SIZE)?;
    let mut conn = pool.get()?;
    store::run_migrations(&mut conn).map_err(StartupError::Migrate)?;
    if store::record_site_fingerprint(&mut conn, clock.as_ref(), &site_fingerprint(&config))? {
        tracing::info!(
            "site settings changed since the last start; every feed's Last-Modified moves"
        );
    }
    if !config.websub_hubs.is_empty() || !config.purge_targets.is_empty() {
        outbox::enqueue_changes(&mut conn, clock.as_ref(), &config)?;
    }
    let watcher = Arc::new(ChangeWatcher::new(&mut conn, clock.clone())?);
    drop(conn);
    let cache = Arc::new(ResponseCache::new(CACHE_BYTES));
    let metrics = Arc::new(Metrics::new()?);
    Ok(AppState {
        db: Db::new(
            pool,
            clock.clone(),
            cache.clone(),
            watcher.clone(),
            metrics.clone(),
        ),
        config: Arc::new(config),
        cache,
        watcher,
        metrics,
        clock,
    })
}

/// Everything in the configuration that shows in a response body; when it
/// differs from the last start, that counts as a change to every feed.
fn site_fingerprint(config: &Config) -> String {
    let site = &config.site;
    let hubs: Vec<&str> = config.websub_hubs.iter().map(|h| h.as_str()).collect();
    let parts = serde_json::json!([
        site.title,
        site.url.as_str(),
        site.language,
        site.default_copyright,
        site.icon.as_ref().map(|url| url.as_str()),
        site.logo.as_ref().map(|url| url.as_str()),
        config.base_url.as_str(),
        hubs,
        config.max_age,
        config.default_items,
        config.tombstone_period.map(|p| p.num_days()),
        config.opml_tags,
    ]);
    parts.to_string()
}

/// A server listening, with the background tasks that keep its cache and
/// the WebSub outbox moving.
pub struct RunningServer {
    server: Server,
    /// Only read the database: stopped at any point.
    readers: Vec<JoinHandle<()>>,
    /// Sends WebSub pings: asked to stop, then given time to record the
    /// outcome of the round in progress.
    publisher: JoinHandle<()>,
    stop_publishing: watch::Sender<bool>,
}

impl RunningServer {
    /// Stops it from elsewhere (`stop(true)`: finish the requests in flight).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, by the handle or by SIGINT/SIGTERM (which
    /// stop accepting, finish the requests in flight, then return), and
    /// then ends the background tasks.
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self.server.await;
        for task in self.readers {
            task.abort();
        }
        let _ = self.stop_publishing.send(true);
        if actix_web::rt::time::timeout(PUBLISHER_GRACE, self.publisher)
            .await
            .is_err()
        {
            tracing::warn!("WebSub round still running at shutdown; its pings will be sent again");
        }
        result
    }
}

/// Serves `state` on `listener`: call within an actix system, then
/// [`RunningServer::wait`].
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<RunningServer> {
    let state = web::Data::new(state);
    let readers = vec![
        actix_web::rt::spawn(changes::follow(state.clone())),
        actix_web::rt::spawn(changes::listen(state.clone())),
    ];
    let (stop_publishing, stopped) = watch::channel(false);
    let publisher = actix_web::rt::spawn(outbox::publish(state.clone(), stopped));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::bad_parameter("query", error.to_string()).into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|error, _| ApiError::NotFound(error.to_string()).into()),
            )
            .wrap(Compress::default())
            // No response of syndic's is to be sniffed into another type.
            .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
            .wrap_fn(move |req, service| {
                let started = Instant::now();
                let method = req.method().clone();
                let path = req.path().to_owned();
                let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
                let response = service.call(req);
                async move {
                    let response = response.await?;
                    let status = response.status().as_u16();
                    let elapsed = started.elapsed();
                    if let Some(metrics) = metrics {
                        metrics.observe_request(&route, status, elapsed.as_secs_f64());
                    }
                    tracing::info!(%method, %path, %route, status, micros = elapsed.as_micros() as u64, "request");
                    Ok(response)
                }
            })
            .configure(|cfg| routes::configure(cfg, &state.config))
    })
    // Without it, keep-alive responses can wait ~40 ms on delayed ACKs.
    .tcp_nodelay(true)
    .listen(listener)?
    .run();
    Ok(RunningServer {
        server,
        readers,
        publisher,
        stop_publishing,
    })
}
