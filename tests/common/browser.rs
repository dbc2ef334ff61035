//! A real headless Chromium driven over WebDriver (chromedriver), for the web app's tests.
//! One chromedriver serves a whole test; each engine gets a browser session of its own, with a
//! fresh profile. Screenshots go to `target/ui-screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::common::tools::require_apt;

/// A chromedriver process, stopped when dropped.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chromedriver {
    pub async fn start() -> Chromedriver {
        require_apt(&[
            ("/usr/bin/chromium", "chromium"),
            ("/usr/bin/chromedriver", "chromium-driver"),
        ]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let status = format!("{}/status", driver.url);
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(&status).await {
                if r.status().is_success() {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }
}

/// A browser session against one running app.
pub struct Browser {
    pub client: Client,
    pub base: String,
    /// Prefix of screenshot names (the engine).
    pub label: String,
    _profile: tempfile::TempDir,
}

/// The legacy log endpoint chromedriver still serves: the browser's console, since last read.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

/// chromedriver's door to the DevTools protocol: one command with its parameters.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (Method::POST, Some(body.to_string()))
    }
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

impl Browser {
    pub async fn open(driver: &Chromedriver, base: &str, label: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--disable-popup-blocking",
                    "--window-size=1100,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.enforce_http(true);
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a browser session");
        Browser {
            client,
            base: base.to_owned(),
            label: label.to_owned(),
            _profile: profile,
        }
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("go to {path}: {e}"));
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|all| !all.is_empty())
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }

    /// Click a link or a form's button, and wait until the browser shows the page it leads to
    /// (reading the next page's elements before it has replaced this one would find stale or
    /// old ones).
    pub async fn click(&self, css: &str) {
        self.js("window.__tmarkOldPage = true; return null;").await;
        self.find(css).await.click().await.expect("click");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            // An error here means the new page is still loading.
            let old = self
                .client
                .execute("return window.__tmarkOldPage === true;", vec![])
                .await;
            if matches!(old, Ok(Value::Bool(false))) {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("clicking {css} on {} led to no new page", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Click something that changes this page in place (a radio button, a checkbox, a button
    /// that a script handles).
    pub async fn press(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The text of every element matching `css`.
    pub async fn find_all_text(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find all")
        {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// The whole page's visible text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let file = screenshot_dir().join(format!("{}-{name}.png", self.label));
        std::fs::write(&file, png).expect("write screenshot");
    }

    /// Make the page see the system's colour scheme as dark (`true`) or light.
    pub async fn prefer_dark(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        let params = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params,
            })
            .await
            .expect("emulate the colour scheme");
    }

    /// The console messages since the last call, as chromedriver reports them.
    pub async fn console(&self) -> Vec<Value> {
        match self.client.issue_cmd(BrowserLog).await {
            Ok(Value::Array(entries)) => entries,
            Ok(other) => panic!("unexpected log answer {other}"),
            Err(e) => panic!("cannot read the browser log: {e}"),
        }
    }

    /// No console errors (or warnings) since the last check.
    pub async fn assert_quiet_console(&self, context: &str) {
        let bad: Vec<Value> = self
            .console()
            .await
            .into_iter()
            .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
            .collect();
        assert!(bad.is_empty(), "console errors {context}: {bad:#?}");
    }

    /// Every visible form control of the page has a label (a `<label>`, or an ARIA name).
    pub async fn assert_labelled(&self, context: &str) {
        let unlabelled = self
            .js(
                "return Array.from(document.querySelectorAll('input, select, textarea'))\
                 .filter(e => !['hidden', 'submit', 'button'].includes(e.type))\
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')\
                   && !e.getAttribute('aria-labelledby'))\
                 .map(e => e.outerHTML);",
            )
            .await;
        assert_eq!(
            unlabelled,
            json!([]),
            "form controls without a label {context}"
        );
    }

    /// Check a page: labels, console, and a screenshot.
    pub async fn check_page(&self, name: &str) {
        self.assert_labelled(name).await;
        self.assert_quiet_console(name).await;
        self.screenshot(name).await;
    }
}
