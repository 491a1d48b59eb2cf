//! Follows the change log so that writes from this process, from `syndic
//! import` on the same SQLite file, or from other nodes on the same
//! PostgreSQL reach the response cache.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::{DateTime, Utc};

use crate::cache::ResponseCache;
use crate::clock::Clock;
use crate::conditional;
use crate::metrics::Metrics;
use crate::store::{self, DatabaseUrl, DbConnection};

/// The newest change this process has applied to its cache, and when it
/// last read the change log.
pub struct ChangeWatcher {
    last_seen: Mutex<i64>,
    /// When (this node's clock, microseconds) the last successful read of
    /// the change log began: every change committed before then is in the
    /// cache's versions.
    read_at: AtomicI64,
    clock: Arc<dyn Clock>,
}

impl ChangeWatcher {
    /// Starts after everything already in the log (the cache starts empty).
    pub fn new(conn: &mut DbConnection, clock: Arc<dyn Clock>) -> diesel::QueryResult<Self> {
        let started = clock.now();
        Ok(Self {
            last_seen: Mutex::new(store::last_change_sequence(conn)?),
            read_at: AtomicI64::new(started.timestamp_micros()),
            clock,
        })
    }

    /// Reads changes committed since the last call and invalidates what they
    /// touched. Cheap when nothing changed: one indexed query.
    pub fn sync(&self, conn: &mut DbConnection, cache: &ResponseCache) -> diesel::QueryResult<()> {
        let Ok(mut last_seen) = self.last_seen.lock() else {
            cache.invalidate_all();
            return Ok(());
        };
        // Read before the query: whatever commits later is for the next read.
        let started = self.clock.now();
        let (newest, touched) = store::changes_since(conn, *last_seen)?;
        cache.invalidate(&touched);
        *last_seen = newest;
        self.read_at
            .fetch_max(started.timestamp_micros(), Ordering::AcqRel);
        Ok(())
    }

    /// Up to when this node knows every change (see
    /// [`conditional::confirmed_until`]).
    pub fn confirmed_until(&self) -> DateTime<Utc> {
        let read_at = DateTime::from_timestamp_micros(self.read_at.load(Ordering::Acquire))
            .unwrap_or_default();
        conditional::confirmed_until(self.clock.now(), read_at)
    }
}

/// How often the listening connection is checked for notifications that
/// have arrived (a non-blocking read, no query).
const NOTIFICATION_POLL: Duration = Duration::from_millis(50);
/// How often the listening connection is proven alive with a query: a
/// connection that died silently would otherwise just stay quiet.
const LIVENESS_CHECK: Duration = Duration::from_secs(10);
/// Longest wait between attempts to reconnect.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// On PostgreSQL, keeps a dedicated connection listening for the
/// notifications every committed write sends, and applies the change log as
/// soon as one arrives: a write through any node reaches this node's cache
/// in milliseconds rather than at the next once-a-second poll. After a
/// reconnect the whole cache is dropped, since notifications may have been
/// missed meanwhile. Returns at once on SQLite. Runs until the server stops.
pub async fn listen_for_notifications(
    database_url: DatabaseUrl,
    watcher: Arc<ChangeWatcher>,
    cache: Arc<ResponseCache>,
    metrics: Arc<Metrics>,
) {
    if !matches!(database_url, DatabaseUrl::Postgres(_)) {
        return;
    }
    let mut delay = Duration::from_millis(250);
    let mut connected_before = false;
    loop {
        let url = database_url.clone();
        let connected = web::block(move || -> Result<DbConnection, String> {
            let mut conn = store::establish(&url).map_err(|e| e.to_string())?;
            store::listen_for_changes(&mut conn).map_err(|e| e.to_string())?;
            Ok(conn)
        })
        .await
        .map_err(|e| e.to_string());
        match connected {
            Ok(Ok(conn)) => {
                delay = Duration::from_millis(250);
                // The first connection catches up through the change log;
                // after a loss, notifications may have been missed.
                if connected_before {
                    cache.invalidate_all();
                    metrics.change_listener_reconnects.inc();
                    tracing::info!("change notifications reconnected; response cache flushed");
                }
                connected_before = true;
                let error = follow_notifications(conn, &watcher, &cache, &metrics).await;
                tracing::warn!(%error, "change notifications lost; reconnecting");
            }
            Ok(Err(error)) | Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "cannot listen for change notifications");
                actix_web::rt::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

/// Applies the change log whenever a notification arrives, until the
/// connection fails; returns the failure.
async fn follow_notifications(
    mut conn: DbConnection,
    watcher: &Arc<ChangeWatcher>,
    cache: &Arc<ResponseCache>,
    metrics: &Arc<Metrics>,
) -> String {
    // Whatever was committed before LISTEN took effect.
    let mut notified = true;
    let mut last_check = Instant::now();
    loop {
        let check_alive = last_check.elapsed() >= LIVENESS_CHECK;
        if check_alive {
            last_check = Instant::now();
        }
        let (watcher, cache) = (watcher.clone(), cache.clone());
        let round = web::block(move || {
            let result = poll_once(&mut conn, notified, check_alive, &watcher, &cache);
            (conn, result)
        })
        .await
        .map_err(|e| e.to_string());
        match round {
            Ok((returned, Ok(received))) => {
                conn = returned;
                if received {
                    metrics.change_notifications.inc();
                }
            }
            Ok((_, Err(error))) => return error.to_string(),
            Err(error) => return error,
        }
        notified = false;
        actix_web::rt::time::sleep(NOTIFICATION_POLL).await;
    }
}

/// One look at the listening connection; true when notifications had come.
fn poll_once(
    conn: &mut DbConnection,
    already_notified: bool,
    check_alive: bool,
    watcher: &ChangeWatcher,
    cache: &ResponseCache,
) -> diesel::QueryResult<bool> {
    if check_alive {
        store::ping(conn)?;
    }
    let received = store::take_change_notifications(conn)?;
    if received || already_notified {
        watcher.sync(conn, cache)?;
    }
    Ok(received)
}
