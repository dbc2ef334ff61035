//! Persistence: the connections, the migrations of each engine, and every query. Every query that
//! touches account data takes the account it is scoped to; `None` means the admin's view.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::mysql::MySqlConnection;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnection;

pub mod bulk;
mod conn;
pub mod dedupe;
mod mysql;
pub mod pages;
mod pool;
mod postgres;
mod search;
pub use search::search_grams;
pub mod seed;
pub mod sessions;
mod sqlite;
pub mod sync;
pub mod tokens;
pub mod transfer;

use crate::config::Config;
use crate::error::{is_unique_violation, ApiError, ApiResult, DbError};
use crate::model::{
    new_id, now_micros, Account, Credentials, Link, LinkDetails, LinkFlags, Micros, Page, Tag,
    TagLink, TagWithCount,
};
use crate::urlkey::url_key;
use conn::{Conn, Dialect, FromRow, Op};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

impl Engine {
    /// The engine a URL names, and the URL as the driver wants it. Unknown schemes are errors,
    /// so a typo never creates a new empty database somewhere.
    pub fn from_url(url: &str) -> anyhow::Result<(Engine, String)> {
        let Some((scheme, rest)) = url.split_once(':') else {
            bail!("database URL {url:?} has no scheme; use sqlite://, mysql://, mariadb:// or postgres://");
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                // Create the file on first start.
                let url = if rest.contains("mode=") || rest.contains(":memory:") {
                    url.to_owned()
                } else if rest.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                Ok((Engine::Sqlite, url))
            }
            "mysql" | "mariadb" => Ok((Engine::MySql, format!("mysql:{rest}"))),
            "postgres" | "postgresql" => Ok((Engine::Postgres, format!("postgres:{rest}"))),
            other => bail!(
                "unsupported database URL scheme {other:?}; use sqlite://, mysql://, mariadb:// or postgres://"
            ),
        }
    }

    /// The engine's SQL differences, as its module states them.
    fn dialect(self) -> &'static Dialect {
        match self {
            Engine::Sqlite => &sqlite::DIALECT,
            Engine::MySql => &mysql::DIALECT,
            Engine::Postgres => &postgres::DIALECT,
        }
    }

    /// `INSERT` that silently does nothing when a unique key already holds the row.
    fn insert_ignore(self, table_columns_values: &str) -> String {
        let (insert, suffix) = self.dialect().insert_ignore;
        format!("{insert}{table_columns_values}{suffix}")
    }
}

/// Settings of a sqlx pool (only SQLite's migration uses one; MySQL and PostgreSQL run on
/// [`pool::Pool`]). sqlx pings every connection it hands out by default: a second round trip
/// for every query. A connection used within the last second is taken as alive (as HikariCP
/// does); one idle longer is pinged first, and replaced if it is dead.
pub(crate) fn pool_options<DB: sqlx::Database>(
    max_connections: u32,
    settings: &PoolSettings,
) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                Ok(meta.idle_for < POOL_TRUST_WINDOW || sqlx::Connection::ping(conn).await.is_ok())
            })
        })
}

/// A link's id, URL, title, description and notes.
type LinkText = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Arguments collected while a query is assembled.
#[derive(Clone)]
enum Arg {
    Text(String),
    /// A text that may be NULL (never compared, so never a reason to match nothing).
    OptText(Option<String>),
    Int(i64),
}

/// False for a text no stored key can equal: one holding NUL or ending in a space (see
/// [`Sql::matches_nothing`]). A statement looking a row up by such a key finds nothing, and is
/// not sent (PostgreSQL refuses NUL in a text).
pub(crate) fn can_be_key(text: &str) -> bool {
    !(text.contains('\0') || text.ends_with(' '))
}

/// A query assembled from fragments, with `?` placeholders (rewritten for PostgreSQL when run).
#[derive(Clone)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }
    fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }
    fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.args.push(Arg::Text(value.into()));
        self
    }
    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        self.args.push(Arg::OptText(value.map(str::to_owned)));
        self
    }
    fn int(&mut self, value: i64) -> &mut Self {
        self.args.push(Arg::Int(value));
        self
    }
    /// `AND <column> = ?` when `value` is given.
    fn and_eq(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.push(" AND ").push(column).push(" = ?").text(value);
        }
        self
    }
    /// For a query that only finds rows (a SELECT, or a DELETE): true when a text argument holds
    /// NUL or ends in a space. No stored key does (validation refuses NUL, names are trimmed,
    /// ids are generated), and the engines would not agree on them: PostgreSQL cannot compare
    /// with NUL, and MySQL's PAD SPACE collations ignore trailing spaces, so that `id + " "`
    /// would find `id`. Such a query is answered without asking the database. Statements that
    /// write values (INSERT, UPDATE) are never skipped: a value may end in a space.
    fn matches_nothing(&self) -> bool {
        let finds_only = ["SELECT", "DELETE"]
            .iter()
            .any(|verb| self.text.trim_start().starts_with(verb));
        finds_only
            && self
                .args
                .iter()
                .any(|a| matches!(a, Arg::Text(s) if !can_be_key(s)))
    }
    /// Another query's text and arguments, appended.
    fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self
    }
    fn page(&mut self, page: Page) -> &mut Self {
        self.push(" LIMIT ? OFFSET ?")
            .int(page.limit)
            .int(page.offset)
    }
}

/// The store: one handle on the database, cheap to clone. Every operation is a function of a
/// [`Conn`], run by [`Store::read`] or (in a transaction, retried on conflicts) by
/// [`Store::write`].
#[derive(Clone)]
pub struct Store {
    backend: Backends,
    engine: Engine,
    stamps: Arc<StampCache>,
    /// How long deletions are kept for sync clients, in microseconds.
    tombstone_micros: i64,
}

/// One engine's module, as the store runs its operations there: each engine implements this
/// on its own handle (a pool of native connections, or SQLite's threads), and [`Store`] holds
/// one of them (static dispatch: an enum over the three).
trait Backend {
    /// Run `op` on a connection, outside a transaction.
    fn read<A, T>(
        &self,
        args: A,
        op: Op<A, T>,
    ) -> impl std::future::Future<Output = ApiResult<T>> + Send
    where
        A: Send + 'static,
        T: Send + 'static;

    /// Run `op` once in a write transaction: committed when it answers `Ok`, rolled back
    /// otherwise.
    fn write_once<A, T>(
        &self,
        args: A,
        op: Op<A, T>,
    ) -> impl std::future::Future<Output = ApiResult<T>> + Send
    where
        A: Send + 'static,
        T: Send + 'static;

    /// Close the pool.
    fn close(&self) -> impl std::future::Future<Output = ()> + Send;

    /// Create a link, its tag when named and missing, the tag-link, and their sync rows, in
    /// one statement (one round trip, a transaction of its own). `None` when the engine has no
    /// such statement, or it could not this time (nothing was written): the shared steps then
    /// run in a transaction.
    fn create_link_at_once(
        &self,
        _new: &NewLink,
    ) -> impl std::future::Future<Output = ApiResult<Option<Link>>> + Send {
        async { Ok(None) }
    }
}

#[derive(Clone)]
enum Backends {
    MySql(pool::Pool<MySqlConnection>),
    Postgres(pool::Pool<PgConnection>),
    Sqlite(sqlite::Pool),
}

