//! Pure rendering: domain values → feed bytes (RSS 2.0, Atom 1.0, JSON Feed
//! 1.1), and the partner and directory documents (headlines JSON, embed
//! script and page, OPML, index pages). No database, no HTTP, no clock: the same [`Feed`] always gives the
//! same bytes, so ETags computed from them agree across restarts and nodes.
//!
//! Escaping is left to the `rss` and `atom_syndication` crates; what they
//! cannot do is drop the characters XML 1.0 forbids, so every text that goes
//! into XML passes [`xml_safe`] first. JSON output keeps text byte for byte.

mod atom;
mod json_feed;
mod rss;

mod directory;
mod embed;
mod headlines;
mod html;
mod index;
mod opml;

pub use directory::{Directory, FeedLink};
pub use embed::{embed_page, embed_script};
pub use headlines::{headlines_json, Headlines};
pub use index::{category_page, index_page};
pub use opml::opml;

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::{
    Article, Category, Contributor, Facet, FacetKind, SiteSettings, Source, Tombstone,
};

/// Everything one feed document shows.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    /// The publishing site.
    pub site: &'a SiteSettings,
    /// The category of a per-category feed; None for the site-wide feed.
    pub category: Option<&'a Category>,
    /// The tag, author or source of a facet feed.
    pub facet: Option<&'a Facet>,
    /// Articles that left the feed lately (RFC 6721), newest first.
    pub deleted: &'a [Tombstone],
    /// Every category, to find each item's category name and copyright (look up by slug).
    pub categories: &'a [Category],
    /// Items, already ordered newest first.
    pub items: &'a [Article],
    /// The feed's own links.
    pub links: FeedLinks,
    /// WebSub hub URLs (may be empty).
    pub hubs: &'a [String],
    /// Newest change affecting this feed (NOT the clock): RSS lastBuildDate, Atom <updated>.
    pub updated: DateTime<Utc>,
    /// RSS <ttl>, minutes.
    pub ttl_minutes: u32,
}

/// The URLs a feed document points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLinks {
    /// The URL requested, query included: rss atom:link rel=self, Atom link rel=self, JSON Feed feed_url.
    pub self_url: String,
    /// The HTML page: RSS <link>, Atom rel=alternate, JSON Feed home_page_url.
    pub alternate: String,
    /// RFC 5005 paging: the first page (RSS atom:link / Atom link rel=first).
    pub first: String,
    /// RFC 5005 paging: the last page (rel=last).
    pub last: String,
    /// RFC 5005 paging: the next (older) page, if any (rel=next; JSON Feed next_url).
    pub next: Option<String>,
    /// RFC 5005 paging: the previous (newer) page, if any (rel=previous).
    pub previous: Option<String>,
}

/// Renders the feed as RSS 2.0 (with the atom, content and dc namespaces).
pub fn rss(feed: &Feed<'_>) -> Vec<u8> {
    rss::render(feed)
}

/// Renders the feed as Atom 1.0.
pub fn atom(feed: &Feed<'_>) -> Vec<u8> {
    atom::render(feed)
}

/// Renders the feed as JSON Feed 1.1 with the `_syndic` extension.
pub fn json_feed(feed: &Feed<'_>) -> Vec<u8> {
    json_feed::render(feed)
}

/// Text with the characters XML 1.0 forbids removed (borrowed when nothing to drop).
///
/// Kept: tab, line feed, carriage return and everything in XML 1.0's `Char`
/// production; dropped: the other C0 controls, U+FFFE and U+FFFF (surrogates
/// cannot occur in a Rust string).
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    if has_forbidden_char(text) {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// The text of a stored HTML fragment, for fields that are plain text
/// (JSON Feed's `summary`): tags dropped, character references decoded.
/// Borrowed when there is no markup at all.
pub fn plain_text(html: &str) -> Cow<'_, str> {
    static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::empty);
    if !html.contains(['<', '&']) {
        return Cow::Borrowed(html);
    }
    let text = TEXT_ONLY.clean(html).to_string();
    // Only text nodes are left, and the HTML serializer escapes just these
    // four in text; `&amp;` last, so that an escaped `&lt;` stays literal.
    Cow::Owned(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&nbsp;", "\u{a0}")
            .replace("&amp;", "&"),
    )
}

/// An RFC 2822 date (RSS). Years outside 0000–9999 cannot be written in it
/// (chrono panics), and input validation refuses them, but a row stored
/// before that check must not break a feed: such times are clamped.
pub fn rfc2822(time: DateTime<Utc>) -> String {
    let at = |year, month, day, hms: (u32, u32, u32)| {
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|date| date.and_hms_opt(hms.0, hms.1, hms.2))
            .map(|naive| naive.and_utc())
    };
    let clamped = match time.year() {
        ..=-1 => at(0, 1, 1, (0, 0, 0)),
        10000.. => at(9999, 12, 31, (23, 59, 59)),
        _ => None,
    };
    clamped.unwrap_or(time).to_rfc2822()
}

