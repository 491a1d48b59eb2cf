//! Rendered responses kept in memory with their compressed forms, so a warm
//! `200` or a `304` costs no query and no rendering. Entries are tagged with
//! the version of the scope they were rendered from; a write to a scope bumps
//! its version (a category's writes never touch another category's feeds).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::Category;

/// Which content a cached response was rendered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything: site-wide feeds, OPML, the index page.
    Site,
    /// One category's articles and metadata, by category id.
    Category(i64),
}

/// A content encoding syndic can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The best encoding an `Accept-Encoding` header allows: brotli, then
    /// gzip, then identity. Members with `q=0` are refused.
    pub fn negotiate(accept_encoding: Option<&str>) -> Self {
        let Some(header) = accept_encoding else {
            return Self::Identity;
        };
        let mut gzip = false;
        let mut brotli = false;
        for member in header.split(',') {
            let mut parts = member.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match name.as_str() {
                "br" => brotli = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    brotli = true;
                    gzip = true;
                }
                _ => {}
            }
        }
        if brotli {
            Self::Brotli
        } else if gzip {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    /// The `Content-Encoding` value, `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }
}

/// One rendered representation and what it was rendered from.
#[derive(Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Bytes,
    /// Opaque part of the weak ETag: a digest of the body, so equal bodies
    /// have equal tags on every node and after restarts, whatever the encoding.
    pub etag: String,
    /// Newest change that affects the body (for `Last-Modified`).
    pub updated: DateTime<Utc>,
    /// When a scheduled article goes live and the body must be rendered again.
    pub valid_until: Option<DateTime<Utc>>,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Rendered {
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        updated: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
    ) -> Self {
        let digest = Sha256::digest(&body);
        Self {
            content_type,
            etag: URL_SAFE_NO_PAD.encode(&digest[..16]),
            body: Bytes::from(body),
            updated,
            valid_until,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body in `encoding`, compressed once and kept.
    pub fn encoded(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.body.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.body)).clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.body)).clone(),
        }
    }

    /// Bytes charged against the cache bound: the body, and as much again
    /// for its compressed forms, which are made later and are smaller.
    fn charge(&self) -> usize {
        2 * self.body.len()
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    Bytes::from(out)
}

/// Version of a scope: (site-wide epoch, scope counter).
pub type Version = (u64, u64);

struct Entry {
    rendered: Arc<Rendered>,
    /// What `put` added to `used_bytes` for this entry.
    charge: usize,
    version: Version,
    last_used: AtomicU64,
}

/// The cache of rendered responses, shared by all workers.
pub struct ResponseCache {
    entries: RwLock<HashMap<String, Entry>>,
    /// Bumped by a change that affects every feed (site settings, or a
    /// notification that may have been missed).
    epoch: AtomicU64,
    /// Bumped by any change at all: the site scope's counter.
    site: AtomicU64,
    categories: RwLock<HashMap<i64, u64>>,
    /// Every category, as of the site version it was read at.
    categories_list: RwLock<Option<(Version, Arc<Vec<Category>>)>>,
    max_bytes: usize,
    used_bytes: AtomicUsize,
    clock: AtomicU64,
}

