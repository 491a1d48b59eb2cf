//! The `syndic` command: serve, migrate, tokens, import and export.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use syndic::clock::SystemClock;
use syndic::config::{Config, LogFormat, SettingsArgs};
use syndic::domain::{format_time, generate_token, hash_token};
use syndic::{bulk, startup, store};

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
enum TokenAction {
    /// Create a token; it is printed once, alone on the last line
    Create { name: String },
    /// List token names and creation times
    List,
    /// Revoke a token; requests with it fail at once
    Revoke { name: String },
}

fn main() -> ExitCode {
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
            eprintln!("syndic: {error}");
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

type CommandResult = Result<ExitCode, Box<dyn std::error::Error>>;

fn execute(command: Command, config: Config) -> CommandResult {
    match command {
        Command::Serve => serve(config),
        Command::Migrate => {
            let mut conn = store::establish(&config.database_url)?;
            let ran =
                store::run_migrations(&mut conn).map_err(|e| e as Box<dyn std::error::Error>)?;
            println!("{ran} migration(s) applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { action } => token(action, &config),
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

fn connect_migrated(config: &Config) -> Result<store::DbConnection, Box<dyn std::error::Error>> {
    let mut conn = store::establish(&config.database_url)?;
    store::run_migrations(&mut conn).map_err(|e| e as Box<dyn std::error::Error>)?;
    Ok(conn)
}

fn token(action: TokenAction, config: &Config) -> CommandResult {
    let mut conn = connect_migrated(config)?;
    match action {
        TokenAction::Create { name } => {
            let token = generate_token();
            store::create_token(&mut conn, &name, &hash_token(&token))?;
            println!("Token {name:?} created. It is shown only this once; keep it secret:");
            println!("{token}");
        }
        TokenAction::List => {
            for record in store::list_tokens(&mut conn)? {
                println!("{}\t{}", record.name, format_time(record.created_at));
            }
        }
        TokenAction::Revoke { name } => {
            if !store::revoke_token(&mut conn, &name)? {
                eprintln!("syndic: no token named {name:?}");
                return Ok(ExitCode::FAILURE);
            }
            println!("Token {name:?} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(config: Config) -> CommandResult {
    let bind = config.bind.clone();
    let state = startup::prepare(config, Arc::new(SystemClock))?;
    let listener = TcpListener::bind(&bind)?;
    tracing::info!(address = %bind, "listening");
    actix_web::rt::System::new()
        .block_on(async move { startup::run(listener, state)?.wait().await })?;
    tracing::info!("stopped: requests in flight were finished");
    Ok(ExitCode::SUCCESS)
}
