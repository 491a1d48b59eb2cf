//! The `syndic` command line: one clap definition, and a module per group
//! of subcommands (serve, tokens, import/export), plus the demo content.

pub mod bulk;
mod demo;
mod serve;
mod token;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{Config, LogFormat, SettingsArgs};
use crate::error::error_chain;
use crate::store;

#[derive(Parser)]
#[command(
    name = "syndic",
    version,
    about = "Publishes a news site's articles as RSS, Atom and JSON Feed"
)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage API tokens
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Upsert articles from NDJSON by external_id
    Import {
        /// NDJSON file, one article per line
        file: PathBuf,
        /// JSON list of categories to create or update first
        #[arg(long)]
        categories: Option<PathBuf>,
        /// Reject the whole file when any line is bad
        #[arg(long)]
        strict: bool,
    },
    /// Write every article as NDJSON on stdout, in the shape import reads
    Export {
        /// Also write the categories to this JSON file
        #[arg(long)]
        categories: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Create a token; it is printed once, alone on the last line
    Create { name: String },
    /// List token names and creation times
    List,
    /// Revoke a token; requests with it fail at once
    Revoke { name: String },
}

/// Parses the command line and runs the subcommand; the process's exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(cli.settings) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("syndic: {error}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    match execute(cli.command, config) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("syndic: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub(crate) type CommandResult = Result<ExitCode, Box<dyn std::error::Error>>;

fn execute(command: Command, config: Config) -> CommandResult {
    match command {
        Command::Serve => serve::serve(config),
        Command::Migrate => {
            let mut conn = store::establish(&config.database_url)?;
            let ran =
                store::run_migrations(&mut conn).map_err(|e| e as Box<dyn std::error::Error>)?;
            println!("{ran} migration(s) applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { action } => token::run(action, &config),
        Command::Import {
            file,
            categories,
            strict,
        } => {
            let mut conn = connect_migrated(&config)?;
            let options = bulk::ImportOptions {
                categories,
                strict,
                progress: std::io::stderr().is_terminal(),
            };
            let summary = bulk::import(&mut conn, &SystemClock, &file, &options)?;
            for rejected in &summary.rejected {
                eprintln!("line {}: {}", rejected.line, rejected.message);
            }
            println!("{summary}");
            Ok(if summary.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Export { categories } => {
            let mut conn = connect_migrated(&config)?;
            let stdout = std::io::stdout().lock();
            let count = bulk::export(
                &mut conn,
                std::io::BufWriter::new(stdout),
                categories.as_deref(),
            )?;
            eprintln!("exported {count} articles");
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn connect_migrated(
    config: &Config,
) -> Result<store::DbConnection, Box<dyn std::error::Error>> {
    let mut conn = store::establish(&config.database_url)?;
    store::run_migrations(&mut conn).map_err(|e| e as Box<dyn std::error::Error>)?;
    Ok(conn)
}
