//! Several nodes on one PostgreSQL database: what one writes, the others
//! serve within a second, with the same bytes and validators.

use std::time::{Duration, Instant};
use syndic::clock::Clock;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{raw_client, sample_article, spawn_app, spawn_with_clock, Backend, TestApp};

/// A sample article in `local` with a title of its own.
fn titled(external_id: &str, title: &str) -> serde_json::Value {
    let mut article = sample_article("local", external_id);
    article["title"] = json!(title);
    article
}

/// Node A on a fresh PostgreSQL database and node B on the same one, both
/// publishing under A's base URL (as behind one load balancer).
async fn two_nodes() -> Option<(TestApp, TestApp)> {
    let a = spawn_app(Backend::Postgres).await?;
    let base_url = a.config.base_url.to_string();
    let b = spawn_with_clock(&a.database_url, a.clock.clone(), move |settings| {
        settings.base_url = Some(base_url)
    })
    .await;
    Some((a, b))
}

/// Body and ETag of `path` on `node`, uncompressed.
async fn fetch(node: &TestApp, path: &str) -> (Vec<u8>, String) {
    let response = raw_client()
        .get(node.url(path))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{path}");
    let etag = response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    (response.bytes().await.expect("body").to_vec(), etag)
}

/// Polls `path` on `node` until its body contains `needle`; panics after
/// `within`. Returns how long it took.
async fn served_within(node: &TestApp, path: &str, needle: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (body, _) = fetch(node, path).await;
        if String::from_utf8_lossy(&body).contains(needle) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{path} on the other node did not show {needle:?} within {within:?}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(600)
                .collect::<String>()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every public response that depends on the data, for byte-for-byte
/// comparison between nodes.
const PATHS: [&str; 8] = [
    "/feeds/local.rss",
    "/feeds/local.atom",
    "/feeds/local.json",
    "/feeds/all.rss",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/api/v1/headlines?category=local",
    "/feeds.opml",
];

async fn assert_nodes_agree(a: &TestApp, b: &TestApp) {
    for path in PATHS {
        let (body_a, etag_a) = fetch(a, path).await;
        let (body_b, etag_b) = fetch(b, path).await;
        assert_eq!(body_a, body_b, "{path}: the same bytes on both nodes");
        assert_eq!(etag_a, etag_b, "{path}: the same ETag on both nodes");
        for (node, etag) in [(b, &etag_a), (a, &etag_b)] {
            let revalidated = raw_client()
                .get(node.url(path))
                .header("if-none-match", etag)
                .send()
                .await
                .expect("request");
            assert_eq!(
                revalidated.status(),
                304,
                "{path}: one node's ETag validates on the other"
            );
        }
    }
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn a_write_through_one_node_is_served_by_the_other_within_a_second_postgres() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.create_category("local").await;
    a.create_article(&titled("first", "第一篇")).await;
    served_within(&b, "/feeds/local.rss", "第一篇", Duration::from_secs(1)).await;
    assert_nodes_agree(&a, &b).await;

    // B has everything cached now; a write through A must reach B's cache.
    let mut article = titled("second", "第二篇：两节点一致");
    article["published_at"] = json!("2025-06-02T08:00:00+08:00");
    a.create_article(&article).await;
    for path in [
        "/feeds/local.rss",
        "/feeds/all.atom",
        "/api/v1/headlines?category=local",
    ] {
        served_within(&b, path, "第二篇：两节点一致", Duration::from_secs(1)).await;
    }
    assert_nodes_agree(&a, &b).await;
    assert!(
        b.metric("syndic_change_notifications_total").await >= 1.0,
        "B heard of the write through LISTEN/NOTIFY"
    );

    // A category rename through B changes A's feeds.
    let renamed = b
        .send_json(
            Method::PUT,
            "/api/v1/categories/local",
            &json!({"name": "本地新闻（改名）", "description": "改名后的描述"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    for path in [
        "/feeds/local.rss",
        "/feeds/local.atom",
        "/feeds/all.json",
        "/feeds.opml",
    ] {
        served_within(&a, path, "本地新闻（改名）", Duration::from_secs(1)).await;
    }
    assert_nodes_agree(&a, &b).await;
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn a_scheduled_article_appears_on_every_node_at_its_time_postgres() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.create_category("local").await;
    a.create_article(&titled("now", "现在发布的稿件")).await;
    let mut scheduled = titled("later", "定时发布的稿件");
    scheduled["published_at"] = json!((a.clock.now() + chrono::Duration::seconds(2)).to_rfc3339());
    a.create_article(&scheduled).await;
    served_within(
        &b,
        "/feeds/local.rss",
        "现在发布的稿件",
        Duration::from_secs(1),
    )
    .await;
    for node in [&a, &b] {
        let (body, _) = fetch(node, "/feeds/local.rss").await;
        assert!(
            !String::from_utf8_lossy(&body).contains("定时发布的稿件"),
            "not before its time"
        );
    }
    // The nodes share the clock.
    a.clock.advance(chrono::Duration::seconds(2));
    for node in [&a, &b] {
        served_within(
            node,
            "/feeds/local.rss",
            "定时发布的稿件",
            Duration::from_secs(4),
        )
        .await;
    }
    assert_nodes_agree(&a, &b).await;
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn a_node_that_lost_its_listening_connection_reconnects_and_stays_coherent_postgres() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.create_category("local").await;
    a.create_article(&titled("before", "断线之前的稿件")).await;
    served_within(
        &b,
        "/feeds/local.rss",
        "断线之前的稿件",
        Duration::from_secs(1),
    )
    .await;

    // B has the site-wide feed cached.
    fetch(&b, "/feeds/all.json").await;
    let misses = b.metric("syndic_cache_misses_total").await;

    // The database drops the listeners (as on a failover or a network cut).
    let mut admin = a.pool.get().expect("connection");
    let terminated: Vec<bool> = diesel::RunQueryDsl::load(
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity \
             WHERE application_name = '{}' AND datname = current_database()",
            syndic::store::LISTENER_NAME
        )),
        &mut *admin,
    )
    .map(|rows: Vec<Terminated>| rows.into_iter().map(|r| r.terminated).collect())
    .expect("terminate listeners");
    drop(admin);
    assert_eq!(terminated, [true, true], "one listener per node");

    let deadline = Instant::now() + Duration::from_secs(10);
    while b.metric("syndic_change_listener_reconnects_total").await < 1.0 {
        assert!(Instant::now() < deadline, "B did not reconnect");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Losing the listener did not flush B's cache: nothing changed.
    fetch(&b, "/feeds/all.json").await;
    assert_eq!(
        b.metric("syndic_cache_misses_total").await,
        misses,
        "still served from the cache"
    );
    a.create_article(&titled("after", "重连之后的稿件")).await;
    served_within(
        &b,
        "/feeds/local.rss",
        "重连之后的稿件",
        Duration::from_secs(1),
    )
    .await;
    assert_nodes_agree(&a, &b).await;
}

#[derive(diesel::QueryableByName)]
struct Terminated {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    terminated: bool,
}