/// `$body` with `$b` bound to the store's backend, whichever engine it is.
macro_rules! on_backend {
    ($backend:expr, $b:ident => $body:expr) => {
        match $backend {
            Backends::MySql($b) => $body,
            Backends::Postgres($b) => $body,
            Backends::Sqlite($b) => $body,
        }
    };
}

pub struct PoolSettings {
    /// MySQL/PostgreSQL pool size.
    pub max_connections: u32,
    /// SQLite reader threads (`None`: half the cores, at least one); never more than the cores.
    pub sqlite_readers: Option<u32>,
    pub acquire_timeout: Duration,
    /// How long a principal's security stamp may be answered from memory (zero: never).
    pub stamp_cache: Duration,
    /// How long deletions are kept for sync clients.
    pub tombstones: Duration,
}

/// Security stamps recently read, so that authenticating a request need not ask the database
/// each time. Changes made through this process drop the entry at once; changes made
/// elsewhere (another server, the admin CLI) are seen once the entry is older than the TTL.
struct StampCache {
    ttl: Duration,
    /// Accounts by account id, admins by username: looked up by the token's claim as it is.
    entries: std::sync::Mutex<[StampMap; 2]>,
}

type StampMap = std::collections::HashMap<Box<str>, CachedStamp, foldhash::fast::RandomState>;

/// Which map of the [`StampCache`] a key belongs to.
#[derive(Clone, Copy)]
enum StampOf {
    Account = 0,
    Admin = 1,
}

/// A principal's id and stamp (None: no such principal), and when that was read.
type CachedStamp = (Option<(String, String)>, std::time::Instant);

/// Past this many cached principals the cache starts over (bounded memory).
const STAMP_CACHE_MAX: usize = 100_000;

impl StampCache {
    fn get(&self, kind: StampOf, key: &str) -> Option<Option<(String, String)>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries[kind as usize]
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    fn put(&self, kind: StampOf, key: &str, value: Option<(String, String)>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let map = &mut entries[kind as usize];
        if map.len() >= STAMP_CACHE_MAX {
            map.clear();
        }
        map.insert(key.into(), (value, std::time::Instant::now()));
    }

    fn forget(&self, kind: StampOf, key: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())[kind as usize].remove(key);
    }
}

/// A tag goes with its tag-links (its links stay).
const DELETE_TAG: &[&str] = &[
    "DELETE FROM taglinks WHERE tag_id = ?",
    "DELETE FROM tags WHERE tag_id = ?",
];

/// How recently a pooled connection must have been used to be handed out without a ping.
const POOL_TRUST_WINDOW: Duration = Duration::from_secs(1);

const ACCOUNT_COLUMNS: &str = "account_id, email, created_at";
const LINK_COLUMNS: &str =
    "l.link_id, l.link, l.account_id, l.created_at, l.title, l.description, l.notes, l.updated_at, \
     l.unread, l.favorite";
const TAG_COLUMNS: &str = "tag_id, tag, account_id, created_at";

/// Open the database (migrating it) as the configuration says.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::connect(
        &config.database_url,
        PoolSettings {
            max_connections: config.db_max_connections,
            sqlite_readers: config.sqlite_readers,
            acquire_timeout: Duration::from_secs(config.db_timeout_seconds.max(1)),
            stamp_cache: Duration::from_secs(config.auth_cache_seconds),
            tombstones: Duration::from_secs(u64::from(config.tombstone_days) * 86_400),
        },
    )
    .await
}

impl Store {
    /// Connect, and bring the schema up to date.
    pub async fn connect(url: &str, settings: PoolSettings) -> anyhow::Result<Store> {
        let (engine, url) = Engine::from_url(url)?;
        let backend = match engine {
            Engine::Sqlite => Backends::Sqlite(sqlite::open(&url, &settings).await?),
            Engine::MySql => Backends::MySql(mysql::open(&url, &settings).await?),
            Engine::Postgres => Backends::Postgres(postgres::open(&url, &settings).await?),
        };
        let store = Store {
            backend,
            engine,
            tombstone_micros: i64::try_from(settings.tombstones.as_micros()).unwrap_or(i64::MAX),
            stamps: Arc::new(StampCache {
                ttl: settings.stamp_cache,
                entries: std::sync::Mutex::new(Default::default()),
            }),
        };
        store.fill_link_keys().await?;
        store
            .fill_changes()
            .await
            .context("cannot record links and tags for sync")?;
        Ok(store)
    }

