//! From configuration to a running server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpServer};

use crate::config::Config;
use crate::error::ApiError;
use crate::store::{self, DbPool};
use crate::{demo, routes};

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
}

/// Start-up failed before the server could listen.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] store::ConnectError),
    #[error("cannot get a database connection: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migrations failed: {0}")]
    Migrate(Box<dyn std::error::Error + Send + Sync>),
    #[error("demo content could not be created: {0}")]
    Demo(String),
}

/// Connections per process; SQLite serializes writers anyway, PostgreSQL
/// nodes share the server's limit.
const POOL_SIZE: u32 = 16;

/// Connects, applies migrations and, with `--demo`, fills an empty database.
pub fn prepare(config: Config) -> Result<AppState, StartupError> {
    let pool = store::connect_pool(&config.database_url, POOL_SIZE)?;
    let mut conn = pool.get()?;
    store::run_migrations(&mut conn).map_err(StartupError::Migrate)?;
    if config.demo && demo::fill_if_empty(&mut conn).map_err(StartupError::Demo)? {
        tracing::info!("demo content created");
    }
    drop(conn);
    Ok(AppState {
        pool,
        config: Arc::new(config),
    })
}

/// Serves `state` on `listener` until shut down (SIGINT/SIGTERM finish the
/// requests in flight first).
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let state = web::Data::new(state);
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
            .wrap_fn(|req, service| {
                let started = Instant::now();
                let method = req.method().clone();
                let path = req.path().to_owned();
                let response = service.call(req);
                async move {
                    let response = response.await?;
                    tracing::info!(
                        %method,
                        %path,
                        status = response.status().as_u16(),
                        micros = started.elapsed().as_micros() as u64,
                        "request"
                    );
                    Ok(response)
                }
            })
            .configure(routes::configure)
    })
    .listen(listener)?
    .run();
    Ok(server)
}
