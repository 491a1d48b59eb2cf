//! Spawning the real app on a random port against a fresh database.

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use syndic::cache::ChangeWatcher;
use syndic::cache::ResponseCache;
use syndic::clock::ManualClock;
use syndic::config::{Config, SettingsArgs};
use syndic::domain::{generate_token, hash_token};
use syndic::{server, store};

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test: a temporary SQLite file, or a new
/// PostgreSQL database on the server `SYNDIC_TEST_POSTGRES_URL` names.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// `None` (with a note on stderr) when PostgreSQL is asked for but not configured.
    pub fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("syndic.db").display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let Ok(base) = std::env::var("SYNDIC_TEST_POSTGRES_URL") else {
                    // Written past the test harness's capture so it shows in the run.
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED PostgreSQL test: SYNDIC_TEST_POSTGRES_URL is not set"
                    );
                    return None;
                };
                let name = format!("syndic_test_{:016x}", rand::random::<u64>());
                let mut admin = store::establish(
                    &syndic::domain::DatabaseUrl::parse(&base).expect("postgres URL"),
                )
                .expect("connect to SYNDIC_TEST_POSTGRES_URL");
                diesel::connection::SimpleConnection::batch_execute(
                    &mut admin,
                    &format!("CREATE DATABASE {name}"),
                )
                .expect("create test database");
                let mut url = url::Url::parse(&base).expect("postgres URL");
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    _dir: None,
                })
            }
        }
    }
}

#[allow(dead_code)] // not every test binary module uses every field
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub client: reqwest::Client,
    /// A valid token named "test".
    pub token: String,
    /// Kept so the database outlives the app (the first app on it owns it).
    _database: Option<TestDatabase>,
    pub database_url: String,
    pub pool: store::DbPool,
    pub config: Config,
    /// Stops the server (see [`TestApp::stop`]).
    pub server: actix_web::dev::ServerHandle,
    /// The server's clock: it stands still until the test moves it.
    pub clock: Arc<ManualClock>,
    watcher: Arc<ChangeWatcher>,
    cache: Arc<ResponseCache>,
}

/// A client without automatic decompression, so bodies and headers are as sent.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client")
}

/// Settings of the test site.
pub fn test_settings(database_url: &str, port: u16) -> SettingsArgs {
    SettingsArgs {
        database_url: Some(database_url.to_owned()),
        bind: Some(format!("127.0.0.1:{port}")),
        site_title: Some("测试新闻网".into()),
        site_url: Some("https://news.example.cn/".into()),
        default_copyright: Some("© 2026 测试新闻网".into()),
        config: Some("/nonexistent/syndic.toml".into()),
        ..Default::default()
    }
}

/// Starts the app on `db` with `settings` adjusted by `adjust`.
pub async fn spawn_on(db: TestDatabase, adjust: impl FnOnce(&mut SettingsArgs)) -> TestApp {
    let url = db.url.clone();
    let mut app = spawn_with_url(&url, adjust).await;
    app._database = Some(db);
    app
}

/// Starts another server on an existing database (a restart, or a second
/// node), with a clock of its own standing at the real current time.
pub async fn spawn_with_url(database_url: &str, adjust: impl FnOnce(&mut SettingsArgs)) -> TestApp {
    spawn_with_clock(database_url, Arc::new(ManualClock::starting_now()), adjust).await
}

/// Starts a server on an existing database that reads the time from `clock`.
pub async fn spawn_with_clock(
    database_url: &str,
    clock: Arc<ManualClock>,
    adjust: impl FnOnce(&mut SettingsArgs),
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let mut settings = test_settings(database_url, port);
    settings.config = None;
    adjust(&mut settings);
    let config = Config::resolve(settings).expect("test configuration");
    let state = server::prepare(config.clone(), clock.clone()).expect("start-up");
    let (watcher, cache) = (state.watcher.clone(), state.cache.clone());
    let token = generate_token();
    {
        let mut conn = state.db.pool().get().expect("connection");
        let name = format!("test-{port}");
        store::create_token(&mut conn, &name, &hash_token(&token)).expect("token");
    }
    let pool = state.db.pool().clone();
    let running = server::run(listener, state).expect("server");
    let server = running.handle();
    actix_web::rt::spawn(running.wait());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        token,
        _database: None,
        database_url: database_url.to_owned(),
        pool,
        config,
        server,
        clock,
        watcher,
        cache,
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let db = TestDatabase::create(backend)?;
    Some(spawn_on(db, |_| {}).await)
}

