//! Small validated text types.

use std::fmt;

use super::input::Invalid;

/// A category slug: `[a-z0-9][a-z0-9-]{0,63}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// Largest slug length, in bytes (all allowed characters are ASCII).
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bytes = raw.as_bytes();
        let valid_first = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let valid_rest = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if valid_first && valid_rest && bytes.len() <= Self::MAX_LEN {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must match [a-z0-9][a-z0-9-]{0,63}".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An article title: plain text, 1 to 1000 Unicode scalar values, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Longest title, in Unicode scalar values.
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        // Control characters and U+FFFE/U+FFFF count as blank: XML cannot
        // carry them, so a feed would show an empty title.
        let invisible =
            |c: char| c.is_whitespace() || c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}');
        if raw.chars().all(invisible) {
            return Err("must not be blank".into());
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `http` or `https` URL with a host, kept in its normalized form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUrl(url::Url);

impl AbsoluteUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let parsed = url::Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err("must have a host".into());
        }
        Ok(Self(parsed))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Scheme, host and port, e.g. `https://example.com`.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// This URL with `path` (relative to it) resolved against it. Callers
    /// pass paths syndic builds itself (slugs, ids, fixed names), which an
    /// http(s) base always resolves; url's error cases (a bad host or port
    /// after `//`) cannot arise, and the last arm only keeps this total.
    pub fn join(&self, path: &str) -> Self {
        match self.0.join(path) {
            Ok(joined) => Self(joined),
            Err(_) => self.clone(),
        }
    }
}

impl fmt::Display for AbsoluteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The writer's own key for an article: 1 to 255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid(format!(
                "must be 1 to {} characters",
                Self::MAX_CHARS
            )));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_spec_pattern() {
        for good in ["a", "0", "world", "hong-kong", "a-", &"a".repeat(64)] {
            assert!(Slug::parse(good).is_ok(), "{good} should be a slug");
        }
        for bad in ["", "-a", "A", "a_b", "中文", "a b", "../x", &"a".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad} should not be a slug");
        }
    }

    #[test]
    fn titles_count_scalar_values_not_bytes() {
        assert!(Title::parse(&"中".repeat(1000)).is_ok());
        assert!(Title::parse(&"中".repeat(1001)).is_err());
        assert!(Title::parse(" \t\n").is_err());
        assert!(Title::parse("").is_err());
        // Found by fuzzing: only characters XML drops left an empty title in feeds.
        assert!(Title::parse(" \u{1} \u{fffe}").is_err());
        assert!(Title::parse("\u{1}标题").is_ok());
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(AbsoluteUrl::parse("https://news.example.cn/a/1.html").is_ok());
        assert!(AbsoluteUrl::parse("http://localhost:8080/").is_ok());
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "ftp://x.org/",
            "mailto:a@b.c",
            "http://",
        ] {
            assert!(AbsoluteUrl::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
