//! Categories: a slug plus what readers see of them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::{from_value, Checks, Invalid, Optional};
use super::{FieldError, Slug, SITE_FEED_NAME};

/// What an editor controls about a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryFields {
    pub name: String,
    pub description: String,
    /// Overrides the site's default copyright for the category's articles.
    pub copyright: Option<String>,
}

/// A stored category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: i64,
    pub slug: Slug,
    pub fields: CategoryFields,
    pub updated_at: DateTime<Utc>,
}

/// Longest category name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A category as editors send it and the categories file holds it.
#[derive(Debug, Default, Deserialize)]
pub struct CategoryInput {
    slug: Optional<String>,
    name: Optional<String>,
    description: Optional<String>,
    copyright: Optional<String>,
}

fn slug_not_reserved(raw: &str) -> Result<Slug, Invalid> {
    if raw == SITE_FEED_NAME {
        Err(format!("{SITE_FEED_NAME:?} is reserved for the site-wide feeds").into())
    } else {
        Slug::parse(raw)
    }
}

fn category_name(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        Err("must not be blank".into())
    } else if raw.chars().count() > MAX_NAME_CHARS {
        Err(format!("must be at most {MAX_NAME_CHARS} characters").into())
    } else {
        Ok(raw.to_owned())
    }
}

impl TryFrom<CategoryInput> for (Option<Slug>, CategoryFields) {
    type Error = Vec<FieldError>;

    fn try_from(input: CategoryInput) -> Result<Self, Vec<FieldError>> {
        let mut checks = Checks::new("");
        let slug = checks.optional("slug", input.slug, slug_not_reserved);
        let name = checks.required("name", input.name, category_name);
        let description = checks
            .optional_text("description", input.description)
            .unwrap_or_default();
        let copyright = checks.optional_text("copyright", input.copyright);
        checks.finish(name.map(|name| {
            (
                slug,
                CategoryFields {
                    name,
                    description,
                    copyright,
                },
            )
        }))
    }
}

impl CategoryFields {
    /// Validates a category in its JSON form. Returns the slug when the body
    /// names one (`POST` requires it; `PUT` takes it from the path).
    pub fn from_json(value: &Value) -> Result<(Option<Slug>, Self), Vec<FieldError>> {
        from_value::<CategoryInput>(value)?.try_into()
    }
}

/// A category as the API shows it and the categories file holds it.
#[derive(Debug, Serialize)]
pub struct CategoryJson<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a str,
    copyright: Option<&'a str>,
}

impl Category {
    /// The category as the API shows it and the categories file holds it.
    pub fn to_json(&self) -> CategoryJson<'_> {
        CategoryJson {
            slug: self.slug.as_str(),
            name: &self.fields.name,
            description: &self.fields.description,
            copyright: self.fields.copyright.as_deref(),
        }
    }
}
