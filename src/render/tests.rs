use std::borrow::Cow;

use chrono::NaiveDate;
use proptest::prelude::*;
use roxmltree::{Document, Node};

use super::fixtures::{self, at, url};
use super::*;
use crate::domain::{ArticleFields, CategoryFields, Contributor, Image, Slug, Source, Title};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("output is UTF-8")
}

fn parse(xml: &str) -> Document<'_> {
    Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
}

/// Elements named `name` in namespace `ns` (None: no namespace) anywhere below `node`.
fn all<'a, 'i>(node: Node<'a, 'i>, ns: Option<&str>, name: &str) -> Vec<Node<'a, 'i>> {
    node.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == ns)
        .collect()
}

/// Direct children named `name` in namespace `ns`.
fn children<'a, 'i>(node: Node<'a, 'i>, ns: Option<&str>, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == ns)
        .collect()
}

fn child_text<'a>(node: Node<'a, '_>, ns: Option<&str>, name: &str) -> Option<&'a str> {
    children(node, ns, name)
        .first()
        .map(|n| n.text().unwrap_or(""))
}

fn link_href<'a>(node: Node<'a, '_>, ns: Option<&str>, rel: &str) -> Option<&'a str> {
    children(node, ns, "link")
        .into_iter()
        .find(|l| l.attribute("rel") == Some(rel))
        .and_then(|l| l.attribute("href"))
}

// ---------------------------------------------------------------- helpers

#[test]
fn xml_safe_borrows_text_that_has_nothing_to_drop() {
    let input = "中文 & <tag> \"q\" ]]> 😀\t\n\r\u{7F}\u{85}\u{FFFD}";
    assert!(matches!(xml_safe(input), Cow::Borrowed(s) if s == input));
    assert!(matches!(xml_safe(""), Cow::Borrowed("")));
}

#[test]
fn xml_safe_drops_exactly_the_characters_xml_forbids() {
    assert_eq!(
        xml_safe("a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{E}g\u{1F}h"),
        "abcdefgh"
    );
    assert_eq!(xml_safe("标\u{FFFE}题\u{FFFF}🚀"), "标题🚀");
    assert_eq!(
        xml_safe("\u{EFBF}\u{FFFD}\u{E000}"),
        "\u{EFBF}\u{FFFD}\u{E000}"
    );
    for c in (0u32..0x20).filter_map(char::from_u32) {
        let kept = matches!(c, '\t' | '\n' | '\r');
        assert_eq!(
            xml_safe(&c.to_string()).is_empty(),
            !kept,
            "{:#x}",
            c as u32
        );
    }
}

#[test]
fn xml_safe_finds_forbidden_characters_at_any_offset() {
    for forbidden in ["\u{FFFE}", "\u{FFFF}", "\u{1}", "\u{1F}"] {
        for offset in 0..200 {
            // Full-width commas put EF lead bytes everywhere around it.
            let prefix: String = "a，".chars().cycle().take(offset).collect();
            let input = format!("{prefix}{forbidden}，z");
            assert_eq!(
                xml_safe(&input),
                format!("{prefix}，z"),
                "{forbidden:?} after {offset}"
            );
        }
    }
}

#[test]
fn article_url_prefers_the_articles_own_url() {
    let site = fixtures::site();
    let articles = fixtures::articles();
    assert_eq!(
        article_url(&site, &articles[0]),
        "https://news.example.cn/world/2026/42.html"
    );
    assert_eq!(
        article_url(&site, &articles[1]),
        "https://news.example.cn/articles/41"
    );
}

#[test]
fn article_url_joins_below_a_site_url_with_a_path() {
    let site = SiteSettings {
        url: url("https://example.org/news/"),
        ..fixtures::site()
    };
    assert_eq!(
        article_url(&site, &fixtures::articles()[2]),
        "https://example.org/news/articles/40"
    );
}

#[test]
fn effective_copyright_goes_article_then_category_then_site() {
    let site = fixtures::site();
    let categories = fixtures::categories();
    let articles = fixtures::articles();
    let world = Some(&categories[0]);
    let tech = Some(&categories[1]);
    assert_eq!(
        effective_copyright(&site, world, &articles[0]),
        Some("© 2026 海西都市报 <保留所有权利>")
    );
    assert_eq!(
        effective_copyright(&site, world, &articles[1]),
        Some("© 2026 国际部 \"World\" desk")
    );
    assert_eq!(
        effective_copyright(&site, tech, &articles[2]),
        Some("© 2026 南方新闻社 版权所有")
    );
    assert_eq!(
        effective_copyright(&site, None, &articles[2]),
        Some("© 2026 南方新闻社 版权所有")
    );
    let no_default = SiteSettings {
        default_copyright: None,
        ..fixtures::site()
    };
    assert_eq!(effective_copyright(&no_default, tech, &articles[2]), None);
}

