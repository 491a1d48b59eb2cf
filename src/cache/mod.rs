//! Rendered responses kept in memory with their compressed forms, so a warm
//! `200` or a `304` costs no query and no rendering.
//!
//! Entries live in a moka cache bounded by bytes (least recently used out
//! first) and are tagged with the version of the scope they were rendered
//! from; a write to a scope bumps its version, so a category's writes never
//! touch another category's feeds. The [`ChangeWatcher`] turns the change
//! log into those bumps.

mod rendered;
mod watcher;

pub use rendered::{Encoding, Rendered};
pub use watcher::ChangeWatcher;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use crate::domain::{Category, Scope};
use crate::store::Touched;

/// Version of a scope: (site-wide epoch, scope counter).
pub type Version = (u64, u64);

/// What the cache holds per URL.
#[derive(Clone)]
struct Entry {
    rendered: Arc<Rendered>,
    version: Version,
}

/// Bytes an entry is charged beyond its key and bodies (moka's and ours).
const ENTRY_OVERHEAD: usize = 256;

/// The cache of rendered responses, shared by all workers.
pub struct ResponseCache {
    entries: Cache<String, Entry>,
    /// Bumped by a change that affects every feed (site settings, or a
    /// notification that may have been missed).
    epoch: AtomicU64,
    /// Bumped by any change at all: the site scope's counter.
    site: AtomicU64,
    /// Counters of the categories and facets written since start (absent: 0).
    /// Grows with the distinct values written, never with the URLs asked.
    scopes: RwLock<HashMap<Touched, u64>>,
    /// Every category, as of the site version it was read at.
    categories_list: RwLock<Option<(Version, Arc<Vec<Category>>)>>,
}

impl ResponseCache {
    /// A cache holding at most about `max_bytes` of keys and bodies.
    pub fn new(max_bytes: usize) -> Self {
        let entries = Cache::builder()
            .max_capacity(max_bytes as u64)
            .eviction_policy(EvictionPolicy::lru())
            .weigher(|key: &String, entry: &Entry| {
                let charge = key.len() + entry.rendered.charge() + ENTRY_OVERHEAD;
                u32::try_from(charge).unwrap_or(u32::MAX)
            })
            .build();
        Self {
            entries,
            epoch: AtomicU64::new(0),
            site: AtomicU64::new(0),
            scopes: RwLock::default(),
            categories_list: RwLock::default(),
        }
    }

    /// The current version of `scope`; read it before querying, so that a
    /// write landing during rendering leaves the entry already stale.
    pub fn version(&self, scope: &Scope) -> Version {
        let epoch = self.epoch.load(Ordering::Acquire);
        let touched = match scope {
            Scope::Site => return (epoch, self.site.load(Ordering::Acquire)),
            Scope::Category(id) => Touched::Category(*id),
            Scope::Facet(facet) => Touched::Facet(facet.key()),
        };
        let counter = self
            .scopes
            .read()
            .map(|c| c.get(&touched).copied().unwrap_or(0))
            .unwrap_or(0);
        (epoch, counter)
    }

    /// A fresh entry for `key`, if there is one still valid at `now`.
    pub fn get(&self, key: &str, scope: &Scope, now: DateTime<Utc>) -> Option<Arc<Rendered>> {
        let entry = self.entries.get(key)?;
        let fresh = entry.version == self.version(scope)
            && entry.rendered.valid_until.is_none_or(|t| now < t);
        fresh.then_some(entry.rendered)
    }

    /// Stores what was rendered from a scope at `version`.
    pub fn put(&self, key: String, version: Version, rendered: Arc<Rendered>) {
        self.entries.insert(key, Entry { rendered, version });
    }

    /// Every category, when none changed since it was stored.
    pub fn categories(&self) -> Option<Arc<Vec<Category>>> {
        let current = self.version(&Scope::Site);
        let slot = self.categories_list.read().ok()?;
        slot.as_ref()
            .filter(|(version, _)| *version == current)
            .map(|(_, list)| list.clone())
    }

