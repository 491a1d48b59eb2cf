//! The service's own HTML pages: the index of categories with their feeds
//! (`/`), and one page per category (`/categories/{slug}`) with its feeds and
//! the snippets partner sites paste. Both carry `<link rel="alternate">`
//! autodiscovery, so a feed reader given the page finds the feeds.

use askama::Template;

use super::directory::{Directory, FeedLink};
use super::html::{self, filters};
use crate::domain::Category;

/// The words of the pages, in the site's language (Chinese for `zh*`,
/// English otherwise).
struct Labels {
    feeds_title: &'static str,
    feeds_of: &'static str,
    subscribe: &'static str,
    all_articles: &'static str,
    categories: &'static str,
    tags: &'static str,
    opml: &'static str,
    feeds: &'static str,
    on_your_site: &'static str,
    as_links: &'static str,
    in_a_frame: &'static str,
    as_json: &'static str,
}

const ENGLISH: Labels = Labels {
    feeds_title: "feeds",
    feeds_of: "Feeds of ",
    subscribe: ". Subscribe to everything, or to one category.",
    all_articles: "All articles",
    categories: "Categories",
    tags: "Tags in the news",
    opml: "Every feed in one file for your reader: ",
    feeds: "Feeds",
    on_your_site: "On your site",
    as_links: "The latest headlines, as a list of links where this tag stands:",
    in_a_frame: "Or in a frame:",
    as_json: "Or as JSON: ",
};

const CHINESE: Labels = Labels {
    feeds_title: "订阅源",
    feeds_of: "本站订阅源：",
    subscribe: "。可订阅全部文章，也可只订阅一个栏目。",
    all_articles: "全部文章",
    categories: "栏目",
    tags: "热门标签",
    opml: "全部订阅源合为一个文件，供阅读器导入：",
    feeds: "订阅源",
    on_your_site: "在您的网站上展示",
    as_links: "最新标题，以链接列表显示在此标签所在位置：",
    in_a_frame: "或嵌入框架：",
    as_json: "或取 JSON 数据：",
};

fn labels(language: &str) -> &'static Labels {
    if language.to_ascii_lowercase().starts_with("zh") {
        &CHINESE
    } else {
        &ENGLISH
    }
}

/// One category on the index page.
struct CategorySection {
    name: String,
    page_url: String,
    description: String,
    feeds: Vec<FeedLink>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    lang: &'a str,
    title: String,
    style: &'static str,
    words: &'static Labels,
    site_title: &'a str,
    site_url: &'a str,
    site_feeds: Vec<FeedLink>,
    sections: Vec<CategorySection>,
    tags: Vec<TagSection>,
    opml_url: String,
}

/// One listed tag on the index page.
struct TagSection {
    label: String,
    feeds: Vec<FeedLink>,
}

#[derive(Template)]
#[template(path = "category.html")]
struct CategoryPage<'a> {
    lang: &'a str,
    title: String,
    style: &'static str,
    words: &'static Labels,
    index_url: String,
    site_title: &'a str,
    name: &'a str,
    description: &'a str,
    feeds: Vec<FeedLink>,
    opml_url: String,
    script_snippet: String,
    iframe_snippet: String,
    headlines_url: String,
}

/// The index page: autodiscovery of the site-wide feeds, then the site-wide
/// feeds, every category with its three feeds, and the OPML file.
pub fn index_page(directory: &Directory<'_>) -> askama::Result<Vec<u8>> {
    let site = directory.site;
    let words = labels(&site.language);
    let sections = directory
        .categories
        .iter()
        .map(|category| CategorySection {
            name: category.fields.name.clone(),
            page_url: directory.category_page_url(category),
            description: category.fields.description.trim().to_owned(),
            feeds: directory.category_feeds(category),
        })
        .collect();
    html::render(&IndexPage {
        lang: &site.language,
        title: format!("{} - {}", site.title, words.feeds_title),
        style: PAGE_STYLE,
        words,
        site_title: &site.title,
        site_url: site.url.as_str(),
        site_feeds: directory.site_feeds(),
        sections,
        tags: directory
            .tags
            .iter()
            .map(|tag| TagSection {
                label: super::facet_label(site, tag),
                feeds: directory.tag_feeds(tag),
            })
            .collect(),
        opml_url: directory.opml_url(),
    })
}

