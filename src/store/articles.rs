//! Article queries: single writes, the all-or-nothing batch, listings.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::changes::ChangeRecord;
use super::rows::{ArticleRow, ArticleValues};
use super::schema::{articles, categories};
use super::{facets, tombstones, write_transaction, DbConnection, WriteError, WriteTx};
use crate::clock::Clock;
use crate::domain::{
    Article, ArticleFields, ArticleStatus, Facet, FieldError, NewArticle, Scope, Slug,
};

/// Whether an upsert created the article or updated an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// Filters of the article listing of the write API.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub category_id: Option<i64>,
    pub status: Option<ArticleStatus>,
}

/// Where a listing page starts: after this article in newest-first order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleCursor {
    pub published_at: DateTime<Utc>,
    pub id: i64,
}

type RowWithSlug = (ArticleRow, String);

fn into_article((row, slug): RowWithSlug) -> QueryResult<Article> {
    row.into_article(&slug)
}

fn find_row(conn: &mut DbConnection, id: i64) -> QueryResult<Option<RowWithSlug>> {
    articles::table
        .inner_join(categories::table)
        .filter(articles::id.eq(id))
        .select((ArticleRow::as_select(), categories::slug))
        .first(conn)
        .optional()
}

pub fn find_article(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Article>> {
    find_row(conn, id)?.map(into_article).transpose()
}

pub fn find_article_by_external_id(
    conn: &mut DbConnection,
    external_id: &str,
) -> QueryResult<Option<Article>> {
    articles::table
        .inner_join(categories::table)
        .filter(articles::external_id.eq(external_id))
        .select((ArticleRow::as_select(), categories::slug))
        .first(conn)
        .optional()?
        .map(into_article)
        .transpose()
}

fn category_id(conn: &mut DbConnection, slug: &Slug, field: &str) -> Result<i64, WriteError> {
    categories::table
        .filter(categories::slug.eq(slug.as_str()))
        .select(categories::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| WriteError::UnknownCategory {
            field: field.to_owned(),
            slug: slug.clone(),
        })
}

fn external_id_taken(error: DieselError, external_id: Option<&str>) -> WriteError {
    match (&error, external_id) {
        (DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _), Some(id)) => {
            WriteError::ExternalIdTaken(id.to_owned())
        }
        _ => WriteError::from(error),
    }
}

/// Where an article stands as far as feeds are concerned.
#[derive(Debug, Clone)]
struct Placement {
    category_id: i64,
    status: ArticleStatus,
    published_at: DateTime<Utc>,
    facets: BTreeSet<Facet>,
}

impl Placement {
    fn new(fields: &ArticleFields, category_id: i64, published_at: DateTime<Utc>) -> Self {
        Self {
            category_id,
            status: fields.status,
            published_at,
            facets: fields.facets(),
        }
    }

    fn of(article: &Article, category_id: i64) -> Self {
        Self::new(&article.fields, category_id, article.published_at)
    }

    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == ArticleStatus::Published && self.published_at <= now
    }

    /// Every scope whose feeds show the article while it is live.
    fn scopes(&self) -> Vec<Scope> {
        let mut scopes = vec![Scope::Site, Scope::Category(self.category_id)];
        scopes.extend(self.facets.iter().cloned().map(Scope::Facet));
        scopes
    }
}

/// Records what writing an article changed, from where it stood before
/// (if it existed) and where it stands now (if it still exists): the feeds
/// of each category and facet it was or is live in; for a scheduled
/// article, only the caches that wait for it. A draft is in no feed.
fn record_article_change<'p>(
    tx: &mut WriteTx<'_>,
    placements: impl IntoIterator<Item = &'p Placement>,
) {
    for placement in placements {
        if placement.status != ArticleStatus::Published {
            continue;
        }
        let live = placement.published_at <= tx.now;
        tx.record(if live {
            ChangeRecord::category(placement.category_id, true)
        } else {
            ChangeRecord::schedule(placement.category_id)
        });
        for facet in &placement.facets {
            tx.record(ChangeRecord::facet(facet.key(), live));
        }
    }
}

