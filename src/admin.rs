//! The `tagmark admin` commands: manage admin users from the shell.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};

use crate::auth::{check_password, Passwords};
use crate::config::{AdminCommand, Config};
use crate::store::open_store;

pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let passwords = Passwords::new(1).await?;
    match command {
        AdminCommand::Add { username } => {
            let username = username.trim().to_owned();
            if username.is_empty() {
                bail!("the username must not be empty");
            }
            if store.user_credentials(&username).await?.is_some() {
                bail!("an admin named {username:?} already exists; use `tagmark admin passwd` to change its password");
            }
            let password = read_new_password()?;
            let hash = passwords.hash(password).await?;
            if !store.create_user(&username, &hash).await? {
                bail!("an admin named {username:?} already exists");
            }
            println!("created admin {username:?}");
        }
        AdminCommand::Passwd { username } => {
            if store.user_credentials(&username).await?.is_none() {
                bail!("there is no admin named {username:?}");
            }
            let password = read_new_password()?;
            let hash = passwords.hash(password).await?;
            if !store.set_user_password(&username, &hash).await? {
                bail!("there is no admin named {username:?}");
            }
            println!(
                "changed the password of admin {username:?}; its earlier tokens no longer work"
            );
        }
    }
    store.close().await;
    Ok(())
}

/// From a prompt (asked twice) on a terminal, else the first line of standard input.
fn read_new_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    check_password(&password).map_err(|msg| anyhow::anyhow!(msg))?;
    Ok(password)
}
