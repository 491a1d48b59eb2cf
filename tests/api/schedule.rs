//! SPEC §4.7: a scheduled article changes nothing anyone can see before its
//! time (no byte and no header of any public response, no WebSub ping), and
//! changes its feeds when its time comes, without a write, dated from its
//! publication time.

use chrono::{DateTime, Duration, Utc};
use reqwest::header::IF_NONE_MATCH;
use serde_json::json;
use syndic::clock::Clock;

use crate::helpers::{raw_client, sample_article, Backend, TestApp};
use crate::websub::{feed_urls, spawn_with_hub, topics, StandInHub, SAMPLE_FACETS};

/// Every public response that a scheduled article in `local` could touch,
/// and some it must not.
const PUBLIC: &[&str] = &[
    "/feeds/local.rss",
    "/feeds/local.atom",
    "/feeds/local.json",
    "/feeds/all.rss",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/feeds/local.rss?limit=1&page=2",
    "/feeds/world.rss",
    "/api/v1/headlines?category=local",
    "/embed/local.js",
    "/embed/local.html",
    "/feeds.opml",
    "/",
    "/categories/local",
];

/// Status, headers (but `Date`, which is the clock's) and body.
type View = (u16, Vec<(String, String)>, String);

async fn view(app: &TestApp, path: &str) -> View {
    let response = raw_client().get(app.url(path)).send().await.expect("GET");
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().expect("ascii").to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.text().await.expect("body"))
}

async fn everything(app: &TestApp) -> Vec<View> {
    let mut views = Vec::new();
    for path in PUBLIC {
        views.push(view(app, path).await);
    }
    views
}

fn assert_unchanged(before: &[View], after: &[View], when: &str) {
    for ((path, before), after) in PUBLIC.iter().zip(before).zip(after) {
        assert_eq!(before, after, "{path} {when}");
    }
}

fn header<'a>(view: &'a View, name: &str) -> Option<&'a str> {
    view.1
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Publishes a scheduled article `ahead` of the clock and walks the clock
/// up to its time and past it, checking every public response and the hub.
async fn schedule_and_wait(backend: Backend, ahead: Duration) {
    let hub = StandInHub::start().await;
    let Some(app) = spawn_with_hub(backend, &hub).await else {
        return;
    };
    app.create_category("local").await;
    app.create_category("world").await;
    hub.take(6).await;
    let mut live = sample_article("local", "live-1");
    live["published_at"] = json!("2026-01-01T00:00:00Z");
    app.create_article(&live).await;
    live["external_id"] = json!("live-2");
    app.create_article(&live).await;
    let announced = topics(&hub.drain(&app).await);
    assert!(announced.len() >= 18, "{announced:?}");
    app.settle();
    let before = everything(&app).await;
    assert!(before.iter().all(|v| v.0 == 200), "{before:?}");
    assert!(header(&before[0], "last-modified").is_some());

    let due: DateTime<Utc> = app.clock.now() + ahead;
    let mut scheduled = sample_article("local", "later");
    scheduled["title"] = json!("定时发布的稿件");
    scheduled["published_at"] = json!(due.to_rfc3339());
    app.create_article(&scheduled).await;
    assert_unchanged(&before, &everything(&app).await, "right after the write");
    app.settle();
    assert_unchanged(&before, &everything(&app).await, "after the write settled");
    let just_before = due - app.clock.now() - Duration::milliseconds(1);
    app.advance(just_before);
    assert_unchanged(
        &before,
        &everything(&app).await,
        "a millisecond before its time",
    );
    hub.assert_quiet(&app).await;

    // Its time comes: no write, yet its feeds change.
    app.advance(Duration::milliseconds(1));
    let at_its_time = everything(&app).await;
    for (path, (before, now)) in PUBLIC.iter().zip(before.iter().zip(&at_its_time)) {
        let shows_it = matches!(
            *path,
            "/feeds/local.rss"
                | "/feeds/local.atom"
                | "/feeds/local.json"
                | "/feeds/all.rss"
                | "/feeds/all.atom"
                | "/feeds/all.json"
                | "/feeds/local.rss?limit=1&page=2"
                | "/api/v1/headlines?category=local"
                | "/embed/local.html"
        );
        if shows_it {
            assert_ne!(
                header(before, "etag"),
                header(now, "etag"),
                "{path} at its time"
            );
            assert_eq!(
                header(now, "last-modified"),
                None,
                "{path}: its second is open"
            );
        } else {
            assert_eq!(before, now, "{path} lists no article");
        }
    }
    assert!(at_its_time[0].2.contains("定时发布的稿件"));
    let old_etag = header(&before[0], "etag").expect("etag").to_owned();
    let revalidated = raw_client()
        .get(app.url("/feeds/local.rss"))
        .header(IF_NONE_MATCH, old_etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(
        revalidated.status(),
        200,
        "the old ETag no longer validates"
    );

    // Once settled: dated from its publication time.
    app.settle();
    let settled = view(&app, "/feeds/local.rss").await;
    let announced = header(&settled, "last-modified").expect("a date once settled");
    let end_of_its_second = DateTime::from_timestamp(due.timestamp() + 1, 0).expect("time");
    assert_eq!(
        httpdate::parse_http_date(announced).expect("date"),
        std::time::SystemTime::from(end_of_its_second)
    );
    assert!(settled.2.contains(&format!(
        "<lastBuildDate>{}</lastBuildDate>",
        DateTime::from_timestamp(due.timestamp(), 0)
            .expect("time")
            .to_rfc2822()
    )));
    assert_eq!(
        topics(&hub.take(18).await),
        feed_urls(&app, &[&["all", "local"][..], &SAMPLE_FACETS].concat()),
        "pinged when it went live"
    );
    hub.assert_quiet(&app).await;
}

crate::for_both_backends! {
    async fn an_article_scheduled_30_days_ahead_moves_nothing_until_its_day(backend: Backend) {
        schedule_and_wait(backend, Duration::days(30)).await;
    }

    async fn an_article_scheduled_3_seconds_ahead_moves_nothing_until_its_second(backend: Backend) {
        schedule_and_wait(backend, Duration::seconds(3)).await;
    }
}
