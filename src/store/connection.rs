//! One connection type for both engines, and a pool that opens the right one.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use super::changes::{log_changes, ChangeRecord};
use crate::clock::{Clock, SystemClock};
use crate::domain::{truncate_to_micros, DatabaseUrl};

/// A connection to SQLite or PostgreSQL; every store function takes one.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Opening a connection failed, with the engine's own message.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// How long SQLite waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Opens one connection and prepares its session.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, ConnectError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            // busy_timeout first: the other pragmas may already need to wait.
            // page_size applies only to a new file (before WAL is set): news
            // articles of 2-6 KB fit a 16 KiB page without overflow chains.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                 PRAGMA page_size = 16384;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;"
            ))?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(url)?;
            // Columns are TIMESTAMP holding UTC; the session zone must agree.
            conn.batch_execute("SET TIME ZONE 'UTC'")?;
            Ok(DbConnection::Postgres(conn))
        }
    }
}

/// Lets a bulk load's SQLite commits skip the wait for the disk; call
/// [`end_bulk_load`] before reporting success. In WAL mode,
/// `synchronous = NORMAL` keeps every commit through a crash of the process
/// and keeps the file consistent; only a power loss or OS crash can take back
/// the commits made since the last checkpoint. API writes keep FULL.
///
/// The page cache grows from SQLite's 2 MB to hold a whole batch (about 6 MB
/// for 1000 articles) and the pages it keeps going back to: in the smaller
/// one, 100,000 articles read 740 MB back from the WAL and wrote 60 MB more.
pub fn begin_bulk_load(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(inner) => inner.batch_execute(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{BULK_LOAD_CACHE_KIB};"
        )),
        DbConnection::Postgres(_) => Ok(()),
    }
}

/// SQLite page cache of a bulk load, in KiB.
const BULK_LOAD_CACHE_KIB: u32 = 16 * 1024;

#[derive(diesel::QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
}

#[derive(diesel::QueryableByName)]
struct UserVersion {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    user_version: i32,
}

/// Makes every commit since [`begin_bulk_load`] durable and restores
/// `synchronous = FULL` (SQLite); on PostgreSQL, analyzes the tables the
/// load filled.
///
/// Why this suffices (SQLite's `PRAGMA synchronous`, WAL and
/// `sqlite3_wal_checkpoint_v2` pages): with NORMAL, the WAL is synced before
/// each checkpoint and the database file after each completed one, so a
/// commit not yet in the synced database file is in the WAL. A FULL
/// checkpoint waits for other writers and for readers of older snapshots,
/// copies every frame into the database file and syncs it: `busy = 0` means
/// all is on disk. A reader keeping an old snapshot past the busy timeout
/// holds it back; then one commit made with FULL syncs the whole WAL file.
pub fn end_bulk_load(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    let inner = match conn {
        DbConnection::Sqlite(inner) => inner,
        // Fresh statistics for the planner: right after a large import,
        // autovacuum has not analyzed the new rows yet, and page 500 of a
        // busy tag took 200 ms to 3 s on guessed ones.
        // VACUUM also marks article_facets' pages all-visible, so facet pages
        // are read from its index alone.
        DbConnection::Postgres(inner) => {
            // Two messages: VACUUM may not share an implicit transaction.
            inner.batch_execute("VACUUM (ANALYZE) article_facets")?;
            return inner.batch_execute("ANALYZE articles, facets, changes");
        }
    };
    let checkpoint =
        diesel::sql_query("PRAGMA wal_checkpoint(FULL)").get_result::<Checkpoint>(inner)?;
    inner.batch_execute("PRAGMA synchronous = FULL")?;
    if checkpoint.busy == 0 {
        return Ok(());
    }
    // Any write will do: the user version (unused by syndic) set to itself.
    write_transaction(conn, &SystemClock, |tx| {
        let DbConnection::Sqlite(inner) = &mut *tx.conn else {
            return Ok(());
        };
        let version = diesel::sql_query("PRAGMA user_version")
            .get_result::<UserVersion>(inner)?
            .user_version;
        inner.batch_execute(&format!("PRAGMA user_version = {version}"))
    })
}

