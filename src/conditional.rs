//! Conditional GET as one pure decision (RFC 9110 §13.1.1, §13.1.3, §13.2.2):
//! the request's validators and the current ones in, `Fresh` or `Stale` out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// The validators of the representation as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The opaque part of the weak entity tag (no `W/`, no quotes).
    pub etag: String,
    /// The time announced in `Last-Modified`, whole seconds.
    pub last_modified: DateTime<Utc>,
}

/// The conditional headers a request carried, raw.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preconditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The client's copy is current: `304 Not Modified`.
    Fresh,
    /// Send the representation: `200`.
    Stale,
}

/// Decides between `304` and `200` for a GET or HEAD. `If-None-Match` takes
/// precedence; `If-Modified-Since` counts only without it and only when it
/// parses as an HTTP date.
pub fn evaluate(request: Preconditions<'_>, current: &Validators) -> Outcome {
    if let Some(if_none_match) = request.if_none_match {
        return if matches_any(if_none_match, &current.etag) {
            Outcome::Fresh
        } else {
            Outcome::Stale
        };
    }
    let since = request.if_modified_since.and_then(parse_http_date);
    match since {
        Some(since) if current.last_modified <= since => Outcome::Fresh,
        _ => Outcome::Stale,
    }
}

/// Weak comparison of `etag` with each tag of an `If-None-Match` list; `*`
/// matches any current representation.
fn matches_any(header: &str, etag: &str) -> bool {
    if header.trim() == "*" {
        return true;
    }
    entity_tags(header).any(|opaque| opaque == etag)
}

/// The opaque parts of a comma-separated list of entity tags (`"x"` or
/// `W/"x"`); malformed members are skipped.
fn entity_tags(header: &str) -> impl Iterator<Item = &str> {
    let mut rest = header;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let unprefixed = rest.strip_prefix("W/").unwrap_or(rest);
        if let Some(quoted) = unprefixed.strip_prefix('"') {
            if let Some(end) = quoted.find('"') {
                rest = &quoted[end + 1..];
                return Some(&quoted[..end]);
            }
            rest = "";
            return None;
        }
        // Not a tag: skip to the next comma.
        rest = rest.find(',').map_or("", |i| &rest[i..]);
    })
}

/// Any of the three HTTP date forms (IMF-fixdate, RFC 850, asctime).
pub fn parse_http_date(raw: &str) -> Option<DateTime<Utc>> {
    let time = httpdate::parse_http_date(raw.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, 0)
}

/// The last second an HTTP date can name, 9999-12-31T23:59:59Z.
const LAST_HTTP_SECOND: u64 = 253_402_300_799;

/// An HTTP date (IMF-fixdate) for `time`, to the second; times outside what
/// HTTP dates can name (1970 to 9999) are clamped to it.
pub fn format_http_date(time: DateTime<Utc>) -> String {
    // httpdate panics past year 9999.
    let seconds = u64::try_from(time.timestamp())
        .unwrap_or(0)
        .min(LAST_HTTP_SECOND);
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The `Last-Modified` to announce for content last changed at `changed`,
/// sent at `now`: whole seconds, and never the still-open current second, so
/// that a second change within that second is not hidden from clients that
/// only send `If-Modified-Since`.
pub fn last_modified(changed: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let changed = floor_to_second(changed);
    let last_closed = floor_to_second(now) - chrono::Duration::seconds(1);
    changed.min(last_closed)
}

fn floor_to_second(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// The current time; kept here so handlers need no clock of their own.
pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn current() -> Validators {
        Validators {
            etag: "abc123".into(),
            last_modified: at("2026-11-29T10:00:00Z"),
        }
    }

    #[test]
    fn decisions_follow_rfc_9110() {
        use Outcome::{Fresh, Stale};
        let imf = "Sun, 29 Nov 2026 10:00:00 GMT";
        let rfc850 = "Sunday, 29-Nov-26 10:00:00 GMT";
        let asctime = "Sun Nov 29 10:00:00 2026";
        let earlier = "Sun, 29 Nov 2026 09:59:59 GMT";
        let later = "Sun, 29 Nov 2026 10:00:01 GMT";
        let cases: &[(Option<&str>, Option<&str>, Outcome, &str)] = &[
            (None, None, Stale, "no validators"),
            (Some("W/\"abc123\""), None, Fresh, "weak tag"),
            (
                Some("\"abc123\""),
                None,
                Fresh,
                "strong form compares weakly",
            ),
            (Some("W/\"other\""), None, Stale, "other tag"),
            (
                Some("W/\"x\", W/\"abc123\""),
                None,
                Fresh,
                "match in a list",
            ),
            (
                Some("\"x\",W/\"abc123\"  ,\"y\""),
                None,
                Fresh,
                "list without spaces",
            ),
            (Some("W/\"x\", \"y\""), None, Stale, "no match in a list"),
            (Some("*"), None, Fresh, "star matches any representation"),
            (Some(" * "), None, Fresh, "star with spaces"),
            (Some("abc123"), None, Stale, "unquoted is not a tag"),
            (Some("W/\"abc123"), None, Stale, "unterminated tag"),
            (Some(""), None, Stale, "empty If-None-Match"),
            (
                Some("garbage, W/\"abc123\""),
                None,
                Fresh,
                "malformed member skipped",
            ),
            (
                Some("W/\"other\""),
                Some(imf),
                Stale,
                "If-None-Match wins over a matching date",
            ),
            (
                Some("W/\"abc123\""),
                Some(earlier),
                Fresh,
                "If-None-Match wins over an old date",
            ),
            (None, Some(imf), Fresh, "same second"),
            (None, Some(later), Fresh, "later date"),
            (None, Some(earlier), Stale, "earlier date"),
            (None, Some(rfc850), Fresh, "RFC 850 form"),
            (None, Some(asctime), Fresh, "asctime form"),
            (None, Some("yesterday"), Stale, "unparseable date ignored"),
            (
                None,
                Some("Sun, 32 Nov 2026 10:00:00 GMT"),
                Stale,
                "invalid date ignored",
            ),
            (None, Some(""), Stale, "empty date ignored"),
        ];
        for (if_none_match, if_modified_since, expected, why) in cases {
            let request = Preconditions {
                if_none_match: *if_none_match,
                if_modified_since: *if_modified_since,
            };
            assert_eq!(evaluate(request, &current()), *expected, "{why}");
        }
    }

    #[test]
    fn last_modified_never_announces_the_open_second() {
        let now = at("2026-11-29T10:00:05.300Z");
        assert_eq!(
            last_modified(at("2026-11-29T10:00:05.100Z"), now),
            at("2026-11-29T10:00:04Z")
        );
        assert_eq!(
            last_modified(at("2026-11-29T10:00:04.900Z"), now),
            at("2026-11-29T10:00:04Z")
        );
        assert_eq!(
            last_modified(at("2026-11-29T09:00:00.500Z"), now),
            at("2026-11-29T09:00:00Z")
        );
    }

    #[test]
    fn http_dates_round_trip() {
        let time = at("2026-11-29T10:00:00Z");
        assert_eq!(format_http_date(time), "Sun, 29 Nov 2026 10:00:00 GMT");
        assert_eq!(parse_http_date(&format_http_date(time)), Some(time));
    }

    #[test]
    fn http_dates_clamp_times_they_cannot_name() {
        // Found by fuzzing: httpdate panicked past year 9999.
        assert_eq!(
            format_http_date(DateTime::from_timestamp(253_402_300_800, 0).expect("year 10000")),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(
            format_http_date(at("1969-12-31T23:59:59Z")),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