    /// Fill in `link_hash` and `search_text` of links stored before those columns existed;
    /// they are computed here rather than in SQL so that every engine derives them the same way.
    async fn fill_link_keys(&self) -> anyhow::Result<()> {
        loop {
            let filled = self
                .write((), |mut c, ()| {
                    Box::pin(async move {
                        let engine = c.engine();
                        let rows: Vec<LinkText> = c
                            .fetch_all(Sql::new(&format!(
                                "SELECT link_id, link, title, description, notes FROM links \
                                 WHERE link_hash IS NULL OR {} OR url_key IS NULL LIMIT 1000",
                                search::text_missing(engine)
                            )))
                            .await?;
                        for (link_id, link, title, description, notes) in &rows {
                            let details = LinkDetails {
                                title: title.clone(),
                                description: description.clone(),
                                notes: notes.clone(),
                            };
                            let mut update = Sql::new(&format!(
                                "UPDATE links SET link_hash = ?, url_key = ?, {} \
                                 WHERE link_id = ?",
                                search::text_assignments(engine)
                            ));
                            update.text(link_hash(link)).text(url_key(link));
                            search::bind_text(&mut update, engine, search_text(link, &details));
                            update.text(link_id);
                            c.insert(update).await?;
                        }
                        Ok(rows.len())
                    })
                })
                .await
                .context("cannot index links")?;
            if filled == 0 {
                return Ok(());
            }
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Close the pool. SQLite's threads end when the last handle on the store is dropped.
    pub async fn close(&self) {
        on_backend!(&self.backend, b => b.close().await)
    }

    /// Run `op` on a connection, outside a transaction.
    async fn read<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        on_backend!(&self.backend, b => b.read(args, op).await)
    }

    /// Run `op` in a write transaction: committed when it answers `Ok`, rolled back otherwise,
    /// and run again from the start when the engine gave up on it for a conflict with another
    /// transaction (see [`Store::retrying`]).
    async fn write<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Clone + Send + 'static,
        T: Send + 'static,
    {
        self.retrying(|| async {
            on_backend!(&self.backend, b => b.write_once(args.clone(), op).await)
        })
        .await
    }

    /// Run a write transaction again when the engine gave up on it for a conflict with another
    /// one (serialization failure, deadlock, SQLite busy), with a short growing pause, so that
    /// engines such as CockroachDB or Galera never surface it. A transaction still conflicting
    /// after [`RETRY_BUDGET`] (writers meeting on the same rows of a cluster that is losing a
    /// node) answers 503: nothing was written, and the client may try again.
    async fn retrying<T, F, Fut>(&self, mut op: F) -> ApiResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ApiResult<T>>,
    {
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            match op().await {
                Err(ApiError::Database(err)) if is_retryable(&err) => {
                    attempt += 1;
                    if started.elapsed() >= RETRY_BUDGET {
                        tracing::warn!(attempt, error = %err, "gave up on a conflicting transaction");
                        return Err(ApiError::Unavailable);
                    }
                    tracing::debug!(attempt, error = %err, "retrying a conflicting transaction");
                    // Exponential with jitter: conflicting writers (on a Galera cluster, also
                    // on other nodes, found out only at commit) spread apart instead of meeting
                    // again; at most 400 ms a pause.
                    let ceiling = (5u64 << attempt.min(7)).min(400);
                    let pause = 5 + rand::random::<u64>() % ceiling;
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                other => return other,
            }
        }
    }

    /// Ping the database.
    pub async fn health(&self) -> ApiResult<()> {
        self.query_optional::<(i64,)>(Sql::new("SELECT 1")).await?;
        Ok(())
    }

    // ---- settings ---------------------------------------------------------------------------

    /// The stored value of `name`, storing `value` first if there is none. Safe when several
    /// servers start at once: the first insert wins and everybody reads that one.
    pub async fn setting_or_init(&self, name: &str, value: &str) -> ApiResult<String> {
        let args = (name.to_owned(), value.to_owned());
        self.write(args, |mut c, (name, value)| {
            Box::pin(async move {
                let mut insert = Sql::new(&c.insert_ignore("settings (name, value) VALUES (?, ?)"));
                insert.text(&name).text(value);
                c.insert(insert).await?;
                let mut select = Sql::new("SELECT value FROM settings WHERE name = ?");
                select.text(&name);
                let row: Option<(String,)> = c.fetch_optional(select).await?;
                row.map(|(v,)| v)
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("setting {name} vanished")))
            })
        })
        .await
    }

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

    /// One SELECT outside a transaction, its first row.
    async fn query_optional<T: FromRow + Send + 'static>(&self, sql: Sql) -> ApiResult<Option<T>> {
        self.read(sql, |mut c, sql| {
            Box::pin(async move { c.fetch_optional(sql).await })
        })
        .await
    }

    /// One SELECT outside a transaction, every row.
    async fn query_all<T: FromRow + Send + 'static>(&self, sql: Sql) -> ApiResult<Vec<T>> {
        self.read(sql, |mut c, sql| {
            Box::pin(async move { c.fetch_all(sql).await })
        })
        .await
    }

    /// One statement in a transaction of its own; the number of rows it changed.
    async fn execute(&self, sql: Sql) -> ApiResult<u64> {
        self.write(sql, |mut c, sql| {
            Box::pin(async move { Ok(c.execute(sql).await?) })
        })
        .await
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

    // ---- tags -------------------------------------------------------------------------------

    pub async fn get_tag(&self, account: Option<&str>, tag_id: &str) -> ApiResult<Option<Tag>> {
        let mut sql = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
        sql.text(tag_id).and_eq("account_id", account);
        self.query_optional(sql).await
    }

    pub async fn list_tags(
        &self,
        account: Option<&str>,
        name: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<Tag>> {
        let mut sql = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE 1 = 1"));
        sql.and_eq("account_id", account)
            .and_eq("tag_key", name.map(tag_key).as_deref())
            .push(" ORDER BY created_at, tag_id")
            .page(page);
        self.query_all(sql).await
    }

    /// Like [`Store::list_tags`], each tag with the number of links carrying it.
    pub async fn list_tags_with_counts(
        &self,
        account: Option<&str>,
        name: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<TagWithCount>> {
        let mut sql = Sql::new(
            "SELECT t.tag_id, t.tag, t.account_id, t.created_at, \
             (SELECT COUNT(*) FROM taglinks tl WHERE tl.tag_id = t.tag_id) AS link_count \
             FROM tags t WHERE 1 = 1",
        );
        sql.and_eq("t.account_id", account)
            .and_eq("t.tag_key", name.map(tag_key).as_deref())
            .push(" ORDER BY t.created_at, t.tag_id")
            .page(page);
        self.query_all(sql).await
    }

    /// Rename a tag. Onto a name another tag of the account already has (compared
    /// case-insensitively), the two merge: the tag-links move to that tag (a link that carries
    /// both keeps one), this tag is deleted, and the surviving tag, with its spelling, is
    /// returned. One transaction; `None` when the tag is not the caller's.
    pub async fn rename_tag(
        &self,
        account: Option<&str>,
        tag_id: &str,
        name: &str,
    ) -> ApiResult<Option<Tag>> {
        let args = (
            account.map(str::to_owned),
            tag_id.to_owned(),
            name.to_owned(),
        );
        let mut attempt = 0;
        loop {
            let result = self
                .write(args.clone(), |mut c, (account, tag_id, name)| {
                    Box::pin(async move { c.rename_tag(account.as_deref(), &tag_id, &name).await })
                })
                .await;
            match result {
                // A tag of that name was created concurrently: now it is there to merge with.
                Err(ApiError::Database(err))
                    if is_unique_violation(&err) && attempt < MAX_RETRIES =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A new tag; 409 if the account has one of that name already (compared
    /// case-insensitively).
    pub async fn create_tag(&self, account_id: &str, name: &str) -> ApiResult<Tag> {
        let args = (account_id.to_owned(), name.to_owned());
        self.write(args, |mut c, (account_id, name)| {
            Box::pin(async move {
                c.require_account(&account_id).await?;
                let tag = Tag {
                    tag_id: new_id(),
                    tag: name,
                    account_id,
                    created_at: now_micros(),
                };
                if c.insert_tag(&tag).await? {
                    c.tags_changed(&tag.account_id, std::slice::from_ref(&tag.tag_id))
                        .await?;
                    Ok(tag)
                } else {
                    Err(ApiError::Conflict(format!(
                        "Tag with name {} exists for account {}",
                        tag.tag, tag.account_id
                    )))
                }
            })
        })
        .await
    }

    /// Delete a tag and its tag-links; the links stay.
    pub async fn delete_tag(&self, account: Option<&str>, tag_id: &str) -> ApiResult<Option<Tag>> {
        let args = (account.map(str::to_owned), tag_id.to_owned());
        self.write(args, |mut c, (account, tag_id)| {
            Box::pin(async move {
                let mut select =
                    Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
                // Locked first: a write attaching the tag (holding it shared) finishes before
                // the tag-links are deleted, so none is left behind to refuse the delete.
                select
                    .text(&tag_id)
                    .and_eq("account_id", account.as_deref())
                    .push(c.locking_read());
                let Some(tag) = c.fetch_optional::<Tag>(select).await? else {
                    return Ok(None);
                };
                let links = c.links_of_tag(&tag_id).await?;
                c.delete_all(DELETE_TAG, &tag_id).await?;
                c.tag_deleted(&tag.account_id, &tag_id, &links).await?;
                Ok(Some(tag))
            })
        })
        .await
    }

    // ---- links ------------------------------------------------------------------------------

    pub async fn get_link(&self, account: Option<&str>, link_id: &str) -> ApiResult<Option<Link>> {
        // By its key alone, the account compared here: with `AND account_id = ?` MariaDB's
        // optimizer weighed the five indexes that start with account_id on every read.
        let mut sql = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
        ));
        sql.text(link_id);
        let link: Option<Link> = self.query_optional(sql).await?;
        Ok(link.filter(|l| account.is_none_or(|a| l.account_id == a)))
    }

    /// A page of the links matching `filter`, with how many match in all.
    ///
    /// Without `q`, the page is read with one link more: when there is none, the page reaches
    /// the end of the matches and their number is known without counting them. With `q`, the
    /// count comes first and stops at [`BROAD`] matches unless `filter.exact_count` (a broad
    /// search would otherwise read every match's row just to count it), and a broad search is
    /// answered by walking the links in list order (see [`search::Index::Unused`]); relevance
    /// then ranks the newest [`BROAD`] matches, the others following newest first.
    pub async fn search_links_counted(
        &self,
        account: Option<&str>,
        filter: &LinkFilter,
        page: Page,
    ) -> ApiResult<(Vec<Link>, Total)> {
        if filter.query.is_empty() {
            // One link beyond the page: when there is none, the page reaches the end of the
            // matches, and their number is known without counting them (a second query that reads
            // every match again).
            let probe = Page {
                offset: page.offset,
                limit: page.limit + 1,
            };
            let args = (
                ranked_query(self.engine, account, filter, probe, false)
                    .unwrap_or_else(|| links_query(self.engine, account, filter, probe, false)),
                count_query(self.engine, account, filter, None),
                page,
            );
            return self
                .read(args, |mut c, (links, count, page)| {
                    Box::pin(async move {
                        let mut links: Vec<Link> = c.fetch_all(links).await?;
                        let found = links.len() as i64;
                        let total = if found <= page.limit && (found > 0 || page.offset == 0) {
                            page.offset + found
                        } else {
                            c.fetch_optional::<(i64,)>(count).await?.map_or(0, |(n,)| n)
                        };
                        links.truncate(page.limit as usize);
                        let total = Total {
                            count: total,
                            exact: true,
                        };
                        Ok((links, total))
                    })
                })
                .await;
        }
        let cap = (!filter.exact_count).then_some(BROAD);
        let count = count_query(self.engine, account, filter, cap);
        let args = (account.map(str::to_owned), filter.clone(), page, count);
        self.read(args, |mut c, (account, filter, page, count)| {
            Box::pin(async move {
                let engine = c.engine();
                let n = c.fetch_optional::<(i64,)>(count).await?.map_or(0, |(n,)| n);
                let broad = n > BROAD;
                let links = if n == 0 {
                    Vec::new()
                } else {
                    let sql = ranked_query(engine, account.as_deref(), &filter, page, broad)
                        .unwrap_or_else(|| {
                            links_query(engine, account.as_deref(), &filter, page, broad)
                        });
                    c.fetch_all(sql).await?
                };
                let total = if broad && !filter.exact_count {
                    Total {
                        count: BROAD,
                        exact: false,
                    }
                } else {
                    Total {
                        count: n,
                        exact: true,
                    }
                };
                Ok((links, total))
            })
        })
        .await
    }

    /// Change a link: its URL, descriptive fields, and (when given) its whole tag set, tags
    /// named that the account lacks being created; one transaction. `None` when the link is
    /// not the caller's.
    pub async fn update_link(
        &self,
        account: Option<&str>,
        link_id: &str,
        changes: &LinkChanges,
    ) -> ApiResult<Option<Link>> {
        let args = Arc::new((
            account.map(str::to_owned),
            link_id.to_owned(),
            changes.clone(),
        ));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account, link_id, changes) = &*args;
                c.update_link(account.as_deref(), link_id, changes).await
            })
        })
        .await
    }

    /// Create a link with its tag (an existing one by id, or one by name created if missing)
    /// and the tag-link between them, in one transaction.
    pub async fn create_link(
        &self,
        account_id: &str,
        url: &str,
        tag: TagRef<'_>,
        details: &LinkDetails,
        flags: LinkFlags,
    ) -> ApiResult<Link> {
        let tag = match tag {
            TagRef::Id(id) => (true, id.to_owned()),
            TagRef::Name(name) => (false, name.to_owned()),
        };
        let created_at = now_micros();
        let new = NewLink {
            link: new_link(account_id, url, details, flags, created_at),
            tag_by_id: tag.0,
            tag: tag.1.clone(),
            tag_id: new_id(),
        };
        let at_once = self
            .retrying(|| async {
                on_backend!(&self.backend, b => b.create_link_at_once(&new).await)
            })
            .await?;
        if let Some(link) = at_once {
            return Ok(link);
        }
        let args = Arc::new((
            account_id.to_owned(),
            url.to_owned(),
            tag,
            details.clone(),
            flags,
        ));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account_id, url, (by_id, tag), details, flags) = &*args;
                let tag = if *by_id {
                    TagRef::Id(tag)
                } else {
                    TagRef::Name(tag)
                };
                c.create_link(account_id, url, tag, details, *flags).await
            })
        })
        .await
    }

    /// Delete a link and its tag-links.
    pub async fn delete_link(
        &self,
        account: Option<&str>,
        link_id: &str,
    ) -> ApiResult<Option<Link>> {
        let args = (account.map(str::to_owned), link_id.to_owned());
        self.write(args, |mut c, (account, link_id)| {
            Box::pin(async move {
                let mut select = Sql::new(&format!(
                    "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
                ));
                // Locked first, as for tags: a write tagging the link finishes before its
                // tag-links are deleted.
                select
                    .text(&link_id)
                    .and_eq("l.account_id", account.as_deref())
                    .push(c.locking_read());
                let Some(link) = c.fetch_optional::<Link>(select).await? else {
                    return Ok(None);
                };
                c.delete_all(
                    &[
                        "DELETE FROM taglinks WHERE link_id = ?",
                        "DELETE FROM links WHERE link_id = ?",
                    ],
                    &link_id,
                )
                .await?;
                c.links_deleted(&link.account_id, std::slice::from_ref(&link.link_id))
                    .await?;
                Ok(Some(link))
            })
        })
        .await
    }

    // ---- tag-links --------------------------------------------------------------------------

    /// Link an existing tag to an existing link, both of `account_id` (422 otherwise, the tag
    /// checked first); 409 if the pair exists.
    pub async fn create_taglink(
        &self,
        account_id: &str,
        tag_id: &str,
        link_id: &str,
    ) -> ApiResult<TagLink> {
        let args = (account_id.to_owned(), tag_id.to_owned(), link_id.to_owned());
        self.write(args, |mut c, (account_id, tag_id, link_id)| {
            Box::pin(async move {
                c.require_account(&account_id).await?;
                let mut tag =
                    Sql::new("SELECT tag_id FROM tags WHERE tag_id = ? AND account_id = ?");
                tag.text(&tag_id).text(&account_id);
                if c.fetch_optional::<(String,)>(tag).await?.is_none() {
                    return Err(ApiError::Unprocessable(tag_not_in_account(
                        &tag_id,
                        &account_id,
                    )));
                }
                let mut link =
                    Sql::new("SELECT created_at FROM links WHERE link_id = ? AND account_id = ?");
                link.text(&link_id).text(&account_id);
                let Some((link_created_at,)) = c.fetch_optional::<(i64,)>(link).await? else {
                    return Err(ApiError::Unprocessable(format!(
                        "Link with link_id {link_id} not found for account_id {account_id}"
                    )));
                };
                if !c
                    .insert_taglink(&account_id, &tag_id, &link_id, link_created_at)
                    .await?
                {
                    return Err(ApiError::Conflict(format!(
                        "TagLink with tag_id {tag_id} and link_id {link_id} exists"
                    )));
                }
                c.links_changed(&account_id, std::slice::from_ref(&link_id), &[])
                    .await?;
                Ok(TagLink {
                    tag_id,
                    link_id,
                    account_id,
                })
            })
        })
        .await
    }

    pub async fn list_taglinks(
        &self,
        account: Option<&str>,
        tag_id: Option<&str>,
        link_id: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<TagLink>> {
        let mut sql = Sql::new("SELECT tag_id, link_id, account_id FROM taglinks WHERE 1 = 1");
        sql.and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id)
            .push(" ORDER BY created_at, tag_id, link_id")
            .page(page);
        self.query_all(sql).await
    }

    pub async fn delete_taglinks(
        &self,
        account: Option<&str>,
        tag_id: Option<&str>,
        link_id: Option<&str>,
    ) -> ApiResult<u64> {
        let mut sql = Sql::new("DELETE FROM taglinks WHERE 1 = 1");
        sql.and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id);
        // The links whose tags change, for sync clients.
        let mut affected = Sql::new("SELECT account_id, link_id FROM taglinks WHERE 1 = 1");
        affected
            .and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id);
        self.write((sql, affected), |mut c, (sql, affected)| {
            Box::pin(async move {
                let affected: Vec<(String, String)> = c.fetch_all(affected).await?;
                let deleted = c.execute(sql).await?;
                c.links_changed_anywhere(affected).await?;
                Ok(deleted)
            })
        })
        .await
    }
}

