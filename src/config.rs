//! Configuration: command-line flags, then `SYNDIC_*` environment variables
//! (both by clap), then an optional `syndic.toml` (same names in snake
//! case, by figment), then the defaults below; resolved once into [`Config`].

use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AbsoluteUrl, DatabaseUrl, ProviderCredentials, PurgeTarget, Secret, SiteSettings,
};

/// Settings every subcommand accepts, as flags, variables or file keys.
/// Every field is optional so that a layer gives a value only where it has
/// one; unknown keys in the file are errors.
#[derive(Debug, Default, Clone, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsArgs {
    /// `sqlite://PATH` or `postgres://…` [default: sqlite://syndic.db]
    #[arg(long, global = true, env = "SYNDIC_DATABASE_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Listen address [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "SYNDIC_BIND")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    /// Public URL of the service, used in every absolute link [default: http:// + bind]
    #[arg(long, global = true, env = "SYNDIC_BASE_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Title of the publishing site
    #[arg(long, global = true, env = "SYNDIC_SITE_TITLE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_title: Option<String>,
    /// Home page of the publishing site
    #[arg(long, global = true, env = "SYNDIC_SITE_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// Language of the site's content [default: zh-CN]
    #[arg(long, global = true, env = "SYNDIC_SITE_LANGUAGE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_language: Option<String>,
    /// Copyright when neither article nor category has one
    #[arg(long, global = true, env = "SYNDIC_DEFAULT_COPYRIGHT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_copyright: Option<String>,
    /// A square image of the site for feed readers (Atom icon, JSON Feed icon)
    #[arg(long, global = true, env = "SYNDIC_SITE_ICON")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_icon: Option<String>,
    /// A wide image of the site (RSS <image>, Atom logo)
    #[arg(long, global = true, env = "SYNDIC_SITE_LOGO")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_logo: Option<String>,
    /// Items per feed page [default: 20]
    #[arg(long, global = true, env = "SYNDIC_DEFAULT_ITEMS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_items: Option<u32>,
    /// Largest `limit` a client may ask for [default: 100]
    #[arg(long, global = true, env = "SYNDIC_MAX_ITEMS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Seconds of freshness in Cache-Control and <ttl> [default: 300]
    #[arg(long, global = true, env = "SYNDIC_MAX_AGE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// Days a deleted, unpublished or moved article stays listed as an RFC 6721
    /// deleted entry in the feeds it left (0: none) [default: 7]
    #[arg(long, global = true, env = "SYNDIC_TOMBSTONE_DAYS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tombstone_days: Option<u32>,
    /// Tag feeds listed in OPML and on the index page: the N tags most used by
    /// the newest 1,000 live articles [default: 0]
    #[arg(long, global = true, env = "SYNDIC_OPML_TAGS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opml_tags: Option<u32>,
    /// WebSub hub URL; repeat for several (comma-separated in the variable)
    #[arg(
        long = "websub-hub",
        global = true,
        env = "SYNDIC_WEBSUB_HUB",
        value_delimiter = ','
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websub_hub: Vec<String>,
    /// Seconds a shared cache (CDN) may keep a response: `s-maxage` [default: none]
    #[arg(long, global = true, env = "SYNDIC_CDN_MAX_AGE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdn_max_age: Option<u32>,
    /// A cache to purge on change: varnish+http://HOST:PORT/, fastly://SERVICE_ID,
    /// cloudflare://ZONE_ID or an http(s) webhook; repeat for several
    #[arg(
        long = "purge",
        global = true,
        env = "SYNDIC_PURGE",
        value_delimiter = ','
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purge: Vec<String>,
    /// Fastly API token for fastly:// purges
    #[arg(
        long,
        global = true,
        env = "SYNDIC_FASTLY_TOKEN",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fastly_token: Option<String>,
    /// Cloudflare API token for cloudflare:// purges
    #[arg(
        long,
        global = true,
        env = "SYNDIC_CLOUDFLARE_TOKEN",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudflare_token: Option<String>,
    /// Base URL of Fastly's API (for a stand-in) [default: https://api.fastly.com]
    #[arg(long, global = true, env = "SYNDIC_FASTLY_API", hide = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fastly_api: Option<String>,
    /// Base URL of Cloudflare's API (for a stand-in)
    #[arg(long, global = true, env = "SYNDIC_CLOUDFLARE_API", hide = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudflare_api: Option<String>,
    /// Comma-separated origins allowed to read partner endpoints [default: *]
    #[arg(long, global = true, env = "SYNDIC_CORS_ORIGINS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_origins: Option<String>,
    /// Fill an empty database with demo content
    #[arg(long, global = true, env = "SYNDIC_DEMO")]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
    /// Largest body of a single-article write, bytes [default: 1048576]
    #[arg(long, global = true, env = "SYNDIC_MAX_ARTICLE_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_article_bytes: Option<usize>,
    /// Largest body of a batch write, bytes [default: 33554432]
    #[arg(long, global = true, env = "SYNDIC_MAX_BATCH_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_bytes: Option<usize>,
    /// Log format: `text` or `json` [default: text]
    #[arg(long, global = true, env = "SYNDIC_LOG_FORMAT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// Configuration file [default: syndic.toml when it exists]
    #[arg(long, global = true, env = "SYNDIC_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
}

