//! SQLite served by threads of its own. Each thread owns one connection, and a request's whole
//! database work runs on one of them in a single hop: readers share one queue, and one writer
//! thread takes the writes in order, so writers of this process never meet `SQLITE_BUSY` and
//! never wait on one another's round trips.
//!
//! The writer commits in groups: the writes waiting when it is free run one after the other in
//! one transaction, each inside a savepoint of its own, and are answered once that transaction
//! has committed. Each write stays all-or-nothing (a failing one is rolled back to its
//! savepoint, alone), and a commit writes the pages the group changed once instead of once per
//! write: most of a write's cost was the WAL pages of its commit. Work that is cheaper done once
//! for the whole group (the full-text index's queued changes) runs just before the commit.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Writes that may share one transaction (the writes waiting when the writer is free).
const GROUP_MAX: usize = 64;

/// Statements each connection keeps prepared (the store issues a few dozen distinct texts).
const STATEMENT_CACHE: usize = 128;

pub struct Threads {
    readers: flume::Sender<Job>,
    writer: flume::Sender<Box<dyn Write>>,
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
    /// database file, each on its own thread. The writer runs `before_commit`'s statements in
    /// each transaction just before committing it; should one fail, the transaction is rolled
    /// back and each of its writes answered with that error.
    pub fn open(
        file: &Path,
        readers: usize,
        queue_timeout: Duration,
        before_commit: &'static [&'static str],
    ) -> anyhow::Result<Threads> {
        let (writer, writer_jobs) = flume::unbounded::<Box<dyn Write>>();
        let (reader, reader_jobs) = flume::unbounded::<Job>();
        let conn = open(file, false)?;
        std::thread::Builder::new()
            .name("tagmark-db-writer".into())
            .spawn(move || write_loop(conn, writer_jobs, before_commit))
            .context("cannot start the database writer thread")?;
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

    /// Run `job` on a reader and wait for its answer.
    ///
    /// The thread that takes a job decides whether it runs: not when its caller has gone (the
    /// request was cancelled or timed out), and not when it waited in the queue longer than
    /// the database timeout (503). Once it runs, it runs to the end and its outcome is the
    /// answer. Deciding there costs no timer per query and no shared state besides the answer
    /// channel.
    pub async fn read<T, F>(&self, job: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (waiting, answered) = self.waiting();
        let job: Job = Box::new(move |conn| {
            if let Some(answer) = waiting.claim() {
                let _ = answer.send(job(conn));
            }
        });
        self.readers.send(job).map_err(|_| ApiError::Unavailable)?;
        answered.await.unwrap_or_else(|_| Err(no_answer()))
    }

    /// Run `op` on the writer, inside a transaction (shared with the writes queued beside it,
    /// see the module's documentation), and wait for its answer: `op`'s own answer once its
    /// changes are committed, or the error that kept them from being committed. `op`'s changes
    /// are kept only when it answers `Ok`. Whether it runs at all is decided as for reads.
    pub async fn write<T, F>(&self, op: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (waiting, answered) = self.waiting();
        let job = WriteJob {
            op: Some(op),
            outcome: None,
            waiting: Some(waiting),
            answer: None,
        };
        self.writer
            .send(Box::new(job))
            .map_err(|_| ApiError::Unavailable)?;
        answered.await.unwrap_or_else(|_| Err(no_answer()))
    }

    /// A caller about to queue a job, and where its answer will arrive.
    fn waiting<T>(&self) -> (Waiting<T>, oneshot::Receiver<ApiResult<T>>) {
        let (answer, answered) = oneshot::channel();
        let waiting = Waiting {
            answer,
            since: Instant::now(),
            timeout: self.queue_timeout,
        };
        (waiting, answered)
    }
}

fn no_answer() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("a database job ended without an answer"))
}

/// A caller waiting for its job's answer, since it queued the job.
struct Waiting<T> {
    answer: oneshot::Sender<ApiResult<T>>,
    since: Instant,
    timeout: Duration,
}

impl<T> Waiting<T> {
    /// Where to send the answer if the job is to run now: not when its caller has gone, nor
    /// when it waited longer than the timeout (the caller is then answered 503 here).
    fn claim(self) -> Option<oneshot::Sender<ApiResult<T>>> {
        if self.answer.is_closed() {
            return None;
        }
        if self.since.elapsed() > self.timeout {
            tracing::warn!("database queue too long; answering 503");
            let _ = self.answer.send(Err(ApiError::Unavailable));
            return None;
        }
        Some(self.answer)
    }
}

/// A write waiting for the writer thread.
trait Write: Send {
    /// Whether to run it: not when its caller has gone, nor when it waited too long (it is
    /// then answered 503 here).
    fn wanted(&mut self) -> bool;
    /// Run it in the open transaction; whether its changes are to be kept.
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// Answer the caller: its own outcome when the transaction committed, otherwise `failed`
    /// (unless its own outcome was already an error).
    fn answer(self: Box<Self>, failed: Option<ApiError>);
}

