//! `syndic token create|list|revoke`: API tokens, stored as hashes.

use std::process::ExitCode;

use super::{connect_migrated, CommandResult, TokenAction};
use crate::config::Config;
use crate::domain::{format_time, generate_token, hash_token};
use crate::store;

pub fn run(action: TokenAction, config: &Config) -> CommandResult {
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
