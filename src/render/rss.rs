//! RSS 2.0 with the atom (links), content (`content:encoded`) and Dublin Core
//! (`dc:creator`, `dc:contributor`, `dc:rights`) namespaces.

use std::collections::BTreeMap;

use ::rss::extension::atom::{AtomExtension, Link};
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::extension::{Extension, ExtensionMap};
use ::rss::{Category, Channel, Enclosure, Guid, Image, Item, Source};

use super::{
    article_id, article_url, atom_link as link, category_of, contributor_label,
    effective_copyright, estimated_size, feed_copyright, feed_description, feed_title, item_terms,
    outlet_url, rfc2822, xml_text, Feed, GENERATOR,
};
use crate::domain::{self, Article};

const RSS_TYPE: &str = "application/rss+xml";
/// Media RSS (<https://www.rssboard.org/media-rss>), for the lead image.
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

pub(super) fn render(feed: &Feed<'_>) -> Vec<u8> {
    let channel = Channel {
        title: xml_text(&feed_title(feed)),
        link: xml_text(&feed.links.alternate),
        description: xml_text(&feed_description(feed)),
        language: Some(xml_text(&feed.site.language)),
        copyright: feed_copyright(feed).map(xml_text),
        last_build_date: Some(rfc2822(feed.updated)),
        generator: Some(GENERATOR.to_owned()),
        ttl: Some(feed.ttl_minutes.to_string()),
        // The title and link repeat the channel's, as RSS readers expect.
        image: feed
            .site
            .logo
            .as_ref()
            .or(feed.site.icon.as_ref())
            .map(|url| Image {
                url: xml_text(url.as_str()),
                title: xml_text(&feed_title(feed)),
                link: xml_text(&feed.links.alternate),
                ..Image::default()
            }),
        atom_ext: Some(AtomExtension {
            links: channel_links(feed),
        }),
        items: feed
            .items
            .iter()
            .map(|article| item(feed, article))
            .collect(),
        namespaces: media_namespace(feed),
        ..Channel::default()
    };
    let mut out = Vec::with_capacity(estimated_size(feed));
    // Writing to a Vec cannot fail; if the crate ever reports an error, what
    // was written so far is all there is to return.
    let _ = channel.pretty_write_to(&mut out, b' ', 2);
    out
}

/// `atom:link` self, hubs, then RFC 5005 paging.
fn channel_links(feed: &Feed<'_>) -> Vec<Link> {
    let links = &feed.links;
    let mut out = vec![link("self", &links.self_url, Some(RSS_TYPE))];
    out.extend(feed.hubs.iter().map(|hub| link("hub", hub, None)));
    out.push(link("first", &links.first, Some(RSS_TYPE)));
    out.push(link("last", &links.last, Some(RSS_TYPE)));
    if let Some(next) = &links.next {
        out.push(link("next", next, Some(RSS_TYPE)));
    }
    if let Some(previous) = &links.previous {
        out.push(link("previous", previous, Some(RSS_TYPE)));
    }
    out
}

fn item(feed: &Feed<'_>, article: &Article) -> Item {
    let fields = &article.fields;
    let category = category_of(feed, article);
    let dublin_core = DublinCoreExtension {
        creators: fields.author.iter().map(|a| xml_text(a)).collect(),
        contributors: fields
            .contributors
            .iter()
            .map(|c| xml_text(&contributor_label(c)))
            .collect(),
        rights: effective_copyright(feed.site, category, article)
            .map(xml_text)
            .into_iter()
            .collect(),
        ..DublinCoreExtension::default()
    };
    Item {
        title: Some(xml_text(fields.title.as_str())),
        link: Some(xml_text(&article_url(feed.site, article))),
        description: fields.summary.as_deref().map(xml_text),
        categories: item_terms(category, article)
            .into_iter()
            .map(|name| Category {
                name: xml_text(name),
                domain: None,
            })
            .collect(),
        enclosure: fields.image.as_ref().map(|image| Enclosure {
            url: xml_text(image.url.as_str()),
            // RSS requires a length; 0 is the convention for "unknown".
            length: image.length.unwrap_or(0).to_string(),
            mime_type: xml_text(&image.mime_type),
        }),
        guid: Some(Guid {
            value: article_id(feed.site, article),
            permalink: false,
        }),
        pub_date: Some(rfc2822(article.published_at)),
        source: fields.source.as_ref().map(|source| Source {
            url: xml_text(&outlet_url(source)),
            title: Some(xml_text(&source.name)),
        }),
        content: fields.content_html.as_deref().map(xml_text),
        atom_ext: fields.source.as_ref().map(|source| AtomExtension {
            links: vec![link("via", source.url.as_str(), None)],
        }),
        dublin_core_ext: Some(dublin_core).filter(|dc| dc != &DublinCoreExtension::default()),
        extensions: fields.image.as_ref().map(media_content).unwrap_or_default(),
        ..Item::default()
    }
}

/// `xmlns:media` on `<rss>`, when an item has an image.
fn media_namespace(feed: &Feed<'_>) -> BTreeMap<String, String> {
    let mut namespaces = BTreeMap::new();
    if feed.items.iter().any(|a| a.fields.image.is_some()) {
        namespaces.insert("media".to_owned(), MEDIA_NS.to_owned());
    }
    namespaces
}

/// `<media:content medium="image" …>` beside the enclosure, with the
/// caption as `<media:description type="plain">`.
fn media_content(image: &domain::Image) -> ExtensionMap {
    let mut attrs = BTreeMap::from([
        ("url".to_owned(), xml_text(image.url.as_str())),
        ("medium".to_owned(), "image".to_owned()),
        ("type".to_owned(), xml_text(&image.mime_type)),
    ]);
    let numbers = [
        ("fileSize", image.length),
        ("width", image.width.map(u64::from)),
        ("height", image.height.map(u64::from)),
    ];
    for (name, value) in numbers {
        if let Some(value) = value {
            attrs.insert(name.to_owned(), value.to_string());
        }
    }
    let mut children = BTreeMap::new();
    if let Some(caption) = &image.caption {
        let description = Extension {
            name: "media:description".to_owned(),
            value: Some(xml_text(caption)),
            attrs: BTreeMap::from([("type".to_owned(), "plain".to_owned())]),
            children: BTreeMap::new(),
        };
        children.insert("description".to_owned(), vec![description]);
    }
    let content = Extension {
        name: "media:content".to_owned(),
        value: None,
        attrs,
        children,
    };
    BTreeMap::from([(
        "media".to_owned(),
        BTreeMap::from([("content".to_owned(), vec![content])]),
    )])
}
