//! Configuration: command-line flags, then `SYNDIC_*` environment variables,
//! then an optional `syndic.toml` (same names in snake case), then defaults.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{AbsoluteUrl, SiteSettings};
use crate::store::DatabaseUrl;

/// Settings every subcommand accepts. Every field is optional here so that a
/// value from the file is used only when neither flag nor variable gave one.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct SettingsArgs {
    /// `sqlite://PATH` or `postgres://…` [default: sqlite://syndic.db]
    #[arg(long, global = true, env = "SYNDIC_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Listen address [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "SYNDIC_BIND")]
    pub bind: Option<String>,
    /// Public URL of the service, used in every absolute link [default: http:// + bind]
    #[arg(long, global = true, env = "SYNDIC_BASE_URL")]
    pub base_url: Option<String>,
    /// Title of the publishing site
    #[arg(long, global = true, env = "SYNDIC_SITE_TITLE")]
    pub site_title: Option<String>,
    /// Home page of the publishing site
    #[arg(long, global = true, env = "SYNDIC_SITE_URL")]
    pub site_url: Option<String>,
    /// Language of the site's content [default: zh-CN]
    #[arg(long, global = true, env = "SYNDIC_SITE_LANGUAGE")]
    pub site_language: Option<String>,
    /// Copyright when neither article nor category has one
    #[arg(long, global = true, env = "SYNDIC_DEFAULT_COPYRIGHT")]
    pub default_copyright: Option<String>,
    /// Items per feed page [default: 20]
    #[arg(long, global = true, env = "SYNDIC_DEFAULT_ITEMS")]
    pub default_items: Option<u32>,
    /// Largest `limit` a client may ask for [default: 100]
    #[arg(long, global = true, env = "SYNDIC_MAX_ITEMS")]
    pub max_items: Option<u32>,
    /// Seconds of freshness in Cache-Control and <ttl> [default: 300]
    #[arg(long, global = true, env = "SYNDIC_MAX_AGE")]
    pub max_age: Option<u32>,
    /// WebSub hub URL; repeat for several (comma-separated in the variable)
    #[arg(
        long = "websub-hub",
        global = true,
        env = "SYNDIC_WEBSUB_HUB",
        value_delimiter = ','
    )]
    pub websub_hub: Vec<String>,
    /// Comma-separated origins allowed to read partner endpoints [default: *]
    #[arg(long, global = true, env = "SYNDIC_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Fill an empty database with demo content
    #[arg(long, global = true, env = "SYNDIC_DEMO")]
    pub demo: bool,
    /// Largest body of a single-article write, bytes [default: 1048576]
    #[arg(long, global = true, env = "SYNDIC_MAX_ARTICLE_BYTES")]
    pub max_article_bytes: Option<usize>,
    /// Largest body of a batch write, bytes [default: 33554432]
    #[arg(long, global = true, env = "SYNDIC_MAX_BATCH_BYTES")]
    pub max_batch_bytes: Option<usize>,
    /// Log format: `text` or `json` [default: text]
    #[arg(long, global = true, env = "SYNDIC_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Configuration file [default: syndic.toml when it exists]
    #[arg(long, global = true, env = "SYNDIC_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The same settings as read from `syndic.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    base_url: Option<String>,
    site_title: Option<String>,
    site_url: Option<String>,
    site_language: Option<String>,
    default_copyright: Option<String>,
    default_items: Option<u32>,
    max_items: Option<u32>,
    max_age: Option<u32>,
    #[serde(default)]
    websub_hub: Vec<String>,
    cors_origins: Option<String>,
    demo: Option<bool>,
    max_article_bytes: Option<usize>,
    max_batch_bytes: Option<usize>,
    log_format: Option<String>,
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
    pub websub_hubs: Vec<AbsoluteUrl>,
    pub cors_origins: CorsOrigins,
    pub demo: bool,
    pub max_article_bytes: usize,
    pub max_batch_bytes: usize,
    pub log_format: LogFormat,
}

/// A setting has a value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("--{flag}: {message}")]
    Invalid { flag: &'static str, message: String },
}

/// Defaults of the demo site.
const DEFAULT_SITE_TITLE: &str = "示例新闻网";
const DEFAULT_SITE_URL: &str = "https://news.example.cn/";
const DEFAULT_BIND: &str = "127.0.0.1:8080";

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
    /// Merges flags and variables (already in `args`) with the file and defaults.
    pub fn resolve(args: SettingsArgs) -> Result<Self, ConfigError> {
        let file = read_file(args.config.as_deref())?;
        let database_url = args
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| "sqlite://syndic.db".to_owned());
        let bind = args
            .bind
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let base_url = args
            .base_url
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{bind}/"));
        let site_url = args
            .site_url
            .or(file.site_url)
            .unwrap_or_else(|| DEFAULT_SITE_URL.to_owned());
        let hubs = if args.websub_hub.is_empty() {
            file.websub_hub
        } else {
            args.websub_hub
        };
        let default_items = args.default_items.or(file.default_items).unwrap_or(20);
        let max_items = args.max_items.or(file.max_items).unwrap_or(100);
        if max_items == 0 || default_items == 0 || default_items > max_items {
            return Err(invalid(
                "default-items",
                "need 1 <= default-items <= max-items",
            ));
        }
        let cors_origins = match args.cors_origins.or(file.cors_origins).as_deref() {
            None | Some("*") => CorsOrigins::Any,
            Some(list) => CorsOrigins::List(
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        let log_format = match args.log_format.or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "log-format",
                    format!("{other:?} is not text or json"),
                ))
            }
        };
        Ok(Self {
            database_url: DatabaseUrl::parse(&database_url)
                .map_err(|m| invalid("database-url", m))?,
            base_url: with_trailing_slash(parse_url("base-url", &base_url)?),
            bind,
            site: SiteSettings {
                title: args
                    .site_title
                    .or(file.site_title)
                    .unwrap_or_else(|| DEFAULT_SITE_TITLE.to_owned()),
                url: parse_url("site-url", &site_url)?,
                language: args
                    .site_language
                    .or(file.site_language)
                    .unwrap_or_else(|| "zh-CN".to_owned()),
                default_copyright: args.default_copyright.or(file.default_copyright),
            },
            default_items,
            max_items,
            max_age: args.max_age.or(file.max_age).unwrap_or(300),
            websub_hubs: hubs
                .iter()
                .map(|h| parse_url("websub-hub", h))
                .collect::<Result<_, _>>()?,
            cors_origins,
            demo: args.demo || file.demo.unwrap_or(false),
            max_article_bytes: args
                .max_article_bytes
                .or(file.max_article_bytes)
                .unwrap_or(1024 * 1024),
            max_batch_bytes: args
                .max_batch_bytes
                .or(file.max_batch_bytes)
                .unwrap_or(32 * 1024 * 1024),
            log_format,
        })
    }
}

/// Relative links (`feeds/all.rss`) resolve under the base URL's path only
/// when it ends with a slash.
fn with_trailing_slash(url: AbsoluteUrl) -> AbsoluteUrl {
    if url.as_str().ends_with('/') {
        url
    } else {
        AbsoluteUrl::parse(&format!("{url}/")).unwrap_or(url)
    }
}

fn read_file(explicit: Option<&Path>) -> Result<FileSettings, ConfigError> {
    let default = Path::new("syndic.toml");
    let path = match explicit {
        Some(path) => path,
        None if default.exists() => default,
        None => return Ok(FileSettings::default()),
    };
    let failed = |message: String| ConfigError::File {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
    toml::from_str(&text).map_err(|e| failed(e.to_string()))
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
        assert!(Config::resolve(args).is_err());
    }
}
