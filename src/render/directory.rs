//! What the OPML file and the index pages list: the site-wide feeds and each
//! category's, in the three formats.

use chrono::{DateTime, Utc};

use super::facet_feed_title;
use crate::domain::{
    facet_feed_url, feed_url, AbsoluteUrl, Category, Facet, FeedFormat, SiteSettings,
    SITE_FEED_NAME,
};

/// Everything a directory of the feeds shows.
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    /// The publishing site.
    pub site: &'a SiteSettings,
    /// The service's public URL; every feed URL starts with it.
    pub base_url: &'a AbsoluteUrl,
    /// Every category, ordered by slug.
    pub categories: &'a [Category],
    /// The tags the site lists (`--opml-tags`), most used first.
    pub tags: &'a [Facet],
    /// The first change recorded (OPML `dateCreated`).
    pub created: DateTime<Utc>,
    /// The newest change to what is listed, not the clock (OPML `dateModified`).
    pub updated: DateTime<Utc>,
}

/// One feed in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// The format's name for people: `RSS`, `Atom`, `JSON Feed`.
    pub format: &'static str,
    /// The feed's media type, for `<link type>`.
    pub media_type: &'static str,
    /// The feed's absolute URL.
    pub url: String,
    /// The feed's title, as the feed itself gives it.
    pub title: String,
}

impl Directory<'_> {
    /// The site-wide feeds.
    pub fn site_feeds(&self) -> Vec<FeedLink> {
        self.feeds(SITE_FEED_NAME, &self.site.title)
    }

    /// A category's feeds, titled as the feeds are: "{name} - {site title}".
    pub fn category_feeds(&self, category: &Category) -> Vec<FeedLink> {
        let title = format!("{} - {}", category.fields.name, self.site.title);
        self.feeds(category.slug.as_str(), &title)
    }

    /// A tag's feeds, titled as the feeds are: "标签：{tag} - {site title}".
    pub fn tag_feeds(&self, tag: &Facet) -> Vec<FeedLink> {
        let title = facet_feed_title(self.site, tag);
        FeedFormat::ALL
            .into_iter()
            .map(|format| FeedLink {
                format: format.label(),
                media_type: format.media_type(),
                url: facet_feed_url(self.base_url, tag, format),
                title: title.clone(),
            })
            .collect()
    }

    /// The OPML file.
    pub fn opml_url(&self) -> String {
        self.url("feeds.opml")
    }

    /// A category's page on this service.
    pub fn category_page_url(&self, category: &Category) -> String {
        self.url(&format!("categories/{}", category.slug))
    }

    /// The index page.
    pub fn index_url(&self) -> String {
        self.base_url.as_str().to_owned()
    }

    /// `path` under the service's public URL.
    pub fn url(&self, path: &str) -> String {
        self.base_url.join(path).as_str().to_owned()
    }

    fn feeds(&self, name: &str, title: &str) -> Vec<FeedLink> {
        FeedFormat::ALL
            .into_iter()
            .map(|format| FeedLink {
                format: format.label(),
                media_type: format.media_type(),
                url: feed_url(self.base_url, name, format),
                title: title.to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn feed_urls_start_with_the_base_url() {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let base = fixtures::url("https://feeds.example.cn/syndic/");
        let directory = Directory {
            site: &site,
            base_url: &base,
            categories: &categories,
            tags: &[],
            created: fixtures::at(0),
            updated: fixtures::at(0),
        };
        let urls: Vec<String> = directory
            .category_feeds(&categories[0])
            .into_iter()
            .map(|f| f.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://feeds.example.cn/syndic/feeds/world.rss",
                "https://feeds.example.cn/syndic/feeds/world.atom",
                "https://feeds.example.cn/syndic/feeds/world.json",
            ]
        );
        assert_eq!(
            directory.site_feeds()[2].media_type,
            "application/feed+json"
        );
        assert_eq!(
            directory.opml_url(),
            "https://feeds.example.cn/syndic/feeds.opml"
        );
    }
}