/// Opens connections for r2d2 with the engine's real error messages (the
/// derive's own `establish` hides them).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    /// A connection whose transaction failed half-way or whose server
    /// went away (diesel's own check) is not handed out again.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Builds a pool, opening one connection at once so a bad URL fails here.
pub fn connect_pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, ConnectError> {
    // Surface the real error rather than r2d2's timeout.
    drop(establish(url)?);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build_unchecked(ConnectionManager { url: url.clone() });
    Ok(pool)
}

/// Any PostgreSQL advisory lock key syndic takes: serializes migrations and
/// writes across nodes so that change times follow commit order.
pub const WRITE_LOCK_KEY: i64 = 0x5359_4e44_4943; // "SYNDIC"

/// A write in progress: the connection inside the transaction, the time of
/// the write, and the changes to what feeds show that it records.
pub struct WriteTx<'a> {
    pub conn: &'a mut DbConnection,
    /// When the write began, once the write lock was held: the articles'
    /// `updated_at`, the default publication time, and the "now" against
    /// which a publication time counts as past or scheduled.
    pub now: DateTime<Utc>,
    changes: BTreeSet<ChangeRecord>,
}

impl WriteTx<'_> {
    /// Notes a change; the change log gets it when the body has succeeded.
    pub(super) fn record(&mut self, change: ChangeRecord) {
        self.changes.insert(change);
    }
}

#[derive(diesel::QueryableByName)]
struct ServerTime {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    now: chrono::NaiveDateTime,
}

/// The time for a write: PostgreSQL's own clock when the clock defers to
/// it (one clock for every node), else `clock`; to the microsecond.
fn write_time(conn: &mut DbConnection, clock: &dyn Clock) -> diesel::QueryResult<DateTime<Utc>> {
    use diesel::RunQueryDsl;
    match conn {
        // clock_timestamp(), not now(): now() is when the transaction
        // began, before it waited for the lock.
        DbConnection::Postgres(pg) if clock.defers_to_database() => Ok(diesel::sql_query(
            "SELECT (clock_timestamp() AT TIME ZONE 'UTC') AS now",
        )
        .get_result::<ServerTime>(pg)?
        .now
        .and_utc()),
        _ => Ok(truncate_to_micros(clock.now())),
    }
}

/// Runs `body` in a write transaction, then adds the changes it recorded to
/// the change log, stamped with the time just before the commit (so that a
/// long transaction cannot publish a change dated well before other nodes
/// can see it), and tells other nodes.
///
/// On SQLite it is `BEGIN IMMEDIATE`, so a read-then-write transaction waits
/// for the lock instead of failing with "database is locked"; on PostgreSQL a
/// transaction-scoped advisory lock serializes writers across nodes, so
/// change times follow commit order. `body` must not open a transaction
/// itself.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    body: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let run = |conn: &mut DbConnection| -> Result<T, E> {
        let now = write_time(conn, clock)?;
        let mut tx = WriteTx {
            conn,
            now,
            changes: BTreeSet::new(),
        };
        let value = body(&mut tx)?;
        if !tx.changes.is_empty() {
            let stamped = write_time(tx.conn, clock)?.max(now);
            log_changes(tx.conn, &tx.changes, stamped)?;
        }
        Ok(value)
    };
    match conn {
        DbConnection::Postgres(_) => conn.transaction(|conn| {
            conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))?;
            run(conn)
        }),
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let mut guard = RollbackGuard { conn, open: true };
            let value = run(guard.conn)?;
            guard.conn.batch_execute("COMMIT")?;
            guard.open = false;
            Ok(value)
        }
    }
}

/// Rolls back an open SQLite transaction when the body fails or panics, so the
/// connection goes back to the pool clean.
struct RollbackGuard<'a> {
    conn: &'a mut DbConnection,
    open: bool,
}

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(error) = self.conn.batch_execute("ROLLBACK") {
                tracing::error!(%error, "rollback failed");
            }
        }
    }
}
