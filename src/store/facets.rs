//! Facet feeds' storage: the tags, authors and source names ever written
//! (`facets`) and which published articles carry each (`article_facets`).
//! Every query of a facet feed is a range of one index keyed by
//! [`Facet::key`], so its cost depends on the page asked, not on how many
//! articles there are.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::changes::{read_state, write_state};
use super::rows::ArticleRow;
use super::schema::{article_facets, articles, categories, facets};
use super::{write_transaction, DbConnection, WriteError};
use crate::clock::Clock;
use crate::domain::{Article, ArticleFields, ArticleStatus, Facet, FacetKind};

#[derive(Insertable)]
#[diesel(table_name = facets)]
struct FacetRow<'a> {
    facet_key: i64,
    kind: &'static str,
    value: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = article_facets, treat_none_as_default_value = false)]
struct ArticleFacetRow {
    article_id: i64,
    facet_key: i64,
    published_at: NaiveDateTime,
}

/// Largest number of keys in one `IN (…)` list.
const LOOKUP_CHUNK: usize = 1000;

/// Records the facets of each `(id, published_at, fields)` that is
/// published (live or scheduled); drafts are in no feed.
pub(super) fn add_facets(
    conn: &mut DbConnection,
    written: &[(i64, DateTime<Utc>, &ArticleFields)],
) -> QueryResult<()> {
    let mut names = BTreeMap::new();
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut rows = Vec::new();
    for (id, published_at, fields) in written {
        if fields.status != ArticleStatus::Published {
            continue;
        }
        for facet in fields.facets() {
            let key = facet.key();
            rows.push(ArticleFacetRow {
                article_id: *id,
                facet_key: key,
                published_at: published_at.naive_utc(),
            });
            *counts.entry(key).or_default() += 1;
            names.entry(key).or_insert(facet);
        }
    }
    add_names(conn, &names)?;
    add_to_counts(conn, &counts)?;
    match conn {
        // One prepared statement per row beats a parsed multi-row INSERT on
        // SQLite (in-process); PostgreSQL takes them all in one COPY.
        DbConnection::Sqlite(inner) => {
            for row in rows {
                diesel::insert_into(article_facets::table)
                    .values(row)
                    .execute(inner)?;
            }
        }
        DbConnection::Postgres(inner) if !rows.is_empty() => {
            diesel::copy_from(article_facets::table)
                .from_insertable(&rows)
                .execute(inner)?;
        }
        DbConnection::Postgres(_) => {}
    }
    Ok(())
}

