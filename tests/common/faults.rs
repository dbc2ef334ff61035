//! A bounded write load against several servers while something fails underneath (a Galera
//! node killed, a PostgreSQL restarted), and the checks afterwards: what was acknowledged is
//! stored, links' tags are consistent, no request hung, errors were 503s.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::TestApp;

/// Names tags are created, found and renamed to: few, so that workers meet on them.
const TAG_NAMES: usize = 8;
/// Links per imported file.
const IMPORT_LINKS: usize = 5;

/// What the load did, request by request.
#[derive(Default)]
pub struct Record {
    /// (server, started, finished, status; 0 when no answer came), every request.
    pub requests: Vec<(usize, Instant, Instant, u16)>,
    /// Non-2xx answers other than 503, with their body.
    pub unexpected: Vec<(usize, u16, String)>,
    /// Requests that got no answer at all (client timeout, connection error).
    pub no_answer: Vec<(usize, String)>,
    /// Links whose creation was acknowledged: id → URL.
    pub created: HashMap<String, String>,
    /// Links whose deletion was acknowledged.
    pub deleted: HashSet<String>,
    /// Links whose deletion was sent but not acknowledged (a 503, or no answer): cut off by
    /// the failure, it may have been applied all the same.
    pub maybe_deleted: HashSet<String>,
    /// URLs of links an acknowledged import created.
    pub imported: HashSet<String>,
    /// Reads through another server that did not find a link acknowledged before them.
    pub stale_reads: Vec<String>,
}

/// Run the write load for `duration` against `apps` (`per_server` workers each) while `fault`
/// runs beside it; the load ends when both are done, 3 s after the fault at the earliest (so
/// that servers are seen to recover). Links are created, read, deleted and their tags renamed
/// in the account of `token`, through every server; imports go through server `i` into the
/// account of `import_tokens[i]` (see [`Worker::import`]).
pub async fn write_load<F>(
    apps: &[&TestApp],
    token: &str,
    import_tokens: &[String],
    per_server: usize,
    duration: Duration,
    fault: F,
) -> Record
where
    F: Future<Output = ()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let record = Arc::new(Mutex::new(Record::default()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(per_server)
        .build()
        .expect("client");
    let bases: Arc<Vec<String>> = Arc::new(apps.iter().map(|a| a.base.clone()).collect());
    let mut workers = Vec::new();
    for (server, import_token) in import_tokens.iter().enumerate().take(apps.len()) {
        for n in 0..per_server {
            let worker = Worker {
                server,
                id: server * per_server + n,
                bases: bases.clone(),
                client: client.clone(),
                token: token.to_owned(),
                import_token: import_token.clone(),
                record: record.clone(),
                seed: 0x9E37_79B9_7F4A_7C15 ^ (((server * per_server + n) as u64 + 1) * 7919),
                mine: Vec::new(),
            };
            workers.push(tokio::spawn(worker.run(stop.clone())));
        }
    }
    let fault = async {
        fault.await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    };
    tokio::join!(fault, tokio::time::sleep(duration));
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("load worker");
    }
    Arc::try_unwrap(record)
        .ok()
        .expect("workers are done")
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
}

struct Worker {
    server: usize,
    id: usize,
    bases: Arc<Vec<String>>,
    client: reqwest::Client,
    token: String,
    import_token: String,
    record: Arc<Mutex<Record>>,
    seed: u64,
    /// This worker's links that are acknowledged and not deleted (only it deletes them).
    mine: Vec<(String, String)>,
}

impl Worker {
    fn random(&mut self, below: usize) -> usize {
        // xorshift64: reproducible per worker, no shared state.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed % below as u64) as usize
    }

