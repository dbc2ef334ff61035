//! `POST /link/bulk/`: tags added and removed, flags set, or links deleted, for many links of
//! one account in one transaction.

mod common;

use common::for_each_engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn new_link(app: &common::TestApp, token: &str, url: &str, tag: &str) -> String {
    let (status, body) = app
        .post(token, "/link/", json!({"link": url, "tag": tag}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["link_id"].as_str().unwrap().to_owned()
}

async fn tags_of(app: &common::TestApp, token: &str, link_id: &str) -> Vec<String> {
    let (_, taglinks) = app
        .get(token, &format!("/taglink/?link_id={link_id}"))
        .await;
    let (_, tags) = app.get(token, "/tag/?limit=1000").await;
    let mut names: Vec<String> = taglinks
        .as_array()
        .unwrap()
        .iter()
        .map(|tl| {
            let tag = tags
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["tag_id"] == tl["tag_id"])
                .unwrap();
            tag["tag"].as_str().unwrap().to_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn bulk_edits_tags_and_flags_and_counts_what_changed() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let a = new_link(&app, &ann, "https://a.example/", "old").await;
        let b = new_link(&app, &ann, "https://b.example/", "keep").await;
        let c = new_link(&app, &ann, "https://c.example/", "old").await;
        let bobs = new_link(&app, &bob, "https://bob.example/", "old").await;

        // Add a new and an existing tag (other spelling), remove one: a and c change (b already
        // had "keep" but gains "New"); Bob's link and an unknown id are not matched.
        let (status, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b, c, bobs, "nope", a],
                       "add_tags": ["New", "KEEP"], "remove_tags": ["old"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 3, "changed": 3}));
        assert_eq!(tags_of(&app, &ann, &a).await, vec!["New", "keep"]);
        assert_eq!(tags_of(&app, &ann, &b).await, vec!["New", "keep"]);
        assert_eq!(tags_of(&app, &ann, &c).await, vec!["New", "keep"]);
        assert_eq!(tags_of(&app, &bob, &bobs).await, vec!["old"]);

        // The same again changes nothing.
        let (_, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b, c], "add_tags": ["new"], "remove_tags": ["old"]}),
            )
            .await;
        assert_eq!(body, json!({"matched": 3, "changed": 0}));

        // Flags: only the links whose flags differ count; updated_at moves for those.
        let (_, before) = app.get(&ann, &format!("/link/{b}")).await;
        app.send(
            reqwest::Method::PATCH,
            &format!("/link/{a}"),
            Some(&ann),
            Some(json!({"unread": true})),
        )
        .await;
        let (_, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b, c], "set": {"unread": true}}),
            )
            .await;
        assert_eq!(body, json!({"matched": 3, "changed": 2}));
        let (_, unread) = app.get(&ann, "/link/?unread=true").await;
        assert_eq!(unread.as_array().unwrap().len(), 3);
        let (_, after) = app.get(&ann, &format!("/link/{b}")).await;
        assert_ne!(before["updated_at"], after["updated_at"]);
        let (_, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, c], "set": {"unread": false, "favorite": true}}),
            )
            .await;
        assert_eq!(body, json!({"matched": 2, "changed": 2}));
        let (_, favs) = app.get(&ann, "/link/?favorite=true&unread=false").await;
        let favs: Vec<&Value> = favs
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["link_id"])
            .collect();
        assert_eq!(favs, vec![&json!(a), &json!(c)]);

        // The admin names the account; without it, 422.
        let (status, _) = app
            .post(
                &admin,
                "/link/bulk/",
                json!({"link_ids": [a], "set": {"favorite": false}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = app
            .post(
                &admin,
                "/link/bulk/",
                json!({"link_ids": [a, bobs], "set": {"favorite": false}, "account_id": ann_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 1, "changed": 1}));
        // An account naming another account: 422, as everywhere.
        let (status, _) = app
            .post(
                &bob,
                "/link/bulk/",
                json!({"link_ids": [a], "delete": true, "account_id": ann_id}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn bulk_deletes_only_the_callers_links() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let a = new_link(&app, &ann, "https://a.example/", "t").await;
        let b = new_link(&app, &ann, "https://b.example/", "t").await;
        let kept = new_link(&app, &ann, "https://kept.example/", "t").await;
        let bobs = new_link(&app, &bob, "https://bob.example/", "t").await;

        let (status, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b, bobs], "delete": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 2, "changed": 2}));
        let (_, list) = app.get(&ann, "/link/").await;
        let ids: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["link_id"])
            .collect();
        assert_eq!(ids, vec![&json!(kept)]);
        let (_, taglinks) = app.get(&ann, &format!("/taglink/?link_id={a}")).await;
        assert_eq!(taglinks, json!([]));
        let (status, _) = app.get(&bob, &format!("/link/{bobs}")).await;
        assert_eq!(status, StatusCode::OK);
        // The tag stays.
        let (_, tags) = app.get(&ann, "/tag/?tag=t").await;
        assert_eq!(tags.as_array().unwrap().len(), 1);
        // Deleted ids no longer match.
        let (_, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b], "delete": true}),
            )
            .await;
        assert_eq!(body, json!({"matched": 0, "changed": 0}));
    })
    .await;
}