#[test]
fn effective_copyright_skips_blank_overrides() {
    let site = fixtures::site();
    let mut article = fixtures::articles().remove(0);
    article.fields.copyright = Some("  ".to_owned());
    let mut category = fixtures::categories().remove(0);
    category.fields.copyright = Some(String::new());
    assert_eq!(
        effective_copyright(&site, Some(&category), &article),
        Some("© 2026 南方新闻社 版权所有")
    );
}

// ---------------------------------------------------------------- RSS

#[test]
fn rss_round_trips_through_feed_rs_and_a_strict_parser() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "rss");
    let bytes = rss(&feed);
    let xml = text(&bytes);

    let parsed = feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses the RSS");
    assert_eq!(
        parsed.title.map(|t| t.content).as_deref(),
        Some(site.title.as_str())
    );
    assert_eq!(parsed.entries.len(), 3);
    let first = &parsed.entries[0];
    assert_eq!(first.id, "tag:news.example.cn,2026:article:42");
    assert_eq!(
        first.title.as_ref().map(|t| t.content.as_str()),
        Some("储能电站 & <电网> \"调峰\" ]]> 🚀 上线")
    );
    assert_eq!(
        first.content.as_ref().and_then(|c| c.body.as_deref()),
        articles[0].fields.content_html.as_deref()
    );
    assert_eq!(first.published, Some(at(3_600)));
    let terms: Vec<_> = first.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, ["国际 & 世界", "储能", "电网 & \"能源\""]);

    let doc = parse(xml);
    let channel = all(doc.root(), None, "channel")[0];
    assert_eq!(
        child_text(channel, None, "copyright"),
        Some("© 2026 南方新闻社 版权所有")
    );
    assert_eq!(
        child_text(channel, None, "lastBuildDate"),
        Some("Thu, 15 Jan 2026 10:00:00 +0000")
    );
    assert_eq!(child_text(channel, None, "generator"), Some("syndic"));
    assert_eq!(child_text(channel, None, "ttl"), Some("5"));
    assert!(
        children(channel, Some(DC_NS), "rights").is_empty(),
        "no channel dc:rights"
    );
    assert_eq!(
        link_href(channel, Some(ATOM_NS), "self"),
        Some(feed.links.self_url.as_str())
    );
    assert_eq!(
        link_href(channel, Some(ATOM_NS), "hub"),
        Some("https://hub.example.com/")
    );
    assert_eq!(
        link_href(channel, Some(ATOM_NS), "next"),
        feed.links.next.as_deref()
    );
    assert_eq!(link_href(channel, Some(ATOM_NS), "previous"), None);

    let items = all(channel, None, "item");
    let item = items[0];
    assert_eq!(
        child_text(item, None, "title"),
        Some(articles[0].fields.title.as_str())
    );
    assert_eq!(
        child_text(item, None, "description"),
        articles[0].fields.summary.as_deref()
    );
    assert_eq!(
        child_text(item, Some(CONTENT_NS), "encoded"),
        articles[0].fields.content_html.as_deref()
    );
    assert_eq!(child_text(item, Some(DC_NS), "creator"), Some("陆林娟"));
    let contributors: Vec<_> = children(item, Some(DC_NS), "contributor")
        .iter()
        .map(|n| n.text().unwrap_or(""))
        .collect();
    assert_eq!(contributors, ["贾华 (记者)", "王芳"]);
    assert_eq!(
        child_text(item, Some(DC_NS), "rights"),
        Some("© 2026 海西都市报 <保留所有权利>")
    );
    assert!(
        children(item, Some(DC_NS), "source").is_empty(),
        "no dc:source"
    );
    let guid = children(item, None, "guid")[0];
    assert_eq!(guid.attribute("isPermaLink"), Some("false"));
    assert_eq!(guid.text(), Some("tag:news.example.cn,2026:article:42"));
    let source = children(item, None, "source")[0];
    assert_eq!(
        source.attribute("url"),
        Some("https://haixi.example/rss.xml")
    );
    assert_eq!(source.text(), Some("海西都市报 & <晚报>"));
    assert_eq!(
        link_href(item, Some(ATOM_NS), "via"),
        Some("https://haixi.example/news/2026/0115.html?from=rss&id=7")
    );
    let enclosure = children(item, None, "enclosure")[0];
    assert_eq!(
        enclosure.attribute("url"),
        Some("https://img.example.cn/2026/42.jpg")
    );
    assert_eq!(enclosure.attribute("length"), Some("771060"));
    assert_eq!(enclosure.attribute("type"), Some("image/jpeg"));

    // The second item inherits its category's copyright, has no feed URL for
    // its source, and an image of unknown length.
    let item = items[1];
    assert_eq!(
        child_text(item, Some(DC_NS), "rights"),
        Some("© 2026 国际部 \"World\" desk")
    );
    assert_eq!(
        child_text(item, None, "link"),
        Some("https://news.example.cn/articles/41")
    );
    assert_eq!(
        children(item, None, "source")[0].attribute("url"),
        Some("https://global.example.com/")
    );
    assert_eq!(
        children(item, None, "enclosure")[0].attribute("length"),
        Some("0")
    );
    // The third inherits the site's.
    assert_eq!(
        child_text(items[2], Some(DC_NS), "rights"),
        Some("© 2026 南方新闻社 版权所有")
    );
    assert!(children(items[2], None, "source").is_empty());
}

