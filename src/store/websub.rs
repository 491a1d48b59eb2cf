//! The outbox: WebSub publish pings waiting to be sent to hubs, and purges
//! waiting to be sent to caches in front.
//!
//! Both are derived from the change log, so a write never does anything for
//! them itself: a background worker turns committed changes into rows here
//! and sends them. Enqueuing and claiming run as write transactions, which
//! serialize across nodes sharing a PostgreSQL database, so each change is
//! enqueued once and each row is sent by one node at a time.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use sha2::{Digest, Sha256};

use super::categories::list_categories;
use super::changes::{last_category_list_change_at, last_change_sequence, read_state, write_state};
use super::facets::{facets_of_articles, find_facet};
use super::schema::{articles, categories, changes, tombstones, websub_pings};
use super::{write_transaction, DbConnection};
use crate::clock::Clock;
use crate::domain::{ArticleStatus, Facet};

/// `service_state` row: the newest change already turned into pings.
const CHANGE_CURSOR: &str = "websub_change_cursor";
/// `service_state` row: scheduled articles that went live up to this time
/// have had their pings enqueued.
const LIVE_CURSOR: &str = "websub_live_cursor";
/// `service_state` row: the directory's newest change already announced.
const DIRECTORY_CURSOR: &str = "outbox_directory_cursor";

/// What one outbox row asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxKind {
    /// A WebSub publish ping: destination a hub, subject a feed URL.
    Ping,
    /// A purge: destination a `--purge` target, subject a surrogate key.
    PurgeKey,
    /// A purge: destination a webhook, subject a changed feed's URL.
    PurgeUrl,
}

impl OutboxKind {
    const ALL: [Self; 3] = [Self::Ping, Self::PurgeKey, Self::PurgeUrl];