/// With `q`: how many matches are counted (beyond, `X-Total-Count` says "at least this many"),
/// and how many of the newest matches relevance ranks when more match. A thousand matches
/// are counted or ranked in about a millisecond.
pub const BROAD: i64 = 1000;

/// How many links match a list's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// The number of matches, or when not `exact`, [`BROAD`]: more match.
    pub count: i64,
    pub exact: bool,
}

/// How a query's conditions use the search index: a broad search walks the links instead.
fn index_use(broad: bool) -> search::Index {
    if broad {
        search::Index::Unused
    } else {
        search::Index::Filter
    }
}

/// A page of the links matching `filter`, in list order. `broad`: `q` matches many links
/// (see [`Store::search_links_counted`]).
fn links_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
    broad: bool,
) -> Sql {
    let dir = if filter.newest_first { " DESC" } else { "" };
    // From a tag's tag-links the order is that of their index (link_created_at is the link's
    // created_at), so a page is read without sorting the tag's every link.
    let tag_order = format!(" ORDER BY d.link_created_at{dir}, d.link_id{dir}");
    match driving_tag(account, filter) {
        Some((tag, rest)) if rest.is_empty() && engine == Engine::MySql && page.offset == 0 => {
            // The first page of a tag on MariaDB: its tag-links in index order, each joined
            // with its link, stopping at the page. The form below made MariaDB copy the page's
            // tag-links into a temporary table and sort it again (a list of 100: ~15% more of
            // its CPU); past the first page that form reads only the page's links.
            let mut sql = Sql::new(&format!(
                "SELECT {LINK_COLUMNS} FROM taglinks d STRAIGHT_JOIN links l \
                 ON l.link_id = d.link_id WHERE d.tag_id = "
            ));
            sql.append(tag).push(&tag_order).page(page);
            sql
        }
        Some((tag, rest)) if rest.is_empty() => {
            // Nothing but the tag: the page of its tag-links first, then just those links.
            let mut sql = Sql::new(&format!(
                "SELECT {LINK_COLUMNS} FROM (SELECT d.link_id, d.link_created_at \
                 FROM taglinks d WHERE d.tag_id = "
            ));
            sql.append(tag).push(&tag_order).page(page);
            sql.push(&format!(
                ") d {} links l ON l.link_id = d.link_id",
                join(engine)
            ))
            .push(&tag_order);
            sql
        }
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, Sql::new(LINK_COLUMNS), tag);
            link_conditions(&mut sql, engine, account, &rest, index_use(broad));
            sql.push(&tag_order).page(page);
            sql
        }
        None => {
            let (mut sql, index) = from_links(engine, Sql::new(LINK_COLUMNS), filter, broad);
            link_conditions(&mut sql, engine, account, filter, index);
            sql.push(&format!(" ORDER BY l.created_at{dir}, l.link_id{dir}"))
                .page(page);
            sql
        }
    }
}

