//! The migration lock on a Galera cluster, and how to tell one.

use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::Executor;

use crate::error::DbError;
use crate::model::now_micros;
use crate::store::is_retryable;

/// True when the MySQL-protocol server is a Galera cluster node (MariaDB with `wsrep_on`).
pub(super) async fn is_galera(conn: &mut sqlx::MySqlConnection) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SHOW VARIABLES LIKE 'wsrep_on'")
        .fetch_optional(&mut *conn)
        .await?;
    let on: Option<String> = match row {
        Some(row) => Some(sqlx::Row::try_get_unchecked(&row, 1)?),
        None => None,
    };
    Ok(on.is_some_and(|on| on.eq_ignore_ascii_case("ON")))
}

/// How long a Galera migration lock holds when its holder dies without releasing it.
const GALERA_LOCK_LEASE: Duration = Duration::from_secs(120);

/// Galera replicates neither `GET_LOCK` nor row locks (a row lock is only local until commit,
/// when certification decides), so the migration lock is a row that one node's INSERT alone
/// can commit: a concurrent INSERT on another node fails certification (or finds the row, once
/// replicated). A holder that died leaves a lease that runs out. Its table is kept outside the
/// migrations because it must exist before them; every table here has a primary key.
pub(super) async fn lock(conn: &mut sqlx::MySqlConnection, owner: &str) -> anyhow::Result<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS tagmark_locks (name VARCHAR(64) PRIMARY KEY NOT NULL, \
         owner VARCHAR(64) NOT NULL, expires_at BIGINT NOT NULL) ENGINE = InnoDB",
    )
    .await
    .context("cannot create the migration lock table")?;
    let lease = GALERA_LOCK_LEASE.as_micros() as i64;
    let deadline = std::time::Instant::now() + 2 * GALERA_LOCK_LEASE;
    loop {
        let now = now_micros();
        let expired =
            sqlx::query("DELETE FROM tagmark_locks WHERE name = 'migrations' AND expires_at < ?")
                .bind(now)
                .execute(&mut *conn)
                .await;
        let taken = sqlx::query(
            "INSERT IGNORE INTO tagmark_locks (name, owner, expires_at) VALUES ('migrations', ?, ?)",
        )
        .bind(owner)
        .bind(now + lease)
        .execute(&mut *conn)
        .await;
        if matches!(&taken, Ok(done) if done.rows_affected() == 1) {
            return Ok(());
        }
        // Otherwise it is held by another server, or this node lost a certification race.
        for result in [expired.map(|_| ()), taken.map(|_| ())] {
            if let Err(err) = result.map_err(DbError::Sqlx) {
                if !is_retryable(&err) {
                    return Err(err).context("cannot take the migration lock");
                }
            }
        }
        if std::time::Instant::now() > deadline {
            bail!("the migration lock stayed taken (table tagmark_locks)");
        }
        let jitter = u64::from(rand::random::<u8>());
        tokio::time::sleep(Duration::from_millis(100 + jitter)).await;
    }
}

pub(super) async fn unlock(conn: &mut sqlx::MySqlConnection, owner: &str) {
    let released = sqlx::query("DELETE FROM tagmark_locks WHERE name = 'migrations' AND owner = ?")
        .bind(owner)
        .execute(&mut *conn)
        .await;
    if let Err(err) = released {
        tracing::warn!(error = %err, "cannot release the migration lock; its lease will run out");
    }
}
