//! API tokens, stored only as hashes.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::api_tokens;
use super::{write_transaction, DbConnection, WriteError};
use crate::clock::SystemClock;

/// A token as `syndic token list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Stores a new token's hash under `name`.
pub fn create_token(
    conn: &mut DbConnection,
    name: &str,
    token_hash: &str,
) -> Result<(), WriteError> {
    // A token's creation time is for people reading `token list`: the
    // system clock's.
    write_transaction(conn, &SystemClock, |tx| {
        let taken = api_tokens::table
            .filter(api_tokens::name.eq(name))
            .count()
            .get_result::<i64>(tx.conn)?
            > 0;
        if taken {
            return Err(WriteError::TokenNameTaken(name.to_owned()));
        }
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::name.eq(name),
                api_tokens::token_hash.eq(token_hash),
                api_tokens::created_at.eq(tx.now.naive_utc()),
            ))
            .execute(tx.conn)?;
        Ok(())
    })
}

pub fn list_tokens(conn: &mut DbConnection) -> QueryResult<Vec<TokenRecord>> {
    let rows = api_tokens::table
        .order(api_tokens::name)
        .select((api_tokens::name, api_tokens::created_at))
        .load::<(String, NaiveDateTime)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(name, created_at)| TokenRecord {
            name,
            created_at: created_at.and_utc(),
        })
        .collect())
}

/// Deletes the token; `false` when there was none by that name.
pub fn revoke_token(conn: &mut DbConnection, name: &str) -> QueryResult<bool> {
    let deleted =
        diesel::delete(api_tokens::table.filter(api_tokens::name.eq(name))).execute(conn)?;
    Ok(deleted > 0)
}

/// The name of the token with this hash, if it exists.
pub fn find_token_name(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<String>> {
    api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(api_tokens::name)
        .first(conn)
        .optional()
}