#[tokio::test]
async fn bulk_input_is_checked_before_anything_changes() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        let a = new_link(&app, &ann, "https://a.example/", "t").await;
        let too_many: Vec<String> = (0..1001).map(|i| format!("id-{i}")).collect();
        for body in [
            json!({"link_ids": too_many}),
            json!({"link_ids": [a], "add_tags": [""]}),
            json!({"link_ids": [a], "add_tags": ["x"], "remove_tags": ["X"]}),
            json!({"link_ids": [a], "delete": true, "set": {"unread": true}}),
            json!({"link_ids": [a], "set": {"unread": "yes"}}),
            json!({"link_ids": [a], "set": {"archived": true}}),
            json!({"link_ids": a}),
            json!({"add_tags": ["x"]}),
        ] {
            let (status, answer) = app.post(&ann, "/link/bulk/", body.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body} -> {answer}"
            );
            assert!(answer["detail"].is_array(), "{answer}");
        }
        assert_eq!(tags_of(&app, &ann, &a).await, vec!["t"]);
        // 1000 ids is the limit, and an edit of nothing is fine.
        let mut ids: Vec<String> = (0..999).map(|i| format!("id-{i}")).collect();
        ids.push(a.clone());
        let (status, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": ids, "add_tags": ["many"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 1, "changed": 1}));
        let (_, body) = app.post(&ann, "/link/bulk/", json!({"link_ids": []})).await;
        assert_eq!(body, json!({"matched": 0, "changed": 0}));
    })
    .await;
}

#[tokio::test]
async fn a_bulk_edit_of_many_links_is_one_transaction() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        // 300 links at once, through the import.
        let mut html = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
        for i in 0..300 {
            html.push_str(&format!(
                "<DT><A HREF=\"https://many.example/{i}\" ADD_DATE=\"{}\" TAGS=\"bulk\">{i}</A>\n",
                1_600_000_000 + i
            ));
        }
        html.push_str("</DL><p>\n");
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&ann)
            .header("Content-Type", "text/html")
            .body(html)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, list) = app.get(&ann, "/link/?limit=1000").await;
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["link_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 300);
        let (status, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": ids, "add_tags": ["one", "two"], "remove_tags": ["bulk"],
                       "set": {"favorite": true}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 300, "changed": 300}));
        for tag in ["one", "two"] {
            let response = app
                .client
                .get(app.url(&format!("/link/?tag={tag}&favorite=true&limit=1")))
                .bearer_auth(&ann)
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers()["x-total-count"], "300");
        }
        let (_, with_bulk) = app.get(&ann, "/link/?tag=bulk").await;
        assert_eq!(with_bulk, json!([]));
    })
    .await;
}
