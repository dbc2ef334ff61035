//! One connection as the store's operations see it, on each engine's native driver: sqlx's
//! MySQL and PostgreSQL connections (prepared statements, binary protocol, cached per
//! connection) or a rusqlite connection (SQLite). The operations are written once against
//! this; on SQLite their futures never wait, so a SQLite thread runs a whole operation in one
//! go.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use sqlx::mysql::{MySql, MySqlConnection, MySqlRow};
use sqlx::postgres::{PgConnection, PgRow, Postgres};

use super::{Arg, Engine, Sql};
use crate::error::{ApiError, ApiResult, DbError};
use crate::model::{Account, Credentials, Link, Tag, TagLink, TagWithCount};

pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// A store operation: given a connection (inside a transaction for writes) and its arguments.
pub type Op<A, T> = for<'c> fn(Conn<'c>, A) -> BoxFuture<'c, ApiResult<T>>;

pub struct Conn<'c> {
    engine: Engine,
    inner: Inner<'c>,
}

enum Inner<'c> {
    MySql(&'c mut MySqlConnection),
    Postgres(&'c mut PgConnection),
    Sqlite(&'c mut rusqlite::Connection),
}

impl<'c> Conn<'c> {
    pub fn mysql(conn: &'c mut MySqlConnection) -> Self {
        Conn {
            engine: Engine::MySql,
            inner: Inner::MySql(conn),
        }
    }

    pub fn postgres(conn: &'c mut PgConnection) -> Self {
        Conn {
            engine: Engine::Postgres,
            inner: Inner::Postgres(conn),
        }
    }

    pub fn sqlite(conn: &'c mut rusqlite::Connection) -> Self {
        Conn {
            engine: Engine::Sqlite,
            inner: Inner::Sqlite(conn),
        }
    }
}

impl Conn<'_> {
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// `INSERT` that silently does nothing when a unique key already holds the row.
    pub fn insert_ignore(&self, table_columns_values: &str) -> String {
        super::insert_ignore(self.engine, table_columns_values)
    }

    /// Suffix that makes a SELECT inside a transaction read the latest committed row and keep
    /// others from changing it until commit (a shared lock). SQLite needs none: its write
    /// transactions run one at a time.
    pub fn shared_read(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            Engine::MySql => " LOCK IN SHARE MODE",
            Engine::Postgres => " FOR SHARE",
        }
    }

    /// Suffix that makes a SELECT inside a transaction read the latest committed row and hold
    /// it exclusively until commit.
    pub fn locking_read(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            Engine::MySql | Engine::Postgres => " FOR UPDATE",
        }
    }

    pub async fn fetch_all<T: FromRow>(&mut self, sql: Sql) -> ApiResult<Vec<T>> {
        if sql.matches_nothing() {
            return Ok(Vec::new());
        }
        Ok(self.rows(sql, usize::MAX).await?)
    }

    pub async fn fetch_optional<T: FromRow>(&mut self, sql: Sql) -> ApiResult<Option<T>> {
        if sql.matches_nothing() {
            return Ok(None);
        }
        Ok(self.rows(sql, 1).await?.pop())
    }

    /// Run a statement that finds rows to change (UPDATE, DELETE); the number changed.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64, DbError> {
        if sql.matches_nothing() {
            return Ok(0);
        }
        self.run(sql).await
    }

    /// Run an INSERT. Unlike `execute` it never skips the statement for a value with a
    /// trailing space: such values (a description, the search text) are stored, not compared.
    pub async fn insert(&mut self, sql: Sql) -> Result<u64, DbError> {
        self.run(sql).await
    }

    async fn run(&mut self, sql: Sql) -> Result<u64, DbError> {
        match &mut self.inner {
            Inner::MySql(conn) => {
                let done = bind::<MySql>(sqlx::query(&sql.text), sql.args)
                    .execute(&mut **conn)
                    .await?;
                Ok(done.rows_affected())
            }
            Inner::Postgres(conn) => {
                let text = numbered(&sql.text);
                let done = bind::<Postgres>(sqlx::query(&text), sql.args)
                    .execute(&mut **conn)
                    .await?;
                Ok(done.rows_affected())
            }
            Inner::Sqlite(conn) => sqlite_execute(conn, &sql),
        }
    }

    async fn rows<T: FromRow>(&mut self, sql: Sql, max: usize) -> Result<Vec<T>, DbError> {
        match &mut self.inner {
            Inner::MySql(conn) => {
                let query = bind::<MySql>(sqlx::query(&sql.text), sql.args);
                if max == 1 {
                    let row = query.fetch_optional(&mut **conn).await?;
                    row.as_ref().map(T::from_row).into_iter().collect()
                } else {
                    let rows = query.fetch_all(&mut **conn).await?;
                    rows.iter().map(T::from_row).collect()
                }
            }
            Inner::Postgres(conn) => {
                let text = numbered(&sql.text);
                let query = bind::<Postgres>(sqlx::query(&text), sql.args);
                if max == 1 {
                    let row = query.fetch_optional(&mut **conn).await?;
                    row.as_ref().map(T::from_row).into_iter().collect()
                } else {
                    let rows = query.fetch_all(&mut **conn).await?;
                    rows.iter().map(T::from_row).collect()
                }
            }
            Inner::Sqlite(conn) => sqlite_rows(conn, &sql, max),
        }
    }
}

