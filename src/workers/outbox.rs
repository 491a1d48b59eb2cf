//! The outbox: tells the configured WebSub hubs which feeds changed, and
//! the caches in front (`--purge`) which surrogate keys to purge.
//!
//! Writes only append to the change log. A background task on every node
//! turns new changes into rows of the outbox (`store::enqueue_outbox`),
//! claims due rows and sends them: each ping as a form POST
//! `hub.mode=publish&hub.url=FEED_URL`, the purge keys of one target
//! together in one request (see [`super::purge`]), retrying failures with
//! exponential backoff. Because the outbox is a table and claiming is a
//! serialized write, rows survive restarts and several nodes send each one
//! once.

use std::time::Duration;

use actix_web::web;
use futures_util::future::join_all;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::conditional::SETTLE_MARGIN;
use crate::config::Config;
use crate::domain::{
    facet_feed_url, feed_url, AbsoluteUrl, DatabaseUrl, FeedFormat, Slug, SurrogateKey,
    SITE_FEED_NAME,
};
use crate::error::error_chain;
use crate::state::AppState;
use crate::store::{
    self, ChangedFeeds, ClaimedPing, DbConnection, DbError, OutboxKind, OutboxMessage,
};

/// How often the outbox is filled from the change log and due rows sent
/// (at once after a write on this node).
const ROUND_INTERVAL: Duration = Duration::from_secs(1);
/// Rows claimed per round.
const BATCH: i64 = 500;
/// A claimed ping not finished by then (its node died) is sent again.
const CLAIM_LEASE_SECONDS: i64 = 60;
/// Between enqueuing new rows and sending them (PostgreSQL only): the time
/// for every node sharing the database to hear of the change (LISTEN/NOTIFY takes
/// milliseconds) and drop its cached copies, so that a cache in front,
/// purged, fetches the new content from whichever node it asks. Changes
/// falling within it go out together.
const PROPAGATION_DELAY: Duration = Duration::from_millis(200);
/// Longest wait for a hub's answer.
const HUB_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts before a ping is given up (about an hour of retries). A later
/// change to the same feed enqueues a new one.
const MAX_ATTEMPTS: i32 = 15;
/// Longest wait between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

/// The feed URLs a hub must hear about: the first page of every format of
/// each changed category's and facet's feeds, and of the site-wide feeds.
pub fn topics(base_url: &AbsoluteUrl, changed: &ChangedFeeds) -> Vec<String> {
    let names = changed
        .categories
        .iter()
        .map(String::as_str)
        .chain(changed.site_feeds.then_some(SITE_FEED_NAME));
    let named =
        names.flat_map(|name| FeedFormat::ALL.map(|format| feed_url(base_url, name, format)));
    let facets = changed
        .facets
        .iter()
        .flat_map(|facet| FeedFormat::ALL.map(|format| facet_feed_url(base_url, facet, format)));
    named.chain(facets).collect()
}

/// The surrogate keys whose responses changed (SPEC §8).
pub fn purge_keys(changed: &ChangedFeeds) -> Vec<SurrogateKey> {
    if changed.everything {
        return vec![SurrogateKey::Everything];
    }
    let mut keys = Vec::new();
    if changed.site_feeds {
        keys.push(SurrogateKey::Site);
    }
    if changed.directory {
        keys.push(SurrogateKey::Directory);
    }
    keys.extend(
        changed
            .categories
            .iter()
            .filter_map(|slug| Slug::parse(slug).ok())
            .map(SurrogateKey::Category),
    );
    keys.extend(changed.facets.iter().cloned().map(SurrogateKey::Facet));
    keys
}

/// The outbox rows for what changed: a ping per hub and feed URL, a purge
/// per target and key, and for webhooks a row per changed feed URL too.
pub fn outbox_messages(config: &Config, changed: &ChangedFeeds) -> Vec<OutboxMessage> {
    let urls = topics(&config.base_url, changed);
    let mut messages = Vec::new();
    for hub in &config.websub_hubs {
        messages.extend(urls.iter().map(|url| OutboxMessage {
            kind: OutboxKind::Ping,
            destination: hub.as_str().to_owned(),
            subject: url.clone(),
        }));
    }
    if config.purge_targets.is_empty() {
        return messages;
    }
    let keys: Vec<String> = purge_keys(changed)
        .iter()
        .map(ToString::to_string)
        .collect();
    for target in &config.purge_targets {
        let destination = target.configured();
        messages.extend(keys.iter().map(|key| OutboxMessage {
            kind: OutboxKind::PurgeKey,
            destination: destination.to_owned(),
            subject: key.clone(),
        }));
        if target.wants_urls() {
            messages.extend(urls.iter().map(|url| OutboxMessage {
                kind: OutboxKind::PurgeUrl,
                destination: destination.to_owned(),
                subject: url.clone(),
            }));
        }
    }
    messages
}

