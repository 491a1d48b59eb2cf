//! Real feed readers polling syndic (SPEC §4.6): the `curl` binary driving
//! libcurl the way readers do (an ETag file, `If-Modified-Since` from the
//! last `Last-Modified` seen, and libcurl's own date check, which turns a
//! `200` whose date is not later than the one it sent into a simulated
//! `304`), and newsboat itself. Every version must reach them, also when
//! two changes and two polls fall in one second.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use crate::helpers::{sample_article, TestApp};
use crate::on_both_backends;

/// Whether `program` runs here; says SKIPPED (which CI refuses) if not.
fn available(program: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED reader test: {program} not found"
        );
    }
    found
}

/// A reader built on libcurl, as newsboat and many others are: it keeps the
/// ETag in a file (`--etag-compare`/`--etag-save`), sends back the last
/// `Last-Modified` it was given (`-z`), and keeps the body it last received.
pub(crate) struct CurlReader {
    dir: tempfile::TempDir,
    url: String,
    /// The last `Last-Modified` received; kept when a response has none.
    date: Option<String>,
    /// What the reader shows: the last body it accepted.
    pub content: String,
}

impl CurlReader {
    pub fn new(url: String) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            url,
            date: None,
            content: String::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Polls `url` (this reader's feed on some node); returns the status
    /// curl reports: `304` also when libcurl simulated one.
    pub fn poll_at(&mut self, url: &str) -> u16 {
        let (etag, headers, body) = (self.path("etag"), self.path("headers"), self.path("body"));
        let _ = std::fs::remove_file(&body);
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--etag-compare"])
            .arg(&etag)
            .arg("--etag-save")
            .arg(&etag)
            .arg("-D")
            .arg(&headers)
            .arg("-o")
            .arg(&body)
            .args(["-w", "%{http_code}"]);
        if let Some(date) = &self.date {
            curl.args(["-z", date]);
        }
        let output = curl.arg(url).output().expect("run curl");
        assert!(output.status.success(), "curl failed: {output:?}");
        let status: u16 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("status");
        if let Ok(received) = std::fs::read_to_string(&body) {
            self.content = received;
        }
        let headers = std::fs::read_to_string(&headers).unwrap_or_default();
        let last_modified = headers.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("last-modified")
                .then(|| value.trim().to_owned())
        });
        if last_modified.is_some() {
            self.date = last_modified;
        }
        status
    }

    pub fn poll(&mut self) -> u16 {
        let url = self.url.clone();
        self.poll_at(&url)
    }
}

fn titled(category: &str, key: &str, title: &str) -> serde_json::Value {
    let mut article = sample_article(category, key);
    article["title"] = json!(title);
    article["published_at"] = serde_json::Value::Null;
    article
}

/// newsboat with its own cache, polling one feed with `-x reload`.
struct Newsboat {
    dir: tempfile::TempDir,
}

#[derive(diesel::QueryableByName)]
struct Item {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
}

impl Newsboat {
    fn new(url: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("urls"), format!("{url}\n")).expect("urls");
        std::fs::write(dir.path().join("config"), "").expect("config");
        Self { dir }
    }

    fn reload(&self) {
        let path = |name: &str| self.dir.path().join(name);
        let output = Command::new("newsboat")
            .env("HOME", self.dir.path())
            .arg("-u")
            .arg(path("urls"))
            .arg("-c")
            .arg(path("cache.db"))
            .arg("-C")
            .arg(path("config"))
            .args(["-x", "reload"])
            .output()
            .expect("run newsboat");
        assert!(output.status.success(), "newsboat failed: {output:?}");
    }

    /// The titles newsboat holds.
    fn titles(&self) -> Vec<String> {
        use diesel::{Connection, RunQueryDsl};
        let path = self.dir.path().join("cache.db");
        let mut cache =
            diesel::SqliteConnection::establish(&path.display().to_string()).expect("cache");
        diesel::sql_query("SELECT title FROM rss_item")
            .load::<Item>(&mut cache)
            .expect("items")
            .into_iter()
            .map(|item| item.title)
            .collect()
    }
}

