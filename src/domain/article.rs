//! Articles: what writers send, what is stored, and its JSON form.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::{from_value, Checks, Field, Invalid, Optional, NUL_MESSAGE};
use super::{AbsoluteUrl, ExternalId, Facet, FacetKind, FieldError, Slug, Title};

/// Whether an article may appear in feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Published,
    Draft,
}

impl ArticleStatus {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "published" => Ok(Self::Published),
            "draft" => Ok(Self::Draft),
            _ => Err("must be \"published\" or \"draft\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Draft => "draft",
        }
    }
}

/// A person who worked on the article besides the publishing editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Contributor {
    pub name: String,
    /// e.g. 记者 (reporter), 摄影 (photographer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The outlet an article was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The outlet's name.
    pub name: String,
    /// The original article's URL.
    pub url: AbsoluteUrl,
    /// The outlet's own feed, when known.
    pub feed_url: Option<AbsoluteUrl>,
}

/// The lead image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: AbsoluteUrl,
    pub mime_type: String,
    /// Size in bytes, when known.
    pub length: Option<u64>,
    /// Size in pixels, when given (Media RSS `width`/`height`).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Plain text shown with the image (Media RSS `media:description`).
    pub caption: Option<String>,
}

impl Image {
    /// Largest width or height accepted, in pixels.
    pub const MAX_PIXELS: u32 = 100_000;
}

/// Everything about an article that a writer controls. Text in `summary` and
/// `content_html` is already sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFields {
    pub external_id: Option<ExternalId>,
    pub category: Slug,
    pub title: Title,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub url: Option<AbsoluteUrl>,
    pub author: Option<String>,
    pub contributors: Vec<Contributor>,
    pub source: Option<Source>,
    pub copyright: Option<String>,
    pub tags: Vec<String>,
    pub image: Option<Image>,
    pub status: ArticleStatus,
}

impl ArticleFields {
    /// The facet feeds the article belongs in: each distinct tag, its
    /// author and its source's name.
    pub fn facets(&self) -> std::collections::BTreeSet<Facet> {
        let tags = self.tags.iter().map(|t| (FacetKind::Tag, t.as_str()));
        let author = self.author.iter().map(|a| (FacetKind::Author, a.as_str()));
        let source = self
            .source
            .iter()
            .map(|s| (FacetKind::Source, s.name.as_str()));
        tags.chain(author)
            .chain(source)
            .filter_map(|(kind, value)| Facet::new(kind, value))
            .collect()
    }
}

/// A validated write: the fields, and a publication time when the writer gave
/// one (a new article without one is published now; an update keeps its time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArticle {
    pub fields: ArticleFields,
    pub published_at: Option<DateTime<Utc>>,
}

/// A stored article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: i64,
    pub fields: ArticleFields,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// HTML allowed in `summary` and `content_html`: ammonia's default policy
/// (no scripts, no event handlers, no `javascript:` URLs, links get
/// `rel="noopener noreferrer"`).
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::default);

/// Removes scripts, event handlers and dangerous URLs from HTML.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Times are kept to the microsecond, the finer precision both engines store.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

/// RFC 3339 in UTC, as every API response writes times.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Whether a publication time can be stored and shown: RFC 3339 allows only
/// years 0000 to 9999, and an offset can push an instant out of them in UTC
/// (RSS dates cannot be written for such years).
pub fn is_representable(time: DateTime<Utc>) -> bool {
    (0..=9999).contains(&time.year())
}

fn parse_time(raw: &str) -> Result<DateTime<Utc>, Invalid> {
    let time = DateTime::parse_from_rfc3339(raw)
        .map(|t| truncate_to_micros(t.with_timezone(&Utc)))
        .map_err(|e| Invalid(format!("must be an RFC 3339 date-time: {e}")))?;
    if is_representable(time) {
        Ok(time)
    } else {
        Err("must fall within the years 0000 to 9999 in UTC".into())
    }
}

/// Sanitized HTML; what sanitizing leaves blank counts as absent, like
/// blank input: kept as `Some("")`, it would export as `""` and import back
/// as absent.
fn sanitized(html: Option<String>) -> Option<String> {
    html.map(|h| sanitize_html(&h))
        .filter(|h| !h.trim().is_empty())
}

fn not_blank(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        Err("must not be blank".into())
    } else {
        Ok(raw.to_owned())
    }
}

