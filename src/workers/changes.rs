//! Keeps this node's cache in step with the change log: a read once a
//! second (writes by `syndic import` or by other nodes), and on PostgreSQL a
//! listener that reads it as soon as a write is notified.

use std::time::{Duration, Instant};

use actix_web::web;

use crate::domain::DatabaseUrl;
use crate::error::error_chain;
use crate::state::{AppState, Db};
use crate::store::{self, ConnectError, DbConnection, DbError};

/// How often the change log is read for writes made by other processes.
const CHANGE_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often the listening connection is checked for notifications that
/// have arrived (a non-blocking read, no query).
const NOTIFICATION_POLL: Duration = Duration::from_millis(50);
/// How often the listening connection is proven alive with a query: a
/// connection that died silently would otherwise just stay quiet.
const LIVENESS_CHECK: Duration = Duration::from_secs(10);
/// Longest wait between attempts to reconnect.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// Reads the change log once a second, so writes made by other processes
/// (an import, another node) reach this node's cache within a second.
pub async fn follow(state: web::Data<AppState>) {
    let mut interval = actix_web::rt::time::interval(CHANGE_POLL_INTERVAL);
    loop {
        interval.tick().await;
        if let Err(error) = state.db.follow_changes().await {
            tracing::warn!(error = %error_chain(&error), "reading the change log failed");
        }
    }
}

/// Why the listening connection was lost or could not be had.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("cannot connect")]
    Connect(#[from] ConnectError),
    #[error("query failed")]
    Query(#[from] diesel::result::Error),
    #[error("the listening task did not finish")]
    Cancelled(#[from] DbError),
}

/// On PostgreSQL, keeps a dedicated connection listening for the
/// notifications every committed write sends, and applies the change log as
/// soon as one arrives: a write through any node reaches this node's cache
/// in milliseconds rather than at the next once-a-second poll. Returns at
/// once on SQLite. Runs until the server stops.
///
/// A lost connection does not flush the cache: notifications only say
/// "read the log", and the log itself is read by sequence (writes are
/// serialized across nodes, so sequences follow commit order). The first
/// read after reconnecting picks up whatever was missed, so cached feeds
/// keep being served while the database is away.
pub async fn listen(state: web::Data<AppState>) {
    let DatabaseUrl::Postgres(_) = &state.config.database_url else {
        return;
    };
    let mut delay = Duration::from_millis(250);
    let mut connected_before = false;
    loop {
        let url = state.config.database_url.clone();
        let connected = Db::off_the_event_loop(move || -> Result<DbConnection, ListenError> {
            let mut conn = store::establish(&url)?;
            store::listen_for_changes(&mut conn)?;
            Ok(conn)
        })
        .await;
        match connected {
            Ok(conn) => {
                delay = Duration::from_millis(250);
                // Missed notifications are caught up by the first read of
                // the change log on the new connection.
                if connected_before {
                    state.metrics.change_listener_reconnects.inc();
                    tracing::info!(
                        "change notifications reconnected; catching up from the change log"
                    );
                }
                connected_before = true;
                let error = follow_notifications(conn, &state).await;
                tracing::warn!(error = %error_chain(&error), "change notifications lost; reconnecting");
            }
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), retry_in_ms = delay.as_millis() as u64, "cannot listen for change notifications");
                actix_web::rt::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

/// Applies the change log whenever a notification arrives, until the
/// connection fails; returns the failure.
async fn follow_notifications(mut conn: DbConnection, state: &web::Data<AppState>) -> ListenError {
    // Whatever was committed before LISTEN took effect.
    let mut notified = true;
    let mut last_check = Instant::now();
    loop {
        let check_alive = last_check.elapsed() >= LIVENESS_CHECK;
        if check_alive {
            last_check = Instant::now();
        }
        let round_state = state.clone();
        let round = Db::off_the_event_loop(move || {
            let result = poll_once(&mut conn, notified, check_alive, &round_state);
            Ok::<_, ListenError>((conn, result))
        })
        .await;
        match round {
            Ok((returned, Ok(received))) => {
                conn = returned;
                if received {
                    state.metrics.change_notifications.inc();
                }
            }
            Ok((_, Err(error))) => return error.into(),
            Err(error) => return error,
        }
        notified = false;
        actix_web::rt::time::sleep(NOTIFICATION_POLL).await;
    }
}

/// One look at the listening connection; true when notifications had come.
fn poll_once(
    conn: &mut DbConnection,
    already_notified: bool,
    check_alive: bool,
    state: &AppState,
) -> diesel::QueryResult<bool> {
    if check_alive {
        store::ping(conn)?;
    }
    let received = store::take_change_notifications(conn)?;
    if received || already_notified {
        state.watcher.sync(conn, &state.cache)?;
    }
    Ok(received)
}