/// The article's page: its `url`, else site.url joined with `articles/{id}`.
pub fn article_url(site: &SiteSettings, article: &Article) -> String {
    match &article.fields.url {
        Some(url) => url.as_str().to_owned(),
        None => site
            .url
            .join(&format!("articles/{}", article.id))
            .as_str()
            .to_owned(),
    }
}

/// Article copyright, else its category's, else site default_copyright.
///
/// Blank strings count as absent, so a blank override never hides the next one.
pub fn effective_copyright<'a>(
    site: &'a SiteSettings,
    category: Option<&'a Category>,
    article: &'a Article,
) -> Option<&'a str> {
    non_blank(article.fields.copyright.as_deref())
        .or_else(|| non_blank(category.and_then(|c| c.fields.copyright.as_deref())))
        .or_else(|| non_blank(site.default_copyright.as_deref()))
}

/// The year in every `tag:` URI minted by syndic. It is part of the ids, so
/// it must never change.
const TAG_YEAR: &str = "2026";

/// The generator named in RSS and Atom.
const GENERATOR: &str = "syndic";

/// Bytes [`xml_safe`] would have to drop: C0 controls other than tab, LF and
/// CR (one byte each in UTF-8), and U+FFFE / U+FFFF (EF BF BE / EF BF BF).
///
/// Every feed body passes through here, so it scans fixed-size chunks with
/// no early exit inside a chunk (which the compiler turns into SIMD), and
/// looks closer only at a chunk holding EF BF (the start of U+FFC0..U+FFFF,
/// rare in any text) or ending in EF. EF alone is common: CJK full-width
/// punctuation starts with it.
fn has_forbidden_char(text: &str) -> bool {
    const CHUNK: usize = 64;
    let bytes = text.as_bytes();
    bytes.chunks(CHUNK).enumerate().any(|(n, chunk)| {
        let control = chunk.iter().fold(false, |found, &b| {
            found | (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r')
        });
        let next = chunk.get(1..).unwrap_or_default();
        let lead_pair = chunk
            .iter()
            .zip(next)
            .fold(false, |found, (&a, &b)| found | (a == 0xEF && b == 0xBF));
        let suspect = lead_pair || chunk.last() == Some(&0xEF);
        control
            || (suspect
                && has_noncharacter(bytes.get(n * CHUNK..).unwrap_or_default(), chunk.len()))
    })
}

/// Whether U+FFFE or U+FFFF starts within the first `len` bytes of `bytes`.
fn has_noncharacter(bytes: &[u8], len: usize) -> bool {
    bytes
        .windows(3)
        .take(len)
        .any(|w| w == [0xEF, 0xBF, 0xBE] || w == [0xEF, 0xBF, 0xBF])
}

/// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// A guess at the rendered size, so the output buffer is allocated once.
fn estimated_size(feed: &Feed<'_>) -> usize {
    let text: usize = feed
        .items
        .iter()
        .map(|a| {
            let fields = &a.fields;
            fields.content_html.as_ref().map_or(0, String::len)
                + fields.summary.as_ref().map_or(0, String::len)
        })
        .sum();
    // Atom escapes markup, which grows it by about a quarter; each item's
    // other elements take well under 2 KB.
    text + text / 4 + 2_048 * (feed.items.len() + 1)
}

/// [`xml_safe`] as an owned string, for the crates' owned fields.
fn xml_text(text: &str) -> String {
    xml_safe(text).into_owned()
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

/// The stable id of an article: RSS guid, Atom entry id and JSON Feed item id.
/// It comes from the site's host and the article's id only, so editing the
/// article never changes it.
fn article_id(site: &SiteSettings, article: &Article) -> String {
    entry_id(site, article.id)
}

/// [`article_id`] from the id alone: what a deleted entry refers to.
fn entry_id(site: &SiteSettings, id: i64) -> String {
    format!("tag:{},{TAG_YEAR}:article:{id}", site.url.host())
}

/// The stable id of a feed (Atom feed id): `…:feed:all`, `…:feed:{slug}`
/// or `…:feed:tags/{value}` (the value percent-encoded as in its URL).
fn feed_id(feed: &Feed<'_>) -> String {
    let scope = match (feed.facet, feed.category) {
        (Some(facet), _) => {
            // The facet feed's URL path after `feeds/`, without the format.
            let url = crate::domain::facet_feed_url(
                &feed.site.url,
                facet,
                crate::domain::FeedFormat::Rss,
            );
            let path = url.rsplit_once("/feeds/").map_or("", |(_, p)| p);
            path.strip_suffix(".rss").unwrap_or(path).to_owned()
        }
        (None, Some(category)) => category.slug.as_str().to_owned(),
        (None, None) => crate::domain::SITE_FEED_NAME.to_owned(),
    };
    format!("tag:{},{TAG_YEAR}:feed:{scope}", feed.site.url.host())
}

/// What a facet feed gathers, in the site's language: `标签：南宁`.
pub(super) fn facet_label(site: &SiteSettings, facet: &Facet) -> String {
    let chinese = site.language.starts_with("zh");
    let kind = match (facet.kind(), chinese) {
        (FacetKind::Tag, true) => "标签：",
        (FacetKind::Author, true) => "作者：",
        (FacetKind::Source, true) => "来源：",
        (FacetKind::Tag, false) => "Tag: ",
        (FacetKind::Author, false) => "Author: ",
        (FacetKind::Source, false) => "Source: ",
    };
    format!("{kind}{}", facet.value())
}

/// A facet feed's title: "标签：{tag} - {site title}".
pub(super) fn facet_feed_title(site: &SiteSettings, facet: &Facet) -> String {
    format!("{} - {}", facet_label(site, facet), site.title)
}

/// "{category name or facet} - {site title}", the site title for the site.
fn feed_title(feed: &Feed<'_>) -> String {
    match (feed.facet, feed.category) {
        (Some(facet), _) => facet_feed_title(feed.site, facet),
        (None, Some(category)) => format!("{} - {}", category.fields.name, feed.site.title),
        (None, None) => feed.site.title.clone(),
    }
}

/// The category's description when it has one, what a facet feed
/// gathers, else the site title.
fn feed_description<'a>(feed: &Feed<'a>) -> Cow<'a, str> {
    if let Some(facet) = feed.facet {
        return Cow::Owned(facet_label(feed.site, facet));
    }
    Cow::Borrowed(
        feed.category
            .and_then(|c| non_blank(Some(c.fields.description.as_str())))
            .unwrap_or(&feed.site.title),
    )
}