#[test]
fn rss_category_feed_names_and_describes_the_category() {
    let (site, categories, articles) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
    );
    let feed = Feed {
        category: Some(&categories[0]),
        facet: None,
        deleted: &[],
        items: &articles[..2],
        ..fixtures::feed(&site, &categories, &articles, &[], "rss")
    };
    let bytes = rss(&feed);
    let doc = parse(text(&bytes));
    let channel = all(doc.root(), None, "channel")[0];
    assert_eq!(
        child_text(channel, None, "title"),
        Some("国际 & 世界 - 南方新闻 & <News> \"日报\"")
    );
    assert_eq!(
        child_text(channel, None, "description"),
        Some("国际新闻 <每日> 更新 🌏")
    );
    assert_eq!(
        child_text(channel, None, "copyright"),
        Some("© 2026 国际部 \"World\" desk")
    );
    assert_eq!(link_href(channel, Some(ATOM_NS), "hub"), None);
}

#[test]
fn rss_omits_the_copyright_when_there_is_none() {
    let (categories, articles) = (fixtures::categories(), fixtures::articles());
    let site = SiteSettings {
        default_copyright: None,
        ..fixtures::site()
    };
    let feed = fixtures::feed(&site, &categories, &articles[2..], &[], "rss");
    let bytes = rss(&feed);
    let doc = parse(text(&bytes));
    assert!(all(doc.root(), None, "copyright").is_empty());
    assert!(all(doc.root(), Some(DC_NS), "rights").is_empty());
}

// ---------------------------------------------------------------- Atom