/// Which origins may read the partner endpoints from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration, parsed once and passed down.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    /// Listen address, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Public URL of the service; every absolute link starts with it.
    pub base_url: AbsoluteUrl,
    pub site: SiteSettings,
    /// Items per feed page when the client gives no `limit`.
    pub default_items: u32,
    /// Largest `limit`.
    pub max_items: u32,
    /// Seconds of freshness (`Cache-Control: max-age`, RSS `<ttl>` in minutes).
    pub max_age: u32,
    /// How long a scope's feeds list an article that left it (zero: not at all).
    pub tombstone_period: Option<chrono::Duration>,
    /// Tag feeds the directory (OPML, index page) lists.
    pub opml_tags: usize,
    pub websub_hubs: Vec<AbsoluteUrl>,
    /// `s-maxage` for shared caches in front.
    pub cdn_max_age: Option<u32>,
    /// Caches to purge on change.
    pub purge_targets: Vec<PurgeTarget>,
    pub cors_origins: CorsOrigins,
    pub demo: bool,
    pub max_article_bytes: usize,
    pub max_batch_bytes: usize,
    pub log_format: LogFormat,
}

/// A setting has a value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file: {0}")]
    File(#[from] Box<figment::Error>),
    #[error("--{flag}: {message}")]
    Invalid { flag: &'static str, message: String },
}

/// The lowest layer: what holds when no flag, variable or file says
/// otherwise (the demo site's title and home page). `base_url` defaults to
/// `http://` + `bind`.
const DEFAULTS: &str = r#"
database_url = "sqlite://syndic.db"
bind = "127.0.0.1:8080"
site_title = "示例新闻网"
site_url = "https://news.example.cn/"
site_language = "zh-CN"
default_items = 20
max_items = 100
max_age = 300
tombstone_days = 7
opml_tags = 0
cors_origins = "*"
max_article_bytes = 1048576
max_batch_bytes = 33554432
log_format = "text"
"#;

fn invalid(flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        flag,
        message: message.into(),
    }
}

fn parse_url(flag: &'static str, raw: &str) -> Result<AbsoluteUrl, ConfigError> {
    AbsoluteUrl::parse(raw).map_err(|m| invalid(flag, m))
}

impl Config {
    /// Lays flags and variables (already in `args`) over the file and the
    /// defaults, and checks every value.
    pub fn resolve(args: SettingsArgs) -> Result<Self, ConfigError> {
        let mut layers = Figment::from(Toml::string(DEFAULTS));
        let default_file = Path::new("syndic.toml");
        match args.config.as_deref() {
            Some(path) => layers = layers.merge(Toml::file_exact(path)),
            None if default_file.exists() => layers = layers.merge(Toml::file_exact(default_file)),
            None => {}
        }
        let settings: SettingsArgs = layers
            .merge(Serialized::defaults(&args))
            .extract()
            .map_err(Box::new)?;
        Self::from_settings(settings)
    }