/// Keeps the deleted entries of article `id` true after it moved from
/// `before` to `after` (`None`: deleted): a tombstone in each scope it was
/// live in and is no longer, none where it is live now.
fn record_departures(
    tx: &mut WriteTx<'_>,
    id: i64,
    before: &Placement,
    after: Option<&Placement>,
) -> QueryResult<()> {
    let now = tx.now;
    let live_now = after
        .filter(|p| p.is_live(now))
        .map_or_else(Vec::new, Placement::scopes);
    if tombstones::has_any(tx.conn, id)? {
        tombstones::unbury(tx.conn, id, &live_now)?;
    }
    if before.is_live(now) {
        let left: Vec<Scope> = before
            .scopes()
            .into_iter()
            .filter(|scope| !live_now.contains(scope))
            .collect();
        tombstones::bury(tx.conn, id, &left, now)?;
    }
    Ok(())
}

fn insert_one(
    tx: &mut WriteTx<'_>,
    new: &NewArticle,
    category_id: i64,
) -> Result<Article, WriteError> {
    let now = tx.now;
    let published_at = new.published_at.unwrap_or(now);
    let external_id = new.fields.external_id.as_ref().map(|e| e.as_str());
    let id = diesel::insert_into(articles::table)
        .values(ArticleValues::new(
            &new.fields,
            category_id,
            published_at,
            now,
        ))
        .returning(articles::id)
        .get_result::<i64>(tx.conn)
        .map_err(|e| external_id_taken(e, external_id))?;
    let article = Article {
        id,
        fields: new.fields.clone(),
        published_at,
        updated_at: now,
    };
    facets::add_facets(tx.conn, &[(id, published_at, &article.fields)])?;
    record_article_change(tx, [&Placement::of(&article, category_id)]);
    Ok(article)
}

/// Stores a new article; `ExternalIdTaken` when its `external_id` exists.
pub fn insert_article(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    new: &NewArticle,
) -> Result<Article, WriteError> {
    write_transaction(conn, clock, |tx| {
        let category_id = category_id(tx.conn, &new.fields.category, "category")?;
        insert_one(tx, new, category_id)
    })
}

/// Replaces `existing` (stored in `old_category_id`) with `new`, keeping its
/// publication time when `new` has none. Writing the same content again
/// changes nothing, not even `updated_at`, so feeds and their validators stay
/// as they were.
fn replace(
    tx: &mut WriteTx<'_>,
    existing: Article,
    old_category_id: i64,
    new: &NewArticle,
    new_category_id: i64,
) -> Result<Article, WriteError> {
    let published_at = new.published_at.unwrap_or(existing.published_at);
    if existing.fields == new.fields && existing.published_at == published_at {
        return Ok(existing);
    }
    let stored = replace_row(tx, &existing, old_category_id, new, new_category_id)?;
    Ok(stored.into_article(new))
}

/// [`replace`] without building the resulting article: its id and times.
fn replace_row(
    tx: &mut WriteTx<'_>,
    existing: &Article,
    old_category_id: i64,
    new: &NewArticle,
    new_category_id: i64,
) -> Result<Stored, WriteError> {
    let now = tx.now;
    let published_at = new.published_at.unwrap_or(existing.published_at);
    if existing.fields == new.fields && existing.published_at == published_at {
        return Ok(Stored {
            id: existing.id,
            outcome: Upserted::Updated,
            published_at,
            updated_at: existing.updated_at,
        });
    }
    let external_id = new.fields.external_id.as_ref().map(|e| e.as_str());
    diesel::update(articles::table.filter(articles::id.eq(existing.id)))
        .set(ArticleValues::new(
            &new.fields,
            new_category_id,
            published_at,
            now,
        ))
        .execute(tx.conn)
        .map_err(|e| external_id_taken(e, external_id))?;
    facets::remove_facets(tx.conn, existing.id)?;
    facets::add_facets(tx.conn, &[(existing.id, published_at, &new.fields)])?;
    let before = Placement::of(existing, old_category_id);
    let after = Placement::new(&new.fields, new_category_id, published_at);
    record_departures(tx, existing.id, &before, Some(&after))?;
    record_article_change(tx, [&before, &after]);
    Ok(Stored {
        id: existing.id,
        outcome: Upserted::Updated,
        published_at,
        updated_at: now,
    })
}

