//! Surrogate keys (SPEC §8): what a shared cache in front (Varnish, Fastly,
//! Cloudflare) files each response under, so that a change purges exactly
//! the responses that show it.

use std::fmt;

use sha2::{Digest, Sha256};

use super::{Facet, FacetKind, Slug};

/// One unit of content a response depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SurrogateKey {
    /// Every cacheable response (`syndic`): purged when the site settings change.
    Everything,
    /// The site-wide feeds (`site`).
    Site,
    /// The directory: OPML, the index and category pages (`directory`).
    Directory,
    /// One category's feeds, widgets and headlines (`cat-{slug}`).
    Category(Slug),
    /// One tag's, author's or source's feeds (`tag-{h}`, `author-{h}`,
    /// `source-{h}`).
    Facet(Facet),
}

impl fmt::Display for SurrogateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Everything => f.write_str("syndic"),
            Self::Site => f.write_str("site"),
            Self::Directory => f.write_str("directory"),
            Self::Category(slug) => write!(f, "cat-{slug}"),
            Self::Facet(facet) => {
                let kind = match facet.kind() {
                    FacetKind::Tag => "tag",
                    FacetKind::Author => "author",
                    FacetKind::Source => "source",
                };
                write!(f, "{kind}-{}", value_hash(facet.value()))
            }
        }
    }
}

/// The first 16 hex digits of the SHA-256 of `value`: a key of printable
/// ASCII whatever the name holds (CDNs accept nothing else).
fn value_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The keys of one response, as its two headers spell them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurrogateKeys {
    /// `Surrogate-Key`: space-separated (Fastly, Varnish xkey).
    pub surrogate_key: String,
    /// `Cache-Tag`: comma-separated (Cloudflare).
    pub cache_tag: String,
}

impl SurrogateKeys {
    /// `syndic` and then `keys`, in both spellings.
    pub fn new(keys: &[SurrogateKey]) -> Self {
        let names: Vec<String> = std::iter::once(SurrogateKey::Everything.to_string())
            .chain(
                keys.iter()
                    .filter(|k| **k != SurrogateKey::Everything)
                    .map(ToString::to_string),
            )
            .collect();
        Self {
            surrogate_key: names.join(" "),
            cache_tag: names.join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_spelled_as_the_spec_says() {
        let slug = Slug::parse("local").expect("slug");
        let tag = Facet::new(FacetKind::Tag, "大模型").expect("tag");
        let author = Facet::new(FacetKind::Author, "陆林娟").expect("author");
        let source = Facet::new(FacetKind::Source, "新华社").expect("source");
        let keys = SurrogateKeys::new(&[
            SurrogateKey::Site,
            SurrogateKey::Category(slug),
            SurrogateKey::Facet(tag),
            SurrogateKey::Facet(author),
            SurrogateKey::Facet(source),
            SurrogateKey::Directory,
        ]);
        let hash = |s: &str| {
            let digest = Sha256::digest(s.as_bytes());
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()[..16]
                .to_owned()
        };
        let expected = [
            "syndic".to_owned(),
            "site".to_owned(),
            "cat-local".to_owned(),
            format!("tag-{}", hash("大模型")),
            format!("author-{}", hash("陆林娟")),
            format!("source-{}", hash("新华社")),
            "directory".to_owned(),
        ];
        assert_eq!(keys.surrogate_key, expected.join(" "));
        assert_eq!(keys.cache_tag, expected.join(","));
        assert!(keys
            .surrogate_key
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) || b == b' '));
    }

    #[test]
    fn everything_is_named_once_and_first() {
        let keys = SurrogateKeys::new(&[SurrogateKey::Everything, SurrogateKey::Site]);
        assert_eq!(keys.surrogate_key, "syndic site");
    }
}
