//! The `syndic` binary: tokens, import and export.

use std::path::Path;
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};
use syndic::store;

use crate::helpers::{sample_article, spawn_on, Backend, TestDatabase};

fn syndic(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(args)
        .env("SYNDIC_DATABASE_URL", database_url)
        .env("SYNDIC_CONFIG", "/dev/null")
        .output()
        .expect("run syndic")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn token_lifecycle(backend: Backend) {
    let Some(db) = TestDatabase::create(backend) else {
        return;
    };
    let created = syndic(&db.url, &["token", "create", "editor"]);
    assert!(created.status.success(), "{created:?}");
    let token = stdout(&created).lines().last().expect("a line").to_owned();
    assert!(
        token.starts_with("syn_"),
        "token alone on the last line: {token:?}"
    );

    let listed = stdout(&syndic(&db.url, &["token", "list"]));
    assert!(listed.contains("editor"), "{listed}");
    assert!(!listed.contains(&token), "the token is never shown again");
    assert!(
        !syndic(&db.url, &["token", "create", "editor"])
            .status
            .success(),
        "names are unique"
    );

    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let category = json!({"slug": "world", "name": "国际"});
    let ok = app
        .client
        .post(app.url("/api/v1/categories"))
        .bearer_auth(&token)
        .json(&category)
        .send()
        .await
        .expect("POST");
    assert_eq!(ok.status(), 201);

    assert!(syndic(&url, &["token", "revoke", "editor"])
        .status
        .success());
    let refused = app
        .client
        .post(app.url("/api/v1/categories"))
        .bearer_auth(&token)
        .json(&json!({"slug": "x", "name": "x"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 401);
    assert!(!syndic(&url, &["token", "revoke", "editor"])
        .status
        .success());
}

#[actix_web::test]
async fn token_create_list_revoke_sqlite() {
    token_lifecycle(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
async fn token_create_list_revoke_postgres() {
    token_lifecycle(Backend::Postgres).await;
}

fn write_inputs(dir: &Path) -> (String, String) {
    let categories = json!([
        {"slug": "world", "name": "国际", "description": "国际新闻", "copyright": "© 国际频道"},
        {"slug": "local", "name": "本地", "description": "本地新闻"}
    ]);
    let mut draft = sample_article("local", "i-2");
    draft["status"] = json!("draft");
    let mut scheduled = sample_article("world", "i-3");
    scheduled["published_at"] = json!("2099-01-01T00:00:00+08:00");
    let mut no_key = sample_article("local", "");
    no_key
        .as_object_mut()
        .expect("object")
        .remove("external_id");
    let lines = [
        sample_article("world", "i-1").to_string(),
        "{\"title\": broken".to_owned(),
        draft.to_string(),
        json!({"category": "nope", "title": "未知分类"}).to_string(),
        String::new(),
        scheduled.to_string(),
        json!({"category": "world", "title": ""}).to_string(),
        no_key.to_string(),
    ];
    let articles_path = dir.join("articles.ndjson");
    let categories_path = dir.join("categories.json");
    std::fs::write(&articles_path, lines.join("\n") + "\n").expect("write articles");
    std::fs::write(&categories_path, categories.to_string()).expect("write categories");
    (
        articles_path.display().to_string(),
        categories_path.display().to_string(),
    )
}

fn import_export_round_trip(backend: Backend) {
    let Some(db) = TestDatabase::create(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (articles, categories) = write_inputs(dir.path());

    let strict = syndic(
        &db.url,
        &["import", &articles, "--categories", &categories, "--strict"],
    );
    assert!(!strict.status.success());
    let exported = syndic(&db.url, &["export"]);
    assert!(exported.status.success());
    assert_eq!(
        stdout(&exported),
        "",
        "--strict imports nothing from a file with bad lines"
    );

    let imported = syndic(&db.url, &["import", &articles, "--categories", &categories]);
    assert!(
        !imported.status.success(),
        "bad lines make the exit status non-zero"
    );
    let report = String::from_utf8_lossy(&imported.stderr);
    for line in ["line 2:", "line 4:", "line 7:"] {
        assert!(report.contains(line), "{line} missing from {report}");
    }
    assert!(!report.contains("line 5:"), "blank lines are skipped");
    let summary = stdout(&imported);
    assert!(
        summary.contains("4 created") && summary.contains("3 lines rejected"),
        "{summary}"
    );

    let again = syndic(&db.url, &["import", &articles, "--categories", &categories]);
    assert!(
        stdout(&again).contains("3 updated"),
        "re-import upserts by external_id: {}",
        stdout(&again)
    );

    let categories_out = dir.path().join("exported-categories.json");
    let first = syndic(
        &db.url,
        &[
            "export",
            "--categories",
            &categories_out.display().to_string(),
        ],
    );
    assert!(first.status.success());
    let first_text = stdout(&first);
    let exported: Vec<Value> = first_text
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(
        exported.len(),
        5,
        "drafts, scheduled and key-less articles included: {first_text}"
    );
    assert_eq!(
        exported[0]["title"],
        sample_article("world", "i-1")["title"],
        "Chinese text byte for byte"
    );

    // Export, import into an empty database, export again: identical.
    let Some(copy) = TestDatabase::create(backend) else {
        return;
    };
    let export_path = dir.path().join("export.ndjson");
    std::fs::write(&export_path, &first_text).expect("write export");
    let reimported = syndic(
        &copy.url,
        &[
            "import",
            &export_path.display().to_string(),
            "--categories",
            &categories_out.display().to_string(),
        ],
    );
    assert!(reimported.status.success(), "{reimported:?}");
    let second = syndic(&copy.url, &["export"]);
    assert_eq!(stdout(&second), first_text);
}

#[test]
fn import_reports_bad_lines_and_export_reads_back_identically_sqlite() {
    import_export_round_trip(Backend::Sqlite);
}

#[test]
#[cfg_attr(
    syndic_skip_postgres,
    ignore = "skipped: SYNDIC_TEST_POSTGRES_URL is not set"
)]
fn import_reports_bad_lines_and_export_reads_back_identically_postgres() {
    import_export_round_trip(Backend::Postgres);
}

#[test]
fn sqlite_import_succeeds_while_a_reader_holds_back_the_checkpoint() {
    let db = TestDatabase::create(Backend::Sqlite).expect("SQLite database");
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, categories) = write_inputs(dir.path());
    let articles = dir.path().join("good.ndjson");
    let lines = [
        sample_article("world", "d-1").to_string(),
        sample_article("local", "d-2").to_string(),
    ];
    std::fs::write(&articles, lines.join("\n")).expect("write articles");
    let articles = articles.display().to_string();
    assert!(syndic(&db.url, &["migrate"]).status.success());
    // A read transaction on the snapshot from before the import: the final
    // checkpoint cannot copy the import past it within the busy timeout, so
    // the import makes its commits durable another way.
    let mut reader = store::establish(&syndic::domain::DatabaseUrl::parse(&db.url).expect("URL"))
        .expect("connect");
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM articles;")
        .expect("read");

    let imported = syndic(&db.url, &["import", &articles, "--categories", &categories]);

    reader.batch_execute("COMMIT").expect("end read");
    assert!(imported.status.success(), "{imported:?}");
    assert!(stdout(&imported).contains("2 created"));
    let exported = syndic(&db.url, &["export"]);
    assert_eq!(stdout(&exported).lines().count(), 2);
}
