//! OPML 2.0: every feed of the site in one file a feed reader imports, the
//! site-wide feeds first, then one folder per category.

use std::io;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::directory::{Directory, FeedLink};
use super::xml_safe;

/// Renders the directory as OPML 2.0: `<head>` with the title and the
/// RFC 822 `dateCreated`/`dateModified` (from stored changes, never the
/// clock), `<body>` with one folder `<outline>` for the site-wide feeds and
/// one per category, each holding an `<outline type="rss">` per format.
pub fn opml(directory: &Directory<'_>) -> Vec<u8> {
    let mut writer = Writer::new_with_indent(Vec::with_capacity(4096), b' ', 2);
    let written = write(&mut writer, directory);
    // Writing to a Vec cannot fail.
    debug_assert!(written.is_ok(), "{written:?}");
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    bytes
}

fn write(w: &mut Writer<Vec<u8>>, directory: &Directory<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let site_title = xml_safe(&directory.site.title);
    w.create_element("opml")
        .with_attribute(("version", "2.0"))
        .write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                text(w, "title", &site_title)?;
                text(w, "dateCreated", &rfc822(directory.created))?;
                // No <docs>: OPML 2.0 allows it, but the W3C validator
                // reports it as an undefined head element.
                text(w, "dateModified", &rfc822(directory.updated))
            })?;
            w.create_element("body").write_inner_content(|w| {
                folder(w, directory, &site_title, &directory.site_feeds())?;
                for category in directory.categories {
                    let name = xml_safe(&category.fields.name);
                    folder(w, directory, &name, &directory.category_feeds(category))?;
                }
                for tag in directory.tags {
                    let label = super::facet_label(directory.site, tag);
                    folder(w, directory, &xml_safe(&label), &directory.tag_feeds(tag))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn folder(
    w: &mut Writer<Vec<u8>>,
    directory: &Directory<'_>,
    name: &str,
    feeds: &[FeedLink],
) -> io::Result<()> {
    // A folder has only `text`: any other attribute without a `type` saying
    // how to read it is a validator warning.
    w.create_element("outline")
        .with_attribute(("text", name))
        .write_inner_content(|w| {
            for feed in feeds {
                let text = xml_safe(&feed.title).into_owned() + " (" + feed.format + ")";
                let mut outline = w.create_element("outline").with_attributes([
                    ("type", "rss"),
                    ("text", text.as_str()),
                    ("title", text.as_str()),
                    ("xmlUrl", feed.url.as_str()),
                    ("htmlUrl", directory.site.url.as_str()),
                ]);
                if feed.format == "RSS" {
                    outline = outline.with_attribute(("version", "RSS2"));
                }
                outline.write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, content: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(content))?;
    Ok(())
}

/// RFC 822 date-time as OPML wants it, in GMT: `Thu, 15 Jan 2026 08:00:00 GMT`.
fn rfc822(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    fn render() -> String {
        render_with_tags(&[])
    }

    fn render_with_tags(tags: &[crate::domain::Facet]) -> String {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let base = fixtures::url("https://feeds.example.cn/");
        String::from_utf8(opml(&Directory {
            site: &site,
            base_url: &base,
            categories: &categories,
            tags,
            created: fixtures::at(-86_400),
            updated: fixtures::at(60),
        }))
        .expect("UTF-8")
    }

    #[test]
    fn every_category_has_its_three_feeds_in_a_folder() {
        let body = render();
        let doc = roxmltree::Document::parse(&body).expect("well-formed");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "opml");
        assert_eq!(root.attribute("version"), Some("2.0"));
        let head = root
            .children()
            .find(|n| n.has_tag_name("head"))
            .expect("head");
        let head_text = |name: &str| {
            head.children()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(head_text("title"), "南方新闻 & <News> \"日报\"");
        assert_eq!(head_text("dateCreated"), "Wed, 14 Jan 2026 08:00:00 GMT");
        assert_eq!(head_text("dateModified"), "Thu, 15 Jan 2026 08:01:00 GMT");
        let body_node = root
            .children()
            .find(|n| n.has_tag_name("body"))
            .expect("body");
        let folders: Vec<_> = body_node.children().filter(|n| n.is_element()).collect();
        assert_eq!(folders.len(), 3, "site-wide and two categories");
        assert_eq!(folders[1].attribute("text"), Some("国际 & 世界"));
        for folder in &folders {
            let attributes: Vec<_> = folder.attributes().map(|a| a.name()).collect();
            assert_eq!(attributes, ["text"], "a folder carries only its text");
        }
        assert!(head.children().all(|n| !n.has_tag_name("docs")));
        let feeds: Vec<_> = folders[1].children().filter(|n| n.is_element()).collect();
        let urls: Vec<_> = feeds.iter().filter_map(|n| n.attribute("xmlUrl")).collect();
        assert_eq!(
            urls,
            [
                "https://feeds.example.cn/feeds/world.rss",
                "https://feeds.example.cn/feeds/world.atom",
                "https://feeds.example.cn/feeds/world.json",
            ]
        );
        for feed in &feeds {
            assert_eq!(feed.attribute("type"), Some("rss"));
            assert_eq!(feed.attribute("htmlUrl"), Some("https://news.example.cn/"));
            assert!(feed
                .attribute("text")
                .is_some_and(|t| t.starts_with("国际 & 世界 - ")));
            assert!(feed.attribute("title").is_some());
        }
        assert_eq!(feeds[0].attribute("version"), Some("RSS2"));
        let site_urls: Vec<_> = folders[0]
            .children()
            .filter_map(|n| n.attribute("xmlUrl"))
            .collect();
        assert_eq!(site_urls[0], "https://feeds.example.cn/feeds/all.rss");
    }

    #[test]
    fn the_same_directory_gives_the_same_bytes() {
        assert_eq!(render(), render());
    }

    #[test]
    fn listed_tags_follow_the_categories_with_encoded_urls() {
        use crate::domain::{Facet, FacetKind};
        let tags = [
            Facet::new(FacetKind::Tag, "大模型").expect("tag"),
            Facet::new(FacetKind::Tag, "R&D <lab>/x").expect("tag"),
        ];
        let body = render_with_tags(&tags);
        let doc = roxmltree::Document::parse(&body).expect("well-formed");
        let folders: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("body"))
            .flat_map(|b| b.children().filter(|n| n.is_element()))
            .collect();
        assert_eq!(folders.len(), 5, "site-wide, two categories, two tags");
        assert_eq!(folders[3].attribute("text"), Some("标签：大模型"));
        assert_eq!(folders[4].attribute("text"), Some("标签：R&D <lab>/x"));
        let urls: Vec<_> = folders[4]
            .children()
            .filter_map(|n| n.attribute("xmlUrl"))
            .collect();
        assert_eq!(
            urls[0],
            "https://feeds.example.cn/feeds/tags/R%26D%20%3Clab%3E%2Fx.rss"
        );
        assert_eq!(
            folders[3].children().find_map(|n| n.attribute("xmlUrl")),
            Some("https://feeds.example.cn/feeds/tags/%E5%A4%A7%E6%A8%A1%E5%9E%8B.rss")
        );
    }
}
