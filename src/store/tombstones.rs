//! Deleted entries (RFC 6721): an article that was live in a scope and left
//! it, by deletion, unpublishing, rescheduling, a move to another category
//! or an edit of its tags, author or source. A scope's first page lists
//! them for the tombstone period; they are part of its content.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::tombstones;
use super::DbConnection;
use crate::domain::{Scope, Tombstone};

/// Most deleted entries one feed lists (the newest): a mass deletion must
/// not make a feed unbounded.
pub const MAX_LISTED: i64 = 500;

/// The tombstones of `scope`, boxed for further filtering.
fn in_scope(
    scope: &Scope,
) -> tombstones::BoxedQuery<'static, <DbConnection as diesel::Connection>::Backend> {
    let query = tombstones::table.into_boxed();
    match scope {
        Scope::Site => query
            .filter(tombstones::category_id.is_null())
            .filter(tombstones::facet_key.is_null()),
        Scope::Category(id) => query.filter(tombstones::category_id.eq(*id)),
        Scope::Facet(facet) => query.filter(tombstones::facet_key.eq(facet.key())),
    }
}

/// Records that article `id` left each of `scopes` at `now` (replacing an
/// older record of the same departure).
pub(super) fn bury(
    conn: &mut DbConnection,
    id: i64,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    unbury(conn, id, scopes)?;
    for scope in scopes {
        let (category_id, facet_key) = match scope {
            Scope::Site => (None, None),
            Scope::Category(c) => (Some(*c), None),
            Scope::Facet(f) => (None, Some(f.key())),
        };
        diesel::insert_into(tombstones::table)
            .values((
                tombstones::article_id.eq(id),
                tombstones::category_id.eq(category_id),
                tombstones::facet_key.eq(facet_key),
                tombstones::deleted_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets that article `id` left `scopes`: it is live in them again.
pub(super) fn unbury(conn: &mut DbConnection, id: i64, scopes: &[Scope]) -> QueryResult<()> {
    for scope in scopes {
        let doomed = in_scope(scope)
            .filter(tombstones::article_id.eq(id))
            .select(tombstones::id)
            .load::<i64>(conn)?;
        if !doomed.is_empty() {
            diesel::delete(tombstones::table.filter(tombstones::id.eq_any(doomed)))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Whether article `id` has any tombstone (most articles never have one,
/// so edits skip the per-scope clean-up).
pub(super) fn has_any(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    Ok(tombstones::table
        .filter(tombstones::article_id.eq(id))
        .select(tombstones::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The tombstones of `scope` recorded after `since`, newest first.
pub fn recent_tombstones(
    conn: &mut DbConnection,
    scope: &Scope,
    since: DateTime<Utc>,
) -> QueryResult<Vec<Tombstone>> {
    Ok(in_scope(scope)
        .filter(tombstones::deleted_at.gt(since.naive_utc()))
        .order((tombstones::deleted_at.desc(), tombstones::article_id.desc()))
        .limit(MAX_LISTED)
        .select((tombstones::article_id, tombstones::deleted_at))
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(article_id, at)| Tombstone {
            article_id,
            deleted_at: at.and_utc(),
        })
        .collect())
}

/// The newest tombstone of `scope` recorded at or before `cutoff`: when the
/// last one to expire was recorded (its expiry changed the feed).
pub fn newest_expired_at(
    conn: &mut DbConnection,
    scope: &Scope,
    cutoff: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = in_scope(scope)
        .filter(tombstones::deleted_at.le(cutoff.naive_utc()))
        .select(diesel::dsl::max(tombstones::deleted_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(newest.map(|t| t.and_utc()))
}
