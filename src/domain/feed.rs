//! Feed identity: which feed a URL names (its name and format), what
//! content it is made of (its scope), and the URLs built from them. The
//! reserved name of the site-wide feeds lives here and nowhere else.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{AbsoluteUrl, Slug};

/// The name of the site-wide feeds (`/feeds/all.rss`); no category may take it.
pub const SITE_FEED_NAME: &str = "all";

/// A format every feed is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    /// Every format, in the order directories list them.
    pub const ALL: [Self; 3] = [Self::Rss, Self::Atom, Self::Json];

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.extension() == extension)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Rss => "rss",
            Self::Atom => "atom",
            Self::Json => "json",
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The media type alone, for `<link type>` and OPML.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml",
            Self::Atom => "application/atom+xml",
            Self::Json => "application/feed+json",
        }
    }

    /// The format's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Rss => "RSS",
            Self::Atom => "Atom",
            Self::Json => "JSON Feed",
        }
    }
}

/// What a facet feed gathers articles by: one of their tags, their author
/// or the outlet they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacetKind {
    Tag,
    Author,
    Source,
}

impl FacetKind {
    pub const ALL: [Self; 3] = [Self::Tag, Self::Author, Self::Source];

    /// The path segment before the value: `/feeds/tags/{tag}.rss`.
    pub fn path_segment(self) -> &'static str {
        match self {
            Self::Tag => "tags",
            Self::Author => "authors",
            Self::Source => "sources",
        }
    }

    pub fn from_path_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.path_segment() == segment)
    }

    /// The name stored in the database (`article_facets.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tag => "tag",
            Self::Author => "author",
            Self::Source => "source",
        }
    }
}

/// One tag, author or source name, exactly as stored: the content of a
/// facet feed. Cheap to clone (the cache keys versions by it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Facet {
    kind: FacetKind,
    value: Arc<str>,
}

impl Facet {
    /// Any non-empty text without NUL (what article input accepts) names a
    /// facet; one that no article carries is an empty feed, not an error.
    pub fn new(kind: FacetKind, value: &str) -> Option<Self> {
        (!value.is_empty() && !value.contains('\0')).then(|| Self {
            kind,
            value: value.into(),
        })
    }

    pub fn kind(&self) -> FacetKind {
        self.kind
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// A fixed-size key for the value: what indexes and the change log hold,
    /// since a value may be longer than PostgreSQL can index (about 2.7 kB).
    /// The first 8 bytes of SHA-256 over kind and value; lookups compare the
    /// value too, so a collision can only cost an extra invalidation.
    pub fn key(&self) -> i64 {
        let mut hasher = Sha256::new();
        hasher.update(self.kind.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(self.value.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// The name part of a feed URL: the whole site, one category, or a facet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedName {
    Site,
    Category(Slug),
    Facet(Facet),
}

impl FeedName {
    /// `all` or a valid slug; anything else names no feed.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == SITE_FEED_NAME {
            Some(Self::Site)
        } else {
            Slug::parse(raw).ok().map(Self::Category)
        }
    }

    /// The URL of this feed's first page in `format`.
    pub fn url(&self, base: &AbsoluteUrl, format: FeedFormat) -> String {
        match self {
            Self::Site => feed_url(base, SITE_FEED_NAME, format),
            Self::Category(slug) => feed_url(base, slug.as_str(), format),
            Self::Facet(facet) => facet_feed_url(base, facet, format),
        }
    }
}

/// Characters left as they are in a facet's path segment: RFC 3986's
/// unreserved set. Everything else, UTF-8 included, is percent-encoded.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The URL of the first page of a facet feed: `{base}feeds/tags/{value}.rss`.
pub fn facet_feed_url(base: &AbsoluteUrl, facet: &Facet, format: FeedFormat) -> String {
    let value = percent_encoding::utf8_percent_encode(facet.value(), PATH_SEGMENT);
    format!(
        "{base}feeds/{}/{value}.{}",
        facet.kind.path_segment(),
        format.extension()
    )
}

/// The URL of the first page of feed `name` under `base` (which ends in `/`).
pub fn feed_url(base: &AbsoluteUrl, name: &str, format: FeedFormat) -> String {
    // `name` is `all` or a slug, so plain concatenation is a valid URL; this
    // runs on every poll.
    format!("{base}feeds/{name}.{}", format.extension())
}

/// What content a response is made of: the unit queries filter by and the
/// cache invalidates by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything: site-wide feeds, OPML, the index page.
    Site,
    /// One category's articles and metadata, by category id.
    Category(i64),
    /// The live articles carrying one tag, author or source name.
    Facet(Facet),
}

/// An article that left a scope (deleted, unpublished, moved, retagged),
/// and when: an RFC 6721 deleted entry of that scope's feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    pub article_id: i64,
    pub deleted_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_formats_round_trip_through_urls() {
        let base = AbsoluteUrl::parse("https://feeds.example.cn/").expect("valid");
        for format in FeedFormat::ALL {
            assert_eq!(FeedFormat::from_extension(format.extension()), Some(format));
            assert!(format.content_type().starts_with(format.media_type()));
        }
        assert_eq!(FeedName::parse("all"), Some(FeedName::Site));
        let local = FeedName::parse("local").expect("a slug");
        assert_eq!(
            local.url(&base, FeedFormat::Atom),
            "https://feeds.example.cn/feeds/local.atom"
        );
        assert_eq!(FeedName::parse("Not A Slug"), None);
        let tag = Facet::new(FacetKind::Tag, "新闻 & <评论>/😀").expect("a tag");
        assert_eq!(
            FeedName::Facet(tag).url(&base, FeedFormat::Rss),
            "https://feeds.example.cn/feeds/tags/%E6%96%B0%E9%97%BB%20%26%20%3C%E8%AF%84%E8%AE%BA%3E%2F%F0%9F%98%80.rss"
        );
        assert_eq!(Facet::new(FacetKind::Author, ""), None);
        assert_eq!(FeedFormat::from_extension("xml"), None);
    }

    #[test]
    fn facet_keys_tell_kinds_and_values_apart() {
        let key = |kind, value| Facet::new(kind, value).expect("valid").key();
        assert_eq!(key(FacetKind::Tag, "南宁"), key(FacetKind::Tag, "南宁"));
        assert_ne!(key(FacetKind::Tag, "南宁"), key(FacetKind::Author, "南宁"));
        assert_ne!(key(FacetKind::Tag, "南宁"), key(FacetKind::Tag, "南宁 "));
    }
}
