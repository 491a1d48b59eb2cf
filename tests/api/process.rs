//! The real `syndic` binary as a process: killed with SIGKILL in the middle
//! of concurrent writes and a bulk import, it loses no acknowledged write;
//! asked to stop with SIGTERM, it answers the requests in flight, exits 0 by
//! itself, and loses nothing either.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{Backend, TestDatabase};

/// Writer tasks running at once.
const WRITERS: usize = 4;
/// Lines in the file imported while the server is killed.
const IMPORT_LINES: usize = 20_000;

pub(crate) fn syndic(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syndic"));
    command
        .env("SYNDIC_DATABASE_URL", database_url)
        .env("SYNDIC_CONFIG", "/dev/null")
        .env("RUST_LOG", "warn");
    command
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    listener.local_addr().expect("local address").port()
}

/// Creates a token with `syndic token create`: it is the last line of stdout.
pub(crate) fn create_token(database_url: &str, name: &str) -> String {
    let output = syndic(database_url)
        .args(["token", "create", name])
        .output()
        .expect("run syndic token create");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    stdout.lines().last().expect("a token line").to_owned()
}

/// `syndic serve` on a free port, its log in `log`.
pub(crate) struct Server {
    child: Child,
    pub address: String,
}

impl Server {
    pub async fn start(database_url: &str, log: &Path) -> Self {
        Self::start_with(database_url, log, |_| {}).await
    }