    /// Every category: the stored list while none changed, else what `load`
    /// reads, kept under the version read before it (so a change landing
    /// meanwhile leaves it stale, never wrong).
    pub fn categories_or_load<E>(
        &self,
        load: impl FnOnce() -> Result<Vec<Category>, E>,
    ) -> Result<Arc<Vec<Category>>, E> {
        if let Some(categories) = self.categories() {
            return Ok(categories);
        }
        let version = self.version(&Scope::Site);
        let categories = Arc::new(load()?);
        if let Ok(mut slot) = self.categories_list.write() {
            *slot = Some((version, categories.clone()));
        }
        Ok(categories)
    }

    /// Records that the given scopes changed; any change at all changes
    /// what the site-wide responses may show.
    pub fn invalidate(&self, touched: &[Touched]) {
        if touched.is_empty() {
            return;
        }
        if let Ok(mut scopes) = self.scopes.write() {
            for scope in touched {
                match scope {
                    Touched::Everything => {
                        self.epoch.fetch_add(1, Ordering::AcqRel);
                    }
                    other => *scopes.entry(*other).or_insert(0) += 1,
                }
            }
        }
        self.site.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets everything (after missed notifications, say).
    pub fn invalidate_all(&self) {
        self.invalidate(&[Touched::Everything]);
    }

    /// Bytes held now (after moka's pending bookkeeping).
    #[cfg(test)]
    fn used_bytes(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(value: &str) -> crate::domain::Facet {
        crate::domain::Facet::new(crate::domain::FacetKind::Tag, value).expect("a tag")
    }

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
            ("t", Scope::Facet(tag("南宁"))),
            ("u", Scope::Facet(tag("湿地"))),
        ] {
            cache.put(key.into(), cache.version(&scope), rendered(key));
        }
        cache.invalidate(&[Touched::Category(1), Touched::Facet(tag("南宁").key())]);
        assert!(cache.get("a", &Scope::Category(1), now).is_none());
        assert!(cache.get("b", &Scope::Category(2), now).is_some());
        assert!(cache.get("t", &Scope::Facet(tag("南宁")), now).is_none());
        assert!(cache.get("u", &Scope::Facet(tag("湿地")), now).is_some());
        assert!(
            cache.get("all", &Scope::Site, now).is_none(),
            "the site-wide feed holds every category"
        );
        cache.invalidate_all();
        assert!(cache.get("b", &Scope::Category(2), now).is_none());
        assert!(cache.get("u", &Scope::Facet(tag("湿地")), now).is_none());
    }

    #[test]
    fn entries_expire_when_a_scheduled_article_goes_live() {
        let cache = ResponseCache::new(1 << 20);
        let now = Utc::now();
        let soon = now + chrono::Duration::seconds(5);
        let entry = Arc::new(Rendered::new("text/plain", b"x".to_vec(), now, Some(soon)));
        cache.put("k".into(), cache.version(&Scope::Site), entry);
        assert!(cache.get("k", &Scope::Site, now).is_some());
        assert!(cache.get("k", &Scope::Site, soon).is_none());
    }

    /// Fills the cache past its bound after reading its oldest entry: a
    /// least-recently-used cache keeps that entry and drops the next
    /// oldest; a first-in-first-out cache would drop the entry read.
    #[test]
    fn the_memory_bound_evicts_least_recently_used() {
        let body = "x".repeat(1000);
        let one = 2 * body.len() + 2 + ENTRY_OVERHEAD;
        let cache = ResponseCache::new(10 * one);
        let now = Utc::now();
        for i in 0..8 {
            cache.put(
                format!("k{i}"),
                cache.version(&Scope::Site),
                rendered(&body),
            );
        }
        cache.entries.run_pending_tasks();
        assert!(cache.get("k0", &Scope::Site, now).is_some(), "k0 is read");
        cache.entries.run_pending_tasks();
        for i in 8..14 {
            cache.put(
                format!("k{i}"),
                cache.version(&Scope::Site),
                rendered(&body),
            );
            cache.entries.run_pending_tasks();
        }
        assert!(cache.used_bytes() <= 10 * one as u64);
        assert!(
            cache.get("k0", &Scope::Site, now).is_some(),
            "recently read"
        );
        assert!(
            cache.get("k1", &Scope::Site, now).is_none(),
            "least recently used"
        );
        assert!(cache.get("k13", &Scope::Site, now).is_some(), "just stored");
    }
}
