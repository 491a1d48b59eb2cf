//! Background work of a serving node: following the change log into the
//! cache, and the outbox of WebSub pings and purges. Each worker reads and writes only
//! through the store, with the node's [`AppState`](crate::state::AppState).

pub mod changes;
pub mod outbox;
pub mod purge;
