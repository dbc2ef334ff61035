//! One connection as the store's operations see it: an enum over the engines' own connections
//! (static dispatch), each running SQL through its engine's [`Driver`] (in
//! `store/{sqlite,postgres,mysql}/`). The operations are written once against this; on SQLite
//! their futures never wait, so a SQLite thread runs a whole operation in one go.

use std::future::Future;
use std::pin::Pin;

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;

use super::{Arg, Engine, Sql};
use crate::error::{ApiResult, DbError};
use crate::model::{Account, Credentials, Link, Tag, TagLink, TagWithCount};

pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// A store operation: given a connection (inside a transaction for writes) and its arguments.
pub type Op<A, T> = for<'c> fn(Conn<'c>, A) -> BoxFuture<'c, ApiResult<T>>;

/// What each engine's module provides for its connections: running the store's SQL (with `?`
/// placeholders), rows read by position. Operations where an engine does better with SQL of
/// its own are provided methods here, answering `None` ("use the shared steps") unless the
/// engine overrides them.
pub(super) trait Driver: Send {
    /// Run a statement; the number of rows it changed.
    fn run(&mut self, sql: Sql) -> impl Future<Output = Result<u64, DbError>> + Send;

    /// At most `max` rows of a query.
    fn rows<T: FromRow>(
        &mut self,
        sql: Sql,
        max: usize,
    ) -> impl Future<Output = Result<Vec<T>, DbError>> + Send;
}

/// The engines' SQL differences that shared statements are assembled with; each engine's
/// module holds its own (`DIALECT`).
pub struct Dialect {
    /// `INSERT` that silently does nothing when a unique key already holds the row: the
    /// `INSERT …` prefix and the suffix after the values.
    pub insert_ignore: (&'static str, &'static str),
    /// Suffix that makes a SELECT inside a transaction read the latest committed row and keep
    /// others from changing it until commit (a shared lock).
    pub shared_read: &'static str,
    /// Suffix that makes a SELECT inside a transaction read the latest committed row and hold
    /// it exclusively until commit.
    pub locking_read: &'static str,
    /// An inner join taken in the order written.
    pub join: &'static str,
    /// Suffix of an `INSERT INTO tags` or `INSERT INTO taglinks` (both have a `tag_id`
    /// column) that, when a unique key holds the row already (the account's tag of that name,
    /// the link's tag-link), leaves that row as it is but holds it until commit (so it is there
    /// to read after), and that silences nothing but that duplicate; `None`: the engine has
    /// none that writes no new row version, and `insert_ignore` is used, which there silences
    /// only duplicates too. (MySQL's `INSERT IGNORE` also skips a row whose tag or link is
    /// missing, with a warning: on a Galera cluster, links were stored without their tag-link
    /// that way while their tag was merged away through another node.)
    pub tag_upsert: Option<&'static str>,
    /// Suffix of an `INSERT INTO changes` that updates the row already there for the same
    /// thing unless that row is a tombstone (`deleted_at` set), which stays as it is.
    pub change_upsert: &'static str,
}

pub struct Conn<'c> {
    inner: Inner<'c>,
}

