mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_created_by_an_account_is_listed_under_its_tag() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "smoke@example.com").await;
        let (status, link) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://example.com/", "tag": "Rust"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(link["account_id"], account_id.as_str());
        let (status, links) = app.get(&token, "/link/?tag=rust").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(links, json!([link]));
        assert_eq!(app.count("SELECT COUNT(*) FROM taglinks").await, 1);
    })
    .await;
}

/// `TAGMARK_SQLITE_READERS` above one: concurrent reads and writes all answer, and every write
/// is seen by the reads that follow it, whichever reader takes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sqlite_readers_answer_concurrent_requests_and_see_every_write() {
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.sqlite_readers = Some(2);
    let app = std::sync::Arc::new(TestApp::start(config).await);
    let admin = app.admin_token().await;
    let (_, token) = app.create_account(&admin, "readers@example.com").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (app, token) = (app.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let url = format!("https://example.com/{i}");
            let (status, link) = app
                .post(&token, "/link/", json!({"link": url, "tag": "t"}))
                .await;
            assert_eq!(status, StatusCode::OK, "{link}");
            let id = link["link_id"].as_str().expect("an id").to_owned();
            for _ in 0..5 {
                let (status, read) = app.get(&token, &format!("/link/{id}")).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(read["link"], url.as_str());
            }
        }));
    }
    for task in tasks {
        task.await.expect("no task panicked");
    }
    let (_, listed) = app.get(&token, "/link/?tag=t&limit=100").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(16));
    assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 16);
}
