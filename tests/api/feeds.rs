//! The feeds as readers get them: every SPEC field found with its value,
//! parsed with roxmltree (well-formedness, raw fields) and feed-rs (a real
//! client library).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{sample_article, spawn_on, TestApp, TestDatabase};
use crate::on_both_backends;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: Option<&str>,
    name: &str,
) -> roxmltree::Node<'a, 'i> {
    find(node, ns, name).unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()))
}

fn find<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: Option<&str>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == ns)
}

fn text<'a>(node: roxmltree::Node<'a, '_>, ns: Option<&str>, name: &str) -> &'a str {
    child(node, ns, name).text().unwrap_or_default()
}

fn links<'a>(node: roxmltree::Node<'a, '_>, ns: Option<&str>) -> Vec<(&'a str, &'a str)> {
    node.children()
        .filter(|c| {
            c.is_element() && c.tag_name().name() == "link" && c.tag_name().namespace() == ns
        })
        .filter_map(|c| {
            Some((
                c.attribute("rel").unwrap_or("alternate"),
                c.attribute("href")?,
            ))
        })
        .collect()
}

async fn fetch(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.expect("body"))
}

/// A category with a copyright, and one article with every field.
async fn seed(app: &TestApp) -> Value {
    app.post(
        "/api/v1/categories",
        &json!({"slug": "politics", "name": "时政", "description": "国内时政要闻", "copyright": "© 2026 时政频道"}),
    )
    .await;
    app.create_article(&sample_article("politics", "g1-1"))
        .await
}

