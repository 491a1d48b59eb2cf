use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{sample_article, TestApp};
use crate::on_both_backends;

fn fields_match(stored: &Value, sent: &Value, fields: &[&str]) {
    for field in fields {
        assert_eq!(stored[*field], sent[*field], "field {field}");
    }
}

on_both_backends! {
    async fn creating_an_article_stores_every_field_byte_for_byte(app: TestApp) {
        app.create_category("politics").await;
        let sent = sample_article("politics", "g1-00000000");
        let response = app.post("/api/v1/articles", &sent).await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().expect("ascii").to_owned();
        let created: Value = response.json().await.expect("JSON");
        assert!(location.ends_with(&format!("/api/v1/articles/{}", created["id"])), "{location}");
        fields_match(&created, &sent, &["external_id", "category", "title", "summary", "content_html", "url", "author", "contributors", "copyright", "tags", "image", "status", "source"]);
        // The same instant, in UTC.
        assert_eq!(created["published_at"], "2025-06-01T00:00:20Z");
        assert!(created["updated_at"].is_string());

        let fetched: Value = app.authed(Method::GET, "/api/v1/articles/x").send().await.expect("GET").json().await.expect("JSON");
        assert_eq!(fetched["status"], 404);
        let fetched: Value = app.client.get(location).bearer_auth(&app.token).send().await.expect("GET").json().await.expect("JSON");
        assert_eq!(fetched, created);
    }

    async fn html_is_sanitized_on_input(app: TestApp) {
        app.create_category("local").await;
        let created = app
            .create_article(&json!({
                "category": "local",
                "title": "<script>alert(1)</script> 标题",
                "summary": "<img src=x onerror=alert(1)>摘要",
                "content_html": "<p onclick=\"steal()\">点击<a href=\"javascript:alert(1)\">这里</a></p><script>document.write('x')</script>",
            }))
            .await;
        let content = created["content_html"].as_str().expect("content");
        assert!(!content.contains("<script") && !content.contains("onclick") && !content.contains("javascript:"), "{content}");
        assert!(content.contains("点击") && content.contains("这里"));
        let summary = created["summary"].as_str().expect("summary");
        assert!(!summary.contains("onerror"), "{summary}");
        // Titles are plain text: kept as written, escaped only when rendered.
        assert_eq!(created["title"], "<script>alert(1)</script> 标题");
        // Without published_at the article is published now.
        assert!(created["published_at"].as_str().expect("time").starts_with("20"));
    }

    async fn a_duplicate_external_id_is_409_and_changes_nothing(app: TestApp) {
        app.create_category("world").await;
        app.create_article(&sample_article("world", "dup")).await;
        let before = app.snapshot().await;
        let response = app.post("/api/v1/articles", &sample_article("world", "dup")).await;
        assert_eq!(response.status(), 409);
        assert_eq!(app.snapshot().await, before);
    }

    async fn validation_failures_are_422_naming_every_field_and_change_nothing(app: TestApp) {
        app.create_category("world").await;
        let before = app.snapshot().await;
        let cases = [
            (json!({"category": "nope", "title": "x"}), vec!["category"]),
            (json!({"category": "world", "title": "   "}), vec!["title"]),
            (json!({"category": "world", "title": "x".repeat(1001)}), vec!["title"]),
            (json!({"category": "world", "title": "x", "url": "javascript:alert(1)"}), vec!["url"]),
            (json!({"category": "world", "title": "x", "url": "ftp://example.com/a"}), vec!["url"]),
            (json!({"category": "world", "title": "x", "published_at": "2025-13-01"}), vec!["published_at"]),
            (json!({"category": "world", "title": "x", "status": "live"}), vec!["status"]),
            (json!({"category": "world", "title": 5, "tags": "a", "source": {"name": "x", "url": "/rel"}}), vec!["title", "tags", "source.url"]),
            (json!({"title": "x"}), vec!["category"]),
            (json!([1, 2]), vec![""]),
        ];
        for (body, fields) in cases {
            let response = app.post("/api/v1/articles", &body).await;
            assert_eq!(response.status(), 422, "{body}");
            assert_eq!(response.headers()["content-type"], "application/problem+json");
            let problem: Value = response.json().await.expect("JSON");
            assert_eq!(problem["status"], 422);
            assert!(problem["type"].is_string() && problem["title"].is_string() && problem["detail"].is_string());
            let named: Vec<&str> = problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
            for field in fields {
                assert!(named.contains(&field), "{field} not in {named:?} for {body}");
            }
        }
        assert_eq!(app.snapshot().await, before);
    }

    async fn bad_bodies_are_400_415_and_413_and_change_nothing(app: TestApp) {
        app.create_category("world").await;
        let before = app.snapshot().await;
        let malformed = app.authed(Method::POST, "/api/v1/articles").header("content-type", "application/json").body("{\"title\": ").send().await.expect("POST");
        assert_eq!(malformed.status(), 400);
        assert_eq!(malformed.headers()["content-type"], "application/problem+json");
        let not_utf8 = app.authed(Method::POST, "/api/v1/articles").header("content-type", "application/json").body(vec![b'"', 0xff, 0xfe, b'"']).send().await.expect("POST");
        assert_eq!(not_utf8.status(), 400);
        let wrong_type = app.authed(Method::POST, "/api/v1/articles").header("content-type", "text/plain").body(sample_article("world", "t").to_string()).send().await.expect("POST");
        assert_eq!(wrong_type.status(), 415);
        let no_type = app.authed(Method::POST, "/api/v1/articles").body(sample_article("world", "t").to_string()).send().await.expect("POST");
        assert_eq!(no_type.status(), 415);
        let mut huge = sample_article("world", "huge");
        huge["content_html"] = json!("字".repeat(400_000));
        let too_large = app.post("/api/v1/articles", &huge).await;
        assert_eq!(too_large.status(), 413);
        assert_eq!(app.snapshot().await, before);
    }

    async fn merge_patch_changes_only_what_it_names(app: TestApp) {
        app.create_category("world").await;
        app.create_category("local").await;
        let created = app.create_article(&sample_article("world", "p-1")).await;
        let path = format!("/api/v1/articles/{}", created["id"]);
        let response = app
            .authed(Method::PATCH, &path)
            .header("content-type", "application/merge-patch+json")
            .body(json!({"title": "新标题", "author": null, "category": "local", "source": {"feed_url": null}}).to_string())
            .send()
            .await
            .expect("PATCH");
        assert_eq!(response.status(), 200);
        let patched: Value = response.json().await.expect("JSON");
        assert_eq!(patched["title"], "新标题");
        assert_eq!(patched["author"], Value::Null);
        assert_eq!(patched["category"], "local");
        assert_eq!(patched["source"]["feed_url"], Value::Null);
        assert_eq!(patched["source"]["name"], "海西都市报");
        fields_match(&patched, &created, &["id", "external_id", "summary", "content_html", "tags", "image", "published_at", "contributors"]);

        // application/json is accepted too.
        let plain = app.send_json(Method::PATCH, &path, &json!({"status": "draft"})).await;
        assert_eq!(plain.status(), 200);

        let before = app.snapshot().await;
        let invalid = app.send_json(Method::PATCH, &path, &json!({"title": "", "category": "nope"})).await;
        assert_eq!(invalid.status(), 422);
        let wrong_type = app.authed(Method::PATCH, &path).header("content-type", "text/plain").body("{}").send().await.expect("PATCH");
        assert_eq!(wrong_type.status(), 415);
        assert_eq!(app.snapshot().await, before);

        let missing = app.send_json(Method::PATCH, "/api/v1/articles/999999", &json!({"title": "x"})).await;
        assert_eq!(missing.status(), 404);
    }

    async fn deleting_an_article_is_204_then_404(app: TestApp) {
        app.create_category("world").await;
        let created = app.create_article(&sample_article("world", "d-1")).await;
        let path = format!("/api/v1/articles/{}", created["id"]);
        assert_eq!(app.authed(Method::DELETE, &path).send().await.expect("DELETE").status(), 204);
        assert_eq!(app.get(&path).await.status(), 404);
        assert_eq!(app.authed(Method::DELETE, &path).send().await.expect("DELETE").status(), 404);
    }

    async fn put_by_external_id_is_an_idempotent_upsert(app: TestApp) {
        app.create_category("world").await;
        let body = sample_article("world", "ignored-in-body");
        let mut body = body.as_object().expect("object").clone();
        body.remove("external_id");
        let body = Value::Object(body);
        let path = "/api/v1/articles/by-external-id/xinhua-2025-0001";
        let first = app.send_json(Method::PUT, path, &body).await;
        assert_eq!(first.status(), 201);
        assert!(first.headers().contains_key("location"));
        let first: Value = first.json().await.expect("JSON");
        assert_eq!(first["external_id"], "xinhua-2025-0001");

        let again = app.send_json(Method::PUT, path, &body).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.expect("JSON");
        assert_eq!(again, first, "the same body twice changes nothing, not even updated_at");

        let mut edited = body.clone();
        edited["title"] = json!("更正后的标题");
        let third: Value = app.send_json(Method::PUT, path, &edited).await.json().await.expect("JSON");
        assert_eq!(third["id"], first["id"]);
        assert_eq!(third["title"], "更正后的标题");

        let shown: Value = app.get(path).await.json().await.expect("JSON");
        assert_eq!(shown, third);

        let mismatch = app.send_json(Method::PUT, path, &sample_article("world", "other")).await;
        assert_eq!(mismatch.status(), 422);
    }

    async fn listing_pages_newest_first_with_a_cursor_and_filters(app: TestApp) {
        app.create_category("world").await;
        app.create_category("local").await;
        for i in 0..5 {
            let mut article = sample_article(if i % 2 == 0 { "world" } else { "local" }, &format!("l-{i}"));
            article["published_at"] = json!(format!("2025-06-0{}T00:00:00Z", i + 1));
            if i == 4 {
                article["status"] = json!("draft");
            }
            app.create_article(&article).await;
        }
        let mut scheduled = sample_article("world", "future");
        scheduled["published_at"] = json!("2099-01-01T00:00:00Z");
        app.create_article(&scheduled).await;

        let mut seen = Vec::new();
        let mut path = "/api/v1/articles?limit=2".to_owned();
        loop {
            let page: Value = app.get(&path).await.json().await.expect("JSON");
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 2);
            seen.extend(items.iter().map(|a| a["external_id"].as_str().expect("id").to_owned()));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/articles?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, ["future", "l-4", "l-3", "l-2", "l-1", "l-0"], "drafts and scheduled articles are listed, newest first");

        let world: Value = app.get("/api/v1/articles?category=world&status=published").await.json().await.expect("JSON");
        let ids: Vec<&str> = world["items"].as_array().expect("items").iter().map(|a| a["external_id"].as_str().expect("id")).collect();
        assert_eq!(ids, ["future", "l-2", "l-0"]);
        let drafts: Value = app.get("/api/v1/articles?status=draft").await.json().await.expect("JSON");
        assert_eq!(drafts["items"].as_array().expect("items").len(), 1);

        for bad in ["limit=0", "limit=abc", "limit=101", "status=live", "cursor=%%%", "category=Bad!"] {
            let response = app.get(&format!("/api/v1/articles?{bad}")).await;
            assert_eq!(response.status(), 400, "{bad}");
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
        assert_eq!(app.get("/api/v1/articles?category=nope").await.status(), 404);
    }

    async fn unknown_urls_and_methods_are_problem_json(app: TestApp) {
        let missing = app.get("/no/such/path").await;
        assert_eq!(missing.status(), 404);
        assert_eq!(missing.headers()["content-type"], "application/problem+json");
        let method = app.authed(Method::DELETE, "/api/v1/articles").send().await.expect("DELETE");
        assert_eq!(method.status(), 405);
        assert_eq!(method.headers()["content-type"], "application/problem+json");
    }
}
