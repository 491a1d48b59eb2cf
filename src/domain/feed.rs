//! Feed identity: which feed a URL names (its name and format), what
//! content it is made of (its scope), and the URLs built from them. The
//! reserved name of the site-wide feeds lives here and nowhere else.

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

/// The name part of a feed URL: the whole site or one category.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedName {
    Site,
    Category(Slug),
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

    pub fn as_str(&self) -> &str {
        match self {
            Self::Site => SITE_FEED_NAME,
            Self::Category(slug) => slug.as_str(),
        }
    }

    /// The URL of this feed's first page in `format`.
    pub fn url(&self, base: &AbsoluteUrl, format: FeedFormat) -> String {
        feed_url(base, self.as_str(), format)
    }
}

/// The URL of the first page of feed `name` under `base` (which ends in `/`).
pub fn feed_url(base: &AbsoluteUrl, name: &str, format: FeedFormat) -> String {
    // `name` is `all` or a slug, so plain concatenation is a valid URL; this
    // runs on every poll.
    format!("{base}feeds/{name}.{}", format.extension())
}

/// What content a response is made of: the unit queries filter by and the
/// cache invalidates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything: site-wide feeds, OPML, the index page.
    Site,
    /// One category's articles and metadata, by category id.
    Category(i64),
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
        assert_eq!(FeedFormat::from_extension("xml"), None);
    }
}
