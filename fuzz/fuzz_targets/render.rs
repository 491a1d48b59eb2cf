//! Rendering: any text in any field gives RSS and Atom that a strict XML
//! parser accepts and JSON that parses, each with one item per article and
//! the same ids, titles and bodies.

#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use roxmltree::{Document, Node};
use serde_json::Value;
use syndic::domain::{
    truncate_to_micros, AbsoluteUrl, Article, ArticleFields, ArticleStatus, Category,
    CategoryFields, Contributor, Facet, FacetKind, Image, SiteSettings, Slug, Source, Title,
    Tombstone,
};
use syndic::render::{self, xml_safe, Feed, FeedLinks};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
const TOMBSTONES_NS: &str = "http://purl.org/atompub/tombstones/1.0";

/// The instants the domain accepts as `published_at`: years 0000 to 9999 in
/// UTC, to the microsecond (at first the full reach of RFC 3339 offsets, one
/// year more at each end, which made RSS rendering panic).
static TIME_RANGE: LazyLock<(DateTime<Utc>, DateTime<Utc>)> = LazyLock::new(|| {
    let at = |raw| {
        DateTime::parse_from_rfc3339(raw)
            .expect("RFC 3339")
            .with_timezone(&Utc)
    };
    (
        at("0000-01-01T00:00:00Z"),
        at("9999-12-31T23:59:59.999999Z"),
    )
});

const HOSTS: &[&str] = &["news.example.cn", "例子.中国", "127.0.0.1", "[::1]:8080"];
const SLUGS: &[&str] = &["world", "tech", "0", "a-"];

#[derive(Debug, Arbitrary)]
struct UrlInput {
    https: bool,
    host: Result<u8, String>,
    rest: String,
}

impl UrlInput {
    fn build(&self) -> AbsoluteUrl {
        let scheme = if self.https { "https" } else { "http" };
        let fixed = |i: u8| HOSTS[usize::from(i) % HOSTS.len()];
        let host = match &self.host {
            Ok(i) => fixed(*i),
            Err(any) => any.as_str(),
        };
        AbsoluteUrl::parse(&format!("{scheme}://{host}/{}", self.rest))
            .or_else(|_| AbsoluteUrl::parse(&format!("{scheme}://{}/", fixed(0))))
            .expect("fallback URL")
    }
}

