//! Several servers on one database, as behind a load balancer.
mod common;

use common::features::join_all;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Two servers on one fresh database of each engine, with no configured secret (so the
/// generated one must be shared through the database).
async fn for_each_engine_two_servers<F, Fut>(scenario: F)
where
    F: Fn(TestApp, TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        let mut config = test_config(&db.url);
        config.secret_key = None;
        // Both start at once: the secret and the bootstrap admin must be created exactly once.
        let (one, two) = tokio::join!(TestApp::start(config.clone()), TestApp::start(config));
        scenario(one, two).await;
        db.drop_db().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_one_server_works_on_the_other() {
    for_each_engine_two_servers(|one, two| async move {
        let admin = one.admin_token().await;
        let (status, accounts) = two.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK, "{accounts}");
        assert_eq!(one.count("SELECT COUNT(*) FROM settings").await, 1);
        assert_eq!(one.count("SELECT COUNT(*) FROM users").await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_written_through_one_server_is_read_through_the_other() {
    for_each_engine_two_servers(|one, two| async move {
        let admin = one.admin_token().await;
        let (_, token) = one.create_account(&admin, "both@example.com").await;
        let (status, link) = one
            .post(
                &token,
                "/link/",
                json!({"link": "https://example.com/x", "tag": "shared"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let path = format!("/link/{}", link["link_id"].as_str().unwrap());
        let (status, read) = two.get(&token, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read, link);
        let (status, deleted) = two.delete(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        let (status, _) = one.get(&token, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creation_of_one_tag_through_both_servers_yields_one_tag() {
    for_each_engine_two_servers(|one, two| async move {
        let admin = one.admin_token().await;
        let (account_id, token) = one.create_account(&admin, "race@example.com").await;
        let names = ["Race", "race", "RACE", "rAcE"];
        let mut requests = Vec::new();
        for i in 0..24 {
            let app = if i % 2 == 0 { &one } else { &two };
            let name = names[i % names.len()];
            let body = if i % 3 == 0 {
                // Creating links with the tag by name races on the same tag too.
                (
                    "/link/",
                    json!({"link": format!("https://example.com/{i}"), "tag": name}),
                )
            } else {
                ("/tag/", json!({"tag": name}))
            };
            requests.push(app.post(&token, body.0, body.1));
        }
        let answers: Vec<(StatusCode, Value)> = join_all(requests).await;
        // Links reuse the tag; POST /tag/ creates it at most once, and is 409 for the others.
        let mut created = 0;
        for (i, (status, body)) in answers.iter().enumerate() {
            if i % 3 == 0 || *status == StatusCode::OK {
                assert_eq!(*status, StatusCode::OK, "{body}");
                created += usize::from(i % 3 != 0);
            } else {
                assert_eq!(*status, StatusCode::CONFLICT, "{body}");
                let name = names[i % names.len()];
                assert_eq!(
                    body["detail"],
                    format!("Tag with name {name} exists for account {account_id}")
                );
            }
        }
        assert!(created <= 1, "{answers:?}");
        let (status, tags) = two.get(&token, "/tag/").await;
        assert_eq!(status, StatusCode::OK);
        let tags = tags.as_array().unwrap();
        assert_eq!(tags.len(), 1, "{tags:?}");
        let tag_id = &tags[0]["tag_id"];
        for (_, body) in answers.iter().filter(|(_, b)| b.get("tag_id").is_some()) {
            assert_eq!(&body["tag_id"], tag_id);
        }
        assert_eq!(one.count("SELECT COUNT(*) FROM tags").await, 1);
        assert_eq!(one.count("SELECT COUNT(*) FROM taglinks").await, 8);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_links_created_at_once_with_one_existing_tag_all_succeed() {
    for_each_engine_two_servers(|one, two| async move {
        let admin = one.admin_token().await;
        let (_, token) = one.create_account(&admin, "hot@example.com").await;
        let (status, _) = one.post(&token, "/tag/", json!({"tag": "hot"})).await;
        assert_eq!(status, StatusCode::OK);
        // Once, creators of links with an existing tag deadlocked on MariaDB (each held a
        // shared lock from INSERT IGNORE and wanted an exclusive one).
        let requests: Vec<_> = (0..200)
            .map(|i| {
                let app = if i % 2 == 0 { &one } else { &two };
                app.post(
                    &token,
                    "/link/",
                    json!({"link": format!("https://example.com/hot/{i}"), "tag": "HOT"}),
                )
            })
            .collect();
        for (status, body) in join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        assert_eq!(one.count("SELECT COUNT(*) FROM links").await, 200);
        assert_eq!(one.count("SELECT COUNT(*) FROM taglinks").await, 200);
        assert_eq!(one.count("SELECT COUNT(*) FROM tags").await, 1);
    })
    .await;
}