    fn as_str(self) -> &'static str {
        match self {
            Self::Ping => "websub",
            Self::PurgeKey => "purge-key",
            Self::PurgeUrl => "purge-url",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One row to add to the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutboxMessage {
    pub kind: OutboxKind,
    pub destination: String,
    pub subject: String,
}

/// Which feeds changed since the last enqueue.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ChangedFeeds {
    /// Every response may have changed: the site settings changed, or a
    /// category was deleted (its feeds now answer 404).
    pub everything: bool,
    /// The directory (OPML, index and category pages) changed: a category
    /// was created, changed or deleted, or the site settings changed.
    pub directory: bool,
    /// The site-wide feeds changed (not so for a change to a category with
    /// no live article).
    pub site_feeds: bool,
    /// Slugs of the existing categories whose feeds changed.
    pub categories: BTreeSet<String>,
    /// Tags, authors and sources whose feeds changed (not for a change of
    /// the site settings: that would ping every value ever written).
    pub facets: BTreeSet<Facet>,
}

impl ChangedFeeds {
    pub fn is_empty(&self) -> bool {
        !self.everything
            && !self.directory
            && !self.site_feeds
            && self.categories.is_empty()
            && self.facets.is_empty()
    }
}

/// An outbox row claimed for sending.
#[derive(Debug, Clone)]
pub struct ClaimedPing {
    pub id: i64,
    pub kind: OutboxKind,
    /// The hub, or the purge target as configured.
    pub hub: String,
    /// The feed URL, or the surrogate key.
    pub topic: String,
    /// Failed attempts so far.
    pub attempts: i32,
}

/// Turns the visible changes committed since the last call (and scheduled
/// articles that went live up to `live_until`) into outbox rows, `messages`
/// naming the rows for what changed. A row already waiting for the same
/// destination and subject covers the new change. Returns how many rows
/// were added. The first call only records where the log stands: pings and
/// purges are for changes made while they are configured.
///
/// `live_until` lags the clock by the settle margin, so that a hub told of
/// a scheduled article finds it on every node, whatever its clock. Deleted
/// entries whose `tombstones` period ended in the same window changed their
/// feeds too.
pub fn enqueue_outbox(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    live_until: DateTime<Utc>,
    tombstones: Option<Duration>,
    messages: impl Fn(&ChangedFeeds) -> Vec<OutboxMessage>,
) -> QueryResult<usize> {
    // Most rounds find nothing: a read keeps them from taking the write lock.
    if !has_unannounced_changes(conn, live_until, tombstones)? {
        return Ok(0);
    }
    write_transaction(conn, clock, |tx| {
        let conn = &mut *tx.conn;
        let newest_change = last_change_sequence(conn)?;
        let Some((change_cursor, live_cursor)) = read_cursors(conn)? else {
            write_cursors(conn, newest_change, live_until, tx.now)?;
            let directory = directory_fingerprint(conn)?;
            write_state(conn, DIRECTORY_CURSOR, &directory, tx.now)?;
            return Ok(0);
        };
        // Never back: another node's clock may be behind this one's.
        let live_until = live_until.naive_utc().max(live_cursor);

        let logged = changes::table
            .filter(changes::id.gt(change_cursor))
            .filter(changes::visible.eq(true))
            .select((
                changes::category_id,
                changes::facet_key,
                changes::affects_site_feeds,
            ))
            .load::<(Option<i64>, Option<i64>, bool)>(conn)?;
        let went_live = went_live(live_cursor, live_until)
            .select((articles::id, articles::category_id))
            .load::<(i64, i64)>(conn)?;
        let expired = match tombstones {
            Some(period) => expired_tombstones(live_cursor, live_until, period)
                .select((tombstones::category_id, tombstones::facet_key))
                .load::<(Option<i64>, Option<i64>)>(conn)?,
            None => Vec::new(),
        };
        let site_feeds = !went_live.is_empty()
            || logged.iter().any(|(_, _, site)| *site)
            || expired.contains(&(None, None));
        let mut touched: BTreeSet<Option<i64>> = BTreeSet::new();
        let mut facet_keys = BTreeSet::new();
        for scope in &expired {
            match *scope {
                (Some(category), _) => {
                    touched.insert(Some(category));
                }
                (None, Some(key)) => {
                    facet_keys.insert(key);
                }
                (None, None) => {}
            }
        }
        for (category, facet, _) in logged {
            match (category, facet) {
                (None, Some(key)) => {
                    facet_keys.insert(key);
                }
                (category, _) => {
                    touched.insert(category);
                }
            }
        }
        touched.extend(went_live.iter().map(|(_, category)| Some(*category)));

        let mut changed = changed_feeds(conn, &touched, site_feeds)?;
        let directory = directory_fingerprint(conn)?;
        let announced = read_state(conn, DIRECTORY_CURSOR)?;
        if announced.as_deref() != Some(directory.as_str()) {
            // No fingerprint yet (a database from before purges): from now on.
            changed.directory |= announced.is_some();
            write_state(conn, DIRECTORY_CURSOR, &directory, tx.now)?;
        }
        for key in facet_keys {
            changed.facets.extend(find_facet(conn, key)?);
        }
        let live_ids: Vec<i64> = went_live.iter().map(|(id, _)| *id).collect();
        changed.facets.extend(facets_of_articles(conn, &live_ids)?);
        let added = if changed.is_empty() {
            0
        } else {
            insert_messages(conn, &messages(&changed), tx.now)?
        };
        write_cursors(conn, newest_change, live_until.and_utc(), tx.now)?;
        Ok(added)
    })
}

/// Articles written before their publication time that reached it in
/// (`after`, `until`]: their feeds changed without a write.
#[diesel::dsl::auto_type]
fn went_live(after: NaiveDateTime, until: NaiveDateTime) -> _ {
    let published: &'static str = ArticleStatus::Published.as_str();
    articles::table
        .filter(articles::status.eq(published))
        .filter(articles::published_at.gt(after))
        .filter(articles::published_at.le(until))
        .filter(articles::updated_at.lt(articles::published_at))
}

/// Deleted entries whose period ended in (`after`, `until`]: they left
/// their feeds without a write.
#[diesel::dsl::auto_type]
fn expired_tombstones(after: NaiveDateTime, until: NaiveDateTime, period: Duration) -> _ {
    tombstones::table
        .filter(tombstones::deleted_at.gt(after - period))
        .filter(tombstones::deleted_at.le(until - period))
}

/// Whether [`enqueue_outbox`] has anything to do (or its cursors to set).
fn has_unannounced_changes(
    conn: &mut DbConnection,
    live_until: DateTime<Utc>,
    tombstones: Option<Duration>,
) -> QueryResult<bool> {
    let Some((change_cursor, live_cursor)) = read_cursors(conn)? else {
        return Ok(true);
    };
    let newer_change = changes::table
        .filter(changes::id.gt(change_cursor))
        .select(changes::id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    if newer_change {
        return Ok(true);
    }
    let live_until = live_until.naive_utc();
    if went_live(live_cursor, live_until)
        .select(articles::id)
        .first::<i64>(conn)
        .optional()?
        .is_some()
    {
        return Ok(true);
    }
    let Some(period) = tombstones else {
        return Ok(false);
    };
    Ok(expired_tombstones(live_cursor, live_until, period)
        .select(tombstones::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The newest change already announced and the time up to which articles
/// that went live were; `None` before the first enqueue (or if unreadable).
fn read_cursors(conn: &mut DbConnection) -> QueryResult<Option<(i64, NaiveDateTime)>> {
    let change = read_state(conn, CHANGE_CURSOR)?.and_then(|raw| raw.parse::<i64>().ok());
    let live = read_state(conn, LIVE_CURSOR)?
        .and_then(|raw| DateTime::parse_from_rfc3339(&raw).ok())
        .map(|time| time.naive_utc());
    Ok(change.zip(live))
}

fn write_cursors(
    conn: &mut DbConnection,
    newest_change: i64,
    live_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    write_state(conn, CHANGE_CURSOR, &newest_change.to_string(), now)?;
    write_state(conn, LIVE_CURSOR, &live_until.to_rfc3339(), now)
}

/// The feeds of the categories in `touched` (every category for `None`),
/// and the site-wide feeds when `site_feeds`.
fn changed_feeds(
    conn: &mut DbConnection,
    touched: &BTreeSet<Option<i64>>,
    site_feeds: bool,
) -> QueryResult<ChangedFeeds> {
    let ids: Vec<i64> = touched.iter().flatten().copied().collect();
    let everything = touched.contains(&None);
    // A change without a category (the site settings) changes every feed; a
    // deleted category has no slug left, and no feed to announce.
    let slugs = if everything {
        categories::table
            .select(categories::slug)
            .load::<String>(conn)?
    } else if ids.is_empty() {
        Vec::new()
    } else {
        categories::table
            .filter(categories::id.eq_any(&ids))
            .select(categories::slug)
            .load::<String>(conn)?
    };
    // Some category no longer exists: caches in front still hold its feeds.
    let deleted_category = !everything && slugs.len() < ids.len();
    Ok(ChangedFeeds {
        everything: everything || deleted_category,
        directory: everything,
        site_feeds,
        categories: slugs.into_iter().collect(),
        facets: BTreeSet::new(),
    })
}

/// What the directory shows, digested: every category's fields, and when
/// the last category was deleted or the site settings changed. Compared,
/// not ordered, so two changes in one clock tick still differ.
fn directory_fingerprint(conn: &mut DbConnection) -> QueryResult<String> {
    let mut hasher = Sha256::new();
    for category in list_categories(conn)? {
        let fields = &category.fields;
        for part in [
            category.slug.as_str(),
            &fields.name,
            &fields.description,
            fields.copyright.as_deref().unwrap_or("\u{1}"),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
    }
    if let Some(at) = last_category_list_change_at(conn)? {
        hasher.update(at.to_rfc3339().as_bytes());
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn insert_messages(
    conn: &mut DbConnection,
    messages: &[OutboxMessage],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let waiting: HashSet<(String, String, String)> = websub_pings::table
        .filter(websub_pings::claimed_until.is_null())
        .select((websub_pings::kind, websub_pings::hub, websub_pings::topic))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .collect();
    let mut added = 0;
    for message in messages {
        let kind = message.kind.as_str();
        let key = (
            kind.to_owned(),
            message.destination.clone(),
            message.subject.clone(),
        );
        if waiting.contains(&key) {
            continue;
        }
        diesel::insert_into(websub_pings::table)
            .values((
                websub_pings::kind.eq(kind),
                websub_pings::hub.eq(&message.destination),
                websub_pings::topic.eq(&message.subject),
                websub_pings::attempts.eq(0),
                websub_pings::next_attempt_at.eq(now.naive_utc()),
                websub_pings::created_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
        added += 1;
    }
    Ok(added)
}

/// Claims up to `limit` pings that are due and not being sent by another
/// node, for `lease`: if this node dies while sending, they become due again
/// when the lease runs out.
pub fn claim_due_pings(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<ClaimedPing>> {
    // As for enqueuing: take the write lock only when there is work.
    if due_pings(clock.now().naive_utc())
        .select(websub_pings::id)
        .first::<i64>(conn)
        .optional()?
        .is_none()
    {
        return Ok(Vec::new());
    }
    write_transaction(conn, clock, |tx| {
        let (conn, now) = (&mut *tx.conn, tx.now);
        let due = due_pings(now.naive_utc())
            .order(websub_pings::id)
            .limit(limit)
            .select((
                websub_pings::id,
                websub_pings::kind,
                websub_pings::hub,
                websub_pings::topic,
                websub_pings::attempts,
            ))
            .load::<(i64, String, String, String, i32)>(conn)?;
        let ids: Vec<i64> = due.iter().map(|(id, ..)| *id).collect();
        if !ids.is_empty() {
            diesel::update(websub_pings::table.filter(websub_pings::id.eq_any(&ids)))
                .set(websub_pings::claimed_until.eq((now + lease).naive_utc()))
                .execute(conn)?;
        }
        Ok(due
            .into_iter()
            .filter_map(|(id, kind, hub, topic, attempts)| {
                Some(ClaimedPing {
                    id,
                    kind: OutboxKind::parse(&kind)?,
                    hub,
                    topic,
                    attempts,
                })
            })
            .collect())
    })
}

/// Pings to send at `now`: their time has come and no node holds them.
#[diesel::dsl::auto_type]
fn due_pings(now: NaiveDateTime) -> _ {
    websub_pings::table
        .filter(websub_pings::next_attempt_at.le(now))
        .filter(
            websub_pings::claimed_until
                .is_null()
                .or(websub_pings::claimed_until.lt(now)),
        )
}

/// The hub accepted the ping (or it is given up): it leaves the queue.
pub fn remove_ping(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::delete(websub_pings::table.filter(websub_pings::id.eq(id))).execute(conn)?;
    Ok(())
}

/// The hub refused the ping or did not answer: try again at `retry_at`.
pub fn postpone_ping(
    conn: &mut DbConnection,
    id: i64,
    retry_at: DateTime<Utc>,
    error: &str,
) -> QueryResult<()> {
    diesel::update(websub_pings::table.filter(websub_pings::id.eq(id)))
        .set((
            websub_pings::attempts.eq(websub_pings::attempts + 1),
            websub_pings::next_attempt_at.eq(retry_at.naive_utc()),
            websub_pings::claimed_until.eq(None::<chrono::NaiveDateTime>),
            websub_pings::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// WebSub pings (`purges` false) or purges waiting to be sent, retries included.
pub fn count_pending(conn: &mut DbConnection, purges: bool) -> QueryResult<i64> {
    let ping = OutboxKind::Ping.as_str();
    if purges {
        websub_pings::table
            .filter(websub_pings::kind.ne(ping))
            .count()
            .get_result(conn)
    } else {
        websub_pings::table
            .filter(websub_pings::kind.eq(ping))
            .count()
            .get_result(conn)
    }
}
