//! A small HTML writer for syndic's own pages (the iframe widget, the index):
//! polyglot HTML5 written with `quick-xml`, so every text and attribute is
//! escaped by the crate and the output is also well-formed XML.
//!
//! Only void elements (`meta`, `link`) are written empty; every other element
//! gets an end tag, as HTML requires.

use std::io;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::xml_safe;

/// The writer the pages are built with.
pub(super) type HtmlWriter = Writer<Vec<u8>>;

/// Writes `<!DOCTYPE html><html lang=…><head>…</head><body>…</body></html>`.
/// `head` follows the `<meta charset>` line; `title` is the document title.
pub(super) fn document(
    lang: &str,
    title: &str,
    style: &'static str,
    head: impl FnOnce(&mut HtmlWriter) -> io::Result<()>,
    body: impl FnOnce(&mut HtmlWriter) -> io::Result<()>,
) -> Vec<u8> {
    let mut writer = Writer::new_with_indent(Vec::with_capacity(4096), b' ', 1);
    let written = write_document(&mut writer, lang, title, style, head, body);
    // Writing to a Vec cannot fail.
    debug_assert!(written.is_ok(), "{written:?}");
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    bytes
}

fn write_document(
    writer: &mut HtmlWriter,
    lang: &str,
    title: &str,
    style: &'static str,
    head: impl FnOnce(&mut HtmlWriter) -> io::Result<()>,
    body: impl FnOnce(&mut HtmlWriter) -> io::Result<()>,
) -> io::Result<()> {
    writer.write_event(Event::DocType(BytesText::from_escaped("html")))?;
    element(writer, "html", &[("lang", lang)], |w| {
        element(w, "head", &[], |w| {
            void(w, "meta", &[("charset", "utf-8")])?;
            void(
                w,
                "meta",
                &[
                    ("name", "viewport"),
                    ("content", "width=device-width, initial-scale=1"),
                ],
            )?;
            text_element(w, "title", &[], title)?;
            head(w)?;
            raw_style(w, style)
        })?;
        element(w, "body", &[], body)
    })
}

/// `<name attrs>…</name>`, with `content` writing what goes inside.
pub(super) fn element(
    writer: &mut HtmlWriter,
    name: &str,
    attributes: &[(&str, &str)],
    content: impl FnOnce(&mut HtmlWriter) -> io::Result<()>,
) -> io::Result<()> {
    writer.write_event(Event::Start(start(name, attributes)))?;
    content(writer)?;
    writer.write_event(Event::End(BytesEnd::new(name)))
}

/// `<name attrs>text</name>`, the text escaped.
pub(super) fn text_element(
    writer: &mut HtmlWriter,
    name: &str,
    attributes: &[(&str, &str)],
    text: &str,
) -> io::Result<()> {
    writer
        .create_element(name)
        .with_attributes(safe_attributes(attributes))
        .write_text_content(BytesText::new(&xml_safe(text)))?;
    Ok(())
}

/// A void element (`meta`, `link`), written `<name attrs/>`.
pub(super) fn void(
    writer: &mut HtmlWriter,
    name: &str,
    attributes: &[(&str, &str)],
) -> io::Result<()> {
    writer.write_event(Event::Empty(start(name, attributes)))
}

/// Escaped text at the current position.
pub(super) fn text(writer: &mut HtmlWriter, text: &str) -> io::Result<()> {
    writer.write_event(Event::Text(BytesText::new(&xml_safe(text))))
}

/// `<style>` with a constant style sheet. HTML does not unescape the inside
/// of `<style>`, so the sheet is written raw; it must hold no `<` or `&`
/// (checked by the renderers' tests), which also keeps the page well-formed XML.
fn raw_style(writer: &mut HtmlWriter, style: &'static str) -> io::Result<()> {
    element(writer, "style", &[], |w| {
        w.write_event(Event::Text(BytesText::from_escaped(style)))
    })
}

fn start<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
    BytesStart::new(name).with_attributes(safe_attributes(attributes))
}

fn safe_attributes<'a>(
    attributes: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (&'a str, std::borrow::Cow<'a, str>)> {
    attributes
        .iter()
        .map(|&(name, value)| (name, xml_safe(value)))
}

/// Whether a constant style sheet may be written raw inside `<style>`.
#[cfg(test)]
pub(super) fn is_raw_safe(style: &str) -> bool {
    !style.contains('<') && !style.contains('&')
}
