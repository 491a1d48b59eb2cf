//! Categories: a slug plus what readers see of them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::json_fields::FieldReader;
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

impl CategoryFields {
    /// Validates a category in its JSON form. Returns the slug when the body
    /// names one (`POST` requires it; `PUT` takes it from the path).
    pub fn from_json(value: &Value) -> Result<(Option<Slug>, Self), Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(mut input) = FieldReader::new(value, "", &mut errors) else {
            return Err(errors);
        };
        let slug = input.optional_parsed("slug", |raw| {
            if raw == SITE_FEED_NAME {
                Err(format!(
                    "{SITE_FEED_NAME:?} is reserved for the site-wide feeds"
                ))
            } else {
                Slug::parse(raw)
            }
        });
        let name = input.required_parsed("name", |raw| {
            if raw.trim().is_empty() {
                Err("must not be blank".to_owned())
            } else if raw.chars().count() > MAX_NAME_CHARS {
                Err(format!("must be at most {MAX_NAME_CHARS} characters"))
            } else {
                Ok(raw.to_owned())
            }
        });
        let description = input
            .optional_str("description")
            .unwrap_or_default()
            .to_owned();
        let copyright = input.optional_str("copyright").map(str::to_owned);
        input.finish(&mut errors);
        match name {
            Some(name) if errors.is_empty() => Ok((
                slug,
                Self {
                    name,
                    description,
                    copyright,
                },
            )),
            _ => Err(errors),
        }
    }
}

impl Category {
    /// The category as the API shows it and the categories file holds it.
    pub fn to_json(&self) -> Value {
        json!({
            "slug": self.slug.as_str(),
            "name": self.fields.name,
            "description": self.fields.description,
            "copyright": self.fields.copyright,
        })
    }
}