fn mime_type(raw: &str) -> Result<String, Invalid> {
    let valid = raw.split_once('/').is_some_and(|(kind, sub)| {
        !kind.is_empty() && !sub.is_empty() && raw.is_ascii() && !raw.contains(char::is_whitespace)
    });
    if valid {
        Ok(raw.to_owned())
    } else {
        Err("must be a MIME type such as image/jpeg".into())
    }
}

/// An article as writers send it and `syndic export` writes it; unknown
/// keys (`id`, `updated_at`) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleInput {
    external_id: Optional<String>,
    category: Optional<String>,
    title: Optional<String>,
    summary: Optional<String>,
    content_html: Optional<String>,
    url: Optional<String>,
    author: Optional<String>,
    contributors: Optional<Vec<Field<ContributorInput>>>,
    source: Optional<SourceInput>,
    copyright: Optional<String>,
    tags: Optional<Vec<Field<String>>>,
    image: Optional<ImageInput>,
    published_at: Optional<String>,
    status: Optional<String>,
}

#[derive(Debug, Deserialize)]
struct ContributorInput {
    name: Optional<String>,
    role: Optional<String>,
}

#[derive(Debug, Deserialize)]
struct SourceInput {
    name: Optional<String>,
    url: Optional<String>,
    feed_url: Optional<String>,
}

#[derive(Debug, Deserialize)]
struct ImageInput {
    url: Optional<String>,
    mime_type: Optional<String>,
    length: Optional<u64>,
    width: Optional<u64>,
    height: Optional<u64>,
    caption: Optional<String>,
}

/// A width or height: a whole number of pixels from 1 to `Image::MAX_PIXELS`.
fn pixels(checks: &mut Checks, field: &str, value: Optional<u64>) -> Option<u32> {
    match value? {
        Field::Given(n) if (1..=u64::from(Image::MAX_PIXELS)).contains(&n) => u32::try_from(n).ok(),
        _ => {
            checks.fail(
                field,
                format!("must be an integer from 1 to {}", Image::MAX_PIXELS),
            );
            None
        }
    }
}

impl TryFrom<ArticleInput> for NewArticle {
    type Error = Vec<FieldError>;

    fn try_from(input: ArticleInput) -> Result<Self, Vec<FieldError>> {
        let mut checks = Checks::new("");
        let external_id = checks.optional("external_id", input.external_id, ExternalId::parse);
        let category = checks.required("category", input.category, Slug::parse);
        let title = checks.required("title", input.title, Title::parse);
        let summary = sanitized(checks.optional_text("summary", input.summary));
        let content_html = sanitized(checks.optional_text("content_html", input.content_html));
        let url = checks.optional("url", input.url, AbsoluteUrl::parse);
        let author = checks.optional_text("author", input.author);
        let copyright = checks.optional_text("copyright", input.copyright);
        let published_at = checks.optional("published_at", input.published_at, parse_time);
        let status = checks
            .optional("status", input.status, ArticleStatus::parse)
            .unwrap_or(ArticleStatus::Published);
        let contributors = contributors(&mut checks, input.contributors);
        let tags = tags(&mut checks, input.tags);
        let source = checks.object("source", input.source, |source, checks| {
            let name = checks.required("name", source.name, Title::parse);
            let url = checks.required("url", source.url, AbsoluteUrl::parse);
            let feed_url = checks.optional("feed_url", source.feed_url, AbsoluteUrl::parse);
            Some(Source {
                name: name?.as_str().to_owned(),
                url: url?,
                feed_url,
            })
        });
        let image = checks.object("image", input.image, |image, checks| {
            let url = checks.required("url", image.url, AbsoluteUrl::parse);
            let mime_type = checks.required("mime_type", image.mime_type, mime_type);
            let length = match image.length {
                None => None,
                Some(Field::Given(n)) if i64::try_from(n).is_ok() => Some(n),
                Some(_) => {
                    checks.fail("length", "must be a non-negative integer");
                    None
                }
            };
            let width = pixels(checks, "width", image.width);
            let height = pixels(checks, "height", image.height);
            let caption = checks.optional_text("caption", image.caption);
            Some(Image {
                url: url?,
                mime_type: mime_type?,
                length,
                width,
                height,
                caption,
            })
        });
        let fields = match (category, title) {
            (Some(category), Some(title)) => Some(ArticleFields {
                external_id,
                category,
                title,
                summary,
                content_html,
                url,
                author,
                contributors,
                source,
                copyright,
                tags,
                image,
                status,
            }),
            _ => None,
        };
        checks.finish(fields.map(|fields| Self {
            fields,
            published_at,
        }))
    }
}

