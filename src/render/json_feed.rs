//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) with the `_syndic`
//! extension carrying copyright and source. Text is kept byte for byte: JSON
//! can carry every character.

use std::borrow::Cow;

use serde::Serialize;

use super::{
    article_id, article_url, category_of, contributor_label, effective_copyright, entry_id,
    estimated_size, feed_copyright, feed_description, feed_title, item_terms, plain_text, Feed,
};
use crate::domain::{format_time, Article};

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    title: String,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    description: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    language: &'a str,
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
    #[serde(rename = "_syndic")]
    syndic: FeedExtension<'a>,
}

#[derive(Clone, Serialize)]
struct Author<'a> {
    name: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct FeedExtension<'a> {
    copyright: Option<&'a str>,
    /// Items that left the feed lately (the Atom feed's RFC 6721 deleted entries).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deleted: Vec<Deleted>,
}

#[derive(Serialize)]
struct Deleted {
    id: String,
    when: String,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<&'a str>,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    // JSON Feed requires content_html or content_text: an item with neither
    // body nor summary gets an empty content_text.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    /// Plain text, as JSON Feed defines it (the stored summary is HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    /// JSON Feed 1.0's single author (the first of `authors`), for older parsers.
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    #[serde(rename = "_syndic")]
    syndic: ItemExtension<'a>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct ItemExtension<'a> {
    copyright: Option<&'a str>,
    source: Option<SourceExtension<'a>>,
}

#[derive(Serialize)]
struct SourceExtension<'a> {
    name: &'a str,
    url: &'a str,
    feed_url: Option<&'a str>,
}

pub(super) fn render(feed: &Feed<'_>) -> Vec<u8> {
    let site = feed.site;
    let document = Document {
        version: VERSION,
        title: feed_title(feed),
        home_page_url: &feed.links.alternate,
        feed_url: &feed.links.self_url,
        next_url: feed.links.next.as_deref(),
        description: feed_description(feed),
        icon: site.icon.as_ref().map(|url| url.as_str()),
        favicon: site.icon.as_ref().map(|url| url.as_str()),
        language: &site.language,
        authors: vec![Author {
            name: site.title.as_str().into(),
            url: Some(site.url.as_str()),
        }],
        hubs: feed
            .hubs
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: feed
            .items
            .iter()
            .map(|article| item(feed, article))
            .collect(),
        syndic: FeedExtension {
            copyright: feed_copyright(feed),
            deleted: feed
                .deleted
                .iter()
                .map(|t| Deleted {
                    id: entry_id(feed.site, t.article_id),
                    when: format_time(t.deleted_at),
                })
                .collect(),
        },
    };
    // Serializing these plain structs cannot fail; the fallback is still a
    // valid (empty) JSON Feed rather than a panic.
    let mut out = Vec::with_capacity(estimated_size(feed));
    match serde_json::to_writer_pretty(&mut out, &document) {
        Ok(()) => out,
        Err(_) => format!(r#"{{"version":"{VERSION}","title":"","items":[]}}"#).into_bytes(),
    }
}

fn item<'a>(feed: &Feed<'a>, article: &'a Article) -> Item<'a> {
    let fields = &article.fields;
    let category = category_of(feed, article);
    let content_html = fields.content_html.as_deref().or(fields.summary.as_deref());
    let mut authors: Vec<Author<'a>> = fields
        .author
        .iter()
        .map(|name| Author {
            name: name.as_str().into(),
            url: None,
        })
        .collect();
    authors.extend(fields.contributors.iter().map(|c| Author {
        name: contributor_label(c).into(),
        url: None,
    }));
    Item {
        id: article_id(feed.site, article),
        url: article_url(feed.site, article),
        external_url: fields.source.as_ref().map(|s| s.url.as_str()),
        title: fields.title.as_str(),
        content_html,
        content_text: content_html.is_none().then_some(""),
        summary: fields.summary.as_deref().map(plain_text),
        image: fields.image.as_ref().map(|i| i.url.as_str()),
        date_published: format_time(article.published_at),
        date_modified: format_time(article.updated_at),
        author: authors.first().cloned(),
        authors,
        tags: item_terms(category, article),
        attachments: fields
            .image
            .iter()
            .map(|image| Attachment {
                url: image.url.as_str(),
                mime_type: &image.mime_type,
                size_in_bytes: image.length,
            })
            .collect(),
        syndic: ItemExtension {
            copyright: effective_copyright(feed.site, category, article),
            source: fields.source.as_ref().map(|source| SourceExtension {
                name: &source.name,
                url: source.url.as_str(),
                feed_url: source.feed_url.as_ref().map(|u| u.as_str()),
            }),
        },
    }
}