/// Adds the names not yet in `facets`.
fn add_names(conn: &mut DbConnection, names: &BTreeMap<i64, Facet>) -> QueryResult<()> {
    let keys: Vec<i64> = names.keys().copied().collect();
    let mut known = HashSet::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        known.extend(
            facets::table
                .filter(facets::facet_key.eq_any(chunk))
                .select(facets::facet_key)
                .load::<i64>(conn)?,
        );
    }
    for (key, facet) in names {
        if known.contains(key) {
            continue;
        }
        diesel::insert_into(facets::table)
            .values(FacetRow {
                facet_key: *key,
                kind: facet.kind().as_str(),
                value: facet.value(),
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Adds `n` to the published count of each facet `key`.
fn add_to_counts(conn: &mut DbConnection, counts: &BTreeMap<i64, i64>) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(inner) => {
            for (key, n) in counts {
                diesel::update(facets::table.filter(facets::facet_key.eq(key)))
                    .set(facets::published_count.eq(facets::published_count + n))
                    .execute(inner)?;
            }
        }
        // One statement for a whole import batch, not one round trip per facet.
        DbConnection::Postgres(inner) if !counts.is_empty() => {
            use diesel::sql_types::{Array, BigInt};
            let keys: Vec<i64> = counts.keys().copied().collect();
            let added: Vec<i64> = counts.values().copied().collect();
            diesel::sql_query(
                "UPDATE facets SET published_count = published_count + added.n \
                 FROM (SELECT unnest($1) AS key, unnest($2) AS n) AS added \
                 WHERE facets.facet_key = added.key",
            )
            .bind::<Array<BigInt>, _>(keys)
            .bind::<Array<BigInt>, _>(added)
            .execute(inner)?;
        }
        DbConnection::Postgres(_) => {}
    }
    Ok(())
}

/// Forgets which facets article `id` carried (before rewriting or deleting it).
pub(super) fn remove_facets(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let keys = article_facets::table
        .filter(article_facets::article_id.eq(id))
        .select(article_facets::facet_key)
        .load::<i64>(conn)?;
    if keys.is_empty() {
        return Ok(());
    }
    diesel::delete(article_facets::table.filter(article_facets::article_id.eq(id)))
        .execute(conn)?;
    diesel::update(facets::table.filter(facets::facet_key.eq_any(&keys)))
        .set(facets::published_count.eq(facets::published_count - 1))
        .execute(conn)
        .map(drop)
}

/// The facet stored under `key`, if any article ever carried it.
pub fn find_facet(conn: &mut DbConnection, key: i64) -> QueryResult<Option<Facet>> {
    let row = facets::table
        .filter(facets::facet_key.eq(key))
        .select((facets::kind, facets::value))
        .first::<(String, String)>(conn)
        .optional()?;
    Ok(row.and_then(|(kind, value)| {
        let kind = FacetKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
        Facet::new(kind, &value)
    }))
}

/// Whether `facet` is the one stored under its key: a facet never written
/// (or a hash collision, which 64 bits make vanishingly rare) has no feed.
pub fn is_known(conn: &mut DbConnection, facet: &Facet) -> QueryResult<bool> {
    Ok(find_facet(conn, facet.key())?.as_ref() == Some(facet))
}

/// Live articles carrying `facet` at `now`, newest first, after `offset`.
/// The page's ids come from the index alone; only they are joined to their
/// articles, so page 500 skips 10,000 index entries, not 10,000 articles.
pub(super) fn list_live(
    conn: &mut DbConnection,
    facet: &Facet,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Article>> {
    let ids: Vec<i64> = article_facets::table
        .filter(article_facets::facet_key.eq(facet.key()))
        .filter(article_facets::published_at.le(now.naive_utc()))
        .order((
            article_facets::published_at.desc(),
            article_facets::article_id.desc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(article_facets::article_id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: std::collections::HashMap<i64, Article> = articles::table
        .inner_join(categories::table)
        .filter(articles::id.eq_any(&ids))
        .select((ArticleRow::as_select(), categories::slug))
        .load::<(ArticleRow, String)>(conn)?
        .into_iter()
        .map(|(row, slug)| row.into_article(&slug).map(|a| (a.id, a)))
        .collect::<QueryResult<_>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// How many articles carrying `facet` are live at `now`: the published
/// count less the scheduled ones (a short range of the index).
pub(super) fn count_live(
    conn: &mut DbConnection,
    facet: &Facet,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let published = facets::table
        .filter(facets::facet_key.eq(facet.key()))
        .select(facets::published_count)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0);
    let scheduled: i64 = article_facets::table
        .filter(article_facets::facet_key.eq(facet.key()))
        .filter(article_facets::published_at.gt(now.naive_utc()))
        .count()
        .get_result(conn)?;
    Ok(published - scheduled)
}

/// The newest publication time among the live articles carrying `facet`.
pub(super) fn newest_live_published_at(
    conn: &mut DbConnection,
    facet: &Facet,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let newest = article_facets::table
        .filter(article_facets::facet_key.eq(facet.key()))
        .filter(article_facets::published_at.le(now.naive_utc()))
        .select(diesel::dsl::max(article_facets::published_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(newest.map(|t| t.and_utc()))
}

/// When the next scheduled article carrying `facet` goes live.
pub(super) fn next_scheduled_at(
    conn: &mut DbConnection,
    facet: &Facet,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let next = article_facets::table
        .filter(article_facets::facet_key.eq(facet.key()))
        .filter(article_facets::published_at.gt(now.naive_utc()))
        .select(diesel::dsl::min(article_facets::published_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(next.map(|t| t.and_utc()))
}

/// The facets of the articles with ids in `ids` (for WebSub: which facet
/// feeds scheduled articles reached when they went live).
pub(super) fn facets_of_articles(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Facet>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let rows = article_facets::table
            .inner_join(facets::table.on(facets::facet_key.eq(article_facets::facet_key)))
            .filter(article_facets::article_id.eq_any(chunk))
            .select((facets::kind, facets::value))
            .distinct()
            .load::<(String, String)>(conn)?;
        found.extend(rows.into_iter().filter_map(|(kind, value)| {
            let kind = FacetKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
            Facet::new(kind, &value)
        }));
    }
    Ok(found)
}

/// The keys of every facet some live article of category `id` carries at
/// `now`: the facet feeds that show the category's name and copyright.
pub(super) fn live_facet_keys_in_category(
    conn: &mut DbConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    article_facets::table
        .inner_join(articles::table)
        .filter(articles::category_id.eq(id))
        .filter(article_facets::published_at.le(now.naive_utc()))
        .select(article_facets::facet_key)
        .distinct()
        .load(conn)
}

/// The `count` tags most used among the newest `among` live articles: what
/// the site is writing about now, at the cost of one short index walk (a
/// count over every article would grow with the archive).
pub fn current_tags(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    among: i64,
    count: usize,
) -> QueryResult<Vec<(Facet, usize)>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let tag_lists = articles::table
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now.naive_utc()))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(among)
        .select(articles::tags)
        .load::<String>(conn)?;
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for list in tag_lists {
        let tags: Vec<String> = serde_json::from_str(&list).unwrap_or_default();
        let distinct: std::collections::BTreeSet<String> = tags.into_iter().collect();
        for tag in distinct {
            *uses.entry(tag).or_default() += 1;
        }
    }
    let mut ranked: Vec<(Facet, usize)> = uses
        .into_iter()
        .filter_map(|(tag, n)| Some((Facet::new(FacetKind::Tag, &tag)?, n)))
        .collect();
    // Most used first; ties by name, so the listing is stable.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(count);
    Ok(ranked)
}

/// `service_state` rows: the facet tables hold every article written
/// before they existed; until then, the last article id filled in.
const FACETS_FILLED: &str = "facets_filled";
const FACETS_FILL_CURSOR: &str = "facets_fill_cursor";

/// Articles read per transaction while filling the facet tables.
const FILL_CHUNK: i64 = 2000;

/// Fills the facet tables from the articles stored before they existed,
/// once, in chunks that each commit with their cursor (an interrupted fill
/// goes on where it stopped). Returns how many articles were read. Runs
/// before the service answers, so nothing writes articles meanwhile.
pub fn fill_facets(conn: &mut DbConnection, clock: &dyn Clock) -> Result<usize, WriteError> {
    if read_state(conn, FACETS_FILLED)?.is_some() {
        return Ok(0);
    }
    let mut read = 0;
    loop {
        let filled = write_transaction(conn, clock, |tx| -> Result<usize, WriteError> {
            let after = read_state(tx.conn, FACETS_FILL_CURSOR)?
                .and_then(|raw| raw.parse::<i64>().ok())
                .unwrap_or(0);
            let chunk = articles::table
                .inner_join(categories::table)
                .filter(articles::id.gt(after))
                .order(articles::id)
                .limit(FILL_CHUNK)
                .select((ArticleRow::as_select(), categories::slug))
                .load::<(ArticleRow, String)>(tx.conn)?
                .into_iter()
                .map(|(row, slug)| row.into_article(&slug))
                .collect::<QueryResult<Vec<Article>>>()?;
            let Some(last) = chunk.last().map(|a| a.id) else {
                write_state(tx.conn, FACETS_FILLED, "1", tx.now)?;
                return Ok(0);
            };
            let written: Vec<_> = chunk
                .iter()
                .map(|a| (a.id, a.published_at, &a.fields))
                .collect();
            add_facets(tx.conn, &written)?;
            write_state(tx.conn, FACETS_FILL_CURSOR, &last.to_string(), tx.now)?;
            Ok(chunk.len())
        })?;
        if filled == 0 {
            return Ok(read);
        }
        read += filled;
    }
}
