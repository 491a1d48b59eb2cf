//! Domain values that cannot hold a bad value: every constructor validates.
//! No Diesel and no actix here.

mod article;
mod category;
mod database_url;
mod feed;
mod input;
mod purge_target;
mod surrogate;
mod text;
mod token;

pub use article::{
    format_time, is_representable, merge_patch, sanitize_html, truncate_to_micros, Article,
    ArticleFields, ArticleInput, ArticleJson, ArticleStatus, Contributor, Image, NewArticle,
    Source,
};
pub use category::{Category, CategoryFields, CategoryInput, CategoryJson};
pub use database_url::DatabaseUrl;
pub use feed::{
    facet_feed_url, feed_url, Facet, FacetKind, FeedFormat, FeedName, Scope, Tombstone,
    SITE_FEED_NAME,
};
pub use input::{Field, Invalid};
pub use purge_target::{ProviderCredentials, PurgeTarget, Secret};
pub use surrogate::{SurrogateKey, SurrogateKeys};
pub use text::{AbsoluteUrl, ExternalId, Slug, Title};
pub use token::{generate_token, hash_token};

/// One field that failed validation, reported in problem+json `errors`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// JSON path of the field, e.g. `title` or `source.url`.
    pub field: String,
    /// What is wrong with it, for a human.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, reported under `prefix` (e.g. `[3]` in a batch).
    pub fn prefixed(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_owned()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        Self { field, ..self }
    }
}

/// Site-wide publishing settings, from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub title: String,
    /// The publishing site's home page.
    pub url: AbsoluteUrl,
    /// BCP 47 language tag, e.g. `zh-CN`.
    pub language: String,
    /// Copyright used when neither the article nor its category has one.
    pub default_copyright: Option<String>,
    /// A square image of the site (Atom `icon`, JSON Feed `icon`/`favicon`).
    pub icon: Option<AbsoluteUrl>,
    /// A wide image of the site (RSS `<image>`, Atom `logo`).
    pub logo: Option<AbsoluteUrl>,
}