    /// Like [`Server::start`], with more arguments or environment set by `adjust`.
    pub async fn start_with(
        database_url: &str,
        log: &Path,
        adjust: impl FnOnce(&mut Command),
    ) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let log = File::create(log).expect("log file");
        let mut command = syndic(database_url);
        command.args(["serve", "--bind", &bind, "--database-url", database_url]);
        adjust(&mut command);
        let mut child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start syndic serve");
        let address = format!("http://{bind}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("syndic serve exited at start-up: {status}");
            }
            let ready = client.get(format!("{address}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(Instant::now() < deadline, "syndic serve not ready in 20 s");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, address }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    /// Waits for the process to end by itself, at most `limit`.
    async fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the writers sent and what the server acknowledged.
#[derive(Default)]
struct Ledger {
    /// Every title sent for a key, in order (one writer per key).
    attempts: HashMap<String, Vec<String>>,
    /// Index in `attempts` of the last title acknowledged with a 2xx.
    acked: HashMap<String, usize>,
    /// Requests that got a 2xx, another status, or no answer.
    ok: usize,
    refused: usize,
    failed: usize,
    /// Requests started before the stop signal that got no answer.
    cut_off: usize,
}

impl Ledger {
    fn attempt(&mut self, key: &str, title: &str) -> usize {
        let titles = self.attempts.entry(key.to_owned()).or_default();
        titles.push(title.to_owned());
        titles.len() - 1
    }
}

fn article(key: &str, title: &str) -> Value {
    json!({
        "external_id": key,
        "category": "world",
        "title": title,
        "content_html": format!("<p>{title}</p>"),
        "published_at": "2025-06-01T08:00:00+08:00",
    })
}

/// One writer: single POSTs, PUTs that keep rewriting four keys, and batches
/// of three, until `stop` or until the server stops answering.
async fn write_until_stopped(
    writer: usize,
    address: String,
    token: String,
    ledger: Rc<RefCell<Ledger>>,
    stop: Rc<Cell<bool>>,
    signalled: Rc<Cell<Option<Instant>>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client");
    for n in 0.. {
        if stop.get() {
            break;
        }
        let (request, keys) = match n % 3 {
            0 => {
                let key = format!("post-{writer}-{n}");
                let title = format!("发布 {writer}-{n}");
                let request = client
                    .post(format!("{address}/api/v1/articles"))
                    .json(&article(&key, &title));
                (request, vec![(key, title)])
            }
            1 => {
                let key = format!("put-{writer}-{}", n % 4);
                let title = format!("更新 {writer}-{n}");
                let request = client
                    .put(format!("{address}/api/v1/articles/by-external-id/{key}"))
                    .json(&article(&key, &title));
                (request, vec![(key, title)])
            }
            _ => {
                let keys: Vec<(String, String)> = (0..3)
                    .map(|k| {
                        (
                            format!("batch-{writer}-{n}-{k}"),
                            format!("批量 {writer}-{n}-{k}"),
                        )
                    })
                    .collect();
                let body: Vec<Value> = keys.iter().map(|(k, t)| article(k, t)).collect();
                let request = client
                    .post(format!("{address}/api/v1/articles/batch"))
                    .json(&body);
                (request, keys)
            }
        };
        let indexes: Vec<usize> = keys
            .iter()
            .map(|(key, title)| ledger.borrow_mut().attempt(key, title))
            .collect();
        let started = Instant::now();
        let result = request.bearer_auth(&token).send().await;
        let mut ledger = ledger.borrow_mut();
        match result {
            Ok(response) if response.status().is_success() => {
                ledger.ok += 1;
                for ((key, _), index) in keys.iter().zip(indexes) {
                    ledger.acked.insert(key.clone(), index);
                }
            }
            Ok(response) => {
                ledger.refused += 1;
                eprintln!("writer {writer}: {}", response.status());
            }
            Err(_) => {
                ledger.failed += 1;
                if signalled.get().is_some_and(|at| started < at) {
                    ledger.cut_off += 1;
                }
                break;
            }
        }
    }
}

/// Starts the writers; they run until `stop` is set or the server is gone.
fn start_writers(
    address: &str,
    token: &str,
    ledger: &Rc<RefCell<Ledger>>,
    stop: &Rc<Cell<bool>>,
    signalled: &Rc<Cell<Option<Instant>>>,
) -> Vec<actix_web::rt::task::JoinHandle<()>> {
    (0..WRITERS)
        .map(|writer| {
            actix_web::rt::spawn(write_until_stopped(
                writer,
                address.to_owned(),
                token.to_owned(),
                ledger.clone(),
                stop.clone(),
                signalled.clone(),
            ))
        })
        .collect()
}

/// Every article in the database, by external_id, read with `syndic export`.
fn export(database_url: &str) -> HashMap<String, Value> {
    let output = syndic(database_url)
        .arg("export")
        .output()
        .expect("run syndic export");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let article: Value = serde_json::from_str(line).expect("NDJSON");
            let key = article["external_id"].as_str().expect("key").to_owned();
            (key, article)
        })
        .collect()
}

/// Every acknowledged write is stored: its title (or one sent after it for
/// the same key, which may have committed unacknowledged) and its content.
fn assert_acknowledged_writes_kept(ledger: &Ledger, stored: &HashMap<String, Value>) {
    for (key, &index) in &ledger.acked {
        let article = stored
            .get(key)
            .unwrap_or_else(|| panic!("acknowledged {key} is lost"));
        let title = article["title"].as_str().expect("title");
        let later = &ledger.attempts[key][index..];
        assert!(
            later.iter().any(|t| t == title),
            "{key}: stored {title:?}, acknowledged {later:?}"
        );
        assert_eq!(article["content_html"], format!("<p>{title}</p>"), "{key}");
    }
}

/// The restarted server is ready and its feeds are well-formed.
async fn assert_serves_cleanly(server: &Server) {
    let client = reqwest::Client::new();
    for path in [
        "/readyz",
        "/feeds/all.rss",
        "/feeds/world.atom",
        "/feeds/all.json",
    ] {
        let response = client
            .get(format!("{}{path}", server.address))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.expect("body");
        if path.ends_with(".rss") || path.ends_with(".atom") {
            roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

async fn create_world(server: &Server, token: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/categories", server.address))
        .bearer_auth(token)
        .json(&json!({"slug": "world", "name": "国际"}))
        .send()
        .await
        .expect("POST category");
    assert_eq!(response.status(), 201);
}

fn write_import_file(path: &Path) {
    let mut file = std::io::BufWriter::new(File::create(path).expect("import file"));
    for n in 0..IMPORT_LINES {
        let line = article(&format!("import-{n}"), &format!("导入 {n}"));
        writeln!(file, "{line}").expect("write line");
    }
    file.flush().expect("flush");
}

async fn sigkill_loses_no_acknowledged_write(backend: Backend) {
    let Some(db) = TestDatabase::create(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let token = create_token(&db.url, "writer");
    let server = Server::start(&db.url, &dir.path().join("first.log")).await;
    create_world(&server, &token).await;
    let import_file = dir.path().join("import.ndjson");
    write_import_file(&import_file);

    let ledger = Rc::new(RefCell::new(Ledger::default()));
    let stop = Rc::new(Cell::new(false));
    let signalled = Rc::new(Cell::new(None));
    let writers = start_writers(&server.address, &token, &ledger, &stop, &signalled);
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    // Started mid-way so that it is still writing when the server dies.
    let mut import = syndic(&db.url)
        .arg("import")
        .arg(&import_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start syndic import");
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reap");
    let import_overlapped = import.try_wait().expect("try_wait").is_none();
    stop.set(true);
    for writer in writers {
        writer.await.expect("writer task");
    }
    let imported = import.wait().expect("import finishes");
    let ledger = ledger.take();
    eprintln!(
        "{backend:?}: {} acknowledged requests ({} keys), {} refused, {} cut off by SIGKILL; import {imported}, still running at the kill: {import_overlapped}",
        ledger.ok,
        ledger.acked.len(),
        ledger.refused,
        ledger.failed
    );
    assert!(
        ledger.ok > 0,
        "the server was killed before it acknowledged anything"
    );
    assert_eq!(ledger.refused, 0, "no write was refused before the kill");

    let restarted = Server::start(&db.url, &dir.path().join("second.log")).await;
    assert_serves_cleanly(&restarted).await;
    let stored = export(&db.url);
    assert_acknowledged_writes_kept(&ledger, &stored);
    // The import ran to completion beside the server: it reported success,
    // and then every line is there.
    assert!(imported.success(), "import: {imported}");
    for n in 0..IMPORT_LINES {
        let key = format!("import-{n}");
        assert_eq!(stored[&key]["title"], format!("导入 {n}"), "{key}");
    }
}

async fn sigterm_finishes_requests_and_exits_zero(backend: Backend) {
    let Some(db) = TestDatabase::create(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let token = create_token(&db.url, "writer");
    let mut server = Server::start(&db.url, &dir.path().join("first.log")).await;
    create_world(&server, &token).await;

    let ledger = Rc::new(RefCell::new(Ledger::default()));
    let stop = Rc::new(Cell::new(false));
    let signalled = Rc::new(Cell::new(None));
    let writers = start_writers(&server.address, &token, &ledger, &stop, &signalled);
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    let acknowledged_before = ledger.borrow().ok;
    signalled.set(Some(Instant::now()));
    server.signal("TERM");
    let exit = server.wait(Duration::from_secs(10)).await;
    let took = signalled.get().expect("signalled").elapsed();
    stop.set(true);
    for writer in writers {
        writer.await.expect("writer task");
    }
    let ledger = ledger.take();
    eprintln!(
        "{backend:?}: exit {exit:?} {took:?} after SIGTERM; {} acknowledged ({} before the signal), {} refused, {} without an answer, {} of them started before the signal",
        ledger.ok, acknowledged_before, ledger.refused, ledger.failed, ledger.cut_off
    );
    let exit = exit.expect("syndic serve exits by itself within 10 s of SIGTERM");
    assert!(exit.success(), "exit status {exit}");
    assert!(ledger.ok > 0, "no write before the signal");
    assert_eq!(ledger.refused, 0, "no write was refused");
    assert_eq!(
        ledger.cut_off, 0,
        "requests sent before SIGTERM got a complete answer"
    );

    let restarted = Server::start(&db.url, &dir.path().join("second.log")).await;
    assert_serves_cleanly(&restarted).await;
    assert_acknowledged_writes_kept(&ledger, &export(&db.url));
}

#[actix_web::test]
async fn sigkill_during_writes_and_an_import_loses_no_acknowledged_write_sqlite() {
    sigkill_loses_no_acknowledged_write(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn sigkill_during_writes_and_an_import_loses_no_acknowledged_write_postgres() {
    sigkill_loses_no_acknowledged_write(Backend::Postgres).await;
}

#[actix_web::test]
async fn sigterm_answers_requests_in_flight_and_exits_zero_sqlite() {
    sigterm_finishes_requests_and_exits_zero(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn sigterm_answers_requests_in_flight_and_exits_zero_postgres() {
    sigterm_finishes_requests_and_exits_zero(Backend::Postgres).await;
}
