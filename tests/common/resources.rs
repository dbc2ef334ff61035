//! Helpers of the resource suites (links, tags, taglinks, account_id, tenant isolation,
//! pagination, resources): create, read ids, and assert the documented answer shapes.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::TestApp;

/// Create a link tagged with `tag` (by name) and return it, asserting success.
pub async fn new_link(app: &TestApp, token: &str, url: &str, tag: &str) -> Value {
    let (status, link) = app
        .post(token, "/link/", json!({"link": url, "tag": tag}))
        .await;
    assert_eq!(status, StatusCode::OK, "create link {url}: {link}");
    link
}

/// POST `body` to `path` and return the answer's body, asserting 200.
pub async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.post(token, path, body).await;
    assert_eq!(status, StatusCode::OK, "POST {path}: {answer}");
    answer
}

/// Assert that both GET and DELETE of `path` answer 404 `{"detail": message}` to each caller.
pub async fn assert_get_and_delete_not_found(
    app: &TestApp,
    callers: &[&str],
    path: &str,
    message: &str,
) {
    for caller in callers {
        assert_detail(
            app.get(caller, path).await,
            StatusCode::NOT_FOUND,
            message,
            "get",
        );
        assert_detail(
            app.delete(caller, path).await,
            StatusCode::NOT_FOUND,
            message,
            "delete",
        );
    }
}

/// Create a tag by name and return it, asserting success.
pub async fn new_tag(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, tag) = app.post(token, "/tag/", json!({"tag": name})).await;
    assert_eq!(status, StatusCode::OK, "create tag {name}: {tag}");
    tag
}

/// The id in `field` of a resource body.
pub fn id(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {body}"))
        .to_owned()
}

/// The ids in `field` of every element of a list answer, in order.
pub fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| id(v, field))
        .collect()
}

/// An id that exists nowhere.
pub fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Assert a business-rule error: `status` with `{"detail": message}` and nothing else.
pub fn assert_detail(answer: (StatusCode, Value), status: StatusCode, message: &str, what: &str) {
    assert_eq!(answer.0, status, "{what}: {}", answer.1);
    assert_eq!(answer.1, json!({ "detail": message }), "{what}");
}

/// An answer with `id` in its message written `<id>`: another account's id and one that does
/// not exist must be answered alike, but for the id the message names.
pub fn with_id_hidden(answer: &(StatusCode, Value), id: &str) -> (StatusCode, Value) {
    let detail = answer.1["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail message: {}", answer.1))
        .replace(id, "<id>");
    (answer.0, json!({ "detail": detail }))
}

/// Assert a request validation error: 422 in FastAPI's list shape, naming exactly `loc`.
pub fn assert_field_error(answer: (StatusCode, Value), loc: &[&str], what: &str) {
    let (status, body) = answer;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    let errors = body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: detail is not a list: {body}"));
    assert_eq!(errors.len(), 1, "{what}: {body}");
    assert_eq!(errors[0]["loc"], json!(loc), "{what}: {body}");
    assert!(
        errors[0]["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: msg: {body}"
    );
    assert!(
        errors[0]["type"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: type: {body}"
    );
}

/// Assert that a resource body is an object carrying (at least) the documented fields.
pub fn assert_has_fields(body: &Value, fields: &[&str]) {
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"));
    for field in fields {
        assert!(object.contains_key(*field), "{field} missing in {body}");
    }
}

pub fn assert_rfc3339_utc(value: &Value, what: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {value}"));
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("{what}: {text:?} is not RFC 3339: {e}"));
    assert!(parsed.offset().is_utc(), "{what}: {text} is not UTC");
    let age = OffsetDateTime::now_utc() - parsed;
    assert!(
        age.whole_seconds().abs() < 300,
        "{what}: {text} is not about now"
    );
}

pub async fn links_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM links").await
}

pub async fn tags_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM tags").await
}

pub async fn taglinks_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM taglinks").await
}
