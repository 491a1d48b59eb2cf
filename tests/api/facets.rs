//! Tag, author and source feeds (SPEC §7): names with Chinese, emoji and
//! markup in the URL and in every format, exact matching, empty feeds for
//! unknown values, paging and conditional GET, the scopes each kind of
//! write moves, deleted entries, and the tags the directory lists.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::header::{ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::Method;
use serde_json::{json, Value};

use syndic::clock::Clock;

use crate::helpers::{raw_client, sample_article, spawn_on, TestApp, TestDatabase};
use crate::{for_both_backends, on_both_backends};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const TOMBSTONES: &str = "http://purl.org/atompub/tombstones/1.0";
const FORMATS: [&str; 3] = ["rss", "atom", "json"];

/// The path of a feed named as in the tables below: `all`, a category
/// slug, or `kind/value` with the value percent-encoded.
fn feed_path(name: &str, format: &str) -> String {
    match name.split_once('/') {
        Some((kind, value)) => format!(
            "/feeds/{kind}/{}.{format}",
            utf8_percent_encode(value, NON_ALPHANUMERIC)
        ),
        None => format!("/feeds/{name}.{format}"),
    }
}

async fn get_ok(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.expect("body"))
}

fn article(category: &str, id: &str, tags: &[&str], author: &str, source: &str) -> Value {
    let mut article = sample_article(category, id);
    article["title"] = json!(format!("稿件 {id}"));
    article["tags"] = json!(tags);
    article["author"] = json!(author);
    article["source"] = json!({"name": source, "url": format!("https://source.example/{id}.html")});
    article
}

/// Entries or items in a feed, parsed by feed-rs as a reader would.
fn parsed(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes()).expect("a feed feed-rs reads")
}

const TAG_EMOJI: &str = "大模型 🚀";
const TAG_MARKUP: &str = "R&D <lab> \"x\"";
const TAG_SLASH: &str = "a/b+c %20?#";
const AUTHOR: &str = "陆林娟 & <记者>";
const SOURCE: &str = "海西都市报 🚀 <&>";