#[test]
fn atom_round_trips_through_feed_rs_and_a_strict_parser() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "atom");
    let bytes = atom(&feed);
    let xml = text(&bytes);

    let parsed = feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses the Atom");
    assert_eq!(parsed.id, "tag:news.example.cn,2026:feed:all");
    assert_eq!(
        parsed.title.map(|t| t.content).as_deref(),
        Some(site.title.as_str())
    );
    assert_eq!(
        parsed.rights.map(|t| t.content).as_deref(),
        Some("© 2026 南方新闻社 版权所有")
    );
    assert_eq!(parsed.updated, Some(at(7_200)));
    let first = &parsed.entries[0];
    assert_eq!(first.id, "tag:news.example.cn,2026:article:42");
    assert_eq!(
        first.title.as_ref().map(|t| t.content.as_str()),
        Some("储能电站 & <电网> \"调峰\" ]]> 🚀 上线")
    );
    assert_eq!(
        first.rights.as_ref().map(|t| t.content.as_str()),
        Some("© 2026 海西都市报 <保留所有权利>")
    );
    assert_eq!(first.published, Some(at(3_600)));
    assert_eq!(first.updated, Some(at(7_200)));
    assert_eq!(
        first
            .authors
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["陆林娟"]
    );
    assert_eq!(
        first
            .contributors
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["贾华 (记者)", "王芳"]
    );
    // No author on the article: the site stands in.
    assert_eq!(parsed.entries[2].authors[0].name, site.title);

    let doc = parse(xml);
    let root = doc.root_element();
    assert_eq!(
        root.attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
        Some("zh-CN")
    );
    assert_eq!(
        child_text(root, Some(ATOM_NS), "rights"),
        Some("© 2026 南方新闻社 版权所有")
    );
    assert_eq!(
        child_text(root, Some(ATOM_NS), "subtitle"),
        Some(site.title.as_str())
    );
    assert_eq!(
        link_href(root, Some(ATOM_NS), "self"),
        Some(feed.links.self_url.as_str())
    );
    assert_eq!(
        link_href(root, Some(ATOM_NS), "alternate"),
        Some("https://news.example.cn/")
    );
    assert_eq!(
        link_href(root, Some(ATOM_NS), "hub"),
        Some("https://hub.example.com/")
    );
    assert_eq!(
        link_href(root, Some(ATOM_NS), "first"),
        Some(feed.links.first.as_str())
    );
    assert_eq!(
        link_href(root, Some(ATOM_NS), "last"),
        Some(feed.links.last.as_str())
    );

    let entries = children(root, Some(ATOM_NS), "entry");
    let entry = entries[0];
    assert_eq!(
        child_text(entry, Some(ATOM_NS), "title"),
        Some(articles[0].fields.title.as_str())
    );
    let content = children(entry, Some(ATOM_NS), "content")[0];
    assert_eq!(content.attribute("type"), Some("html"));
    assert_eq!(content.text(), articles[0].fields.content_html.as_deref());
    let summary = children(entry, Some(ATOM_NS), "summary")[0];
    assert_eq!(summary.attribute("type"), Some("html"));
    assert_eq!(summary.text(), articles[0].fields.summary.as_deref());
    assert_eq!(
        child_text(entry, Some(ATOM_NS), "rights"),
        Some("© 2026 海西都市报 <保留所有权利>")
    );
    assert_eq!(
        link_href(entry, Some(ATOM_NS), "alternate"),
        Some("https://news.example.cn/world/2026/42.html")
    );
    assert_eq!(
        link_href(entry, Some(ATOM_NS), "via"),
        Some("https://haixi.example/news/2026/0115.html?from=rss&id=7")
    );
    let enclosure = children(entry, Some(ATOM_NS), "link")
        .into_iter()
        .find(|l| l.attribute("rel") == Some("enclosure"))
        .expect("enclosure link");
    assert_eq!(
        enclosure.attribute("href"),
        Some("https://img.example.cn/2026/42.jpg")
    );
    assert_eq!(enclosure.attribute("type"), Some("image/jpeg"));
    assert_eq!(enclosure.attribute("length"), Some("771060"));
    let terms: Vec<_> = children(entry, Some(ATOM_NS), "category")
        .iter()
        .filter_map(|c| c.attribute("term"))
        .collect();
    assert_eq!(terms, ["国际 & 世界", "储能", "电网 & \"能源\""]);

    let source = children(entry, Some(ATOM_NS), "source")[0];
    assert_eq!(
        child_text(source, Some(ATOM_NS), "id"),
        Some("https://haixi.example/rss.xml")
    );
    assert_eq!(
        child_text(source, Some(ATOM_NS), "title"),
        Some("海西都市报 & <晚报>")
    );
    assert_eq!(
        child_text(source, Some(ATOM_NS), "updated"),
        Some("2026-01-15T09:00:00+00:00")
    );
    assert_eq!(
        link_href(source, Some(ATOM_NS), "alternate"),
        Some("https://haixi.example/")
    );
    assert_eq!(
        link_href(source, Some(ATOM_NS), "self"),
        Some("https://haixi.example/rss.xml")
    );

    let second = entries[1];
    assert_eq!(
        child_text(second, Some(ATOM_NS), "rights"),
        Some("© 2026 国际部 \"World\" desk")
    );
    let source = children(second, Some(ATOM_NS), "source")[0];
    assert_eq!(
        child_text(source, Some(ATOM_NS), "id"),
        Some("https://global.example.com/")
    );
    assert_eq!(link_href(source, Some(ATOM_NS), "self"), None);
    assert_eq!(
        child_text(entries[2], Some(ATOM_NS), "rights"),
        Some("© 2026 南方新闻社 版权所有")
    );
}

