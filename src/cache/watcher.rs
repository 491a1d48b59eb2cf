//! What this node knows of the change log: the newest change applied to
//! the cache, and since when it knows every change (for `Last-Modified`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::ResponseCache;
use crate::clock::Clock;
use crate::conditional;
use crate::store::{self, DbConnection};

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