    async fn run(mut self, stop: Arc<AtomicBool>) {
        let mut n = 0usize;
        while !stop.load(Ordering::SeqCst) {
            n += 1;
            let roll = self.random(100);
            if roll < 50 || self.mine.is_empty() {
                let url = format!("https://load.example/{}/{n}", self.id);
                let tag = format!("t{}", self.random(TAG_NAMES));
                let body = json!({"link": url, "tag": tag});
                if let Some(link) = self.send(Method::POST, "/link/", Some(body)).await {
                    if let Some(id) = link["link_id"].as_str() {
                        self.record
                            .lock()
                            .unwrap()
                            .created
                            .insert(id.to_owned(), url.clone());
                        self.mine.push((id.to_owned(), url));
                    }
                }
            } else if roll < 62 {
                // Read one of ours through the next server: it must be there.
                let pick = self.random(self.mine.len());
                let (id, _) = self.mine[pick].clone();
                let other = (self.server + 1) % self.bases.len();
                let (status, _) = self
                    .request(other, Method::GET, &format!("/link/{id}"), None)
                    .await;
                if status == Some(404) {
                    self.record.lock().unwrap().stale_reads.push(id);
                }
            } else if roll < 75 {
                let pick = self.random(self.mine.len());
                let (id, _) = self.mine.swap_remove(pick);
                let path = format!("/link/{id}");
                if self.send(Method::DELETE, &path, None).await.is_some() {
                    self.record.lock().unwrap().deleted.insert(id);
                } else {
                    // Unknown outcome: a commit the cluster ordered just before the node died
                    // is applied everywhere although its answer never came (a 503).
                    self.record.lock().unwrap().maybe_deleted.insert(id);
                }
            } else if roll < 88 {
                self.import(n).await;
            } else {
                self.rename().await;
            }
        }
    }

    /// Find or create one tag and rename it to another name of the pool (merging the two
    /// when that name exists).
    async fn rename(&mut self) {
        let from = format!("t{}", self.random(TAG_NAMES));
        let to = format!("T{}", self.random(TAG_NAMES));
        let tag = self
            .send(Method::POST, "/tag/", Some(json!({"tag": from})))
            .await
            .unwrap_or(Value::Null);
        // POST /tag/ of an existing name is 409 (the seed's rule): find that tag instead.
        let id = match tag["tag_id"].as_str() {
            Some(id) => id.to_owned(),
            None => {
                let Some(found) = self
                    .send(Method::GET, &format!("/tag/?tag={from}"), None)
                    .await
                else {
                    return;
                };
                let Some(id) = found[0]["tag_id"].as_str() else {
                    return;
                };
                id.to_owned()
            }
        };
        let path = format!("/tag/{id}");
        // 404: another worker merged it away meanwhile; that is fine.
        let _ = self
            .send(Method::PATCH, &path, Some(json!({"tag": to})))
            .await;
    }

    /// Imports go into an account that only this server imports into. An import locks its
    /// account (so that two imports cannot both decide that a URL is new): on Galera a write
    /// into that account replicated from another node meanwhile aborts it, so under a steady
    /// stream of writes into the same account through other nodes it is retried until it
    /// gives up (see README, "Scaling out").
    async fn import(&mut self, n: usize) {
        let urls: Vec<String> = (0..IMPORT_LINKS)
            .map(|i| format!("https://import.example/{}/{n}/{i}", self.id))
            .collect();
        let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
        for url in &urls {
            let tag = format!("t{}", self.random(TAG_NAMES));
            file.push_str(&format!(
                "<DT><A HREF=\"{url}\" ADD_DATE=\"1700000000\" TAGS=\"{tag}\">{url}</A>\n"
            ));
        }
        file.push_str("</DL><p>\n");
        let started = Instant::now();
        let answer = self
            .client
            .post(format!("{}/import/", self.bases[self.server]))
            .bearer_auth(&self.import_token)
            .header("Content-Type", "text/html")
            .body(file)
            .send()
            .await;
        let (status, body) = self.settle(self.server, "/import/", started, answer).await;
        if status.is_some_and(|s| (200..300).contains(&s)) {
            assert_eq!(body["created"], json!(IMPORT_LINKS), "{body}");
            self.record.lock().unwrap().imported.extend(urls);
        }
    }

    /// A request to this worker's server; the answer when it was a 2xx.
    async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> Option<Value> {
        let (status, answer) = self.request(self.server, method, path, body).await;
        status.filter(|s| (200..300).contains(s)).map(|_| answer)
    }