#[derive(Debug, Arbitrary)]
struct CategoryInput {
    slug: Result<u8, String>,
    name: String,
    description: String,
    copyright: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct SourceInput {
    name: String,
    url: UrlInput,
    feed_url: Option<UrlInput>,
}

#[derive(Debug, Arbitrary)]
struct ImageInput {
    url: UrlInput,
    mime_type: String,
    length: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    caption: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct ArticleInput {
    id: i64,
    /// An index into the categories, or any slug (a category the feed does not know).
    category: Result<u8, String>,
    title: String,
    summary: Option<String>,
    content_html: Option<String>,
    url: Option<UrlInput>,
    author: Option<String>,
    contributors: Vec<(String, Option<String>)>,
    source: Option<SourceInput>,
    copyright: Option<String>,
    tags: Vec<String>,
    image: Option<ImageInput>,
    published_at: u64,
    updated_at: u64,
}

/// Articles and categories come first: `arbitrary` fills fields in order and
/// leaves the later ones empty when the input runs out.
#[derive(Debug, Arbitrary)]
struct Input {
    articles: Vec<ArticleInput>,
    categories: Vec<CategoryInput>,
    site_title: String,
    site_url: UrlInput,
    language: String,
    default_copyright: Option<String>,
    /// Which category the feed is for, if any.
    feed_category: Option<u8>,
    self_url: String,
    alternate: String,
    first: String,
    last: String,
    next: Option<String>,
    previous: Option<String>,
    hubs: Vec<String>,
    updated: u64,
    ttl_minutes: u32,
    /// A tag, author or source feed: the kind (by number) and any name.
    facet: Option<(u8, String)>,
    /// Deleted entries: article id and time.
    deleted: Vec<(i64, u64)>,
}

fn time(raw: u64) -> DateTime<Utc> {
    let (first, last) = *TIME_RANGE;
    let span = (last - first).num_microseconds().expect("span fits") as u64;
    let offset = chrono::Duration::microseconds((raw % (span + 1)) as i64);
    truncate_to_micros(first + offset)
}

fn slug(choice: &Result<u8, String>) -> Slug {
    let fixed = |i: u8| Slug::parse(SLUGS[usize::from(i) % SLUGS.len()]).expect("fixed slug");
    match choice {
        Ok(i) => fixed(*i),
        Err(any) => Slug::parse(any).unwrap_or_else(|_| fixed(0)),
    }
}

fn non_blank(text: &str) -> bool {
    !text.trim().is_empty()
}

fn category(input: &CategoryInput, id: i64) -> Category {
    Category {
        id,
        slug: slug(&input.slug),
        fields: CategoryFields {
            name: input.name.clone(),
            description: input.description.clone(),
            copyright: input.copyright.clone(),
        },
        updated_at: time(0),
    }
}

/// The article, or None when the domain would reject its title or its
/// source's name (such an article is left out of the feed).
fn article(input: &ArticleInput, categories: &[Category]) -> Option<Article> {
    let category = match &input.category {
        Ok(i) if !categories.is_empty() => {
            categories[usize::from(*i) % categories.len()].slug.clone()
        }
        other => slug(other),
    };
    let source = match &input.source {
        Some(s) => Some(Source {
            // The domain validates a source name as a title.
            name: Title::parse(&s.name).ok()?.as_str().to_owned(),
            url: s.url.build(),
            feed_url: s.feed_url.as_ref().map(UrlInput::build),
        }),
        None => None,
    };
    let image = input.image.as_ref().map(|i| Image {
        url: i.url.build(),
        mime_type: i.mime_type.clone(),
        length: i.length.filter(|n| i64::try_from(*n).is_ok()),
        width: i.width,
        height: i.height,
        caption: i.caption.clone(),
    });
    Some(Article {
        id: input.id,
        fields: ArticleFields {
            external_id: None,
            category,
            title: Title::parse(&input.title).ok()?,
            summary: input.summary.clone(),
            content_html: input.content_html.clone(),
            url: input.url.as_ref().map(UrlInput::build),
            author: input.author.clone(),
            contributors: input
                .contributors
                .iter()
                .filter(|(name, _)| non_blank(name))
                .map(|(name, role)| Contributor {
                    name: name.clone(),
                    role: role.clone(),
                })
                .collect(),
            source,
            copyright: input.copyright.clone(),
            tags: input
                .tags
                .iter()
                .filter(|t| non_blank(t))
                .cloned()
                .collect(),
            image,
            status: ArticleStatus::Published,
        },
        published_at: time(input.published_at),
        updated_at: time(input.updated_at),
    })
}

/// Text with XML line ends normalized (XML 1.0 §2.11): every `\r\n` and
/// lone `\r` becomes `\n`. Applied to both sides of a comparison, since
/// roxmltree leaves a `\r` that comes right before a character reference.
fn line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// What an XML parser reports for text that went in as `raw`: the renderer
/// drops the characters XML forbids, the parser normalizes line ends.
fn as_parsed(raw: &str) -> String {
    line_ends(&xml_safe(raw))
}

fn children<'a, 'i>(node: Node<'a, 'i>, ns: Option<&str>, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == ns)
        .collect()
}

/// The text of the first child element `name`, line ends normalized.
fn child_text(node: Node<'_, '_>, ns: Option<&str>, name: &str) -> Option<String> {
    children(node, ns, name)
        .first()
        .map(|n| line_ends(n.text().unwrap_or("")))
}

fn parse_xml<'a>(kind: &str, xml: &'a str) -> Document<'a> {
    Document::parse(xml).unwrap_or_else(|e| panic!("{kind} is not well-formed: {e}\n{xml}"))
}

