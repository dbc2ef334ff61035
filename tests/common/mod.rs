//! Test harness: starts the real server on port 0 over a fresh database and speaks HTTP to it.
//!
//! Every scenario runs once per engine: SQLite always (a fresh file), MariaDB/MySQL when
//! `TAGMARK_TEST_MYSQL_URL` is set and PostgreSQL when `TAGMARK_TEST_POSTGRES_URL` is set
//! (each run in a fresh database created on that server and dropped afterwards).
#![allow(dead_code)]

pub mod db;
pub mod faults;
pub mod features;
pub mod galera;
pub mod raw;
pub mod resources;
pub mod tools;

use std::future::Future;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tagmark::{Application, Config};
use tokio::sync::oneshot;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A database for one scenario.
pub struct TestDb {
    pub url: String,
    /// Server URL and database name to drop afterwards (MySQL/PostgreSQL).
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("tagmark.db").display());
        TestDb {
            url,
            cleanup: None,
            _dir: Some(dir),
        }
    }

    /// A fresh database on the server `server_url` points at (its path is ignored).
    pub async fn on_server(server_url: &str) -> TestDb {
        let name = format!("tagmark_test_{}", uuid::Uuid::new_v4().simple());
        let (base, admin_url) = split_server_url(server_url);
        db::execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        TestDb {
            url: format!("{base}/{name}"),
            cleanup: Some((admin_url, name)),
            _dir: None,
        }
    }

    pub async fn drop_db(self) {
        if let Some((admin_url, name)) = &self.cleanup {
            db::execute(admin_url, &format!("DROP DATABASE IF EXISTS {name}")).await;
        }
    }
}

/// `mysql://root@host:3306/whatever` → (`mysql://root@host:3306`, URL of the server's admin db).
fn split_server_url(url: &str) -> (String, String) {
    let (scheme, rest) = url
        .split_once("://")
        .expect("test database URL has a scheme");
    let scheme = match scheme {
        "mariadb" => "mysql",
        "postgresql" => "postgres",
        s => s,
    };
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let base = format!("{scheme}://{authority}");
    let admin_db = if scheme == "postgres" {
        "postgres"
    } else {
        "mysql"
    };
    (base.clone(), format!("{base}/{admin_db}"))
}

/// The database URLs every scenario runs against, by engine name.
///
/// With `TAGMARK_TEST_GALERA_URL` (node 1 of `scripts/galera.sh`'s cluster) set, only the
/// Galera engine: each scenario's server then takes writes on node 1 and reads on node 3
/// ([`galera::split_app`]).
pub fn engines() -> Vec<(&'static str, Option<String>)> {
    if let Ok(url) = std::env::var("TAGMARK_TEST_GALERA_URL") {
        if !url.is_empty() {
            return vec![("galera", Some(url))];
        }
    }
    let mut engines = vec![("sqlite", None)];
    if let Ok(url) = std::env::var("TAGMARK_TEST_MYSQL_URL") {
        if !url.is_empty() {
            engines.push(("mysql", Some(url)));
        }
    }
    if let Ok(url) = std::env::var("TAGMARK_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            engines.push(("postgres", Some(url)));
        }
    }
    engines
}

pub async fn fresh_db(server: &Option<String>) -> TestDb {
    match server {
        None => TestDb::sqlite().await,
        Some(url) => TestDb::on_server(url).await,
    }
}

/// Run `scenario` against a fresh server on every configured engine.
pub async fn for_each_engine<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for_each_engine_with(|_| {}, scenario).await
}

/// Like [`for_each_engine`], with a change to the default test configuration.
pub async fn for_each_engine_with<C, F, Fut>(configure: C, scenario: F)
where
    C: Fn(&mut Config),
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let galera = engine == "galera";
        let _cluster = if galera {
            Some(galera::cluster(false).await)
        } else {
            None
        };
        let db = fresh_db(&server).await;
        let mut config = test_config(&db.url);
        configure(&mut config);
        let app = if galera {
            galera::split_app(config).await
        } else {
            TestApp::start(config).await
        };
        scenario(app).await;
        db.drop_db().await;
    }
}

pub fn test_config(database_url: &str) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        database_url: database_url.to_owned(),
        secret_key: Some(SECRET.to_owned().into()),
        admin: Some((ADMIN.into(), ADMIN_PASSWORD.to_owned().into())),
        // Scenarios log in with wrong passwords on purpose; throttling has tests of its own.
        login_max_failures: 1000,
        // Scenarios change the database behind the server's back (SQL, the CLI) and expect
        // revocation at once; the stamp cache has tests of its own.
        auth_cache_seconds: 0,
        ..Config::default()
    }
}

/// A running server and a client for it. The server stops when this is dropped.
pub struct TestApp {
    pub base: String,
    /// Base URL of the separate metrics listener, when configured.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    pub database_url: String,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    pub async fn start(config: Config) -> TestApp {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,tagmark=info"))
            .with_test_writer()
            .try_init();
        let app = Application::build(config.clone())
            .await
            .expect("application builds");
        let addr = app.local_addr().expect("bound address");
        let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base: format!("http://{addr}"),
            metrics_base,
            client: reqwest::Client::new(),
            database_url: config.database_url.clone(),
            config,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stop the server and wait until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POST /token/ with a form; `scope` None leaves the field out.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![("username", username), ("password", password)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.client
            .post(self.url("/token/"))
            .form(&form)
            .send()
            .await
            .expect("request")
    }

    /// A token, asserting that the login succeeds.
    pub async fn token(&self, username: &str, password: &str, scope: &str) -> String {
        let response = self.login(username, password, Some(scope)).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login of {username} as {scope}"
        );
        let body: Value = response.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token(ADMIN, ADMIN_PASSWORD, "admin").await
    }

    /// Create an account through the API; returns its id and an account-scope token.
    pub async fn create_account(&self, admin_token: &str, email: &str) -> (String, String) {
        let (status, body) = self
            .send(
                Method::POST,
                "/account/",
                Some(admin_token),
                Some(serde_json::json!({ "email": email, "password": "password-123" })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create account {email}: {body}");
        let id = body["account_id"].as_str().expect("account_id").to_owned();
        let token = self.token(email, "password-123", "account").await;
        (id, token)
    }

    /// Send a request with an optional bearer token and JSON body; status and JSON answer.
    /// Panics if the answer is not JSON: every answer of the API is.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer to {path} is not JSON ({e}): {text:?}"));
        (status, json)
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// Run a counting query directly against the database (to check what is stored).
    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = db::DbConn::connect(&self.database_url).await;
        let n = conn.int(sql).await;
        conn.close().await;
        n
    }
}

/// Run `tagmark <args>` on the app's database (and the test secret), with `stdin` as standard
/// input and no other TAGMARK_* setting from the environment.
pub async fn tagmark_cli(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let database_url = app.database_url.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let input = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tagmark"));
        for (name, _) in std::env::vars() {
            if name.starts_with("TAGMARK_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(&args)
            .env("TAGMARK_DATABASE_URL", database_url)
            .env("TAGMARK_SECRET_KEY", SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the tagmark binary");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
        drop(stdin);
        child.wait_with_output().expect("wait for tagmark")
    })
    .await
    .expect("join")
}
