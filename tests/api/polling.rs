//! SPEC §4: conditional GET, caching and compression, as an aggregator meets them.

use std::time::Duration;
use syndic::clock::Clock;

use reqwest::header::{HeaderMap, ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{raw_client, sample_article, spawn_app, Backend, TestApp};
use crate::on_both_backends;

async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = raw_client().get(app.url(path));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.expect("GET");
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().expect("ascii"))
        .unwrap_or_default()
}

async fn etag(app: &TestApp, path: &str) -> String {
    let (status, headers, _) = get(app, path, &[]).await;
    assert_eq!(status, 200, "{path}");
    header(&headers, "etag").to_owned()
}

/// Seeds two categories with one article each; returns the article ids.
async fn seed(app: &TestApp) -> (i64, i64) {
    app.create_category("world").await;
    app.create_category("local").await;
    app.create_category("sports").await;
    let world = app.create_article(&sample_article("world", "w-1")).await;
    let local = app.create_article(&sample_article("local", "l-1")).await;
    (
        world["id"].as_i64().expect("id"),
        local["id"].as_i64().expect("id"),
    )
}

async fn etags(app: &TestApp, paths: &[&str]) -> Vec<String> {
    let mut tags = Vec::new();
    for path in paths {
        tags.push(etag(app, path).await);
    }
    tags
}

/// Asserts that exactly the feeds in `changed` have new ETags; returns the new ones.
async fn check(
    app: &TestApp,
    label: &str,
    paths: &[&str],
    before: &[String],
    changed: &[&str],
) -> Vec<String> {
    let after = etags(app, paths).await;
    for (i, path) in paths.iter().enumerate() {
        assert_eq!(
            after[i] != before[i],
            changed.contains(path),
            "{label}: {path}"
        );
    }
    after
}

const FEEDS: &[&str] = &["/feeds/all.rss", "/feeds/world.atom", "/feeds/local.json"];