#[test]
fn atom_category_feed_has_its_own_id() {
    let (site, categories, articles) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
    );
    let feed = Feed {
        category: Some(&categories[1]),
        facet: None,
        deleted: &[],
        items: &articles[2..],
        ..fixtures::feed(&site, &categories, &articles, &[], "atom")
    };
    let bytes = atom(&feed);
    let doc = parse(text(&bytes));
    let root = doc.root_element();
    assert_eq!(
        child_text(root, Some(ATOM_NS), "id"),
        Some("tag:news.example.cn,2026:feed:tech")
    );
    assert_eq!(
        child_text(root, Some(ATOM_NS), "title"),
        Some("科技 - 南方新闻 & <News> \"日报\"")
    );
    // The category has no description nor copyright: the site's stand in.
    assert_eq!(
        child_text(root, Some(ATOM_NS), "subtitle"),
        Some(site.title.as_str())
    );
    assert_eq!(
        child_text(root, Some(ATOM_NS), "rights"),
        Some("© 2026 南方新闻社 版权所有")
    );
}

// ---------------------------------------------------------------- JSON Feed

#[test]
fn json_feed_carries_the_1_1_fields_and_the_syndic_extension() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "json");
    let bytes = json_feed(&feed);

    let parsed = feed_rs::parser::parse(bytes.as_slice()).expect("feed-rs parses the JSON Feed");
    assert_eq!(parsed.entries.len(), 3);
    assert_eq!(parsed.entries[0].id, "tag:news.example.cn,2026:article:42");

    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(value["title"], site.title.as_str());
    assert_eq!(value["feed_url"], feed.links.self_url.as_str());
    assert_eq!(value["home_page_url"], "https://news.example.cn/");
    assert_eq!(
        value["next_url"],
        "https://feeds.example.cn/feeds/all.json?limit=3&page=2"
    );
    assert_eq!(value["language"], "zh-CN");
    assert_eq!(
        value["hubs"],
        serde_json::json!([{"type": "WebSub", "url": "https://hub.example.com/"}])
    );
    assert_eq!(value["_syndic"]["copyright"], "© 2026 南方新闻社 版权所有");

    let item = &value["items"][0];
    assert_eq!(item["id"], "tag:news.example.cn,2026:article:42");
    assert_eq!(item["url"], "https://news.example.cn/world/2026/42.html");
    assert_eq!(
        item["external_url"],
        "https://haixi.example/news/2026/0115.html?from=rss&id=7"
    );
    assert_eq!(item["title"], articles[0].fields.title.as_str());
    assert_eq!(
        item["content_html"],
        articles[0]
            .fields
            .content_html
            .as_deref()
            .unwrap_or_default()
    );
    assert_eq!(item["date_published"], "2026-01-15T09:00:00Z");
    assert_eq!(item["date_modified"], "2026-01-15T10:00:00Z");
    assert_eq!(item["image"], "https://img.example.cn/2026/42.jpg");
    assert_eq!(
        item["attachments"],
        serde_json::json!([{"url": "https://img.example.cn/2026/42.jpg", "mime_type": "image/jpeg", "size_in_bytes": 771060}])
    );
    assert_eq!(
        item["tags"],
        serde_json::json!(["国际 & 世界", "储能", "电网 & \"能源\""])
    );
    assert_eq!(
        item["_syndic"],
        serde_json::json!({
            "copyright": "© 2026 海西都市报 <保留所有权利>",
            "source": {
                "name": "海西都市报 & <晚报>",
                "url": "https://haixi.example/news/2026/0115.html?from=rss&id=7",
                "feed_url": "https://haixi.example/rss.xml",
            },
        })
    );
    // No body, no summary: JSON Feed still needs content_text.
    let last = &value["items"][2];
    assert_eq!(last["content_text"], "");
    assert_eq!(
        last["_syndic"],
        serde_json::json!({"copyright": "© 2026 南方新闻社 版权所有", "source": null})
    );
}

#[test]
fn json_feed_keeps_text_that_xml_would_drop() {
    let (site, categories) = (fixtures::site(), fixtures::categories());
    let mut articles = fixtures::articles();
    articles[0].fields.title = Title::parse("a\u{1}b\u{FFFE}c").expect("title");
    let feed = fixtures::feed(&site, &categories, &articles, &[], "json");
    let value: serde_json::Value = serde_json::from_slice(&json_feed(&feed)).expect("JSON");
    assert_eq!(value["items"][0]["title"], "a\u{1}b\u{FFFE}c");
}

