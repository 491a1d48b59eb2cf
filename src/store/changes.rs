//! The change log: when anything in a scope last changed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::dsl::{max, min};
use diesel::prelude::*;

use super::schema::{changes, service_state};
use super::{write_transaction, DbConnection, WriteError};
use crate::clock::Clock;
use crate::domain::Scope;

/// The PostgreSQL notification channel told of every committed change, so
/// other nodes refresh their caches at once rather than at their next poll.
pub const CHANGES_CHANNEL: &str = "syndic_changes";

/// `application_name` of the connection that listens on [`CHANGES_CHANNEL`].
pub const LISTENER_NAME: &str = "syndic-listener";

/// One scope a write changed, as the change log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeRecord {
    /// The category whose feeds changed; `None` with no `facet_key`: every
    /// feed (site settings).
    category_id: Option<i64>,
    /// The facet (tag, author, source) whose feeds changed, by key.
    facet_key: Option<i64>,
    /// Whether the site-wide feeds show the change.
    affects_site_feeds: bool,
    /// Whether anything anyone can see changed. A scheduled article written
    /// before its time changes nothing visible; its record only tells the
    /// caches when to render again, and its publication time becomes the
    /// time of the change when it goes live.
    visible: bool,
}

impl ChangeRecord {
    /// Every feed changed (the site settings did).
    pub fn everything() -> Self {
        Self {
            category_id: None,
            facet_key: None,
            affects_site_feeds: true,
            visible: true,
        }
    }

    /// Category `id`'s feeds changed, and the site-wide feeds when
    /// `affects_site_feeds` (not so for a category with no live article).
    pub fn category(id: i64, affects_site_feeds: bool) -> Self {
        Self {
            category_id: Some(id),
            facet_key: None,
            affects_site_feeds,
            visible: true,
        }
    }

    /// A scheduled article of category `id` was written: nothing shows yet.
    pub fn schedule(id: i64) -> Self {
        Self {
            category_id: Some(id),
            facet_key: None,
            affects_site_feeds: false,
            visible: false,
        }
    }

    /// The feeds of the facet with key `key` changed (`visible`), or wait
    /// for a scheduled article (not `visible`). The category's own record
    /// says whether the site-wide feeds changed.
    pub fn facet(key: i64, visible: bool) -> Self {
        Self {
            category_id: None,
            facet_key: Some(key),
            affects_site_feeds: false,
            visible,
        }
    }
}

/// What one entry of the change log touched, as caches invalidate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Touched {
    /// Every feed (the site settings changed).
    Everything,
    Category(i64),
    /// A facet's feeds, by [`crate::domain::Facet::key`].
    Facet(i64),
}

/// Adds `records` to the change log at `changed_at` and tells other nodes.
pub(super) fn log_changes(
    conn: &mut DbConnection,
    records: &BTreeSet<ChangeRecord>,
    changed_at: DateTime<Utc>,
) -> QueryResult<()> {
    for record in records {
        diesel::insert_into(changes::table)
            .values((
                changes::category_id.eq(record.category_id),
                changes::facet_key.eq(record.facet_key),
                changes::changed_at.eq(changed_at.naive_utc()),
                changes::affects_site_feeds.eq(record.affects_site_feeds),
                changes::visible.eq(record.visible),
            ))
            .execute(conn)?;
    }
    notify_other_nodes(conn)
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
    scope: &Scope,
) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = match scope {
        Scope::Site => changes::table
            .filter(changes::affects_site_feeds.eq(true))
            .filter(changes::visible.eq(true))
            .select(max(changes::changed_at))
            .first::<Option<chrono::NaiveDateTime>>(conn)?,
        Scope::Category(id) => {
            let in_category = changes::table
                .filter(changes::category_id.eq(id))
                .filter(changes::visible.eq(true))
                .select(max(changes::changed_at))
                .first::<Option<chrono::NaiveDateTime>>(conn)?;
            in_category.max(site_wide_naive(conn)?)
        }
        Scope::Facet(facet) => {
            let in_facet = changes::table
                .filter(changes::facet_key.eq(facet.key()))
                .filter(changes::visible.eq(true))
                .select(max(changes::changed_at))
                .first::<Option<chrono::NaiveDateTime>>(conn)?;
            in_facet.max(site_wide_naive(conn)?)
        }
    };
    Ok(newest.map(|t| t.and_utc()))
}