on_both_backends! {
    async fn rss_carries_copyright_source_and_every_spec_field(app: TestApp) {
        let article = seed(&app).await;
        let (headers, body) = fetch(&app, "/feeds/politics.rss").await;
        assert_eq!(headers["content-type"], "application/rss+xml; charset=utf-8");
        let doc = roxmltree::Document::parse(&body).expect("well-formed RSS");
        let channel = child(doc.root_element(), None, "channel");
        assert!(text(channel, None, "title").contains("时政"));
        assert_eq!(text(channel, None, "link"), "https://news.example.cn/");
        assert_eq!(text(channel, None, "language"), "zh-CN");
        assert_eq!(text(channel, None, "copyright"), "© 2026 时政频道");
        assert_eq!(text(channel, None, "generator"), "syndic");
        assert_eq!(text(channel, None, "ttl"), "5");
        assert!(!text(channel, None, "lastBuildDate").is_empty());
        assert!(find(channel, Some(DC), "rights").is_none(), "no channel dc:rights beside copyright");
        let channel_links = links(channel, Some(ATOM));
        assert!(channel_links.contains(&("self", app.url("/feeds/politics.rss").as_str())), "{channel_links:?}");

        let item = child(channel, None, "item");
        assert_eq!(text(item, None, "title"), sample_article("politics", "x")["title"].as_str().expect("title"));
        assert_eq!(text(item, None, "link"), "https://news.example.cn/politics/20250601/0.html");
        let guid = child(item, None, "guid");
        assert_eq!(guid.attribute("isPermaLink"), Some("false"));
        assert!(guid.text().expect("guid").ends_with(&format!(":article:{}", article["id"])));
        let published = chrono::DateTime::parse_from_rfc2822(text(item, None, "pubDate")).expect("RFC 822 date");
        assert_eq!(published.to_rfc3339(), "2025-06-01T00:00:20+00:00");
        assert_eq!(text(item, None, "description"), "推动高质量产业与稳定无人机融合发展。");
        assert_eq!(text(item, Some(CONTENT), "encoded"), "<p>正文第一段。</p><p>第二段 😀</p>");
        assert_eq!(text(item, Some(DC), "creator"), "陆林娟");
        assert_eq!(text(item, Some(DC), "rights"), "© 2025 海西都市报 版权所有");
        let source = child(item, None, "source");
        assert_eq!(source.text(), Some("海西都市报"));
        assert_eq!(source.attribute("url"), Some("https://haixi-metro.example/rss.xml"));
        assert!(find(item, Some(DC), "source").is_none());
        assert!(links(item, Some(ATOM)).contains(&("via", "https://haixi-metro.example/2025/06/01/0.html")));
        let categories: Vec<&str> = item.children().filter(|c| c.tag_name().name() == "category").filter_map(|c| c.text()).collect();
        assert!(categories.contains(&"时政"), "{categories:?}");
        let enclosure = child(item, None, "enclosure");
        assert_eq!(enclosure.attribute("url"), Some("https://img.example.cn/2025/06/0.jpg"));
        assert_eq!(enclosure.attribute("length"), Some("771060"));
        assert_eq!(enclosure.attribute("type"), Some("image/jpeg"));

        let parsed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs parses RSS");
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].title.as_ref().expect("title").content, sample_article("politics", "x")["title"]);
    }

    async fn atom_carries_rights_source_via_and_enclosure(app: TestApp) {
        seed(&app).await;
        let (headers, body) = fetch(&app, "/feeds/politics.atom").await;
        assert_eq!(headers["content-type"], "application/atom+xml; charset=utf-8");
        let doc = roxmltree::Document::parse(&body).expect("well-formed Atom");
        let feed = doc.root_element();
        assert_eq!(feed.attribute(("http://www.w3.org/XML/1998/namespace", "lang")), Some("zh-CN"));
        assert_eq!(text(feed, Some(ATOM), "rights"), "© 2026 时政频道");
        assert_eq!(text(feed, Some(ATOM), "subtitle"), "国内时政要闻");
        assert_eq!(text(feed, Some(ATOM), "generator"), "syndic");
        assert!(!text(feed, Some(ATOM), "id").is_empty());
        let feed_links = links(feed, Some(ATOM));
        assert!(feed_links.contains(&("self", app.url("/feeds/politics.atom").as_str())));
        assert!(feed_links.iter().any(|(rel, _)| *rel == "alternate"));

        let entry = child(feed, Some(ATOM), "entry");
        assert_eq!(text(entry, Some(ATOM), "rights"), "© 2025 海西都市报 版权所有");
        assert_eq!(text(entry, Some(ATOM), "published"), "2025-06-01T00:00:20+00:00");
        let source = child(entry, Some(ATOM), "source");
        assert_eq!(text(source, Some(ATOM), "title"), "海西都市报");
        assert!(!text(source, Some(ATOM), "id").is_empty());
        assert!(!text(source, Some(ATOM), "updated").is_empty());
        assert!(!links(source, Some(ATOM)).is_empty());
        let entry_links = links(entry, Some(ATOM));
        assert!(entry_links.contains(&("via", "https://haixi-metro.example/2025/06/01/0.html")));
        assert!(entry_links.contains(&("enclosure", "https://img.example.cn/2025/06/0.jpg")));
        assert!(entry_links.contains(&("alternate", "https://news.example.cn/politics/20250601/0.html")));
        let content = child(entry, Some(ATOM), "content");
        assert_eq!(content.attribute("type"), Some("html"));
        assert_eq!(content.text(), Some("<p>正文第一段。</p><p>第二段 😀</p>"));
        let contributors: Vec<&str> = entry
            .children()
            .filter(|c| c.tag_name().name() == "contributor")
            .map(|c| text(c, Some(ATOM), "name"))
            .collect();
        assert_eq!(contributors.len(), 2, "{contributors:?}");
        assert_eq!(text(child(entry, Some(ATOM), "author"), Some(ATOM), "name"), "陆林娟");

        let parsed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs parses Atom");
        assert_eq!(parsed.rights.expect("rights").content, "© 2026 时政频道");
        assert_eq!(parsed.entries[0].contributors.len(), 2);
    }

    async fn json_feed_has_the_1_1_fields_and_the_syndic_extension(app: TestApp) {
        seed(&app).await;
        let (headers, body) = fetch(&app, "/feeds/politics.json").await;
        assert_eq!(headers["content-type"], "application/feed+json; charset=utf-8");
        let feed: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert!(feed["title"].as_str().expect("title").contains("时政"));
        assert_eq!(feed["feed_url"], app.url("/feeds/politics.json"));
        assert_eq!(feed["_syndic"]["copyright"], "© 2026 时政频道");
        let item = &feed["items"][0];
        for field in ["id", "url", "title", "content_html", "summary", "date_published", "date_modified"] {
            assert!(item[field].is_string(), "{field} in {item}");
        }
        assert_eq!(item["external_url"], "https://haixi-metro.example/2025/06/01/0.html");
        assert_eq!(item["_syndic"]["copyright"], "© 2025 海西都市报 版权所有");
        assert_eq!(item["_syndic"]["source"]["name"], "海西都市报");
        assert_eq!(item["_syndic"]["source"]["feed_url"], "https://haixi-metro.example/rss.xml");
        let tags = item["tags"].as_array().expect("tags");
        assert!(tags.contains(&json!("大模型")) && tags.contains(&json!("储能")), "{tags:?}");
        assert_eq!(item["authors"][0]["name"], "陆林娟");
        let parsed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs parses JSON Feed");
        assert_eq!(parsed.entries.len(), 1);
    }

    async fn copyright_falls_back_from_article_to_category_to_site(app: TestApp) {
        seed(&app).await;
        app.create_category("local").await;
        let mut plain = sample_article("politics", "no-copyright");
        plain["copyright"] = Value::Null;
        plain["published_at"] = json!("2025-06-02T00:00:00Z");
        app.create_article(&plain).await;
        let mut local = sample_article("local", "local-1");
        local["copyright"] = Value::Null;
        app.create_article(&local).await;

        let (_, body) = fetch(&app, "/feeds/all.rss").await;
        let doc = roxmltree::Document::parse(&body).expect("well-formed");
        let channel = child(doc.root_element(), None, "channel");
        assert_eq!(text(channel, None, "copyright"), "© 2026 测试新闻网", "the site-wide feed carries the site's");
        let rights: Vec<(&str, &str)> = channel
            .children()
            .filter(|c| c.tag_name().name() == "item")
            .map(|item| (text(item, None, "guid"), text(item, Some(DC), "rights")))
            .collect();
        let rights: Vec<&str> = rights.iter().map(|(_, r)| *r).collect();
        // Newest first: the politics article without copyright, then two at the
        // same time (higher id first): the local one, the original.
        assert_eq!(rights, ["© 2026 时政频道", "© 2026 测试新闻网", "© 2025 海西都市报 版权所有"]);
    }

    async fn feeds_hold_only_live_articles_newest_first(app: TestApp) {
        app.create_category("world").await;
        let mut ids = Vec::new();
        for (key, published, status) in [
            ("old", "2025-01-01T00:00:00Z", "published"),
            ("new", "2025-03-01T00:00:00Z", "published"),
            ("tie-a", "2025-02-01T00:00:00Z", "published"),
            ("tie-b", "2025-02-01T00:00:00Z", "published"),
            ("draft", "2025-04-01T00:00:00Z", "draft"),
            ("future", "2099-01-01T00:00:00Z", "published"),
        ] {
            let mut article = sample_article("world", key);
            article["title"] = json!(key);
            article["published_at"] = json!(published);
            article["status"] = json!(status);
            ids.push(app.create_article(&article).await["id"].clone());
        }
        let (_, body) = fetch(&app, "/feeds/world.json").await;
        let feed: Value = serde_json::from_str(&body).expect("JSON");
        let titles: Vec<&str> = feed["items"].as_array().expect("items").iter().map(|i| i["title"].as_str().expect("title")).collect();
        assert_eq!(titles, ["new", "tie-b", "tie-a", "old"], "published_at desc, then id desc; no drafts, nothing scheduled");
    }

    async fn pages_link_first_last_next_previous_and_reject_bad_parameters(app: TestApp) {
        app.create_category("world").await;
        for i in 0..5 {
            let mut article = sample_article("world", &format!("p-{i}"));
            article["published_at"] = json!(format!("2025-01-0{}T00:00:00Z", i + 1));
            app.create_article(&article).await;
        }
        let (_, body) = fetch(&app, "/feeds/world.atom?limit=2&page=2").await;
        let doc = roxmltree::Document::parse(&body).expect("well-formed");
        let feed_links = links(doc.root_element(), Some(ATOM));
        for (rel, href) in [
            ("self", "/feeds/world.atom?limit=2&page=2"),
            ("first", "/feeds/world.atom?limit=2"),
            ("last", "/feeds/world.atom?limit=2&page=3"),
            ("next", "/feeds/world.atom?limit=2&page=3"),
            ("previous", "/feeds/world.atom?limit=2"),
        ] {
            assert!(feed_links.contains(&(rel, app.url(href).as_str())), "{rel} {href} in {feed_links:?}");
        }
        assert_eq!(doc.root_element().children().filter(|c| c.tag_name().name() == "entry").count(), 2);

        let (_, body) = fetch(&app, "/feeds/world.json?limit=2").await;
        let feed: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(feed["next_url"], app.url("/feeds/world.json?limit=2&page=2"));

        for (path, status) in [
            ("/feeds/world.rss?page=4&limit=2", 404),
            ("/feeds/world.rss?limit=0", 400),
            ("/feeds/world.rss?limit=101", 400),
            ("/feeds/world.rss?limit=x", 400),
            ("/feeds/world.rss?page=0", 400),
            ("/feeds/world.rss?page=-1", 400),
            ("/feeds/nope.rss", 404),
            ("/feeds/Bad%20Slug.rss", 404),
            ("/feeds/world.xml", 404),
            ("/feeds/world", 404),
        ] {
            let response = app.client.get(app.url(path)).send().await.expect("GET");
            assert_eq!(response.status(), status, "{path}");
            assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
        }
        let (_, empty) = fetch(&app, "/feeds/all.rss?page=1").await;
        assert!(roxmltree::Document::parse(&empty).is_ok());
    }

    async fn guids_stay_the_same_when_an_article_is_edited(app: TestApp) {
        let article = seed(&app).await;
        let guid = |body: String| {
            let doc = roxmltree::Document::parse(&body).expect("well-formed");
            let channel = child(doc.root_element(), None, "channel");
            text(child(channel, None, "item"), None, "guid").to_owned()
        };
        let before = guid(fetch(&app, "/feeds/politics.rss").await.1);
        let path = format!("/api/v1/articles/{}", article["id"]);
        let patched = app.send_json(Method::PATCH, &path, &json!({"title": "改", "url": "https://news.example.cn/moved.html"})).await;
        assert_eq!(patched.status(), 200);
        let (_, body) = fetch(&app, "/feeds/politics.rss").await;
        assert!(body.contains("<title>改</title>"));
        assert_eq!(guid(body), before);
    }

    async fn characters_xml_forbids_are_dropped_and_the_feed_stays_well_formed(app: TestApp) {
        app.create_category("world").await;
        let mut article = sample_article("world", "nasty");
        article["title"] = json!("控制\u{0001}\u{000B}字符\u{FFFE} ]]> <b>&amp;</b> 🧪 עברית");
        article["summary"] = json!("摘要\u{001F}]]>");
        article["content_html"] = json!("<p>正文\u{0008}</p><![CDATA[x]]>]]>");
        article["author"] = json!("作者\u{0002}");
        article["copyright"] = json!("©\u{FFFF} 版权");
        app.create_article(&article).await;
        for format in ["rss", "atom"] {
            let (_, body) = fetch(&app, &format!("/feeds/world.{format}")).await;
            roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{format} not well-formed: {e}"));
            let parsed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs");
            assert_eq!(parsed.entries[0].title.as_ref().expect("title").content, "控制字符 ]]> <b>&amp;</b> 🧪 עברית", "{format}");
        }
        let (_, body) = fetch(&app, "/feeds/world.json").await;
        let feed: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(feed["items"][0]["title"], article["title"], "JSON keeps text byte for byte");
    }
}