impl NewArticle {
    /// Validates an article in its JSON form (the shape `POST /api/v1/articles`
    /// takes and `syndic export` writes).
    pub fn from_json(value: &Value) -> Result<Self, Vec<FieldError>> {
        from_value::<ArticleInput>(value)?.try_into()
    }
}

fn contributors(
    checks: &mut Checks,
    value: Optional<Vec<Field<ContributorInput>>>,
) -> Vec<Contributor> {
    let items = checks.list("contributors", value);
    let mut contributors = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let checked = checks.object(
            &format!("contributors[{i}]"),
            Some(item),
            |person, checks| {
                let name = checks.required("name", person.name, not_blank);
                let role = checks.optional_text("role", person.role);
                Some(Contributor { name: name?, role })
            },
        );
        contributors.extend(checked);
    }
    contributors
}

fn tags(checks: &mut Checks, value: Optional<Vec<Field<String>>>) -> Vec<String> {
    let mut tags = Vec::new();
    for (i, tag) in checks.list("tags", value).into_iter().enumerate() {
        match tag {
            Field::Given(tag) if tag.contains('\0') => {
                checks.fail(&format!("tags[{i}]"), NUL_MESSAGE)
            }
            Field::Given(tag) if !tag.trim().is_empty() => tags.push(tag),
            _ => checks.fail(&format!("tags[{i}]"), "must be a non-blank string"),
        }
    }
    tags
}

/// The source as the API shows it.
#[derive(Debug, Serialize)]
struct SourceView<'a> {
    name: &'a str,
    url: &'a str,
    feed_url: Option<&'a str>,
}

/// The image as the API shows it.
#[derive(Debug, Serialize)]
struct ImageView<'a> {
    url: &'a str,
    mime_type: &'a str,
    length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
}

/// An article as the API shows it (`id`, `updated_at` included) and as
/// `syndic export` writes it (without them).
#[derive(Debug, Serialize)]
pub struct ArticleJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    external_id: Option<&'a str>,
    category: &'a str,
    title: &'a str,
    summary: Option<&'a str>,
    content_html: Option<&'a str>,
    url: Option<&'a str>,
    author: Option<&'a str>,
    contributors: &'a [Contributor],
    source: Option<SourceView<'a>>,
    copyright: Option<&'a str>,
    tags: &'a [String],
    image: Option<ImageView<'a>>,
    status: ArticleStatus,
    published_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

impl<'a> ArticleJson<'a> {
    fn new(article: &'a Article, service_fields: bool) -> Self {
        let fields = &article.fields;
        Self {
            id: service_fields.then_some(article.id),
            external_id: fields.external_id.as_ref().map(ExternalId::as_str),
            category: fields.category.as_str(),
            title: fields.title.as_str(),
            summary: fields.summary.as_deref(),
            content_html: fields.content_html.as_deref(),
            url: fields.url.as_ref().map(AbsoluteUrl::as_str),
            author: fields.author.as_deref(),
            contributors: &fields.contributors,
            source: fields.source.as_ref().map(|s| SourceView {
                name: &s.name,
                url: s.url.as_str(),
                feed_url: s.feed_url.as_ref().map(AbsoluteUrl::as_str),
            }),
            copyright: fields.copyright.as_deref(),
            tags: &fields.tags,
            image: fields.image.as_ref().map(|i| ImageView {
                url: i.url.as_str(),
                mime_type: &i.mime_type,
                length: i.length,
                width: i.width,
                height: i.height,
                caption: i.caption.as_deref(),
            }),
            status: fields.status,
            published_at: format_time(article.published_at),
            updated_at: service_fields.then(|| format_time(article.updated_at)),
        }
    }
}

impl Article {
    /// The article as the API shows it.
    pub fn to_json(&self) -> ArticleJson<'_> {
        ArticleJson::new(self, true)
    }

    /// The article in the shape `syndic import` reads: no service-assigned
    /// `id` or `updated_at`.
    pub fn to_import_json(&self) -> ArticleJson<'_> {
        ArticleJson::new(self, false)
    }

    /// Whether the article shows in feeds at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.fields.status == ArticleStatus::Published && self.published_at <= now
    }
}