/// With `sort=relevance`, a page of the links matching `filter`, best first (ties newest
/// first). Only the ranking keys of every match are sorted; the page's links are read after
/// (at 100,000 links a third faster than sorting whole rows; a `COUNT(*) OVER ()` here to save
/// the count query was slower on SQLite and PostgreSQL than the two queries). `None` when not
/// sorted by relevance, or when `q` has no word or phrase to rank by.
///
/// `broad`: only the newest [`BROAD`] matches are ranked, found by walking the links newest
/// first; the matches after them follow newest first (score -1), so that pages never overlap.
fn ranked_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
    broad: bool,
) -> Option<Sql> {
    if !filter.relevance {
        return None;
    }
    let mut columns = Sql::new("l.link_id AS id, ");
    if !search::push_rank(&mut columns, engine, &filter.query) {
        return None;
    }
    columns.push(" AS score, l.created_at AS created");
    let (mut matches, newest) = match driving_tag(account, filter) {
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, columns, tag);
            link_conditions(&mut sql, engine, account, &rest, index_use(broad));
            (sql, " ORDER BY d.link_created_at DESC, d.link_id DESC")
        }
        None => {
            let (mut sql, index) = from_links(engine, columns, filter, broad);
            link_conditions(&mut sql, engine, account, filter, index);
            (sql, " ORDER BY l.created_at DESC, l.link_id DESC")
        }
    };
    let mut ranked = if broad {
        matches
            .push(newest)
            .push(" LIMIT ?")
            .int(BROAD.max(page.offset.saturating_add(page.limit)));
        let mut sql = Sql::new(
            "SELECT w.id AS id, w.created AS created, \
             CASE WHEN ROW_NUMBER() OVER (ORDER BY w.created DESC, w.id DESC) <= ? \
             THEN w.score ELSE -1 END AS score FROM (",
        );
        sql.int(BROAD).append(matches).push(") w");
        sql
    } else {
        matches
    };
    ranked
        .push(" ORDER BY score DESC, created DESC, id DESC")
        .page(page);
    let mut sql = Sql::new(&format!("SELECT {LINK_COLUMNS} FROM ("));
    sql.append(ranked).push(&format!(
        ") p {} links l ON l.link_id = p.id ORDER BY p.score DESC, p.created DESC, p.id DESC",
        join(engine)
    ));
    Some(sql)
}

/// `SELECT <columns> FROM` the links `filter` may match `WHERE` (conditions follow), and how
/// the conditions use the search index: on SQLite its matches of `q` lead, as they are usually
/// far fewer than the account's links (the join keeps that order: a CROSS JOIN is never
/// reordered), unless the search is `broad`.
fn from_links(
    engine: Engine,
    columns: Sql,
    filter: &LinkFilter,
    broad: bool,
) -> (Sql, search::Index) {
    let mut sql = Sql::new("SELECT ");
    sql.append(columns);
    match search::fts_match(engine, &filter.query).filter(|_| !broad) {
        Some(expr) => {
            sql.push(
                " FROM links_fts f CROSS JOIN links l ON l.rowid = f.rowid \
                 WHERE links_fts MATCH ?",
            )
            .text(expr);
            (sql, search::Index::Joined)
        }
        None => {
            sql.push(" FROM links l WHERE 1 = 1");
            (sql, index_use(broad))
        }
    }
}

