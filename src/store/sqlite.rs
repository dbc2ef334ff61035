//! SQLite served by threads of its own. Each thread owns one connection, and a request's whole
//! database work runs on one of them in a single hop: readers share one queue, and one writer
//! thread takes the write transactions in order, so writers of this process never meet
//! `SQLITE_BUSY` and never wait on one another's round trips.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};

use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Statements each connection keeps prepared (the store issues a few dozen distinct texts).
const STATEMENT_CACHE: usize = 128;

pub struct Threads {
    readers: flume::Sender<Job>,
    writer: flume::Sender<Job>,
    /// How long a job may wait in the queue: one that waited longer is answered 503 by the
    /// thread that takes it, without being run.
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
    ///
    /// The thread that takes a job decides whether it runs: not when its caller has gone (the
    /// request was cancelled or timed out), and not when it waited in the queue longer than
    /// the database timeout (503). Once it runs, it runs to the end and its outcome is the
    /// answer. Deciding there costs no timer per query and no shared state besides the answer
    /// channel.
    pub async fn run<T, F>(&self, write: bool, job: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let queued = Instant::now();
        let queue_timeout = self.queue_timeout;
        let job: Job = Box::new(move |conn| {
            if answer.is_closed() {
                return;
            }
            if queued.elapsed() > queue_timeout {
                tracing::warn!("database queue too long; answering 503");
                let _ = answer.send(Err(ApiError::Unavailable));
                return;
            }
            let _ = answer.send(job(conn));
        });
        let queue = if write { &self.writer } else { &self.readers };
        queue.send(job).map_err(|_| ApiError::Unavailable)?;
        answered.await.unwrap_or_else(|_| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A job that waited in the queue past the timeout is answered 503 and never runs; a job
    /// whose caller went away never runs either; the one running finishes with its answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_jobs_still_wanted_in_time_run() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        std::fs::File::create(&file).unwrap();
        let threads = Arc::new(Threads::open(&file, 1, Duration::from_millis(100)).unwrap());
        let slow = {
            let threads = threads.clone();
            tokio::spawn(async move {
                threads
                    .run(false, |_| {
                        std::thread::sleep(Duration::from_millis(400));
                        Ok(1)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Queued behind the slow job, its caller gives up before the reader is free.
        let abandoned_ran = Arc::new(AtomicBool::new(false));
        let flag = abandoned_ran.clone();
        let abandoned = threads.run(false, move |_| {
            flag.store(true, Ordering::SeqCst);
            Ok(2)
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(20), abandoned)
                .await
                .is_err(),
            "the reader is busy, so the job cannot have been answered yet"
        );
        // Queued behind it too, its caller waits: the reader takes it after the timeout.
        let late_ran = Arc::new(AtomicBool::new(false));
        let flag = late_ran.clone();
        let late = threads
            .run(false, move |_| {
                flag.store(true, Ordering::SeqCst);
                Ok(3)
            })
            .await;
        assert!(matches!(late, Err(ApiError::Unavailable)), "{late:?}");
        assert_eq!(slow.await.unwrap().unwrap(), 1);
        // Once the reader is free again, a job runs at once.
        assert_eq!(threads.run(false, |_| Ok(4)).await.unwrap(), 4);
        assert!(!abandoned_ran.load(Ordering::SeqCst));
        assert!(!late_ran.load(Ordering::SeqCst));
    }
}