struct WriteJob<T, F> {
    op: Option<F>,
    outcome: Option<ApiResult<T>>,
    /// The caller until the writer takes the job, then (if it runs) where to answer.
    waiting: Option<Waiting<T>>,
    answer: Option<oneshot::Sender<ApiResult<T>>>,
}

impl<T, F> Write for WriteJob<T, F>
where
    F: FnOnce(&mut Connection) -> ApiResult<T> + Send,
    T: Send,
{
    fn wanted(&mut self) -> bool {
        self.answer = self.waiting.take().and_then(Waiting::claim);
        self.answer.is_some()
    }

    fn run(&mut self, conn: &mut Connection) -> bool {
        let outcome = match self.op.take() {
            Some(op) => op(conn),
            None => Err(no_answer()),
        };
        let keep = outcome.is_ok();
        self.outcome = Some(outcome);
        keep
    }

    fn answer(self: Box<Self>, failed: Option<ApiError>) {
        let outcome = match (self.outcome, failed) {
            (Some(Err(own)), _) => Err(own),
            (_, Some(failed)) => Err(failed),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(no_answer()),
        };
        if let Some(answer) = self.answer {
            let _ = answer.send(outcome);
        }
    }
}

/// The writer thread: takes the writes waiting, runs them as one transaction, answers them.
/// Ends when every sender is gone, that is when the store is dropped.
fn write_loop(mut conn: Connection, jobs: flume::Receiver<Box<dyn Write>>, before_commit: &[&str]) {
    while let Ok(first) = jobs.recv() {
        let mut group = Vec::new();
        for mut job in std::iter::once(first).chain(jobs.try_iter().take(GROUP_MAX - 1)) {
            if job.wanted() {
                group.push(job);
            }
        }
        let mut waiting = group.into_iter();
        // Normally one pass; another only when the engine dropped a transaction midway.
        while waiting.len() > 0 {
            write_group(&mut conn, &mut waiting, before_commit);
        }
    }
}

/// Run writes from `waiting` in one transaction and answer them. Stops early, leaving the
/// rest in `waiting`, when SQLite rolled the whole transaction back on its own (it may, on
/// I/O errors, a full disk or lack of memory): the writes already run in it are then answered
/// with an error that makes the store run them again (see `Store::retrying`).
fn write_group(
    conn: &mut Connection,
    waiting: &mut impl Iterator<Item = Box<dyn Write>>,
    before_commit: &[&str],
) {
    // IMMEDIATE: take the write lock now, so that a writer of another process (the CLI)
    // makes us wait at the start, never midway.
    if let Err(err) = run(conn, "BEGIN IMMEDIATE") {
        for job in waiting {
            job.answer(Some(copy_error(&err)));
        }
        return;
    }
    let mut done: Vec<Box<dyn Write>> = Vec::new();
    for mut job in waiting.by_ref() {
        if let Err(err) = run(conn, "SAVEPOINT write") {
            job.answer(Some(copy_error(&err)));
            if conn.is_autocommit() {
                return rolled_back_all(done);
            }
            continue;
        }
        let keep = match std::panic::catch_unwind(AssertUnwindSafe(|| job.run(conn))) {
            Ok(keep) => keep,
            Err(_) => {
                tracing::error!("a database write panicked");
                false
            }
        };
        if conn.is_autocommit() {
            // The transaction is gone, and with it the work of every write run in it.
            done.push(job);
            return rolled_back_all(done);
        }
        let end = if keep {
            run(conn, "RELEASE write")
        } else {
            conn.execute_batch("ROLLBACK TO write; RELEASE write")
        };
        if let Err(err) = end {
            let _ = conn.execute_batch("ROLLBACK");
            job.answer(Some(copy_error(&err)));
            return rolled_back_all(done);
        }
        done.push(job);
    }
    let failed = before_commit
        .iter()
        .try_for_each(|sql| run(conn, sql))
        .and_then(|()| run(conn, "COMMIT"))
        .err();
    if failed.is_some() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for job in done {
        job.answer(failed.as_ref().map(copy_error));
    }
}

/// Run a statement of the writer's own, kept prepared: they run several times per group.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(drop)
}

/// An error for each of several callers: SQLite's code and message are kept, so that a busy
/// database is still recognised as such.
fn copy_error(err: &rusqlite::Error) -> ApiError {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone()).into()
        }
        other => ApiError::Internal(anyhow::anyhow!("SQLite: {other}")),
    }
}

