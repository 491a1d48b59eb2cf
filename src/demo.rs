//! Demo content for `syndic serve --demo`: a few categories and articles of a
//! made-up regional news site, created only when the database is empty. The
//! same files under `demo/` work with `syndic import`.

use serde_json::Value;

use crate::clock::Clock;
use crate::domain::{CategoryFields, NewArticle};
use crate::store::{self, DbConnection};

const CATEGORIES: &str = include_str!("../demo/categories.json");
const ARTICLES: &str = include_str!("../demo/articles.ndjson");

/// Creates the demo content when there are no categories yet; `true` if it did.
pub fn fill_if_empty(conn: &mut DbConnection, clock: &dyn Clock) -> Result<bool, String> {
    if store::count_categories(conn).map_err(|e| e.to_string())? > 0 {
        return Ok(false);
    }
    let categories: Vec<Value> = serde_json::from_str(CATEGORIES).map_err(|e| e.to_string())?;
    for value in &categories {
        let (slug, fields) = CategoryFields::from_json(value).map_err(|e| format!("{e:?}"))?;
        let slug = slug.ok_or("demo category without slug")?;
        store::upsert_category(conn, clock, &slug, &fields).map_err(|e| e.to_string())?;
    }
    let articles = ARTICLES
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
            NewArticle::from_json(&value).map_err(|e| format!("{e:?}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    store::upsert_articles(conn, clock, &articles).map_err(|e| e.to_string())?;
    Ok(true)
}