impl ResponseCache {
    /// A cache holding at most about `max_bytes` of bodies.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: RwLock::default(),
            epoch: AtomicU64::new(0),
            site: AtomicU64::new(0),
            categories: RwLock::default(),
            categories_list: RwLock::default(),
            max_bytes,
            used_bytes: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
        }
    }

    /// The current version of `scope`; read it before querying, so that a
    /// write landing during rendering leaves the entry already stale.
    pub fn version(&self, scope: Scope) -> Version {
        let epoch = self.epoch.load(Ordering::Acquire);
        let counter = match scope {
            Scope::Site => self.site.load(Ordering::Acquire),
            Scope::Category(id) => self
                .categories
                .read()
                .map(|c| c.get(&id).copied().unwrap_or(0))
                .unwrap_or(0),
        };
        (epoch, counter)
    }

    /// A fresh entry for `key`, if there is one still valid at `now`.
    pub fn get(&self, key: &str, scope: Scope, now: DateTime<Utc>) -> Option<Arc<Rendered>> {
        let current = self.version(scope);
        let found = self.entries.read().ok().and_then(|entries| {
            let entry = entries.get(key)?;
            let fresh =
                entry.version == current && entry.rendered.valid_until.is_none_or(|t| now < t);
            fresh.then(|| {
                entry.last_used.store(
                    self.clock.fetch_add(1, Ordering::Relaxed),
                    Ordering::Relaxed,
                );
                entry.rendered.clone()
            })
        });
        found
    }

    /// Stores what was rendered from `scope` at `version`.
    pub fn put(&self, key: String, version: Version, rendered: Arc<Rendered>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        let size = rendered.charge();
        let entry = Entry {
            rendered,
            charge: size,
            version,
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
        };
        if let Some(old) = entries.insert(key, entry) {
            self.used_bytes.fetch_sub(old.charge, Ordering::Relaxed);
        }
        let used = self.used_bytes.fetch_add(size, Ordering::Relaxed) + size;
        if used > self.max_bytes {
            self.evict(&mut entries);
        }
    }

    /// Drops the least recently used entries until the cache is at most
    /// three quarters full.
    fn evict(&self, entries: &mut HashMap<String, Entry>) {
        let mut by_age: Vec<(u64, String)> = entries
            .iter()
            .map(|(key, e)| (e.last_used.load(Ordering::Relaxed), key.clone()))
            .collect();
        by_age.sort_unstable();
        let target = self.max_bytes / 4 * 3;
        for (_, key) in by_age {
            if self.used_bytes.load(Ordering::Relaxed) <= target {
                break;
            }
            if let Some(old) = entries.remove(&key) {
                self.used_bytes.fetch_sub(old.charge, Ordering::Relaxed);
            }
        }
    }

    /// Every category, when none changed since it was stored.
    pub fn categories(&self) -> Option<Arc<Vec<Category>>> {
        let current = self.version(Scope::Site);
        let slot = self.categories_list.read().ok()?;
        slot.as_ref()
            .filter(|(version, _)| *version == current)
            .map(|(_, list)| list.clone())
    }

    /// Keeps the category list read at `version`.
    pub fn put_categories(&self, version: Version, categories: Arc<Vec<Category>>) {
        if let Ok(mut slot) = self.categories_list.write() {
            *slot = Some((version, categories));
        }
    }

    /// Records that the given categories changed (`None`: everything did).
    pub fn invalidate(&self, touched: &[Option<i64>]) {
        if touched.is_empty() {
            return;
        }
        if let Ok(mut categories) = self.categories.write() {
            for category in touched {
                match category {
                    Some(id) => *categories.entry(*id).or_insert(0) += 1,
                    None => {
                        self.epoch.fetch_add(1, Ordering::AcqRel);
                    }
                }
            }
        }
        self.site.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets everything (after missed notifications, say).
    pub fn invalidate_all(&self) {
        self.invalidate(&[None]);
    }

    /// Bytes held now.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(body: &str) -> Arc<Rendered> {
        Arc::new(Rendered::new(
            "text/plain",
            body.as_bytes().to_vec(),
            Utc::now(),
            None,
        ))
    }

    #[test]
    fn a_write_to_one_category_leaves_the_others_cached() {
        let cache = ResponseCache::new(1 << 20);
        let now = Utc::now();
        for (key, scope) in [
            ("a", Scope::Category(1)),
            ("b", Scope::Category(2)),
            ("all", Scope::Site),
        ] {
            cache.put(key.into(), cache.version(scope), rendered(key));
        }
        cache.invalidate(&[Some(1)]);
        assert!(cache.get("a", Scope::Category(1), now).is_none());
        assert!(cache.get("b", Scope::Category(2), now).is_some());
        assert!(
            cache.get("all", Scope::Site, now).is_none(),
            "the site-wide feed holds every category"
        );
        cache.invalidate_all();
        assert!(cache.get("b", Scope::Category(2), now).is_none());
    }

    #[test]
    fn entries_expire_when_a_scheduled_article_goes_live() {
        let cache = ResponseCache::new(1 << 20);
        let now = Utc::now();
        let soon = now + chrono::Duration::seconds(5);
        let entry = Arc::new(Rendered::new("text/plain", b"x".to_vec(), now, Some(soon)));
        cache.put("k".into(), cache.version(Scope::Site), entry);
        assert!(cache.get("k", Scope::Site, now).is_some());
        assert!(cache.get("k", Scope::Site, soon).is_none());
    }

    #[test]
    fn the_memory_bound_evicts_least_recently_used() {
        let cache = ResponseCache::new(2000);
        let now = Utc::now();
        for i in 0..20 {
            let entry = rendered(&"x".repeat(100));
            entry.encoded(Encoding::Gzip);
            cache.put(format!("k{i}"), cache.version(Scope::Site), entry);
        }
        assert!(cache.used_bytes() <= 2000);
        assert!(cache.get("k19", Scope::Site, now).is_some());
        assert!(cache.get("k0", Scope::Site, now).is_none());
    }

    #[test]
    fn etags_depend_on_content_only() {
        assert_eq!(rendered("same").etag, rendered("same").etag);
        assert_ne!(rendered("same").etag, rendered("other").etag);
    }

    #[test]
    fn encodings_are_negotiated_with_q_values() {
        use Encoding::*;
        for (header, expected) in [
            (None, Identity),
            (Some("gzip"), Gzip),
            (Some("gzip, deflate, br"), Brotli),
            (Some("br;q=0, gzip"), Gzip),
            (Some("identity"), Identity),
            (Some("*"), Brotli),
            (Some("GZIP;q=0.5"), Gzip),
        ] {
            assert_eq!(Encoding::negotiate(header), expected, "{header:?}");
        }
    }
}
