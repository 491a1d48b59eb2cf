//! Read models: everything one cacheable response is made of, in one call
//! each, so handlers never string store calls together.

use chrono::{DateTime, Duration, Utc};
use diesel::QueryResult;

use super::articles::{
    count_live_articles, list_live_articles, newest_live_published_at, next_scheduled_at,
};
use super::categories::{find_category, list_categories};
use super::changes::{
    first_change_at, last_category_list_change_at, last_changed_at, last_site_wide_change_at,
};
use super::facets::{current_tags, is_known};
use super::tombstones::{newest_expired_at, recent_tombstones};
use super::DbConnection;
use crate::domain::{Article, Category, Facet, Scope, Slug, Tombstone};

/// One page of a scope's live articles, newest first.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub items: Vec<Article>,
    /// Live articles in the whole scope, for the last page's number.
    pub total: i64,
    /// Articles that left the scope within the tombstone period, newest
    /// first (first pages of feeds only).
    pub deleted: Vec<Tombstone>,
    /// The newest change to the scope's content (`lastBuildDate`, and the
    /// basis of `Last-Modified`), or its newest live publication, or the
    /// newest expiry of a tombstone, whichever is latest.
    pub updated: DateTime<Utc>,
    /// When the page next changes with no write: the next scheduled
    /// article of the scope goes live, or a tombstone expires.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The page of `limit` live articles of `scope` at `now` after `offset`,
/// with the tombstones of the last `tombstones` when given.
pub fn feed_page(
    conn: &mut DbConnection,
    scope: &Scope,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
    tombstones: Option<Duration>,
) -> QueryResult<FeedPage> {
    let changed = last_changed_at(conn, scope)?;
    if let Scope::Facet(facet) = scope {
        // A value never written has an empty feed, found with one lookup.
        if !is_known(conn, facet)? {
            return Ok(FeedPage {
                items: Vec::new(),
                total: 0,
                deleted: Vec::new(),
                updated: changed.unwrap_or_default(),
                valid_until: None,
            });
        }
    }
    let total = count_live_articles(conn, scope, now)?;
    let items = if offset < total {
        list_live_articles(conn, scope, now, offset, limit)?
    } else {
        Vec::new()
    };
    let published = newest_live_published_at(conn, scope, now)?;
    let mut updated = changed.max(published).unwrap_or_default();
    let mut valid_until = next_scheduled_at(conn, scope, now)?;
    let mut deleted = Vec::new();
    if let Some(period) = tombstones {
        let cutoff = now - period;
        deleted = recent_tombstones(conn, scope, cutoff)?;
        if let Some(expired) = newest_expired_at(conn, scope, cutoff)? {
            updated = updated.max(expired + period);
        }
        // Listed newest first: the last one expires first.
        if let Some(oldest) = deleted.last() {
            let expires = oldest.deleted_at + period;
            valid_until = Some(valid_until.map_or(expires, |t| t.min(expires)));
        }
    }
    Ok(FeedPage {
        items,
        total,
        deleted,
        updated,
        valid_until,
    })
}

/// What the OPML file and the index page list.
#[derive(Debug, Clone)]
pub struct DirectoryListing {
    /// Every category, ordered by slug.
    pub categories: Vec<Category>,
    /// The tags most used lately, most used first (as many as asked).
    pub tags: Vec<Facet>,
    /// The first change ever recorded.
    pub created: DateTime<Utc>,
    /// The newest change to the list of categories or to one of them, and
    /// with tags listed, to any live article.
    pub updated: DateTime<Utc>,
    /// With tags listed: when the next scheduled article goes live.
    pub valid_until: Option<DateTime<Utc>>,
}

/// How many of the newest live articles the listed tags are counted over.
const CURRENT_TAGS_AMONG: i64 = 1000;

/// The directory at `now`, listing the `tags` tags most used among the
/// newest live articles.
pub fn directory(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    tags: usize,
) -> QueryResult<DirectoryListing> {
    let categories = list_categories(conn)?;
    let first = first_change_at(conn)?;
    let changed = last_category_list_change_at(conn)?;
    let newest_category = categories.iter().map(|c| c.updated_at).max();
    let mut updated = changed.max(newest_category).unwrap_or_default();
    let mut listed = Vec::new();
    let mut valid_until = None;
    if tags > 0 {
        listed = current_tags(conn, now, CURRENT_TAGS_AMONG, tags)?
            .into_iter()
            .map(|(tag, _)| tag)
            .collect();
        // Which tags lead depends on every live article.
        let articles_changed = last_changed_at(conn, &Scope::Site)?;
        let published = newest_live_published_at(conn, &Scope::Site, now)?;
        updated = updated.max(articles_changed.max(published).unwrap_or_default());
        valid_until = next_scheduled_at(conn, &Scope::Site, now)?;
    }
    Ok(DirectoryListing {
        categories,
        tags: listed,
        created: first.unwrap_or(updated),
        updated,
        valid_until,
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
