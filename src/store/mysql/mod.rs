//! MySQL and MariaDB on sqlx's native driver (prepared statements, binary protocol, cached per
//! connection): the pool and its session settings, the migration under a lock (a lock row on a
//! Galera cluster, see [`galera`]), and the store's SQL.

use anyhow::Context;
use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlRow};
use sqlx::Executor;

use super::conn::{bind, int_of, opt_int_of, BoxFuture, Conn, Dialect, Driver, FromRow, Row};
use super::native::Native;
use super::pool::Pool;
use super::{NewLink, PoolSettings, Sql};
use crate::error::{ApiResult, DbError};
use crate::model::{new_id, Link};

mod galera;
mod links;

pub const DIALECT: Dialect = Dialect {
    insert_ignore: ("INSERT IGNORE INTO ", ""),
    shared_read: " LOCK IN SHARE MODE",
    locking_read: " FOR UPDATE",
    join: "JOIN",
    // INSERT IGNORE would also turn other errors into warnings (a value too long is cut, a
    // missing account skipped); a no-op update on the duplicate takes its row lock.
    tag_upsert: Some(" ON DUPLICATE KEY UPDATE tag_id = tag_id"),
    change_upsert: " ON DUPLICATE KEY UPDATE seq = IF(deleted_at IS NULL, VALUES(seq), seq), \
                    deleted_at = IF(deleted_at IS NULL, VALUES(deleted_at), deleted_at)",
};

/// Connect, and bring the schema up to date.
pub async fn open(url: &str, settings: &PoolSettings) -> anyhow::Result<Pool<MySqlConnection>> {
    let cannot_open = || "cannot open the MySql database";
    let options: MySqlConnectOptions = url.parse().with_context(cannot_open)?;
    let pool = Pool::connect(
        options,
        settings.max_connections,
        settings.acquire_timeout,
        Some(session),
    )
    .await
    .with_context(cannot_open)?;
    if migrate(&pool).await? {
        // On a Galera node a replicated write that conflicts with a local transaction aborts
        // it (a brute-force abort) at any point; inside a stored procedure the rest of the
        // procedure then runs outside any transaction (MDEV-20225, mysql-wsrep #191): the
        // procedure of links.rs stored links whose tag was rolled back away under them (the
        // node-kill test of tests/galera.rs found 52 links without a tag-link, every node
        // alike). Driven statement by statement, the aborted transaction fails as a whole at
        // its next statement or commit, and the write is retried.
        pool.create_links_step_by_step();
    }
    Ok(pool)
}

/// The session settings of every connection.
fn session(conn: &mut MySqlConnection) -> BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        // READ COMMITTED as on PostgreSQL: rows other transactions commit (a tag created
        // concurrently) are visible at once.
        conn.execute(
            "SET NAMES utf8mb4 COLLATE utf8mb4_bin; \
             SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        )
        .await?;
        // On a Galera node, a read (and BEGIN) first waits until this node has applied every
        // write the cluster committed before it: a write through one node is then read through
        // any other (causal reads).
        if galera::is_galera(conn).await? {
            conn.execute("SET SESSION wsrep_sync_wait = @@session.wsrep_sync_wait | 1")
                .await?;
        }
        Ok(())
    })
}

/// Several servers may start at once on a fresh database: the migration runs under
/// `GET_LOCK`, or on a Galera cluster (which does not replicate it) under a lock row. Answers
/// whether the server is a Galera node.
async fn migrate(pool: &Pool<MySqlConnection>) -> anyhow::Result<bool> {
    let mut migrator = sqlx::migrate!("migrations/mysql");
    migrator.set_locking(false);
    let mut conn = pool
        .acquire()
        .await
        .context("cannot connect to the database")?;
    let galera = galera::is_galera(&mut conn).await?;
    let owner = new_id();
    if galera {
        galera::lock(&mut conn, &owner).await?;
    } else {
        sqlx::query("SELECT GET_LOCK('tagmark_migrations', 120)")
            .execute(&mut *conn)
            .await
            .context("cannot take the migration lock")?;
    }
    let result = migrator.run(&mut *conn).await;
    if galera {
        galera::unlock(&mut conn, &owner).await;
    } else {
        let _ = sqlx::query("SELECT RELEASE_LOCK('tagmark_migrations')")
            .execute(&mut *conn)
            .await;
    }
    result.context("cannot migrate the database")?;
    check_fulltext_settings(&mut conn).await?;
    Ok(galera)
}

/// The search index holds words of six characters or more (migration 0008, see
/// `store/search.rs`): a server that leaves out words that long would silently find nothing,
/// so it is refused at start.
async fn check_fulltext_settings(conn: &mut MySqlConnection) -> anyhow::Result<()> {
    let (min,): (i64,) = sqlx::query_as("SELECT CAST(@@innodb_ft_min_token_size AS SIGNED)")
        .fetch_one(&mut *conn)
        .await
        .context("cannot read innodb_ft_min_token_size")?;
    if min > 6 {
        anyhow::bail!(
            "innodb_ft_min_token_size is {min}: tagmark's search index needs 6 or less \
             (the default is 3)"
        );
    }
    Ok(())
}

impl Native for MySqlConnection {
    fn as_conn(&mut self) -> Conn<'_> {
        Conn::mysql(self)
    }

    async fn create_link_at_once(&mut self, new: &NewLink) -> ApiResult<Option<Link>> {
        links::create_link(self, new).await
    }
}

impl Driver for MySqlConnection {
    async fn run(&mut self, sql: Sql) -> Result<u64, DbError> {
        let done = bind::<MySql>(sqlx::query(&sql.text), sql.args)
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    async fn rows<T: FromRow>(&mut self, sql: Sql, max: usize) -> Result<Vec<T>, DbError> {
        let query = bind::<MySql>(sqlx::query(&sql.text), sql.args);
        if max == 1 {
            let row = query.fetch_optional(self).await?;
            row.as_ref().map(T::from_row).into_iter().collect()
        } else {
            let rows = query.fetch_all(self).await?;
            rows.iter().map(T::from_row).collect()
        }
    }
}

/// MySQL marks the columns of a binary collation (all of tagmark's) and TEXT columns as binary,
/// which sqlx's type check refuses as a `String`; the bytes are still checked to be UTF-8.
impl Row for MySqlRow {
    fn text(&self, i: usize) -> Result<String, DbError> {
        Ok(sqlx::Row::try_get_unchecked(self, i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(sqlx::Row::try_get_unchecked(self, i)?)
    }
    fn int(&self, i: usize) -> Result<i64, DbError> {
        int_of(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        opt_int_of(self, i)
    }
}

/// Conflicts that a retry of the whole transaction resolves: SQLSTATE 40001 (serialization
/// failure; MySQL reports its deadlock 1213 so too, and Galera a write set that failed
/// certification at commit), 1205 (lock wait timeout), and foreign key violations (1451/1452:
/// a concurrent transaction removed or added a row ours refers to after we read it).
pub(super) fn is_retryable(err: &MySqlDatabaseError) -> bool {
    matches!(err.number(), 1213 | 1205 | 1451 | 1452) || err.code() == Some("40001")
}
