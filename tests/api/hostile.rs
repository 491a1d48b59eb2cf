//! Malformed and hostile requests, one table: each row names the status it
//! must get, and a rejected request must leave the database (articles,
//! categories) and the feeds' ETags exactly as they were.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use syndic::domain::{generate_token, hash_token};

use crate::helpers::{sample_article, TestApp};
use crate::on_both_backends;

/// Who a request claims to be.
#[derive(Debug, Clone)]
enum Auth {
    /// The app's valid token.
    Token,
    /// No `Authorization` header.
    Missing,
    /// This exact `Authorization` value.
    Header(String),
    /// A token that existed and was revoked.
    Revoked,
}

/// One hostile request and the answer it must get.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    method: &'static str,
    /// `{id}` stands for the id of the article the test starts with.
    path: String,
    auth: Auth,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
    /// Bytes written as they are on a fresh connection, for what reqwest
    /// refuses to send or would normalise (`..`, header floods).
    raw: Option<Vec<u8>>,
    status: u16,
    /// The problem+json `type` suffix, when the answer is a problem.
    problem: Option<&'static str>,
}

fn row(name: impl Into<String>, method: &'static str, path: impl Into<String>) -> Row {
    Row {
        name: name.into(),
        method,
        path: path.into(),
        auth: Auth::Token,
        headers: Vec::new(),
        body: None,
        raw: None,
        status: 0,
        problem: None,
    }
}

fn raw(name: &str, request: impl Into<Vec<u8>>) -> Row {
    Row {
        raw: Some(request.into()),
        ..row(name, "RAW", "")
    }
}

impl Row {
    fn json(self, body: Value) -> Self {
        self.body("application/json", body.to_string())
    }

