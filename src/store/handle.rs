//! The [`Store`] handle: opening the database, dispatching to an engine's [`Backend`], and how
//! operations run (reads, write transactions, retries on conflicts).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::mysql::MySqlConnection;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnection;

use super::stamps::StampCache;
use super::{link_hash, mysql, pool, postgres, search, search_text, sqlite};
use super::{Conn, Engine, FromRow, NewLink, Op, Sql};
use crate::config::Config;
use crate::error::{ApiError, ApiResult, DbError};
use crate::model::{Link, LinkDetails};
use crate::urlkey::url_key;

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
pub(super) type LinkText = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The store: one handle on the database, cheap to clone. Every operation is a function of a
/// [`Conn`], run by [`Store::read`] or (in a transaction, retried on conflicts) by
/// [`Store::write`].
#[derive(Clone)]
pub struct Store {
    pub(super) backend: Backends,
    pub(super) engine: Engine,
    pub(super) stamps: Arc<StampCache>,
    /// How long deletions are kept for sync clients, in microseconds.
    pub(super) tombstone_micros: i64,
}

/// One engine's module, as the store runs its operations there: each engine implements this
/// on its own handle (a pool of native connections, or SQLite's threads), and [`Store`] holds
/// one of them (static dispatch: an enum over the three).
pub(super) trait Backend {
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
pub(super) enum Backends {
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
pub(super) use on_backend;

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

/// How recently a pooled connection must have been used to be handed out without a ping.
pub(super) const POOL_TRUST_WINDOW: Duration = Duration::from_secs(1);

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
    pub(super) async fn fill_link_keys(&self) -> anyhow::Result<()> {
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
    pub(super) async fn read<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        on_backend!(&self.backend, b => b.read(args, op).await)
    }

    /// Run `op` in a write transaction: committed when it answers `Ok`, rolled back otherwise,
    /// and run again from the start when the engine gave up on it for a conflict with another
    /// transaction (see [`Store::retrying`]).
    pub(super) async fn write<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
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
    pub(super) async fn retrying<T, F, Fut>(&self, mut op: F) -> ApiResult<T>
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

    /// One SELECT outside a transaction, its first row.
    pub(super) async fn query_optional<T: FromRow + Send + 'static>(
        &self,
        sql: Sql,
    ) -> ApiResult<Option<T>> {
        self.read(sql, |mut c, sql| {
            Box::pin(async move { c.fetch_optional(sql).await })
        })
        .await
    }

    /// One SELECT outside a transaction, every row.
    pub(super) async fn query_all<T: FromRow + Send + 'static>(
        &self,
        sql: Sql,
    ) -> ApiResult<Vec<T>> {
        self.read(sql, |mut c, sql| {
            Box::pin(async move { c.fetch_all(sql).await })
        })
        .await
    }

    /// One statement in a transaction of its own; the number of rows it changed.
    pub(super) async fn execute(&self, sql: Sql) -> ApiResult<u64> {
        self.write(sql, |mut c, sql| {
            Box::pin(async move { Ok(c.execute(sql).await?) })
        })
        .await
    }
}

/// The operations (in `accounts`, `tags`, `links`, `taglinks`, and the modules of whole-account
/// work) are methods of [`Conn`], each written once for every engine. Write operations run
/// inside the transaction [`Store::write`] opened. This step is shared by several of them.
impl Conn<'_> {
    /// Run each `DELETE … WHERE <key> = ?` with `key`, in order.
    pub(super) async fn delete_all(&mut self, statements: &[&str], key: &str) -> ApiResult<()> {
        for text in statements {
            let mut delete = Sql::new(text);
            delete.text(key);
            self.execute(delete).await?;
        }
        Ok(())
    }
}

/// How long a write transaction is run again after conflicts before it answers 503.
pub(super) const RETRY_BUDGET: Duration = Duration::from_secs(5);

/// Conflicts that a retry of the whole transaction resolves (serialization failures,
/// deadlocks, lock timeouts, SQLite busy; each engine's module names its own), and foreign key
/// violations: every operation checks what it refers to first, so when a concurrent
/// transaction removed or added a row ours refers to after we read (a tag merge copying a
/// link's tag-links while the link is being deleted), the retry reads again and answers as if
/// they had run one after the other.
pub(super) fn is_retryable(err: &DbError) -> bool {
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