// ---------------------------------------------------------------- every format

#[test]
fn rendering_is_deterministic() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "rss");
    let again = feed.clone();
    assert_eq!(rss(&feed), rss(&again));
    assert_eq!(atom(&feed), atom(&again));
    assert_eq!(json_feed(&feed), json_feed(&again));
}

#[test]
fn an_empty_feed_is_still_valid() {
    let (site, categories) = (fixtures::site(), fixtures::categories());
    let feed = fixtures::feed(&site, &categories, &[], &[], "rss");
    parse(text(&rss(&feed)));
    parse(text(&atom(&feed)));
    let value: serde_json::Value = serde_json::from_slice(&json_feed(&feed)).expect("JSON");
    assert_eq!(value["items"], serde_json::json!([]));
}

#[test]
fn snapshot_rss() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "rss");
    insta::assert_snapshot!(text(&rss(&feed)));
}

#[test]
fn snapshot_atom() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "atom");
    insta::assert_snapshot!(text(&atom(&feed)));
}

#[test]
fn snapshot_json_feed() {
    let (site, categories, articles, hubs) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
        fixtures::hubs(),
    );
    let feed = fixtures::feed(&site, &categories, &articles, &hubs, "json");
    insta::assert_snapshot!(text(&json_feed(&feed)));
}

// ---------------------------------------------------------------- property

