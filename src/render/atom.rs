//! Atom 1.0 (RFC 4287), with RFC 5005 paging links and a WebSub hub link.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{
    Category, Content, Entry, Generator, Link, Person, Source, Text, WriteConfig,
};

use super::{
    article_id, article_url, atom_link as link, category_of, contributor_label,
    effective_copyright, entry_id, estimated_size, feed_copyright, feed_description, feed_id,
    feed_title, item_terms, outlet_home, outlet_url, xml_text, Feed, GENERATOR,
};
use crate::domain::{format_time, Article};

const ATOM_TYPE: &str = "application/atom+xml";
/// RFC 6721, The Atom "deleted-entry" Element.
const TOMBSTONES_NAMESPACE: &str = "http://purl.org/atompub/tombstones/1.0";

/// `<at:deleted-entry ref="…" when="…"/>` for each article that left the feed.
fn deleted_entries(feed: &Feed<'_>) -> ExtensionMap {
    if feed.deleted.is_empty() {
        return ExtensionMap::new();
    }
    let entries = feed
        .deleted
        .iter()
        .map(|tombstone| Extension {
            name: "at:deleted-entry".to_owned(),
            value: None,
            // The crate writes attribute values as given, so they are
            // escaped here: an entry id holds the site's host, and a host
            // may hold `&` (found by the render fuzz target).
            attrs: BTreeMap::from([
                (
                    "ref".to_owned(),
                    quick_xml::escape::escape(xml_text(&entry_id(feed.site, tombstone.article_id)))
                        .into_owned(),
                ),
                ("when".to_owned(), format_time(tombstone.deleted_at)),
            ]),
            children: BTreeMap::new(),
        })
        .collect();
    BTreeMap::from([(
        "at".to_owned(),
        BTreeMap::from([("deleted-entry".to_owned(), entries)]),
    )])
}

pub(super) fn render(feed: &Feed<'_>) -> Vec<u8> {
    let site = feed.site;
    let document = atom_syndication::Feed {
        title: Text::plain(xml_text(&feed_title(feed))),
        id: xml_text(&feed_id(feed)),
        updated: feed.updated.fixed_offset(),
        authors: vec![Person {
            name: xml_text(&site.title),
            uri: Some(xml_text(site.url.as_str())),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: GENERATOR.to_owned(),
            ..Generator::default()
        }),
        links: feed_links(feed),
        rights: feed_copyright(feed).map(|c| Text::plain(xml_text(c))),
        subtitle: Some(Text::plain(xml_text(&feed_description(feed)))),
        entries: feed
            .items
            .iter()
            .map(|article| entry(feed, article))
            .collect(),
        lang: Some(xml_text(&site.language)),
        icon: site.icon.as_ref().map(|url| xml_text(url.as_str())),
        logo: site.logo.as_ref().map(|url| xml_text(url.as_str())),
        namespaces: if feed.deleted.is_empty() {
            BTreeMap::new()
        } else {
            BTreeMap::from([("at".to_owned(), TOMBSTONES_NAMESPACE.to_owned())])
        },
        extensions: deleted_entries(feed),
        ..atom_syndication::Feed::default()
    };
    let mut out = Vec::with_capacity(estimated_size(feed));
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    // Writing to a Vec cannot fail; if the crate ever reports an error, what
    // was written so far is all there is to return.
    let _ = document.write_with_config(&mut out, config);
    out
}

/// self, alternate, hubs, then RFC 5005 paging.
fn feed_links(feed: &Feed<'_>) -> Vec<Link> {
    let links = &feed.links;
    let mut out = vec![
        link("self", &links.self_url, Some(ATOM_TYPE)),
        link("alternate", &links.alternate, Some("text/html")),
    ];
    out.extend(feed.hubs.iter().map(|hub| link("hub", hub, None)));
    out.push(link("first", &links.first, Some(ATOM_TYPE)));
    out.push(link("last", &links.last, Some(ATOM_TYPE)));
    if let Some(next) = &links.next {
        out.push(link("next", next, Some(ATOM_TYPE)));
    }
    if let Some(previous) = &links.previous {
        out.push(link("previous", previous, Some(ATOM_TYPE)));
    }
    out
}

fn entry(feed: &Feed<'_>, article: &Article) -> Entry {
    let fields = &article.fields;
    let category = category_of(feed, article);
    // Atom requires an author on every entry (or on the feed); the site
    // stands in when the article names none.
    let author = fields.author.as_deref().unwrap_or(&feed.site.title);

    let mut links = vec![link(
        "alternate",
        &article_url(feed.site, article),
        Some("text/html"),
    )];
    if let Some(source) = &fields.source {
        links.push(link("via", source.url.as_str(), None));
    }
    if let Some(image) = &fields.image {
        let mut enclosure = link(
            "enclosure",
            image.url.as_str(),
            Some(&xml_text(&image.mime_type)),
        );
        enclosure.length = image.length.map(|n| n.to_string());
        links.push(enclosure);
    }

    Entry {
        title: Text::plain(xml_text(fields.title.as_str())),
        id: article_id(feed.site, article),
        updated: article.updated_at.fixed_offset(),
        authors: vec![person(author)],
        categories: item_terms(category, article)
            .into_iter()
            .map(|term| Category {
                term: xml_text(term),
                ..Category::default()
            })
            .collect(),
        contributors: fields
            .contributors
            .iter()
            .map(|c| person(&contributor_label(c)))
            .collect(),
        links,
        published: Some(article.published_at.fixed_offset()),
        rights: effective_copyright(feed.site, category, article).map(|c| Text::plain(xml_text(c))),
        source: fields.source.as_ref().map(|source| {
            let outlet = xml_text(&outlet_url(source));
            let mut links = vec![link("alternate", &outlet_home(source), None)];
            if source.feed_url.is_some() {
                links.push(link("self", &outlet, None));
            }
            Source {
                title: Text::plain(xml_text(&source.name)),
                id: outlet,
                // The outlet's feed is not read; the article's publication is
                // the newest change of it that syndic knows of.
                updated: article.published_at.fixed_offset(),
                links,
                ..Source::default()
            }
        }),
        summary: match (&fields.summary, &fields.content_html) {
            (Some(summary), _) => Some(Text::html(xml_text(summary))),
            // An entry with neither summary nor content has no text at all
            // (the feed validator warns); its title is the best summary.
            (None, None) => Some(Text::plain(xml_text(fields.title.as_str()))),
            (None, Some(_)) => None,
        },
        content: fields.content_html.as_deref().map(|html| Content {
            value: Some(xml_text(html)),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: xml_text(name),
        ..Person::default()
    }
}
