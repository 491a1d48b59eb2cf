//! The directory of feeds: OPML and the index pages, read as a feed reader
//! and a person would, every link followed.

use reqwest::header::IF_NONE_MATCH;
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::partner::{header, publish, send};

const SLUGS: [&str; 2] = ["local", "world"];

async fn seed(app: &TestApp) {
    for slug in SLUGS {
        app.create_category(slug).await;
    }
    publish(app, "world", "w-1", "国际新闻", "2026-01-01T00:00:00Z").await;
}

fn parse_html(body: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        body,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("well-formed (polyglot) HTML")
}

/// GETs every URL and asserts a 200.
async fn all_answer(app: &TestApp, urls: &[String]) {
    for url in urls {
        let path = url
            .strip_prefix(&app.address)
            .unwrap_or_else(|| panic!("{url} is on the service"));
        let (status, _, _) = send(app, Method::GET, path, &[]).await;
        assert_eq!(status, 200, "{url}");
    }
}

on_both_backends! {
    async fn the_opml_lists_every_categorys_three_feeds_and_each_answers(app: TestApp) {
        seed(&app).await;
        let (status, headers, body) = send(&app, Method::GET, "/feeds.opml", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/x-opml; charset=utf-8");
        let doc = roxmltree::Document::parse(&body).expect("well-formed OPML");
        let root = doc.root_element();
        assert_eq!((root.tag_name().name(), root.attribute("version")), ("opml", Some("2.0")));
        for name in ["dateCreated", "dateModified"] {
            let date = doc.descendants().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).unwrap_or_default();
            assert!(httpdate::parse_http_date(date).is_ok(), "{name} {date:?} is an RFC 822 date");
        }
        let feeds: Vec<_> = doc.descendants().filter(|n| n.attribute("xmlUrl").is_some()).collect();
        for feed in &feeds {
            assert_eq!(feed.attribute("type"), Some("rss"));
            assert!(feed.attribute("text").is_some_and(|t| !t.is_empty()));
            assert!(feed.attribute("title").is_some());
            assert_eq!(feed.attribute("htmlUrl"), Some("https://news.example.cn/"));
        }
        let urls: Vec<String> = feeds.iter().filter_map(|n| n.attribute("xmlUrl")).map(str::to_owned).collect();
        for name in ["all", "local", "world"] {
            for extension in ["rss", "atom", "json"] {
                let expected = format!("{}/feeds/{name}.{extension}", app.address);
                assert!(urls.contains(&expected), "{expected} in {urls:?}");
            }
        }
        assert_eq!(urls.len(), 9);
        all_answer(&app, &urls).await;
    }

    async fn the_opml_changes_with_the_categories_not_with_articles(app: TestApp) {
        seed(&app).await;
        // Last-Modified is there once the second of the last write has closed.
        app.settle();
        let (_, headers, _) = send(&app, Method::GET, "/feeds.opml", &[]).await;
        let etag = header(&headers, "etag").to_owned();
        let (status, not_modified, body) = send(&app, Method::GET, "/feeds.opml", &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(status, 304);
        assert!(body.is_empty());
        for name in ["etag", "last-modified", "cache-control", "vary"] {
            assert_eq!(header(&not_modified, name), header(&headers, name), "{name}");
        }
        publish(&app, "local", "l-1", "本地新闻", "2026-02-01T00:00:00Z").await;
        let (status, _, _) = send(&app, Method::GET, "/feeds.opml", &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(status, 304, "an article is not in the OPML");
        let renamed = app.send_json(Method::PUT, "/api/v1/categories/local", &json!({"name": "本地频道"})).await;
        assert_eq!(renamed.status(), 200);
        let (status, _, body) = send(&app, Method::GET, "/feeds.opml", &[(IF_NONE_MATCH, &etag)]).await;
        assert_eq!(status, 200);
        assert!(body.contains("本地频道"));
        let (status, head, body) = send(&app, Method::HEAD, "/feeds.opml", &[]).await;
        assert_eq!(status, 200);
        assert!(body.is_empty());
        assert_ne!(header(&head, "etag"), etag);
    }

    async fn the_index_page_discovers_the_site_feeds_and_every_link_answers(app: TestApp) {
        seed(&app).await;
        let (status, headers, body) = send(&app, Method::GET, "/", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
        assert!(header(&headers, "content-security-policy").contains("default-src 'none'"));
        assert!(header(&headers, "etag").starts_with("W/\""));
        let doc = parse_html(&body);
        assert_eq!(doc.root_element().attribute("lang"), Some("zh-CN"));
        let head = doc.descendants().find(|n| n.has_tag_name("head")).expect("head");
        let alternates: Vec<(&str, &str)> = head.children()
            .filter(|n| n.has_tag_name("link") && n.attribute("rel") == Some("alternate"))
            .map(|n| (n.attribute("type").unwrap_or_default(), n.attribute("href").unwrap_or_default()))
            .collect();
        let base = &app.address;
        assert_eq!(alternates, [
            ("application/rss+xml", format!("{base}/feeds/all.rss").as_str()),
            ("application/atom+xml", format!("{base}/feeds/all.atom").as_str()),
            ("application/feed+json", format!("{base}/feeds/all.json").as_str()),
        ]);
        let links: Vec<String> = doc.descendants()
            .filter(|n| n.has_tag_name("a"))
            .filter_map(|n| n.attribute("href"))
            .filter(|href| href.starts_with(base.as_str()))
            .map(str::to_owned)
            .collect();
        for slug in SLUGS {
            for extension in ["rss", "atom", "json"] {
                assert!(links.contains(&format!("{base}/feeds/{slug}.{extension}")), "{slug}.{extension}");
            }
            assert!(links.contains(&format!("{base}/categories/{slug}")));
        }
        assert!(links.contains(&format!("{base}/feeds.opml")));
        all_answer(&app, &links).await;

        let (status, _, _) = send(&app, Method::GET, "/", &[(IF_NONE_MATCH, header(&headers, "etag"))]).await;
        assert_eq!(status, 304);
    }

    async fn a_category_page_discovers_its_own_feeds(app: TestApp) {
        seed(&app).await;
        let (status, headers, body) = send(&app, Method::GET, "/categories/world", &[]).await;
        assert_eq!(status, 200);
        assert!(header(&headers, "content-security-policy").contains("default-src 'none'"));
        let doc = parse_html(&body);
        let alternates: Vec<String> = doc.descendants()
            .filter(|n| n.has_tag_name("link") && n.attribute("rel") == Some("alternate"))
            .filter_map(|n| n.attribute("href"))
            .map(str::to_owned)
            .collect();
        let base = &app.address;
        assert_eq!(alternates, [format!("{base}/feeds/world.rss"), format!("{base}/feeds/world.atom"), format!("{base}/feeds/world.json")]);
        all_answer(&app, &alternates).await;
        let snippets: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("code")).filter_map(|n| n.text()).collect();
        assert_eq!(snippets[0], format!("<script src=\"{base}/embed/world.js\" async></script>"));
        let (status, headers, _) = send(&app, Method::GET, "/categories/nowhere", &[]).await;
        assert_eq!(status, 404);
        assert_eq!(header(&headers, "content-type"), "application/problem+json");
    }
}
