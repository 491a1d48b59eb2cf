//! A database outage on PostgreSQL, made by cutting a TCP proxy between
//! syndic and the server: cached responses keep being served with their
//! validators, a miss and a write get a quick 503, readiness says 503 while
//! liveness stays 200, and everything recovers when the database is back.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::IF_NONE_MATCH;
use serde_json::Value;

use crate::helpers::{sample_article, spawn_with_url, Backend, TestDatabase};

/// Forwards TCP to PostgreSQL until cut.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (accept_down, accept_open) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if accept_down.load(Ordering::SeqCst) {
                    drop(client); // refused while the database is "away"
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut open = accept_open.lock().expect("lock");
                for stream in [&client, &server] {
                    open.push(stream.try_clone().expect("clone"));
                }
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Self { port, down, open }
    }

    /// The database goes away: every connection is cut, new ones refused.
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for stream in self.open.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn cached_feeds_survive_a_database_outage_and_misses_fail_fast_postgres() {
    let Some(db) = TestDatabase::create(Backend::Postgres) else {
        return;
    };
    let proxy = Proxy::start("127.0.0.1:5432");
    let through_proxy = db
        .url
        .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    assert_ne!(
        through_proxy, db.url,
        "the test database is on 127.0.0.1:5432"
    );
    let app = spawn_with_url(&through_proxy, |_| {}).await;
    app.create_category("local").await;
    app.create_article(&sample_article("local", "before-outage"))
        .await;
    let cached = app.get("/feeds/local.rss").await;
    assert_eq!(cached.status(), 200);
    let etag = cached.headers()["etag"].to_str().expect("etag").to_owned();
    let body = cached.text().await.expect("body");

    proxy.cut();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/readyz").await.status() != 503 {
        assert!(
            Instant::now() < deadline,
            "readyz did not notice the outage"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process is alive"
    );

    // What was cached is served at once, with the same validators.
    let started = Instant::now();
    let again = app.get("/feeds/local.rss").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
    assert_eq!(again.text().await.expect("body"), body);
    let revalidated = app
        .client
        .get(app.url("/feeds/local.rss"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(revalidated.status(), 304);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "cached answers took {:?}",
        started.elapsed()
    );

    // A miss and a write fail fast with a 503 the client can retry.
    for what in ["a feed never rendered", "a write"] {
        let started = Instant::now();
        let response = match what {
            "a write" => {
                app.post(
                    "/api/v1/articles",
                    &sample_article("local", "during-outage"),
                )
                .await
            }
            _ => app.get("/feeds/local.atom").await,
        };
        let took = started.elapsed();
        assert_eq!(response.status(), 503, "{what}");
        assert_eq!(response.headers()["retry-after"], "1", "{what}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["status"], 503, "{what}");
        assert!(took < Duration::from_millis(1500), "{what} took {took:?}");
    }

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/readyz").await.status() != 200 {
        assert!(Instant::now() < deadline, "syndic did not recover");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    app.create_article(&sample_article("local", "after-outage"))
        .await;
    assert_eq!(app.get("/feeds/local.atom").await.status(), 200);
}
