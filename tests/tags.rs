//! `/tag/` as API.md describes it: creating (once per name, whatever the case), listing by
//! name, getting and deleting tags.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_tag_creates_it_and_posting_it_again_in_any_case_is_409() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let tag = post_ok(&app, &token, "/tag/", json!({"tag": " Rust "})).await;
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
        assert_get_and_delete_not_found(&app, &[&token, &admin], &path, &message).await;
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
