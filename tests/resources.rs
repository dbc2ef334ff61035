//! The resource endpoints `/link/`, `/tag/` and `/taglink/` as API.md describes them: what each
//! creates, answers and deletes, the `account_id` rule, tenant isolation, and pagination.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

// ---- helpers ----------------------------------------------------------------------------------

/// Create a link tagged with `tag` (by name) and return it, asserting success.
async fn new_link(app: &TestApp, token: &str, url: &str, tag: &str) -> Value {
    let (status, link) = app
        .post(token, "/link/", json!({"link": url, "tag": tag}))
        .await;
    assert_eq!(status, StatusCode::OK, "create link {url}: {link}");
    link
}

/// Create a tag by name and return it, asserting success.
async fn new_tag(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, tag) = app.post(token, "/tag/", json!({"tag": name})).await;
    assert_eq!(status, StatusCode::OK, "create tag {name}: {tag}");
    tag
}

/// The id in `field` of a resource body.
fn id(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {body}"))
        .to_owned()
}

/// The ids in `field` of every element of a list answer, in order.
fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| id(v, field))
        .collect()
}

/// An id that exists nowhere.
fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Assert a business-rule error: `status` with `{"detail": message}` and nothing else.
fn assert_detail(answer: (StatusCode, Value), status: StatusCode, message: &str, what: &str) {
    assert_eq!(answer.0, status, "{what}: {}", answer.1);
    assert_eq!(answer.1, json!({ "detail": message }), "{what}");
}

/// An answer with `id` in its message written `<id>`: another account's id and one that does
/// not exist must be answered alike, but for the id the message names.
fn with_id_hidden(answer: &(StatusCode, Value), id: &str) -> (StatusCode, Value) {
    let detail = answer.1["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail message: {}", answer.1))
        .replace(id, "<id>");
    (answer.0, json!({ "detail": detail }))
}

/// Assert a request validation error: 422 in FastAPI's list shape, naming exactly `loc`.
fn assert_field_error(answer: (StatusCode, Value), loc: &[&str], what: &str) {
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
fn assert_has_fields(body: &Value, fields: &[&str]) {
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"));
    for field in fields {
        assert!(object.contains_key(*field), "{field} missing in {body}");
    }
}

fn assert_rfc3339_utc(value: &Value, what: &str) {
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

async fn links_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM links").await
}

async fn tags_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM tags").await
}

async fn taglinks_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM taglinks").await
}

