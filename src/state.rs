//! What every handler and background worker can reach, and [`Db`]: the one
//! way to run a query off the event loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use crate::cache::{ChangeWatcher, ResponseCache};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{Category, Slug};
use crate::metrics::Metrics;
use crate::store::{self, DbConnection, DbError, DbPool, PooledConnection};

/// How long a request waits for a connection while the database is known
/// to be unreachable.
const OUTAGE_WAIT: Duration = Duration::from_millis(500);

/// The service's shared state.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Rendered responses, invalidated by scope.
    pub cache: Arc<ResponseCache>,
    /// Follows the change log into the cache.
    pub watcher: Arc<ChangeWatcher>,
    pub metrics: Arc<Metrics>,
    /// The time, for change times, Last-Modified, schedules and expiry.
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Every category, from the cache when none changed.
    pub async fn categories(&self) -> Result<Arc<Vec<Category>>, DbError> {
        if let Some(categories) = self.cache.categories() {
            return Ok(categories);
        }
        let cache = self.cache.clone();
        self.db
            .query(move |conn| cache.categories_or_load(|| store::list_categories(conn)))
            .await
    }

    /// Every category, for code already on the blocking pool with a
    /// connection: what a rendering reads after the cache version it will be
    /// stored under, so that its names are at least that new.
    pub fn categories_blocking(
        &self,
        conn: &mut DbConnection,
    ) -> diesel::QueryResult<Arc<Vec<Category>>> {
        self.cache
            .categories_or_load(|| store::list_categories(conn))
    }

    /// The category with this slug, if any (from the cached list).
    pub async fn category(&self, slug: &Slug) -> Result<Option<Category>, DbError> {
        let categories = self.categories().await?;
        Ok(categories.iter().find(|c| &c.slug == slug).cloned())
    }
}

/// The database as the async code sees it: a pool, and after every write a
/// read of the change log so this node's cache drops what the write touched.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    /// Set when a connection could not be had, cleared when one could: while
    /// set, callers wait [`OUTAGE_WAIT`] for a connection, not the pool's
    /// full timeout, so a database outage answers `503` at once.
    unreachable: Arc<AtomicBool>,
    clock: Arc<dyn Clock>,
    cache: Arc<ResponseCache>,
    watcher: Arc<ChangeWatcher>,
    metrics: Arc<Metrics>,
    /// Told after every write, so the outbox sends its pings and purges at
    /// once rather than at its next round.
    outbox_wake: Arc<tokio::sync::Notify>,
}

impl Db {
    pub fn new(
        pool: DbPool,
        clock: Arc<dyn Clock>,
        cache: Arc<ResponseCache>,
        watcher: Arc<ChangeWatcher>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            pool,
            unreachable: Arc::new(AtomicBool::new(false)),
            clock,
            cache,
            watcher,
            metrics,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Notified after every write (a permit is kept if nobody waits).
    pub fn outbox_wake(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_wake.clone()
    }

    /// Runs store queries with a pooled connection on the blocking pool, so
    /// the event loop never waits on the database.
    pub async fn query<T, F>(&self, query: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> diesel::QueryResult<T> + Send + 'static,
    {
        self.read(move |conn| Ok(query(conn)?)).await
    }

    /// Like [`Db::query`] for work with an error type of its own (a
    /// renderer's, a worker's).
    pub async fn read<T, E, F>(&self, read: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.metrics.database_calls.inc();
        let db = self.clone();
        Self::off_the_event_loop(move || {
            let mut conn = db.connection()?;
            read(&mut conn)
        })
        .await
    }

    /// Like [`Db::read`] for writes, given the clock change times come
    /// from; afterwards the change log is read so that this node's cached
    /// responses for the touched scopes are dropped before it answers.
    pub async fn write<T, E, F>(&self, write: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection, &dyn Clock) -> Result<T, E> + Send + 'static,
    {
        self.metrics.database_calls.inc();
        let db = self.clone();
        Self::off_the_event_loop(move || {
            let mut conn = db.connection()?;
            let result = write(&mut conn, db.clock.as_ref());
            if result.is_ok() {
                crate::error::disk_has_room();
            }
            db.sync_changes(&mut conn);
            if result.is_ok() {
                db.outbox_wake.notify_one();
            }
            result
        })
        .await
    }

    /// The one place database work leaves the event loop (also for the
    /// change listener's own connection, which is not pooled).
    pub async fn off_the_event_loop<T, E, F>(work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        web::block(work).await.map_err(|_| DbError::Cancelled)?
    }

    /// A pooled connection: waiting the pool's timeout normally, only
    /// [`OUTAGE_WAIT`] while the database is known to be unreachable.
    fn connection(&self) -> Result<PooledConnection, DbError> {
        let outage = self.unreachable.load(Ordering::Acquire);
        self.connection_within(outage.then_some(OUTAGE_WAIT))
    }

    /// Like [`Db::connection`], waiting at most `wait` (`None`: the pool's
    /// timeout). A failure marks the database unreachable only when the
    /// pool could not open a connection (r2d2 then appends the engine's
    /// error), not when every connection was merely busy.
    fn connection_within(&self, wait: Option<Duration>) -> Result<PooledConnection, DbError> {
        let outage = self.unreachable.load(Ordering::Acquire);
        let got = match wait {
            Some(wait) => self.pool.get_timeout(wait),
            None => self.pool.get(),
        };
        match got {
            Ok(conn) => {
                if outage {
                    self.unreachable.store(false, Ordering::Release);
                    tracing::info!("the database answers again");
                }
                Ok(conn)
            }
            Err(error) => {
                let cannot_connect = error.to_string().contains(": ");
                if cannot_connect && !self.unreachable.swap(true, Ordering::AcqRel) {
                    tracing::warn!(%error, "the database is unreachable; answering from the cache");
                }
                Err(error.into())
            }
        }
    }

    /// Applies changes committed since the last read to the cache; if the
    /// log cannot be read, drops every cached response rather than serve
    /// one that may be stale.
    pub fn sync_changes(&self, conn: &mut DbConnection) {
        if let Err(error) = self.watcher.sync(conn, &self.cache) {
            tracing::warn!(%error, "reading the change log failed; dropping every cached response");
            self.cache.invalidate_all();
        }
    }

    /// Reads the change log into the cache (the once-a-second poll). Not
    /// counted in `database_calls`, which counts the requests' calls.
    pub async fn follow_changes(&self) -> Result<(), DbError> {
        let db = self.clone();
        Self::off_the_event_loop(move || {
            // A short wait: this read runs every second, so it notices an
            // outage before most requests do.
            let mut conn = db.connection_within(Some(2 * OUTAGE_WAIT))?;
            Ok(db.watcher.sync(&mut conn, &db.cache)?)
        })
        .await
    }

    /// A connection for work that holds one for long (the change listener
    /// opens its own; this is for rounds of the background workers).
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }
}
