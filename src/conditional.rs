//! Conditional GET as one pure decision (RFC 9110 §13.1.1, §13.1.3, §13.2.2):
//! the request's validators and the current ones in, `Fresh` or `Stale` out.

use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// The validators of the representation as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The opaque part of the weak entity tag (no `W/`, no quotes).
    pub etag: String,
    /// The time announced in `Last-Modified`, whole seconds; `None` while
    /// the newest change may still be followed by another in its second.
    pub last_modified: Option<DateTime<Utc>>,
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
/// precedence; `If-Modified-Since` counts only without it, only when it
/// parses as an HTTP date, and only when there is a `Last-Modified` to
/// compare it with.
pub fn evaluate(request: Preconditions<'_>, current: &Validators) -> Outcome {
    if let Some(if_none_match) = request.if_none_match {
        return if matches_any(if_none_match, &current.etag) {
            Outcome::Fresh
        } else {
            Outcome::Stale
        };
    }
    let since = request.if_modified_since.and_then(parse_http_date);
    match (since, current.last_modified) {
        (Some(since), Some(last_modified)) if last_modified <= since => Outcome::Fresh,
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

/// How long after the end of a second a node waits before it treats that
/// second as closed: the clocks of nodes and database may differ by up to
/// 500 ms, and a commit stamped just before the end of a second may take a
/// moment to become visible. While a second is not closed, another change
/// may still be stamped within it.
pub const SETTLE_MARGIN: chrono::Duration = chrono::Duration::seconds(1);

/// Up to when this node knows every change: its clock less the margin, and
/// no later than the last time it read the change log (a change committed
/// since may not have reached its cache yet).
pub fn confirmed_until(now: DateTime<Utc>, change_log_read_at: DateTime<Utc>) -> DateTime<Utc> {
    now.min(change_log_read_at) - SETTLE_MARGIN
}

/// The `Last-Modified` of content whose newest change is `changed`, when
/// every change up to `confirmed` is known (see [`confirmed_until`]).
///
/// It is the end of the change's second (the first instant after it), and
/// only once that second is closed: before then a second change could fall
/// in the same second, and two bodies would carry one `Last-Modified`
/// (libcurl, and so newsboat, would keep the first). Ending the second
/// rather than starting it means no response sent during that second, whose
/// `Date` a client may send back as `If-Modified-Since`, validates the new
/// content. `None`: send no `Last-Modified`; the ETag alone validates.
pub fn last_modified(changed: DateTime<Utc>, confirmed: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let end_of_second = floor_to_second(changed) + chrono::Duration::seconds(1);
    (end_of_second <= confirmed).then_some(end_of_second)
}

fn floor_to_second(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
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
            last_modified: Some(at("2026-11-29T10:00:00Z")),
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
    fn if_modified_since_counts_only_against_a_last_modified() {
        let open = Validators {
            etag: "abc123".into(),
            last_modified: None,
        };
        let request = Preconditions {
            if_none_match: None,
            if_modified_since: Some("Sun, 29 Nov 2026 10:00:00 GMT"),
        };
        assert_eq!(evaluate(request, &open), Outcome::Stale);
        let tagged = Preconditions {
            if_none_match: Some("W/\"abc123\""),
            if_modified_since: None,
        };
        assert_eq!(evaluate(tagged, &open), Outcome::Fresh);
    }

    /// What this node announces at `now` (its clock) for a change at
    /// `changed` (the stamping clock), having read the change log at `read`.
    fn announced(changed: &str, now: &str, read: &str) -> Option<DateTime<Utc>> {
        last_modified(at(changed), confirmed_until(at(now), at(read)))
    }

    #[test]
    fn last_modified_waits_for_the_second_of_the_change_to_close() {
        let cases: &[(&str, &str, &str, Option<&str>, &str)] = &[
            // (change, node clock, change log read at, announced, why)
            (
                "10:00:05.300",
                "10:00:05.900",
                "10:00:05.900",
                None,
                "open second",
            ),
            (
                "10:00:05.300",
                "10:00:06.500",
                "10:00:06.500",
                None,
                "closed, but within the margin",
            ),
            (
                "10:00:05.300",
                "10:00:07.000",
                "10:00:07.000",
                Some("10:00:06"),
                "closed and settled: the end of the second",
            ),
            (
                "10:00:05.000",
                "10:00:07.000",
                "10:00:07.000",
                Some("10:00:06"),
                "a change on the second still ends it",
            ),
            (
                "10:00:05.999",
                "10:00:07.000",
                "10:00:07.000",
                Some("10:00:06"),
                "the last microsecond of a second",
            ),
            (
                "10:00:05.300",
                "10:00:09.000",
                "10:00:06.800",
                None,
                "the change log not read since the second closed",
            ),
            (
                "10:00:05.300",
                "10:00:09.000",
                "10:00:07.200",
                Some("10:00:06"),
                "the change log read after it settled",
            ),
            (
                "09:00:00.500",
                "10:00:05.300",
                "10:00:05.300",
                Some("09:00:01"),
                "an old change",
            ),
            // Stamped by a clock 500 ms ahead of this node's: the change
            // looks 200 ms in the future here.
            (
                "10:00:05.800",
                "10:00:05.600",
                "10:00:05.600",
                None,
                "a change from a clock ahead",
            ),
            (
                "10:00:05.800",
                "10:00:06.900",
                "10:00:06.900",
                None,
                "a clock ahead: still within the margin",
            ),
            (
                "10:00:05.800",
                "10:00:07.000",
                "10:00:07.000",
                Some("10:00:06"),
                "a clock ahead, settled",
            ),
            // Stamped by a clock 500 ms behind: this node is 500 ms further on.
            (
                "10:00:05.300",
                "10:00:06.800",
                "10:00:06.800",
                None,
                "a change from a clock behind",
            ),
            (
                "10:00:05.300",
                "10:00:07.300",
                "10:00:07.300",
                Some("10:00:06"),
                "a clock behind, settled",
            ),
        ];
        let day = "2026-11-29T";
        for (changed, now, read, expected, why) in cases {
            let got = announced(
                &format!("{day}{changed}Z"),
                &format!("{day}{now}Z"),
                &format!("{day}{read}Z"),
            );
            assert_eq!(got, expected.map(|t| at(&format!("{day}{t}Z"))), "{why}");
        }
    }

    #[test]
    fn two_changes_in_one_second_never_share_a_last_modified_with_an_earlier_body() {
        // First body (change at .200) is polled during the second: no date.
        // The second change (.700) is in the same second; once it settles
        // both would end the same second, but the first body is no longer
        // served by then, and the second body's date is later than the
        // Date header of any response sent during the second.
        let day = "2026-11-29T";
        let first = at(&format!("{day}10:00:05.200Z"));
        let second = at(&format!("{day}10:00:05.700Z"));
        for now_ms in (5_200..7_000).step_by(100) {
            let now = at(&format!("{day}10:00:00Z")) + chrono::Duration::milliseconds(now_ms);
            let confirmed = confirmed_until(now, now);
            assert_eq!(
                last_modified(first, confirmed),
                None,
                "first body at +{now_ms} ms"
            );
            assert_eq!(
                last_modified(second, confirmed),
                None,
                "second body at +{now_ms} ms"
            );
        }
        let settled = at(&format!("{day}10:00:07Z"));
        let announced = last_modified(second, confirmed_until(settled, settled)).expect("settled");
        let sent_during_the_second = at(&format!("{day}10:00:05Z"));
        assert!(announced > sent_during_the_second);
        assert!(announced <= settled, "never later than the response");
    }

    proptest::proptest! {
        #[test]
        fn last_modified_is_never_earlier_than_the_change_nor_later_than_now(
            changed_ms in 0i64..100_000_000,
            delay_ms in -2_000i64..10_000,
            read_lag_ms in 0i64..5_000,
        ) {
            let changed = DateTime::from_timestamp_millis(1_700_000_000_000 + changed_ms).expect("time");
            let now = changed + chrono::Duration::milliseconds(delay_ms);
            let read = now - chrono::Duration::milliseconds(read_lag_ms);
            if let Some(announced) = last_modified(changed, confirmed_until(now, read)) {
                proptest::prop_assert!(announced > changed, "after the change");
                proptest::prop_assert!(announced <= now, "not later than now");
                proptest::prop_assert!(now - changed >= SETTLE_MARGIN, "only once settled");
                proptest::prop_assert_eq!(announced.timestamp_subsec_nanos(), 0);
            } else {
                // Not announced only while the second may still take changes.
                let end = floor_to_second(changed) + chrono::Duration::seconds(1);
                proptest::prop_assert!(now.min(read) < end + SETTLE_MARGIN);
            }
        }
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