fn json_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fuzz_target!(|input: Input| {
    let site = SiteSettings {
        title: input.site_title.clone(),
        url: input.site_url.build(),
        language: input.language.clone(),
        default_copyright: input.default_copyright.clone(),
        icon: None,
        logo: None,
    };
    let categories: Vec<Category> = input
        .categories
        .iter()
        .zip(1..)
        .map(|(c, id)| category(c, id))
        .collect();
    let articles: Vec<Article> = input
        .articles
        .iter()
        .filter_map(|a| article(a, &categories))
        .collect();
    let facet = input.facet.as_ref().and_then(|(kind, name)| {
        let kind = FacetKind::ALL[usize::from(*kind) % FacetKind::ALL.len()];
        Facet::new(kind, name)
    });
    let deleted: Vec<Tombstone> = input
        .deleted
        .iter()
        .map(|(id, at)| Tombstone {
            article_id: *id,
            deleted_at: time(*at),
        })
        .collect();
    let feed = Feed {
        site: &site,
        facet: facet.as_ref(),
        deleted: &deleted,
        category: input
            .feed_category
            .filter(|_| !categories.is_empty())
            .map(|i| &categories[usize::from(i) % categories.len()]),
        categories: &categories,
        items: &articles,
        links: FeedLinks {
            self_url: input.self_url.clone(),
            alternate: input.alternate.clone(),
            first: input.first.clone(),
            last: input.last.clone(),
            next: input.next.clone(),
            previous: input.previous.clone(),
        },
        hubs: &input.hubs,
        updated: time(input.updated),
        ttl_minutes: input.ttl_minutes,
    };

    let rss = render::rss(&feed);
    let atom = render::atom(&feed);
    let json = render::json_feed(&feed);
    // Pure: the same feed gives the same bytes (ETags depend on it).
    assert_eq!(rss, render::rss(&feed), "RSS is not deterministic");
    assert_eq!(atom, render::atom(&feed), "Atom is not deterministic");
    assert_eq!(
        json,
        render::json_feed(&feed),
        "JSON Feed is not deterministic"
    );

    // JSON Feed: text byte for byte; its ids and terms are the reference below.
    let document: Value = serde_json::from_slice(&json).expect("JSON Feed parses");
    let items = document["items"].as_array().expect("items array");
    assert_eq!(items.len(), articles.len(), "JSON Feed item count");
    for (item, article) in items.iter().zip(&articles) {
        let fields = &article.fields;
        assert_eq!(json_str(item, "title"), Some(fields.title.as_str()));
        // JSON Feed's summary is plain text: the stored HTML without markup.
        assert_eq!(
            json_str(item, "summary"),
            fields.summary.as_deref().map(render::plain_text).as_deref()
        );
        assert_eq!(
            json_str(item, "content_html"),
            fields.content_html.as_deref().or(fields.summary.as_deref())
        );
    }

    // RSS: well-formed, one item per article, same ids and text.
    let xml = std::str::from_utf8(&rss).expect("RSS is UTF-8");
    let doc = parse_xml("RSS", xml);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "rss");
    let channel = children(root, None, "channel");
    assert_eq!(channel.len(), 1, "one RSS channel");
    let rss_items = children(channel[0], None, "item");
    assert_eq!(rss_items.len(), articles.len(), "RSS item count");
    for ((node, article), json_item) in rss_items.iter().zip(&articles).zip(items) {
        let fields = &article.fields;
        assert_eq!(
            child_text(*node, None, "title"),
            Some(as_parsed(fields.title.as_str()))
        );
        assert_eq!(
            child_text(*node, None, "guid").as_deref(),
            json_str(json_item, "id")
        );
        if let Some(summary) = &fields.summary {
            assert_eq!(
                child_text(*node, None, "description"),
                Some(as_parsed(summary))
            );
        }
        if let Some(content) = &fields.content_html {
            assert_eq!(
                child_text(*node, Some(CONTENT_NS), "encoded"),
                Some(as_parsed(content))
            );
        }
        let terms: Vec<String> = children(*node, None, "category")
            .iter()
            .map(|n| line_ends(n.text().unwrap_or("")))
            .collect();
        let expected: Vec<String> = json_item["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| as_parsed(t.as_str().expect("tag")))
            .collect();
        assert_eq!(terms, expected, "RSS categories");
        let rights = child_text(*node, Some(DC_NS), "rights");
        let copyright = json_item["_syndic"]["copyright"].as_str().map(as_parsed);
        assert_eq!(rights, copyright, "RSS dc:rights");
    }

    // Atom: the same.
    let xml = std::str::from_utf8(&atom).expect("Atom is UTF-8");
    let doc = parse_xml("Atom", xml);
    let root = doc.root_element();
    assert_eq!(
        (root.tag_name().namespace(), root.tag_name().name()),
        (Some(ATOM_NS), "feed")
    );
    let entries = children(root, Some(ATOM_NS), "entry");
    assert_eq!(entries.len(), articles.len(), "Atom entry count");
    // Every deleted entry, in Atom (RFC 6721) and in JSON Feed.
    let tombstones = children(root, Some(TOMBSTONES_NS), "deleted-entry");
    assert_eq!(tombstones.len(), deleted.len(), "Atom deleted entries");
    let listed = document["_syndic"]["deleted"].as_array().map_or(0, Vec::len);
    assert_eq!(listed, deleted.len(), "JSON Feed _syndic.deleted");
    for ((node, article), json_item) in entries.iter().zip(&articles).zip(items) {
        let fields = &article.fields;
        assert_eq!(
            child_text(*node, Some(ATOM_NS), "title"),
            Some(as_parsed(fields.title.as_str()))
        );
        assert_eq!(
            child_text(*node, Some(ATOM_NS), "id").as_deref(),
            json_str(json_item, "id")
        );
        if let Some(content) = &fields.content_html {
            assert_eq!(
                child_text(*node, Some(ATOM_NS), "content"),
                Some(as_parsed(content))
            );
        }
        if let Some(summary) = &fields.summary {
            assert_eq!(
                child_text(*node, Some(ATOM_NS), "summary"),
                Some(as_parsed(summary))
            );
        }
        let rights = child_text(*node, Some(ATOM_NS), "rights");
        let copyright = json_item["_syndic"]["copyright"].as_str().map(as_parsed);
        assert_eq!(rights, copyright, "Atom rights");
    }

    // A lenient reader sees the same number of entries in all three.
    for (kind, bytes) in [("RSS", &rss), ("Atom", &atom), ("JSON Feed", &json)] {
        let parsed = feed_rs::parser::parse(bytes.as_slice())
            .unwrap_or_else(|e| panic!("feed-rs rejects the {kind}: {e}"));
        assert_eq!(
            parsed.entries.len(),
            articles.len(),
            "feed-rs {kind} entries"
        );
    }
});