/// Runs a test body on SQLite (always) and PostgreSQL (when configured), as
/// two tests named `…::sqlite` and `…::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: $app_type:ty) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $app_type) $body

            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                body(app.expect("sqlite app")).await;
            }

            #[actix_web::test]
            #[cfg_attr(syndic_skip_postgres, ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set")]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    body(app).await;
                }
            }
        }
    )*};
}

/// Like [`on_both_backends!`] for bodies that start their own servers: the
/// body gets the backend (on PostgreSQL without `SYNDIC_TEST_POSTGRES_URL`,
/// `TestDatabase::create` says it skips and gives `None`).
#[macro_export]
macro_rules! for_both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($backend: $crate::helpers::Backend) $body

            #[actix_web::test]
            async fn sqlite() {
                body($crate::helpers::Backend::Sqlite).await;
            }

            #[actix_web::test]
            #[cfg_attr(syndic_skip_postgres, ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set")]
            async fn postgres() {
                body($crate::helpers::Backend::Postgres).await;
            }
        }
    )*};
}

impl TestApp {
    /// Another server on the same database and the same clock, as after a
    /// restart, or a second node behind the same load balancer.
    pub async fn restart(&self) -> TestApp {
        let base_url = self.config.base_url.to_string();
        spawn_with_clock(&self.database_url, self.clock.clone(), |settings| {
            settings.base_url = Some(base_url)
        })
        .await
    }

    /// Reads the change log now, as the server does once a second.
    pub fn sync(&self) {
        let mut conn = self.pool.get().expect("connection");
        self.watcher
            .sync(&mut conn, &self.cache)
            .expect("read the change log");
    }

    /// Moves the clock on by `by` and lets the server notice.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
        self.sync();
    }

    /// Lets the second of the last change close and settle, so that
    /// responses carry their final `Last-Modified`.
    pub fn settle(&self) {
        self.advance(chrono::Duration::milliseconds(2500));
    }

    /// Stops the server as SIGTERM would: no new connections, requests in
    /// flight finished, background tasks ended.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }

    /// The value of a metric line `name` (with its labels) in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics_text()
            .await
            .lines()
            .find_map(|line| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .map_or(0.0, |value| value.trim().parse().expect("number"))
    }

    /// The sum of the `syndic_http_requests_total` lines whose labels
    /// `keep` accepts.
    pub async fn requests_counted(&self, keep: impl Fn(&str) -> bool) -> f64 {
        self.metrics_text()
            .await
            .lines()
            .filter_map(|line| line.strip_prefix("syndic_http_requests_total{"))
            .filter(|labels| keep(labels))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request with the test token.
    pub fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.authed(method, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.authed(Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    pub async fn create_category(&self, slug: &str) -> Value {
        let response = self
            .post(
                "/api/v1/categories",
                &json!({"slug": slug, "name": format!("分类 {slug}"), "description": "测试分类"}),
            )
            .await;
        assert_eq!(response.status(), 201, "creating category {slug}");
        response.json().await.expect("category JSON")
    }

    pub async fn create_article(&self, article: &Value) -> Value {
        let response = self.post("/api/v1/articles", article).await;
        assert_eq!(response.status(), 201, "creating {article}");
        response.json().await.expect("article JSON")
    }

    /// Everything the write API can see, to check that a rejected write changed nothing.
    pub async fn snapshot(&self) -> Value {
        let categories: Value = self
            .get("/api/v1/categories")
            .await
            .json()
            .await
            .expect("JSON");
        let articles: Value = self
            .get("/api/v1/articles?limit=100")
            .await
            .json()
            .await
            .expect("JSON");
        json!({"categories": categories, "articles": articles})
    }
}

/// A full article in category `category`, with text that must survive byte for byte.
pub fn sample_article(category: &str, external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "category": category,
        "title": "广州无人机建设质量 🚀 עברית & <tag> \"quoted\"",
        "summary": "推动高质量产业与稳定无人机融合发展。",
        "content_html": "<p>正文第一段。</p><p>第二段 😀</p>",
        "url": "https://news.example.cn/politics/20250601/0.html",
        "author": "陆林娟",
        "contributors": [{"name": "贾华", "role": "记者"}, {"name": "田静竹", "role": "摄影"}],
        "source": {"name": "海西都市报", "url": "https://haixi-metro.example/2025/06/01/0.html", "feed_url": "https://haixi-metro.example/rss.xml"},
        "copyright": "© 2025 海西都市报 版权所有",
        "tags": ["大模型", "储能"],
        "image": {"url": "https://img.example.cn/2025/06/0.jpg", "mime_type": "image/jpeg", "length": 771060},
        "published_at": "2025-06-01T08:00:20+08:00",
        "status": "published"
    })
}