/// How long to wait after the `failures`-th failed attempt: 1 s, 2 s, 4 s…
/// up to [`MAX_RETRY_DELAY`].
pub fn retry_delay(failures: i32) -> Duration {
    // 2^20 s is far past the cap already; clamping first keeps the shift small.
    let exponent = failures.clamp(1, 21) - 1;
    Duration::from_secs(1u64 << exponent).min(MAX_RETRY_DELAY)
}

/// Turns changes committed since the last call into pings for every
/// configured hub and purges for every target. At start-up this catches up
/// with what was written while no server ran (an import); the first time
/// ever it only marks where the change log stands.
pub fn enqueue_changes(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    config: &Config,
) -> diesel::QueryResult<usize> {
    let live_until = clock.now() - SETTLE_MARGIN;
    store::enqueue_outbox(
        conn,
        clock,
        live_until,
        config.tombstone_period,
        |changed| outbox_messages(config, changed),
    )
}

/// Fills and drains the outbox until `stop` turns true (checked between
/// rounds, so a round's outcomes are always recorded). Does nothing when no
/// hub and no purge target is configured.
pub async fn publish(state: web::Data<AppState>, mut stop: watch::Receiver<bool>) {
    if state.config.websub_hubs.is_empty() && state.config.purge_targets.is_empty() {
        return;
    }
    let client = match reqwest::Client::builder()
        .timeout(HUB_TIMEOUT)
        .user_agent(concat!("syndic/", env!("CARGO_PKG_VERSION")))
        // A hub is the operator's URL; a redirect elsewhere counts as a failure.
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "WebSub disabled: no HTTP client");
            return;
        }
    };
    let mut interval = actix_web::rt::time::interval(ROUND_INTERVAL);
    let wake = state.db.outbox_wake();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = wake.notified() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(error) = publish_round(&state, &client).await {
            tracing::warn!(error = %error_chain(&error), "outbox round failed");
        }
        state.metrics.websub_rounds.inc();
    }
}

/// One round: enqueue what changed, send what is due, record the outcomes.
async fn publish_round(
    state: &web::Data<AppState>,
    client: &reqwest::Client,
) -> Result<(), DbError> {
    let added = with_connection(state, |conn, state| {
        // This node's cache first: it must not serve what it is about to
        // announce as changed from before the change.
        state.db.sync_changes(conn);
        enqueue_changes(conn, state.clock.as_ref(), &state.config)
    })
    .await?;
    // One SQLite file has one node: nobody else to wait for.
    let shared = matches!(state.config.database_url, DatabaseUrl::Postgres(_));
    if added > 0 && shared {
        actix_web::rt::time::sleep(PROPAGATION_DELAY).await;
    }
    let claimed = with_connection(state, |conn, state| {
        let lease = chrono::Duration::seconds(CLAIM_LEASE_SECONDS);
        let claimed = store::claim_due_pings(conn, state.clock.as_ref(), BATCH, lease)?;
        record_depths(conn, state)?;
        Ok(claimed)
    })
    .await?;
    if claimed.is_empty() {
        return Ok(());
    }
    let (pings, purges): (Vec<ClaimedPing>, Vec<ClaimedPing>) = claimed
        .into_iter()
        .partition(|row| row.kind == OutboxKind::Ping);

    let ping_outcomes = join_all(pings.iter().map(|ping| send(client, ping))).await;
    let batch = super::purge::requests(&state.config.purge_targets, purges);
    let purge_outcomes = join_all(
        batch
            .requests
            .iter()
            .map(|request| super::purge::send(client, request)),
    )
    .await;

    with_connection(state, move |conn, state| {
        let metrics = &state.metrics;
        for (ping, outcome) in pings.iter().zip(ping_outcomes) {
            let label = record_outcome(conn, state, ping, outcome.map_err(|e| error_chain(&e)))?;
            metrics.websub_pings.with_label_values(&[label]).inc();
        }
        for (request, outcome) in batch.requests.iter().zip(purge_outcomes) {
            let outcome = outcome.map_err(|e| error_chain(&e));
            let mut label = "sent";
            for row in &request.rows {
                label = record_outcome(conn, state, row, outcome.clone())?;
            }
            metrics.purges.with_label_values(&[label]).inc();
        }
        for row in &batch.orphans {
            // Its target is no longer configured: nobody to send it to.
            store::remove_ping(conn, row.id)?;
        }
        record_depths(conn, state)
    })
    .await
}

