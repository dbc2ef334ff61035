//! PostgreSQL on sqlx's native driver (prepared statements, binary protocol, cached per
//! connection): the pool, the migration under an advisory lock, and the store's SQL with
//! placeholders numbered as PostgreSQL wants them.

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow, Postgres};

use super::conn::{bind, int_of, opt_int_of, Conn, Dialect, Driver, FromRow, Row};
use super::native::Native;
use super::pool::Pool;
use super::{NewLink, PoolSettings, Sql};
use crate::error::{ApiResult, DbError};
use crate::model::Link;

mod links;

pub const DIALECT: Dialect = Dialect {
    insert_ignore: ("INSERT INTO ", " ON CONFLICT DO NOTHING"),
    shared_read: " FOR SHARE",
    locking_read: " FOR UPDATE",
    join: "JOIN",
    tag_upsert: None,
    change_upsert: " ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, \
                    deleted_at = excluded.deleted_at WHERE changes.deleted_at IS NULL",
};

/// Connect, and bring the schema up to date.
pub async fn open(url: &str, settings: &PoolSettings) -> anyhow::Result<Pool<PgConnection>> {
    let cannot_open = || "cannot open the Postgres database";
    let mut options: PgConnectOptions = url.parse().with_context(cannot_open)?;
    // Two planner features that cost tagmark's statements more than they save (unless the
    // URL's `options` set them): parallel workers, and Memoize. A search walking a tag's links
    // newest first was planned as a Gather Merge whose two workers took 13 ms to start for 5 ms
    // of work each, on cores that already serve other requests; and tagmark joins on keys, so a
    // Memoize before each link's lookup missed every time (3,001 misses, no hit) and added a
    // fifth to that walk (10.2 → 8.1 ms without it).
    for (setting, value) in [
        ("max_parallel_workers_per_gather", "0"),
        ("enable_memoize", "off"),
    ] {
        if !url.contains(setting) {
            options = options.options([(setting, value)]);
        }
    }
    let pool = Pool::connect(
        options,
        settings.max_connections,
        settings.acquire_timeout,
        None,
    )
    .await
    .with_context(cannot_open)?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Several servers may start at once on a fresh database: the migration runs under an
/// advisory lock.
async fn migrate(pool: &Pool<PgConnection>) -> anyhow::Result<()> {
    let mut migrator = sqlx::migrate!("migrations/postgres");
    migrator.set_locking(false);
    let mut conn = pool
        .acquire()
        .await
        .context("cannot connect to the database")?;
    sqlx::query("SELECT pg_advisory_lock(7236041)")
        .execute(&mut *conn)
        .await
        .context("cannot take the migration lock")?;
    let result = migrator.run(&mut *conn).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock(7236041)")
        .execute(&mut *conn)
        .await;
    result.context("cannot migrate the database")
}

impl Native for PgConnection {
    fn as_conn(&mut self) -> Conn<'_> {
        Conn::postgres(self)
    }

    async fn create_link_at_once(&mut self, new: &NewLink) -> ApiResult<Option<Link>> {
        links::create_link(self, new).await
    }
}

impl Driver for PgConnection {
    async fn run(&mut self, sql: Sql) -> Result<u64, DbError> {
        let text = numbered(&sql.text);
        let done = bind::<Postgres>(sqlx::query(&text), sql.args)
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    async fn rows<T: FromRow>(&mut self, sql: Sql, max: usize) -> Result<Vec<T>, DbError> {
        let text = numbered(&sql.text);
        // An unnamed statement: PostgreSQL plans it with the arguments given.
        let query = sqlx::query(&text).persistent(!sql.custom_plan);
        let query = bind::<Postgres>(query, sql.args);
        if max == 1 {
            let row = query.fetch_optional(self).await?;
            row.as_ref().map(T::from_row).into_iter().collect()
        } else {
            let rows = query.fetch_all(self).await?;
            rows.iter().map(T::from_row).collect()
        }
    }
}

/// The SQL text for PostgreSQL, which numbers its placeholders.
fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl Row for PgRow {
    fn text(&self, i: usize) -> Result<String, DbError> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn int(&self, i: usize) -> Result<i64, DbError> {
        int_of(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        opt_int_of(self, i)
    }
}

/// Conflicts that a retry of the whole transaction resolves: 40001 (serialization failure),
/// 40P01 (deadlock), 23503 (a foreign key violation: a concurrent transaction removed a row
/// ours refers to after we read it).
pub(super) fn is_retryable(code: &str) -> bool {
    matches!(code, "40001" | "40P01" | "23503")
}