/// Replaces the article with what `edit` makes of it (a merge patch, say),
/// reading and writing in one transaction so concurrent edits cannot be lost.
/// `None` when the article does not exist.
pub fn update_article(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    id: i64,
    edit: impl FnOnce(&Article) -> Result<NewArticle, Vec<FieldError>>,
) -> Result<Option<Article>, WriteError> {
    write_transaction(conn, clock, |tx| {
        let Some((row, slug)) = find_row(tx.conn, id)? else {
            return Ok(None);
        };
        let old_category_id = row.category_id;
        let existing = row.into_article(&slug)?;
        let new = edit(&existing).map_err(WriteError::Invalid)?;
        let category_id = category_id(tx.conn, &new.fields.category, "category")?;
        replace(tx, existing, old_category_id, &new, category_id).map(Some)
    })
}

/// Creates or replaces the article with `new`'s `external_id`.
pub fn upsert_article(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    new: &NewArticle,
) -> Result<(Article, Upserted), WriteError> {
    let mut outcomes = upsert_articles(conn, clock, std::slice::from_ref(new))?;
    outcomes
        .pop()
        .ok_or(WriteError::from(DieselError::NotFound))
}

/// Where one article of a batch ended up: enough to rebuild it from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub outcome: Upserted,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Stored {
    /// The stored article, `new` being what was written.
    pub fn into_article(self, new: &NewArticle) -> Article {
        Article {
            id: self.id,
            fields: new.fields.clone(),
            published_at: self.published_at,
            updated_at: self.updated_at,
        }
    }
}

/// Upserts many articles by `external_id` in one transaction: all or nothing.
/// Articles without an `external_id` are always created. `external_id`s must
/// be distinct within one call. Returns each article and what happened to it,
/// in input order.
pub fn upsert_articles(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    batch: &[NewArticle],
) -> Result<Vec<(Article, Upserted)>, WriteError> {
    Ok(upsert_articles_stored(conn, clock, batch)?
        .into_iter()
        .zip(batch)
        .map(|(stored, new)| (stored.into_article(new), stored.outcome))
        .collect())
}

/// [`upsert_articles`] without copying the articles back: for each one, in
/// input order, its id, times and whether it was created.
pub fn upsert_articles_stored(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    batch: &[NewArticle],
) -> Result<Vec<Stored>, WriteError> {
    write_transaction(conn, clock, |tx| {
        let now = tx.now;
        let category_ids = resolve_categories(tx.conn, batch)?;
        let external_ids: Vec<&str> = batch
            .iter()
            .filter_map(|a| a.fields.external_id.as_ref().map(|e| e.as_str()))
            .collect();
        let mut existing = find_rows_by_external_id(tx.conn, &external_ids)?;

        let mut outcomes: Vec<Option<Stored>> = vec![None; batch.len()];
        let mut to_insert = Vec::new();
        for (index, new) in batch.iter().enumerate() {
            let key = new.fields.external_id.as_ref().map(|e| e.as_str());
            match key.and_then(|k| existing.remove(k)) {
                Some((row, slug)) => {
                    let old_category_id = row.category_id;
                    let existing = row.into_article(&slug)?;
                    outcomes[index] = Some(replace_row(
                        tx,
                        &existing,
                        old_category_id,
                        new,
                        category_ids[index],
                    )?);
                }
                None => to_insert.push(index),
            }
        }
        let ids = insert_many(tx, batch, &to_insert, &category_ids)?;
        for (&index, id) in to_insert.iter().zip(ids) {
            outcomes[index] = Some(Stored {
                id,
                outcome: Upserted::Created,
                published_at: batch[index].published_at.unwrap_or(now),
                updated_at: now,
            });
        }
        outcomes
            .into_iter()
            .map(|o| o.ok_or(WriteError::from(DieselError::NotFound)))
            .collect()
    })
}

