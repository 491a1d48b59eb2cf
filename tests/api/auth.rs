use reqwest::Method;
use serde_json::json;

use crate::helpers::{sample_article, TestApp};
use crate::on_both_backends;

/// Every call that needs a token.
const PROTECTED: &[(&str, &str)] = &[
    ("POST", "/api/v1/categories"),
    ("PUT", "/api/v1/categories/world"),
    ("DELETE", "/api/v1/categories/world"),
    ("POST", "/api/v1/articles"),
    ("GET", "/api/v1/articles"),
    ("GET", "/api/v1/articles/1"),
    ("PATCH", "/api/v1/articles/1"),
    ("DELETE", "/api/v1/articles/1"),
    ("PUT", "/api/v1/articles/by-external-id/x"),
    ("POST", "/api/v1/articles/batch"),
];

async fn assert_all_unauthorized(app: &TestApp, token: Option<&str>) {
    for (method, path) in PROTECTED {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 401, "{method} {path} with {token:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .expect("ascii")
                .starts_with("Bearer"),
            "{method} {path}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}

on_both_backends! {
    async fn every_write_and_article_read_needs_a_token(app: TestApp) {
        app.create_category("world").await;
        app.create_article(&sample_article("world", "a-1")).await;
        let before = app.snapshot().await;
        assert_all_unauthorized(&app, None).await;
        assert_all_unauthorized(&app, Some("syn_not-a-real-token")).await;
        assert_eq!(app.snapshot().await, before);
    }

    async fn a_revoked_token_fails_on_the_next_request(app: TestApp) {
        app.create_category("world").await;
        let mut conn = app.pool.get().expect("connection");
        let port = app.address.rsplit(':').next().expect("port");
        assert!(syndic::store::revoke_token(&mut conn, &format!("test-{port}")).expect("revoke"));
        drop(conn);
        let response = app.post("/api/v1/articles", &sample_article("world", "a-1")).await;
        assert_eq!(response.status(), 401);
    }
}
