//! `syndic import` and `syndic export`: NDJSON in and out, in batched
//! transactions.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::Value;

use crate::clock::Clock;
use crate::domain::{Category, CategoryFields, FieldError, NewArticle, Slug};
use crate::store::{self, DbConnection, Upserted, WriteError};

/// Articles per import transaction.
const IMPORT_BATCH: usize = 1000;
/// Articles per export query.
const EXPORT_PAGE: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("categories file: {0}")]
    Categories(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

pub struct ImportOptions {
    /// JSON list of categories to create or update before the articles.
    pub categories: Option<PathBuf>,
    /// Reject the whole file when any line is bad.
    pub strict: bool,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub categories: usize,
    pub created: usize,
    pub updated: usize,
    pub rejected: Vec<RejectedLine>,
    /// Whether nothing was written because of `--strict`.
    pub aborted: bool,
    pub elapsed: Duration,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64();
        let written = self.created + self.updated;
        let rate = if seconds > 0.0 {
            written as f64 / seconds
        } else {
            0.0
        };
        write!(
            f,
            "imported {written} articles ({} created, {} updated), {} categories, {} lines rejected{} in {seconds:.1} s ({rate:.0} articles/s)",
            self.created,
            self.updated,
            self.categories,
            self.rejected.len(),
            if self.aborted { ", nothing written (--strict)" } else { "" },
        )
    }
}

fn open(path: &Path) -> Result<File, BulkError> {
    File::open(path).map_err(|source| BulkError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a categories file: a JSON array of `{slug, name, description, copyright}`.
pub fn read_categories(path: &Path) -> Result<Vec<(Slug, CategoryFields)>, BulkError> {
    let value: Value = serde_json::from_reader(BufReader::new(open(path)?))
        .map_err(|e| BulkError::Categories(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(BulkError::Categories("must be a JSON array".into()));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let invalid = |errors: Vec<FieldError>| {
                BulkError::Categories(format!("[{i}]: {}", describe(&errors)))
            };
            match CategoryFields::from_json(item).map_err(invalid)? {
                (Some(slug), fields) => Ok((slug, fields)),
                (None, _) => Err(BulkError::Categories(format!("[{i}]: slug is required"))),
            }
        })
        .collect()
}

/// Why a line of the file was rejected.
#[derive(Debug, thiserror::Error)]
enum LineError {
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldError>),
    #[error("category: unknown category {0:?}")]
    UnknownCategory(String),
}

fn describe(errors: &[FieldError]) -> String {
    let text: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    text.join("; ")
}

/// One line of the file, validated.
type ParsedLine = (usize, Result<NewArticle, LineError>);

fn parse_line(line: &[u8], known: &HashSet<String>) -> Result<NewArticle, LineError> {
    // One SIMD pass checks the line's UTF-8 (news text is mostly multi-byte,
    // where serde_json's own per-string check is slow); a line that fails it
    // is parsed as bytes so the message says where the bad byte is.
    let value: Value = match simdutf8::basic::from_utf8(line) {
        Ok(text) => serde_json::from_str(text)?,
        Err(_) => serde_json::from_slice(line)?,
    };
    let article = NewArticle::from_json(&value).map_err(LineError::Invalid)?;
    if !known.contains(article.fields.category.as_str()) {
        return Err(LineError::UnknownCategory(
            article.fields.category.as_str().to_owned(),
        ));
    }
    Ok(article)
}

/// Up to [`IMPORT_BATCH`] non-blank lines, with their line numbers; empty
/// at the end of the file.
fn read_chunk(
    reader: &mut impl BufRead,
    line_number: &mut usize,
    progress: &indicatif::ProgressBar,
) -> std::io::Result<Vec<(usize, Vec<u8>)>> {
    let mut chunk = Vec::with_capacity(IMPORT_BATCH);
    while chunk.len() < IMPORT_BATCH {
        let mut line = Vec::new();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        progress.inc(read as u64);
        *line_number += 1;
        if !line.iter().all(u8::is_ascii_whitespace) {
            chunk.push((*line_number, line));
        }
    }
    Ok(chunk)
}

/// Reads the file and validates each chunk of lines on every core (rayon;
/// sanitizing HTML is the costly part) on a thread of its own, while the
/// caller writes the previous chunk. Chunks arrive in file order.
fn spawn_readers(
    path: PathBuf,
    known: HashSet<String>,
    progress: indicatif::ProgressBar,
) -> Result<mpsc::Receiver<Result<Vec<ParsedLine>, BulkError>>, BulkError> {
    let file = open(&path)?;
    let (sender, receiver) = mpsc::sync_channel(2);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(file);
        let mut line_number = 0;
        loop {
            let parsed = match read_chunk(&mut reader, &mut line_number, &progress) {
                Ok(raw) if raw.is_empty() => return,
                Ok(raw) => Ok(raw
                    .into_par_iter()
                    .map(|(line, bytes)| (line, parse_line(&bytes, &known)))
                    .collect()),
                Err(source) => Err(BulkError::Io {
                    path: path.display().to_string(),
                    source,
                }),
            };
            let failed = parsed.is_err();
            if sender.send(parsed).is_err() || failed {
                return;
            }
        }
    });
    Ok(receiver)
}

