//! The partner widgets: a script that renders a category's headlines where
//! its `<script>` tag stands, and a self-contained page for an `<iframe>`.

use askama::Template;

use super::article_url;
use super::headlines::Headlines;
use super::html::{self, filters};

/// The widget script for one category. It reads the headlines JSON from
/// `headlines_url` (absolute, so it works from any origin) and renders them
/// as a list of links after its own `<script>` tag, or into the element
/// that the tag's `data-target` attribute selects. Titles go in with
/// `textContent`, never as markup; each tag on a page is its own widget
/// (`document.currentScript`).
pub fn embed_script(headlines_url: &str) -> Vec<u8> {
    SCRIPT
        .replace("\"@HEADLINES_URL@\"", &js_string(headlines_url))
        .into_bytes()
}

/// The widget's code; `"@HEADLINES_URL@"` is replaced by a JS string literal.
const SCRIPT: &str = include_str!("embed.js");

/// `text` as a JavaScript string literal: JSON's escaping, plus `<` and the
/// two line separators JSON allows raw, so the literal is safe anywhere.
fn js_string(text: &str) -> String {
    let literal = serde_json::Value::String(text.to_owned()).to_string();
    literal
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// One headline of the iframe widget.
struct EmbedItem {
    url: String,
    title: String,
    source: Option<String>,
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage<'a> {
    lang: &'a str,
    title: String,
    style: &'static str,
    name: &'a str,
    items: Vec<EmbedItem>,
    site_url: &'a str,
    site_title: &'a str,
}

/// The iframe widget: the category's name and its headlines as links that
/// open in a new tab, then the site's name, so readers see whose headlines
/// these are. No script, no external request (the style is inline); the
/// page's language is the site's.
pub fn embed_page(headlines: &Headlines<'_>) -> askama::Result<Vec<u8>> {
    let site = headlines.site;
    let name = &headlines.category.fields.name;
    let items = headlines
        .items
        .iter()
        .map(|article| EmbedItem {
            url: article_url(site, article),
            title: article.fields.title.as_str().to_owned(),
            source: article.fields.source.as_ref().map(|s| s.name.clone()),
        })
        .collect();
    html::render(&EmbedPage {
        lang: &site.language,
        title: format!("{name} - {}", site.title),
        style: PAGE_STYLE,
        name,
        items,
        site_url: site.url.as_str(),
        site_title: &site.title,
    })
}

/// The iframe page's style: no `<` or `&` (it is written raw).
const PAGE_STYLE: &str = "
body { margin: 0; padding: 0.5em 0.75em; font: 15px/1.45 system-ui, sans-serif; color: #222; background: #fff; }
h1 { font-size: 1em; margin: 0 0 0.4em; }
ul { list-style: none; margin: 0; padding: 0; }
li { padding: 0.3em 0; border-bottom: 1px solid #eee; }
a { color: #0645ad; text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
.source { color: #777; font-size: 0.85em; margin-left: 0.4em; }
.site { font-size: 0.8em; margin: 0.5em 0 0; }
";

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;
    use crate::domain::Article;

    #[test]
    fn the_script_embeds_its_source_as_a_safe_literal() {
        let script = String::from_utf8(embed_script(
            "https://feeds.example.cn/api/v1/headlines?category=world&limit=5",
        ))
        .expect("UTF-8");
        assert!(script.contains(
            "var source = \"https://feeds.example.cn/api/v1/headlines?category=world&limit=5\";"
        ));
        assert!(!script.contains("@HEADLINES_URL@"));
        assert!(script.contains("textContent"));
        assert!(!script.contains("innerHTML"));
        assert!(script.contains("document.currentScript"));
        assert!(script.len() < 4096, "a few KB at most: {}", script.len());
        assert_eq!(
            js_string("</script>\u{2028}\""),
            "\"\\u003c/script>\\u2028\\\"\""
        );
    }

    fn page() -> String {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let articles: Vec<Article> = fixtures::articles().into_iter().take(2).collect();
        let headlines = Headlines {
            site: &site,
            category: &categories[0],
            items: &articles,
        };
        String::from_utf8(embed_page(&headlines).expect("rendered")).expect("UTF-8")
    }

    #[test]
    fn the_page_is_well_formed_with_escaped_titles_and_new_tab_links() {
        let page = page();
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        let doc = roxmltree::Document::parse_with_options(
            &page,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .expect("well-formed");
        let root = doc.root_element();
        assert_eq!(root.attribute("lang"), Some("zh-CN"));
        let links: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("a") && n.attribute("rel") == Some("noopener"))
            .collect();
        assert_eq!(links.len(), 3, "two headlines and the site");
        assert_eq!(
            links[0].text(),
            Some("储能电站 & <电网> \"调峰\" ]]> 🚀 上线")
        );
        assert_eq!(
            links[0].attribute("href"),
            Some("https://news.example.cn/world/2026/42.html")
        );
        assert!(links
            .iter()
            .all(|a| a.attribute("target") == Some("_blank")));
        assert!(page.contains("&#60;电网&#62;"));
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        assert!(html::is_raw_safe(PAGE_STYLE));
    }

    #[test]
    fn a_title_with_markup_stays_text() {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let mut article = fixtures::articles().remove(1);
        article.fields.title =
            crate::domain::Title::parse("<img src=x onerror=window.__pwned=1>").expect("title");
        let page = String::from_utf8(
            embed_page(&Headlines {
                site: &site,
                category: &categories[0],
                items: &[article],
            })
            .expect("rendered"),
        )
        .expect("UTF-8");
        assert!(page.contains("&#60;img src=x onerror=window.__pwned=1&#62;"));
        assert!(!page.contains("<img"));
    }
}
