//! Category queries.

use diesel::prelude::*;

use super::articles::count_live_articles;
use super::changes::ChangeRecord;
use super::rows::CategoryRow;
use super::schema::{articles, categories};
use super::{write_transaction, DbConnection, WriteError, WriteTx};
use crate::clock::Clock;
use crate::domain::Scope;
use crate::domain::{Category, CategoryFields, Slug};

pub fn list_categories(conn: &mut DbConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .order(categories::slug)
        .select(CategoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(CategoryRow::into_category)
        .collect()
}

pub fn count_categories(conn: &mut DbConnection) -> QueryResult<i64> {
    categories::table.count().get_result(conn)
}

pub fn find_category(conn: &mut DbConnection, slug: &Slug) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::slug.eq(slug.as_str()))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()?
        .map(CategoryRow::into_category)
        .transpose()
}

pub fn create_category(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    slug: &Slug,
    fields: &CategoryFields,
) -> Result<Category, WriteError> {
    write_transaction(conn, clock, |tx| {
        let now = tx.now;
        if find_category(tx.conn, slug)?.is_some() {
            return Err(WriteError::SlugTaken(slug.clone()));
        }
        let id = diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(slug.as_str()),
                categories::name.eq(&fields.name),
                categories::description.eq(&fields.description),
                categories::copyright.eq(fields.copyright.as_deref()),
                categories::created_at.eq(now.naive_utc()),
                categories::updated_at.eq(now.naive_utc()),
            ))
            .returning(categories::id)
            .get_result::<i64>(tx.conn)?;
        tx.record(ChangeRecord::category(id, false));
        Ok(Category {
            id,
            slug: slug.clone(),
            fields: fields.clone(),
            updated_at: now,
        })
    })
}

/// Replaces a category's fields; `None` when it does not exist. An update
/// that changes nothing writes nothing.
pub fn update_category(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    slug: &Slug,
    fields: &CategoryFields,
) -> Result<Option<Category>, WriteError> {
    write_transaction(conn, clock, |tx| {
        let Some(existing) = find_category(tx.conn, slug)? else {
            return Ok(None);
        };
        Ok(Some(replace_fields(tx, existing, fields)?))
    })
}

/// Creates the category or replaces its fields (for `syndic import`).
pub fn upsert_category(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    slug: &Slug,
    fields: &CategoryFields,
) -> Result<Category, WriteError> {
    match update_category(conn, clock, slug, fields)? {
        Some(category) => Ok(category),
        None => create_category(conn, clock, slug, fields),
    }
}

fn replace_fields(
    tx: &mut WriteTx<'_>,
    existing: Category,
    fields: &CategoryFields,
) -> QueryResult<Category> {
    let now = tx.now;
    if existing.fields == *fields {
        return Ok(existing);
    }
    diesel::update(categories::table.filter(categories::id.eq(existing.id)))
        .set((
            categories::name.eq(&fields.name),
            categories::description.eq(&fields.description),
            categories::copyright.eq(fields.copyright.as_deref()),
            categories::updated_at.eq(now.naive_utc()),
        ))
        .execute(tx.conn)?;
    // Its name shows in the site-wide feeds only through its live articles.
    let has_live_articles = count_live_articles(tx.conn, &Scope::Category(existing.id), now)? > 0;
    tx.record(ChangeRecord::category(existing.id, has_live_articles));
    // Its live articles show its name and copyright in their facets' feeds too.
    for key in super::facets::live_facet_keys_in_category(tx.conn, existing.id, now)? {
        tx.record(ChangeRecord::facet(key, true));
    }
    Ok(Category {
        fields: fields.clone(),
        updated_at: now,
        ..existing
    })
}

/// Deletes an empty category; `false` when it does not exist.
pub fn delete_category(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    slug: &Slug,
) -> Result<bool, WriteError> {
    write_transaction(conn, clock, |tx| {
        let Some(existing) = find_category(tx.conn, slug)? else {
            return Ok(false);
        };
        let articles_left = articles::table
            .filter(articles::category_id.eq(existing.id))
            .count()
            .get_result::<i64>(tx.conn)?;
        if articles_left > 0 {
            return Err(WriteError::CategoryNotEmpty(slug.clone()));
        }
        diesel::delete(categories::table.filter(categories::id.eq(existing.id)))
            .execute(tx.conn)?;
        tx.record(ChangeRecord::category(existing.id, false));
        super::changes::note_category_deleted(tx.conn, tx.now)?;
        Ok(true)
    })
}