// ---- POST /link/ ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_a_new_tag_name_creates_the_link_the_tag_and_their_taglink() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let (status, link) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://www.rust-lang.org/learn", "tag": "Rust"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_has_fields(&link, &["link_id", "link", "account_id", "created_at"]);
        assert_eq!(link["link"], "https://www.rust-lang.org/learn");
        assert_eq!(link["account_id"], account_id.as_str());
        assert!(uuid::Uuid::parse_str(&id(&link, "link_id")).is_ok(), "{link}");
        assert_rfc3339_utc(&link["created_at"], "link created_at");

        let (status, tags) = app.get(&token, "/tag/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(tags.as_array().unwrap().len(), 1, "{tags}");
        assert_eq!(tags[0]["tag"], "Rust");
        assert_eq!(tags[0]["account_id"], account_id.as_str());
        assert_rfc3339_utc(&tags[0]["created_at"], "tag created_at");

        let (status, taglinks) = app.get(&token, "/taglink/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            taglinks,
            json!([{"tag_id": tags[0]["tag_id"], "link_id": link["link_id"], "account_id": account_id}])
        );
        let (status, fetched) = app
            .get(&token, &format!("/link/{}", id(&link, "link_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched, link);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_links_with_rust_then_rust_in_lower_case_reuses_one_tag_spelled_as_first_given() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let first = new_link(&app, &token, "https://one.example/", "Rust").await;
        let second = new_link(&app, &token, "https://two.example/", "rust").await;
        let third = new_link(&app, &token, "https://three.example/", "  RUST  ").await;
        assert_eq!(tags_count(&app).await, 1);
        let (_, tags) = app.get(&token, "/tag/").await;
        assert_eq!(tags[0]["tag"], "Rust", "the first spelling is kept");
        let tag_id = id(&tags[0], "tag_id");
        let mut tagged = Vec::new();
        for link in [&first, &second, &third] {
            let (_, taglinks) = app
                .get(
                    &token,
                    &format!("/taglink/?link_id={}", id(link, "link_id")),
                )
                .await;
            tagged.push(ids(&taglinks, "tag_id"));
        }
        assert_eq!(tagged, vec![vec![tag_id.clone()]; 3]);
        let (_, links) = app.get(&token, &format!("/link/?tag_id={tag_id}")).await;
        assert_eq!(links, json!([first, second, third]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_a_tag_id_attaches_that_existing_tag() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let tag = new_tag(&app, &token, "Reading").await;
        let tag_id = id(&tag, "tag_id");
        let (status, link) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://example.com/article", "tag_id": tag_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(tags_count(&app).await, 1, "no tag is created");
        let (_, taglinks) = app
            .get(
                &token,
                &format!("/taglink/?link_id={}", id(&link, "link_id")),
            )
            .await;
        assert_eq!(ids(&taglinks, "tag_id"), [tag_id]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_without_tag_or_tag_id_is_422_and_stores_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        for body in [
            json!({"link": "https://example.com/"}),
            json!({"link": "https://example.com/", "tag": null, "tag_id": null}),
        ] {
            assert_detail(
                app.post(&token, "/link/", body.clone()).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "One of tag_id or tag must be specified",
                &body.to_string(),
            );
        }
        assert_eq!(links_count(&app).await, 0);
        assert_eq!(tags_count(&app).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_both_tag_and_tag_id_is_422_and_stores_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let tag = new_tag(&app, &token, "existing").await;
        assert_detail(
            app.post(
                &token,
                "/link/",
                json!({"link": "https://example.com/", "tag": "other", "tag_id": tag["tag_id"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only one of tag_id or tag must be specified",
            "both",
        );
        assert_eq!(links_count(&app).await, 0);
        assert_eq!(tags_count(&app).await, 1, "the tag 'other' is not created");
        assert_eq!(taglinks_count(&app).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_a_tag_id_of_another_account_or_none_is_tag_not_found_and_stores_nothing(
) {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let alices_tag = new_tag(&app, &alice, "private").await;
        for tag_id in [id(&alices_tag, "tag_id"), unknown_id()] {
            assert_detail(
                app.post(
                    &bob,
                    "/link/",
                    json!({"link": "https://example.com/", "tag_id": tag_id}),
                )
                .await,
                StatusCode::NOT_FOUND,
                &format!("Tag with tag_id {tag_id} not found for account_id {bob_id}"),
                &tag_id,
            );
        }
        assert_eq!(links_count(&app).await, 0);
        assert_eq!(taglinks_count(&app).await, 0);
        assert_eq!(tags_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_that_is_not_an_allowed_absolute_url_is_422_on_the_link_field() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let too_long = format!("https://example.com/{}", "a".repeat(2048 - 20 + 1));
        assert_eq!(too_long.len(), 2049);
        for url in [
            "",
            "not a url",
            "example.com",
            "/relative/path",
            "//example.com/no-scheme",
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            too_long.as_str(),
        ] {
            assert_field_error(
                app.post(&token, "/link/", json!({"link": url, "tag": "t"}))
                    .await,
                &["body", "link"],
                url,
            );
        }
        assert_field_error(
            app.post(&token, "/link/", json!({"tag": "t"})).await,
            &["body", "link"],
            "missing link",
        );
        assert_eq!(links_count(&app).await, 0);
        assert_eq!(tags_count(&app).await, 0, "no tag is created either");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_of_exactly_2048_bytes_is_accepted_and_stored_unchanged() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let longest = format!("https://example.com/{}", "a".repeat(2048 - 20));
        assert_eq!(longest.len(), 2048);
        let link = new_link(&app, &token, &longest, "long").await;
        assert_eq!(link["link"], longest.as_str());
        let (_, fetched) = app
            .get(&token, &format!("/link/{}", id(&link, "link_id")))
            .await;
        assert_eq!(fetched["link"], longest.as_str());
        for url in [
            "ftp://files.example.org/a.txt",
            "mailto:someone@example.com",
        ] {
            let link = new_link(&app, &token, url, "other schemes").await;
            assert_eq!(link["link"], url);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_a_tag_name_empty_after_trimming_or_too_long_is_422_on_the_tag_field() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        for name in [String::new(), "   ".into(), "\t\n".into(), "x".repeat(256)] {
            assert_field_error(
                app.post(
                    &token,
                    "/link/",
                    json!({"link": "https://example.com/", "tag": name}),
                )
                .await,
                &["body", "tag"],
                &format!("tag {name:?}"),
            );
        }
        assert_eq!(links_count(&app).await, 0);
        assert_eq!(tags_count(&app).await, 0);
        let longest = "x".repeat(255);
        new_link(&app, &token, "https://example.com/", &longest).await;
        let (_, tags) = app.get(&token, "/tag/").await;
        assert_eq!(tags[0]["tag"], longest.as_str());
    })
    .await;
}

// ---- GET / DELETE /link/{link_id}, GET /link/ ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getting_or_deleting_an_unknown_link_is_404_link_not_found() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        new_link(&app, &token, "https://example.com/", "t").await;
        let unknown = unknown_id();
        let path = format!("/link/{unknown}");
        let message = format!("Link with link_id {unknown} not found");
        for caller in [&token, &admin] {
            assert_detail(
                app.get(caller, &path).await,
                StatusCode::NOT_FOUND,
                &message,
                "get",
            );
            assert_detail(
                app.delete(caller, &path).await,
                StatusCode::NOT_FOUND,
                &message,
                "delete",
            );
        }
        assert_eq!(links_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_link_answers_ok_and_removes_its_taglinks_but_not_its_tags() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let doomed = new_link(&app, &token, "https://doomed.example/", "one").await;
        let kept = new_link(&app, &token, "https://kept.example/", "one").await;
        let two = new_tag(&app, &token, "two").await;
        let (status, _) = app
            .post(
                &token,
                "/taglink/",
                json!({"tag_id": two["tag_id"], "link_id": doomed["link_id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(taglinks_count(&app).await, 3);

        let path = format!("/link/{}", id(&doomed, "link_id"));
        let (status, deleted) = app.delete(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"), "the seed's answer to a delete");
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(
            taglinks_count(&app).await,
            1,
            "only the kept link's taglink"
        );
        assert_eq!(tags_count(&app).await, 2, "tags stay");
        let (_, taglinks) = app.get(&token, "/taglink/").await;
        assert_eq!(ids(&taglinks, "link_id"), [id(&kept, "link_id")]);
        let message = format!("Link with link_id {} not found", id(&doomed, "link_id"));
        assert_detail(
            app.get(&token, &path).await,
            StatusCode::NOT_FOUND,
            &message,
            "get after delete",
        );
        assert_detail(
            app.delete(&token, &path).await,
            StatusCode::NOT_FOUND,
            &message,
            "second delete",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_links_filters_by_tag_id_by_tag_name_in_any_case_or_both() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let rust_book = new_link(&app, &token, "https://doc.rust-lang.org/book/", "Rust").await;
        let go_tour = new_link(&app, &token, "https://go.dev/tour/", "Go").await;
        let both = new_link(&app, &token, "https://example.com/rust-vs-go", "Rust").await;
        let (_, go) = app.get(&token, "/tag/?tag=go").await;
        let go_id = id(&go[0], "tag_id");
        let (status, _) = app
            .post(
                &token,
                "/taglink/",
                json!({"tag_id": go_id, "link_id": both["link_id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, rust) = app.get(&token, "/tag/?tag=Rust").await;
        let rust_id = id(&rust[0], "tag_id");

        let cases = [
            ("/link/".to_owned(), vec![&rust_book, &go_tour, &both]),
            ("/link/?tag=rust".to_owned(), vec![&rust_book, &both]),
            ("/link/?tag=RUST".to_owned(), vec![&rust_book, &both]),
            (format!("/link/?tag_id={go_id}"), vec![&go_tour, &both]),
            (format!("/link/?tag_id={go_id}&tag=Rust"), vec![&both]),
            (format!("/link/?tag_id={rust_id}&tag=nothing"), vec![]),
            ("/link/?tag=nothing".to_owned(), vec![]),
            (format!("/link/?tag_id={}", unknown_id()), vec![]),
        ];
        for (path, expected) in cases {
            let (status, links) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {links}");
            assert_eq!(links, json!(expected), "{path}");
        }
    })
    .await;
}

// ---- the account_id rule ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_giving_another_account_id_is_422_everywhere_and_nothing_changes() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let link = new_link(&app, &bob, "https://bob.example/", "bobs").await;
        let tag_id = {
            let (_, tags) = app.get(&bob, "/tag/").await;
            id(&tags[0], "tag_id")
        };
        let link_id = id(&link, "link_id");
        let message = "The account_id field should not be provided for account scope";
        for other in [alice_id.clone(), unknown_id()] {
            let posts = [
                (
                    "/link/",
                    json!({"link": "https://x.example/", "tag": "new", "account_id": other}),
                ),
                ("/tag/", json!({"tag": "new", "account_id": other})),
                (
                    "/taglink/",
                    json!({"tag_id": tag_id, "link_id": link_id, "account_id": other}),
                ),
            ];
            for (path, body) in posts {
                assert_detail(
                    app.post(&bob, path, body).await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    message,
                    &format!("POST {path}"),
                );
            }
            for path in [
                format!("/link/?account_id={other}"),
                format!("/tag/?account_id={other}"),
                format!("/taglink/?account_id={other}"),
            ] {
                assert_detail(
                    app.get(&bob, &path).await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    message,
                    &format!("GET {path}"),
                );
            }
            let path = format!("/taglink/?link_id={link_id}&account_id={other}");
            assert_detail(
                app.delete(&bob, &path).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
                &format!("DELETE {path}"),
            );
        }
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(tags_count(&app).await, 1);
        assert_eq!(taglinks_count(&app).await, 1);
        let (_, alices_links) = app.get(&alice, "/link/").await;
        assert_eq!(alices_links, json!([]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_may_give_its_own_account_id() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (me, token) = app.create_account(&admin, "a@example.com").await;
        let (status, link) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://example.com/", "tag": "mine", "account_id": me}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(link["account_id"], me.as_str());
        let (status, tag) = app
            .post(&token, "/tag/", json!({"tag": "other", "account_id": me}))
            .await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        assert_eq!(tag["account_id"], me.as_str());
        let (status, taglink) = app
            .post(
                &token,
                "/taglink/",
                json!({"tag_id": tag["tag_id"], "link_id": link["link_id"], "account_id": me}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        assert_eq!(taglink["account_id"], me.as_str());
        let (status, links) = app.get(&token, &format!("/link/?account_id={me}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(links, json!([link]));
        let (status, tags) = app.get(&token, &format!("/tag/?account_id={me}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(tags.as_array().unwrap().len(), 2, "{tags}");
        let (status, taglinks) = app.get(&token, &format!("/taglink/?account_id={me}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(taglinks.as_array().unwrap().len(), 2, "{taglinks}");
        let (status, deleted) = app
            .delete(
                &token,
                &format!("/taglink/?tag_id={}&account_id={me}", id(&tag, "tag_id")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"));
        assert_eq!(
            app.get(&token, "/taglink/")
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_creating_without_account_id_is_422_and_stores_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t").await;
        let tag = new_tag(&app, &token, "u").await;
        let posts = [
            (
                "/link/",
                json!({"link": "https://admin.example/", "tag": "admin"}),
            ),
            ("/tag/", json!({"tag": "admin"})),
            (
                "/taglink/",
                json!({"tag_id": tag["tag_id"], "link_id": link["link_id"]}),
            ),
        ];
        for (path, body) in posts {
            assert_detail(
                app.post(&admin, path, body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The account_id field is required for the admin scope",
                path,
            );
        }
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(tags_count(&app).await, 2);
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_creating_for_an_account_that_does_not_exist_is_404_naming_it() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t").await;
        let tag = new_tag(&app, &token, "u").await;
        let nobody = unknown_id();
        let posts = [
            (
                "/link/",
                json!({"link": "https://admin.example/", "tag": "admin", "account_id": nobody}),
            ),
            ("/tag/", json!({"tag": "admin", "account_id": nobody})),
            (
                "/taglink/",
                json!({"tag_id": tag["tag_id"], "link_id": link["link_id"], "account_id": nobody}),
            ),
        ];
        for (path, body) in posts {
            assert_detail(
                app.post(&admin, path, body).await,
                StatusCode::NOT_FOUND,
                &format!("Account with account_id '{nobody}' not found"),
                path,
            );
        }
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(tags_count(&app).await, 2);
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_creates_links_tags_and_taglinks_for_an_account_which_then_owns_them() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (status, link) = app
            .post(
                &admin,
                "/link/",
                json!({"link": "https://admin.example/", "tag": "Given", "account_id": alice_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(link["account_id"], alice_id.as_str());
        assert_detail(
            app.post(&admin, "/tag/", json!({"tag": "given", "account_id": alice_id}))
                .await,
            StatusCode::CONFLICT,
            &format!("Tag with name given exists for account {alice_id}"),
            "the account's tag exists",
        );
        let (status, tags) = app
            .get(&admin, &format!("/tag/?tag=given&account_id={alice_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{tags}");
        let tag = tags[0].clone();
        assert_eq!(tag["tag"], "Given", "the account's existing tag");
        let (status, extra) = app
            .post(&admin, "/tag/", json!({"tag": "extra", "account_id": alice_id}))
            .await;
        assert_eq!(status, StatusCode::OK, "{extra}");
        let (status, taglink) = app
            .post(
                &admin,
                "/taglink/",
                json!({"tag_id": extra["tag_id"], "link_id": link["link_id"], "account_id": alice_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        assert_eq!(
            taglink,
            json!({"tag_id": extra["tag_id"], "link_id": link["link_id"], "account_id": alice_id})
        );
        let (_, links) = app.get(&alice, "/link/?tag=extra").await;
        assert_eq!(links, json!([link]));
        let (_, tags) = app.get(&alice, "/tag/").await;
        assert_eq!(tags, json!([tag, extra]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_lists_every_accounts_data_or_one_accounts_with_account_id() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let a = new_link(&app, &alice, "https://alice.example/", "shared").await;
        let b = new_link(&app, &bob, "https://bob.example/", "shared").await;
        let (_, a_tags) = app.get(&alice, "/tag/").await;
        let (_, b_tags) = app.get(&bob, "/tag/").await;
        assert_ne!(a_tags[0]["tag_id"], b_tags[0]["tag_id"], "one tag per account");

        let (status, all) = app.get(&admin, "/link/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(all, json!([a, b]));
        let (_, all) = app.get(&admin, "/link/?tag=shared").await;
        assert_eq!(all, json!([a, b]));
        let (_, only) = app.get(&admin, &format!("/link/?account_id={bob_id}")).await;
        assert_eq!(only, json!([b]));

        let (_, all) = app.get(&admin, "/tag/").await;
        assert_eq!(all, json!([a_tags[0], b_tags[0]]));
        let (_, all) = app.get(&admin, "/tag/?tag=SHARED").await;
        assert_eq!(all, json!([a_tags[0], b_tags[0]]));
        let (_, only) = app.get(&admin, &format!("/tag/?account_id={alice_id}")).await;
        assert_eq!(only, a_tags);

        let (_, all) = app.get(&admin, "/taglink/").await;
        assert_eq!(ids(&all, "account_id"), [alice_id.clone(), bob_id.clone()]);
        let (_, only) = app
            .get(&admin, &format!("/taglink/?account_id={alice_id}"))
            .await;
        assert_eq!(
            only,
            json!([{"tag_id": a_tags[0]["tag_id"], "link_id": a["link_id"], "account_id": alice_id}])
        );
    })
    .await;
}

// ---- /tag/ ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_tag_creates_it_and_posting_it_again_in_any_case_is_409() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let (status, tag) = app.post(&token, "/tag/", json!({"tag": " Rust "})).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        assert_has_fields(&tag, &["tag_id", "tag", "account_id", "created_at"]);
        assert_eq!(tag["tag"], "Rust", "stored trimmed");
        assert_eq!(tag["account_id"], account_id.as_str());
        assert_rfc3339_utc(&tag["created_at"], "created_at");
        for again in ["Rust", "rust", "RUST", "  rUsT"] {
            assert_detail(
                app.post(&token, "/tag/", json!({"tag": again})).await,
                StatusCode::CONFLICT,
                &format!(
                    "Tag with name {} exists for account {account_id}",
                    again.trim()
                ),
                again,
            );
        }
        assert_eq!(tags_count(&app).await, 1);
        let (status, fetched) = app
            .get(&token, &format!("/tag/{}", id(&tag, "tag_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched, tag);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_using_one_tag_name_get_a_tag_each() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let a = new_tag(&app, &alice, "News").await;
        let b = new_tag(&app, &bob, "news").await;
        assert_ne!(a["tag_id"], b["tag_id"]);
        assert_eq!(a["account_id"], alice_id.as_str());
        assert_eq!(b["account_id"], bob_id.as_str());
        assert_eq!(b["tag"], "news", "bob's own spelling");
        assert_eq!(tags_count(&app).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_tag_empty_after_trimming_too_long_or_missing_is_422_on_the_tag_field() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        for name in [String::new(), "    ".into(), "ä".repeat(256)] {
            assert_field_error(
                app.post(&token, "/tag/", json!({"tag": name})).await,
                &["body", "tag"],
                &format!("{name:?}"),
            );
        }
        assert_field_error(
            app.post(&token, "/tag/", json!({})).await,
            &["body", "tag"],
            "missing",
        );
        assert_eq!(tags_count(&app).await, 0);
        let longest = "ä".repeat(255);
        let tag = new_tag(&app, &token, &longest).await;
        assert_eq!(tag["tag"], longest.as_str(), "255 characters are fine");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getting_or_deleting_an_unknown_tag_is_404_tag_not_found() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        new_tag(&app, &token, "t").await;
        let unknown = unknown_id();
        let path = format!("/tag/{unknown}");
        let message = format!("Tag with tag_id {unknown} not found");
        for caller in [&token, &admin] {
            assert_detail(
                app.get(caller, &path).await,
                StatusCode::NOT_FOUND,
                &message,
                "get",
            );
            assert_detail(
                app.delete(caller, &path).await,
                StatusCode::NOT_FOUND,
                &message,
                "delete",
            );
        }
        assert_eq!(tags_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_tags_by_name_finds_the_tag_whatever_the_case() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let rust = new_tag(&app, &token, "Rust").await;
        let go = new_tag(&app, &token, "Go").await;
        for (path, expected) in [
            ("/tag/", json!([rust, go])),
            ("/tag/?tag=RUST", json!([rust])),
            ("/tag/?tag=rust", json!([rust])),
            ("/tag/?tag=Rust", json!([rust])),
            ("/tag/?tag=go", json!([go])),
            ("/tag/?tag=Ru", json!([])),
            ("/tag/?tag=python", json!([])),
        ] {
            let (status, tags) = app.get(&token, path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {tags}");
            assert_eq!(tags, expected, "{path}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_tag_answers_ok_and_removes_its_taglinks_but_keeps_the_links() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let first = new_link(&app, &token, "https://one.example/", "doomed").await;
        let second = new_link(&app, &token, "https://two.example/", "doomed").await;
        let other = new_link(&app, &token, "https://three.example/", "kept").await;
        let (_, doomed) = app.get(&token, "/tag/?tag=doomed").await;
        let doomed = doomed[0].clone();
        assert_eq!(taglinks_count(&app).await, 3);

        let path = format!("/tag/{}", id(&doomed, "tag_id"));
        let (status, deleted) = app.delete(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"));
        assert_eq!(tags_count(&app).await, 1);
        assert_eq!(taglinks_count(&app).await, 1);
        assert_eq!(links_count(&app).await, 3, "the links stay");
        let (_, links) = app.get(&token, "/link/").await;
        assert_eq!(links, json!([first, second, other]));
        let (_, tagged) = app.get(&token, "/link/?tag=doomed").await;
        assert_eq!(tagged, json!([]));
        let message = format!("Tag with tag_id {} not found", id(&doomed, "tag_id"));
        assert_detail(
            app.get(&token, &path).await,
            StatusCode::NOT_FOUND,
            &message,
            "get after delete",
        );
        assert_detail(
            app.delete(&token, &path).await,
            StatusCode::NOT_FOUND,
            &message,
            "second delete",
        );
        // The name is free again: a new tag of that name is a new tag.
        let again = new_tag(&app, &token, "Doomed").await;
        assert_ne!(again["tag_id"], doomed["tag_id"]);
        assert_eq!(again["tag"], "Doomed");
    })
    .await;
}

// ---- /taglink/ --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_taglink_links_an_existing_tag_and_link_and_repeating_it_is_409() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "first").await;
        let second = new_tag(&app, &token, "second").await;
        let body = json!({"tag_id": second["tag_id"], "link_id": link["link_id"]});
        let expected = json!({
            "tag_id": second["tag_id"],
            "link_id": link["link_id"],
            "account_id": account_id,
        });
        let (status, taglink) = app.post(&token, "/taglink/", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        assert_eq!(taglink, expected);
        assert_eq!(taglinks_count(&app).await, 2);
        let exists = format!(
            "TagLink with tag_id {} and link_id {} exists",
            id(&second, "tag_id"),
            id(&link, "link_id")
        );
        for attempt in ["repeated", "again"] {
            assert_detail(
                app.post(&token, "/taglink/", body.clone()).await,
                StatusCode::CONFLICT,
                &exists,
                attempt,
            );
            assert_eq!(taglinks_count(&app).await, 2, "{attempt}: one row per pair");
        }
        let (_, links) = app.get(&token, "/link/?tag=second").await;
        assert_eq!(links, json!([link]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_taglink_with_an_unknown_tag_or_link_is_422_naming_which_tag_first() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t").await;
        let tag = new_tag(&app, &token, "u").await;
        let (no_tag, no_link) = (unknown_id(), unknown_id());
        let tag_missing = format!("Tag with tag_id {no_tag} not found for account_id {account_id}");
        assert_detail(
            app.post(
                &token,
                "/taglink/",
                json!({"tag_id": no_tag, "link_id": link["link_id"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &tag_missing,
            "unknown tag",
        );
        assert_detail(
            app.post(
                &token,
                "/taglink/",
                json!({"tag_id": tag["tag_id"], "link_id": no_link}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Link with link_id {no_link} not found for account_id {account_id}"),
            "unknown link",
        );
        assert_detail(
            app.post(
                &token,
                "/taglink/",
                json!({"tag_id": no_tag, "link_id": no_link}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &tag_missing,
            "both unknown: the tag is named",
        );
        assert_eq!(taglinks_count(&app).await, 1);
        for (body, field) in [
            (json!({"link_id": link["link_id"]}), "tag_id"),
            (json!({"tag_id": tag["tag_id"]}), "link_id"),
        ] {
            assert_field_error(
                app.post(&token, "/taglink/", body).await,
                &["body", field],
                field,
            );
        }
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_taglinks_filters_by_link_id_tag_id_or_both() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (me, token) = app.create_account(&admin, "a@example.com").await;
        let l1 = new_link(&app, &token, "https://one.example/", "a").await;
        let l2 = new_link(&app, &token, "https://two.example/", "b").await;
        let (_, tags) = app.get(&token, "/tag/").await;
        let (a, b) = (id(&tags[0], "tag_id"), id(&tags[1], "tag_id"));
        let (status, _) = app
            .post(
                &token,
                "/taglink/",
                json!({"tag_id": b, "link_id": l1["link_id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (l1, l2) = (id(&l1, "link_id"), id(&l2, "link_id"));
        let pair =
            |tag: &str, link: &str| json!({"tag_id": tag, "link_id": link, "account_id": me});
        for (path, expected) in [
            (
                "/taglink/".to_owned(),
                json!([pair(&a, &l1), pair(&b, &l2), pair(&b, &l1)]),
            ),
            (
                format!("/taglink/?link_id={l1}"),
                json!([pair(&a, &l1), pair(&b, &l1)]),
            ),
            (
                format!("/taglink/?tag_id={b}"),
                json!([pair(&b, &l2), pair(&b, &l1)]),
            ),
            (
                format!("/taglink/?tag_id={b}&link_id={l1}"),
                json!([pair(&b, &l1)]),
            ),
            (format!("/taglink/?tag_id={a}&link_id={l2}"), json!([])),
            (format!("/taglink/?link_id={}", unknown_id()), json!([])),
        ] {
            let (status, taglinks) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {taglinks}");
            assert_eq!(taglinks, expected, "{path}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_taglinks_without_tag_id_or_link_id_is_422_and_deletes_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (me, token) = app.create_account(&admin, "a@example.com").await;
        new_link(&app, &token, "https://example.com/", "t").await;
        for (caller, path) in [
            (&token, "/taglink/".to_owned()),
            (&token, format!("/taglink/?account_id={me}")),
            (&admin, "/taglink/".to_owned()),
            (&admin, format!("/taglink/?account_id={me}")),
        ] {
            assert_detail(
                app.delete(caller, &path).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "One or both of tag_id and link_id must be specified",
                &path,
            );
        }
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_taglinks_by_link_tag_or_both_answers_ok_and_keeps_links_and_tags() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let l1 = id(
            &new_link(&app, &token, "https://one.example/", "a").await,
            "link_id",
        );
        let l2 = id(
            &new_link(&app, &token, "https://two.example/", "a").await,
            "link_id",
        );
        let l3 = id(
            &new_link(&app, &token, "https://three.example/", "b").await,
            "link_id",
        );
        let (_, tags) = app.get(&token, "/tag/").await;
        let (a, b) = (id(&tags[0], "tag_id"), id(&tags[1], "tag_id"));
        for link in [&l1, &l2] {
            let (status, _) = app
                .post(&token, "/taglink/", json!({"tag_id": b, "link_id": link}))
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        // a: l1 l2; b: l1 l2 l3
        assert_eq!(taglinks_count(&app).await, 5);

        let (status, deleted) = app
            .delete(&token, &format!("/taglink/?tag_id={b}&link_id={l1}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 4);

        let (_, deleted) = app.delete(&token, &format!("/taglink/?link_id={l2}")).await;
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 2);

        let (_, deleted) = app.delete(&token, &format!("/taglink/?tag_id={a}")).await;
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 1);
        let (_, left) = app.get(&token, "/taglink/").await;
        assert_eq!(ids(&left, "link_id"), [l3]);

        let (status, deleted) = app.delete(&token, &format!("/taglink/?tag_id={a}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            deleted,
            json!("OK"),
            "nothing left to delete, the same answer"
        );
        assert_eq!(taglinks_count(&app).await, 1);
        assert_eq!(links_count(&app).await, 3, "links stay");
        assert_eq!(tags_count(&app).await, 2, "tags stay");
    })
    .await;
}

// ---- tenant isolation -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_see_list_or_delete_a_link_and_it_survives() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, alice) = app.create_account(&admin, "alice@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let link = new_link(&app, &alice, "https://alice.example/secret", "secret").await;
        let link_id = id(&link, "link_id");
        let path = format!("/link/{link_id}");
        let unknown = unknown_id();
        let nonexistent = app.get(&bob, &format!("/link/{unknown}")).await;
        let nonexistent = with_id_hidden(&nonexistent, &unknown);

        let answer = app.get(&bob, &path).await;
        assert_eq!(
            with_id_hidden(&answer, &link_id),
            nonexistent,
            "reading is answered as for a missing id"
        );
        assert_detail(
            answer,
            StatusCode::NOT_FOUND,
            &format!("Link with link_id {link_id} not found"),
            "get",
        );
        let answer = app.delete(&bob, &path).await;
        assert_eq!(
            with_id_hidden(&answer, &link_id),
            nonexistent,
            "deleting is answered as for a missing id"
        );
        for list in ["/link/", "/link/?tag=secret"] {
            let (status, links) = app.get(&bob, list).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(links, json!([]), "{list}");
        }
        let (_, tags) = app.get(&alice, "/tag/").await;
        let (_, links) = app
            .get(&bob, &format!("/link/?tag_id={}", id(&tags[0], "tag_id")))
            .await;
        assert_eq!(links, json!([]));

        assert_eq!(links_count(&app).await, 1);
        assert_eq!(taglinks_count(&app).await, 1);
        let (status, still) = app.get(&alice, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(still, link);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_see_list_use_or_delete_a_tag_and_it_survives() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let tag = new_tag(&app, &alice, "Secret").await;
        let tag_id = id(&tag, "tag_id");
        let path = format!("/tag/{tag_id}");
        let unknown = unknown_id();
        let nonexistent = app.get(&bob, &format!("/tag/{unknown}")).await;
        let nonexistent = with_id_hidden(&nonexistent, &unknown);

        let answer = app.get(&bob, &path).await;
        assert_eq!(
            with_id_hidden(&answer, &tag_id),
            nonexistent,
            "reading is answered as for a missing id"
        );
        assert_detail(
            answer,
            StatusCode::NOT_FOUND,
            &format!("Tag with tag_id {tag_id} not found"),
            "get",
        );
        assert_eq!(
            with_id_hidden(&app.delete(&bob, &path).await, &tag_id),
            nonexistent,
            "delete"
        );
        for list in ["/tag/", "/tag/?tag=secret"] {
            let (status, tags) = app.get(&bob, list).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(tags, json!([]), "{list}");
        }
        // Bob's link cannot carry Alice's tag, by id or through a taglink.
        assert_detail(
            app.post(
                &bob,
                "/link/",
                json!({"link": "https://bob.example/", "tag_id": tag_id}),
            )
            .await,
            StatusCode::NOT_FOUND,
            &format!("Tag with tag_id {tag_id} not found for account_id {bob_id}"),
            "link with another account's tag",
        );
        let bobs = new_link(&app, &bob, "https://bob.example/", "bobs").await;
        assert_detail(
            app.post(
                &bob,
                "/taglink/",
                json!({"tag_id": tag_id, "link_id": bobs["link_id"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Tag with tag_id {tag_id} not found for account_id {bob_id}"),
            "taglink with another account's tag",
        );
        // The same name is a new tag of Bob's own.
        let own = new_tag(&app, &bob, "secret").await;
        assert_ne!(own["tag_id"], tag["tag_id"]);

        let (status, still) = app.get(&alice, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(still, tag);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM taglinks WHERE tag_id IN (SELECT tag_id FROM tags WHERE tag = 'Secret')")
                .await,
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_see_make_or_delete_taglinks_on_foreign_data() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let alices_link = new_link(&app, &alice, "https://alice.example/", "a").await;
        let (_, alices_tags) = app.get(&alice, "/tag/").await;
        let alices_tag = alices_tags[0].clone();
        let bobs_link = new_link(&app, &bob, "https://bob.example/", "b").await;
        let (_, bobs_tags) = app.get(&bob, "/tag/").await;
        let bobs_tag = bobs_tags[0].clone();

        for path in [
            "/taglink/".to_owned(),
            format!("/taglink/?link_id={}", id(&alices_link, "link_id")),
            format!("/taglink/?tag_id={}", id(&alices_tag, "tag_id")),
        ] {
            let (status, taglinks) = app.get(&bob, &path).await;
            assert_eq!(status, StatusCode::OK);
            let expected = if path == "/taglink/" {
                vec![id(&bobs_link, "link_id")]
            } else {
                vec![]
            };
            assert_eq!(ids(&taglinks, "link_id"), expected, "{path}");
        }
        assert_detail(
            app.post(
                &bob,
                "/taglink/",
                json!({"tag_id": alices_tag["tag_id"], "link_id": bobs_link["link_id"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "Tag with tag_id {} not found for account_id {bob_id}",
                id(&alices_tag, "tag_id")
            ),
            "foreign tag",
        );
        assert_detail(
            app.post(
                &bob,
                "/taglink/",
                json!({"tag_id": bobs_tag["tag_id"], "link_id": alices_link["link_id"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "Link with link_id {} not found for account_id {bob_id}",
                id(&alices_link, "link_id")
            ),
            "foreign link",
        );
        for path in [
            format!("/taglink/?link_id={}", id(&alices_link, "link_id")),
            format!("/taglink/?tag_id={}", id(&alices_tag, "tag_id")),
            format!(
                "/taglink/?tag_id={}&link_id={}",
                id(&alices_tag, "tag_id"),
                id(&alices_link, "link_id")
            ),
        ] {
            let (status, deleted) = app.delete(&bob, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {deleted}");
            assert_eq!(deleted, json!("OK"), "{path}");
        }
        assert_eq!(taglinks_count(&app).await, 2);
        let (_, still) = app.get(&alice, "/taglink/").await;
        assert_eq!(ids(&still, "link_id"), [id(&alices_link, "link_id")]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_reads_links_and_deletes_any_accounts_links_tags_and_taglinks() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (bob_id, bob) = app.create_account(&admin, "bob@example.com").await;
        let a1 = new_link(&app, &alice, "https://alice.example/1", "x").await;
        let a2 = new_link(&app, &alice, "https://alice.example/2", "y").await;
        let b1 = new_link(&app, &bob, "https://bob.example/1", "x").await;
        let (_, a_tags) = app.get(&alice, "/tag/").await;

        let (status, got) = app
            .get(&admin, &format!("/link/{}", id(&a1, "link_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, a1);
        let (status, got) = app
            .get(&admin, &format!("/tag/{}", id(&a_tags[0], "tag_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, a_tags[0]);

        // A taglink of Alice's, through the admin, and deleted again within her account only.
        let (status, taglink) = app
            .post(
                &admin,
                "/taglink/",
                json!({"tag_id": a_tags[0]["tag_id"], "link_id": a2["link_id"], "account_id": alice_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        let (_, deleted) = app
            .delete(
                &admin,
                &format!("/taglink/?link_id={}&account_id={bob_id}", id(&a2, "link_id")),
            )
            .await;
        assert_eq!(deleted, json!("OK"), "not Bob's taglinks");
        assert_eq!(taglinks_count(&app).await, 4);
        let (status, deleted) = app
            .delete(
                &admin,
                &format!("/taglink/?tag_id={}&link_id={}", id(&a_tags[0], "tag_id"), id(&a2, "link_id")),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 3);

        let (status, deleted) = app
            .delete(&admin, &format!("/link/{}", id(&a1, "link_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        let (status, deleted) = app
            .delete(&admin, &format!("/tag/{}", id(&a_tags[1], "tag_id")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));

        let (_, left) = app.get(&alice, "/link/").await;
        assert_eq!(left, json!([a2]));
        let (_, left) = app.get(&alice, "/taglink/").await;
        assert_eq!(left, json!([]), "a1's and tag y's taglinks went with them");
        let (_, bobs) = app.get(&bob, "/link/?tag=x").await;
        assert_eq!(bobs, json!([b1]), "Bob's data is untouched");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cannot_join_one_accounts_tag_or_link_with_another_accounts() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (alice_id, alice) = app.create_account(&admin, "alice@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let alices_link = new_link(&app, &alice, "https://alice.example/", "a").await;
        let bobs_link = new_link(&app, &bob, "https://bob.example/", "b").await;
        let (_, bobs_tags) = app.get(&bob, "/tag/").await;
        let (_, alices_tags) = app.get(&alice, "/tag/").await;
        assert_detail(
            app.post(
                &admin,
                "/link/",
                json!({"link": "https://x.example/", "tag_id": bobs_tags[0]["tag_id"], "account_id": alice_id}),
            )
            .await,
            StatusCode::NOT_FOUND,
            &format!(
                "Tag with tag_id {} not found for account_id {alice_id}",
                id(&bobs_tags[0], "tag_id")
            ),
            "link in Alice's account with Bob's tag",
        );
        assert_detail(
            app.post(
                &admin,
                "/taglink/",
                json!({"tag_id": bobs_tags[0]["tag_id"], "link_id": alices_link["link_id"], "account_id": alice_id}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "Tag with tag_id {} not found for account_id {alice_id}",
                id(&bobs_tags[0], "tag_id")
            ),
            "Bob's tag on Alice's link",
        );
        assert_detail(
            app.post(
                &admin,
                "/taglink/",
                json!({"tag_id": alices_tags[0]["tag_id"], "link_id": bobs_link["link_id"], "account_id": alice_id}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "Link with link_id {} not found for account_id {alice_id}",
                id(&bobs_link, "link_id")
            ),
            "Alice's tag on Bob's link",
        );
        assert_eq!(links_count(&app).await, 2);
        assert_eq!(taglinks_count(&app).await, 2);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM taglinks tl JOIN links l ON l.link_id = tl.link_id JOIN tags t ON t.tag_id = tl.tag_id WHERE tl.account_id = l.account_id AND tl.account_id = t.account_id")
                .await,
            2,
            "every taglink joins a tag and a link of its own account"
        );
    })
    .await;
}

// ---- pagination -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_page_through_offset_and_limit_in_creation_order() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let mut created = Vec::new();
        for i in 0..5 {
            let link = new_link(&app, &token, &format!("https://example.com/{i}"), "p").await;
            created.push(id(&link, "link_id"));
        }
        let mut pages = Vec::new();
        for offset in [0, 2, 4] {
            let (status, page) = app
                .get(&token, &format!("/link/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages.push(ids(&page, "link_id"));
        }
        assert_eq!(
            pages,
            [
                created[0..2].to_vec(),
                created[2..4].to_vec(),
                created[4..5].to_vec()
            ]
        );
        let (_, rest) = app.get(&token, "/link/?offset=5&limit=2").await;
        assert_eq!(rest, json!([]));
        let (_, middle) = app.get(&token, "/link/?offset=1&limit=3&tag=p").await;
        assert_eq!(ids(&middle, "link_id"), created[1..4]);
        let (_, first) = app.get(&token, "/link/?limit=1").await;
        assert_eq!(ids(&first, "link_id"), created[0..1]);
        let (_, skipped) = app.get(&token, "/link/?offset=3").await;
        assert_eq!(ids(&skipped, "link_id"), created[3..5]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_taglinks_page_through_offset_and_limit_in_creation_order() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t0").await;
        let mut tags = vec![id(&app.get(&token, "/tag/").await.1[0], "tag_id")];
        for i in 1..5 {
            let tag = new_tag(&app, &token, &format!("t{i}")).await;
            let (status, _) = app
                .post(
                    &token,
                    "/taglink/",
                    json!({"tag_id": tag["tag_id"], "link_id": link["link_id"]}),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            tags.push(id(&tag, "tag_id"));
        }
        let mut tag_pages = Vec::new();
        let mut taglink_pages = Vec::new();
        for offset in [0, 2, 4] {
            let (status, page) = app
                .get(&token, &format!("/tag/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            tag_pages.push(ids(&page, "tag_id"));
            let (status, page) = app
                .get(&token, &format!("/taglink/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            taglink_pages.push(ids(&page, "tag_id"));
        }
        let expected = [
            tags[0..2].to_vec(),
            tags[2..4].to_vec(),
            tags[4..5].to_vec(),
        ];
        assert_eq!(tag_pages, expected);
        assert_eq!(taglink_pages, expected);
        for path in ["/tag/?offset=5", "/taglink/?offset=5&limit=1000"] {
            let (status, rest) = app.get(&token, path).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(rest, json!([]), "{path}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_return_at_most_100_rows_unless_a_limit_is_given() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        for i in 0..101 {
            new_tag(&app, &token, &format!("tag {i:03}")).await;
        }
        let (_, page) = app.get(&token, "/tag/").await;
        let names: Vec<&str> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tag"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 100);
        assert_eq!((names[0], names[99]), ("tag 000", "tag 099"));
        let (_, all) = app.get(&token, "/tag/?limit=1000").await;
        assert_eq!(all.as_array().unwrap().len(), 101);
        let (_, last) = app.get(&token, "/tag/?offset=100").await;
        assert_eq!(last[0]["tag"], "tag 100");
        assert_eq!(last.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_or_limit_out_of_range_or_not_a_number_is_422_naming_the_parameter() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        new_link(&app, &token, "https://example.com/", "t").await;
        for list in ["/link/", "/tag/", "/taglink/"] {
            for (query, field) in [
                ("limit=0", "limit"),
                ("limit=-1", "limit"),
                ("limit=1001", "limit"),
                ("limit=abc", "limit"),
                ("limit=1.5", "limit"),
                ("offset=-1", "offset"),
                ("offset=abc", "offset"),
                ("offset=-1&limit=5", "offset"),
                ("offset=0&limit=1001", "limit"),
            ] {
                let path = format!("{list}?{query}");
                assert_field_error(app.get(&token, &path).await, &["query", field], &path);
            }
            for query in ["limit=1", "limit=1000", "offset=0", "offset=1000000"] {
                let path = format!("{list}?{query}");
                let (status, body) = app.get(&token, &path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                assert!(body.is_array(), "{path}: {body}");
            }
        }
        // Both out of range: one entry for each.
        let (status, body) = app.get(&token, "/link/?offset=-1&limit=0").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let locs: Vec<&Value> = body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["loc"])
            .collect();
        assert_eq!(
            locs,
            [&json!(["query", "offset"]), &json!(["query", "limit"])]
        );
    })
    .await;
}

// ---- paths ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_path_is_served_with_and_without_the_trailing_slash() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let (status, link) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://example.com/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let (status, tag) = app.post(&token, "/tag", json!({"tag": "u"})).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        let (link_id, tag_id) = (id(&link, "link_id"), id(&tag, "tag_id"));
        let (status, taglink) = app
            .post(
                &token,
                "/taglink",
                json!({"tag_id": tag_id, "link_id": link_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        for (path, expected) in [
            ("/link".to_owned(), json!([link])),
            ("/link/".to_owned(), json!([link])),
            (format!("/link/{link_id}"), link.clone()),
            (format!("/link/{link_id}/"), link.clone()),
            ("/tag?tag=u".to_owned(), json!([tag])),
            ("/tag/?tag=u".to_owned(), json!([tag])),
            (format!("/tag/{tag_id}"), tag.clone()),
            (format!("/tag/{tag_id}/"), tag.clone()),
            (format!("/taglink?tag_id={tag_id}"), json!([taglink])),
            (format!("/taglink/?tag_id={tag_id}"), json!([taglink])),
        ] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, expected, "{path}");
        }
        let (status, deleted) = app
            .delete(&token, &format!("/taglink?tag_id={tag_id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 1, "only the link's own tag");
        let (status, deleted) = app.delete(&token, &format!("/tag/{tag_id}/")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        let (status, deleted) = app.delete(&token, &format!("/link/{link_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        assert_eq!(links_count(&app).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_endpoint_needs_a_valid_token_and_stores_nothing_without_one() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t").await;
        let link_id = id(&link, "link_id");
        let requests = [
            (Method::GET, "/link/".to_owned(), None),
            (
                Method::POST,
                "/link/".to_owned(),
                Some(json!({"link": "https://x.example/", "tag": "t"})),
            ),
            (Method::GET, format!("/link/{link_id}"), None),
            (Method::DELETE, format!("/link/{link_id}"), None),
            (Method::GET, "/tag/".to_owned(), None),
            (
                Method::POST,
                "/tag/".to_owned(),
                Some(json!({"tag": "new"})),
            ),
            (Method::GET, format!("/tag/{}", unknown_id()), None),
            (Method::DELETE, format!("/tag/{}", unknown_id()), None),
            (Method::GET, "/taglink/".to_owned(), None),
            (
                Method::POST,
                "/taglink/".to_owned(),
                Some(json!({"tag_id": "x", "link_id": link_id})),
            ),
            (Method::DELETE, format!("/taglink/?link_id={link_id}"), None),
        ];
        for (method, path, body) in requests {
            for (bearer, message) in [
                (None, "Not authenticated"),
                (Some("not-a-token"), "Could not validate credentials"),
            ] {
                let answer = app.send(method.clone(), &path, bearer, body.clone()).await;
                assert_detail(
                    answer,
                    StatusCode::UNAUTHORIZED,
                    message,
                    &format!("{method} {path} with {bearer:?}"),
                );
            }
        }
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(tags_count(&app).await, 1);
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}
