//! Raw requests of the HTTP suites (bad input, routing, the request storm): exact bodies and
//! headers, and answers read without assuming JSON.

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::TestApp;

pub const MIB: usize = 1024 * 1024;

/// One raw answer of the server.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON, asserting that it is declared and parses as JSON.
    pub fn json(&self, what: &str) -> Value {
        let ct = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "{what}: answer {} has Content-Type {ct:?}: {:?}",
            self.status,
            self.text
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "{what}: answer {} is not JSON ({e}): {:?}",
                self.status, self.text
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Send a request with an exact body and Content-Type (None: no header).
pub async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Answer {
    raw_with(
        &app.client,
        app,
        method,
        path,
        token,
        content_type,
        body.into(),
    )
    .await
}

pub async fn raw_with(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: reqwest::Body,
) -> Answer {
    let mut request = client.request(method.clone(), app.url(path)).body(body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    if let Some(ct) = content_type {
        request = request.header(CONTENT_TYPE, ct);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e:?}"));
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("answer body");
    Answer {
        status,
        headers,
        text,
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Rows in every table that requests could write to.
pub async fn counts(app: &TestApp) -> [i64; 4] {
    [
        app.count("SELECT COUNT(*) FROM accounts").await,
        app.count("SELECT COUNT(*) FROM links").await,
        app.count("SELECT COUNT(*) FROM tags").await,
        app.count("SELECT COUNT(*) FROM taglinks").await,
    ]
}

/// An admin token, and an account with one link tagged "seed": (admin, account id, account
/// token, link id, tag id).
pub async fn seeded(app: &TestApp, email: &str) -> (String, String, String, String, String) {
    let admin = app.admin_token().await;
    let (account_id, token) = app.create_account(&admin, email).await;
    let (status, link) = app
        .post(
            &token,
            "/link/",
            json!({"link": "https://seed.example/", "tag": "seed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let link_id = link["link_id"].as_str().unwrap().to_owned();
    let (status, tags) = app.get(&token, "/tag/?tag=seed").await;
    assert_eq!(status, StatusCode::OK, "{tags}");
    let tag_id = tags[0]["tag_id"].as_str().unwrap().to_owned();
    (admin, account_id, token, link_id, tag_id)
}

/// The first entry of a FastAPI-style validation error, asserting the shape.
pub fn first_field_error(what: &str, answer: &Answer) -> Value {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        answer.text
    );
    let body = answer.json(what);
    let detail = body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: detail is not a list: {body}"));
    assert!(!detail.is_empty(), "{what}: empty detail list");
    for entry in detail {
        assert!(entry["loc"].is_array(), "{what}: {entry}");
        assert!(entry["msg"].is_string(), "{what}: {entry}");
        assert!(entry["type"].is_string(), "{what}: {entry}");
    }
    detail[0].clone()
}
