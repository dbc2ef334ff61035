//! Plain SQL straight to a test's database, on that engine's native sqlx driver: for checking
//! what is stored, and for making rows look like an older release's.

use sqlx::{Connection, Row};

pub enum DbConn {
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

impl DbConn {
    /// Connect to the database a tagmark database URL names.
    pub async fn connect(database_url: &str) -> DbConn {
        let (engine, url) = tagmark::store::Engine::from_url(database_url).expect("database url");
        let fail = |e: sqlx::Error| -> DbConn { panic!("cannot connect to {url}: {e}") };
        match engine {
            tagmark::store::Engine::MySql => sqlx::MySqlConnection::connect(&url)
                .await
                .map_or_else(fail, DbConn::MySql),
            tagmark::store::Engine::Postgres => sqlx::PgConnection::connect(&url)
                .await
                .map_or_else(fail, DbConn::Postgres),
            tagmark::store::Engine::Sqlite => sqlx::SqliteConnection::connect(&url)
                .await
                .map_or_else(fail, DbConn::Sqlite),
        }
    }

    /// Run one statement; the rows it changed.
    pub async fn execute(&mut self, sql: &str) -> u64 {
        let done = match self {
            DbConn::MySql(c) => sqlx::query(sql).execute(c).await.map(|d| d.rows_affected()),
            DbConn::Postgres(c) => sqlx::query(sql).execute(c).await.map(|d| d.rows_affected()),
            DbConn::Sqlite(c) => sqlx::query(sql).execute(c).await.map(|d| d.rows_affected()),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one integer `sql` selects.
    pub async fn int(&mut self, sql: &str) -> i64 {
        let value = match self {
            DbConn::MySql(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get(0)),
            DbConn::Postgres(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get(0)),
            DbConn::Sqlite(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get(0)),
        };
        value.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one text `sql` selects. (MySQL reports the binary collation's text as binary.)
    pub async fn text(&mut self, sql: &str) -> String {
        let value = match self {
            DbConn::MySql(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get_unchecked(0)),
            DbConn::Postgres(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get(0)),
            DbConn::Sqlite(c) => sqlx::query(sql)
                .fetch_one(c)
                .await
                .and_then(|r| r.try_get(0)),
        };
        value.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The rows `sql` selects with one text argument (`?`; `$1` on PostgreSQL), every column
    /// read as text.
    pub async fn texts(&mut self, sql: &str, arg: &str) -> Vec<Vec<String>> {
        fn all<R: Row>(
            rows: Vec<R>,
            get: impl Fn(&R, usize) -> sqlx::Result<String>,
        ) -> sqlx::Result<Vec<Vec<String>>> {
            rows.iter()
                .map(|row| (0..row.len()).map(|i| get(row, i)).collect())
                .collect()
        }
        let found = match self {
            DbConn::MySql(c) => match sqlx::query(sql).bind(arg).fetch_all(c).await {
                Ok(rows) => all(rows, |r, i| r.try_get_unchecked(i)),
                Err(e) => Err(e),
            },
            DbConn::Postgres(c) => match sqlx::query(&sql.replace('?', "$1"))
                .bind(arg)
                .fetch_all(c)
                .await
            {
                Ok(rows) => all(rows, |r, i| r.try_get(i)),
                Err(e) => Err(e),
            },
            DbConn::Sqlite(c) => match sqlx::query(sql).bind(arg).fetch_all(c).await {
                Ok(rows) => all(rows, |r, i| r.try_get(i)),
                Err(e) => Err(e),
            },
        };
        found.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Run the first `count` migrations of that engine (to make an older release's database).
    pub async fn migrate_first(&mut self, count: usize) {
        let mut migrator = match self {
            DbConn::MySql(_) => sqlx::migrate!("migrations/mysql"),
            DbConn::Postgres(_) => sqlx::migrate!("migrations/postgres"),
            DbConn::Sqlite(_) => sqlx::migrate!("migrations/sqlite"),
        };
        migrator.migrations = std::borrow::Cow::Owned(migrator.migrations[..count].to_vec());
        migrator.set_locking(false);
        let done = match self {
            DbConn::MySql(c) => migrator.run(c).await,
            DbConn::Postgres(c) => migrator.run(c).await,
            DbConn::Sqlite(c) => migrator.run(c).await,
        };
        done.expect("migrations");
    }

    pub async fn close(self) {
        let _ = match self {
            DbConn::MySql(c) => c.close().await,
            DbConn::Postgres(c) => c.close().await,
            DbConn::Sqlite(c) => c.close().await,
        };
    }
}

/// Run one statement on a database (by its tagmark URL).
pub async fn execute(database_url: &str, sql: &str) -> u64 {
    let mut conn = DbConn::connect(database_url).await;
    let changed = conn.execute(sql).await;
    conn.close().await;
    changed
}
