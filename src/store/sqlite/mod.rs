//! SQLite on rusqlite: the database file migrated at start, then served by threads that own
//! their connections (see [`threads`]); the store's SQL run on one of those connections.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::Executor;

use super::conn::{BoxFuture, Conn, Dialect, Driver, FromRow, Op, Row};
use super::{pool_options, Arg, PoolSettings, Sql};
use crate::error::{ApiResult, DbError};

mod threads;

pub use threads::{Threads, RANK_FUNCTION};

pub const DIALECT: Dialect = Dialect {
    insert_ignore: ("INSERT INTO ", " ON CONFLICT DO NOTHING"),
    // Write transactions run one at a time: nothing to lock.
    shared_read: "",
    locking_read: "",
    // SQLite keeps the order of a CROSS JOIN; its planner would otherwise start from the
    // account's every link.
    join: "CROSS JOIN",
    tag_upsert: None,
    change_upsert: " ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, \
                    deleted_at = excluded.deleted_at WHERE changes.deleted_at IS NULL",
};

/// The database's threads; cheap to clone. They end when the last handle is dropped.
#[derive(Clone)]
pub struct Pool(Arc<Threads>);

/// Open (creating, migrating) the database file `url` names.
pub async fn open(url: &str, settings: &PoolSettings) -> anyhow::Result<Pool> {
    let file = threads::file_of(url)?;
    // This pool only migrates: it is closed before the threads take over.
    let pool = pool_options::<sqlx::Sqlite>(1, settings)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("cannot open the Sqlite database")?;
    migrate(&pool).await?;
    pool.close().await;
    // The executor already runs a thread per core; readers beyond one per core only take
    // turns on the same cores. Each extra reader also makes a job less likely to find one
    // awake, and a wake-up costs more than a point read: on 2 cores with the load tool beside
    // it, GET /link/{id} took ~21 µs of server CPU with one reader and ~28 µs with two; lists
    // of 100 were ~20% faster with two.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let readers = settings
        .sqlite_readers
        .map_or(cores / 2, |n| n as usize)
        .clamp(1, cores);
    Ok(Pool(Arc::new(Threads::open(
        &file,
        readers,
        settings.acquire_timeout,
        BEFORE_COMMIT,
    )?)))
}

/// What the writer runs at the end of each write transaction: the full-text index's changes
/// that the transaction's writes queued (migration 0015), applied in one go, which writes the
/// index's new entries as one segment instead of one per write.
const BEFORE_COMMIT: &[&str] = &[
    "INSERT INTO links_fts (links_fts, rowid, search_text) \
     SELECT command, rid, search_text FROM links_fts_queue ORDER BY seq",
    "DELETE FROM links_fts_queue",
];

/// SQLite has no lock across processes to migrate under, so a migration that lost the race
/// with another server starting at once is simply tried again.
async fn migrate(pool: &sqlx::SqlitePool) -> anyhow::Result<()> {
    let mut migrator = sqlx::migrate!("migrations/sqlite");
    migrator.set_locking(false);
    let mut attempt = 0;
    loop {
        let mut conn = pool
            .acquire()
            .await
            .context("cannot connect to the database")?;
        match migrator.run(&mut *conn).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt < 10 => {
                attempt += 1;
                tracing::debug!(error = %err, "migration raced another server; trying again");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(err) => return Err(err).context("cannot migrate the database"),
        }
    }
}

impl super::Backend for Pool {
    async fn read<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        self.0
            .read(move |conn| finish(op(Conn::sqlite(conn), args)))
            .await
    }

    async fn write_once<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        self.0
            .write(move |conn| finish(op(Conn::sqlite(conn), args)))
            .await
    }

    async fn close(&self) {}
}

/// Poll an operation's future once: on SQLite nothing in it ever waits.
fn finish<T>(mut op: BoxFuture<'_, ApiResult<T>>) -> ApiResult<T> {
    use std::task::{Context, Poll, Waker};
    match op.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(crate::error::ApiError::Internal(anyhow::anyhow!(
            "a SQLite operation tried to wait"
        ))),
    }
}

impl Driver for rusqlite::Connection {
    async fn run(&mut self, sql: Sql) -> Result<u64, DbError> {
        let mut statement = statement(self, &sql)?;
        Ok(statement.raw_execute()? as u64)
    }

    async fn rows<T: FromRow>(&mut self, sql: Sql, max: usize) -> Result<Vec<T>, DbError> {
        let mut statement = statement(self, &sql)?;
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while out.len() < max {
            match rows.next()? {
                Some(row) => out.push(T::from_row(row)?),
                None => break,
            }
        }
        Ok(out)
    }
}

/// The statement of `sql`, prepared once per connection, with its arguments bound.
fn statement<'a>(
    conn: &'a rusqlite::Connection,
    sql: &Sql,
) -> rusqlite::Result<rusqlite::CachedStatement<'a>> {
    let mut statement = conn.prepare_cached(&sql.text)?;
    for (i, arg) in sql.args.iter().enumerate() {
        match arg {
            Arg::Text(s) => statement.raw_bind_parameter(i + 1, s.as_str())?,
            Arg::OptText(s) => statement.raw_bind_parameter(i + 1, s.as_deref())?,
            Arg::Int(n) => statement.raw_bind_parameter(i + 1, *n)?,
        }
    }
    Ok(statement)
}

impl Row for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, DbError> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, DbError> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        Ok(self.get(i)?)
    }
}

/// SQLITE_BUSY and SQLITE_LOCKED: another process held the lock past the busy timeout.
pub(super) fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if matches!(
        e.code,
        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
    ))
}

/// The same, reported by sqlx's SQLite driver (while migrating): SQLITE_BUSY and its extended
/// codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT).
pub(super) fn is_busy_sqlx(db: &sqlx::sqlite::SqliteError) -> bool {
    sqlx::error::DatabaseError::code(db)
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|c| c & 0xff == 5)
}
