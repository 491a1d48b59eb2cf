//! The change log: when anything in a scope last changed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::dsl::{max, min};
use diesel::prelude::*;

use super::schema::{categories, changes, service_state};
use super::{write_transaction, DbConnection, FeedScope, WriteError};

/// The PostgreSQL notification channel told of every committed change, so
/// other nodes refresh their caches at once rather than at their next poll.
pub const CHANGES_CHANNEL: &str = "syndic_changes";

/// `application_name` of the connection that listens on [`CHANGES_CHANNEL`].
pub const LISTENER_NAME: &str = "syndic-listener";

/// Records that the given categories changed at `now` (`None`: every feed).
pub(super) fn log_changes(
    conn: &mut DbConnection,
    category_ids: impl IntoIterator<Item = Option<i64>>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let distinct: BTreeSet<Option<i64>> = category_ids.into_iter().collect();
    for category_id in distinct {
        insert_change(conn, category_id, true, now)?;
    }
    notify_other_nodes(conn)
}

/// Records a change to category `category_id` itself (created, edited,
/// deleted); `affects_site_feeds` is false when it has no live article, so
/// the site-wide feeds show nothing of it.
pub(super) fn log_category_change(
    conn: &mut DbConnection,
    category_id: i64,
    affects_site_feeds: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    insert_change(conn, Some(category_id), affects_site_feeds, now)?;
    notify_other_nodes(conn)
}

fn insert_change(
    conn: &mut DbConnection,
    category_id: Option<i64>,
    affects_site_feeds: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(changes::table)
        .values((
            changes::category_id.eq(category_id),
            changes::changed_at.eq(now.naive_utc()),
            changes::affects_site_feeds.eq(affects_site_feeds),
        ))
        .execute(conn)?;
    Ok(())
}

/// On PostgreSQL, tells the listening nodes that the change log grew.
fn notify_other_nodes(conn: &mut DbConnection) -> QueryResult<()> {
    if matches!(conn, DbConnection::Postgres(_)) {
        // Delivered when the transaction commits, and not at all if it rolls back.
        conn.batch_execute(&format!("NOTIFY {CHANGES_CHANNEL}"))?;
    }
    Ok(())
}

/// The newest change affecting `scope`: any change in the category, or any
/// site-wide change; for the whole site, any change that shows in it.
pub fn last_changed_at(
    conn: &mut DbConnection,
    scope: FeedScope,
) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = match scope {
        FeedScope::Site => changes::table
            .filter(changes::affects_site_feeds.eq(true))
            .select(max(changes::changed_at))
            .first::<Option<chrono::NaiveDateTime>>(conn)?,
        FeedScope::Category(id) => {
            let in_category = changes::table
                .filter(changes::category_id.eq(id))
                .select(max(changes::changed_at))
                .first::<Option<chrono::NaiveDateTime>>(conn)?;
            let site_wide = changes::table
                .filter(changes::category_id.is_null())
                .select(max(changes::changed_at))
                .first::<Option<chrono::NaiveDateTime>>(conn)?;
            in_category.max(site_wide)
        }
    };
    Ok(newest.map(|t| t.and_utc()))
}

/// The newest change that affects every feed (the site settings changed),
/// for responses that depend on configuration but on no article.
pub fn last_site_wide_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = changes::table
        .filter(changes::category_id.is_null())
        .select(max(changes::changed_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?;
    Ok(newest.map(|t| t.and_utc()))
}

/// The first change ever recorded (the service's first start).
pub fn first_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let first = changes::table
        .select(min(changes::changed_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?;
    Ok(first.map(|t| t.and_utc()))
}

/// The newest change to the list of categories as a directory shows it
/// (OPML, the index page) that the categories themselves no longer show:
/// site-wide changes and changes to categories since deleted. Changes to
/// existing categories are in their `updated_at`, which the caller adds;
/// article changes are left out, since a directory lists no article.
pub fn last_category_list_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let existing = categories::table.select(categories::id.nullable());
    let newest = changes::table
        .filter(
            changes::category_id
                .is_null()
                .or(diesel::dsl::not(changes::category_id.eq_any(existing))),
        )
        .select(max(changes::changed_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?;
    Ok(newest.map(|t| t.and_utc()))
}

/// A number that grows with every committed write, from any process.
pub fn last_change_sequence(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(changes::table
        .select(max(changes::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// What changed after sequence number `after`: the newest sequence number,
/// and the categories touched (`None`: a change affecting every feed).
pub fn changes_since(conn: &mut DbConnection, after: i64) -> QueryResult<(i64, Vec<Option<i64>>)> {
    let rows = changes::table
        .filter(changes::id.gt(after))
        .select((changes::id, changes::category_id))
        .order(changes::id)
        .load::<(i64, Option<i64>)>(conn)?;
    let newest = rows.last().map_or(after, |(id, _)| *id);
    let touched: BTreeSet<Option<i64>> = rows.into_iter().map(|(_, category)| category).collect();
    Ok((newest, touched.into_iter().collect()))
}

/// Name of the `service_state` row holding the site settings' fingerprint.
const SITE_FINGERPRINT: &str = "site_fingerprint";

/// Stores the fingerprint of the site settings; when it differs from the one
/// stored, records a change to every feed. Returns whether it differed.
pub fn record_site_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> Result<bool, WriteError> {
    write_transaction(conn, |conn, now| {
        if read_state(conn, SITE_FINGERPRINT)?.as_deref() == Some(fingerprint) {
            return Ok(false);
        }
        write_state(conn, SITE_FINGERPRINT, fingerprint, now)?;
        log_changes(conn, [None], now)?;
        Ok(true)
    })
}

/// A named value from `service_state`.
pub(super) fn read_state(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    service_state::table
        .filter(service_state::name.eq(name))
        .select(service_state::value)
        .first::<String>(conn)
        .optional()
}

/// Sets a named value in `service_state`, creating the row if need be.
pub(super) fn write_state(
    conn: &mut DbConnection,
    name: &str,
    value: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let updated = diesel::update(service_state::table.filter(service_state::name.eq(name)))
        .set((
            service_state::value.eq(value),
            service_state::changed_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(service_state::table)
            .values((
                service_state::name.eq(name),
                service_state::value.eq(value),
                service_state::changed_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Subscribes a PostgreSQL connection to [`CHANGES_CHANNEL`]; on SQLite,
/// which has no notifications, does nothing and returns false.
pub fn listen_for_changes(conn: &mut DbConnection) -> QueryResult<bool> {
    match conn {
        DbConnection::Postgres(pg) => {
            // Named so that operators (and tests) can find it in pg_stat_activity.
            pg.batch_execute(&format!(
                "SET application_name = '{LISTENER_NAME}'; LISTEN {CHANGES_CHANNEL}"
            ))?;
            Ok(true)
        }
        DbConnection::Sqlite(_) => Ok(false),
    }
}

/// Reads the notifications that have arrived on a listening connection,
/// without waiting; true when there was at least one. An error means the
/// connection is lost.
pub fn take_change_notifications(conn: &mut DbConnection) -> QueryResult<bool> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(false);
    };
    let mut any = false;
    for notification in pg.notifications_iter() {
        notification?;
        any = true;
    }
    Ok(any)
}