/// Category ids of a batch, in input order; loads the (small) category table once.
fn resolve_categories(
    conn: &mut DbConnection,
    batch: &[NewArticle],
) -> Result<Vec<i64>, WriteError> {
    let known: HashMap<String, i64> = categories::table
        .select((categories::slug, categories::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    batch
        .iter()
        .enumerate()
        .map(|(index, new)| {
            let slug = &new.fields.category;
            known
                .get(slug.as_str())
                .copied()
                .ok_or_else(|| WriteError::UnknownCategory {
                    field: if batch.len() == 1 {
                        "category".to_owned()
                    } else {
                        format!("[{index}].category")
                    },
                    slug: slug.clone(),
                })
        })
        .collect()
}

/// Largest number of ids in one `IN (…)` list.
const LOOKUP_CHUNK: usize = 1000;

fn find_rows_by_external_id(
    conn: &mut DbConnection,
    external_ids: &[&str],
) -> QueryResult<HashMap<String, RowWithSlug>> {
    let mut found = HashMap::new();
    for chunk in external_ids.chunks(LOOKUP_CHUNK) {
        let rows = articles::table
            .inner_join(categories::table)
            .filter(articles::external_id.eq_any(chunk))
            .select((ArticleRow::as_select(), categories::slug))
            .load::<RowWithSlug>(conn)?;
        for row in rows {
            if let Some(key) = row.0.external_id.clone() {
                found.insert(key, row);
            }
        }
    }
    Ok(found)
}

/// Inserts `batch[i]` for each `i` in `indexes`, in that order, and records
/// the change; returns their ids in the same order.
fn insert_many(
    tx: &mut WriteTx<'_>,
    batch: &[NewArticle],
    indexes: &[usize],
    category_ids: &[i64],
) -> Result<Vec<i64>, WriteError> {
    let now = tx.now;
    let published_at = |i: usize| batch[i].published_at.unwrap_or(now);
    let values = indexes
        .iter()
        .map(|&i| ArticleValues::new(&batch[i].fields, category_ids[i], published_at(i), now));
    let ids = match &mut *tx.conn {
        DbConnection::Sqlite(inner) => insert_rows_sqlite(inner, values)?,
        DbConnection::Postgres(inner) => copy_rows_postgres(inner, values)?,
    };
    let written: Vec<_> = indexes
        .iter()
        .zip(&ids)
        .map(|(&i, &id)| (id, published_at(i), &batch[i].fields))
        .collect();
    facets::add_facets(tx.conn, &written)?;
    let placements: Vec<Placement> = indexes
        .iter()
        .map(|&i| Placement::new(&batch[i].fields, category_ids[i], published_at(i)))
        .collect();
    record_article_change(tx, &placements);
    Ok(ids)
}

/// One prepared single-row `INSERT` per article: SQLite runs in-process, so a
/// cached statement beats parsing a large multi-row `INSERT` for every chunk.
/// Neither `RETURNING` nor a multi-row `VALUES` is used: either makes SQLite
/// keep a statement journal, copying every page a statement touches.
///
/// `AUTOINCREMENT` gives each row an id above every id the table ever had and
/// the write lock keeps other writers out, so the ids are increasing and lie
/// between the first and the last one; when there are exactly as many values
/// as rows they are every integer of that range.
fn insert_rows_sqlite<'a>(
    conn: &mut diesel::SqliteConnection,
    values: impl ExactSizeIterator<Item = ArticleValues<'a>>,
) -> Result<Vec<i64>, WriteError> {
    fn last_insert_rowid(conn: &mut diesel::SqliteConnection) -> QueryResult<i64> {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "last_insert_rowid()",
        ))
        .get_result(conn)
    }
    let count = values.len();
    let mut first = None;
    for row in values {
        let external_id = row.external_id;
        diesel::insert_into(articles::table)
            .values(row)
            .execute(conn)
            .map_err(|e| external_id_taken(e, external_id))?;
        if first.is_none() {
            first = Some(last_insert_rowid(conn)?);
        }
    }
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    let last = last_insert_rowid(conn)?;
    if usize::try_from(last - first).ok() == Some(count - 1) {
        return Ok((first..=last).collect());
    }
    Ok(articles::table
        .filter(articles::id.between(first, last))
        .select(articles::id)
        .order(articles::id)
        .load(conn)?)
}