/// Text mixing any character with the ones that break naive XML writers.
fn nasty_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        1 => prop::sample::select(vec![
            "]]>", "&", "<", ">", "\"", "'", "\u{0}", "\u{1}", "\u{B}", "\u{1F}", "\u{FFFE}", "\u{FFFF}",
            "\r\n", "\r", "\t", "中文", "😀", "&amp;", "<![CDATA[", "]]", "\u{7F}", "\u{85}", "\u{D7FF}",
            "\u{E000}", "\u{10FFFF}",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// Text as compared after a round trip through an XML parser: forbidden
/// characters gone, line ends normalized on both sides (XML 1.0 §2.11 lets
/// parsers turn CR and CR LF into LF, and not all of them do it alike).
fn comparable(text: &str) -> String {
    xml_safe(text).replace("\r\n", "\n").replace('\r', "\n")
}

/// feed-rs also trims text.
fn comparable_trimmed(text: &str) -> String {
    comparable(text).trim().to_owned()
}

#[derive(Debug, Clone)]
struct Texts {
    title: String,
    others: Vec<String>,
    site_title: String,
    language: String,
}

fn texts() -> impl Strategy<Value = Texts> {
    (
        nasty_text().prop_filter("a title is not blank", |t| Title::parse(t).is_ok()),
        prop::collection::vec(nasty_text(), 14),
        nasty_text(),
        nasty_text(),
    )
        .prop_map(|(title, others, site_title, language)| Texts {
            title,
            others,
            site_title,
            language,
        })
}

fn article_with(texts: &Texts) -> Article {
    let o = &texts.others;
    Article {
        id: 7,
        fields: ArticleFields {
            external_id: None,
            category: Slug::parse("world").expect("slug"),
            title: Title::parse(&texts.title).expect("title"),
            summary: Some(o[0].clone()),
            content_html: Some(o[1].clone()),
            url: None,
            author: Some(o[2].clone()),
            contributors: vec![Contributor {
                name: o[3].clone(),
                role: Some(o[4].clone()),
            }],
            source: Some(Source {
                name: o[5].clone(),
                url: url("https://source.example/a?x=1&y=2"),
                feed_url: None,
            }),
            copyright: Some(o[6].clone()),
            tags: vec![o[7].clone(), o[8].clone()],
            image: Some(Image {
                url: url("https://img.example/a.jpg"),
                mime_type: o[9].clone(),
                length: None,
                width: Some(640),
                height: None,
                caption: Some(o[0].clone()),
            }),
            status: crate::domain::ArticleStatus::Published,
        },
        published_at: at(0),
        updated_at: at(60),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_gives_well_formed_rss_and_atom(texts in texts()) {
        let o = &texts.others;
        let site = SiteSettings {
            title: texts.site_title.clone(),
            url: url("https://news.example.cn/"),
            language: texts.language.clone(),
            default_copyright: Some(o[10].clone()),
            icon: None,
            logo: None,
        };
        let category = Category {
            id: 1,
            slug: Slug::parse("world").expect("slug"),
            fields: CategoryFields {
                name: o[11].clone(),
                description: o[12].clone(),
                copyright: Some(o[13].clone()),
            },
            updated_at: at(0),
        };
        let categories = [category];
        let articles = [article_with(&texts)];
        let feed = Feed {
            category: Some(&categories[0]),
            facet: None,
            deleted: &[],
            ..fixtures::feed(&site, &categories, &articles, &[], "rss")
        };

        let expected = comparable(&texts.title);
        let rss_bytes = rss(&feed);
        let xml = text(&rss_bytes);
        let doc = Document::parse(xml);
        prop_assert!(doc.is_ok(), "RSS not well-formed: {:?}\n{}", doc.err(), xml);
        let doc = doc.expect("checked");
        let item = all(doc.root(), None, "item")[0];
        prop_assert_eq!(child_text(item, None, "title").map(comparable), Some(expected.clone()));
        let parsed = feed_rs::parser::parse(rss_bytes.as_slice());
        prop_assert!(parsed.is_ok(), "feed-rs rejects RSS: {:?}", parsed.err());
        let parsed = parsed.expect("checked");
        let title = parsed.entries[0].title.as_ref().map(|t| t.content.clone()).unwrap_or_default();
        prop_assert_eq!(comparable_trimmed(&title), comparable_trimmed(&texts.title));

        let atom_bytes = atom(&feed);
        let xml = text(&atom_bytes);
        let doc = Document::parse(xml);
        prop_assert!(doc.is_ok(), "Atom not well-formed: {:?}\n{}", doc.err(), xml);
        let doc = doc.expect("checked");
        let entry = children(doc.root_element(), Some(ATOM_NS), "entry")[0];
        prop_assert_eq!(child_text(entry, Some(ATOM_NS), "title").map(comparable), Some(expected.clone()));
        let parsed = feed_rs::parser::parse(atom_bytes.as_slice());
        prop_assert!(parsed.is_ok(), "feed-rs rejects Atom: {:?}", parsed.err());
        let parsed = parsed.expect("checked");
        let title = parsed.entries[0].title.as_ref().map(|t| t.content.clone()).unwrap_or_default();
        prop_assert_eq!(comparable_trimmed(&title), comparable_trimmed(&texts.title));

        let value: Result<serde_json::Value, _> = serde_json::from_slice(&json_feed(&feed));
        prop_assert!(value.is_ok());
        prop_assert_eq!(&value.expect("checked")["items"][0]["title"], texts.title.as_str());
    }
}

#[test]
fn plain_text_drops_markup_and_decodes_references() {
    assert!(matches!(plain_text("没有标记的摘要"), Cow::Borrowed(_)));
    assert_eq!(plain_text("<p>推动<b>高质量</b>发展</p>"), "推动高质量发展");
    assert_eq!(
        plain_text("A &amp; B &lt;tag&gt; &amp;lt;"),
        "A & B <tag> &lt;"
    );
    assert_eq!(plain_text("a&nbsp;b"), "a\u{a0}b");
    assert_eq!(plain_text("<img src=x>图<br>文"), "图文");
}

#[test]
fn the_pages_speak_the_site_language() {
    let categories = fixtures::categories();
    let base_url = url("https://feeds.example.cn/");
    let page = |language: &str| {
        let mut site = fixtures::site();
        site.language = language.to_owned();
        let directory = Directory {
            site: &site,
            base_url: &base_url,
            categories: &categories,
            tags: &[],
            created: at(1_767_225_600),
            updated: at(1_780_272_000),
        };
        let index = String::from_utf8(index_page(&directory).expect("rendered")).expect("UTF-8");
        let category =
            String::from_utf8(category_page(&directory, &categories[0]).expect("rendered"))
                .expect("UTF-8");
        (index, category)
    };
    let (index, category) = page("zh-CN");
    assert!(
        index.contains("<html lang=\"zh-CN\"")
            && index.contains("全部文章")
            && index.contains("栏目")
    );
    assert!(category.contains("在您的网站上展示") && !category.contains("On your site"));
    let (index, category) = page("en");
    assert!(index.contains("All articles") && !index.contains("全部文章"));
    assert!(category.contains("On your site"));
}

#[test]
fn rss_dates_outside_four_digit_years_are_clamped_not_panicking() {
    let year = |y: i32| {
        NaiveDate::from_ymd_opt(y, 6, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date")
            .and_utc()
    };
    assert_eq!(rfc2822(year(2026)), "Mon, 1 Jun 2026 12:00:00 +0000");
    assert_eq!(rfc2822(year(-1)), "Sat, 1 Jan 0000 00:00:00 +0000");
    assert_eq!(rfc2822(year(12026)), "Fri, 31 Dec 9999 23:59:59 +0000");
}

#[test]
fn the_site_icon_and_logo_reach_every_format_and_json_items_name_one_author() {
    let (site, categories, articles) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
    );
    let icon = "https://news.example.cn/icon-512.png";
    let logo = "https://news.example.cn/logo-wide.png";

    let rss = rss(&fixtures::feed(&site, &categories, &articles, &[], "rss"));
    let parsed = feed_rs::parser::parse(rss.as_slice()).expect("feed-rs parses the RSS");
    let image = parsed.logo.expect("RSS <image>");
    assert_eq!(image.uri, logo);
    assert_eq!(
        image.title.as_deref(),
        Some(site.title.as_str()),
        "the channel's title"
    );

    let atom = atom(&fixtures::feed(&site, &categories, &articles, &[], "atom"));
    let parsed = feed_rs::parser::parse(atom.as_slice()).expect("feed-rs parses the Atom");
    assert_eq!(parsed.icon.expect("Atom icon").uri, icon);
    assert_eq!(parsed.logo.expect("Atom logo").uri, logo);

    let json = json_feed(&fixtures::feed(&site, &categories, &articles, &[], "json"));
    let document: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(document["icon"], icon);
    assert_eq!(document["favicon"], icon);
    for item in document["items"].as_array().expect("items") {
        match item["authors"].as_array() {
            Some(authors) => assert_eq!(item["author"], authors[0], "the first of authors"),
            None => assert!(item.get("author").is_none()),
        }
    }

    let bare = SiteSettings {
        icon: None,
        logo: None,
        ..fixtures::site()
    };
    let rss = String::from_utf8(rss_of(&bare, &categories, &articles)).expect("UTF-8");
    assert!(
        !rss.contains("<image>"),
        "no artwork configured, no <image>"
    );
}

fn rss_of(site: &SiteSettings, categories: &[Category], articles: &[Article]) -> Vec<u8> {
    rss(&fixtures::feed(site, categories, articles, &[], "rss"))
}

#[test]
fn the_lead_image_is_also_media_rss_with_size_and_caption() {
    let (site, categories, articles) = (
        fixtures::site(),
        fixtures::categories(),
        fixtures::articles(),
    );
    let bytes = rss(&fixtures::feed(&site, &categories, &articles, &[], "rss"));
    let xml = text(&bytes);
    let doc = Document::parse(xml).expect("well-formed");
    const MEDIA: &str = "http://search.yahoo.com/mrss/";
    let contents: Vec<Node> = doc
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(MEDIA) && n.tag_name().name() == "content")
        .collect();
    let with_image = articles.iter().filter(|a| a.fields.image.is_some()).count();
    assert_eq!(contents.len(), with_image, "one media:content per image");
    let first = contents[0];
    assert_eq!(
        first.attribute("url"),
        Some("https://img.example.cn/2026/42.jpg")
    );
    assert_eq!(first.attribute("medium"), Some("image"));
    assert_eq!(first.attribute("type"), Some("image/jpeg"));
    assert_eq!(first.attribute("fileSize"), Some("771060"));
    assert_eq!(first.attribute("width"), Some("1280"));
    assert_eq!(first.attribute("height"), Some("720"));
    let caption = first
        .children()
        .find(|n| n.tag_name().name() == "description")
        .and_then(|n| n.text());
    assert_eq!(caption, Some("储能电站 & <调峰> 现场"));
    // Unknown sizes are left out, not written as zero.
    assert_eq!(contents[1].attribute("width"), None);
    assert_eq!(contents[1].attribute("fileSize"), None);

    let parsed = feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses it");
    // feed-rs lists the enclosure and the media:content as media objects.
    let sized = parsed.entries[0]
        .media
        .iter()
        .flat_map(|m| &m.content)
        .any(|c| c.width == Some(1280) && c.height == Some(720));
    assert!(
        sized,
        "feed-rs reads the size: {:?}",
        parsed.entries[0].media
    );
}