/// How many links match `filter`; with `cap`, at most `cap + 1` are counted.
fn count_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    cap: Option<i64>,
) -> Sql {
    let columns = if cap.is_some() {
        "1 AS one"
    } else {
        "COUNT(*)"
    };
    let sql = match driving_tag(account, filter) {
        Some((tag, rest)) if rest.is_empty() => {
            // A tag's tag-links all belong to links of the tag's account: count the range.
            let mut sql = Sql::new(&format!(
                "SELECT {columns} FROM taglinks d WHERE d.tag_id = "
            ));
            sql.append(tag);
            sql
        }
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, Sql::new(columns), tag);
            link_conditions(&mut sql, engine, account, &rest, search::Index::Filter);
            sql
        }
        None => {
            let (mut sql, index) = from_links(engine, Sql::new(columns), filter, false);
            link_conditions(&mut sql, engine, account, filter, index);
            sql
        }
    };
    match cap {
        Some(cap) => {
            let mut capped = Sql::new("SELECT COUNT(*) FROM (");
            capped.append(sql).push(" LIMIT ?) c").int(cap + 1);
            capped
        }
        None => sql,
    }
}

/// The tag a links query can start from, as an expression for `d.tag_id`, and the rest of the
/// filter: a tag id (for an account caller, only its own tag: another's yields NULL, matching
/// nothing), or a tag name of the caller's account (an account has one tag per name; the
/// admin's view may have several, so it filters links instead).
fn driving_tag(account: Option<&str>, filter: &LinkFilter) -> Option<(Sql, LinkFilter)> {
    let mut rest = filter.clone();
    let mut tag = Sql::new("");
    match (rest.tag_id.take(), account) {
        (Some(tag_id), None) => {
            tag.push("?").text(tag_id);
        }
        (Some(tag_id), Some(account_id)) => {
            tag.push("(SELECT t.tag_id FROM tags t WHERE t.tag_id = ? AND t.account_id = ?)")
                .text(tag_id)
                .text(account_id);
        }
        (None, Some(account_id)) if !rest.tags.is_empty() => {
            let name = rest.tags.remove(0);
            tag.push("(SELECT t.tag_id FROM tags t WHERE t.account_id = ? AND t.tag_key = ?)")
                .text(account_id)
                .text(tag_key(&name));
        }
        (None, _) => return None,
    }
    Some((tag, rest))
}

/// `SELECT <columns>` of a tag's tag-links (`d`, tag `tag`) joined with their links (`l`).
fn from_tag(engine: Engine, columns: Sql, tag: Sql) -> Sql {
    let mut sql = Sql::new("SELECT ");
    sql.append(columns).push(&format!(
        " FROM taglinks d {} links l ON l.link_id = d.link_id WHERE d.tag_id = ",
        join(engine)
    ));
    sql.append(tag);
    sql
}

/// An inner join taken in the order written (SQLite's planner would otherwise reorder it).
fn join(engine: Engine) -> &'static str {
    engine.dialect().join
}

