//! SPEC §4.6 across nodes whose clocks disagree: two real `syndic serve`
//! processes on one PostgreSQL database, node B's clock 400 ms ahead
//! (libfaketime). Writes through both and polls of both, as fast as they
//! go for a few seconds, then: a libcurl reader alternating between the
//! nodes holds every article, no `Last-Modified` ever came with two
//! different bodies, none was earlier than an article it showed, and both
//! nodes agree on bytes and validators once the last second has passed.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::helpers::{raw_client, sample_article, Backend, TestDatabase};
use crate::process::{create_token, Server};
use crate::readers::CurlReader;

/// libfaketime's thread-safe build, from Debian's `faketime` package.
const FAKETIME_LIBRARY: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// The public URL both nodes publish under (as behind one load balancer).
const BASE_URL: &str = "https://feeds.example.cn/";

/// Every article written stays on this page.
const FEED: &str = "/feeds/local.rss?limit=100";

/// Most writes: all fit on the page.
const MAX_ROUNDS: usize = 90;

/// How long writes and polls go on: several second boundaries.
const BUSY_FOR: Duration = Duration::from_secs(3);

/// One response seen from either node.
struct Seen {
    last_modified: Option<String>,
    etag: String,
    body: String,
}

async fn fetch(address: &str) -> Seen {
    let response = raw_client()
        .get(format!("{address}{FEED}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let (last_modified, etag) = (header("last-modified"), header("etag").expect("etag"));
    Seen {
        last_modified,
        etag,
        body: response.text().await.expect("body"),
    }
}

async fn write(address: &str, token: &str, key: &str, title: &str) {
    let mut article = sample_article("local", key);
    article["title"] = json!(title);
    article["published_at"] = serde_json::Value::Null;
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/articles"))
        .bearer_auth(token)
        .json(&article)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201, "{title}");
}

fn with_faketime(command: &mut std::process::Command, offset: &str) {
    command
        .env("LD_PRELOAD", FAKETIME_LIBRARY)
        .env("FAKETIME", offset)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
}

/// Whether libfaketime really moves the binary's clock: on SQLite (where
/// write times are the process's), a token created under a clock a day
/// ahead is listed with tomorrow's date.
fn faketime_moves_the_clock() -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("clock.db").display());
    let mut create = crate::process::syndic(&url);
    create.args(["token", "create", "from-tomorrow"]);
    with_faketime(&mut create, "+1d");
    assert!(create.output().expect("token create").status.success());
    let listed = crate::process::syndic(&url)
        .args(["token", "list"])
        .output()
        .expect("token list");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .any(|line| line.starts_with("from-tomorrow") && line.contains(&tomorrow))
}

async fn start_node(url: &str, log: &Path, offset: Option<&str>) -> Server {
    Server::start_with(url, log, |command| {
        command.args(["--base-url", BASE_URL]);
        if let Some(offset) = offset {
            with_faketime(command, offset);
        }
    })
    .await
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn two_nodes_400_ms_apart_lose_no_update_and_agree_postgres() {
    if !Path::new(FAKETIME_LIBRARY).exists() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED reader test: libfaketime not found"
        );
        return;
    }
    let Some(db) = TestDatabase::create(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let a = start_node(&db.url, &dir.path().join("a.log"), None).await;
    let b = start_node(&db.url, &dir.path().join("b.log"), Some("+0.4")).await;
    assert!(
        faketime_moves_the_clock(),
        "libfaketime moves syndic's clock"
    );
    let token = create_token(&db.url, "writer");
    let created = reqwest::Client::new()
        .post(format!("{}/api/v1/categories", a.address))
        .bearer_auth(&token)
        .json(&json!({"slug": "local", "name": "本地", "description": "本地新闻"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);

    let nodes = [a.address.as_str(), b.address.as_str()];
    let mut reader = CurlReader::new(String::new());
    // When each title's write was sent: its change cannot be earlier.
    let mut sent_at: Vec<(String, SystemTime)> = Vec::new();
    let mut bodies_by_date: HashMap<String, String> = HashMap::new();
    let mut observe = |seen: Seen, sent_at: &[(String, SystemTime)]| {
        let Some(date) = seen.last_modified else {
            return;
        };
        let announced = httpdate::parse_http_date(&date).expect("date");
        for (title, sent) in sent_at {
            if seen.body.contains(title.as_str()) {
                assert!(
                    announced > *sent,
                    "{date} is earlier than the change it shows ({title})"
                );
            }
        }
        let earlier = bodies_by_date
            .entry(date.clone())
            .or_insert(seen.etag.clone());
        assert_eq!(*earlier, seen.etag, "two bodies with Last-Modified {date}");
    };

    let started = Instant::now();
    let mut round = 0;
    while started.elapsed() < BUSY_FOR && round < MAX_ROUNDS {
        let title = format!("第{round}条稿件");
        sent_at.push((title.clone(), SystemTime::now()));
        write(nodes[round % 2], &token, &format!("k{round}"), &title).await;
        for node in nodes {
            reader.poll_at(&format!("{node}{FEED}"));
            observe(fetch(node).await, &sent_at);
        }
        round += 1;
    }

    // Once the last second has closed on both clocks, both nodes agree.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (seen_a, seen_b) = loop {
        let (seen_a, seen_b) = (fetch(nodes[0]).await, fetch(nodes[1]).await);
        if seen_a.last_modified.is_some() && seen_b.last_modified.is_some() {
            break (seen_a, seen_b);
        }
        assert!(
            Instant::now() < deadline,
            "no Last-Modified 10 s after the last write"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(seen_a.body, seen_b.body, "the same bytes on both nodes");
    assert_eq!(seen_a.etag, seen_b.etag);
    assert_eq!(seen_a.last_modified, seen_b.last_modified);
    for node in nodes {
        reader.poll_at(&format!("{node}{FEED}"));
    }
    for (title, _) in &sent_at {
        assert!(
            reader.content.contains(title.as_str()),
            "the reader lost {title} after {round} rounds"
        );
    }
    for seen in [seen_a, seen_b] {
        observe(seen, &sent_at);
    }
    assert!(round >= 5, "only {round} rounds in {BUSY_FOR:?}");
    eprintln!("{round} rounds of writes and polls through two nodes");
}
