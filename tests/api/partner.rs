//! Partner endpoints: the headlines JSON, CORS, and the script and iframe
//! widgets, with the conditional GET of SPEC §4.

use reqwest::header::{HeaderMap, IF_NONE_MATCH, ORIGIN};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{raw_client, Backend, TestApp, TestDatabase};
use crate::on_both_backends;

pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut request = raw_client().request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().expect("ascii"))
        .unwrap_or_default()
}

/// An article in `category` published at `published_at` (RFC 3339).
pub async fn publish(
    app: &TestApp,
    category: &str,
    key: &str,
    title: &str,
    published_at: &str,
) -> i64 {
    let article = app
        .create_article(&json!({
            "external_id": key,
            "category": category,
            "title": title,
            "published_at": published_at,
            "status": "published",
        }))
        .await;
    article["id"].as_i64().expect("id")
}

/// `world` with three live articles, a draft and a scheduled one, and
/// `local` with one; returns the live world ids, newest first.
async fn seed(app: &TestApp) -> Vec<i64> {
    app.create_category("world").await;
    app.create_category("local").await;
    let oldest = publish(
        app,
        "world",
        "w-1",
        "最早的新闻",
        "2026-01-01T08:00:00+08:00",
    )
    .await;
    let middle = publish(
        app,
        "world",
        "w-2",
        "中间的新闻 & <b>",
        "2026-01-02T08:00:00Z",
    )
    .await;
    let sample = app
        .create_article(&crate::helpers::sample_article("world", "w-3"))
        .await["id"]
        .as_i64()
        .expect("id");
    let mut draft = crate::helpers::sample_article("world", "w-draft");
    draft["status"] = json!("draft");
    draft["published_at"] = json!("2026-02-01T00:00:00Z");
    app.create_article(&draft).await;
    publish(app, "world", "w-later", "定时发布", "2099-01-01T00:00:00Z").await;
    publish(app, "local", "l-1", "本地新闻", "2026-03-01T00:00:00Z").await;
    // sample_article is published 2025-06-01, the oldest of all.
    vec![middle, oldest, sample]
}

async fn headlines(app: &TestApp, query: &str) -> Value {
    let (status, headers, body) =
        send(app, Method::GET, &format!("/api/v1/headlines?{query}"), &[]).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(header(&headers, "content-type"), "application/json");
    serde_json::from_str(&body).expect("JSON")
}

