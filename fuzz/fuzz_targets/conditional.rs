//! Conditional GET: raw `If-None-Match` / `If-Modified-Since` values never
//! panic, and well-formed ones give the answer a simple model predicts.

#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use syndic::conditional::{
    evaluate, format_http_date, parse_http_date, Outcome, Preconditions, Validators,
};

/// Seconds of 9999-12-31T23:59:59Z, the last instant an HTTP date can name.
const LAST_HTTP_SECOND: i64 = 253_402_300_799;

/// Characters of the ETags syndic mints (base64url / hex digests).
const TAG_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Debug, Arbitrary)]
enum Member {
    /// `"opaque"` or `W/"opaque"`.
    Tag { weak: bool, opaque: String },
    /// Anything else between two commas.
    Garbage(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Raw header values, as a client may send them.
    raw_if_none_match: Option<String>,
    raw_if_modified_since: Option<String>,
    /// The current validators.
    etag: Vec<u8>,
    /// `None`: the newest change is in a second not yet closed.
    last_modified: Option<u64>,
    /// A well-formed `If-None-Match` list, and where (if anywhere) the current tag goes.
    members: Vec<Member>,
    current_at: Option<u8>,
    current_weak: bool,
    separator_spaces: u8,
    /// An `If-Modified-Since` time.
    since: u64,
    /// Any instant chrono can hold, for `format_http_date`.
    any_time: i64,
}

fn seconds_in_http_range(raw: u64) -> DateTime<Utc> {
    let seconds = i64::try_from(raw % (LAST_HTTP_SECOND as u64 + 1)).unwrap_or(0);
    DateTime::from_timestamp(seconds, 0).expect("in range")
}

fn tag(weak: bool, opaque: &str) -> String {
    format!("{}\"{opaque}\"", if weak { "W/" } else { "" })
}

fuzz_target!(|input: Input| {
    let etag: String = input
        .etag
        .iter()
        .map(|b| TAG_ALPHABET[usize::from(*b) % TAG_ALPHABET.len()] as char)
        .collect();
    let current = Validators {
        etag,
        last_modified: input.last_modified.map(seconds_in_http_range),
    };

    // 1. Raw values: no panic, and a date that parses formats back to itself.
    let raw = Preconditions {
        if_none_match: input.raw_if_none_match.as_deref(),
        if_modified_since: input.raw_if_modified_since.as_deref(),
    };
    let _ = evaluate(raw, &current);
    if let Some(parsed) = input
        .raw_if_modified_since
        .as_deref()
        .and_then(parse_http_date)
    {
        assert_eq!(parse_http_date(&format_http_date(parsed)), Some(parsed));
    }

    // 2. A well-formed list: Fresh exactly when a member's opaque part is the
    //    current tag (weak comparison), or the whole header is `*`.
    let separator = format!(",{}", " ".repeat(usize::from(input.separator_spaces % 4)));
    let mut members: Vec<(String, bool)> = input
        .members
        .iter()
        .map(|member| match member {
            Member::Tag { weak, opaque } => {
                let opaque = opaque.replace('"', "");
                let matches = opaque == current.etag;
                (tag(*weak, &opaque), matches)
            }
            Member::Garbage(text) => (text.replace(['"', ','], ""), false),
        })
        .collect();
    if let Some(at) = input.current_at {
        let at = usize::from(at) % (members.len() + 1);
        members.insert(at, (tag(input.current_weak, &current.etag), true));
    }
    let header = members
        .iter()
        .map(|(text, _)| text.as_str())
        .collect::<Vec<_>>()
        .join(&separator);
    let expected = if header.trim() == "*" || members.iter().any(|(_, matches)| *matches) {
        Outcome::Fresh
    } else {
        Outcome::Stale
    };
    let request = Preconditions {
        if_none_match: Some(&header),
        // If-None-Match takes precedence: any date must be ignored.
        if_modified_since: input.raw_if_modified_since.as_deref(),
    };
    assert_eq!(
        evaluate(request, &current),
        expected,
        "If-None-Match: {header}"
    );

    // 3. If-Modified-Since alone: Fresh exactly when there is a
    //    Last-Modified and nothing changed after it, and the formatted date
    //    round-trips to the second.
    let since = seconds_in_http_range(input.since);
    let formatted = format_http_date(since);
    assert_eq!(parse_http_date(&formatted), Some(since), "{formatted}");
    let request = Preconditions {
        if_none_match: None,
        if_modified_since: Some(&formatted),
    };
    let expected = if current.last_modified.is_some_and(|last| last <= since) {
        Outcome::Fresh
    } else {
        Outcome::Stale
    };
    assert_eq!(
        evaluate(request, &current),
        expected,
        "If-Modified-Since: {formatted}"
    );

    // 4. Formatting any instant gives a date that parses (times outside the
    //    HTTP range are clamped, not a panic).
    if let Some(time) = DateTime::from_timestamp(input.any_time, 0) {
        let formatted = format_http_date(time);
        assert!(
            parse_http_date(&formatted).is_some(),
            "{time:?} gave {formatted}"
        );
    }
});
