//! One integration-test binary: the real HTTP app on a random port against a
//! real database, SQLite always and PostgreSQL when
//! `SYNDIC_TEST_POSTGRES_URL` is set.

mod helpers;

mod articles;
mod auth;
mod batch;
mod categories;
mod cdn;
mod cli;
mod contention;
mod feeds;
mod hostile;
mod nodes;
mod outage;
mod polling;
mod process;
mod readers;
mod schedule;
mod skew;
mod websub;

mod browser;
mod directory;
mod facets;
mod partner;
