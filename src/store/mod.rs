//! Every Diesel query lives here, behind plain functions that take a
//! connection and return domain types. One codebase for SQLite and PostgreSQL.

mod articles;
mod categories;
mod changes;
mod connection;
mod facets;
mod read_models;
mod rows;
pub mod schema;
mod tokens;
mod tombstones;
mod websub;

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use articles::{
    count_live_articles, delete_article, find_article, find_article_by_external_id, insert_article,
    list_articles, list_articles_after_id, list_live_articles, newest_live_published_at,
    next_scheduled_at, update_article, upsert_article, upsert_articles, upsert_articles_stored,
    ArticleCursor, ArticleFilter, Stored, Upserted,
};
pub use categories::{
    count_categories, create_category, delete_category, find_category, list_categories,
    update_category, upsert_category,
};
pub use changes::{
    changes_since, last_change_sequence, last_changed_at, record_site_fingerprint, Touched,
};
pub use changes::{first_change_at, last_category_list_change_at, last_site_wide_change_at};
pub use changes::{listen_for_changes, take_change_notifications, CHANGES_CHANNEL, LISTENER_NAME};
pub use connection::{begin_bulk_load, end_bulk_load};
pub use connection::{
    connect_pool, establish, write_transaction, ConnectError, ConnectionManager, DbConnection,
    DbPool, PooledConnection, WriteTx, WRITE_LOCK_KEY,
};
pub use facets::{current_tags, fill_facets, find_facet, is_known};
pub use read_models::{
    category_listing, directory, feed_page, CategoryListing, DirectoryListing, FeedPage,
};
pub use tokens::{create_token, find_token_name, list_tokens, revoke_token, TokenRecord};
pub use tombstones::{newest_expired_at, recent_tombstones};
pub use websub::{
    claim_due_pings, count_pending, enqueue_outbox, postpone_ping, remove_ping, ChangedFeeds,
    ClaimedPing, OutboxKind, OutboxMessage,
};

use crate::domain::{FieldError, Slug};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The database could not answer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had from the pool in time.
    #[error("no database connection")]
    Unavailable(#[from] r2d2::Error),
    /// Another writer held the database past the busy timeout (SQLite's
    /// `database is locked`): try again shortly.
    #[error("the database is busy with other writes")]
    Busy(#[source] diesel::result::Error),
    /// The disk under the database is full: nothing more can be stored
    /// until space is freed.
    #[error("the database's disk is full")]
    Full(#[source] diesel::result::Error),
    /// A query failed.
    #[error("database query failed")]
    Query(#[source] diesel::result::Error),
    /// The task running the query was dropped (the server is stopping).
    #[error("the database task did not finish")]
    Cancelled,
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        if is_busy(&error) {
            Self::Busy(error)
        } else if is_disk_full(&error) {
            Self::Full(error)
        } else {
            Self::Query(error)
        }
    }
}

/// Whether SQLite gave up waiting for another connection's lock.
fn is_busy(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked") || message.contains("database table is locked")
        }
        _ => false,
    }
}

/// Whether the engine ran out of disk: SQLite's `SQLITE_FULL`, or
/// PostgreSQL's `disk_full` (53100), whose message names the lack of space.
fn is_disk_full(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database or disk is full")
                || message.contains("No space left on device")
        }
        _ => false,
    }
}

/// A write that the store refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The article names a category that does not exist.
    #[error("unknown category {slug}")]
    UnknownCategory {
        /// Where the slug was given, e.g. `category` or `[3].category`.
        field: String,
        slug: Slug,
    },
    /// Another article already has this `external_id`.
    #[error("an article with external_id {0:?} already exists")]
    ExternalIdTaken(String),
    /// Another category already has this slug.
    #[error("category {0} already exists")]
    SlugTaken(Slug),
    /// A token with this name already exists.
    #[error("a token named {0:?} already exists")]
    TokenNameTaken(String),
    /// The values given are not acceptable (e.g. after a merge patch).
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// The category still has articles.
    #[error("category {0} still has articles")]
    CategoryNotEmpty(Slug),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WriteError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::from(error))
    }
}

/// Applies pending migrations; returns how many ran. On PostgreSQL an advisory
/// lock keeps several nodes starting at once from racing.
pub fn run_migrations(
    conn: &mut DbConnection,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    match conn {
        DbConnection::Sqlite(inner) => {
            let ran = inner.run_pending_migrations(SQLITE_MIGRATIONS)?.len();
            fill_facets(conn, &crate::clock::SystemClock)?;
            Ok(ran)
        }
        DbConnection::Postgres(inner) => {
            inner.batch_execute(&format!("SELECT pg_advisory_lock({WRITE_LOCK_KEY})"))?;
            let ran = inner
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|done| done.len());
            // Under the same lock: one node fills, the others find it done.
            let filled = match ran {
                Ok(_) => fill_facets(conn, &crate::clock::SystemClock).map(drop),
                Err(_) => Ok(()),
            };
            if let DbConnection::Postgres(inner) = conn {
                inner.batch_execute(&format!("SELECT pg_advisory_unlock({WRITE_LOCK_KEY})"))?;
            }
            filled?;
            Ok(ran?)
        }
    }
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    conn.batch_execute("SELECT 1")
}
