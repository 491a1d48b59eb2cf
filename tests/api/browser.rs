//! The partner widgets in a real browser: headless Chromium driven over
//! WebDriver loads a partner page served from another origin, with two
//! script widgets of two categories and one iframe widget.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them); without them the test says it was skipped and passes.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::helpers::{spawn_on, Backend, TestApp, TestDatabase};
use crate::partner::publish;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long the page may take to show what is expected.
const PATIENCE: Duration = Duration::from_secs(20);

const XSS_TITLE: &str = "<img src=x onerror=window.__pwned=1>";

/// A running chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: tempfile::tempdir().expect("profile directory"),
    };
    let started = Instant::now();
    loop {
        let ready = reqwest::get(format!("{}/status", driver.url)).await;
        if let Ok(response) = ready {
            let status: Value = response.json().await.unwrap_or_default();
            if status["value"]["ready"] == true {
                return driver;
            }
        }
        assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_browser(driver: &Driver) -> Client {
    let profile = format!("--user-data-dir={}", driver._profile.path().display());
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", profile,
            ],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// The partner's page: two script widgets (one where its tag stands, one
/// into an element it names) and one iframe widget, all from `service`.
fn partner_page(service: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Partner</title></head>
<body>
<h1>A partner site</h1>
<section id="world-widget"><script src="{service}/embed/world.js?limit=5"></script></section>
<section id="local-widget"><div id="local-box"></div></section>
<script src="{service}/embed/local.js?limit=5" data-target="#local-box" async></script>
<iframe id="frame" src="{service}/embed/world.html?limit=5" title="World headlines"></iframe>
</body>
</html>
"##
    )
}

/// Serves `page` at `/` on another port: another origin than the service.
fn serve_partner(page: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind partner");
    let port = listener.local_addr().expect("address").port();
    let server = HttpServer::new(move || {
        let page = page.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let page = page.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}/")
}

/// What the top page shows: the link texts of each script widget, and
/// whether any injected markup ran.
const READ_PAGE: &str = r#"
    const texts = (selector) => Array.from(document.querySelectorAll(selector)).map((a) => a.textContent);
    const links = Array.from(document.querySelectorAll('#world-widget .syndic-headlines a'));
    return {
        world: texts('#world-widget .syndic-headlines a'),
        local: texts('#local-box a'),
        world_hrefs: links.map((a) => a.href),
        world_targets: links.map((a) => a.target + ' ' + a.rel),
        pwned: typeof window.__pwned,
        images: document.querySelectorAll('img').length,
    };
"#;

/// What the iframe shows.
const READ_FRAME: &str = r#"
    return {
        world: Array.from(document.querySelectorAll('li a')).map((a) => a.textContent),
        pwned: typeof window.__pwned,
        images: document.querySelectorAll('img').length,
        lang: document.documentElement.lang,
    };
"#;

/// Runs `script` until `done` accepts its result or patience runs out.
async fn wait_for(client: &Client, script: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let seen = client.execute(script, Vec::new()).await.expect("execute");
        if done(&seen) || started.elapsed() > PATIENCE {
            return seen;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

async fn read_frame(client: &Client, done: impl Fn(&Value) -> bool) -> Value {
    let frame = client
        .find(fantoccini::Locator::Id("frame"))
        .await
        .expect("the iframe");
    frame.enter_frame().await.expect("enter the iframe");
    let seen = wait_for(client, READ_FRAME, done).await;
    client.enter_parent_frame().await.expect("leave the iframe");
    seen
}

/// The service, with `max-age=0` so that a reload revalidates at once
/// (with the default, a browser may keep its copy up to 300 s).
async fn spawn_service() -> TestApp {
    let db = TestDatabase::create(Backend::Sqlite).expect("sqlite");
    spawn_on(db, |settings| settings.max_age = Some(0)).await
}

#[actix_web::test]
async fn partner_widgets_render_headlines_as_text_links_across_origins() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED browser test: chromedriver not found"
        );
        return;
    }
    let app = spawn_service().await;
    app.create_category("world").await;
    app.create_category("local").await;
    publish(
        &app,
        "world",
        "w-1",
        "国际新闻：日内瓦磋商",
        "2026-01-01T00:00:00Z",
    )
    .await;
    publish(&app, "world", "w-2", XSS_TITLE, "2026-01-02T00:00:00Z").await;
    publish(
        &app,
        "local",
        "l-1",
        "本地新闻 & 天气",
        "2026-01-03T00:00:00Z",
    )
    .await;
    let partner = serve_partner(partner_page(&app.address));
    assert_ne!(partner, format!("{}/", app.address), "another origin");

    let driver = start_driver().await;
    let client = open_browser(&driver).await;
    client.goto(&partner).await.expect("open the partner page");

    let expected_world = [XSS_TITLE, "国际新闻：日内瓦磋商"];
    let page = wait_for(&client, READ_PAGE, |v| {
        strings(&v["world"]).len() == 2 && !strings(&v["local"]).is_empty()
    })
    .await;
    assert_eq!(strings(&page["world"]), expected_world, "{page}");
    assert_eq!(strings(&page["local"]), ["本地新闻 & 天气"], "{page}");
    assert_eq!(page["pwned"], "undefined", "the markup in a title ran");
    assert_eq!(page["images"], 0, "the markup in a title became an element");
    assert!(strings(&page["world_hrefs"])
        .iter()
        .all(|href| href.starts_with("https://news.example.cn/articles/")));
    assert!(strings(&page["world_targets"])
        .iter()
        .all(|t| *t == "_blank noopener"));

    let frame = read_frame(&client, |v| strings(&v["world"]).len() == 2).await;
    assert_eq!(strings(&frame["world"]), expected_world, "{frame}");
    assert_eq!(frame["pwned"], "undefined");
    assert_eq!(frame["images"], 0);
    assert_eq!(frame["lang"], "zh-CN");

    // A new article shows after a reload, in the script widget and the iframe.
    publish(
        &app,
        "world",
        "w-3",
        "刚刚发布：新的头条",
        "2026-01-05T00:00:00Z",
    )
    .await;
    publish(&app, "local", "l-2", "本地：第二条", "2026-01-06T00:00:00Z").await;
    client.refresh().await.expect("reload");
    let page = wait_for(&client, READ_PAGE, |v| {
        strings(&v["world"]).len() == 3 && strings(&v["local"]).len() == 2
    })
    .await;
    assert_eq!(
        strings(&page["world"]),
        ["刚刚发布：新的头条", XSS_TITLE, "国际新闻：日内瓦磋商"],
        "{page}"
    );
    assert_eq!(strings(&page["local"]), ["本地：第二条", "本地新闻 & 天气"]);
    assert_eq!(page["pwned"], "undefined");
    let frame = read_frame(&client, |v| strings(&v["world"]).len() == 3).await;
    assert_eq!(strings(&frame["world"])[0], "刚刚发布：新的头条", "{frame}");

    client.close().await.expect("close the browser");
    drop(driver);
}