/// The newest change that affects every feed (the site settings changed),
/// for responses that depend on configuration but on no article.
pub fn last_site_wide_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(site_wide_naive(conn)?.map(|t| t.and_utc()))
}

fn site_wide_naive(conn: &mut DbConnection) -> QueryResult<Option<chrono::NaiveDateTime>> {
    changes::table
        .filter(changes::category_id.is_null())
        .filter(changes::facet_key.is_null())
        .select(max(changes::changed_at))
        .first(conn)
}

/// The first change ever recorded (the service's first start).
pub fn first_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let first = changes::table
        .filter(changes::visible.eq(true))
        .select(min(changes::changed_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?;
    Ok(first.map(|t| t.and_utc()))
}

/// The newest change to the list of categories as a directory shows it
/// (OPML, the index page) that the categories themselves no longer show:
/// site-wide changes and deletions of categories. Changes to existing
/// categories are in their `updated_at`, which the caller adds; article
/// changes are left out, since a directory lists no article.
pub fn last_category_list_change_at(conn: &mut DbConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let deleted = service_state::table
        .filter(service_state::name.eq(CATEGORY_DELETED))
        .select(service_state::changed_at)
        .first::<chrono::NaiveDateTime>(conn)
        .optional()?;
    Ok(site_wide_naive(conn)?.max(deleted).map(|t| t.and_utc()))
}

/// Name of the `service_state` row whose time is the last deletion of a
/// category.
const CATEGORY_DELETED: &str = "category_deleted";

/// Notes that a category was deleted at `now` (see
/// [`last_category_list_change_at`]).
pub(super) fn note_category_deleted(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    write_state(conn, CATEGORY_DELETED, "", now)
}

/// A number that grows with every committed write, from any process.
pub fn last_change_sequence(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(changes::table
        .select(max(changes::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// What changed after sequence number `after`: the newest sequence number,
/// and what the changes touched.
pub fn changes_since(conn: &mut DbConnection, after: i64) -> QueryResult<(i64, Vec<Touched>)> {
    let rows = changes::table
        .filter(changes::id.gt(after))
        .select((changes::id, changes::category_id, changes::facet_key))
        .order(changes::id)
        .load::<(i64, Option<i64>, Option<i64>)>(conn)?;
    let newest = rows.last().map_or(after, |(id, _, _)| *id);
    let touched: BTreeSet<Touched> = rows
        .into_iter()
        .map(|(_, category, facet)| match (category, facet) {
            (Some(id), _) => Touched::Category(id),
            (None, Some(key)) => Touched::Facet(key),
            (None, None) => Touched::Everything,
        })
        .collect();
    Ok((newest, touched.into_iter().collect()))
}

/// Name of the `service_state` row holding the site settings' fingerprint.
const SITE_FINGERPRINT: &str = "site_fingerprint";

/// Stores the fingerprint of the site settings; when it differs from the one
/// stored, records a change to every feed. Returns whether it differed.
pub fn record_site_fingerprint(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    fingerprint: &str,
) -> Result<bool, WriteError> {
    write_transaction(conn, clock, |tx| {
        if read_state(tx.conn, SITE_FINGERPRINT)?.as_deref() == Some(fingerprint) {
            return Ok(false);
        }
        write_state(tx.conn, SITE_FINGERPRINT, fingerprint, tx.now)?;
        tx.record(ChangeRecord::everything());
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