/// Removes a row that was sent or given up, or postpones it; returns the
/// outcome's metric label.
fn record_outcome(
    conn: &mut DbConnection,
    state: &AppState,
    row: &ClaimedPing,
    outcome: Result<(), String>,
) -> diesel::QueryResult<&'static str> {
    let failures = row.attempts + 1;
    Ok(match outcome {
        Ok(()) => {
            store::remove_ping(conn, row.id)?;
            "sent"
        }
        Err(error) if failures >= MAX_ATTEMPTS => {
            tracing::error!(to = %row.hub, subject = %row.topic, %error, failures, "outbox row given up");
            store::remove_ping(conn, row.id)?;
            "given_up"
        }
        Err(error) => {
            let delay = retry_delay(failures);
            tracing::warn!(to = %row.hub, subject = %row.topic, %error, failures, retry_in_s = delay.as_secs(), "outbox send failed");
            let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            store::postpone_ping(conn, row.id, state.clock.now() + delay, &error)?;
            "failed"
        }
    })
}

fn record_depths(conn: &mut DbConnection, state: &AppState) -> diesel::QueryResult<()> {
    state
        .metrics
        .websub_queue_depth
        .set(store::count_pending(conn, false)?);
    state
        .metrics
        .purge_queue_depth
        .set(store::count_pending(conn, true)?);
    Ok(())
}

/// Runs `work` with the node's state on a pooled connection, off the event loop.
async fn with_connection<T: Send + 'static>(
    state: &web::Data<AppState>,
    work: impl FnOnce(&mut DbConnection, &AppState) -> diesel::QueryResult<T> + Send + 'static,
) -> Result<T, DbError> {
    let worker_state = state.clone();
    state
        .db
        .read(move |conn| Ok(work(conn, &worker_state)?))
        .await
}

/// Why a hub did not take a ping.
#[derive(Debug, thiserror::Error)]
enum PingError {
    #[error("request failed")]
    Request(#[from] reqwest::Error),
    #[error("hub answered {0}")]
    Refused(reqwest::StatusCode),
}

/// Sends one publish ping; any 2xx is success.
async fn send(client: &reqwest::Client, ping: &ClaimedPing) -> Result<(), PingError> {
    let response = client
        .post(&ping.hub)
        .form(&[("hub.mode", "publish"), ("hub.url", ping.topic.as_str())])
        .send()
        .await?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(PingError::Refused(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_change_announces_its_feeds_and_the_site_feeds_in_every_format() {
        let base = AbsoluteUrl::parse("https://news.example.com/").expect("url");
        let changed = ChangedFeeds {
            everything: false,
            directory: false,
            site_feeds: true,
            categories: ["local".to_owned()].into(),
            facets: [
                crate::domain::Facet::new(crate::domain::FacetKind::Source, "新华社")
                    .expect("a source"),
            ]
            .into(),
        };
        assert_eq!(
            topics(&base, &changed),
            [
                "https://news.example.com/feeds/local.rss",
                "https://news.example.com/feeds/local.atom",
                "https://news.example.com/feeds/local.json",
                "https://news.example.com/feeds/all.rss",
                "https://news.example.com/feeds/all.atom",
                "https://news.example.com/feeds/all.json",
                "https://news.example.com/feeds/sources/%E6%96%B0%E5%8D%8E%E7%A4%BE.rss",
                "https://news.example.com/feeds/sources/%E6%96%B0%E5%8D%8E%E7%A4%BE.atom",
                "https://news.example.com/feeds/sources/%E6%96%B0%E5%8D%8E%E7%A4%BE.json",
            ]
        );
    }

    #[test]
    fn nothing_changed_announces_nothing() {
        let base = AbsoluteUrl::parse("https://news.example.com/").expect("url");
        assert!(topics(&base, &ChangedFeeds::default()).is_empty());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_ten_minutes() {
        let delays: Vec<u64> = (1..=12).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(retry_delay(0).as_secs(), 1);
        assert_eq!(retry_delay(i32::MAX).as_secs(), 600);
    }
}
