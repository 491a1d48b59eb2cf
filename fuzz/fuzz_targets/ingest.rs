//! Ingestion: any bytes through the article JSON path. Rejecting is fine;
//! what is accepted must store (SQLite), read back equal, and survive an
//! export/import round trip unchanged.

#![no_main]

use std::sync::{LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use syndic::domain::{CategoryFields, NewArticle};
use syndic::clock::SystemClock;
use syndic::domain::DatabaseUrl;
use syndic::store::{self, DbConnection};

/// One in-memory database per process (a single connection, so `:memory:`
/// is one database), migrated once.
static DB: LazyLock<Mutex<DbConnection>> = LazyLock::new(|| {
    let url = DatabaseUrl::Sqlite(":memory:".to_owned());
    let mut conn = store::establish(&url).expect("open in-memory SQLite");
    store::run_migrations(&mut conn).expect("migrate");
    Mutex::new(conn)
});

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(new) = NewArticle::from_json(&value) else {
        return;
    };

    let mut conn = DB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let conn = &mut *conn;
    let category = CategoryFields {
        name: "Fuzz".to_owned(),
        description: String::new(),
        copyright: None,
    };
    store::upsert_category(conn, &SystemClock, &new.fields.category, &category).expect("category stores");
    let (stored, _) = store::upsert_article(conn, &SystemClock, &new)
        .unwrap_or_else(|e| panic!("an accepted article does not store: {e:?}\n{new:?}"));
    let read = store::find_article(conn, stored.id)
        .unwrap_or_else(|e| panic!("a stored article does not read back: {e:?}\n{new:?}"))
        .expect("the stored article exists");
    assert_eq!(read.fields, new.fields, "fields change in the database");
    if let Some(published_at) = new.published_at {
        assert_eq!(read.published_at, published_at, "published_at changes");
    }
    assert_eq!(read, stored, "upsert reports what it stored");

    // `syndic export` then `syndic import` gives the same article.
    let exported = serde_json::to_value(read.to_import_json()).expect("an article serializes");
    let again = NewArticle::from_json(&exported)
        .unwrap_or_else(|e| panic!("an exported article is rejected: {e:?}\n{read:?}"));
    assert_eq!(
        again.fields, read.fields,
        "export/import changes the article"
    );
    assert_eq!(again.published_at, Some(read.published_at));

    // Keep the database small: every run starts from an empty one.
    store::delete_article(conn, &SystemClock, stored.id).expect("delete article");
    store::delete_category(conn, &SystemClock, &new.fields.category).expect("delete category");
});
