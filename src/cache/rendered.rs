//! One rendered representation: its body, validators, and compressed forms
//! made once on first demand.

use std::io::Write;
use std::sync::OnceLock;

use actix_web::http::header::{AcceptEncoding, ContentEncoding, Encoding as Coding};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::SurrogateKeys;

/// A content encoding syndic sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// What syndic can send, for actix's negotiation.
const OFFERED: [Coding; 3] = [
    Coding::Known(ContentEncoding::Brotli),
    Coding::Known(ContentEncoding::Gzip),
    Coding::Known(ContentEncoding::Identity),
];

impl Encoding {
    /// The best encoding the client's `Accept-Encoding` allows, by actix's
    /// negotiation (q-values first, then brotli over gzip).
    pub fn negotiate(accept: &AcceptEncoding) -> Self {
        match accept.negotiate(OFFERED.iter()) {
            Some(Coding::Known(ContentEncoding::Brotli)) => Self::Brotli,
            Some(Coding::Known(ContentEncoding::Gzip)) => Self::Gzip,
            _ => Self::Identity,
        }
    }

    /// The `Content-Encoding` value, `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }
}

/// One rendered representation and what it was rendered from.
#[derive(Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Bytes,
    /// Opaque part of the weak ETag: a digest of the body, so equal bodies
    /// have equal tags on every node and after restarts, whatever the encoding.
    pub etag: String,
    /// Newest change that affects the body (for `Last-Modified`).
    pub updated: DateTime<Utc>,
    /// When a scheduled article goes live and the body must be rendered again.
    pub valid_until: Option<DateTime<Utc>>,
    /// What a cache in front files it under (`Surrogate-Key`, `Cache-Tag`).
    pub keys: SurrogateKeys,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl Rendered {
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        updated: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
    ) -> Self {
        // Renderers write into generous buffers; the cache is bounded by the
        // bytes it is charged, so it must hold no more than the body (an
        // empty feed of 700 bytes kept a 4 KiB buffer: 2.6 times the bound).
        let mut body = body;
        body.shrink_to_fit();
        let digest = Sha256::digest(&body);
        Self {
            content_type,
            etag: URL_SAFE_NO_PAD.encode(&digest[..16]),
            body: Bytes::from(body),
            updated,
            valid_until,
            keys: SurrogateKeys::new(&[]),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body in `encoding` if it can be had (compressed once and kept),
    /// with the encoding it is really in: a failed compression falls back
    /// to the plain body, never to an empty one.
    pub fn encoded(&self, encoding: Encoding) -> (Encoding, Bytes) {
        let compressed = match encoding {
            Encoding::Identity => None,
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.body)).clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.body)).clone(),
        };
        match compressed {
            Some(bytes) => (encoding, bytes),
            None => (Encoding::Identity, self.body.clone()),
        }
    }

    /// Bytes charged against the cache bound: the body, and as much again
    /// for its compressed forms, which are made later and are smaller.
    pub fn charge(&self) -> usize {
        2 * self.body.len()
    }
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder.write_all(body).and_then(|()| encoder.finish());
    compressed
        .inspect_err(|error| tracing::error!(%error, "gzip failed; sending identity"))
        .ok()
        .map(Bytes::from)
}

fn brotli(body: &[u8]) -> Option<Bytes> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .inspect_err(|error| tracing::error!(%error, "brotli failed; sending identity"))
        .ok()
        .map(|_| Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::http::header::Header;

    use super::*;

    fn rendered(body: &str) -> Rendered {
        Rendered::new("text/plain", body.as_bytes().to_vec(), Utc::now(), None)
    }

    #[test]
    fn etags_depend_on_content_only() {
        assert_eq!(rendered("same").etag, rendered("same").etag);
        assert_ne!(rendered("same").etag, rendered("other").etag);
    }

    #[test]
    fn compressed_forms_decode_to_the_body() {
        let body = "新闻 ".repeat(500);
        let entry = rendered(&body);
        let (encoding, gzipped) = entry.encoded(Encoding::Gzip);
        assert_eq!(encoding, Encoding::Gzip);
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_string(&mut decoded)
            .expect("gzip");
        assert_eq!(decoded, body);
        let (encoding, brotlied) = entry.encoded(Encoding::Brotli);
        assert_eq!(encoding, Encoding::Brotli);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotlied[..], &mut decoded).expect("brotli");
        assert_eq!(decoded, body.as_bytes());
    }

    #[test]
    fn encodings_are_negotiated_with_q_values() {
        use Encoding::*;
        for (header, expected) in [
            ("", Identity),
            ("gzip", Gzip),
            ("gzip, deflate, br", Brotli),
            ("br;q=0, gzip", Gzip),
            ("identity", Identity),
            ("gzip;q=1, br;q=0.5", Gzip),
            ("GZIP;q=0.5", Gzip),
            ("deflate", Identity),
        ] {
            let mut request = actix_web::test::TestRequest::default();
            if !header.is_empty() {
                request = request.insert_header(("accept-encoding", header));
            }
            let accept = AcceptEncoding::parse(&request.to_http_request())
                .unwrap_or(AcceptEncoding(Vec::new()));
            assert_eq!(Encoding::negotiate(&accept), expected, "{header:?}");
        }
    }
}
