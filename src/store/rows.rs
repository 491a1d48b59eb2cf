//! Rows as Diesel reads and writes them, and their conversion to domain types.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::schema::{articles, categories};
use crate::domain::{
    AbsoluteUrl, Article, ArticleFields, ArticleStatus, Category, CategoryFields, Contributor,
    ExternalId, Image, Invalid, Slug, Source, Title,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleRow {
    pub id: i64,
    pub category_id: i64,
    pub external_id: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub contributors: String,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    pub source_feed_url: Option<String>,
    pub copyright: Option<String>,
    pub tags: String,
    pub image_url: Option<String>,
    pub image_mime_type: Option<String>,
    pub image_length: Option<i64>,
    pub status: String,
    pub published_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub image_width: Option<i32>,
    pub image_height: Option<i32>,
    pub image_caption: Option<String>,
}

/// Column values of one article write.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct ArticleValues<'a> {
    pub external_id: Option<&'a str>,
    pub category_id: i64,
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub content_html: Option<&'a str>,
    pub url: Option<&'a str>,
    pub author: Option<&'a str>,
    pub contributors: String,
    pub source_name: Option<&'a str>,
    pub source_url: Option<&'a str>,
    pub source_feed_url: Option<&'a str>,
    pub copyright: Option<&'a str>,
    pub tags: String,
    pub image_url: Option<&'a str>,
    pub image_mime_type: Option<&'a str>,
    pub image_length: Option<i64>,
    pub image_width: Option<i32>,
    pub image_height: Option<i32>,
    pub image_caption: Option<&'a str>,
    pub status: &'a str,
    pub published_at: NaiveDateTime,
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl<'a> ArticleValues<'a> {
    pub fn new(
        fields: &'a ArticleFields,
        category_id: i64,
        published_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        let source = fields.source.as_ref();
        let image = fields.image.as_ref();
        Self {
            external_id: fields.external_id.as_ref().map(ExternalId::as_str),
            category_id,
            title: fields.title.as_str(),
            summary: fields.summary.as_deref(),
            content_html: fields.content_html.as_deref(),
            url: fields.url.as_ref().map(AbsoluteUrl::as_str),
            author: fields.author.as_deref(),
            contributors: to_json_text(&fields.contributors),
            source_name: source.map(|s| s.name.as_str()),
            source_url: source.map(|s| s.url.as_str()),
            source_feed_url: source
                .and_then(|s| s.feed_url.as_ref())
                .map(AbsoluteUrl::as_str),
            copyright: fields.copyright.as_deref(),
            tags: to_json_text(&fields.tags),
            image_url: image.map(|i| i.url.as_str()),
            image_mime_type: image.map(|i| i.mime_type.as_str()),
            // Validated to fit on input.
            image_length: image
                .and_then(|i| i.length)
                .and_then(|n| i64::try_from(n).ok()),
            image_width: image.and_then(|i| i.width).map(pixels),
            image_height: image.and_then(|i| i.height).map(pixels),
            image_caption: image.and_then(|i| i.caption.as_deref()),
            status: fields.status.as_str(),
            published_at: published_at.naive_utc(),
            created_at: now.naive_utc(),
            updated_at: now.naive_utc(),
        }
    }
}

/// A pixel size as stored (validated on input to fit, see `Image::MAX_PIXELS`).
fn pixels(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn to_json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

/// Stored data that no longer parses: reported as a deserialization error
/// rather than served.
fn corrupt(what: &str, id: i64, message: impl std::fmt::Display) -> DieselError {
    DieselError::DeserializationError(format!("{what} {id}: {message}").into())
}

impl ArticleRow {
    pub fn into_article(self, category: &str) -> Result<Article, DieselError> {
        let id = self.id;
        let bad = |invalid: Invalid| corrupt("article", id, invalid);
        let parse_url = |raw: &str| AbsoluteUrl::parse(raw).map_err(bad);
        let source = match (self.source_name, self.source_url) {
            (Some(name), Some(url)) => Some(Source {
                name,
                url: parse_url(&url)?,
                feed_url: self.source_feed_url.as_deref().map(parse_url).transpose()?,
            }),
            _ => None,
        };
        let image = match (self.image_url, self.image_mime_type) {
            (Some(url), Some(mime_type)) => Some(Image {
                url: parse_url(&url)?,
                mime_type,
                length: self.image_length.and_then(|n| u64::try_from(n).ok()),
                width: self.image_width.and_then(|n| u32::try_from(n).ok()),
                height: self.image_height.and_then(|n| u32::try_from(n).ok()),
                caption: self.image_caption,
            }),
            _ => None,
        };
        let contributors: Vec<Contributor> =
            serde_json::from_str(&self.contributors).map_err(|e| corrupt("article", id, e))?;
        let tags: Vec<String> =
            serde_json::from_str(&self.tags).map_err(|e| corrupt("article", id, e))?;
        Ok(Article {
            id,
            fields: ArticleFields {
                external_id: self
                    .external_id
                    .as_deref()
                    .map(ExternalId::parse)
                    .transpose()
                    .map_err(bad)?,
                category: Slug::parse(category).map_err(bad)?,
                title: Title::parse(&self.title).map_err(bad)?,
                summary: self.summary,
                content_html: self.content_html,
                url: self.url.as_deref().map(parse_url).transpose()?,
                author: self.author,
                contributors,
                source,
                copyright: self.copyright,
                tags,
                image,
                status: ArticleStatus::parse(&self.status).map_err(bad)?,
            },
            published_at: self.published_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub copyright: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl CategoryRow {
    pub fn into_category(self) -> Result<Category, DieselError> {
        Ok(Category {
            id: self.id,
            slug: Slug::parse(&self.slug).map_err(|m| corrupt("category", self.id, m))?,
            fields: CategoryFields {
                name: self.name,
                description: self.description,
                copyright: self.copyright,
            },
            updated_at: self.updated_at.and_utc(),
        })
    }
}