/// Answer writes whose transaction was rolled back as a whole, for another write in it:
/// busy, so that they are run again (a write's own error, if it had one, is answered instead).
fn rolled_back_all(writes: Vec<Box<dyn Write>>) {
    for write in writes {
        write.answer(Some(
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("rolled back with another write of its transaction; run again".into()),
            )
            .into(),
        ));
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
    //
    // The writer keeps its temporary files in memory: above all the sub-journal of the savepoint
    // each write of a group runs in (the pages it changes, as they were before), which SQLite
    // otherwise spills past 64 KiB to a new file in /var/tmp. A group of `POST /link/` spilled:
    // three quarters of the writer's pwrite calls went to such files. They hold at most the
    // pages one write changes; readers keep the default (their sorts of large lists may spill).
    conn.execute_batch(if reader {
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
         PRAGMA query_only = ON;"
    } else {
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;"
    })
    .context("cannot set up the SQLite connection")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    add_rank_function(&conn).context("cannot set up the SQLite connection")?;
    Ok(conn)
}

/// The SQL name of [`super::super::search::relevance`] on these connections.
pub const RANK_FUNCTION: &str = "tagmark_rank";

/// `tagmark_rank(search_text, term, …)`: a link's relevance score (see
/// [`super::super::search::relevance`]); 0 for a `search_text` that is not text, as the other
/// engines' SQL answers for NULL.
fn add_rank_function(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    conn.create_scalar_function(
        RANK_FUNCTION,
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text = |i: usize| match ctx.get_raw(i) {
                ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
                _ => None,
            };
            let mut terms = Vec::with_capacity(ctx.len().saturating_sub(1));
            for i in 1..ctx.len() {
                terms.push(text(i).unwrap_or_default());
            }
            Ok(text(0).map_or(0, |search_text| {
                super::super::search::relevance(search_text, terms)
            }))
        },
    )
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
                // A job that panicked or left a transaction open leaves nothing open.
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

    /// Threads on a fresh, empty database file (kept while the directory lives).
    fn threads(queue_timeout: Duration) -> (tempfile::TempDir, Arc<Threads>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        std::fs::File::create(&file).unwrap();
        let threads = Arc::new(Threads::open(&file, 1, queue_timeout, &[]).unwrap());
        (dir, threads)
    }

    /// A job that waited in the queue past the timeout is answered 503 and never runs; a job
    /// whose caller went away never runs either; the one running finishes with its answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_jobs_still_wanted_in_time_run() {
        let (_dir, threads) = threads(Duration::from_millis(100));
        let slow = {
            let threads = threads.clone();
            tokio::spawn(async move {
                threads
                    .read(|_| {
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
        let abandoned = threads.read(move |_| {
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
            .read(move |_| {
                flag.store(true, Ordering::SeqCst);
                Ok(3)
            })
            .await;
        assert!(matches!(late, Err(ApiError::Unavailable)), "{late:?}");
        assert_eq!(slow.await.unwrap().unwrap(), 1);
        // Once the reader is free again, a job runs at once.
        assert_eq!(threads.read(|_| Ok(4)).await.unwrap(), 4);
        assert!(!abandoned_ran.load(Ordering::SeqCst));
        assert!(!late_ran.load(Ordering::SeqCst));
    }

    /// Writes queued together share one transaction, yet each is all-or-nothing: one that fails
    /// leaves none of its rows, and the others are answered only once committed, with their
    /// own answers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_committed_together_stay_each_all_or_nothing() {
        let (_dir, threads) = threads(Duration::from_secs(5));
        threads
            .write(|conn| Ok(conn.execute_batch("CREATE TABLE t (n INTEGER NOT NULL)")?))
            .await
            .unwrap();
        // A slow write first, so that the next ones queue up behind it and form one group.
        let slow = {
            let threads = threads.clone();
            tokio::spawn(async move {
                threads
                    .write(|conn| {
                        std::thread::sleep(Duration::from_millis(300));
                        Ok(conn.execute("INSERT INTO t (n) VALUES (0)", [])?)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut writes = Vec::new();
        for n in 1..=20i64 {
            let threads = threads.clone();
            writes.push(tokio::spawn(async move {
                threads
                    .write(move |conn| {
                        conn.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                        conn.execute("INSERT INTO t (n) VALUES (?1)", [n + 100])?;
                        if n % 3 == 0 {
                            return Err(ApiError::Conflict(format!("refused {n}")));
                        }
                        Ok(n)
                    })
                    .await
            }));
        }
        assert_eq!(slow.await.unwrap().unwrap(), 1);
        for (i, write) in writes.into_iter().enumerate() {
            let n = i as i64 + 1;
            match write.await.unwrap() {
                Ok(answer) => assert!(n % 3 != 0 && answer == n, "{n} answered {answer}"),
                Err(ApiError::Conflict(message)) => {
                    assert!(n % 3 == 0 && message == format!("refused {n}"), "{message}")
                }
                Err(other) => panic!("{n}: {other:?}"),
            }
        }
        let stored: Vec<i64> = threads
            .read(|conn| {
                let mut statement = conn.prepare("SELECT n FROM t ORDER BY n")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<i64>, _>>()?)
            })
            .await
            .unwrap();
        let mut expected: Vec<i64> = std::iter::once(0)
            .chain((1..=20).filter(|n| n % 3 != 0).flat_map(|n| [n, n + 100]))
            .collect();
        expected.sort_unstable();
        assert_eq!(stored, expected);
    }
}