on_both_backends! {
    async fn a_libcurl_reader_sees_every_version_also_within_one_second(app: TestApp) {
        if !available("curl") {
            return;
        }
        app.create_category("local").await;
        app.create_article(&titled("local", "a0", "初始稿件")).await;
        app.settle();
        let mut with_etag = CurlReader::new(app.url("/feeds/local.rss"));
        assert_eq!(with_etag.poll(), 200);
        assert!(with_etag.content.contains("初始稿件"));
        assert!(with_etag.date.is_some(), "a settled feed has a date");

        // The clock stands still: two writes and two polls in one second.
        app.create_article(&titled("local", "a1", "第一条更新")).await;
        assert_eq!(with_etag.poll(), 200);
        assert!(with_etag.content.contains("第一条更新"));
        app.create_article(&titled("local", "a2", "同一秒内的第二条更新")).await;
        assert_eq!(with_etag.poll(), 200, "libcurl did not turn the second version into a 304");
        assert!(with_etag.content.contains("同一秒内的第二条更新"));

        // The second closes: a 304, and the reader still holds the newest.
        app.settle();
        assert_eq!(with_etag.poll(), 304);
        assert!(with_etag.content.contains("同一秒内的第二条更新"));
        app.create_article(&titled("local", "a3", "下一秒的更新")).await;
        assert_eq!(with_etag.poll(), 200);
        assert!(with_etag.content.contains("下一秒的更新"));
    }

    async fn a_reader_that_sends_only_the_date_sees_every_version(app: TestApp) {
        if !available("curl") {
            return;
        }
        app.create_category("local").await;
        app.create_article(&titled("local", "b0", "初始稿件")).await;
        app.settle();
        // Only If-Modified-Since: a reader that never stored an ETag.
        let mut reader = CurlReader::new(app.url("/feeds/local.atom"));
        let forget_etag = |reader: &CurlReader| {
            let _ = std::fs::remove_file(reader.path("etag"));
        };
        assert_eq!(reader.poll(), 200);
        forget_etag(&reader);
        assert_eq!(reader.poll(), 304, "the date alone validates settled content");
        app.create_article(&titled("local", "b1", "第一条更新")).await;
        forget_etag(&reader);
        assert_eq!(reader.poll(), 200);
        assert!(reader.content.contains("第一条更新"));
        app.create_article(&titled("local", "b2", "同一秒内的第二条更新")).await;
        forget_etag(&reader);
        assert_eq!(reader.poll(), 200);
        assert!(reader.content.contains("同一秒内的第二条更新"));
        app.settle();
        forget_etag(&reader);
        // Its date is still the one from before both changes.
        assert_eq!(reader.poll(), 200, "the settled date is later than the one it holds");
        forget_etag(&reader);
        assert_eq!(reader.poll(), 304);
        assert!(reader.content.contains("同一秒内的第二条更新"));
    }

    async fn newsboat_keeps_every_article_written_within_one_second(app: TestApp) {
        if !available("newsboat") {
            return;
        }
        app.create_category("local").await;
        app.create_article(&titled("local", "n0", "初始稿件")).await;
        app.settle();
        let newsboat = Newsboat::new(&app.url("/feeds/local.rss"));
        // The first reload creates the feed in its cache, the second stores
        // the validators it uses from then on.
        newsboat.reload();
        newsboat.reload();
        app.create_article(&titled("local", "n1", "第一条更新")).await;
        newsboat.reload();
        app.create_article(&titled("local", "n2", "同一秒内的第二条更新")).await;
        newsboat.reload();
        app.settle();
        newsboat.reload();
        let titles = newsboat.titles();
        for expected in ["初始稿件", "第一条更新", "同一秒内的第二条更新"] {
            assert!(titles.iter().any(|t| t == expected), "{expected} missing from {titles:?}");
        }
    }
}
