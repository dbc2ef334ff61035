//! Tenant isolation on `/link/`, `/tag/` and `/taglink/`: an account never sees, uses or deletes
//! another's data; the admin reads and deletes any, but never joins two accounts' data.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

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