enum Inner<'c> {
    MySql(&'c mut MySqlConnection),
    Postgres(&'c mut PgConnection),
    Sqlite(&'c mut rusqlite::Connection),
}

/// `$body` with `$c` bound to the engine's connection, whichever it is.
macro_rules! on_driver {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut $conn.inner {
            Inner::MySql($c) => $body,
            Inner::Postgres($c) => $body,
            Inner::Sqlite($c) => $body,
        }
    };
}

impl<'c> Conn<'c> {
    pub fn mysql(conn: &'c mut MySqlConnection) -> Self {
        Conn {
            inner: Inner::MySql(conn),
        }
    }

    pub fn postgres(conn: &'c mut PgConnection) -> Self {
        Conn {
            inner: Inner::Postgres(conn),
        }
    }

    pub fn sqlite(conn: &'c mut rusqlite::Connection) -> Self {
        Conn {
            inner: Inner::Sqlite(conn),
        }
    }
}

impl Conn<'_> {
    pub fn engine(&self) -> Engine {
        match &self.inner {
            Inner::MySql(_) => Engine::MySql,
            Inner::Postgres(_) => Engine::Postgres,
            Inner::Sqlite(_) => Engine::Sqlite,
        }
    }

    fn dialect(&self) -> &'static Dialect {
        self.engine().dialect()
    }

    /// `INSERT` that silently does nothing when a unique key already holds the row.
    pub fn insert_ignore(&self, table_columns_values: &str) -> String {
        self.engine().insert_ignore(table_columns_values)
    }

    /// An `INSERT INTO tags` or `taglinks` (`table_columns_values`, after `INTO`) that leaves a
    /// row a unique key already holds as it is, and fails on anything else: see
    /// [`Dialect::tag_upsert`].
    pub fn insert_tag_row(&self, table_columns_values: &str) -> String {
        match self.dialect().tag_upsert {
            Some(upsert) => format!("INSERT INTO {table_columns_values}{upsert}"),
            None => self.insert_ignore(table_columns_values),
        }
    }

    /// See [`Dialect::shared_read`]. SQLite needs none: its write transactions run one at a
    /// time.
    pub fn shared_read(&self) -> &'static str {
        self.dialect().shared_read
    }

    /// See [`Dialect::locking_read`].
    pub fn change_upsert(&self) -> &'static str {
        self.dialect().change_upsert
    }

    pub fn locking_read(&self) -> &'static str {
        self.dialect().locking_read
    }

    pub async fn fetch_all<T: FromRow>(&mut self, sql: Sql) -> ApiResult<Vec<T>> {
        if sql.matches_nothing() {
            return Ok(Vec::new());
        }
        Ok(on_driver!(self, c => c.rows(sql, usize::MAX).await)?)
    }

    pub async fn fetch_optional<T: FromRow>(&mut self, sql: Sql) -> ApiResult<Option<T>> {
        if sql.matches_nothing() {
            return Ok(None);
        }
        Ok(on_driver!(self, c => c.rows(sql, 1).await)?.pop())
    }

    /// Run a statement that finds rows to change (UPDATE, DELETE); the number changed.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64, DbError> {
        if sql.matches_nothing() {
            return Ok(0);
        }
        on_driver!(self, c => c.run(sql).await)
    }

    /// Run an INSERT. Unlike `execute` it never skips the statement for a value with a
    /// trailing space: such values (a description, the search text) are stored, not compared.
    pub async fn insert(&mut self, sql: Sql) -> Result<u64, DbError> {
        on_driver!(self, c => c.run(sql).await)
    }
}

/// Bind the arguments of a query of sqlx's (MySQL and PostgreSQL).
pub(super) fn bind<'q, DB>(
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

/// A result row of any engine, read by column position.
pub trait Row {
    fn text(&self, i: usize) -> Result<String, DbError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError>;
    fn int(&self, i: usize) -> Result<i64, DbError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError>;
}

/// A BIGINT column, or a smaller integer one (flags are SMALLINT; PostgreSQL's `SELECT 1` is
/// an INTEGER), decided by the column's type rather than by failed attempts.
pub(super) fn int_of<R>(row: &R, i: usize) -> Result<i64, DbError>
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
pub(super) fn opt_int_of<R>(row: &R, i: usize) -> Result<Option<i64>, DbError>
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

/// A value built from a row whose columns come in the order the store's SELECT names them.
/// (Send: a row value is carried across the await points of an operation.)
pub trait FromRow: Sized + Send {
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

impl FromRow for (i64, i64) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((row.int(0)?, row.int(1)?))
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

/// Columns: [`super::LINK_COLUMNS`], then a number (a count that came with the link).
impl FromRow for (Link, i64) {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok((Link::from_row(row)?, row.int(10)?))
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