    async fn request(
        &mut self,
        server: usize,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (Option<u16>, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.bases[server]))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let started = Instant::now();
        let answer = request.send().await;
        self.settle(server, path, started, answer).await
    }

    /// Record a request's outcome; its status and JSON answer.
    async fn settle(
        &self,
        server: usize,
        path: &str,
        started: Instant,
        answer: reqwest::Result<reqwest::Response>,
    ) -> (Option<u16>, Value) {
        let answer = match answer {
            Ok(answer) => {
                let status = answer.status().as_u16();
                match answer.text().await {
                    Ok(text) => Ok((status, text)),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        let finished = Instant::now();
        let mut record = self.record.lock().unwrap();
        match answer {
            Ok((status, text)) => {
                record.requests.push((server, started, finished, status));
                let ok = (200..300).contains(&status);
                // 404: a link or tag another worker deleted or merged away. 409: a tag name
                // another worker created first (POST /tag/ of an existing name).
                let duplicate = status == 409 && text.contains(" exists for account ");
                if !ok && status != 503 && status != 404 && !duplicate {
                    record.unexpected.push((server, status, text.clone()));
                }
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                (Some(status), body)
            }
            Err(e) => {
                record.requests.push((server, started, finished, 0));
                record.no_answer.push((server, format!("{path}: {e}")));
                (None, Value::Null)
            }
        }
    }
}

impl Record {
    /// Requests, 2xx, 404, 503 and other answers, by server.
    pub fn by_server(&self, server: usize) -> (usize, usize, usize, usize, usize) {
        let mine = self.requests.iter().filter(|r| r.0 == server);
        let (mut all, mut ok, mut gone, mut unavailable, mut other) = (0, 0, 0, 0, 0);
        for r in mine {
            all += 1;
            match r.3 {
                200..=299 => ok += 1,
                404 => gone += 1,
                503 => unavailable += 1,
                _ => other += 1,
            }
        }
        (all, ok, gone, unavailable, other)
    }

    /// The longest any request took.
    pub fn max_latency(&self) -> Duration {
        self.requests
            .iter()
            .map(|r| r.2 - r.1)
            .max()
            .unwrap_or_default()
    }

    /// The longest stretch, from `from` on, in which `servers` completed no 2xx request.
    pub fn longest_gap(&self, servers: &[usize], from: Instant, to: Instant) -> Duration {
        let mut done: Vec<Instant> = self
            .requests
            .iter()
            .filter(|r| servers.contains(&r.0) && (200..300).contains(&r.3))
            .map(|r| r.2)
            .filter(|t| *t >= from && *t <= to)
            .collect();
        done.sort();
        let mut last = from;
        let mut gap = Duration::ZERO;
        for t in done {
            gap = gap.max(t - last);
            last = t;
        }
        gap.max(to.saturating_duration_since(last))
    }

    /// When `server` first completed a 2xx request that started after `after`.
    pub fn first_ok_after(&self, server: usize, after: Instant) -> Option<Instant> {
        self.requests
            .iter()
            .filter(|r| r.0 == server && r.1 >= after && (200..300).contains(&r.3))
            .map(|r| r.2)
            .min()
    }

    /// One line for the log (and the README).
    pub fn summary(&self, servers: usize) -> String {
        let mut parts = Vec::new();
        for s in 0..servers {
            let (all, ok, gone, unavailable, other) = self.by_server(s);
            parts.push(format!(
                "server {}: {all} requests, {ok} 2xx, {gone} 404 (a tag merged away \
                 meanwhile), {unavailable} 503, {other} other",
                s + 1
            ));
        }
        format!(
            "{}; no answer: {}; created {} links, deleted {} (and {} unacknowledged), imported \
             {}; max latency {:.2} s",
            parts.join("; "),
            self.no_answer.len(),
            self.created.len(),
            self.deleted.len(),
            self.maybe_deleted.len(),
            self.imported.len(),
            self.max_latency().as_secs_f64()
        )
    }

    /// Every acknowledged write is in the database behind `url` and every link's tags are
    /// consistent: each link of the load carries exactly one tag (renames and merges never
    /// drop or double one), and each tag-link agrees with its tag and link.
    pub async fn check_stored(&self, url: &str) {
        let mut conn = super::db::DbConn::connect(url).await;
        if conn.is_mysql() {
            // On a Galera node: read after every write the cluster committed (elsewhere the
            // variable is missing or without effect).
            let _ = conn.try_execute("SET SESSION wsrep_sync_wait = 1").await;
        }
        let links: Vec<(String, String)> = conn
            .rows("SELECT link_id, link FROM links")
            .await
            .into_iter()
            .map(|row| match <[String; 2]>::try_from(row) {
                Ok([id, url]) => (id, url),
                Err(row) => panic!("not a link id and URL: {row:?}"),
            })
            .collect();
        let ids: HashSet<&str> = links.iter().map(|(id, _)| id.as_str()).collect();
        let urls: HashSet<&str> = links.iter().map(|(_, url)| url.as_str()).collect();
        let mut lost = Vec::new();
        for (id, url) in &self.created {
            if self.deleted.contains(id) || ids.contains(id.as_str()) {
                continue;
            }
            // Gone after a deletion whose answer was lost: only if that deletion was applied,
            // which left the link's tombstone for sync clients.
            if self.maybe_deleted.contains(id) {
                let tombstones = conn
                    .int(&format!(
                        "SELECT COUNT(*) FROM changes WHERE kind = 1 AND id = '{id}' \
                         AND deleted_at IS NOT NULL"
                    ))
                    .await;
                if tombstones == 1 {
                    continue;
                }
            }
            lost.push((id, url));
        }
        assert!(lost.is_empty(), "acknowledged links lost: {lost:?}");
        let lost: Vec<_> = self
            .imported
            .iter()
            .filter(|url| !urls.contains(url.as_str()))
            .collect();
        assert!(lost.is_empty(), "acknowledged imports lost: {lost:?}");
        let back: Vec<_> = self
            .deleted
            .iter()
            .filter(|id| ids.contains(id.as_str()))
            .collect();
        assert!(back.is_empty(), "acknowledged deletions undone: {back:?}");
        for (what, sql) in [
            (
                "links without exactly one tag",
                "SELECT COUNT(*) FROM links l WHERE \
                 (SELECT COUNT(*) FROM taglinks t WHERE t.link_id = l.link_id) <> 1",
            ),
            (
                "tag-links whose tag is missing or of another account",
                "SELECT COUNT(*) FROM taglinks t WHERE NOT EXISTS \
                 (SELECT 1 FROM tags g WHERE g.tag_id = t.tag_id AND g.account_id = t.account_id)",
            ),
            (
                "tag-links whose link is missing, of another account or of another time",
                "SELECT COUNT(*) FROM taglinks t WHERE NOT EXISTS \
                 (SELECT 1 FROM links l WHERE l.link_id = t.link_id \
                  AND l.account_id = t.account_id AND l.created_at = t.link_created_at)",
            ),
        ] {
            let n = conn.int(sql).await;
            assert_eq!(n, 0, "{what}: {n}");
        }
        conn.close().await;
    }

    /// Assert what every fault test demands of the answers themselves.
    pub fn check_answers(&self) {
        assert!(
            self.unexpected.is_empty(),
            "answers other than 2xx, 404 and 503: {:?}",
            &self.unexpected[..self.unexpected.len().min(10)]
        );
        assert!(
            self.no_answer.is_empty(),
            "requests without an answer: {:?}",
            &self.no_answer[..self.no_answer.len().min(10)]
        );
        assert!(
            self.stale_reads.is_empty(),
            "acknowledged links not found by a later read: {:?}",
            self.stale_reads
        );
        let ok = self
            .requests
            .iter()
            .filter(|r| (200..300).contains(&r.3))
            .count();
        assert!(ok > 100, "the load hardly ran: {ok} requests succeeded");
    }
}

/// Poll `app`'s /health until it answers 200; how long that took.
pub async fn wait_healthy(app: &TestApp, limit: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(answer) = app.client.get(app.url("/health")).send().await {
            if answer.status() == StatusCode::OK {
                return started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} did not become healthy within {limit:?}", app.base);
}