crate::for_both_backends! {
    async fn the_site_artwork_is_in_every_format(backend: Backend) {
        let Some(db) = TestDatabase::create(backend) else {
            return;
        };
        let icon = "https://news.example.cn/static/icon-512.png";
        let logo = "https://news.example.cn/static/logo.png";
        let app = spawn_on(db, |settings| {
            settings.site_icon = Some(icon.to_owned());
            settings.site_logo = Some(logo.to_owned());
        })
        .await;
        seed(&app).await;
        for (path, expected_icon, expected_logo) in [
            ("/feeds/all.rss", None, Some(logo)),
            ("/feeds/politics.atom", Some(icon), Some(logo)),
            // feed-rs reads JSON Feed's `favicon` as the icon and its
            // (large, square) `icon` as the logo: both are the site icon.
            ("/feeds/all.json", Some(icon), Some(icon)),
        ] {
            let body = app.get(path).await.text().await.expect("body");
            let parsed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs parses it");
            assert_eq!(parsed.icon.map(|i| i.uri).as_deref(), expected_icon, "{path}");
            assert_eq!(parsed.logo.map(|i| i.uri).as_deref(), expected_logo, "{path}");
        }
        let json: Value = serde_json::from_str(&app.get("/feeds/all.json").await.text().await.expect("body")).expect("JSON");
        assert_eq!(json["favicon"], icon);
        let item = &json["items"][0];
        assert_eq!(item["author"], item["authors"][0], "JSON Feed 1.0 author beside authors");
    }
}

