//! `/taglink/` as API.md describes it: joining an existing tag and link once, listing and
//! deleting by link, tag or both.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

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
        let taglink = post_ok(&app, &token, "/taglink/", body.clone()).await;
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