/// Poll an operation's future once: on SQLite nothing in it ever waits.
pub fn finish<T>(mut op: BoxFuture<'_, ApiResult<T>>) -> ApiResult<T> {
    match op.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(ApiError::Internal(anyhow::anyhow!(
            "a SQLite operation tried to wait"
        ))),
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

fn bind<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for arg in args {
        q = match arg {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    q
}

fn sqlite_statement<'a>(
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

fn sqlite_execute(conn: &rusqlite::Connection, sql: &Sql) -> Result<u64, DbError> {
    let mut statement = sqlite_statement(conn, sql)?;
    Ok(statement.raw_execute()? as u64)
}

fn sqlite_rows<T: FromRow>(
    conn: &rusqlite::Connection,
    sql: &Sql,
    max: usize,
) -> Result<Vec<T>, DbError> {
    let mut statement = sqlite_statement(conn, sql)?;
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

/// A result row of either layer, read by column position.
pub trait Row {
    fn text(&self, i: usize) -> Result<String, DbError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError>;
    fn int(&self, i: usize) -> Result<i64, DbError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError>;
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

/// A BIGINT column, or a smaller integer one (flags are SMALLINT; PostgreSQL's `SELECT 1` is
/// an INTEGER), decided by the column's type rather than by failed attempts.
fn int_of<R>(row: &R, i: usize) -> Result<i64, DbError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i16: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use sqlx::{Decode, Type, ValueRef};
    let raw = row.try_get_raw(i)?;
    let ty = raw.type_info().into_owned();
    let decoded = if <i64 as Type<R::Database>>::compatible(&ty) {
        <i64 as Decode<R::Database>>::decode(raw)
    } else if <i32 as Type<R::Database>>::compatible(&ty) {
        <i32 as Decode<R::Database>>::decode(raw).map(i64::from)
    } else {
        <i16 as Decode<R::Database>>::decode(raw).map(i64::from)
    };
    decoded.map_err(|source| {
        DbError::Sqlx(sqlx::Error::ColumnDecode {
            index: i.to_string(),
            source,
        })
    })
}

/// Like [`int_of`], NULL being `None` (a NULL's type is not the column's on every engine).
fn opt_int_of<R>(row: &R, i: usize) -> Result<Option<i64>, DbError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i16: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use sqlx::ValueRef;
    if row.try_get_raw(i)?.is_null() {
        return Ok(None);
    }
    int_of(row, i).map(Some)
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

/// A value built from a row whose columns come in the order the store's SELECT names them.
pub trait FromRow: Sized {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError>;
}

impl FromRow for (String,) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((row.text(0)?,))
    }
}

impl FromRow for (Option<String>,) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((row.opt_text(0)?,))
    }
}

impl FromRow for (i64,) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((row.int(0)?,))
    }
}

impl FromRow for (String, String) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((row.text(0)?, row.text(1)?))
    }
}

/// Columns: [`super::LINK_COLUMNS`].
impl FromRow for Link {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Link {
            link_id: row.text(0)?,
            link: row.text(1)?,
            account_id: row.text(2)?,
            created_at: row.int(3)?,
            title: row.opt_text(4)?,
            description: row.opt_text(5)?,
            notes: row.opt_text(6)?,
            updated_at: row.int(7)?,
            unread: row.int(8)? != 0,
            favorite: row.int(9)? != 0,
        })
    }
}

/// Columns: [`super::TAG_COLUMNS`].
impl FromRow for Tag {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Tag {
            tag_id: row.text(0)?,
            tag: row.text(1)?,
            account_id: row.text(2)?,
            created_at: row.int(3)?,
        })
    }
}

/// Columns: [`super::TAG_COLUMNS`], then the count.
impl FromRow for TagWithCount {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(TagWithCount {
            tag_id: row.text(0)?,
            tag: row.text(1)?,
            account_id: row.text(2)?,
            created_at: row.int(3)?,
            link_count: row.int(4)?,
        })
    }
}

/// Columns: tag_id, link_id, account_id.
impl FromRow for TagLink {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(TagLink {
            tag_id: row.text(0)?,
            link_id: row.text(1)?,
            account_id: row.text(2)?,
        })
    }
}

/// Columns: [`super::ACCOUNT_COLUMNS`].
impl FromRow for Account {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Account::new(row.text(0)?, row.text(1)?, row.int(2)?))
    }
}

/// Columns: id, name, hashed_password, security_stamp.
impl FromRow for Credentials {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Credentials {
            id: row.text(0)?,
            name: row.text(1)?,
            hashed_password: row.text(2)?,
            security_stamp: row.text(3)?,
        })
    }
}

impl FromRow
    for (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    )
{
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((
            row.text(0)?,
            row.text(1)?,
            row.opt_text(2)?,
            row.opt_text(3)?,
            row.opt_text(4)?,
        ))
    }
}
