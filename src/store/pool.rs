//! A pool of MySQL or PostgreSQL connections that takes a connection back without asking the
//! database anything. sqlx's own pool pings every connection handed back to it (a COM_PING on
//! MySQL, a Sync on PostgreSQL): a second round trip for every one-statement request, which on
//! MariaDB cost as much server CPU as the query itself. Here a connection whose work ended
//! normally (its statements answered, its transaction committed or rolled back) goes straight
//! back; only one left mid-way (its future dropped, or an I/O error) is pinged first, as sqlx
//! does, and dropped if the ping fails. A connection idle for a while is pinged when taken.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiResult;

/// How recently a pooled connection must have been used to be handed out without a ping.
const TRUST_WINDOW: Duration = Duration::from_secs(1);

/// What runs on every new connection before its first use (session settings).
pub type AfterConnect<C> =
    for<'c> fn(&'c mut C) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

pub struct Pool<C: Connection> {
    shared: Arc<Shared<C>>,
}

impl<C: Connection> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Pool {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<C: Connection> {
    options: C::Options,
    after_connect: Option<AfterConnect<C>>,
    /// Idle connections with when each was last used; the most recent last (taken first, so
    /// that a few warm connections serve a light load).
    idle: Mutex<Vec<(C, Instant)>>,
    /// One permit per connection that may exist, idle or in use.
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
    /// Whether a link may be created in one round trip ([`super::Backend::create_link_at_once`]);
    /// see [`Pool::create_links_step_by_step`].
    create_at_once: AtomicBool,
}

impl<C: Connection + 'static> Pool<C> {
    /// A pool of at most `max_connections`, opening one connection now to check that the
    /// database answers.
    pub async fn connect(
        options: C::Options,
        max_connections: u32,
        acquire_timeout: Duration,
        after_connect: Option<AfterConnect<C>>,
    ) -> Result<Self, sqlx::Error> {
        let pool = Pool {
            shared: Arc::new(Shared {
                options,
                after_connect,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
                acquire_timeout,
                create_at_once: AtomicBool::new(true),
            }),
        };
        pool.acquire().await?.release();
        Ok(pool)
    }

    /// A connection: an idle one (pinged first if unused for a while), or a new one. Waits for
    /// one to be free for at most the acquire timeout (then `PoolTimedOut`).
    pub async fn acquire(&self) -> Result<Pooled<C>, sqlx::Error> {
        let shared = &self.shared;
        let started = Instant::now();
        let permit = tokio::time::timeout(
            shared.acquire_timeout,
            Arc::clone(&shared.permits).acquire_owned(),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let Some((mut conn, used)) = shared.take_idle() else {
                break;
            };
            if used.elapsed() < TRUST_WINDOW || conn.ping().await.is_ok() {
                return Ok(Pooled::new(conn, permit, shared));
            }
            // Dead (the server closed it, or restarted): drop it and try the next.
            drop(conn);
        }
        let left = shared.acquire_timeout.saturating_sub(started.elapsed());
        let mut conn = tokio::time::timeout(left, C::connect_with(&shared.options))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        if let Some(after_connect) = shared.after_connect {
            after_connect(&mut conn).await?;
        }
        Ok(Pooled::new(conn, permit, shared))
    }

    /// From now on links are created by the store's shared steps, in a transaction that tagmark
    /// drives statement by statement, instead of in one round trip.
    pub fn create_links_step_by_step(&self) {
        self.shared.create_at_once.store(false, Ordering::Relaxed);
    }

    /// Whether a link may be created in one round trip.
    pub fn creates_links_at_once(&self) -> bool {
        self.shared.create_at_once.load(Ordering::Relaxed)
    }

    /// Close the idle connections and let no new ones be taken; connections in use are closed
    /// when they come back.
    pub async fn close(&self) {
        self.shared.permits.close();
        let idle = std::mem::take(&mut *self.shared.lock_idle());
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }
}

impl<C: Connection> Shared<C> {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<(C, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take_idle(&self) -> Option<(C, Instant)> {
        self.lock_idle().pop()
    }

    fn put_idle(&self, conn: C) {
        if self.permits.is_closed() {
            drop(conn);
            return;
        }
        self.lock_idle().push((conn, Instant::now()));
    }
}

/// A connection taken from the pool. Call [`Pooled::release`] once its work ended normally;
/// dropped without that, it is pinged before it is used again (or closed if that fails).
pub struct Pooled<C: Connection + 'static> {
    conn: Option<C>,
    /// Held until the connection is back among the idle ones (or closed).
    permit: Option<OwnedSemaphorePermit>,
    shared: Arc<Shared<C>>,
}

impl<C: Connection + 'static> Pooled<C> {
    fn new(conn: C, permit: OwnedSemaphorePermit, shared: &Arc<Shared<C>>) -> Self {
        Pooled {
            conn: Some(conn),
            permit: Some(permit),
            shared: Arc::clone(shared),
        }
    }

    /// Give the connection back as it is: its last statement was answered in full and no
    /// transaction is open.
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.put_idle(conn);
        }
    }
}

impl<C: Connection + 'static> Drop for Pooled<C> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        // Left mid-way: answers may still be on their way, or a rollback queued. The ping
        // reads them first; a connection that does not answer is not kept.
        let shared = Arc::clone(&self.shared);
        let permit = self.permit.take();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if conn.ping().await.is_ok() {
                shared.put_idle(conn);
            } else {
                let _ = conn.close_hard().await;
            }
            drop(permit);
        });
    }
}

impl<C: Connection + 'static> Deref for Pooled<C> {
    type Target = C;

    fn deref(&self) -> &C {
        // Taken out only by `release` (which consumes) and `drop`.
        self.conn
            .as_ref()
            .expect("a pooled connection is present until released")
    }
}

impl<C: Connection + 'static> DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .expect("a pooled connection is present until released")
    }
}

/// Give a connection back after a read: as it is when the read answered; after an error
/// (which may be a broken connection, or an answer left half read) it is pinged first.
pub fn release_after<C: Connection + 'static, T>(conn: Pooled<C>, result: &ApiResult<T>) {
    if result.is_ok() {
        conn.release();
    }
}

/// Run `op` in a transaction on `conn`: committed when it answers `Ok`, rolled back otherwise.
/// The connection goes back as it is once the transaction ended either way; one left in any
/// other state (a failed commit or rollback, or this future dropped) is pinged first.
pub async fn in_transaction<C, T, F>(mut conn: Pooled<C>, op: F) -> ApiResult<T>
where
    C: Connection + 'static,
    F: for<'t> FnOnce(&'t mut C) -> Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 't>>,
{
    let mut tx = conn.begin().await?;
    match op(&mut tx).await {
        Ok(out) => {
            tx.commit().await?;
            conn.release();
            Ok(out)
        }
        Err(err) => {
            if tx.rollback().await.is_ok() {
                conn.release();
            }
            Err(err)
        }
    }
}