on_both_backends! {
    async fn headlines_are_the_live_articles_of_one_category_newest_first(app: TestApp) {
        let ids = seed(&app).await;
        let body = headlines(&app, "category=world").await;
        let listed: Vec<i64> = body["items"].as_array().expect("items").iter().map(|i| i["id"].as_i64().expect("id")).collect();
        assert_eq!(listed, ids, "newest first; no draft, no scheduled article, no other category");
        let category: Value = app.get("/api/v1/categories/world").await.json().await.expect("JSON");
        assert_eq!(body["category"], category);
        assert_eq!(body.as_object().expect("object").len(), 2);

        let item = &body["items"][2];
        let keys: Vec<&String> = item.as_object().expect("item").keys().collect();
        assert_eq!(keys, ["id", "image", "published_at", "source_name", "title", "url"]);
        assert_eq!(item["title"], "广州无人机建设质量 🚀 עברית & <tag> \"quoted\"");
        assert_eq!(item["url"], "https://news.example.cn/politics/20250601/0.html");
        assert_eq!(item["published_at"], "2025-06-01T00:00:20Z");
        assert_eq!(item["source_name"], "海西都市报");
        assert_eq!(item["image"], json!({"url": "https://img.example.cn/2025/06/0.jpg", "mime_type": "image/jpeg", "length": 771060}));
        let plain = &body["items"][0];
        assert_eq!(plain["title"], "中间的新闻 & <b>");
        assert_eq!(plain["url"], format!("https://news.example.cn/articles/{}", ids[0]));
        assert_eq!(plain["source_name"], Value::Null);
        assert_eq!(plain["image"], Value::Null);

        let limited = headlines(&app, "category=world&limit=2").await;
        assert_eq!(limited["items"].as_array().expect("items").len(), 2);
        assert_eq!(limited["items"][0]["id"], ids[0]);
    }

    async fn headlines_refuse_a_missing_or_unknown_category_and_a_bad_limit(app: TestApp) {
        seed(&app).await;
        for (query, status) in [
            ("", 400),
            ("category=", 400),
            ("limit=5", 400),
            ("category=nowhere", 404),
            ("category=NOT%20A%20SLUG", 404),
            ("category=world&limit=0", 400),
            ("category=world&limit=abc", 400),
            ("category=world&limit=101", 400),
            ("category=world&limit=-1", 400),
        ] {
            let (got, headers, body) = send(&app, Method::GET, &format!("/api/v1/headlines?{query}"), &[]).await;
            assert_eq!(got.as_u16(), status, "{query}: {body}");
            assert_eq!(header(&headers, "content-type"), "application/problem+json", "{query}");
            let problem: Value = serde_json::from_str(&body).expect("problem JSON");
            assert_eq!(problem["status"], status);
            assert_eq!(header(&headers, "access-control-allow-origin"), "*", "errors are readable cross-origin too");
        }
        let (status, _, _) = send(&app, Method::DELETE, "/api/v1/headlines?category=world", &[]).await;
        assert_eq!(status, 405);
    }

    async fn any_origin_may_read_the_partner_endpoints_by_default(app: TestApp) {
        seed(&app).await;
        for path in ["/api/v1/headlines?category=world", "/embed/world.js", "/embed/world.html"] {
            let (status, headers, _) = send(&app, Method::GET, path, &[(ORIGIN, "https://partner.example")]).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(header(&headers, "access-control-allow-origin"), "*", "{path}");
            assert_eq!(header(&headers, "vary"), "Accept-Encoding", "{path}: * does not vary by origin");

            let (status, headers, body) = send(&app, Method::OPTIONS, path, &[
                (ORIGIN, "https://partner.example"),
                (reqwest::header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
                (reqwest::header::ACCESS_CONTROL_REQUEST_HEADERS, "if-none-match"),
            ]).await;
            assert_eq!(status, 204, "preflight of {path}");
            assert!(body.is_empty());
            assert_eq!(header(&headers, "access-control-allow-origin"), "*");
            assert_eq!(header(&headers, "access-control-allow-methods"), "GET, HEAD, OPTIONS");
            assert!(header(&headers, "access-control-allow-headers").to_ascii_lowercase().contains("if-none-match"));
            assert_eq!(header(&headers, "access-control-max-age"), "86400");
        }
    }

    async fn headlines_and_widgets_answer_304_to_their_etag_and_head_without_a_body(app: TestApp) {
        seed(&app).await;
        // Last-Modified is there once the second of the last write has closed.
        app.settle();
        for path in ["/api/v1/headlines?category=world&limit=2", "/embed/world.js?limit=2", "/embed/world.html?limit=2"] {
            let (status, ok, body) = send(&app, Method::GET, path, &[]).await;
            assert_eq!(status, 200, "{path}");
            assert!(!body.is_empty());
            let etag = header(&ok, "etag").to_owned();
            assert!(etag.starts_with("W/\""), "{path}: {etag}");
            assert!(httpdate::parse_http_date(header(&ok, "last-modified")).is_ok());
            assert!(header(&ok, "cache-control").starts_with("public, max-age=300"));
            let (status, not_modified, body) = send(&app, Method::GET, path, &[(IF_NONE_MATCH, &etag)]).await;
            assert_eq!(status, 304, "{path}");
            assert!(body.is_empty());
            for name in ["etag", "last-modified", "cache-control", "vary", "access-control-allow-origin"] {
                assert_eq!(header(&not_modified, name), header(&ok, name), "{name} on the 304 of {path}");
            }
            let (status, head, body) = send(&app, Method::HEAD, path, &[]).await;
            assert_eq!(status, 200, "HEAD {path}");
            assert!(body.is_empty());
            for name in ["etag", "last-modified", "content-type"] {
                assert_eq!(header(&head, name), header(&ok, name), "{name} on HEAD {path}");
            }
        }
        // A new headline changes the JSON and the page, not the script.
        let script = header(&send(&app, Method::GET, "/embed/world.js?limit=2", &[]).await.1, "etag").to_owned();
        let json = header(&send(&app, Method::GET, "/api/v1/headlines?category=world&limit=2", &[]).await.1, "etag").to_owned();
        publish(&app, "world", "w-new", "新的头条", "2026-06-01T00:00:00Z").await;
        let (_, headers, _) = send(&app, Method::GET, "/embed/world.js?limit=2", &[(IF_NONE_MATCH, &script)]).await;
        assert_eq!(header(&headers, "etag"), script);
        let (status, headers, body) = send(&app, Method::GET, "/api/v1/headlines?category=world&limit=2", &[(IF_NONE_MATCH, &json)]).await;
        assert_eq!(status, 200);
        assert_ne!(header(&headers, "etag"), json);
        assert!(body.contains("新的头条"));
    }

    async fn the_script_widget_is_javascript_that_reads_the_headlines_from_the_service(app: TestApp) {
        seed(&app).await;
        let (status, headers, body) = send(&app, Method::GET, "/embed/world.js?limit=5", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/javascript; charset=utf-8");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        let source = format!("\"{}/api/v1/headlines?category=world&limit=5\"", app.address);
        assert!(body.contains(&source), "absolute source {source} in {body}");
        assert!(body.contains("document.currentScript") && body.contains("textContent"));
        assert!(!body.contains("innerHTML"));
        assert!(body.len() < 4096);
        for path in ["/embed/nowhere.js", "/embed/world.css", "/embed/world", "/embed/nowhere.html"] {
            let (status, headers, _) = send(&app, Method::GET, path, &[]).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(header(&headers, "content-type"), "application/problem+json");
        }
        let (status, _, _) = send(&app, Method::GET, "/embed/world.js?limit=1000", &[]).await;
        assert_eq!(status, 400);
    }

    async fn the_iframe_widget_is_a_script_free_page_with_escaped_titles(app: TestApp) {
        seed(&app).await;
        publish(&app, "world", "w-xss", "<img src=x onerror=window.__pwned=1>", "2026-05-01T00:00:00Z").await;
        let (status, headers, body) = send(&app, Method::GET, "/embed/world.html", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
        let policy = header(&headers, "content-security-policy");
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
        assert!(policy.contains("frame-ancestors *"), "{policy}");
        let doc = roxmltree::Document::parse_with_options(&body, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }).expect("well-formed page");
        assert_eq!(doc.root_element().attribute("lang"), Some("zh-CN"));
        assert!(!doc.descendants().any(|n| n.has_tag_name("script") || n.has_tag_name("img")));
        assert!(!doc.descendants().any(|n| n.has_tag_name("link")), "no external request");
        let titles: Vec<&str> = doc.descendants()
            .filter(|n| n.has_tag_name("a") && n.parent().is_some_and(|p| p.has_tag_name("li")))
            .map(|n| {
                assert_eq!(n.attribute("target"), Some("_blank"));
                assert_eq!(n.attribute("rel"), Some("noopener"));
                n.text().unwrap_or_default()
            })
            .collect();
        assert_eq!(titles[0], "<img src=x onerror=window.__pwned=1>");
        assert_eq!(titles[1], "中间的新闻 & <b>");
        assert_eq!(titles.len(), 4);
    }
}

/// Starts an app on `backend` that lets only two origins read.
async fn app_with_origins(backend: Backend) -> Option<TestApp> {
    let db = TestDatabase::create(backend)?;
    Some(
        crate::helpers::spawn_on(db, |settings| {
            settings.cors_origins =
                Some("https://partner.example, https://other.example:8443".into())
        })
        .await,
    )
}

async fn a_configured_list_echoes_listed_origins_and_refuses_others(app: TestApp) {
    app.create_category("world").await;
    let path = "/api/v1/headlines?category=world";
    let (_, headers, _) = send(
        &app,
        Method::GET,
        path,
        &[(ORIGIN, "https://partner.example")],
    )
    .await;
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        "https://partner.example"
    );
    assert_eq!(header(&headers, "vary"), "Accept-Encoding, Origin");
    let etag = header(&headers, "etag").to_owned();
    let (status, headers, _) = send(
        &app,
        Method::GET,
        path,
        &[
            (ORIGIN, "https://other.example:8443"),
            (IF_NONE_MATCH, &etag),
        ],
    )
    .await;
    assert_eq!(status, 304);
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        "https://other.example:8443"
    );
    assert_eq!(header(&headers, "vary"), "Accept-Encoding, Origin");
    for refused in [
        vec![(ORIGIN, "https://evil.example")],
        vec![(ORIGIN, "https://partner.example.evil.example")],
        vec![],
    ] {
        let (status, headers, _) = send(&app, Method::GET, path, &refused).await;
        assert_eq!(status, 200);
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{refused:?}"
        );
        assert_eq!(header(&headers, "vary"), "Accept-Encoding, Origin");
    }
    let (status, headers, _) = send(
        &app,
        Method::OPTIONS,
        path,
        &[
            (ORIGIN, "https://evil.example"),
            (reqwest::header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
        ],
    )
    .await;
    assert_eq!(status, 204);
    assert!(headers.get("access-control-allow-origin").is_none());
    let (_, headers, _) = send(
        &app,
        Method::OPTIONS,
        path,
        &[
            (ORIGIN, "https://partner.example"),
            (reqwest::header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
        ],
    )
    .await;
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        "https://partner.example"
    );
    // The iframe page may be framed by the listed origins only.
    let (_, headers, _) = send(&app, Method::GET, "/embed/world.html", &[]).await;
    assert!(header(&headers, "content-security-policy")
        .ends_with("frame-ancestors https://partner.example https://other.example:8443"));
}

mod a_configured_origin_list {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        let app = app_with_origins(Backend::Sqlite).await.expect("sqlite app");
        a_configured_list_echoes_listed_origins_and_refuses_others(app).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        syndic_skip_postgres,
        ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
    )]
    async fn postgres() {
        if let Some(app) = app_with_origins(Backend::Postgres).await {
            a_configured_list_echoes_listed_origins_and_refuses_others(app).await;
        }
    }
}
