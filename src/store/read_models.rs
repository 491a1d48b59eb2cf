//! Read models: everything one cacheable response is made of, in one call
//! each, so handlers never string store calls together.

use chrono::{DateTime, Utc};
use diesel::QueryResult;

use super::articles::{
    count_live_articles, list_live_articles, newest_live_published_at, next_scheduled_at,
};
use super::categories::{find_category, list_categories};
use super::changes::{
    first_change_at, last_category_list_change_at, last_changed_at, last_site_wide_change_at,
};
use super::DbConnection;
use crate::domain::{Article, Category, Scope, Slug};

/// One page of a scope's live articles, newest first.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub items: Vec<Article>,
    /// Live articles in the whole scope, for the last page's number.
    pub total: i64,
    /// The newest change to the scope's content (`lastBuildDate`, and the
    /// basis of `Last-Modified`), or its newest live publication if later.
    pub updated: DateTime<Utc>,
    /// When the next scheduled article of the scope goes live.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The page of `limit` live articles of `scope` at `now` after `offset`.
pub fn feed_page(
    conn: &mut DbConnection,
    scope: Scope,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> QueryResult<FeedPage> {
    let total = count_live_articles(conn, scope, now)?;
    let items = if offset < total {
        list_live_articles(conn, scope, now, offset, limit)?
    } else {
        Vec::new()
    };
    let changed = last_changed_at(conn, scope)?;
    let published = newest_live_published_at(conn, scope, now)?;
    Ok(FeedPage {
        items,
        total,
        updated: changed.max(published).unwrap_or_default(),
        valid_until: next_scheduled_at(conn, scope, now)?,
    })
}

/// What the OPML file and the index page list.
#[derive(Debug, Clone)]
pub struct DirectoryListing {
    /// Every category, ordered by slug.
    pub categories: Vec<Category>,
    /// The first change ever recorded.
    pub created: DateTime<Utc>,
    /// The newest change to the list of categories or to one of them.
    pub updated: DateTime<Utc>,
}

pub fn directory(conn: &mut DbConnection) -> QueryResult<DirectoryListing> {
    let categories = list_categories(conn)?;
    let first = first_change_at(conn)?;
    let changed = last_category_list_change_at(conn)?;
    let newest_category = categories.iter().map(|c| c.updated_at).max();
    let updated = changed.max(newest_category).unwrap_or_default();
    Ok(DirectoryListing {
        categories,
        created: first.unwrap_or(updated),
        updated,
    })
}

/// One category and when it or the site settings last changed: what its
/// page and its widget script are made of (not its articles).
#[derive(Debug, Clone)]
pub struct CategoryListing {
    pub category: Category,
    pub updated: DateTime<Utc>,
}

pub fn category_listing(
    conn: &mut DbConnection,
    slug: &Slug,
) -> QueryResult<Option<CategoryListing>> {
    let Some(category) = find_category(conn, slug)? else {
        return Ok(None);
    };
    let site_changed = last_site_wide_change_at(conn)?;
    let updated = site_changed
        .max(Some(category.updated_at))
        .unwrap_or_default();
    Ok(Some(CategoryListing { category, updated }))
}
