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
