//! Browser sessions of the web app: one row per login, found by the hash of the cookie's secret.

use super::conn::{FromRow, Row};
use super::{Sql, Store};
use crate::error::{ApiResult, DbError};
use crate::model::{now_micros, Micros};

/// A session as stored, with whether its principal still exists with the same security stamp.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub is_admin: bool,
    /// The admin's user id or the account's id.
    pub principal_id: String,
    /// The admin's username or the account's email.
    pub name: String,
    pub expires_at: Micros,
    /// False once the password changed (or the principal is gone).
    pub stamp_current: bool,
}

impl FromRow for SessionRow {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        let stamp = row.text(3)?;
        Ok(SessionRow {
            is_admin: row.int(0)? != 0,
            principal_id: row.text(1)?,
            name: row.text(2)?,
            expires_at: row.int(4)?,
            stamp_current: row.opt_text(5)?.is_some_and(|current| current == stamp),
        })
    }
}

/// What a new session is for.
pub struct NewSession<'a> {
    pub session_hash: &'a str,
    pub is_admin: bool,
    pub principal_id: &'a str,
    pub name: &'a str,
    pub security_stamp: &'a str,
    pub expires_at: Micros,
}

impl Store {
    /// Store a session; sessions that expired are cleared out on the way.
    pub async fn create_session(&self, session: &NewSession<'_>) -> ApiResult<()> {
        let mut purge = Sql::new("DELETE FROM sessions WHERE expires_at < ?");
        purge.int(now_micros());
        self.execute(purge).await?;
        let mut sql = Sql::new(
            "INSERT INTO sessions (session_hash, is_admin, principal_id, name, security_stamp, \
             created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        );
        sql.text(session.session_hash)
            .int(i64::from(session.is_admin))
            .text(session.principal_id)
            .text(session.name)
            .text(session.security_stamp)
            .int(now_micros())
            .int(session.expires_at);
        self.execute(sql).await?;
        Ok(())
    }

    /// The session with this hash, read with its principal's current stamp in one query.
    pub async fn find_session(&self, session_hash: &str) -> ApiResult<Option<SessionRow>> {
        let mut sql = Sql::new(
            "SELECT s.is_admin, s.principal_id, s.name, s.security_stamp, s.expires_at, \
             COALESCE(a.security_stamp, u.security_stamp) FROM sessions s \
             LEFT JOIN accounts a ON s.is_admin = 0 AND a.account_id = s.principal_id \
             LEFT JOIN users u ON s.is_admin = 1 AND u.user_id = s.principal_id \
             WHERE s.session_hash = ?",
        );
        sql.text(session_hash);
        self.query_optional(sql).await
    }

    pub async fn delete_session(&self, session_hash: &str) -> ApiResult<()> {
        let mut sql = Sql::new("DELETE FROM sessions WHERE session_hash = ?");
        sql.text(session_hash);
        self.execute(sql).await?;
        Ok(())
    }

    /// Forget every session of a principal (after a password change, those are dead anyway).
    pub async fn delete_sessions_of(&self, principal_id: &str) -> ApiResult<()> {
        let mut sql = Sql::new("DELETE FROM sessions WHERE principal_id = ?");
        sql.text(principal_id);
        self.execute(sql).await?;
        Ok(())
    }

    /// The name sessions show, after an account changed its email.
    pub async fn rename_sessions_of(&self, principal_id: &str, name: &str) -> ApiResult<()> {
        let mut sql = Sql::new("UPDATE sessions SET name = ? WHERE principal_id = ?");
        sql.text(name).text(principal_id);
        self.execute(sql).await?;
        Ok(())
    }
}
