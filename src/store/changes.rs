//! The change log: when anything in a scope last changed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use super::schema::changes;
use super::{DbConnection, FeedScope};

/// Records that the given categories changed at `now` (`None`: every feed).
pub(super) fn log_changes(
    conn: &mut DbConnection,
    category_ids: impl IntoIterator<Item = Option<i64>>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let distinct: BTreeSet<Option<i64>> = category_ids.into_iter().collect();
    for category_id in distinct {
        diesel::insert_into(changes::table)
            .values((
                changes::category_id.eq(category_id),
                changes::changed_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The newest change affecting `scope`: any change in the category, or any
/// site-wide change; for the whole site, any change at all.
pub fn last_changed_at(
    conn: &mut DbConnection,
    scope: FeedScope,
) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = match scope {
        FeedScope::Site => changes::table
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

/// A number that grows with every committed write, from any process.
pub fn last_change_sequence(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(changes::table
        .select(max(changes::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