on_both_backends! {
    async fn facet_feeds_round_trip_names_with_chinese_emoji_and_markup(app: TestApp) {
        app.create_category("local").await;
        app.create_article(&article("local", "a1", &[TAG_EMOJI, TAG_MARKUP, TAG_SLASH, "储能"], AUTHOR, SOURCE))
            .await;
        app.create_article(&article("local", "a2", &["储能"], "贾华", "南方日报")).await;

        let cases = [
            ("tags", TAG_EMOJI, "标签：", 1),
            ("tags", TAG_MARKUP, "标签：", 1),
            ("tags", TAG_SLASH, "标签：", 1),
            ("tags", "储能", "标签：", 2),
            ("authors", AUTHOR, "作者：", 1),
            ("sources", SOURCE, "来源：", 1),
        ];
        for (kind, value, label, count) in cases {
            let name = format!("{kind}/{value}");
            let title = format!("{label}{value} - 测试新闻网");
            for format in FORMATS {
                let path = feed_path(&name, format);
                let (headers, body) = get_ok(&app, &path).await;
                let feed = parsed(&body);
                assert_eq!(feed.entries.len(), count, "{path}");
                assert_eq!(feed.title.as_ref().map(|t| t.content.as_str()), Some(title.as_str()), "{path}");
                // Copyright and source on every item, as in every feed.
                for entry in &feed.entries {
                    assert!(entry.title.as_ref().is_some_and(|t| t.content.starts_with("稿件 ")));
                }
                if format == "atom" {
                    let doc = roxmltree::Document::parse(&body).expect("well-formed Atom");
                    let self_link = doc
                        .root_element()
                        .children()
                        .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("self"))
                        .and_then(|n| n.attribute("href"))
                        .expect("self link");
                    let expected = format!("{}{}", app.config.base_url, &path[1..]);
                    assert_eq!(self_link, expected, "the self link is the URL asked");
                    for entry in doc.root_element().children().filter(|n| n.has_tag_name((ATOM, "entry"))) {
                        assert!(entry.children().any(|n| n.has_tag_name((ATOM, "rights"))), "{path}: rights");
                        assert!(entry.children().any(|n| n.has_tag_name((ATOM, "source"))
                            || n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("via")), "{path}: source");
                    }
                }
                if format == "json" {
                    let json: Value = serde_json::from_str(&body).expect("JSON");
                    assert_eq!(json["feed_url"], format!("{}{}", app.config.base_url, &path[1..]));
                    assert_eq!(headers["content-type"], "application/feed+json; charset=utf-8");
                }
            }
        }
        // The RSS items name the tag, author and source exactly as stored.
        let (_, rss) = get_ok(&app, &feed_path(&format!("tags/{TAG_MARKUP}"), "rss")).await;
        let doc = roxmltree::Document::parse(&rss).expect("well-formed RSS");
        let item = doc.descendants().find(|n| n.has_tag_name("item")).expect("item");
        let terms: Vec<&str> = item.children().filter(|n| n.has_tag_name("category")).filter_map(|n| n.text()).collect();
        for tag in [TAG_EMOJI, TAG_MARKUP, TAG_SLASH] {
            assert!(terms.contains(&tag), "{terms:?}");
        }
        assert!(rss.contains("海西都市报 🚀 &lt;&amp;&gt;"), "the source name, escaped once");

        // Matching is exact; a value no article carries is an empty feed, not 404.
        for name in ["tags/大模型", "tags/r&d <lab> \"x\"", "tags/从未出现", "authors/陆林娟", "sources/海西都市报"] {
            for format in FORMATS {
                let (_, body) = get_ok(&app, &feed_path(name, format)).await;
                assert!(parsed(&body).entries.is_empty(), "{name}.{format} lists nothing");
            }
        }
        for path in ["/feeds/people/x.rss", "/feeds/tags/x.html", "/feeds/tags/x", "/feeds/tags/.rss"] {
            let response = app.client.get(app.url(path)).send().await.expect("GET");
            assert_eq!(response.status(), 404, "{path}");
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
    }

    async fn facet_feeds_page_and_answer_conditional_requests(app: TestApp) {
        app.create_category("local").await;
        for n in 0..5 {
            let mut item = article("local", &format!("p{n}"), &["储能"], AUTHOR, SOURCE);
            item["published_at"] = json!(format!("2025-06-0{}T08:00:00Z", n + 1));
            app.create_article(&item).await;
        }
        let base = feed_path("tags/储能", "atom");
        let (_, first) = get_ok(&app, &format!("{base}?limit=2")).await;
        let doc = roxmltree::Document::parse(&first).expect("Atom");
        let link = |rel: &str| {
            doc.root_element()
                .children()
                .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some(rel))
                .and_then(|n| n.attribute("href"))
                .map(str::to_owned)
        };
        let base_url = format!("{}{}", app.config.base_url, &base[1..]);
        assert_eq!(link("next"), Some(format!("{base_url}?limit=2&page=2")));
        assert_eq!(link("last"), Some(format!("{base_url}?limit=2&page=3")));
        assert_eq!(parsed(&first).entries.len(), 2);
        let (_, last) = get_ok(&app, &format!("{base}?limit=2&page=3")).await;
        let oldest = parsed(&last);
        assert_eq!(oldest.entries.len(), 1);
        assert_eq!(oldest.entries[0].title.as_ref().map(|t| t.content.as_str()), Some("稿件 p0"));

        app.settle();
        let rss = feed_path("authors/陆林娟 & <记者>", "rss");
        let response = raw_client().get(app.url(&rss)).send().await.expect("GET");
        let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
        let modified = response.headers()["last-modified"].to_str().expect("date").to_owned();
        let cached = raw_client().get(app.url(&rss)).header(IF_NONE_MATCH, &etag).send().await.expect("GET");
        assert_eq!(cached.status(), 304);
        assert_eq!(cached.headers()["etag"], etag.as_str());
        let dated = raw_client().get(app.url(&rss)).header(IF_MODIFIED_SINCE, &modified).send().await.expect("GET");
        assert_eq!(dated.status(), 304);
        let head = raw_client().head(app.url(&rss)).send().await.expect("HEAD");
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["etag"], etag.as_str());
        let compressed = raw_client().get(app.url(&rss)).header(ACCEPT_ENCODING, "gzip").send().await.expect("GET");
        assert_eq!(compressed.headers()["content-encoding"], "gzip");
        assert!(compressed.headers()["vary"].to_str().expect("vary").eq_ignore_ascii_case("accept-encoding"));
    }
}