    fn body(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("content-type", content_type.as_bytes().to_vec()));
        self.body = Some(body.into());
        self
    }

    /// A body with no `Content-Type`.
    fn bytes(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    fn expect(mut self, status: u16, problem: &'static str) -> Self {
        self.status = status;
        self.problem = Some(problem);
        self
    }

    /// A status that actix answers itself, before the app, with no problem body.
    fn expect_bare(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// A valid article with `field` (a JSON pointer) replaced by `value`.
fn article_with(pointer: &str, value: Value) -> Value {
    let mut article = sample_article("world", "hostile-1");
    *article.pointer_mut(pointer).expect("field exists") = value;
    article
}

fn category_with(field: &str, value: Value) -> Value {
    let mut category =
        json!({"slug": "hostile", "name": "名", "description": "d", "copyright": "c"});
    category[field] = value;
    category
}

fn cursor(raw: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn http_request(head: &str) -> Vec<u8> {
    format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

/// Every text field of an article, as a JSON pointer into `sample_article`.
const ARTICLE_TEXT_FIELDS: &[&str] = &[
    "/external_id",
    "/category",
    "/title",
    "/summary",
    "/content_html",
    "/url",
    "/author",
    "/contributors/0/name",
    "/contributors/0/role",
    "/source/name",
    "/source/url",
    "/source/feed_url",
    "/copyright",
    "/tags/0",
    "/image/url",
    "/image/mime_type",
    "/published_at",
    "/status",
];

fn rows() -> Vec<Row> {
    let mut rows = vec![
        // Bodies that are not JSON.
        row("truncated JSON", "POST", "/api/v1/articles")
            .body("application/json", r#"{"category": "world", "title": "#)
            .expect(400, "malformed-json"),
        row("trailing garbage", "POST", "/api/v1/articles")
            .body("application/json", r#"{"category": "world", "title": "t"} {}"#)
            .expect(400, "malformed-json"),
        row("empty body", "POST", "/api/v1/articles")
            .body("application/json", "")
            .expect(400, "malformed-json"),
        row("single quotes", "POST", "/api/v1/articles")
            .body("application/json", "{'category': 'world', 'title': 't'}")
            .expect(400, "malformed-json"),
        row("comments", "POST", "/api/v1/articles")
            .body("application/json", r#"{/* x */ "category": "world", "title": "t"}"#)
            .expect(400, "malformed-json"),
        row("byte order mark", "POST", "/api/v1/articles")
            .body("application/json", b"\xef\xbb\xbf{\"category\": \"world\", \"title\": \"t\"}".to_vec())
            .expect(400, "malformed-json"),
        row("invalid UTF-8 in a string", "POST", "/api/v1/articles")
            .body("application/json", b"{\"category\": \"world\", \"title\": \"\xff\xfe\"}".to_vec())
            .expect(400, "malformed-json"),
        row("overlong UTF-8 encoding of '/'", "POST", "/api/v1/articles")
            .body("application/json", b"{\"category\": \"world\", \"title\": \"\xc0\xaf\"}".to_vec())
            .expect(400, "malformed-json"),
        row("lone surrogate escape", "POST", "/api/v1/articles")
            .body("application/json", r#"{"category": "world", "title": "\ud800"}"#)
            .expect(400, "malformed-json"),
        row("nesting 100000 deep", "POST", "/api/v1/articles/batch")
            .body("application/json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)))
            .expect(400, "malformed-json"),
        row("number past f64", "POST", "/api/v1/articles")
            .body("application/json", r#"{"category": "world", "title": "t", "image": {"url": "https://a.example/i.jpg", "mime_type": "image/jpeg", "length": 1e400}}"#)
            .expect(400, "malformed-json"),
        row("PATCH with broken merge patch", "PATCH", "/api/v1/articles/{id}")
            .body("application/merge-patch+json", "{\"title\": ")
            .expect(400, "malformed-json"),
        // Well-formed JSON of the wrong shape or type.
        row("body is null", "POST", "/api/v1/articles")
            .json(Value::Null)
            .expect(422, "validation-failed"),
        row("body is a string", "POST", "/api/v1/articles")
            .json(json!("world"))
            .expect(422, "validation-failed"),
        row("title is a number", "POST", "/api/v1/articles")
            .json(article_with("/title", json!(12345)))
            .expect(422, "validation-failed"),
        row("title is an object", "POST", "/api/v1/articles")
            .json(article_with("/title", json!({"$ne": ""})))
            .expect(422, "validation-failed"),
        row("category is an array", "POST", "/api/v1/articles")
            .json(article_with("/category", json!(["world"])))
            .expect(422, "validation-failed"),
        row("tags is a string", "POST", "/api/v1/articles")
            .json(article_with("/tags", json!("a,b")))
            .expect(422, "validation-failed"),
        row("contributors hold a number", "POST", "/api/v1/articles")
            .json(article_with("/contributors", json!([7])))
            .expect(422, "validation-failed"),
        row("image length past u64", "POST", "/api/v1/articles")
            .json(article_with("/image/length", json!(18_446_744_073_709_551_616.0_f64)))
            .expect(422, "validation-failed"),
        row("image length past i64", "POST", "/api/v1/articles")
            .json(article_with("/image/length", json!(u64::MAX)))
            .expect(422, "validation-failed"),
        row("negative image length", "POST", "/api/v1/articles")
            .json(article_with("/image/length", json!(-1)))
            .expect(422, "validation-failed"),
        row("fractional image length", "POST", "/api/v1/articles")
            .json(article_with("/image/length", json!(1.5)))
            .expect(422, "validation-failed"),
        row("year 0000 with an offset is year -1 in UTC", "POST", "/api/v1/articles")
            .json(article_with("/published_at", json!("0000-01-01T00:00:00+01:00")))
            .expect(422, "validation-failed"),
        row("year 9999 with an offset is year 10000 in UTC", "POST", "/api/v1/articles")
            .json(article_with("/published_at", json!("9999-12-31T23:59:59-01:00")))
            .expect(422, "validation-failed"),
        row("five-digit year", "POST", "/api/v1/articles")
            .json(article_with("/published_at", json!("+10000-01-01T00:00:00Z")))
            .expect(422, "validation-failed"),
        row("status in capitals", "POST", "/api/v1/articles")
            .json(article_with("/status", json!("PUBLISHED")))
            .expect(422, "validation-failed"),
        row("javascript: URL", "POST", "/api/v1/articles")
            .json(article_with("/url", json!("javascript:alert(document.cookie)")))
            .expect(422, "validation-failed"),
        row("data: image URL", "POST", "/api/v1/articles")
            .json(article_with("/image/url", json!("data:image/svg+xml,<svg onload=alert(1)>")))
            .expect(422, "validation-failed"),
        row("file: source URL", "POST", "/api/v1/articles")
            .json(article_with("/source/url", json!("file:///etc/passwd")))
            .expect(422, "validation-failed"),
        row("title of 1001 characters", "POST", "/api/v1/articles")
            .json(article_with("/title", json!("标".repeat(1001))))
            .expect(422, "validation-failed"),
        row("external_id of 256 characters", "POST", "/api/v1/articles")
            .json(article_with("/external_id", json!("k".repeat(256))))
            .expect(422, "validation-failed"),
        row("external_id with a newline", "POST", "/api/v1/articles")
            .json(article_with("/external_id", json!("a\nb")))
            .expect(422, "validation-failed"),
        row("unknown category", "POST", "/api/v1/articles")
            .json(article_with("/category", json!("nope")))
            .expect(422, "validation-failed"),
        row("unknown category by PUT", "PUT", "/api/v1/articles/by-external-id/new-1")
            .json(article_with("/category", json!("nope")))
            .expect(422, "validation-failed"),
        row("PUT whose body names another external_id", "PUT", "/api/v1/articles/by-external-id/new-1")
            .json(sample_article("world", "other"))
            .expect(422, "validation-failed"),
        row("PUT with a 256-character key", "PUT", format!("/api/v1/articles/by-external-id/{}", "k".repeat(256)))
            .json(article_with("/external_id", Value::Null))
            .expect(422, "validation-failed"),
        row("PUT with a NUL in the key", "PUT", "/api/v1/articles/by-external-id/a%00b")
            .json(article_with("/external_id", Value::Null))
            .expect(422, "validation-failed"),
        row("PATCH that is an array", "PATCH", "/api/v1/articles/{id}")
            .json(json!([{"op": "remove", "path": "/title"}]))
            .expect(422, "validation-failed"),
        row("PATCH removing the title", "PATCH", "/api/v1/articles/{id}")
            .json(json!({"title": null}))
            .expect(422, "validation-failed"),
        row("PATCH moving to an unknown category", "PATCH", "/api/v1/articles/{id}")
            .json(json!({"category": "nope"}))
            .expect(422, "validation-failed"),
        row("PATCH with a NUL in the author", "PATCH", "/api/v1/articles/{id}")
            .json(json!({"author": "a\u{0}b"}))
            .expect(422, "validation-failed"),
        row("batch that is an object", "POST", "/api/v1/articles/batch")
            .json(sample_article("world", "b-1"))
            .expect(422, "validation-failed"),
        row("batch of 1001 articles", "POST", "/api/v1/articles/batch")
            .json(json!(vec![json!({}); 1001]))
            .expect(422, "validation-failed"),
        row("batch with one NUL among good articles", "POST", "/api/v1/articles/batch")
            .json(json!([
                sample_article("world", "b-1"),
                article_with("/title", json!("\u{0}")),
                sample_article("world", "b-3"),
            ]))
            .expect(422, "validation-failed"),
        row("batch with a duplicate external_id", "POST", "/api/v1/articles/batch")
            .json(json!([sample_article("world", "b-1"), sample_article("world", "b-1")]))
            .expect(422, "validation-failed"),
        // Categories.
        row("category slug with a path", "POST", "/api/v1/categories")
            .json(category_with("slug", json!("../etc")))
            .expect(422, "validation-failed"),
        row("category slug in capitals", "POST", "/api/v1/categories")
            .json(category_with("slug", json!("World")))
            .expect(422, "validation-failed"),
        row("category slug 'all'", "POST", "/api/v1/categories")
            .json(category_with("slug", json!("all")))
            .expect(422, "validation-failed"),
        row("category slug that looks like SQL", "POST", "/api/v1/categories")
            .json(category_with("slug", json!("x'; DROP TABLE categories; --")))
            .expect(422, "validation-failed"),
        row("category name of 201 characters", "POST", "/api/v1/categories")
            .json(category_with("name", json!("名".repeat(201))))
            .expect(422, "validation-failed"),
        row("existing category slug", "POST", "/api/v1/categories")
            .json(category_with("slug", json!("world")))
            .expect(409, "conflict"),
        row("PUT renaming a category's slug", "PUT", "/api/v1/categories/world")
            .json(category_with("slug", json!("other")))
            .expect(422, "validation-failed"),
        row("deleting a category that has articles", "DELETE", "/api/v1/categories/world")
            .expect(409, "conflict"),
        // Sizes.
        row("10 MB body", "POST", "/api/v1/articles")
            .body("application/json", vec![b' '; 10 * 1024 * 1024])
            .expect(413, "payload-too-large"),
        raw(
            "10 MB declared, nothing sent",
            format!(
                "POST /api/v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                10 * 1024 * 1024
            ),
        )
        .expect(413, "payload-too-large"),
        row("2 MB category", "POST", "/api/v1/categories")
            .json(category_with("description", json!("d".repeat(2 * 1024 * 1024))))
            .expect(413, "payload-too-large"),
        // Content types.
        row("text/plain", "POST", "/api/v1/articles")
            .body("text/plain", sample_article("world", "ct").to_string())
            .expect(415, "unsupported-media-type"),
        row("form-encoded", "POST", "/api/v1/articles")
            .body("application/x-www-form-urlencoded", "category=world&title=t")
            .expect(415, "unsupported-media-type"),
        row("no content type", "POST", "/api/v1/articles")
            .bytes(sample_article("world", "ct").to_string())
            .expect(415, "unsupported-media-type"),
        row("JSON Patch to PATCH", "PATCH", "/api/v1/articles/{id}")
            .body("application/json-patch+json", "[]")
            .expect(415, "unsupported-media-type"),
        row("merge patch to POST", "POST", "/api/v1/articles")
            .body("application/merge-patch+json", sample_article("world", "ct").to_string())
            .expect(415, "unsupported-media-type"),
        row("content type that is not a media type", "POST", "/api/v1/categories")
            .body("{json}", category_with("slug", json!("ct")).to_string())
            .expect(415, "unsupported-media-type"),
        // Methods.
        row("DELETE every article", "DELETE", "/api/v1/articles").expect(405, "method-not-allowed"),
        row("PUT a feed", "PUT", "/feeds/all.rss").expect(405, "method-not-allowed"),
        row("POST a feed", "POST", "/feeds/world.atom").expect(405, "method-not-allowed"),
        row("PATCH the category list", "PATCH", "/api/v1/categories").expect(405, "method-not-allowed"),
        row("TRACE the index", "TRACE", "/").expect(405, "method-not-allowed"),
        row("GET the batch endpoint", "GET", "/api/v1/articles/batch").expect(405, "method-not-allowed"),
        // Tokens.
        row("no token", "POST", "/api/v1/articles")
            .auth(Auth::Missing)
            .json(sample_article("world", "auth"))
            .expect(401, "unauthorized"),
        row("Basic credentials", "POST", "/api/v1/articles")
            .auth(Auth::Header("Basic YWRtaW46YWRtaW4=".into()))
            .json(sample_article("world", "auth"))
            .expect(401, "unauthorized"),
        row("Bearer with no token", "POST", "/api/v1/articles")
            .auth(Auth::Header("Bearer ".into()))
            .json(sample_article("world", "auth"))
            .expect(401, "unauthorized"),
        row("forged token", "POST", "/api/v1/articles")
            .auth(Auth::Header(format!("Bearer {}", generate_token())))
            .json(sample_article("world", "auth"))
            .expect(401, "unauthorized"),
        row("the hash stored in place of the token", "GET", "/api/v1/articles")
            .auth(Auth::Header(format!("Bearer {}", hash_token("syn_x"))))
            .expect(401, "unauthorized"),
        row("SQL in the token", "DELETE", "/api/v1/articles/{id}")
            .auth(Auth::Header("Bearer ' OR '1'='1".into()))
            .expect(401, "unauthorized"),
        row("revoked token", "POST", "/api/v1/articles")
            .auth(Auth::Revoked)
            .json(sample_article("world", "auth"))
            .expect(401, "unauthorized"),
        row("token in the query string", "GET", "/api/v1/articles?access_token=x")
            .auth(Auth::Missing)
            .expect(401, "unauthorized"),
        // Paths.
        raw("'..' in a feed path", http_request("GET /feeds/../../../etc/passwd HTTP/1.1"))
            .expect(404, "not-found"),
        raw("encoded '..' and '/' in a feed name", http_request("GET /feeds/%2e%2e%2f%2e%2e%2fetc%2fpasswd HTTP/1.1"))
            .expect(404, "not-found"),
        raw("encoded '..' in a widget name", http_request("GET /embed/..%2f..%2fCargo.toml HTTP/1.1"))
            .expect(404, "not-found"),
        row("encoded slash in a category slug", "GET", "/api/v1/categories/..%2Fworld").expect(404, "not-found"),
        row("category page for a traversal", "GET", "/categories/..%2F..%2Fetc%2Fpasswd").expect(404, "not-found"),
        row("feed of an unknown category", "GET", "/feeds/nope.rss").expect(404, "not-found"),
        row("feed in capitals", "GET", "/feeds/ALL.RSS").expect(404, "not-found"),
        row("feed with an unknown extension", "GET", "/feeds/all.xml").expect(404, "not-found"),
        row("article id past i64", "GET", "/api/v1/articles/99999999999999999999").expect(404, "not-found"),
        row("article id that is SQL", "GET", "/api/v1/articles/1%20OR%201=1").expect(404, "not-found"),
        row("external_id that is SQL", "GET", "/api/v1/articles/by-external-id/'%20OR%201=1%20--").expect(404, "not-found"),
        row("external_id with a NUL", "GET", "/api/v1/articles/by-external-id/a%00b").expect(404, "not-found"),
        // Query parameters.
        row("limit 0", "GET", "/api/v1/articles?limit=0").expect(400, "bad-parameter"),
        row("negative limit", "GET", "/feeds/all.rss?limit=-1").expect(400, "bad-parameter"),
        row("limit past u64", "GET", "/feeds/all.json?limit=99999999999999999999").expect(400, "bad-parameter"),
        row("limit in exponent form", "GET", "/api/v1/headlines?category=world&limit=1e3").expect(400, "bad-parameter"),
        row("limit given twice", "GET", "/feeds/all.rss?limit=1&limit=2").expect(400, "bad-parameter"),
        row("page 0", "GET", "/feeds/world.atom?page=0").expect(400, "bad-parameter"),
        row("page far past the last", "GET", "/feeds/all.rss?page=4294967295").expect(404, "not-found"),
        row("cursor that is not base64", "GET", "/api/v1/articles?cursor=%%%").expect(400, "bad-parameter"),
        row("empty cursor", "GET", "/api/v1/articles?cursor=").expect(400, "bad-parameter"),
        row("cursor of text", "GET", format!("/api/v1/articles?cursor={}", cursor("abc.def"))).expect(400, "bad-parameter"),
        row("cursor past i64", "GET", format!("/api/v1/articles?cursor={}", cursor("99999999999999999999.1"))).expect(400, "bad-parameter"),
        row("cursor at i64::MIN", "GET", format!("/api/v1/articles?cursor={}", cursor(&format!("{}.1", i64::MIN)))).expect(400, "bad-parameter"),
        row("cursor 250000 years ago", "GET", format!("/api/v1/articles?cursor={}", cursor("-8000000000000000000.1"))).expect(400, "bad-parameter"),
        row("cursor in year 10000", "GET", format!("/api/v1/articles?cursor={}", cursor("253402300800000000.1"))).expect(400, "bad-parameter"),
        row("category filter that is SQL", "GET", "/api/v1/articles?category=x%27%3B%20DROP%20TABLE%20articles%3B--").expect(400, "bad-parameter"),
        row("headlines for a category of invalid UTF-8", "GET", "/api/v1/headlines?category=%FF%FE").expect(404, "not-found"),
        row("headlines without a category", "GET", "/api/v1/headlines").expect(400, "bad-parameter"),
        row("status filter unknown", "GET", "/api/v1/articles?status=deleted").expect(400, "bad-parameter"),
        // Validators that mean nothing are ignored: a full 200.
        row("If-None-Match garbage", "GET", "/feeds/all.rss").header("if-none-match", "garbage").expect_bare(200),
        row("If-None-Match unterminated", "GET", "/feeds/world.atom").header("if-none-match", "W/\"abc").expect_bare(200),
        row("If-None-Match of 2000 tags", "GET", "/feeds/all.json")
            .header("if-none-match", vec!["W/\"x\""; 2000].join(", "))
            .expect_bare(200),
        row("If-None-Match of raw bytes", "GET", "/feeds/all.rss").header("if-none-match", b"\"\xff\xfe\"".to_vec()).expect_bare(200),
        row("If-Modified-Since garbage", "GET", "/feeds/all.rss").header("if-modified-since", "yesterday").expect_bare(200),
        row("If-Modified-Since impossible date", "GET", "/feeds/world.rss")
            .header("if-modified-since", "Thu, 99 Foo 9999 99:99:99 GMT")
            .expect_bare(200),
        row("If-Modified-Since as a number", "GET", "/api/v1/headlines?category=world")
            .header("if-modified-since", "1735689600")
            .expect_bare(200),
        row("Accept-Encoding nonsense", "GET", "/feeds/all.atom")
            .header("accept-encoding", "gzip;q=abc, *;q=2, br;q=-1")
            .expect_bare(200),
        // What the HTTP layer refuses before the app sees it: clean refusals.
        raw("200 headers", {
            let mut request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
            for i in 0..200 {
                request.extend_from_slice(format!("X-Flood-{i}: {i}\r\n").as_bytes());
            }
            request.extend_from_slice(b"\r\n");
            request
        })
        .expect_bare(431),
        raw("a 200 KB header", http_request(&format!("GET /healthz HTTP/1.1\r\nX-Big: {}", "a".repeat(200_000))))
            .expect_bare(431),
        raw("a 200 KB URL", http_request(&format!("GET /feeds/all.rss?{} HTTP/1.1", "a".repeat(200_000))))
            .expect_bare(431),
        raw("a NUL in a header", http_request("GET /healthz HTTP/1.1\r\nX-Bad: a\0b")).expect_bare(400),
        raw("negative Content-Length", http_request("POST /api/v1/articles HTTP/1.1\r\nContent-Length: -1")).expect_bare(400),
        raw(
            "two Content-Lengths",
            "POST /api/v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}}",
        )
        .expect_bare(400),
        raw(
            "Content-Length and chunked together",
            "POST /api/v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        )
        .expect_bare(400),
        raw("unknown HTTP version", http_request("GET / HTTP/9.9")).expect_bare(400),
        raw("a TLS handshake on the plain port", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0\0\0\r\n\r\n".to_vec())
            .expect_bare(400),
    ];
    // NUL in every text field: PostgreSQL text cannot hold it, and both
    // engines must answer the same.
    for field in ARTICLE_TEXT_FIELDS {
        let mut article = sample_article("world", "nul");
        let value = article.pointer_mut(field).expect("field");
        let text = value.as_str().expect("text").to_owned();
        *value = json!(format!("{text}\u{0}"));
        rows.push(
            row(format!("NUL in {field}"), "POST", "/api/v1/articles")
                .json(article.clone())
                .expect(422, "validation-failed"),
        );
        if *field == "/external_id" {
            continue; // the PUT's key comes from the path: a row above
        }
        article["external_id"] = Value::Null;
        rows.push(
            row(
                format!("NUL in {field} by PUT"),
                "PUT",
                "/api/v1/articles/by-external-id/nul-put",
            )
            .json(article)
            .expect(422, "validation-failed"),
        );
    }
    for field in ["slug", "name", "description", "copyright"] {
        rows.push(
            row(
                format!("NUL in category {field}"),
                "POST",
                "/api/v1/categories",
            )
            .json(category_with(field, json!("\u{0}x")))
            .expect(422, "validation-failed"),
        );
        rows.push(
            row(
                format!("NUL in category {field} by PUT"),
                "PUT",
                "/api/v1/categories/world",
            )
            .json(category_with(field, json!("x\u{0}")))
            .expect(422, "validation-failed"),
        );
    }
    rows
}

/// What a rejected request must not change: every article and category the
/// write API shows, and the validators of the feeds.
async fn state(app: &TestApp) -> Value {
    let mut etags = Vec::new();
    for path in [
        "/feeds/all.rss",
        "/feeds/world.atom",
        "/api/v1/headlines?category=world",
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        etags.push(
            response.headers()["etag"]
                .to_str()
                .expect("ascii")
                .to_owned(),
        );
    }
    json!({"data": app.snapshot().await, "etags": etags})
}

/// Status of the answer to `request` written on a fresh connection; `None`
/// when the server closed it without answering.
async fn exchange_raw(app: &TestApp, request: Vec<u8>) -> Option<(u16, String)> {
    let address = app.address.trim_start_matches("http://").to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // The server may answer and close before reading everything.
        let _ = stream.write_all(&request);
        let mut response = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buffer[..n]);
            if is_complete(&response) {
                break;
            }
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split(' ').nth(1)?.parse().ok()?;
        Some((status, text))
    })
    .await
    .expect("raw exchange")
}

/// Whether `response` holds a whole head and the body its `Content-Length` announces.
fn is_complete(response: &[u8]) -> bool {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    response.len() >= end + 4 + length
}

/// `request` with the placeholder `TOKEN` replaced by the app's token.
fn with_token(request: &[u8], token: &str) -> Vec<u8> {
    match request.windows(5).position(|w| w == b"TOKEN") {
        Some(at) => [&request[..at], token.as_bytes(), &request[at + 5..]].concat(),
        None => request.to_vec(),
    }
}

async fn check(app: &TestApp, row: &Row, id: i64, revoked: &str) {
    let name = &row.name;
    let (status, content_type, body) = if let Some(request) = &row.raw {
        let (status, text) = exchange_raw(app, with_token(request, &app.token))
            .await
            .unwrap_or_else(|| panic!("{name}: the connection closed with no answer"));
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let content_type = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-type: ")
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        (status, content_type, body.to_owned())
    } else {
        let method = Method::from_bytes(row.method.as_bytes()).expect("method");
        let mut request = app
            .client
            .request(method, app.url(&row.path.replace("{id}", &id.to_string())));
        request = match &row.auth {
            Auth::Token => request.bearer_auth(&app.token),
            Auth::Missing => request,
            Auth::Header(value) => request.header("authorization", value.as_str()),
            Auth::Revoked => request.bearer_auth(revoked),
        };
        for (header, value) in &row.headers {
            request = request.header(*header, value.as_slice());
        }
        if let Some(body) = &row.body {
            request = request.body(body.clone());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let status = response.status().as_u16();
        if status == 401 {
            let challenge = response.headers()["www-authenticate"]
                .to_str()
                .expect("ascii");
            assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
        }
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            response.text().await.unwrap_or_default(),
        )
    };
    assert_eq!(status, row.status, "{name}: {body}");
    if let Some(kind) = row.problem {
        assert_eq!(content_type, "application/problem+json", "{name}");
        let problem: Value = serde_json::from_str(&body).expect("problem JSON");
        assert_eq!(
            problem["type"],
            format!("urn:syndic:problem:{kind}"),
            "{name}: {body}"
        );
        assert_eq!(problem["status"], row.status, "{name}");
    }
}

/// An article whose every text field holds markup, scripts or SQL.
fn nasty_article(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "category": "world",
        "title": "<script>alert('t')</script> ]]> &amp; \u{1}\u{fffe} '; DROP TABLE articles; --",
        "summary": "<img src=x onerror=alert(1)><b>粗</b><iframe src=//evil.example></iframe>",
        "content_html": "<p style=\"x\" onclick=\"steal()\">正文</p><a href=\"javascript:alert(1)\">j</a><a href=\"https://ok.example/\">ok</a><svg><script>alert(2)</script></svg><object data=x></object><form action=//evil.example><input></form>",
        "author": "<img src=x onerror=alert(3)>",
        "contributors": [{"name": "\"><svg onload=alert(4)>", "role": "</dc:creator><evil/>"}],
        "source": {"name": "</source><evil/>", "url": "https://src.example/a?x=<y>&z=\"w\"", "feed_url": "https://src.example/feed?'--"},
        "copyright": "]]><evil/> © Robert'); DROP TABLE categories;--",
        "tags": ["<b>tag</b>", "' OR 1=1 --"],
        "image": {"url": "https://img.example/a.jpg?\"onerror=\"x", "mime_type": "image/jpeg"},
        "published_at": "2025-06-02T00:00:00Z",
    })
}

/// The accepted hostile article is stored as written (plain text) or
/// sanitized (HTML), every feed and page is still well-formed, and the
/// markup never reaches a page unescaped.
async fn check_nasty_article(app: &TestApp) {
    let sent = nasty_article("nasty");
    let response = app
        .send_json(Method::PUT, "/api/v1/articles/by-external-id/nasty", &sent)
        .await;
    assert_eq!(response.status(), 201);
    let stored: Value = app
        .get("/api/v1/articles/by-external-id/nasty")
        .await
        .json()
        .await
        .expect("JSON");
    for field in ["title", "author", "copyright", "tags", "contributors"] {
        assert_eq!(
            stored[field], sent[field],
            "{field} is plain text, stored verbatim"
        );
    }
    assert_eq!(stored["source"]["name"], sent["source"]["name"]);
    for field in ["summary", "content_html"] {
        let html = stored[field].as_str().expect("html");
        for bad in [
            "<script",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "<svg",
            "<object",
            "<form",
            "<input",
            "style=",
        ] {
            assert!(!html.contains(bad), "{field} keeps {bad}: {html}");
        }
    }
    assert!(stored["content_html"]
        .as_str()
        .expect("html")
        .contains("https://ok.example/"));

    // Every table is still there and answers.
    assert_eq!(app.get("/api/v1/articles?limit=100").await.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/categories"))
            .send()
            .await
            .expect("GET")
            .status(),
        200
    );

    let title = sent["title"].as_str().expect("title");
    // XML 1.0 cannot carry U+0001 or U+FFFE: they are dropped from feeds.
    let xml_title: String = title
        .chars()
        .filter(|c| *c != '\u{1}' && *c != '\u{fffe}')
        .collect();
    for path in [
        "/feeds/all.rss",
        "/feeds/world.rss",
        "/feeds/all.atom",
        "/feeds/world.atom",
        "/feeds.opml",
    ] {
        let body = app
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("text");
        let doc = roxmltree::Document::parse(&body)
            .unwrap_or_else(|e| panic!("{path} is not well-formed: {e}"));
        assert!(
            doc.descendants().all(|n| n.tag_name().name() != "evil"),
            "{path} grew an element from data"
        );
        if path.starts_with("/feeds/") {
            let titles: Vec<&str> = doc
                .descendants()
                .filter(|n| {
                    n.has_tag_name("title")
                        && n.parent()
                            .is_some_and(|p| p.has_tag_name("item") || p.has_tag_name("entry"))
                })
                .filter_map(|n| n.text())
                .collect();
            assert!(titles.contains(&xml_title.as_str()), "{path}: {titles:?}");
        }
    }
    let json_feed: Value = app
        .client
        .get(app.url("/feeds/all.json"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON Feed parses");
    assert_eq!(json_feed["items"][0]["title"], sent["title"]);
    // (The widget script only sets `textContent`, so it is not checked here.)
    for path in ["/", "/categories/world", "/embed/world.html"] {
        let response = app.client.get(app.url(path)).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.expect("text");
        for bad in ["<script>alert", "<evil/>", "<img src=x", "<svg onload"] {
            assert!(!body.contains(bad), "{path} carries {bad} unescaped");
        }
    }
    // The Host header does not leak into links.
    let spoofed = app
        .client
        .get(app.url("/feeds/all.rss"))
        .header("host", "evil.example")
        .send()
        .await
        .expect("GET");
    assert_eq!(spoofed.status(), 200);
    assert!(!spoofed.text().await.expect("text").contains("evil.example"));
}

on_both_backends! {
    async fn hostile_requests_get_their_status_and_change_nothing(app: TestApp) {
        app.create_category("world").await;
        let kept = app.create_article(&sample_article("world", "kept")).await;
        let id = kept["id"].as_i64().expect("id");
        let revoked = generate_token();
        {
            let mut conn = app.pool.get().expect("connection");
            syndic::store::create_token(&mut conn, "revoked", &hash_token(&revoked)).expect("token");
            assert!(syndic::store::revoke_token(&mut conn, "revoked").expect("revoke"));
        }
        let rows = rows();
        assert!(rows.len() >= 40, "{} rows", rows.len());
        let before = state(&app).await;
        for row in &rows {
            check(&app, row, id, &revoked).await;
            let healthz = app.client.get(app.url("/healthz")).send().await;
            assert!(healthz.is_ok_and(|r| r.status() == 200), "{}: the server still answers", row.name);
            // 2xx rows are reads; every row must leave everything as it was.
            assert_eq!(state(&app).await, before, "{} changed something", row.name);
        }
        check_nasty_article(&app).await;
    }
}
