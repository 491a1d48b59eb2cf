use serde_json::{json, Value};

use crate::helpers::{sample_article, TestApp};
use crate::on_both_backends;

on_both_backends! {
    async fn a_batch_creates_then_updates_by_external_id(app: TestApp) {
        app.create_category("world").await;
        let batch: Vec<Value> = (0..50).map(|i| sample_article("world", &format!("b-{i}"))).collect();
        let response = app.post("/api/v1/articles/batch", &json!(batch)).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        let items = body["items"].as_array().expect("items");
        assert_eq!(items.len(), 50);
        for (i, item) in items.iter().enumerate() {
            assert_eq!(item["external_id"], format!("b-{i}"), "input order");
            assert_eq!(item["status"], "created");
            assert!(item["id"].is_i64());
        }

        let mut again = batch.clone();
        again[3]["title"] = json!("改过的标题");
        let body: Value = app.post("/api/v1/articles/batch", &json!(again)).await.json().await.expect("JSON");
        let items = body["items"].as_array().expect("items");
        assert!(items.iter().all(|i| i["status"] == "updated"));
        let shown: Value = app.get("/api/v1/articles/by-external-id/b-3").await.json().await.expect("JSON");
        assert_eq!(shown["title"], "改过的标题");
    }

    async fn a_batch_with_one_bad_article_writes_nothing(app: TestApp) {
        app.create_category("world").await;
        let before = app.snapshot().await;
        let mut batch: Vec<Value> = (0..10).map(|i| sample_article("world", &format!("b-{i}"))).collect();
        batch[7]["category"] = json!("nope");
        let response = app.post("/api/v1/articles/batch", &json!(batch)).await;
        assert_eq!(response.status(), 422);
        let problem: Value = response.json().await.expect("JSON");
        assert_eq!(problem["errors"][0]["field"], "[7].category", "{problem}");
        assert_eq!(app.snapshot().await, before);

        batch[7]["category"] = json!("world");
        batch[2]["title"] = json!("");
        batch[5].as_object_mut().expect("object").remove("external_id");
        batch[9]["external_id"] = json!("b-0");
        let problem: Value = app.post("/api/v1/articles/batch", &json!(batch)).await.json().await.expect("JSON");
        let fields: Vec<&str> = problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(fields, ["[2].title", "[5].external_id", "[9].external_id"]);
        assert_eq!(app.snapshot().await, before);
    }

    async fn a_batch_over_1000_articles_or_not_an_array_is_422(app: TestApp) {
        app.create_category("world").await;
        let before = app.snapshot().await;
        let batch: Vec<Value> = (0..1001).map(|i| json!({"external_id": format!("x-{i}"), "category": "world", "title": "t"})).collect();
        assert_eq!(app.post("/api/v1/articles/batch", &json!(batch)).await.status(), 422);
        assert_eq!(app.post("/api/v1/articles/batch", &json!({"items": []})).await.status(), 422);
        assert_eq!(app.snapshot().await, before);
    }
}