on_both_backends! {
    async fn a_200_carries_validators_and_a_match_gives_a_304_with_the_same_headers(app: TestApp) {
        seed(&app).await;
        // Last-Modified is there once the second of the last write has closed.
        app.settle();
        for path in FEEDS {
            let (status, ok, body) = get(&app, path, &[]).await;
            assert_eq!(status, 200);
            assert!(!body.is_empty());
            let etag = header(&ok, "etag").to_owned();
            assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "one weak tag: {etag}");
            let last_modified = header(&ok, "last-modified").to_owned();
            assert!(httpdate::parse_http_date(&last_modified).is_ok(), "{last_modified}");
            let cache_control = header(&ok, "cache-control");
            assert!(cache_control.starts_with("public, max-age=300"), "{cache_control}");
            assert!(cache_control.contains("stale-while-revalidate") && cache_control.contains("stale-if-error"));
            assert_eq!(header(&ok, "vary"), "Accept-Encoding");
            assert!(header(&ok, "link").contains("rel=\"self\""), "WebSub self link");

            for conditional in [
                vec![(IF_NONE_MATCH, etag.as_str())],
                vec![(IF_NONE_MATCH, &format!("W/\"nope\", {etag}"))],
                vec![(IF_NONE_MATCH, "*")],
                vec![(IF_NONE_MATCH, etag.trim_start_matches("W/"))],
                vec![(IF_MODIFIED_SINCE, last_modified.as_str())],
                vec![(IF_NONE_MATCH, etag.as_str()), (IF_MODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")],
            ] {
                let (status, not_modified, body) = get(&app, path, &conditional).await;
                assert_eq!(status, 304, "{path} {conditional:?}");
                assert!(body.is_empty());
                for name in ["etag", "last-modified", "cache-control", "vary"] {
                    assert_eq!(header(&not_modified, name), header(&ok, name), "{name} on the 304 of {path}");
                }
            }
            for fresh in [
                vec![(IF_NONE_MATCH, "W/\"nope\"")],
                vec![(IF_NONE_MATCH, "W/\"nope\""), (IF_MODIFIED_SINCE, last_modified.as_str())],
                vec![(IF_MODIFIED_SINCE, "not a date")],
                vec![(IF_MODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")],
            ] {
                let (status, _, body) = get(&app, path, &fresh).await;
                assert_eq!(status, 200, "{path} {fresh:?}");
                assert!(!body.is_empty());
            }
        }
    }

    async fn head_answers_the_same_headers_without_a_body(app: TestApp) {
        seed(&app).await;
        let (_, full, _) = get(&app, "/feeds/world.rss", &[]).await;
        let response = raw_client().request(Method::HEAD, app.url("/feeds/world.rss")).send().await.expect("HEAD");
        assert_eq!(response.status(), 200);
        for name in ["etag", "last-modified", "cache-control", "vary", "content-type"] {
            assert_eq!(header(response.headers(), name), header(&full, name), "{name}");
        }
        assert!(response.bytes().await.expect("body").is_empty());
    }

    async fn the_etag_is_the_same_for_identity_gzip_and_brotli(app: TestApp) {
        seed(&app).await;
        let (_, identity, plain) = get(&app, "/feeds/all.atom", &[(ACCEPT_ENCODING, "identity")]).await;
        let (_, gzip, gzipped) = get(&app, "/feeds/all.atom", &[(ACCEPT_ENCODING, "gzip")]).await;
        let (_, brotli, compressed) = get(&app, "/feeds/all.atom", &[(ACCEPT_ENCODING, "br, gzip")]).await;
        assert_eq!(header(&gzip, "content-encoding"), "gzip");
        assert_eq!(header(&brotli, "content-encoding"), "br");
        assert_eq!(header(&identity, "content-encoding"), "");
        assert_eq!(header(&identity, "etag"), header(&gzip, "etag"));
        assert_eq!(header(&identity, "etag"), header(&brotli, "etag"));
        for headers in [&identity, &gzip, &brotli] {
            assert_eq!(header(headers, "vary"), "Accept-Encoding");
        }
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut decoded).expect("gunzip");
        assert_eq!(decoded, plain);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &compressed[..], &mut decoded).expect("brotli");
        assert_eq!(decoded, plain);
        // A tag from one encoding validates the others.
        let (status, not_modified, _) = get(&app, "/feeds/all.atom", &[(ACCEPT_ENCODING, "gzip"), (IF_NONE_MATCH, header(&brotli, "etag"))]).await;
        assert_eq!(status, 304);
        assert_eq!(header(&not_modified, "vary"), "Accept-Encoding");
    }

    async fn each_kind_of_change_moves_the_validators_of_its_scope_only(app: TestApp) {
        let (world_id, _) = seed(&app).await;
        let scopes = ["/feeds/all.rss", "/feeds/world.rss", "/feeds/local.rss", "/feeds/sports.rss"];
        let mut before = etags(&app, &scopes).await;
        // Publish.
        app.create_article(&sample_article("world", "w-2")).await;
        before = check(&app, "publish", &scopes, &before, &["/feeds/all.rss", "/feeds/world.rss"]).await;
        // Edit.
        let path = format!("/api/v1/articles/{world_id}");
        assert_eq!(app.send_json(Method::PATCH, &path, &json!({"title": "改过"})).await.status(), 200);
        before = check(&app, "edit", &scopes, &before, &["/feeds/all.rss", "/feeds/world.rss"]).await;
        // Move from world to local.
        assert_eq!(app.send_json(Method::PATCH, &path, &json!({"category": "local"})).await.status(), 200);
        before = check(&app, "move", &scopes, &before, &["/feeds/all.rss", "/feeds/world.rss", "/feeds/local.rss"]).await;
        // Category metadata: its name shows in its own feed's title and in
        // every item of it, here in the site-wide feed too.
        let renamed = app.send_json(Method::PUT, "/api/v1/categories/world", &json!({"name": "国际频道"})).await;
        assert_eq!(renamed.status(), 200);
        before = check(&app, "category rename", &scopes, &before, &["/feeds/all.rss", "/feeds/world.rss"]).await;
        // In a later second than the last change, so that a site-wide
        // lastBuildDate counting it would show.
        app.settle();
        let renamed = app.send_json(Method::PUT, "/api/v1/categories/sports", &json!({"name": "体育频道"})).await;
        assert_eq!(renamed.status(), 200);
        before = check(&app, "empty category rename", &scopes, &before, &["/feeds/sports.rss"]).await;
        // Delete.
        assert_eq!(app.authed(Method::DELETE, &path).send().await.expect("DELETE").status(), 204);
        before = check(&app, "delete", &scopes, &before, &["/feeds/all.rss", "/feeds/local.rss"]).await;
        // A draft changes no feed's content, and so no ETag.
        let mut draft = sample_article("world", "draft");
        draft["status"] = json!("draft");
        app.create_article(&draft).await;
        check(&app, "draft", &scopes, &before, &[]).await;
    }

    async fn a_change_within_the_same_second_is_not_lost(app: TestApp) {
        seed(&app).await;
        app.settle();
        let (_, settled, _) = get(&app, "/feeds/world.rss", &[]).await;
        let settled_date = header(&settled, "last-modified").to_owned();
        assert!(!settled_date.is_empty(), "a settled feed has a date");
        // The clock stands still: both changes and both polls fall in one second.
        app.create_article(&sample_article("world", "first")).await;
        let (_, first, _) = get(&app, "/feeds/world.rss", &[(IF_NONE_MATCH, header(&settled, "etag"))]).await;
        assert_eq!(header(&first, "last-modified"), "", "no date while the second is open");
        let mut second = sample_article("world", "second");
        second["title"] = json!("同一秒内的第二次修改");
        app.create_article(&second).await;
        for conditional in [
            vec![(IF_NONE_MATCH, header(&first, "etag"))],
            vec![(IF_MODIFIED_SINCE, settled_date.as_str())],
        ] {
            let (status, headers, body) = get(&app, "/feeds/world.rss", &conditional).await;
            assert_eq!(status, 200, "{conditional:?}");
            assert!(String::from_utf8_lossy(&body).contains("同一秒内的第二次修改"));
            assert_eq!(header(&headers, "last-modified"), "", "{conditional:?}");
        }
        let (status, not_modified, _) = get(&app, "/feeds/world.rss", &[(IF_NONE_MATCH, "*")]).await;
        assert_eq!(status, 304);
        assert_eq!(header(&not_modified, "last-modified"), "", "no date on the 304 either");
        let head = raw_client().head(app.url("/feeds/world.rss")).send().await.expect("HEAD");
        assert!(head.headers().get("last-modified").is_none(), "nor on HEAD");

        // Once the second has closed: the end of that second, later than
        // the date of anything sent during it.
        let changed_in = app.clock.now();
        app.settle();
        let (status, headers, body) = get(&app, "/feeds/world.rss", &[(IF_MODIFIED_SINCE, settled_date.as_str())]).await;
        assert_eq!(status, 200);
        assert!(String::from_utf8_lossy(&body).contains("同一秒内的第二次修改"));
        let announced = httpdate::parse_http_date(header(&headers, "last-modified")).expect("date");
        let end_of_second = std::time::UNIX_EPOCH + Duration::from_secs(changed_in.timestamp() as u64 + 1);
        assert_eq!(announced, end_of_second);
        let sent_during = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(changed_in.timestamp() as u64));
        let (status, _, _) = get(&app, "/feeds/world.rss", &[(IF_MODIFIED_SINCE, sent_during.as_str())]).await;
        assert_eq!(status, 200, "a Date from within the second does not validate the new content");
        let (status, _, _) = get(&app, "/feeds/world.rss", &[(IF_MODIFIED_SINCE, header(&headers, "last-modified"))]).await;
        assert_eq!(status, 304);
    }

    async fn a_restart_serves_the_same_bytes_and_etag(app: TestApp) {
        seed(&app).await;
        // Let the second of the last write close, so Last-Modified is final.
        app.settle();
        let other = app.restart().await;
        for path in FEEDS {
            let (_, first, first_body) = get(&app, path, &[]).await;
            let (_, second, second_body) = get(&other, path, &[]).await;
            assert_eq!(String::from_utf8_lossy(&first_body), String::from_utf8_lossy(&second_body), "{path}");
            assert_eq!(header(&first, "etag"), header(&second, "etag"), "{path}");
            assert_eq!(header(&first, "last-modified"), header(&second, "last-modified"), "{path}");
            assert!(!header(&first, "last-modified").is_empty(), "{path}");
        }
    }

    async fn warm_responses_and_304s_render_nothing(app: TestApp) {
        seed(&app).await;
        let tag = etag(&app, "/feeds/world.atom").await;
        let misses = app.metric("syndic_cache_misses_total").await;
        let hits = app.metric("syndic_cache_hits_total").await;
        let renders = app.metric("syndic_render_duration_seconds_count").await;
        let queries = app.metric("syndic_database_calls_total").await;
        for _ in 0..5 {
            assert_eq!(get(&app, "/feeds/world.atom", &[]).await.0, 200);
            assert_eq!(get(&app, "/feeds/world.atom", &[(IF_NONE_MATCH, tag.as_str())]).await.0, 304);
        }
        assert_eq!(app.metric("syndic_cache_misses_total").await, misses);
        assert_eq!(app.metric("syndic_render_duration_seconds_count").await, renders, "no rendering");
        assert_eq!(app.metric("syndic_database_calls_total").await, queries, "no database query");
        assert_eq!(app.metric("syndic_cache_hits_total").await, hits + 10.0);
        assert_eq!(app.metric("syndic_http_requests_total{route=\"/feeds/{feed}\",status=\"304\"}").await, 5.0);
        // A write to another category leaves this feed cached.
        app.create_article(&sample_article("local", "l-2")).await;
        assert_eq!(get(&app, "/feeds/world.atom", &[(IF_NONE_MATCH, tag.as_str())]).await.0, 304);
        assert_eq!(app.metric("syndic_render_duration_seconds_count").await, renders);
    }

    async fn writes_from_another_process_reach_the_cache_within_a_second(app: TestApp) {
        seed(&app).await;
        let tag = etag(&app, "/feeds/world.rss").await;
        // Another process writes (a second node, or `syndic import`): here a
        // second server on the same database.
        let other = app.restart().await;
        let mut article = sample_article("world", "elsewhere");
        article["title"] = json!("另一个进程写入");
        other.create_article(&article).await;
        let started = std::time::Instant::now();
        loop {
            let (status, _, body) = get(&app, "/feeds/world.rss", &[(IF_NONE_MATCH, tag.as_str())]).await;
            if status == 200 {
                assert!(String::from_utf8_lossy(&body).contains("另一个进程写入"));
                break;
            }
            assert!(started.elapsed() < Duration::from_millis(2500), "not seen after {:?}", started.elapsed());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[actix_web::test]
async fn an_import_into_the_served_sqlite_file_shows_up_within_a_second() {
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    app.create_category("world").await;
    let tag = etag(&app, "/feeds/world.rss").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("one.ndjson");
    let mut article = sample_article("world", "imported");
    article["title"] = json!("导入的文章");
    std::fs::write(&file, article.to_string()).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args([
            "--database-url",
            &app.database_url,
            "import",
            &file.display().to_string(),
        ])
        .env("SYNDIC_CONFIG", "/dev/null")
        .output()
        .expect("import");
    assert!(output.status.success(), "{output:?}");
    let started = std::time::Instant::now();
    loop {
        let (status, _, body) =
            get(&app, "/feeds/world.rss", &[(IF_NONE_MATCH, tag.as_str())]).await;
        if status == 200 {
            assert!(String::from_utf8_lossy(&body).contains("导入的文章"));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "import not seen"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}