/// One category's page: autodiscovery of its feeds, the feeds, and the two
/// snippets a partner site pastes to show its headlines.
pub fn category_page(directory: &Directory<'_>, category: &Category) -> askama::Result<Vec<u8>> {
    let site = directory.site;
    let slug = category.slug.as_str();
    let script_snippet = format!(
        "<script src=\"{}\" async></script>",
        directory.url(&format!("embed/{slug}.js"))
    );
    let iframe_snippet = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"320\" height=\"400\" style=\"border:0\" loading=\"lazy\"></iframe>",
        directory.url(&format!("embed/{slug}.html")),
        slug,
    );
    html::render(&CategoryPage {
        lang: &site.language,
        title: format!("{} - {}", category.fields.name, site.title),
        style: PAGE_STYLE,
        words: labels(&site.language),
        index_url: directory.index_url(),
        site_title: &site.title,
        name: &category.fields.name,
        description: category.fields.description.trim(),
        feeds: directory.category_feeds(category),
        opml_url: directory.opml_url(),
        script_snippet,
        iframe_snippet,
        headlines_url: directory.url(&format!("api/v1/headlines?category={slug}")),
    })
}

/// The pages' style: no `<` or `&` (it is written raw).
const PAGE_STYLE: &str = "
body { max-width: 46em; margin: 2em auto; padding: 0 1em; font: 16px/1.5 system-ui, sans-serif; color: #222; }
h1 { margin-bottom: 0.2em; }
h3 { margin: 1.2em 0 0.2em; }
.description { margin: 0; color: #555; }
ul.feeds { list-style: none; padding: 0; margin: 0.3em 0; }
ul.feeds li { display: inline; margin-right: 1em; }
pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; }
a { color: #0645ad; }
";

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    fn parse(page: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse_with_options(
            page,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .expect("well-formed")
    }

    fn with_directory<T>(check: impl FnOnce(&Directory<'_>) -> T) -> T {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let base = fixtures::url("https://feeds.example.cn/");
        check(&Directory {
            site: &site,
            base_url: &base,
            categories: &categories,
            tags: &[],
            created: fixtures::at(0),
            updated: fixtures::at(0),
        })
    }

    #[test]
    fn the_index_discovers_the_site_feeds_and_links_every_category_feed() {
        let page = String::from_utf8(with_directory(index_page).expect("rendered")).expect("UTF-8");
        let doc = parse(&page);
        assert_eq!(doc.root_element().attribute("lang"), Some("zh-CN"));
        let alternates: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("link") && n.attribute("rel") == Some("alternate"))
            .map(|n| {
                (
                    n.attribute("type").unwrap_or_default(),
                    n.attribute("href").unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            alternates,
            [
                (
                    "application/rss+xml",
                    "https://feeds.example.cn/feeds/all.rss"
                ),
                (
                    "application/atom+xml",
                    "https://feeds.example.cn/feeds/all.atom"
                ),
                (
                    "application/feed+json",
                    "https://feeds.example.cn/feeds/all.json"
                ),
            ]
        );
        let hrefs: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("a"))
            .filter_map(|n| n.attribute("href"))
            .collect();
        for expected in [
            "https://feeds.example.cn/feeds/world.rss",
            "https://feeds.example.cn/feeds/world.atom",
            "https://feeds.example.cn/feeds/world.json",
            "https://feeds.example.cn/feeds/tech.json",
            "https://feeds.example.cn/feeds.opml",
            "https://feeds.example.cn/categories/world",
        ] {
            assert!(hrefs.contains(&expected), "{expected} in {hrefs:?}");
        }
        assert!(page.contains("国际 &#38; 世界"));
        assert!(html::is_raw_safe(PAGE_STYLE));
    }

    #[test]
    fn a_category_page_shows_the_partner_snippets_as_text() {
        let page = with_directory(|d| {
            let categories = fixtures::categories();
            String::from_utf8(category_page(d, &categories[0]).expect("rendered")).expect("UTF-8")
        });
        let doc = parse(&page);
        let codes: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("code"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(
            codes[0],
            "<script src=\"https://feeds.example.cn/embed/world.js\" async></script>"
        );
        assert!(codes[1].starts_with("<iframe src=\"https://feeds.example.cn/embed/world.html\""));
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        let alternates = doc
            .descendants()
            .filter(|n| n.has_tag_name("link") && n.attribute("rel") == Some("alternate"))
            .filter_map(|n| n.attribute("href"))
            .collect::<Vec<_>>();
        assert_eq!(alternates[0], "https://feeds.example.cn/feeds/world.rss");
    }
}
