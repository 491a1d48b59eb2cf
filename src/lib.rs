//! syndic: a feed publishing service.
//!
//! A request flows through `routes` (thin handlers: parse, call, respond),
//! which validate input into `domain` values, read and write through `store`
//! (every Diesel query, off the event loop), turn domain values into feed
//! bytes with `render` (pure), and answer errors through `error` as
//! problem+json. Feed responses are kept in `cache`, decided by
//! `conditional` (`304` or `200`), and invalidated by `changes`, which
//! follows the change log. `startup` wires the routes to a listener;
//! `websub` tells hubs what changed, from an outbox table.
//! `config` is parsed once in `main` and passed down. The CLI's bulk
//! commands live in `bulk`, demo content in `demo`.

pub mod bulk;
pub mod cache;
pub mod changes;
pub mod clock;
pub mod conditional;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod render;
pub mod routes;
pub mod startup;
pub mod store;
pub mod websub;
