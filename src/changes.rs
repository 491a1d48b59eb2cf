//! Follows the change log so that writes from this process, from `syndic
//! import` on the same SQLite file, or from other nodes on the same
//! PostgreSQL reach the response cache.

use std::sync::Mutex;

use crate::cache::ResponseCache;
use crate::store::{self, DbConnection};

/// The newest change this process has applied to its cache.
pub struct ChangeWatcher {
    last_seen: Mutex<i64>,
}

impl ChangeWatcher {
    /// Starts after everything already in the log (the cache starts empty).
    pub fn new(conn: &mut DbConnection) -> diesel::QueryResult<Self> {
        Ok(Self {
            last_seen: Mutex::new(store::last_change_sequence(conn)?),
        })
    }

    /// Reads changes committed since the last call and invalidates what they
    /// touched. Cheap when nothing changed: one indexed query.
    pub fn sync(&self, conn: &mut DbConnection, cache: &ResponseCache) -> diesel::QueryResult<()> {
        let Ok(mut last_seen) = self.last_seen.lock() else {
            cache.invalidate_all();
            return Ok(());
        };
        let (newest, touched) = store::changes_since(conn, *last_seen)?;
        cache.invalidate(&touched);
        *last_seen = newest;
        Ok(())
    }
}