/// [`ArticleValues`] with the id: `COPY` cannot return the ids it assigns.
#[derive(Insertable)]
#[diesel(table_name = articles, treat_none_as_default_value = false)]
struct ArticleCopyRow<'a> {
    id: i64,
    external_id: Option<&'a str>,
    category_id: i64,
    title: &'a str,
    summary: Option<&'a str>,
    content_html: Option<&'a str>,
    url: Option<&'a str>,
    author: Option<&'a str>,
    contributors: String,
    source_name: Option<&'a str>,
    source_url: Option<&'a str>,
    source_feed_url: Option<&'a str>,
    copyright: Option<&'a str>,
    tags: String,
    image_url: Option<&'a str>,
    image_mime_type: Option<&'a str>,
    image_length: Option<i64>,
    status: &'a str,
    published_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_caption: Option<&'a str>,
}

impl<'a> ArticleCopyRow<'a> {
    fn new(id: i64, v: ArticleValues<'a>) -> Self {
        Self {
            id,
            external_id: v.external_id,
            category_id: v.category_id,
            title: v.title,
            summary: v.summary,
            content_html: v.content_html,
            url: v.url,
            author: v.author,
            contributors: v.contributors,
            source_name: v.source_name,
            source_url: v.source_url,
            source_feed_url: v.source_feed_url,
            copyright: v.copyright,
            tags: v.tags,
            image_url: v.image_url,
            image_mime_type: v.image_mime_type,
            image_length: v.image_length,
            status: v.status,
            published_at: v.published_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
            image_width: v.image_width,
            image_height: v.image_height,
            image_caption: v.image_caption,
        }
    }
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Takes ids from the articles' identity sequence (increasing, in input
/// order) and sends the rows with one binary `COPY FROM STDIN`: far less
/// work for the server than parsing and planning multi-row `INSERT`s.
fn copy_rows_postgres<'a>(
    conn: &mut diesel::PgConnection,
    values: impl ExactSizeIterator<Item = ArticleValues<'a>>,
) -> Result<Vec<i64>, WriteError> {
    let count =
        i64::try_from(values.len()).map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = diesel::sql_query(
        "SELECT nextval(pg_get_serial_sequence('articles', 'id')) AS id \
         FROM generate_series(1, $1)",
    )
    .bind::<diesel::sql_types::BigInt, _>(count)
    .load::<NextId>(conn)?
    .into_iter()
    .map(|row| row.id)
    .collect();
    ids.sort_unstable();
    let rows: Vec<ArticleCopyRow<'a>> = ids
        .iter()
        .zip(values)
        .map(|(&id, v)| ArticleCopyRow::new(id, v))
        .collect();
    diesel::copy_from(articles::table)
        .from_insertable(&rows)
        .execute(conn)
        .map_err(|e| external_id_taken(e, Some("(in batch)")))?;
    Ok(ids)
}

/// Deletes the article; `false` when it did not exist.
pub fn delete_article(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    id: i64,
) -> Result<bool, WriteError> {
    write_transaction(conn, clock, |tx| {
        let Some((row, slug)) = find_row(tx.conn, id)? else {
            return Ok(false);
        };
        let category_id = row.category_id;
        let before = Placement::of(&row.into_article(&slug)?, category_id);
        facets::remove_facets(tx.conn, id)?;
        diesel::delete(articles::table.filter(articles::id.eq(id))).execute(tx.conn)?;
        record_departures(tx, id, &before, None)?;
        record_article_change(tx, [&before]);
        Ok(true)
    })
}

