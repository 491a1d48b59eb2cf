//! Where purges go (`--purge URL`, SPEC §8), by the URL's scheme.

use std::fmt;

/// Fastly's API, where `fastly://SERVICE_ID` purges go.
pub const FASTLY_API: &str = "https://api.fastly.com";
/// Cloudflare's API, where `cloudflare://ZONE_ID` purges go.
pub const CLOUDFLARE_API: &str = "https://api.cloudflare.com/client/v4";

/// A credential: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// One cache to purge, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeTarget {
    /// `varnish+http://HOST:PORT/`: `PURGE /` with `xkey-purge: KEY KEY…`
    /// to `http://HOST:PORT/`.
    Varnish { configured: String, url: String },
    /// `fastly://SERVICE_ID`: Fastly's purge-by-surrogate-keys call.
    Fastly {
        configured: String,
        service_id: String,
        api: String,
        token: Secret,
    },
    /// `cloudflare://ZONE_ID`: Cloudflare's purge-by-cache-tags call.
    Cloudflare {
        configured: String,
        zone_id: String,
        api: String,
        token: Secret,
    },
    /// `http(s)://…`: a JSON POST of the keys and URLs, for any other cache.
    Webhook { configured: String, url: String },
}

/// The API base URLs and tokens the providers' targets need.
#[derive(Debug, Clone, Default)]
pub struct ProviderCredentials {
    pub fastly_token: Option<Secret>,
    pub cloudflare_token: Option<Secret>,
    /// Overrides of the APIs' base URLs (stand-in servers in tests).
    pub fastly_api: Option<String>,
    pub cloudflare_api: Option<String>,
}

impl PurgeTarget {
    /// Parses `--purge URL`; the providers' kinds take their token from
    /// `credentials`.
    pub fn parse(raw: &str, credentials: &ProviderCredentials) -> Result<Self, String> {
        let configured = raw.to_owned();
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| format!("{raw:?} is not a URL"))?;
        let identifier = |what: &str| {
            let id = rest.trim_end_matches('/');
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                Err(format!(
                    "{raw:?}: the {what} must be letters, digits, - or _"
                ))
            } else {
                Ok(id.to_owned())
            }
        };
        match scheme {
            "varnish+http" => {
                let url = format!("http://{rest}");
                url::Url::parse(&url).map_err(|e| format!("{raw:?}: {e}"))?;
                Ok(Self::Varnish { configured, url })
            }
            "fastly" => Ok(Self::Fastly {
                service_id: identifier("service id")?,
                api: credentials
                    .fastly_api
                    .clone()
                    .unwrap_or_else(|| FASTLY_API.to_owned()),
                token: credentials
                    .fastly_token
                    .clone()
                    .ok_or_else(|| format!("{raw:?} needs SYNDIC_FASTLY_TOKEN"))?,
                configured,
            }),
            "cloudflare" => Ok(Self::Cloudflare {
                zone_id: identifier("zone id")?,
                api: credentials
                    .cloudflare_api
                    .clone()
                    .unwrap_or_else(|| CLOUDFLARE_API.to_owned()),
                token: credentials
                    .cloudflare_token
                    .clone()
                    .ok_or_else(|| format!("{raw:?} needs SYNDIC_CLOUDFLARE_TOKEN"))?,
                configured,
            }),
            "http" | "https" => {
                url::Url::parse(raw).map_err(|e| format!("{raw:?}: {e}"))?;
                Ok(Self::Webhook {
                    url: raw.to_owned(),
                    configured,
                })
            }
            other => Err(format!(
                "{raw:?}: {other}:// is not varnish+http, fastly, cloudflare, http or https"
            )),
        }
    }

    /// The URL as configured: what the outbox files the target's purges under.
    pub fn configured(&self) -> &str {
        match self {
            Self::Varnish { configured, .. }
            | Self::Fastly { configured, .. }
            | Self::Cloudflare { configured, .. }
            | Self::Webhook { configured, .. } => configured,
        }
    }

    /// Whether the target wants the changed feeds' URLs besides the keys.
    pub fn wants_urls(&self) -> bool {
        matches!(self, Self::Webhook { .. })
    }

    /// Most keys one request may carry (the providers' documented limits).
    pub fn keys_per_request(&self) -> usize {
        match self {
            Self::Fastly { .. } => 256,
            Self::Cloudflare { .. } => 30,
            Self::Varnish { .. } | Self::Webhook { .. } => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> ProviderCredentials {
        ProviderCredentials {
            fastly_token: Some(Secret::new("f-token".into())),
            cloudflare_token: Some(Secret::new("c-token".into())),
            ..Default::default()
        }
    }

    #[test]
    fn each_scheme_names_its_kind_of_cache() {
        let c = credentials();
        assert!(matches!(
            PurgeTarget::parse("varnish+http://127.0.0.1:6081/", &c),
            Ok(PurgeTarget::Varnish { url, .. }) if url == "http://127.0.0.1:6081/"
        ));
        assert!(matches!(
            PurgeTarget::parse("fastly://SU1Z0isxPaozGVKXdv0eY", &c),
            Ok(PurgeTarget::Fastly { service_id, api, .. }) if service_id == "SU1Z0isxPaozGVKXdv0eY" && api == FASTLY_API
        ));
        assert!(matches!(
            PurgeTarget::parse("cloudflare://023e105f4ecef8ad9ca31a8372d0c353", &c),
            Ok(PurgeTarget::Cloudflare { zone_id, .. }) if zone_id == "023e105f4ecef8ad9ca31a8372d0c353"
        ));
        assert!(matches!(
            PurgeTarget::parse("https://cache.example.cn/purge", &c),
            Ok(PurgeTarget::Webhook { .. })
        ));
    }

    #[test]
    fn bad_targets_say_why() {
        let c = credentials();
        for raw in [
            "ftp://x",
            "fastly://",
            "cloudflare://a/b",
            "nothing",
            "varnish+http://",
        ] {
            assert!(PurgeTarget::parse(raw, &c).is_err(), "{raw}");
        }
        let without = ProviderCredentials::default();
        let error = PurgeTarget::parse("fastly://abc", &without).expect_err("no token");
        assert!(error.contains("SYNDIC_FASTLY_TOKEN"), "{error}");
    }

    #[test]
    fn tokens_stay_out_of_debug_output() {
        let target = PurgeTarget::parse("fastly://abc", &credentials()).expect("target");
        assert!(!format!("{target:?}").contains("f-token"));
    }
}
