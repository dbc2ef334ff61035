//! Plain SQL straight to a test's database, on that engine's native sqlx driver: for checking
//! what is stored, and for making rows look like an older release's.

use sqlx::{Connection, Row};

pub enum DbConn {
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

/// `$body` once per engine with `$c` bound to that engine's connection: the sqlx calls are
/// generic, the connection types are not, so one body serves all three.
macro_rules! on_each {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            DbConn::MySql($c) => $body,
            DbConn::Postgres($c) => $body,
            DbConn::Sqlite($c) => $body,
        }
    };
}

impl DbConn {
    /// Connect to the database a tagmark database URL names.
    pub async fn connect(database_url: &str) -> DbConn {
        use tagmark::store::Engine;
        let (engine, url) = Engine::from_url(database_url).expect("database url");
        let conn = match engine {
            Engine::MySql => sqlx::MySqlConnection::connect(&url)
                .await
                .map(DbConn::MySql),
            Engine::Postgres => sqlx::PgConnection::connect(&url)
                .await
                .map(DbConn::Postgres),
            Engine::Sqlite => sqlx::SqliteConnection::connect(&url)
                .await
                .map(DbConn::Sqlite),
        };
        conn.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
    }

    /// Run one statement; the rows it changed.
    pub async fn execute(&mut self, sql: &str) -> u64 {
        self.try_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Run one statement that may fail; the rows it changed.
    pub async fn try_execute(&mut self, sql: &str) -> sqlx::Result<u64> {
        on_each!(self, c => sqlx::query(sql).execute(c).await.map(|d| d.rows_affected()))
    }

    pub fn is_mysql(&self) -> bool {
        matches!(self, DbConn::MySql(_))
    }

    /// The one integer `sql` selects.
    pub async fn int(&mut self, sql: &str) -> i64 {
        let value =
            on_each!(self, c => sqlx::query(sql).fetch_one(c).await.and_then(|r| r.try_get(0)));
        value.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one text `sql` selects.
    pub async fn text(&mut self, sql: &str) -> String {
        let mut rows = self.select(sql, &[]).await;
        match (rows.len(), rows.first().map(Vec::len)) {
            (1, Some(1)) => rows.swap_remove(0).swap_remove(0),
            _ => panic!("{sql}: not one row of one column: {rows:?}"),
        }
    }

    /// The rows `sql` selects, every column read as text.
    pub async fn rows(&mut self, sql: &str) -> Vec<Vec<String>> {
        self.select(sql, &[]).await
    }

    /// The rows `sql` selects with one text argument (`?`), every column read as text.
    pub async fn texts(&mut self, sql: &str, arg: &str) -> Vec<Vec<String>> {
        self.select(sql, &[arg]).await
    }

    /// The rows `sql` selects with text arguments (`?`, numbered for PostgreSQL), every column
    /// read as text. (MySQL reports the binary collation's text as binary, so it is read
    /// unchecked there.)
    async fn select(&mut self, sql: &str, args: &[&str]) -> Vec<Vec<String>> {
        let unchecked = self.is_mysql();
        let sql = match self {
            DbConn::Postgres(_) => numbered(sql),
            _ => sql.to_owned(),
        };
        let found: sqlx::Result<Vec<Vec<String>>> = on_each!(self, c => {
            let mut query = sqlx::query(&sql);
            for arg in args {
                query = query.bind(*arg);
            }
            query.fetch_all(c).await.and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| if unchecked { row.try_get_unchecked(i) } else { row.try_get(i) })
                            .collect()
                    })
                    .collect()
            })
        });
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
        on_each!(self, c => migrator.run(c).await).expect("migrations");
    }

    pub async fn close(self) {
        let _ = on_each!(self, c => c.close().await);
    }
}

/// `sql` with its `?` placeholders numbered `$1`, `$2`, … as PostgreSQL wants them.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Run one statement on a database (by its tagmark URL).
pub async fn execute(database_url: &str, sql: &str) -> u64 {
    let mut conn = DbConn::connect(database_url).await;
    let changed = conn.execute(sql).await;
    conn.close().await;
    changed
}