    /// Every setting parsed into its type; `settings` has every default.
    fn from_settings(settings: SettingsArgs) -> Result<Self, ConfigError> {
        fn required<T>(value: Option<T>, flag: &'static str) -> Result<T, ConfigError> {
            value.ok_or_else(|| invalid(flag, "has no value"))
        }
        let bind = required(settings.bind, "bind")?;
        let base_url = settings
            .base_url
            .unwrap_or_else(|| format!("http://{bind}/"));
        let default_items = required(settings.default_items, "default-items")?;
        let max_items = required(settings.max_items, "max-items")?;
        if max_items == 0 || default_items == 0 || default_items > max_items {
            return Err(invalid(
                "default-items",
                "need 1 <= default-items <= max-items",
            ));
        }
        let cors_origins = match required(settings.cors_origins, "cors-origins")?.as_str() {
            "*" => CorsOrigins::Any,
            list => CorsOrigins::List(
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        let log_format = match required(settings.log_format, "log-format")?.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "log-format",
                    format!("{other:?} is not text or json"),
                ))
            }
        };
        let database_url = required(settings.database_url, "database-url")?;
        Ok(Self {
            database_url: DatabaseUrl::parse(&database_url)
                .map_err(|m| invalid("database-url", m))?,
            base_url: with_trailing_slash(parse_url("base-url", &base_url)?)?,
            bind,
            site: SiteSettings {
                title: required(settings.site_title, "site-title")?,
                url: parse_url("site-url", &required(settings.site_url, "site-url")?)?,
                language: required(settings.site_language, "site-language")?,
                default_copyright: settings.default_copyright,
                icon: settings
                    .site_icon
                    .map(|url| parse_url("site-icon", &url))
                    .transpose()?,
                logo: settings
                    .site_logo
                    .map(|url| parse_url("site-logo", &url))
                    .transpose()?,
            },
            default_items,
            max_items,
            max_age: required(settings.max_age, "max-age")?,
            tombstone_period: match required(settings.tombstone_days, "tombstone-days")? {
                0 => None,
                days => Some(chrono::Duration::days(i64::from(days))),
            },
            opml_tags: usize::try_from(required(settings.opml_tags, "opml-tags")?)
                .unwrap_or(usize::MAX),
            websub_hubs: settings
                .websub_hub
                .iter()
                .map(|h| parse_url("websub-hub", h))
                .collect::<Result<_, _>>()?,
            cdn_max_age: settings.cdn_max_age,
            purge_targets: {
                let credentials = ProviderCredentials {
                    fastly_token: settings.fastly_token.map(Secret::new),
                    cloudflare_token: settings.cloudflare_token.map(Secret::new),
                    fastly_api: settings.fastly_api,
                    cloudflare_api: settings.cloudflare_api,
                };
                settings
                    .purge
                    .iter()
                    .map(|raw| {
                        PurgeTarget::parse(raw, &credentials).map_err(|m| invalid("purge", m))
                    })
                    .collect::<Result<_, _>>()?
            },
            cors_origins,
            demo: settings.demo,
            max_article_bytes: required(settings.max_article_bytes, "max-article-bytes")?,
            max_batch_bytes: required(settings.max_batch_bytes, "max-batch-bytes")?,
            log_format,
        })
    }
}

/// Relative links (`feeds/all.rss`) resolve under the base URL's path only
/// when it ends with a slash.
fn with_trailing_slash(url: AbsoluteUrl) -> Result<AbsoluteUrl, ConfigError> {
    if url.as_str().ends_with('/') {
        Ok(url)
    } else {
        parse_url("base-url", &format!("{url}/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_beats_the_file_which_beats_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("syndic.toml");
        std::fs::write(
            &path,
            "site_title = \"From file\"\nmax_age = 60\nbind = \"127.0.0.1:9000\"\n",
        )
        .expect("write");
        let args = SettingsArgs {
            site_title: Some("From flag".into()),
            config: Some(path),
            ..Default::default()
        };
        let config = Config::resolve(args).expect("valid");
        assert_eq!(config.site.title, "From flag");
        assert_eq!(config.max_age, 60);
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(config.site.language, "zh-CN");
        assert_eq!(config.default_items, 20);
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("syndic.toml");
        std::fs::write(&path, "site_titel = \"typo\"\n").expect("write");
        let args = SettingsArgs {
            config: Some(path),
            ..Default::default()
        };
        let error = Config::resolve(args).expect_err("a typo is refused");
        let message = error.to_string();
        assert!(message.contains("site_titel"), "{message}");
        assert!(message.contains("syndic.toml"), "names the file: {message}");
    }

    #[test]
    fn a_named_file_that_is_missing_is_an_error() {
        let args = SettingsArgs {
            config: Some("/nonexistent/syndic.toml".into()),
            ..Default::default()
        };
        assert!(matches!(Config::resolve(args), Err(ConfigError::File(_))));
    }

    #[test]
    fn a_bad_value_names_its_flag() {
        let args = SettingsArgs {
            log_format: Some("yaml".into()),
            config: None,
            ..Default::default()
        };
        let message = Config::resolve(args).expect_err("refused").to_string();
        assert!(message.starts_with("--log-format:"), "{message}");
    }
}
