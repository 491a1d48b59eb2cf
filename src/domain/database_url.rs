//! Which database a `--database-url` names.

use super::input::Invalid;

/// Which engine a `--database-url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Path of the SQLite file.
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL, passed to libpq as is.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("sqlite:// needs a file path".into());
            }
            Ok(Self::Sqlite(path.to_owned()))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(raw.to_owned()))
        } else {
            Err(Invalid(format!(
                "unsupported database URL {raw:?}: use sqlite://PATH or postgres://…"
            )))
        }
    }
}