on_both_backends! {
    async fn the_lead_image_size_and_caption_are_stored_and_become_media_rss(app: TestApp) {
        app.create_category("world").await;
        let mut article = sample_article("world", "media-1");
        article["image"] = json!({
            "url": "https://img.example.cn/2026/m1.jpg",
            "mime_type": "image/jpeg",
            "length": 5120,
            "width": 1600,
            "height": 900,
            "caption": "海峡两岸 & <合作> 论坛现场"
        });
        let created = app.create_article(&article).await;
        assert_eq!(created["image"]["width"], 1600);
        let path = format!("/api/v1/articles/{}", created["id"]);
        let stored: Value = app.get(&path).await.json().await.expect("JSON");
        assert_eq!(stored["image"], created["image"], "read back as written");
        assert_eq!(stored["image"]["caption"], "海峡两岸 & <合作> 论坛现场");

        let rss = app.get("/feeds/world.rss").await.text().await.expect("body");
        let doc = roxmltree::Document::parse(&rss).expect("well-formed");
        let content = doc
            .descendants()
            .find(|n| n.tag_name().name() == "content" && n.tag_name().namespace() == Some("http://search.yahoo.com/mrss/"))
            .expect("media:content");
        assert_eq!(content.attribute("width"), Some("1600"));
        assert_eq!(content.attribute("height"), Some("900"));
        assert_eq!(content.attribute("fileSize"), Some("5120"));
        let caption = content.children().find(|n| n.has_tag_name(("http://search.yahoo.com/mrss/", "description")));
        assert_eq!(caption.and_then(|n| n.text()), Some("海峡两岸 & <合作> 论坛现场"));

        let mut bad = sample_article("world", "media-2");
        bad["image"] = json!({"url": "https://img.example.cn/x.jpg", "mime_type": "image/jpeg", "width": 0, "height": "tall"});
        let refused = app.post("/api/v1/articles", &bad).await;
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.expect("problem");
        let fields: Vec<&str> = problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&"image.width") && fields.contains(&"image.height"), "{fields:?}");
    }
}
