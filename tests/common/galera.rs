//! The three-node MariaDB Galera cluster of `scripts/galera.sh` (SQL on 127.0.0.1:3407-3409),
//! shared by every test that needs it: started once per machine (the script leaves a running,
//! synced cluster alone) and left running; `.ci/run` stops it at the end.
//!
//! Tests hold a lock on the cluster while they use it, across test processes too: shared by
//! ordinary scenarios, exclusive for a test that kills a node.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use tagmark::Config;

use super::{TestApp, TestDb};

/// Node `n`'s (1, 2 or 3) SQL port.
pub fn port(n: usize) -> u16 {
    3406 + n as u16
}

/// A server URL of node `n` (its `test` database).
pub fn server_url(n: usize) -> String {
    format!("mysql://root@127.0.0.1:{}/test", port(n))
}

/// The same database on node `n`: `url` with node `n`'s port.
pub fn on_node(url: &str, n: usize) -> String {
    let mut out = url.to_owned();
    for m in 1..=3 {
        out = out.replace(&format!(":{}/", port(m)), &format!(":{}/", port(n)));
    }
    out
}

/// A fresh database on the cluster, created through node 1 and there on every node.
pub async fn fresh_db() -> TestDb {
    let db = TestDb::on_server(&server_url(1)).await;
    replicated(&db.url).await;
    db
}

/// Wait until the database of `url` exists on every node: CREATE DATABASE is ordered across
/// the cluster, but each node applies it on its own time.
pub async fn replicated(url: &str) {
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    for n in 1..=3 {
        let mut conn = super::db::DbConn::connect(&server_url(n)).await;
        conn.execute("SET SESSION wsrep_sync_wait = 1").await;
        // (A test database's name is plain: letters, digits and underscores.)
        let found = conn
            .int(&format!(
                "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{name}'"
            ))
            .await;
        assert_eq!(found, 1, "database {name} missing on node {n}");
        conn.close().await;
    }
}

/// Run `scripts/galera.sh` with `args`; its output, or a panic with it if it fails.
pub fn script(args: &[&str]) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/galera.sh");
    let output = Command::new("bash")
        .arg(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {path}: {e}"));
    assert!(
        output.status.success(),
        "galera.sh {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// While held, the cluster is in use: a shared hold for scenarios, an exclusive one for a
/// test that takes a node down. The lock is held by a `flock` child process until this is
/// dropped (or the test process dies, closing its input).
pub struct ClusterLock(Child);

impl Drop for ClusterLock {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// The running cluster (started if needed), held shared or exclusively.
pub async fn cluster(exclusive: bool) -> ClusterLock {
    super::tools::require_apt(&[
        ("/usr/sbin/mariadbd", "mariadb-server"),
        ("mariadb-install-db", "mariadb-server"),
        ("/usr/lib/galera/libgalera_smm.so", "galera-4"),
        ("rsync", "rsync"),
        ("ss", "iproute2"),
    ]);
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("flock")
            .args([
                if exclusive { "-x" } else { "-s" },
                "/tmp/tagmark-galera-tests.lock",
                "sh",
                "-c",
                "echo locked; exec cat >/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run flock for the galera test lock");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("flock's output");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read flock's output");
        assert_eq!(line.trim(), "locked", "cannot lock the galera cluster");
        let lock = ClusterLock(child);
        script(&["start"]);
        lock
    })
    .await
    .expect("join")
}

/// One address in front of two servers on one database: reads (GET, HEAD) go to a server on
/// node 3, everything else to a server on node 1. Scenarios written for one server then check
/// that what they write through node 1 is read through node 3.
pub async fn split_app(config: Config) -> TestApp {
    replicated(&config.database_url).await;
    let mut writer = TestApp::start(config.clone()).await;
    let mut reader_config = config;
    reader_config.database_url = on_node(&reader_config.database_url, 3);
    let reader = TestApp::start(reader_config).await;
    let split = Arc::new(Split {
        // A redirect is the scenario's to see, not the proxy's to follow.
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the split proxy's client"),
        writer: writer.base.clone(),
        reader: reader.base.clone(),
        _reader: reader,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the split proxy");
    let addr = listener.local_addr().expect("proxy address");
    let router = axum::Router::new().fallback(forward).with_state(split);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    writer.base = format!("http://{addr}");
    writer
}

struct Split {
    client: reqwest::Client,
    writer: String,
    reader: String,
    /// Runs as long as the proxy does.
    _reader: TestApp,
}

async fn forward(State(split): State<Arc<Split>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = if matches!(parts.method, Method::GET | Method::HEAD) {
        &split.reader
    } else {
        &split.writer
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return (axum::http::StatusCode::BAD_GATEWAY, "request body").into_response();
    };
    let mut outgoing = split
        .client
        .request(parts.method, format!("{target}{path}"))
        .body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => return (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|e| (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response())
}

fn hop_by_hop(name: &header::HeaderName) -> bool {
    [
        header::HOST,
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ]
    .contains(name)
}
