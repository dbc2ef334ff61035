//! SQLite served by threads of its own. Each thread owns one connection, and a request's whole
//! database work runs on one of them in a single hop: readers share one queue, and one writer
//! thread takes the write transactions in order, so writers of this process never meet
//! `SQLITE_BUSY` and never wait on one another's round trips.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};

use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Statements each connection keeps prepared (the store issues a few dozen distinct texts).
const STATEMENT_CACHE: usize = 128;

/// A job's state, shared by the caller and the thread: the caller may give up only while the
/// job still waits in the queue, never once it runs (its effect would be unknown).
const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

pub struct Threads {
    readers: flume::Sender<Job>,
    writer: flume::Sender<Job>,
    /// How long a job may wait in the queue before the caller is answered 503.
    queue_timeout: Duration,
}

/// The file a `sqlite:` URL names, parsed exactly as the migrations (sqlx) parse it.
pub fn file_of(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url.split_once(':').map_or("", |(_, rest)| rest);
    let database = rest.trim_start_matches("//");
    let database = database.split('?').next().unwrap_or_default();
    if database == ":memory:" || url.contains("mode=memory") {
        bail!(
            "in-memory SQLite databases are not supported; name a file, e.g. sqlite://tagmark.db"
        );
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .with_context(|| format!("cannot read the SQLite URL {url:?}"))?;
    Ok(options.get_filename().to_path_buf())
}

impl Threads {
    /// Open one writer connection and `readers` reader connections on an existing, migrated
    /// database file, each on its own thread.
    pub fn open(file: &Path, readers: usize, queue_timeout: Duration) -> anyhow::Result<Threads> {
        let (writer, writer_jobs) = flume::unbounded::<Job>();
        let (reader, reader_jobs) = flume::unbounded::<Job>();
        spawn("tagmark-db-writer".into(), open(file, false)?, writer_jobs)?;
        for i in 0..readers.max(1) {
            spawn(
                format!("tagmark-db-reader-{i}"),
                open(file, true)?,
                reader_jobs.clone(),
            )?;
        }
        Ok(Threads {
            readers: reader,
            writer,
            queue_timeout,
        })
    }

    /// Run `job` on a reader (or on the writer) and wait for its answer.
    pub async fn run<T, F>(&self, write: bool, job: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        let job_state = state.clone();
        let job: Job = Box::new(move |conn| {
            if job_state
                .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let _ = answer.send(job(conn));
            }
        });
        let queue = if write { &self.writer } else { &self.readers };
        queue.send(job).map_err(|_| ApiError::Unavailable)?;
        let mut answered = answered;
        let result = match tokio::time::timeout(self.queue_timeout, &mut answered).await {
            Ok(result) => result,
            Err(_) => {
                if state
                    .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    tracing::warn!("database queue too long; answering 503");
                    return Err(ApiError::Unavailable);
                }
                // Already running: its outcome decides the answer.
                answered.await
            }
        };
        result.unwrap_or_else(|_| {
            Err(ApiError::Internal(anyhow::anyhow!(
                "a database job ended without an answer"
            )))
        })
    }
}

fn open(file: &Path, reader: bool) -> anyhow::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(file, flags)
        .with_context(|| format!("cannot open the SQLite database {}", file.display()))?;
    // WAL is a property of the file (set by the migration connection); the rest is per
    // connection. Readers are query-only: a write sent to one by mistake fails loudly.
    conn.execute_batch(if reader {
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
         PRAGMA query_only = ON;"
    } else {
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 5000;"
    })
    .context("cannot set up the SQLite connection")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn spawn(name: String, mut conn: Connection, jobs: flume::Receiver<Job>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            // Ends when every sender is gone, that is when the store is dropped.
            while let Ok(job) = jobs.recv() {
                if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
                    tracing::error!("a database job panicked");
                }
                // A job that panicked or forgot to finish its transaction leaves nothing open.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
            }
        })
        .context("cannot start a database thread")?;
    Ok(())
}