/// Every feed the write table watches.
const WATCHED: [&str; 13] = [
    "all",
    "local",
    "world",
    "tags/台风",
    "tags/储能",
    "tags/大模型",
    "tags/乡村振兴",
    "authors/陆林娟",
    "authors/贾华",
    "authors/田静竹",
    "sources/海西都市报",
    "sources/南方日报",
    "sources/新华社",
];

type Validators = BTreeMap<String, (Option<String>, Option<String>)>;

/// `ETag` and `Last-Modified` of every watched feed in every format.
async fn validators(app: &TestApp) -> Validators {
    let mut found = Validators::new();
    for name in WATCHED {
        for format in FORMATS {
            let path = feed_path(name, format);
            let response = raw_client().get(app.url(&path)).send().await.expect("GET");
            assert_eq!(response.status(), 200, "{path}");
            let header = |h: &str| {
                response
                    .headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            assert!(header("last-modified").is_some(), "{path}: settled");
            found.insert(
                format!("{name}.{format}"),
                (header("etag"), header("last-modified")),
            );
        }
    }
    found
}

/// The watched feeds whose validators moved in any format.
fn moved(before: &Validators, after: &Validators) -> BTreeSet<String> {
    before
        .iter()
        .filter(|(key, old)| after.get(*key) != Some(*old))
        .filter_map(|(key, _)| key.rsplit_once('.').map(|(name, _)| name.to_owned()))
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

on_both_backends! {
    async fn each_kind_of_write_moves_exactly_the_scopes_it_changes(app: TestApp) {
        app.create_category("local").await;
        app.create_category("world").await;
        let a = app.create_article(&article("local", "a", &["台风", "储能"], "陆林娟", "海西都市报")).await;
        let b = app.create_article(&article("world", "b", &["大模型"], "贾华", "南方日报")).await;
        let a_path = format!("/api/v1/articles/{}", a["id"]);
        let b_path = format!("/api/v1/articles/{}", b["id"]);
        app.settle();

        let source = |name: &str| json!({"name": name, "url": "https://source.example/a.html"});
        let table: Vec<(&str, Method, &str, Value, &[&str])> = vec![
            ("edit that changes nothing", Method::PATCH, &a_path, json!({"title": "稿件 a"}), &[]),
            ("edit tags", Method::PATCH, &a_path, json!({"tags": ["储能", "乡村振兴"]}),
                &["all", "local", "tags/台风", "tags/储能", "tags/乡村振兴", "authors/陆林娟", "sources/海西都市报"]),
            ("change author", Method::PATCH, &a_path, json!({"author": "田静竹"}),
                &["all", "local", "tags/储能", "tags/乡村振兴", "authors/陆林娟", "authors/田静竹", "sources/海西都市报"]),
            ("change source", Method::PATCH, &a_path, json!({"source": source("新华社")}),
                &["all", "local", "tags/储能", "tags/乡村振兴", "authors/田静竹", "sources/海西都市报", "sources/新华社"]),
            ("move category", Method::PATCH, &a_path, json!({"category": "world"}),
                &["all", "local", "world", "tags/储能", "tags/乡村振兴", "authors/田静竹", "sources/新华社"]),
            ("delete", Method::DELETE, &b_path, Value::Null,
                &["all", "world", "tags/大模型", "authors/贾华", "sources/南方日报"]),
        ];
        for (write, method, path, body, expected) in table {
            let before = validators(&app).await;
            let request = app.authed(method, path);
            let request = if body.is_null() { request } else { request.json(&body) };
            let response = request.send().await.expect("write");
            assert!(response.status().is_success(), "{write}: {}", response.status());
            app.settle();
            let after = validators(&app).await;
            assert_eq!(moved(&before, &after), names(expected), "{write}");
        }

        // A scheduled article moves nothing before its time, then exactly its scopes.
        let before = validators(&app).await;
        let mut later = article("local", "c", &["台风"], "陆林娟", "海西都市报");
        later["published_at"] = json!((app.clock.now() + chrono::Duration::seconds(60)).to_rfc3339());
        app.create_article(&later).await;
        app.settle();
        let scheduled = validators(&app).await;
        assert_eq!(moved(&before, &scheduled), names(&[]), "schedule");
        app.advance(chrono::Duration::seconds(60));
        app.settle();
        let live = validators(&app).await;
        assert_eq!(
            moved(&scheduled, &live),
            names(&["all", "local", "tags/台风", "authors/陆林娟", "sources/海西都市报"]),
            "goes live"
        );
    }
}

/// `(ref, when)` of each deleted entry in an Atom feed.
fn deleted_entries(body: &str) -> Vec<(String, DateTime<Utc>)> {
    let doc = roxmltree::Document::parse(body).expect("well-formed Atom");
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((TOMBSTONES, "deleted-entry")))
        .map(|n| {
            let when = n.attribute("when").expect("when");
            (
                n.attribute("ref").expect("ref").to_owned(),
                DateTime::parse_from_rfc3339(when)
                    .expect("RFC 3339")
                    .with_timezone(&Utc),
            )
        })
        .collect()
}

fn json_deleted(body: &str) -> Vec<String> {
    let json: Value = serde_json::from_str(body).expect("JSON");
    json["_syndic"]["deleted"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|d| d["id"].as_str().expect("id").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

for_both_backends! {
    async fn deleted_entries_stay_for_the_tombstone_period(backend: Backend) {
        let Some(db) = TestDatabase::create(backend) else { return };
        let app = spawn_on(db, |settings| settings.tombstone_days = Some(2)).await;
        app.create_category("local").await;
        app.create_category("world").await;
        let gone = app.create_article(&article("local", "gone", &["台风"], "陆林娟", "海西都市报")).await;
        app.create_article(&article("local", "stays", &["储能"], "贾华", "南方日报")).await;
        let moving = app.create_article(&article("local", "moving", &["储能"], "贾华", "南方日报")).await;
        let (_, atom) = get_ok(&app, "/feeds/local.atom").await;
        let entry_id = |title: &str| {
            parsed(&atom).entries.iter().find(|e| e.title.as_ref().is_some_and(|t| t.content == title)).map(|e| e.id.clone()).expect("entry")
        };
        let (gone_id, moving_id) = (entry_id("稿件 gone"), entry_id("稿件 moving"));
        assert!(deleted_entries(&atom).is_empty());

        let deleted_at = app.clock.now();
        let response = app.authed(Method::DELETE, &format!("/api/v1/articles/{}", gone["id"])).send().await.expect("delete");
        assert_eq!(response.status(), 204);
        let moved = app.send_json(Method::PATCH, &format!("/api/v1/articles/{}", moving["id"]), &json!({"category": "world"})).await;
        assert_eq!(moved.status(), 200);
        app.settle();

        // In the Atom and JSON feeds of every scope it left; never in RSS.
        let (_, local) = get_ok(&app, "/feeds/local.atom").await;
        let listed = deleted_entries(&local);
        let refs: Vec<&str> = listed.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(refs, [moving_id.as_str(), gone_id.as_str()], "newest first");
        assert!((listed[1].1 - deleted_at).num_seconds().abs() <= 1, "when it was deleted");
        for name in ["all", "tags/台风", "authors/陆林娟", "sources/海西都市报"] {
            let (_, atom) = get_ok(&app, &feed_path(name, "atom")).await;
            let refs: Vec<String> = deleted_entries(&atom).into_iter().map(|(r, _)| r).collect();
            assert_eq!(refs, [gone_id.as_str()], "{name}");
            let (_, json) = get_ok(&app, &feed_path(name, "json")).await;
            assert_eq!(json_deleted(&json), [gone_id.as_str()], "{name}.json");
        }
        let (_, world) = get_ok(&app, "/feeds/world.atom").await;
        assert!(deleted_entries(&world).is_empty(), "moved in, not out");
        let (_, tag) = get_ok(&app, &feed_path("tags/储能", "atom")).await;
        assert!(deleted_entries(&tag).is_empty(), "still carries its tag");
        let (_, rss) = get_ok(&app, "/feeds/local.rss").await;
        assert!(!rss.contains("deleted-entry"));
        let (_, json) = get_ok(&app, "/feeds/world.json").await;
        assert!(!json.contains("_syndic\":{\"deleted"), "no empty list");

        // Moving back makes it live in its scope again: no tombstone there.
        let back = app.send_json(Method::PATCH, &format!("/api/v1/articles/{}", moving["id"]), &json!({"category": "local"})).await;
        assert_eq!(back.status(), 200);
        app.settle();
        let (_, local) = get_ok(&app, "/feeds/local.atom").await;
        let refs: Vec<String> = deleted_entries(&local).into_iter().map(|(r, _)| r).collect();
        assert_eq!(refs, [gone_id.as_str()]);
        let (_, world) = get_ok(&app, "/feeds/world.atom").await;
        assert_eq!(deleted_entries(&world).len(), 1, "it left world now");
        let (_, first_page) = get_ok(&app, "/feeds/local.atom?limit=1").await;
        assert_eq!(deleted_entries(&first_page).len(), 1);
        let (_, second_page) = get_ok(&app, "/feeds/local.atom?limit=1&page=2").await;
        assert!(deleted_entries(&second_page).is_empty(), "first pages only");

        // When the period ends the entry goes, and the validators move.
        let before = raw_client().get(app.url("/feeds/tags/%E5%8F%B0%E9%A3%8E.atom")).send().await.expect("GET");
        let etag = before.headers()["etag"].to_str().expect("etag").to_owned();
        app.advance(chrono::Duration::days(2) + chrono::Duration::seconds(1));
        app.settle();
        let after = raw_client().get(app.url("/feeds/tags/%E5%8F%B0%E9%A3%8E.atom")).header(IF_NONE_MATCH, &etag).send().await.expect("GET");
        assert_eq!(after.status(), 200, "expiry is a change");
        assert!(deleted_entries(&after.text().await.expect("body")).is_empty());
        let (_, local) = get_ok(&app, "/feeds/local.atom").await;
        assert!(deleted_entries(&local).is_empty());
    }

    async fn the_directory_lists_the_busiest_tags_when_asked(backend: Backend) {
        let Some(db) = TestDatabase::create(backend) else { return };
        let app = spawn_on(db, |settings| settings.opml_tags = Some(2)).await;
        app.create_category("local").await;
        for (n, tags) in [&["台风", "R&D <lab>"][..], &["台风", "R&D <lab>"], &["台风"], &["储能"]].iter().enumerate() {
            app.create_article(&article("local", &format!("t{n}"), tags, AUTHOR, SOURCE)).await;
        }
        let (_, opml) = get_ok(&app, "/feeds.opml").await;
        let doc = roxmltree::Document::parse(&opml).expect("OPML");
        let folders: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("body"))
            .flat_map(|b| b.children().filter(|n| n.is_element()))
            .filter_map(|n| n.attribute("text"))
            .collect();
        assert_eq!(folders[folders.len() - 2..], ["标签：台风", "标签：R&D <lab>"], "{folders:?}");
        let tag_rss = format!("{}feeds/tags/R%26D%20%3Clab%3E.rss", app.config.base_url);
        assert!(doc.descendants().any(|n| n.attribute("xmlUrl") == Some(tag_rss.as_str())));
        let (_, index) = get_ok(&app, "/").await;
        assert!(index.contains("热门标签"));
        assert!(index.contains(&tag_rss.replace('&', "&amp;")));
        assert!(!index.contains("标签：储能"), "only the two busiest");

        // A write that changes which tags lead changes the directory.
        app.settle();
        let etag = raw_client().get(app.url("/feeds.opml")).send().await.expect("GET").headers()["etag"].to_str().expect("etag").to_owned();
        for n in 0..3 {
            app.create_article(&article("local", &format!("s{n}"), &["储能"], AUTHOR, SOURCE)).await;
        }
        app.settle();
        let changed = raw_client().get(app.url("/feeds.opml")).header(IF_NONE_MATCH, &etag).send().await.expect("GET");
        assert_eq!(changed.status(), 200);
        assert!(changed.text().await.expect("body").contains("标签：储能"));
    }
}
