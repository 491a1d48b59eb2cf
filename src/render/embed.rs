//! The partner widgets: a script that renders a category's headlines where
//! its `<script>` tag stands, and a self-contained page for an `<iframe>`.

use std::io;

use super::article_url;
use super::headlines::Headlines;
use super::html::{self, HtmlWriter};

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

/// The iframe widget: the category's name and its headlines as links that
/// open in a new tab. No script, no external request (the style is inline);
/// the page's language is the site's.
pub fn embed_page(headlines: &Headlines<'_>) -> Vec<u8> {
    let category = &headlines.category.fields.name;
    let title = format!("{category} - {}", headlines.site.title);
    html::document(
        &headlines.site.language,
        &title,
        PAGE_STYLE,
        |_| Ok(()),
        |w| page_body(w, headlines),
    )
}

fn page_body(w: &mut HtmlWriter, headlines: &Headlines<'_>) -> io::Result<()> {
    html::text_element(w, "h1", &[], &headlines.category.fields.name)?;
    html::element(w, "ul", &[], |w| {
        for article in headlines.items {
            let url = article_url(headlines.site, article);
            html::element(w, "li", &[], |w| {
                html::text_element(
                    w,
                    "a",
                    &[("href", &url), ("target", "_blank"), ("rel", "noopener")],
                    article.fields.title.as_str(),
                )?;
                if let Some(source) = &article.fields.source {
                    html::text_element(w, "span", &[("class", "source")], &source.name)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    if headlines.items.is_empty() {
        html::text_element(w, "p", &[("class", "empty")], "—")?;
    }
    // The site's name, so readers see whose headlines these are.
    html::element(w, "p", &[("class", "site")], |w| {
        html::text_element(
            w,
            "a",
            &[
                ("href", headlines.site.url.as_str()),
                ("target", "_blank"),
                ("rel", "noopener"),
            ],
            &headlines.site.title,
        )
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
        String::from_utf8(embed_page(&headlines)).expect("UTF-8")
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
        assert!(page.contains("&lt;电网&gt;"));
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
        let page = String::from_utf8(embed_page(&Headlines {
            site: &site,
            category: &categories[0],
            items: &[article],
        }))
        .expect("UTF-8");
        assert!(page.contains("&lt;img src=x onerror=window.__pwned=1&gt;"));
        assert!(!page.contains("<img"));
    }
}
