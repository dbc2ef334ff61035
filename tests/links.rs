//! `/link/` as API.md describes it: what creating a link stores (with its tag and taglink),
//! what is refused, and getting, listing and deleting links.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_link_with_a_new_tag_name_creates_the_link_the_tag_and_their_taglink() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "a@example.com").await;
        let link = post_ok(
            &app,
            &token,
            "/link/",
            json!({"link": "https://www.rust-lang.org/learn", "tag": "Rust"}),
        )
        .await;
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
        let link = post_ok(
            &app,
            &token,
            "/link/",
            json!({"link": "https://example.com/article", "tag_id": tag_id}),
        )
        .await;
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
        assert_get_and_delete_not_found(&app, &[&token, &admin], &path, &message).await;
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