fn progress_bar(path: &Path, shown: bool) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Imports categories (from `options.categories`) and then the NDJSON file.
/// Returns once everything it reports as imported is durable.
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, BulkError> {
    let started = Instant::now();
    store::begin_bulk_load(conn)?;
    let imported = import_lines(conn, clock, path, options);
    // Also after a failure: the batches committed before it stay.
    let durable = store::end_bulk_load(conn);
    let mut summary = imported?;
    durable?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn import_lines(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, BulkError> {
    let mut summary = ImportSummary::default();
    let new_categories = match &options.categories {
        Some(file) => read_categories(file)?,
        None => Vec::new(),
    };
    let mut known: HashSet<String> = store::list_categories(conn)?
        .into_iter()
        .map(|c| c.slug.as_str().to_owned())
        .collect();
    known.extend(
        new_categories
            .iter()
            .map(|(slug, _)| slug.as_str().to_owned()),
    );

    if options.strict {
        let receiver = spawn_readers(
            path.to_owned(),
            known.clone(),
            indicatif::ProgressBar::hidden(),
        )?;
        for chunk in receiver {
            for (line, parsed) in chunk? {
                if let Err(error) = parsed {
                    summary.rejected.push(RejectedLine {
                        line,
                        message: error.to_string(),
                    });
                }
            }
        }
        if !summary.rejected.is_empty() {
            summary.aborted = true;
            return Ok(summary);
        }
    }

    for (slug, fields) in &new_categories {
        store::upsert_category(conn, clock, slug, fields)?;
        summary.categories += 1;
    }
    let bar = progress_bar(path, options.progress);
    let receiver = spawn_readers(path.to_owned(), known, bar.clone())?;
    for chunk in receiver {
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        let mut keys = HashSet::new();
        for (line, parsed) in chunk? {
            match parsed {
                Ok(article) => {
                    // A repeated external_id starts a new transaction, so the
                    // later line updates what the earlier one created.
                    let repeated = article
                        .fields
                        .external_id
                        .as_ref()
                        .is_some_and(|k| !keys.insert(k.clone()));
                    if repeated {
                        write_batch(conn, clock, &mut batch, &mut summary)?;
                        keys.clear();
                        keys.extend(article.fields.external_id.clone());
                    }
                    batch.push(article);
                }
                Err(error) => summary.rejected.push(RejectedLine {
                    line,
                    message: error.to_string(),
                }),
            }
        }
        write_batch(conn, clock, &mut batch, &mut summary)?;
    }
    bar.finish_and_clear();
    Ok(summary)
}

fn write_batch(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    batch: &mut Vec<NewArticle>,
    summary: &mut ImportSummary,
) -> Result<(), BulkError> {
    if batch.is_empty() {
        return Ok(());
    }
    for stored in store::upsert_articles_stored(conn, clock, batch)? {
        match stored.outcome {
            Upserted::Created => summary.created += 1,
            Upserted::Updated => summary.updated += 1,
        }
    }
    batch.clear();
    Ok(())
}

/// Writes every article, drafts and scheduled ones included, as NDJSON in id
/// order; with `categories_out`, the categories as a JSON file too.
pub fn export(
    conn: &mut DbConnection,
    mut out: impl Write,
    categories_out: Option<&Path>,
) -> Result<usize, BulkError> {
    if let Some(path) = categories_out {
        let stored = store::list_categories(conn)?;
        let categories: Vec<_> = stored.iter().map(Category::to_json).collect();
        let text = serde_json::to_string_pretty(&categories).map_err(std::io::Error::from)?;
        std::fs::write(path, text + "\n").map_err(|source| BulkError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    let mut count = 0;
    let mut after = 0;
    loop {
        let page = store::list_articles_after_id(conn, after, EXPORT_PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for article in &page {
            serde_json::to_writer(&mut out, &article.to_import_json())
                .map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            count += 1;
        }
    }
    out.flush()?;
    Ok(count)
}
