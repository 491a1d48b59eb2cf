//! A write that meets a busy database is told to come back (503 with
//! Retry-After), never a 500, and changes nothing.

use diesel::connection::SimpleConnection;
use serde_json::Value;

use crate::helpers::{sample_article, spawn_app, Backend};

#[actix_web::test]
async fn a_write_blocked_by_another_writer_is_503_with_retry_after_and_changes_nothing() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    app.create_category("world").await;
    let before = app.snapshot().await;
    // Another process (an import, an operator's sqlite3 shell) holds the
    // write lock for longer than syndic's busy timeout (5 s).
    let url = syndic::domain::DatabaseUrl::parse(&app.database_url).expect("url");
    let mut other = syndic::store::establish(&url).expect("second connection");
    other
        .batch_execute("BEGIN IMMEDIATE")
        .expect("take the write lock");

    let refused = app
        .post("/api/v1/articles", &sample_article("world", "busy-1"))
        .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:syndic:problem:busy");
    assert_eq!(problem["status"], 503);

    other.batch_execute("ROLLBACK").expect("release");
    assert_eq!(app.snapshot().await, before, "nothing was written");
    // Once the other writer is gone, the same write goes through.
    app.create_article(&sample_article("world", "busy-1")).await;
}

/// A small tmpfs on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` when this process may not mount (not root).
    fn mount(bytes: u64) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(Self { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes `path` until the disk refuses more.
fn fill(path: &std::path::Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).expect("filler");
    let chunk = vec![0u8; 16 * 1024];
    while file
        .write_all(&chunk)
        .and_then(|()| file.sync_data())
        .is_ok()
    {}
}

#[actix_web::test]
async fn a_full_disk_is_507_and_writes_work_again_once_space_is_freed() {
    let Some(disk) = SmallDisk::mount(8 * 1024 * 1024) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED disk test: cannot mount a tmpfs (needs root)\n",
        );
        return;
    };
    let url = format!("sqlite://{}", disk.path().join("syndic.db").display());
    let app = crate::helpers::spawn_with_url(&url, |_| {}).await;
    app.create_category("world").await;
    let filler = disk.path().join("filler");
    fill(&filler);

    let body = format!("<p>{}</p>", "海峡两岸新闻".repeat(10_000));
    let mut refused = None;
    for n in 0..40 {
        let mut article = sample_article("world", &format!("full-{n}"));
        article["content_html"] = Value::String(body.clone());
        let response = app.post("/api/v1/articles", &article).await;
        match response.status().as_u16() {
            201 => continue,
            status => {
                refused = Some((
                    status,
                    response.headers().clone(),
                    response.json::<Value>().await,
                ));
                break;
            }
        }
    }
    let (status, headers, problem) = refused.expect("the disk filled up within 40 writes");
    assert_eq!(status, 507, "{problem:?}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem = problem.expect("problem JSON");
    assert_eq!(problem["type"], "urn:syndic:problem:insufficient-storage");
    // Reads go on.
    assert_eq!(app.get("/feeds/world.rss").await.status(), 200);

    std::fs::remove_file(&filler).expect("free the space");
    let mut article = sample_article("world", "after-full");
    article["content_html"] = Value::String(body);
    app.create_article(&article).await;
}
