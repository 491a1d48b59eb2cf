//! `syndic serve`: migrations, demo content if asked, then HTTP until a signal.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use super::{demo, CommandResult};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::server;

pub fn serve(config: Config) -> CommandResult {
    let bind = config.bind.clone();
    let demo = config.demo;
    let state = server::prepare(config, Arc::new(SystemClock))?;
    if demo {
        let mut conn = state.db.pool().get()?;
        if demo::fill_if_empty(&mut conn, state.clock.as_ref())? {
            tracing::info!("demo content created");
        }
    }
    let listener = TcpListener::bind(&bind)?;
    tracing::info!(address = %bind, "listening");
    actix_web::rt::System::new()
        .block_on(async move { server::run(listener, state)?.wait().await })?;
    tracing::info!("stopped: requests in flight were finished");
    Ok(ExitCode::SUCCESS)
}