/// Articles of any status, newest first (`published_at`, then `id`), after `cursor`.
pub fn list_articles(
    conn: &mut DbConnection,
    filter: &ArticleFilter,
    cursor: Option<ArticleCursor>,
    limit: i64,
) -> QueryResult<Vec<Article>> {
    let mut query = articles::table
        .inner_join(categories::table)
        .select((ArticleRow::as_select(), categories::slug))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(category_id) = filter.category_id {
        query = query.filter(articles::category_id.eq(category_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(articles::status.eq(status.as_str()));
    }
    if let Some(cursor) = cursor {
        let at: NaiveDateTime = cursor.published_at.naive_utc();
        query = query.filter(
            articles::published_at.lt(at).or(articles::published_at
                .eq(at)
                .and(articles::id.lt(cursor.id))),
        );
    }
    query
        .load::<RowWithSlug>(conn)?
        .into_iter()
        .map(into_article)
        .collect()
}

/// Every article with an id above `after_id`, in id order (for `syndic export`).
pub fn list_articles_after_id(
    conn: &mut DbConnection,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Article>> {
    articles::table
        .inner_join(categories::table)
        .filter(articles::id.gt(after_id))
        .order(articles::id)
        .limit(limit)
        .select((ArticleRow::as_select(), categories::slug))
        .load::<RowWithSlug>(conn)?
        .into_iter()
        .map(into_article)
        .collect()
}

/// The published articles of `scope` whose time has come at `now`, newest
/// first, skipping `offset`.
pub fn list_live_articles(
    conn: &mut DbConnection,
    scope: &Scope,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Article>> {
    let mut query = articles::table
        .inner_join(categories::table)
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now.naive_utc()))
        .select((ArticleRow::as_select(), categories::slug))
        .order((articles::published_at.desc(), articles::id.desc()))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    match scope {
        Scope::Site => {}
        Scope::Category(id) => query = query.filter(articles::category_id.eq(*id)),
        Scope::Facet(facet) => return facets::list_live(conn, facet, now, offset, limit),
    }
    query
        .load::<RowWithSlug>(conn)?
        .into_iter()
        .map(into_article)
        .collect()
}

/// Live articles of the site or of one category (facets have their own table).
fn live_in(
    category: Option<i64>,
    now: DateTime<Utc>,
) -> articles::BoxedQuery<'static, <DbConnection as diesel::Connection>::Backend> {
    let mut query = articles::table
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now.naive_utc()))
        .into_boxed();
    if let Some(id) = category {
        query = query.filter(articles::category_id.eq(id));
    }
    query
}

/// How many articles of `scope` are live at `now` (for the last page link).
pub fn count_live_articles(
    conn: &mut DbConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let category = match scope {
        Scope::Site => None,
        Scope::Category(id) => Some(*id),
        Scope::Facet(facet) => return facets::count_live(conn, facet, now),
    };
    live_in(category, now).count().get_result(conn)
}

/// The newest publication time among live articles of `scope`: a scheduled
/// article changes its feeds at that time, with no write to record it.
pub fn newest_live_published_at(
    conn: &mut DbConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let category = match scope {
        Scope::Site => None,
        Scope::Category(id) => Some(*id),
        Scope::Facet(facet) => return facets::newest_live_published_at(conn, facet, now),
    };
    let newest = live_in(category, now)
        .select(diesel::dsl::max(articles::published_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(newest.map(|t| t.and_utc()))
}

/// When the next scheduled article of `scope` goes live, if any.
pub fn next_scheduled_at(
    conn: &mut DbConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let mut query = articles::table
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.gt(now.naive_utc()))
        .select(diesel::dsl::min(articles::published_at))
        .into_boxed();
    match scope {
        Scope::Site => {}
        Scope::Category(id) => query = query.filter(articles::category_id.eq(*id)),
        Scope::Facet(facet) => return facets::next_scheduled_at(conn, facet, now),
    }
    Ok(query
        .first::<Option<NaiveDateTime>>(conn)?
        .map(|t| t.and_utc()))
}
