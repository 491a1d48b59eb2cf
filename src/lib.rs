//! syndic: a feed publishing service.
//!
//! A request flows through `routes` (thin handlers: parse, call, respond),
//! which validate input into `domain` values, read and write through
//! `state::Db` and `store` (every Diesel query, off the event loop), turn
//! domain values into bytes with `render` (pure), and answer errors through
//! `error` as problem+json. Every cacheable response goes through
//! `routes::cacheable::serve`: `cache` keeps it, `conditional` decides `304`
//! or `200`. `workers` follow the change log into the cache and send WebSub
//! pings from the outbox. `server` wires it together; `cli` is the command
//! line, `config` what it resolves to, `clock` the time everything reads.

pub mod cache;
pub mod cli;
pub mod clock;
pub mod conditional;
pub mod config;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod render;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod workers;
