//! Demo content for `syndic serve --demo`: a few categories and articles of a
//! made-up regional news site, created only when the database is empty. The
//! same files under `demo/` work with `syndic import`.

use serde_json::Value;

use crate::clock::Clock;
use crate::domain::{CategoryFields, FieldError, NewArticle};
use crate::store::{self, DbConnection, WriteError};

const CATEGORIES: &str = include_str!("../../demo/categories.json");
const ARTICLES: &str = include_str!("../../demo/articles.ndjson");

/// Why the demo content could not be created.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is not valid JSON")]
    Json(#[from] serde_json::Error),
    #[error("demo data is not valid: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("demo data could not be stored")]
    Store(#[from] WriteError),
}

/// Creates the demo content when there are no categories yet; `true` if it did.
pub fn fill_if_empty(conn: &mut DbConnection, clock: &dyn Clock) -> Result<bool, DemoError> {
    if store::count_categories(conn).map_err(WriteError::from)? > 0 {
        return Ok(false);
    }
    let categories: Vec<Value> = serde_json::from_str(CATEGORIES)?;
    for value in &categories {
        let (slug, fields) = CategoryFields::from_json(value).map_err(DemoError::Invalid)?;
        let slug = slug.ok_or_else(|| {
            DemoError::Invalid(vec![FieldError::new("slug", "demo category without slug")])
        })?;
        store::upsert_category(conn, clock, &slug, &fields)?;
    }
    let articles = ARTICLES
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)?;
            NewArticle::from_json(&value).map_err(DemoError::Invalid)
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    store::upsert_articles(conn, clock, &articles)?;
    Ok(true)
}
