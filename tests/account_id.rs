//! The `account_id` rule of API.md on `/link/`, `/tag/` and `/taglink/`: an account may name
//! only itself, the admin must name an existing account and then acts for it.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

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
        let link = post_ok(
            &app,
            &token,
            "/link/",
            json!({"link": "https://example.com/", "tag": "mine", "account_id": me}),
        )
        .await;
        assert_eq!(link["account_id"], me.as_str());
        let tag = post_ok(
            &app,
            &token,
            "/tag/",
            json!({"tag": "other", "account_id": me}),
        )
        .await;
        assert_eq!(tag["account_id"], me.as_str());
        let taglink = post_ok(
            &app,
            &token,
            "/taglink/",
            json!({"tag_id": tag["tag_id"], "link_id": link["link_id"], "account_id": me}),
        )
        .await;
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
        let link = post_ok(
            &app,
            &admin,
            "/link/",
            json!({"link": "https://admin.example/", "tag": "Given", "account_id": alice_id}),
        )
        .await;
        assert_eq!(link["account_id"], alice_id.as_str());
        assert_detail(
            app.post(
                &admin,
                "/tag/",
                json!({"tag": "given", "account_id": alice_id}),
            )
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
        let extra = post_ok(
            &app,
            &admin,
            "/tag/",
            json!({"tag": "extra", "account_id": alice_id}),
        )
        .await;
        let taglink = post_ok(
            &app,
            &admin,
            "/taglink/",
            json!({"tag_id": extra["tag_id"], "link_id": link["link_id"], "account_id": alice_id}),
        )
        .await;
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
