//! WebSub publishing against a stand-in hub: the exact ping form and URL set
//! after each kind of change, retries, the outbox surviving a restart, and
//! several nodes sending each ping once.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use syndic::clock::Clock;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{sample_article, spawn_on, spawn_with_clock, Backend, TestApp, TestDatabase};

/// One request the hub received.
#[derive(Debug, Clone)]
pub(crate) struct HubRequest {
    method: String,
    content_type: String,
    form: Vec<(String, String)>,
    /// The hub answered with an error.
    refused: bool,
}

impl HubRequest {
    pub fn topic(&self) -> &str {
        self.form
            .iter()
            .find(|(name, _)| name == "hub.url")
            .map_or("", |(_, value)| value.as_str())
    }
}

#[derive(Default)]
struct HubState {
    received: Mutex<Vec<HubRequest>>,
    /// Requests still to be answered with a 503.
    failures_left: AtomicUsize,
    /// While set, requests are held unanswered.
    stalled: AtomicBool,
    in_flight: AtomicUsize,
}

/// A local HTTP server standing in for a WebSub hub: it records every
/// request, and can be told to fail or to hang.
pub(crate) struct StandInHub {
    pub url: String,
    state: Arc<HubState>,
}

impl StandInHub {
    pub async fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("bind")).await
    }

    async fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(HubState::default());
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hub"),
            state,
        }
    }

    fn fail_next(&self, count: usize) {
        self.state.failures_left.store(count, Ordering::SeqCst);
    }

    fn stall(&self, stalled: bool) {
        self.state.stalled.store(stalled, Ordering::SeqCst);
    }

    fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// Waits (up to 15 s) until `count` requests have arrived, and takes them.
    pub async fn take(&self, count: usize) -> Vec<HubRequest> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            {
                let mut received = self.state.received.lock().expect("lock");
                if received.len() >= count {
                    return received.drain(..).collect();
                }
                assert!(
                    Instant::now() < deadline,
                    "the hub got {} requests, expected {count}: {received:#?}",
                    received.len()
                );
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Takes everything that arrives until `node`'s worker finishes two
    /// rounds with nothing new (writes in quick succession may or may not
    /// share a round).
    pub async fn drain(&self, node: &TestApp) -> Vec<HubRequest> {
        let mut taken = Vec::new();
        loop {
            let rounds = node.metric("syndic_websub_rounds_total").await;
            let deadline = Instant::now() + Duration::from_secs(15);
            while node.metric("syndic_websub_rounds_total").await < rounds + 2.0 {
                assert!(Instant::now() < deadline, "the WebSub worker stopped");
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            let mut received = self.state.received.lock().expect("lock");
            if received.is_empty() {
                return taken;
            }
            taken.append(&mut received);
        }
    }

    /// Asserts that nothing more arrives while `node`'s WebSub worker
    /// finishes two more rounds (so one whole round began after this call).
    pub async fn assert_quiet(&self, node: &TestApp) {
        let rounds = node.metric("syndic_websub_rounds_total").await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while node.metric("syndic_websub_rounds_total").await < rounds + 2.0 {
            assert!(Instant::now() < deadline, "the WebSub worker stopped");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        let received = self.state.received.lock().expect("lock");
        assert!(received.is_empty(), "unexpected pings: {received:#?}");
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, hub: web::Data<HubState>) -> HttpResponse {
    hub.in_flight.fetch_add(1, Ordering::SeqCst);
    while hub.stalled.load(Ordering::SeqCst) {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = hub
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    let request = HubRequest {
        method: req.method().to_string(),
        content_type: req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
        refused,
    };
    hub.received.lock().expect("lock").push(request);
    hub.in_flight.fetch_sub(1, Ordering::SeqCst);
    if refused {
        HttpResponse::ServiceUnavailable().finish()
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// The feed URLs of `names` (categories or `all`), every format, sorted.
/// The feeds of the facets [`sample_article`] carries, as `kind/value`.
pub(crate) const SAMPLE_FACETS: [&str; 4] = [
    "tags/大模型",
    "tags/储能",
    "authors/陆林娟",
    "sources/海西都市报",
];

/// The three formats' URLs of each feed named, a category slug, `all`, or
/// `kind/value` for a facet (its value percent-encoded, as announced).
pub(crate) fn feed_urls(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut urls: Vec<String> = names
        .iter()
        .flat_map(|name| {
            let name = match name.split_once('/') {
                Some((kind, value)) => format!(
                    "{kind}/{}",
                    percent_encoding::utf8_percent_encode(
                        value,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ),
                None => (*name).to_owned(),
            };
            ["rss", "atom", "json"].map(|format| app.url(&format!("/feeds/{name}.{format}")))
        })
        .collect();
    urls.sort();
    urls
}

/// Checks each request is a well-formed publish ping, and returns the
/// topics, sorted.
pub(crate) fn topics(requests: &[HubRequest]) -> Vec<String> {
    for request in requests {
        assert_eq!(request.method, "POST", "{request:?}");
        assert_eq!(
            request.content_type, "application/x-www-form-urlencoded",
            "{request:?}"
        );
        assert_eq!(request.form.len(), 2, "{request:?}");
        assert_eq!(
            request.form[0],
            ("hub.mode".to_owned(), "publish".to_owned())
        );
        assert_eq!(request.form[1].0, "hub.url");
    }
    let mut topics: Vec<String> = requests.iter().map(|r| r.topic().to_owned()).collect();
    topics.sort();
    topics
}

pub(crate) async fn spawn_with_hub(backend: Backend, hub: &StandInHub) -> Option<TestApp> {
    let db = TestDatabase::create(backend)?;
    let hub_url = hub.url.clone();
    Some(spawn_on(db, move |settings| settings.websub_hub = vec![hub_url]).await)
}

crate::for_both_backends! {
    async fn every_change_pings_each_affected_feed_once(backend: Backend) {
        let hub = StandInHub::start().await;
        let Some(app) = spawn_with_hub(backend, &hub).await else { return };

        let feed = app.client.get(app.url("/feeds/local.rss")).send().await.expect("feed");
        assert_eq!(feed.status(), 404, "no category yet");

        // A new, empty category changes its own feeds only.
        app.create_category("local").await;
        assert_eq!(topics(&hub.take(3).await), feed_urls(&app, &["local"]));
        app.create_category("world").await;
        assert_eq!(topics(&hub.take(3).await), feed_urls(&app, &["world"]));

        let feed = app.client.get(app.url("/feeds/local.rss")).send().await.expect("feed");
        let links: Vec<&str> = feed.headers().get_all("link").iter().filter_map(|v| v.to_str().ok()).collect();
        assert!(links.iter().any(|l| l.contains(&format!("<{}>", hub.url)) && l.contains("rel=\"hub\"")), "{links:?}");

        let created = app.create_article(&sample_article("local", "ext-1")).await;
        assert_eq!(topics(&hub.take(18).await), feed_urls(&app, &[&["all", "local"][..], &SAMPLE_FACETS].concat()), "create");
        let path = format!("/api/v1/articles/{}", created["id"]);

        let edited = app.send_json(Method::PATCH, &path, &json!({"title": "改过的标题"})).await;
        assert_eq!(edited.status(), 200);
        assert_eq!(topics(&hub.take(18).await), feed_urls(&app, &[&["all", "local"][..], &SAMPLE_FACETS].concat()), "edit");

        let moved = app.send_json(Method::PATCH, &path, &json!({"category": "world"})).await;
        assert_eq!(moved.status(), 200);
        assert_eq!(topics(&hub.take(21).await), feed_urls(&app, &[&["all", "local", "world"][..], &SAMPLE_FACETS].concat()), "move");

        // A category with a live article shows its name in the site-wide feeds
        // and in the feeds of that article's tags, author and source.
        let renamed = app.send_json(Method::PUT, "/api/v1/categories/world", &json!({"name": "国际"})).await;
        assert_eq!(renamed.status(), 200);
        assert_eq!(topics(&hub.take(18).await), feed_urls(&app, &[&["all", "world"][..], &SAMPLE_FACETS].concat()), "rename");

        let deleted = app.authed(Method::DELETE, &path).send().await.expect("delete");
        assert_eq!(deleted.status(), 204);
        assert_eq!(topics(&hub.take(18).await), feed_urls(&app, &[&["all", "world"][..], &SAMPLE_FACETS].concat()), "delete");

        // A draft is in no feed: nothing to announce.
        let mut draft = sample_article("local", "ext-draft");
        draft["status"] = json!("draft");
        app.create_article(&draft).await;
        hub.assert_quiet(&app).await;
        assert_eq!(app.metric("syndic_websub_pings_total{outcome=\"sent\"}").await, 99.0);
        assert_eq!(app.metric("syndic_websub_queue_depth").await, 0.0);
    }

    async fn a_failing_hub_is_retried_and_never_holds_up_a_write(backend: Backend) {
        let hub = StandInHub::start().await;
        let Some(app) = spawn_with_hub(backend, &hub).await else { return };

        hub.fail_next(3);
        app.create_category("local").await;
        let refused = hub.take(3).await;
        assert!(refused.iter().all(|r| r.refused));
        assert_eq!(topics(&refused), feed_urls(&app, &["local"]));
        // The first retry is due a second later.
        app.advance(chrono::Duration::milliseconds(1500));
        let accepted = hub.take(3).await;
        assert!(accepted.iter().all(|r| !r.refused));
        assert_eq!(topics(&accepted), feed_urls(&app, &["local"]), "each refused ping retried once");
        assert_eq!(app.metric("syndic_websub_pings_total{outcome=\"failed\"}").await, 3.0);

        // A hub that does not answer at all: writes still complete.
        hub.stall(true);
        let created = app.create_article(&sample_article("local", "ext-1")).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while hub.in_flight() == 0 {
            assert!(Instant::now() < deadline, "no ping reached the hub");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        let path = format!("/api/v1/articles/{}", created["id"]);
        let edited = app.send_json(Method::PATCH, &path, &json!({"title": "新标题"})).await;
        assert_eq!(edited.status(), 200, "a write while the hub hangs");
        let feed = app.client.get(app.url("/feeds/local.rss")).send().await.expect("feed");
        assert!(feed.text().await.expect("body").contains("新标题"));
        assert!(hub.in_flight() > 0, "the hub was still holding the ping");
        hub.stall(false);
        // The edit's pings coalesce with the pending ones or follow them.
        let delivered = hub.take(18).await;
        let expected = feed_urls(&app, &[&["all", "local"][..], &SAMPLE_FACETS].concat());
        assert!(topics(&delivered).iter().all(|t| expected.contains(t)));
    }

    async fn a_scheduled_article_pings_again_when_it_goes_live(backend: Backend) {
        let hub = StandInHub::start().await;
        let Some(app) = spawn_with_hub(backend, &hub).await else { return };
        app.create_category("local").await;
        hub.take(3).await;

        let mut scheduled = sample_article("local", "later");
        scheduled["published_at"] = json!((app.clock.now() + chrono::Duration::seconds(3)).to_rfc3339());
        app.create_article(&scheduled).await;
        // SPEC §4.7: nothing is announced before its time.
        hub.assert_quiet(&app).await;
        app.advance(chrono::Duration::seconds(3));
        hub.assert_quiet(&app).await;
        // Announced once every node's clock has passed its time.
        app.advance(chrono::Duration::milliseconds(1500));
        assert_eq!(topics(&hub.take(18).await), feed_urls(&app, &[&["all", "local"][..], &SAMPLE_FACETS].concat()), "when it went live");
        hub.assert_quiet(&app).await;
    }

    async fn pings_pending_at_shutdown_are_sent_after_a_restart(backend: Backend) {
        // A hub address with nothing listening yet: every attempt fails.
        let reserved = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = reserved.local_addr().expect("address").port();
        drop(reserved);
        let hub_url = format!("http://127.0.0.1:{port}/hub");
        let Some(db) = TestDatabase::create(backend) else { return };
        let url = hub_url.clone();
        let app = spawn_on(db, move |settings| settings.websub_hub = vec![url]).await;

        app.create_category("local").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.metric("syndic_websub_pings_total{outcome=\"failed\"}").await < 3.0 {
            assert!(Instant::now() < deadline, "pings were not attempted");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.metric("syndic_websub_queue_depth").await, 3.0);
        app.stop().await;

        let hub = StandInHub::start_on(TcpListener::bind(("127.0.0.1", port)).expect("rebind")).await;
        let base_url = app.config.base_url.to_string();
        let restarted = spawn_with_clock(&app.database_url, app.clock.clone(), move |settings| {
            settings.base_url = Some(base_url);
            settings.websub_hub = vec![hub_url];
        })
        .await;
        // Their retry is due a second after the failure.
        restarted.advance(chrono::Duration::milliseconds(1500));
        assert_eq!(topics(&hub.take(3).await), feed_urls(&app, &["local"]), "the pings made before the restart");
        hub.assert_quiet(&restarted).await;
        assert_eq!(restarted.metric("syndic_websub_queue_depth").await, 0.0);
    }
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn two_nodes_send_each_ping_once_postgres() {
    let hub = StandInHub::start().await;
    let Some(a) = spawn_with_hub(Backend::Postgres, &hub).await else {
        return;
    };
    let (base_url, hub_url) = (a.config.base_url.to_string(), hub.url.clone());
    let b = spawn_with_clock(&a.database_url, a.clock.clone(), move |settings| {
        settings.base_url = Some(base_url);
        settings.websub_hub = vec![hub_url];
    })
    .await;

    a.create_category("local").await;
    assert_eq!(topics(&hub.take(3).await), feed_urls(&a, &["local"]));
    let created = b.create_article(&sample_article("local", "ext-1")).await;
    let expected = feed_urls(&a, &[&["all", "local"][..], &SAMPLE_FACETS].concat());
    assert_eq!(topics(&hub.take(18).await), expected);
    let path = format!("/api/v1/articles/{}", created["id"]);
    let edited = a
        .send_json(Method::PATCH, &path, &json!({"title": "改过"}))
        .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(topics(&hub.take(18).await), expected);
    hub.assert_quiet(&a).await;
    let sent = a
        .metric("syndic_websub_pings_total{outcome=\"sent\"}")
        .await
        + b.metric("syndic_websub_pings_total{outcome=\"sent\"}")
            .await;
    assert_eq!(sent, 39.0, "each ping sent by exactly one node");
}