/// The operations, each written once for every engine. Write operations run inside the
/// transaction [`Store::write`] opened.
impl Conn<'_> {
    /// Run each `DELETE … WHERE <key> = ?` with `key`, in order.
    async fn delete_all(&mut self, statements: &[&str], key: &str) -> ApiResult<()> {
        for text in statements {
            let mut delete = Sql::new(text);
            delete.text(key);
            self.execute(delete).await?;
        }
        Ok(())
    }

    async fn require_account(&mut self, account_id: &str) -> ApiResult<()> {
        let mut sql = Sql::new("SELECT account_id FROM accounts WHERE account_id = ?");
        sql.text(account_id);
        match self.fetch_optional::<(String,)>(sql).await? {
            Some(_) => Ok(()),
            None => Err(account_not_found(account_id)),
        }
    }

    async fn update_account(
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

    async fn delete_account(&mut self, account_id: &str) -> ApiResult<Option<Account>> {
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

    async fn rename_tag(
        &mut self,
        account: Option<&str>,
        tag_id: &str,
        name: &str,
    ) -> ApiResult<Option<Tag>> {
        let mut select = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
        select.text(tag_id).and_eq("account_id", account);
        select.push(self.locking_read());
        let Some(mut tag) = self.fetch_optional::<Tag>(select).await? else {
            return Ok(None);
        };
        let key = tag_key(name);
        let mut other = Sql::new(&format!(
            "SELECT {TAG_COLUMNS} FROM tags WHERE account_id = ? AND tag_key = ? AND tag_id <> ?{}",
            self.locking_read()
        ));
        other.text(&tag.account_id).text(&key).text(&tag.tag_id);
        let survivor = match self.fetch_optional::<Tag>(other).await? {
            Some(survivor) => {
                let links = self.links_of_tag(&tag.tag_id).await?;
                let mut merge = Sql::new(&self.insert_ignore(
                    "taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
                     SELECT ?, link_id, account_id, created_at, link_created_at \
                     FROM taglinks WHERE tag_id = ?",
                ));
                merge.text(&survivor.tag_id).text(&tag.tag_id);
                self.execute(merge).await?;
                self.delete_all(DELETE_TAG, &tag.tag_id).await?;
                self.tag_deleted(&tag.account_id, &tag.tag_id, &links)
                    .await?;
                survivor
            }
            None => {
                let mut update = Sql::new("UPDATE tags SET tag = ?, tag_key = ? WHERE tag_id = ?");
                update.text(name).text(&key).text(&tag.tag_id);
                self.execute(update).await?;
                tag.tag = name.to_owned();
                self.tags_changed(&tag.account_id, std::slice::from_ref(&tag.tag_id))
                    .await?;
                tag
            }
        };
        Ok(Some(survivor))
    }

    async fn tag_by_name_or_create(&mut self, account_id: &str, name: &str) -> ApiResult<Tag> {
        let key = tag_key(name);
        // A shared locking read sees the latest committed row (also one a concurrent
        // transaction committed while our insert waited on it) and keeps the tag from being
        // deleted or merged away until we commit. Shared, not exclusive: two transactions that
        // both hold the row never need to upgrade, so they cannot deadlock on it.
        let shared = self.shared_read();
        let select = || {
            let mut sql = Sql::new(&format!(
                "SELECT {TAG_COLUMNS} FROM tags WHERE account_id = ? AND tag_key = ?{shared}"
            ));
            sql.text(account_id).text(&key);
            sql
        };
        // The insert is ignored when a concurrent transaction committed the name first; that
        // tag may then be renamed or merged away before our read locks it, so try again (a
        // few rounds: each lost one means another writer made progress).
        for _ in 0..MAX_RETRIES {
            if let Some(tag) = self.fetch_optional(select()).await? {
                return Ok(tag);
            }
            let tags = "tags (tag_id, tag, tag_key, account_id, created_at) VALUES (?, ?, ?, ?, ?)";
            let mut insert = Sql::new(&match self.tag_upsert() {
                // The row, ours or a concurrent writer's, is then held: the read finds it.
                Some(upsert) => format!("INSERT INTO {tags}{upsert}"),
                None => self.insert_ignore(tags),
            });
            insert
                .text(new_id())
                .text(name)
                .text(&key)
                .text(account_id)
                .int(now_micros());
            self.execute(insert).await?;
            if let Some(tag) = self.fetch_optional(select()).await? {
                return Ok(tag);
            }
        }
        // Still racing after every round: the client may try again.
        tracing::warn!(account_id, "a tag kept vanishing between insert and read");
        Err(ApiError::Unavailable)
    }

    async fn update_link(
        &mut self,
        account: Option<&str>,
        link_id: &str,
        changes: &LinkChanges,
    ) -> ApiResult<Option<Link>> {
        let mut select = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
        ));
        select.text(link_id).and_eq("l.account_id", account);
        select.push(self.locking_read());
        let Some(mut link) = self.fetch_optional::<Link>(select).await? else {
            return Ok(None);
        };
        if let Some(url) = &changes.link {
            link.link.clone_from(url);
        }
        for (field, change) in [
            (&mut link.title, &changes.title),
            (&mut link.description, &changes.description),
            (&mut link.notes, &changes.notes),
        ] {
            if let Some(value) = change {
                field.clone_from(value);
            }
        }
        link.unread = changes.unread.unwrap_or(link.unread);
        link.favorite = changes.favorite.unwrap_or(link.favorite);
        link.updated_at = now_micros().max(link.updated_at);
        let details = LinkDetails {
            title: link.title.clone(),
            description: link.description.clone(),
            notes: link.notes.clone(),
        };
        let mut update = Sql::new(&format!(
            "UPDATE links SET link = ?, title = ?, description = ?, notes = ?, updated_at = ?, \
             link_hash = ?, unread = ?, favorite = ?, url_key = ?, {} \
             WHERE link_id = ? AND account_id = ?",
            search::text_assignments(self.engine())
        ));
        update
            .text(&link.link)
            .opt_text(details.title.as_deref())
            .opt_text(details.description.as_deref())
            .opt_text(details.notes.as_deref())
            .int(link.updated_at)
            .text(link_hash(&link.link))
            .int(link.unread.into())
            .int(link.favorite.into())
            .text(url_key(&link.link));
        search::bind_text(
            &mut update,
            self.engine(),
            search_text(&link.link, &details),
        );
        update.text(&link.link_id).text(&link.account_id);
        self.execute(update).await?;
        let mut touched_tags: Vec<String> = Vec::new();
        if let Some(names) = &changes.tags {
            let mut tag_ids: Vec<String> = Vec::new();
            for name in names {
                let tag = self.tag_by_name_or_create(&link.account_id, name).await?;
                if !tag_ids.contains(&tag.tag_id) {
                    tag_ids.push(tag.tag_id);
                }
            }
            let mut delete = Sql::new("DELETE FROM taglinks WHERE link_id = ? AND account_id = ?");
            delete.text(&link.link_id).text(&link.account_id);
            if !tag_ids.is_empty() {
                delete.push(" AND tag_id NOT IN (");
                for (i, id) in tag_ids.iter().enumerate() {
                    delete.push(if i == 0 { "?" } else { ", ?" }).text(id);
                }
                delete.push(")");
            }
            self.execute(delete).await?;
            for id in &tag_ids {
                self.insert_taglink(&link.account_id, id, &link.link_id, link.created_at)
                    .await?;
            }
            touched_tags = tag_ids;
        }
        self.links_changed(
            &link.account_id,
            std::slice::from_ref(&link.link_id),
            &touched_tags,
        )
        .await?;
        Ok(Some(link))
    }

    async fn create_link(
        &mut self,
        account_id: &str,
        url: &str,
        tag: TagRef<'_>,
        details: &LinkDetails,
        flags: LinkFlags,
    ) -> ApiResult<Link> {
        self.require_account(account_id).await?;
        let tag_id = match tag {
            TagRef::Id(tag_id) => {
                let mut select =
                    Sql::new("SELECT tag_id FROM tags WHERE tag_id = ? AND account_id = ?");
                select.text(tag_id).text(account_id);
                match self.fetch_optional::<(String,)>(select).await? {
                    Some((id,)) => id,
                    None => return Err(ApiError::NotFound(tag_not_in_account(tag_id, account_id))),
                }
            }
            TagRef::Name(name) => self.tag_by_name_or_create(account_id, name).await?.tag_id,
        };
        let link = self
            .insert_link(account_id, url, details, flags, now_micros())
            .await?;
        self.insert_taglink(account_id, &tag_id, &link.link_id, link.created_at)
            .await?;
        self.links_changed(
            account_id,
            std::slice::from_ref(&link.link_id),
            std::slice::from_ref(&tag_id),
        )
        .await?;
        Ok(link)
    }

    /// Insert a link row with its derived columns (`link_hash` for exact-URL lookups,
    /// `search_text` for `q`). Every path that creates links goes through here, so that no
    /// link misses a search or a lookup.
    async fn insert_link(
        &mut self,
        account_id: &str,
        url: &str,
        details: &LinkDetails,
        flags: LinkFlags,
        created_at: Micros,
    ) -> ApiResult<Link> {
        let link = new_link(account_id, url, details, flags, created_at);
        let engine = self.engine();
        let mut insert = Sql::new(&format!(
            "INSERT INTO links (link_id, link, account_id, created_at, updated_at, title, \
             description, notes, link_hash, unread, favorite, url_key, {}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {})",
            search::text_columns(engine),
            search::text_values(engine)
        ));
        insert
            .text(&link.link_id)
            .text(&link.link)
            .text(account_id)
            .int(link.created_at)
            .int(link.updated_at)
            .opt_text(link.title.as_deref())
            .opt_text(link.description.as_deref())
            .opt_text(link.notes.as_deref())
            .text(link_hash(url))
            .int(flags.unread.into())
            .int(flags.favorite.into())
            .text(url_key(url));
        search::bind_text(&mut insert, engine, search_text(url, details));
        self.insert(insert).await?;
        Ok(link)
    }

    /// Tag a link; `link_created_at` is the link's creation time, which the tag's list order
    /// is read from.
    async fn insert_taglink(
        &mut self,
        account_id: &str,
        tag_id: &str,
        link_id: &str,
        link_created_at: Micros,
    ) -> ApiResult<bool> {
        let mut insert = Sql::new(&self.insert_ignore(
            "taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
             VALUES (?, ?, ?, ?, ?)",
        ));
        insert
            .text(tag_id)
            .text(link_id)
            .text(account_id)
            .int(now_micros())
            .int(link_created_at);
        Ok(self.execute(insert).await? == 1)
    }

    /// Insert a tag row; `false` (and nothing inserted) if the account has a tag of that name.
    async fn insert_tag(&mut self, tag: &Tag) -> ApiResult<bool> {
        let mut insert = Sql::new(&self.insert_ignore(
            "tags (tag_id, tag, tag_key, account_id, created_at) VALUES (?, ?, ?, ?, ?)",
        ));
        insert
            .text(&tag.tag_id)
            .text(&tag.tag)
            .text(tag_key(&tag.tag))
            .text(&tag.account_id)
            .int(tag.created_at);
        Ok(self.insert(insert).await? == 1)
    }
}

/// How many times a tag rename runs again after a concurrent transaction created the name, and
/// how many rounds finding or creating a tag by name takes at most.
const MAX_RETRIES: u32 = 10;

/// How long a write transaction is run again after conflicts before it answers 503.
const RETRY_BUDGET: Duration = Duration::from_secs(5);

