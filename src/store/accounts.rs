//! Accounts and admin users: credentials, security stamps, creating, changing and deleting
//! accounts.

use super::stamps::StampOf;
use super::{email_key, Conn, Sql, Store};
use crate::error::{is_unique_violation, ApiError, ApiResult};
use crate::model::{new_id, now_micros, Account, Credentials, Page};

pub(super) const ACCOUNT_COLUMNS: &str = "account_id, email, created_at";

impl Store {
    // ---- principals -------------------------------------------------------------------------

    pub async fn user_credentials(&self, username: &str) -> ApiResult<Option<Credentials>> {
        let mut sql = Sql::new(
            "SELECT user_id AS id, username AS name, hashed_password, security_stamp \
             FROM users WHERE username = ?",
        );
        sql.text(username);
        self.query_optional(sql).await
    }

    pub async fn account_credentials(&self, email: &str) -> ApiResult<Option<Credentials>> {
        let mut sql = Sql::new(
            "SELECT account_id AS id, email AS name, hashed_password, security_stamp \
             FROM accounts WHERE email_key = ?",
        );
        sql.text(email_key(email));
        self.query_optional(sql).await
    }

    /// The security stamp of an account, if the account exists.
    pub async fn account_stamp(&self, account_id: &str) -> ApiResult<Option<String>> {
        if let Some(cached) = self.stamps.get(StampOf::Account, account_id) {
            return Ok(cached.map(|(_, stamp)| stamp));
        }
        let mut sql =
            Sql::new("SELECT account_id, security_stamp FROM accounts WHERE account_id = ?");
        sql.text(account_id);
        let found: Option<(String, String)> = self.query_optional(sql).await?;
        self.stamps.put(StampOf::Account, account_id, found.clone());
        Ok(found.map(|(_, stamp)| stamp))
    }

    /// The id and security stamp of an admin user, if it exists.
    pub async fn user_stamp(&self, username: &str) -> ApiResult<Option<(String, String)>> {
        if let Some(cached) = self.stamps.get(StampOf::Admin, username) {
            return Ok(cached);
        }
        let mut sql = Sql::new("SELECT user_id, security_stamp FROM users WHERE username = ?");
        sql.text(username);
        let found: Option<(String, String)> = self.query_optional(sql).await?;
        self.stamps.put(StampOf::Admin, username, found.clone());
        Ok(found)
    }

    /// Replace a password hash without changing the stamp (a rehash after login), only if the
    /// stored hash is still the one that was verified.
    pub async fn upgrade_hash(
        &self,
        admin: bool,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> ApiResult<()> {
        let text = if admin {
            "UPDATE users SET hashed_password = ? WHERE user_id = ? AND hashed_password = ?"
        } else {
            "UPDATE accounts SET hashed_password = ? WHERE account_id = ? AND hashed_password = ?"
        };
        let mut sql = Sql::new(text);
        sql.text(new_hash).text(id).text(old_hash);
        self.execute(sql).await?;
        Ok(())
    }

    /// Create an admin user; `false` if the username is taken.
    pub async fn create_user(&self, username: &str, hash: &str) -> ApiResult<bool> {
        let mut sql = Sql::new(&self.engine.insert_ignore(
            "users (user_id, username, hashed_password, security_stamp, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        ));
        sql.text(new_id())
            .text(username)
            .text(hash)
            .text(new_stamp())
            .int(now_micros());
        let created = self.execute(sql).await? == 1;
        self.stamps.forget(StampOf::Admin, username);
        Ok(created)
    }

    /// Set an admin's password and a new stamp, revoking its tokens; `false` if no such admin.
    pub async fn set_user_password(&self, username: &str, hash: &str) -> ApiResult<bool> {
        let mut sql =
            Sql::new("UPDATE users SET hashed_password = ?, security_stamp = ? WHERE username = ?");
        sql.text(hash).text(new_stamp()).text(username);
        let changed = self.execute(sql).await? == 1;
        self.stamps.forget(StampOf::Admin, username);
        Ok(changed)
    }

    // ---- accounts ---------------------------------------------------------------------------

    pub async fn create_account(&self, email: &str, hash: &str) -> ApiResult<Account> {
        let account = Account::new(new_id(), email.to_owned(), now_micros());
        let mut sql = Sql::new(
            "INSERT INTO accounts (account_id, email, email_key, hashed_password, security_stamp, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        );
        sql.text(&account.account_id)
            .text(email)
            .text(email_key(email))
            .text(hash)
            .text(new_stamp())
            .int(account.created_at);
        match self.execute(sql).await {
            Ok(_) => Ok(account),
            Err(ApiError::Database(e)) if is_unique_violation(&e) => Err(email_taken(email)),
            Err(e) => Err(e),
        }
    }

    /// Change an account's email and/or password hash. A new password also gets a new
    /// security stamp, which revokes every token issued before.
    pub async fn update_account(
        &self,
        account_id: &str,
        email: Option<&str>,
        hash: Option<&str>,
    ) -> ApiResult<Option<Account>> {
        let args = (
            account_id.to_owned(),
            email.map(str::to_owned),
            hash.map(str::to_owned),
        );
        let result = self
            .write(args, |mut c, (account_id, email, hash)| {
                Box::pin(async move {
                    c.update_account(&account_id, email.as_deref(), hash.as_deref())
                        .await
                })
            })
            .await;
        self.stamps.forget(StampOf::Account, account_id);
        result
    }

    pub async fn get_account(&self, account_id: &str) -> ApiResult<Option<Account>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ?"
        ));
        sql.text(account_id);
        self.query_optional(sql).await
    }

    pub async fn list_accounts(
        &self,
        only: Option<&str>,
        email: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<Account>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE 1 = 1"
        ));
        sql.and_eq("account_id", only)
            .and_eq("email_key", email.map(email_key).as_deref())
            .push(" ORDER BY created_at, account_id")
            .page(page);
        self.query_all(sql).await
    }

    /// Delete an account with all its tag-links, links and tags, in one transaction.
    pub async fn delete_account(&self, account_id: &str) -> ApiResult<Option<Account>> {
        let result = self
            .write(account_id.to_owned(), |mut c, account_id| {
                Box::pin(async move { c.delete_account(&account_id).await })
            })
            .await;
        self.stamps.forget(StampOf::Account, account_id);
        result
    }
}

