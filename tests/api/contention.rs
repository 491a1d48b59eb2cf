//! A write that meets a busy database is told to come back (503 with
//! Retry-After), never a 500, and changes nothing.

use diesel::connection::SimpleConnection;
use serde_json::Value;

use crate::helpers::{sample_article, spawn_app, Backend};

#[actix_web::test]
async fn a_write_blocked_by_another_writer_is_503_with_retry_after_and_changes_nothing() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    app.create_category("world").await;
    // Another process (an import, an operator's sqlite3 shell) holds the
    // write lock for longer than syndic's busy timeout (5 s).
    let url = syndic::domain::DatabaseUrl::parse(&app.database_url).expect("url");
    let mut other = syndic::store::establish(&url).expect("second connection");
    other
        .batch_execute("BEGIN IMMEDIATE")
        .expect("take the write lock");

    let refused = app
        .post("/api/v1/articles", &sample_article("world", "busy-1"))
        .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:syndic:problem:busy");
    assert_eq!(problem["status"], 503);

    other.batch_execute("ROLLBACK").expect("release");
    let listed: Value = app
        .get("/api/v1/articles")
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was written"
    );
    // Once the other writer is gone, the same write goes through.
    app.create_article(&sample_article("world", "busy-1")).await;
}
