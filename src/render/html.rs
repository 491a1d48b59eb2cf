//! syndic's own HTML pages (the index, category pages, the iframe widget)
//! are askama templates under `templates/`. askama escapes every value; the
//! `xml_safe` filter first drops characters XML forbids, and the templates
//! close void elements (`<meta/>`), so each page is also well-formed XML.

use askama::Template;

/// Filters the templates use, found by askama under this name.
pub(super) mod filters {
    /// The value as text without the characters XML 1.0 forbids.
    pub fn xml_safe<T: std::fmt::Display>(
        value: T,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(super::super::xml_safe(&value.to_string()).into_owned())
    }
}

/// A page's bytes, ending in a newline.
pub(super) fn render(page: &impl Template) -> askama::Result<Vec<u8>> {
    let mut html = page.render()?;
    html.push('\n');
    Ok(html.into_bytes())
}

/// Whether a constant style sheet may be written raw inside `<style>`
/// (HTML does not unescape it; no `<` or `&` also keeps the page XML).
#[cfg(test)]
pub(super) fn is_raw_safe(style: &str) -> bool {
    !style.contains('<') && !style.contains('&')
}
