use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends! {
    async fn creating_a_category_answers_201_with_location_and_the_category(app: TestApp) {
        let response = app
            .post("/api/v1/categories", &json!({"slug": "world", "name": "国际", "description": "国际新闻", "copyright": "© 国际频道"}))
            .await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(location.ends_with("/api/v1/categories/world"), "{location}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body, json!({"slug": "world", "name": "国际", "description": "国际新闻", "copyright": "© 国际频道"}));

        let fetched: serde_json::Value = app.client.get(location).send().await.expect("GET").json().await.expect("JSON");
        assert_eq!(fetched, body);
    }

    async fn a_taken_slug_is_409_and_changes_nothing(app: TestApp) {
        app.create_category("world").await;
        let before = app.snapshot().await;
        let response = app.post("/api/v1/categories", &json!({"slug": "world", "name": "另一个"})).await;
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert_eq!(app.snapshot().await, before);
    }

    async fn listing_categories_needs_no_token(app: TestApp) {
        app.create_category("b-second").await;
        app.create_category("a-first").await;
        let response = app.client.get(app.url("/api/v1/categories")).send().await.expect("GET");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON");
        let slugs: Vec<&str> = body["items"].as_array().expect("items").iter().map(|c| c["slug"].as_str().expect("slug")).collect();
        assert_eq!(slugs, ["a-first", "b-second"]);
    }

    async fn an_invalid_category_is_422_with_each_field_named(app: TestApp) {
        let response = app.post("/api/v1/categories", &json!({"slug": "Bad Slug!", "name": "  "})).await;
        assert_eq!(response.status(), 422);
        let problem: serde_json::Value = response.json().await.expect("JSON");
        let fields: Vec<&str> = problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert!(fields.contains(&"slug") && fields.contains(&"name"), "{problem}");
        let missing = app.post("/api/v1/categories", &json!({"name": "无 slug"})).await;
        assert_eq!(missing.status(), 422);
    }

    async fn replacing_a_category_answers_200_with_the_new_fields(app: TestApp) {
        app.create_category("local").await;
        let response = app
            .send_json(Method::PUT, "/api/v1/categories/local", &json!({"name": "本地新闻", "description": "新的描述", "copyright": "© 本地"}))
            .await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["name"], "本地新闻");
        assert_eq!(body["copyright"], "© 本地");
        let shown: serde_json::Value = app.get("/api/v1/categories/local").await.json().await.expect("JSON");
        assert_eq!(shown, body);

        let unknown = app.send_json(Method::PUT, "/api/v1/categories/nope", &json!({"name": "x"})).await;
        assert_eq!(unknown.status(), 404);
        let renamed = app.send_json(Method::PUT, "/api/v1/categories/local", &json!({"slug": "other", "name": "x"})).await;
        assert_eq!(renamed.status(), 422);
    }

    async fn deleting_a_category_is_204_when_empty_and_409_with_articles(app: TestApp) {
        app.create_category("empty").await;
        app.create_category("full").await;
        app.create_article(&crate::helpers::sample_article("full", "a-1")).await;

        let deleted = app.authed(Method::DELETE, "/api/v1/categories/empty").send().await.expect("DELETE");
        assert_eq!(deleted.status(), 204);
        assert_eq!(app.get("/api/v1/categories/empty").await.status(), 404);

        let before = app.snapshot().await;
        let refused = app.authed(Method::DELETE, "/api/v1/categories/full").send().await.expect("DELETE");
        assert_eq!(refused.status(), 409);
        assert_eq!(app.snapshot().await, before);

        let missing = app.authed(Method::DELETE, "/api/v1/categories/empty").send().await.expect("DELETE");
        assert_eq!(missing.status(), 404);
    }
}
