//! Articles: what writers send, what is stored, and its JSON form.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::json_fields::{FieldReader, NUL_MESSAGE};
use super::{AbsoluteUrl, ExternalId, FieldError, Slug, Title};

/// Whether an article may appear in feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Published,
    Draft,
}

impl ArticleStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "published" => Ok(Self::Published),
            "draft" => Ok(Self::Draft),
            _ => Err("must be \"published\" or \"draft\"".to_owned()),
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

fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    let time = DateTime::parse_from_rfc3339(raw)
        .map(|t| truncate_to_micros(t.with_timezone(&Utc)))
        .map_err(|e| format!("must be an RFC 3339 date-time: {e}"))?;
    if is_representable(time) {
        Ok(time)
    } else {
        Err("must fall within the years 0000 to 9999 in UTC".to_owned())
    }
}

fn parse_html(raw: &str) -> Result<String, String> {
    Ok(sanitize_html(raw))
}

/// HTML that sanitizing left blank counts as absent, like blank input: kept
/// as `Some("")`, it would export as `""` and import back as absent.
fn is_blank(html: &str) -> bool {
    html.trim().is_empty()
}

fn parse_plain(raw: &str) -> Result<String, String> {
    Ok(raw.to_owned())
}

impl NewArticle {
    /// Validates an article in its JSON form (the shape `POST /api/v1/articles`
    /// takes and `syndic export` writes). `id` and `updated_at` are ignored.
    pub fn from_json(value: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(mut input) = FieldReader::new(value, "", &mut errors) else {
            return Err(errors);
        };
        let external_id = input.optional_parsed("external_id", ExternalId::parse);
        let category = input.required_parsed("category", Slug::parse);
        let title = input.required_parsed("title", Title::parse);
        let summary = input
            .optional_parsed("summary", parse_html)
            .filter(|h| !is_blank(h));
        let content_html = input
            .optional_parsed("content_html", parse_html)
            .filter(|h| !is_blank(h));
        let url = input.optional_parsed("url", AbsoluteUrl::parse);
        let author = input.optional_parsed("author", parse_plain);
        let copyright = input.optional_parsed("copyright", parse_plain);
        let published_at = input.optional_parsed("published_at", parse_time);
        let status = input
            .optional_parsed("status", ArticleStatus::parse)
            .unwrap_or(ArticleStatus::Published);
        let contributors = read_contributors(&mut input);
        let tags = read_tags(&mut input);
        let source = input
            .value("source")
            .and_then(|v| read_source(v, &mut input.errors));
        let image = input
            .value("image")
            .and_then(|v| read_image(v, &mut input.errors));
        input.finish(&mut errors);

        match (category, title) {
            (Some(category), Some(title)) if errors.is_empty() => Ok(Self {
                fields: ArticleFields {
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
                },
                published_at,
            }),
            _ => Err(errors),
        }
    }
}

fn read_contributors(input: &mut FieldReader<'_>) -> Vec<Contributor> {
    let mut contributors = Vec::new();
    for (i, item) in input.array("contributors").iter().enumerate() {
        let field = format!("contributors[{i}]");
        let mut errors = Vec::new();
        if let Some(mut person) = FieldReader::new(item, "", &mut errors) {
            let name = person.required_parsed("name", |raw| {
                if raw.trim().is_empty() {
                    Err("must not be blank".to_owned())
                } else {
                    Ok(raw.to_owned())
                }
            });
            let role = person.optional_parsed("role", parse_plain);
            person.finish(&mut errors);
            if let Some(name) = name {
                contributors.push(Contributor { name, role });
            }
        }
        for error in errors {
            input.errors.push(error.prefixed(&field));
        }
    }
    contributors
}

fn read_tags(input: &mut FieldReader<'_>) -> Vec<String> {
    let mut tags = Vec::new();
    for (i, tag) in input.array("tags").iter().enumerate() {
        match tag.as_str() {
            Some(tag) if tag.contains('\0') => input.fail(&format!("tags[{i}]"), NUL_MESSAGE),
            Some(tag) if !tag.trim().is_empty() => tags.push(tag.to_owned()),
            _ => input.fail(&format!("tags[{i}]"), "must be a non-blank string"),
        }
    }
    tags
}

fn read_source(value: &Value, errors: &mut Vec<FieldError>) -> Option<Source> {
    let mut source = FieldReader::new(value, "source", errors)?;
    let name = source.required_parsed("name", Title::parse);
    let url = source.required_parsed("url", AbsoluteUrl::parse);
    let feed_url = source.optional_parsed("feed_url", AbsoluteUrl::parse);
    source.finish(errors);
    Some(Source {
        name: name?.as_str().to_owned(),
        url: url?,
        feed_url,
    })
}

fn read_image(value: &Value, errors: &mut Vec<FieldError>) -> Option<Image> {
    let mut image = FieldReader::new(value, "image", errors)?;
    let url = image.required_parsed("url", AbsoluteUrl::parse);
    let mime_type = image.required_parsed("mime_type", |raw| {
        let valid = raw.split_once('/').is_some_and(|(kind, sub)| {
            !kind.is_empty()
                && !sub.is_empty()
                && raw.is_ascii()
                && !raw.contains(char::is_whitespace)
        });
        if valid {
            Ok(raw.to_owned())
        } else {
            Err("must be a MIME type such as image/jpeg".to_owned())
        }
    });
    let length = match image.value("length") {
        None => None,
        Some(v) => match v.as_u64().filter(|n| i64::try_from(*n).is_ok()) {
            Some(n) => Some(n),
            None => {
                image.fail("length", "must be a non-negative integer");
                None
            }
        },
    };
    image.finish(errors);
    Some(Image {
        url: url?,
        mime_type: mime_type?,
        length,
    })
}

impl Article {
    /// The article as the API shows it and `syndic export` writes it.
    pub fn to_json(&self) -> Value {
        let mut value = self.fields.to_json();
        if let Value::Object(object) = &mut value {
            object.insert("id".into(), json!(self.id));
            object.insert("published_at".into(), json!(format_time(self.published_at)));
            object.insert("updated_at".into(), json!(format_time(self.updated_at)));
        }
        value
    }

    /// The article in the shape `syndic import` reads: no service-assigned
    /// `id` or `updated_at`.
    pub fn to_import_json(&self) -> Value {
        let mut value = self.fields.to_json();
        if let Value::Object(object) = &mut value {
            object.insert("published_at".into(), json!(format_time(self.published_at)));
        }
        value
    }

    /// Whether the article shows in feeds at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.fields.status == ArticleStatus::Published && self.published_at <= now
    }
}

impl ArticleFields {
    fn to_json(&self) -> Value {
        json!({
            "external_id": self.external_id.as_ref().map(ExternalId::as_str),
            "category": self.category.as_str(),
            "title": self.title.as_str(),
            "summary": self.summary,
            "content_html": self.content_html,
            "url": self.url.as_ref().map(AbsoluteUrl::as_str),
            "author": self.author,
            "contributors": self.contributors,
            "source": self.source.as_ref().map(|s| json!({
                "name": s.name,
                "url": s.url.as_str(),
                "feed_url": s.feed_url.as_ref().map(AbsoluteUrl::as_str),
            })),
            "copyright": self.copyright,
            "tags": self.tags,
            "image": self.image.as_ref().map(|i| json!({
                "url": i.url.as_str(),
                "mime_type": i.mime_type,
                "length": i.length,
            })),
            "status": self.status.as_str(),
        })
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