impl Conn<'_> {
    pub(super) async fn require_account(&mut self, account_id: &str) -> ApiResult<()> {
        let mut sql = Sql::new("SELECT account_id FROM accounts WHERE account_id = ?");
        sql.text(account_id);
        match self.fetch_optional::<(String,)>(sql).await? {
            Some(_) => Ok(()),
            None => Err(account_not_found(account_id)),
        }
    }

    pub(super) async fn update_account(
        &mut self,
        account_id: &str,
        email: Option<&str>,
        hash: Option<&str>,
    ) -> ApiResult<Option<Account>> {
        let select = || {
            let mut sql = Sql::new(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ?"
            ));
            sql.text(account_id);
            sql
        };
        if self.fetch_optional::<Account>(select()).await?.is_none() {
            return Ok(None);
        }
        if let Some(email) = email {
            let mut update =
                Sql::new("UPDATE accounts SET email = ?, email_key = ? WHERE account_id = ?");
            update.text(email).text(email_key(email)).text(account_id);
            match self.execute(update).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(email_taken(email)),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(hash) = hash {
            let mut update = Sql::new(
                "UPDATE accounts SET hashed_password = ?, security_stamp = ? WHERE account_id = ?",
            );
            update.text(hash).text(new_stamp()).text(account_id);
            self.execute(update).await?;
        }
        self.fetch_optional::<Account>(select()).await
    }

    pub(super) async fn delete_account(&mut self, account_id: &str) -> ApiResult<Option<Account>> {
        let mut select = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ?"
        ));
        select.text(account_id);
        let Some(account) = self.fetch_optional::<Account>(select).await? else {
            return Ok(None);
        };
        self.delete_all(
            &[
                "DELETE FROM taglinks WHERE account_id = ?",
                "DELETE FROM links WHERE account_id = ?",
                "DELETE FROM tags WHERE account_id = ?",
                "DELETE FROM changes WHERE account_id = ?",
                "DELETE FROM sync_seqs WHERE account_id = ?",
                "DELETE FROM accounts WHERE account_id = ?",
            ],
            account_id,
        )
        .await?;
        Ok(Some(account))
    }
}

pub fn account_not_found(account_id: &str) -> ApiError {
    ApiError::NotFound(format!("Account with account_id '{account_id}' not found"))
}

pub(super) fn email_taken(email: &str) -> ApiError {
    ApiError::Conflict(format!("Account with email {email} exists"))
}

pub(super) fn new_stamp() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