/// Applies an RFC 7396 JSON merge patch to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(object) = target {
        for (key, value) in patch {
            if value.is_null() {
                object.remove(key);
            } else {
                merge_patch(object.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn full() -> Value {
        json!({
            "external_id": "x-1",
            "category": "world",
            "title": "标题 & <b>",
            "summary": "<p onclick=\"x()\">摘要</p>",
            "content_html": "<p>正文<script>alert(1)</script><a href=\"javascript:alert(1)\">链接</a></p>",
            "url": "https://news.example.cn/world/1.html",
            "author": "陆林娟",
            "contributors": [{"name": "贾华", "role": "记者"}],
            "source": {"name": "海西都市报", "url": "https://haixi.example/1.html"},
            "copyright": "© 2025 海西都市报",
            "tags": ["储能"],
            "image": {"url": "https://img.example.cn/1.jpg", "mime_type": "image/jpeg", "length": 771060},
            "published_at": "2025-06-01T08:00:20+08:00",
            "status": "published"
        })
    }

    #[test]
    fn a_full_article_parses_and_is_sanitized() {
        let article = NewArticle::from_json(&full()).expect("valid");
        let content = article.fields.content_html.expect("content");
        assert!(
            !content.contains("script") && !content.contains("javascript:"),
            "{content}"
        );
        assert!(!article.fields.summary.expect("summary").contains("onclick"));
        assert_eq!(
            article.published_at.map(format_time).as_deref(),
            Some("2025-06-01T00:00:20Z")
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = NewArticle::from_json(&json!({
            "category": "Not A Slug",
            "title": " ",
            "url": "javascript:alert(1)",
            "published_at": "yesterday",
            "status": "live",
            "tags": [1],
            "source": {"name": "x"},
            "image": {"url": "https://a.example/i.jpg", "mime_type": "jpeg", "length": -1},
        }))
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "category",
            "title",
            "url",
            "published_at",
            "status",
            "tags[0]",
            "source.url",
            "image.mime_type",
            "image.length",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn nul_characters_and_years_outside_rfc_3339_are_rejected() {
        let errors = NewArticle::from_json(&json!({
            "category": "world",
            "title": "a\u{0}b",
            "author": "\u{0}",
            "tags": ["x\u{0}"],
            "contributors": [{"name": "n", "role": "r\u{0}"}],
            "published_at": "0000-01-01T00:00:00+01:00",
        }))
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "author",
                "published_at",
                "contributors[0].role",
                "tags[0]"
            ]
        );
        let edge =
            json!({"category": "world", "title": "t", "published_at": "9999-12-31T23:59:59Z"});
        assert!(NewArticle::from_json(&edge).is_ok());
    }

    #[test]
    fn html_that_sanitizes_to_nothing_is_absent() {
        // Found by fuzzing: Some("") exported as "" and imported back as None.
        let article = NewArticle::from_json(&json!({
            "category": "world",
            "title": "t",
            "summary": "<script>alert(1)</script>",
            "content_html": "<p><script>alert(1)</script></p>",
        }))
        .expect("valid");
        assert_eq!(article.fields.summary, None);
        assert_eq!(article.fields.content_html.as_deref(), Some("<p></p>"));
        let article = NewArticle::from_json(&json!({
            "category": "world",
            "title": "t",
            "content_html": "<script></script>\n",
        }))
        .expect("valid");
        assert_eq!(article.fields.content_html, None);
    }

    #[test]
    fn published_at_must_have_a_four_digit_year_in_utc() {
        // Found by fuzzing: offsets reach years -1 and 10000, which RSS
        // rendering panicked on.
        let at = |raw: &str| {
            NewArticle::from_json(&json!({"category": "world", "title": "t", "published_at": raw}))
                .map(|a| a.published_at.map(format_time))
        };
        for outside in ["0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"] {
            let errors = at(outside).expect_err(outside);
            assert_eq!(errors[0].field, "published_at", "{outside}");
        }
        assert_eq!(
            at("0000-01-01T00:00:00-00:01"),
            Ok(Some("0000-01-01T00:01:00Z".to_owned()))
        );
        assert_eq!(
            at("9999-12-31T23:59:59.999999+00:00"),
            Ok(Some("9999-12-31T23:59:59.999999Z".to_owned()))
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
    }
}
