//! Query parameters several endpoints share: `limit` and `page`.

use crate::error::ApiError;

/// Parses `limit` against the configured bounds.
pub fn parse_limit(raw: Option<&str>, default: u32, max: u32) -> Result<i64, ApiError> {
    let Some(raw) = raw else {
        return Ok(i64::from(default));
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::bad_parameter(
            "limit",
            format!("must be an integer from 1 to {max}"),
        )),
    }
}

/// `page` as given (from 1), or 1 when absent.
pub fn parse_page(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw.map(str::parse::<u32>) {
        None => Ok(1),
        Some(Ok(page)) if page >= 1 => Ok(i64::from(page)),
        Some(_) => Err(ApiError::bad_parameter("page", "must be an integer from 1")),
    }
}