/// The category's copyright for a category feed, else the site default.
fn feed_copyright<'a>(feed: &Feed<'a>) -> Option<&'a str> {
    non_blank(feed.category.and_then(|c| c.fields.copyright.as_deref()))
        .or_else(|| non_blank(feed.site.default_copyright.as_deref()))
}

/// The category an article belongs to, looked up by slug.
fn category_of<'a>(feed: &Feed<'a>, article: &Article) -> Option<&'a Category> {
    let slug = &article.fields.category;
    feed.category
        .filter(|c| &c.slug == slug)
        .or_else(|| feed.categories.iter().find(|c| &c.slug == slug))
}

/// The name of the article's category, or its slug when the category is unknown.
fn category_name<'a>(category: Option<&'a Category>, article: &'a Article) -> &'a str {
    category.map_or(article.fields.category.as_str(), |c| c.fields.name.as_str())
}

/// The item's categories: its category's name, then its tags, without repeats.
fn item_terms<'a>(category: Option<&'a Category>, article: &'a Article) -> Vec<&'a str> {
    let mut terms = vec![category_name(category, article)];
    for tag in &article.fields.tags {
        if !terms.contains(&tag.as_str()) {
            terms.push(tag);
        }
    }
    terms
}

/// Where the outlet lives: its own feed when known, else the home page of
/// the original article's site (RSS `<source url>`, Atom source id).
fn outlet_url(source: &Source) -> String {
    match &source.feed_url {
        Some(feed_url) => feed_url.as_str().to_owned(),
        None => outlet_home(source),
    }
}

/// The origin of the original article's URL, in canonical form (with the
/// root path: the feed validator flags `https://host` without it).
fn outlet_home(source: &Source) -> String {
    source.url.join("/").as_str().to_owned()
}

/// A contributor as one line of text: "name (role)", or "name" without a role.
fn contributor_label(contributor: &Contributor) -> String {
    match non_blank(contributor.role.as_deref()) {
        Some(role) => format!("{} ({role})", contributor.name),
        None => contributor.name.clone(),
    }
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

/// An Atom link (used by Atom itself and by RSS's `atom:link`).
fn atom_link(rel: &str, href: &str, mime_type: Option<&str>) -> atom_syndication::Link {
    atom_syndication::Link {
        rel: rel.to_owned(),
        href: xml_text(href),
        mime_type: mime_type.map(str::to_owned),
        ..atom_syndication::Link::default()
    }
}