/// Conflicts that a retry of the whole transaction resolves (serialization failures,
/// deadlocks, lock timeouts, SQLite busy; each engine's module names its own), and foreign key
/// violations: every operation checks what it refers to first, so when a concurrent
/// transaction removed or added a row ours refers to after we read (a tag merge copying a
/// link's tag-links while the link is being deleted), the retry reads again and answers as if
/// they had run one after the other.
fn is_retryable(err: &DbError) -> bool {
    let db = match err {
        DbError::Sqlite(err) => return sqlite::is_busy(err),
        DbError::Sqlx(sqlx::Error::Database(db)) => db,
        _ => return false,
    };
    if let Some(err) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        return sqlite::is_busy_sqlx(err);
    }
    if let Some(err) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return mysql::is_retryable(err);
    }
    db.code().is_some_and(|code| postgres::is_retryable(&code))
}

/// What a list of links is narrowed to; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    /// Carrying the tag of this id.
    pub tag_id: Option<String>,
    /// Carrying a tag of each of these names (compared case-insensitively).
    pub tags: Vec<String>,
    /// A parsed `q`: words, phrases, exclusions and `OR` matched in the title, description,
    /// notes or URL regardless of case, and `#tag` (see [`crate::query`] and [`search`]).
    pub query: crate::query::Query,
    /// Rank the links matching `query`'s words and phrases, best first (ties in list order).
    pub relevance: bool,
    /// Count every match of `query`, however many (see [`Store::search_links_counted`]).
    pub exact_count: bool,
    /// Exactly this URL.
    pub url: Option<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Only links marked (`true`) or not marked (`false`) to read later.
    pub unread: Option<bool>,
    /// Only favourites (`true`) or only the others (`false`).
    pub favorite: Option<bool>,
}

impl LinkFilter {
    /// True when no condition is left (the order does not count).
    fn is_empty(&self) -> bool {
        self.tag_id.is_none()
            && self.tags.is_empty()
            && self.query.is_empty()
            && self.url.is_none()
            && self.unread.is_none()
            && self.favorite.is_none()
    }
}

/// The `AND ...` conditions of `filter`, always scoped to `account` when one is given.
///
/// Tag conditions are uncorrelated `IN` subqueries rather than `EXISTS` per link: the engine
/// can then start from the tag's few tag-links instead of probing every link of the account,
/// which is what makes a total count over 100,000 links cheap. A tag-link always belongs to
/// its link's account, so the tag's account need not be compared with the link's.
///
/// `index`: how `q` uses the search index (see [`from_links`]).
fn link_conditions(
    sql: &mut Sql,
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    index: search::Index,
) {
    sql.and_eq("l.account_id", account);
    if let Some(tag_id) = &filter.tag_id {
        sql.push(" AND l.link_id IN (SELECT tl.link_id FROM taglinks tl WHERE tl.tag_id = ?)")
            .text(tag_id);
    }
    for name in &filter.tags {
        sql.push(
            " AND l.link_id IN (SELECT tl.link_id FROM tags t \
             JOIN taglinks tl ON tl.tag_id = t.tag_id WHERE t.tag_key = ?",
        )
        .text(tag_key(name))
        .and_eq("t.account_id", account)
        .push(")");
    }
    if let Some(url) = &filter.url {
        sql.push(" AND l.link_hash = ? AND l.link = ?")
            .text(link_hash(url))
            .text(url);
    }
    // Literals, not bound values: the flag columns are SMALLINT and the values are 0 or 1.
    for (column, value) in [("l.unread", filter.unread), ("l.favorite", filter.favorite)] {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = {}", i32::from(value)));
        }
    }
    search::push_conditions(sql, engine, account, &filter.query, index);
}

/// A LIKE pattern matching `text` literally, with `!` as the escape character (a backslash
/// would need different quoting on MySQL and PostgreSQL).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// Changes to a link; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub link: Option<String>,
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// The complete new set of tags, by name.
    pub tags: Option<Vec<String>>,
    pub unread: Option<bool>,
    pub favorite: Option<bool>,
}

/// A link to create, its row chosen (id, times), and its tag: by id, or by name with the id
/// a new tag of that name takes.
pub struct NewLink {
    link: Link,
    tag_by_id: bool,
    tag: String,
    tag_id: String,
}

impl NewLink {
    fn details(&self) -> LinkDetails {
        LinkDetails {
            title: self.link.title.clone(),
            description: self.link.description.clone(),
            notes: self.link.notes.clone(),
        }
    }
}

/// How a new link names its tag.
#[derive(Debug, Clone, Copy)]
pub enum TagRef<'a> {
    Id(&'a str),
    Name(&'a str),
}

/// A new link of `account_id` as created at `created_at`, with a fresh id.
fn new_link(
    account_id: &str,
    url: &str,
    details: &LinkDetails,
    flags: LinkFlags,
    created_at: Micros,
) -> Link {
    Link {
        link_id: new_id(),
        link: url.to_owned(),
        account_id: account_id.to_owned(),
        created_at,
        title: details.title.clone(),
        description: details.description.clone(),
        notes: details.notes.clone(),
        updated_at: created_at,
        unread: flags.unread,
        favorite: flags.favorite,
    }
}

pub fn account_not_found(account_id: &str) -> ApiError {
    ApiError::NotFound(format!("Account with account_id '{account_id}' not found"))
}

fn email_taken(email: &str) -> ApiError {
    ApiError::Conflict(format!("Account with email {email} exists"))
}

fn tag_not_in_account(tag_id: &str, account_id: &str) -> String {
    format!("Tag with tag_id {tag_id} not found for account_id {account_id}")
}

/// The key under which tag names are unique: the same on every engine, whatever its collation.
pub fn tag_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The hex SHA-256 of a URL: what exact-URL lookups compare (a 2048-byte URL is too long for
/// a MySQL index).
pub fn link_hash(url: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(url.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `q` searches: title, description, notes and URL, lower-cased here so that every
/// engine matches the same way (SQLite's LOWER folds only ASCII), always four lines in this
/// order (line breaks inside a field become spaces), so that a phrase never spans two fields
/// and relevance can tell the field a term occurs in (see [`search`]).
pub fn search_text(url: &str, details: &LinkDetails) -> String {
    [
        details.title.as_deref(),
        details.description.as_deref(),
        details.notes.as_deref(),
        Some(url),
    ]
    .into_iter()
    .map(|field| {
        field
            .unwrap_or("")
            .replace("\r\n", " ")
            .replace(['\r', '\n'], " ")
    })
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase()
}

pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn new_stamp() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_engines() {
        assert_eq!(
            Engine::from_url("sqlite://x.db").unwrap().1,
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            Engine::from_url("mariadb://h/db").unwrap(),
            (Engine::MySql, "mysql://h/db".into())
        );
        assert_eq!(
            Engine::from_url("postgresql://h/db").unwrap().0,
            Engine::Postgres
        );
        assert!(Engine::from_url("sqlit://x.db").is_err());
        assert!(Engine::from_url("tagmark.db").is_err());
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_escape("50%_off!"), "50!%!_off!!");
        assert_eq!(
            link_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let details = LinkDetails {
            title: Some("Ä Title".into()),
            ..LinkDetails::default()
        };
        assert_eq!(
            search_text("https://X.org/", &details),
            "ä title\n\n\nhttps://x.org/"
        );
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(tag_key(" Rust "), tag_key("rust"));
        assert_eq!(tag_key("ÄPFEL"), "äpfel");
    }
}
