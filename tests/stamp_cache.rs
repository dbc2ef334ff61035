//! The security-stamp cache: authentication without a database round trip, yet revocation
//! through this server takes effect at once.
mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_through_the_server_are_immediate_despite_the_cache() {
    for_each_engine_with(
        |config| config.auth_cache_seconds = 60,
        |app| async move {
            let admin = app.admin_token().await;
            let (id, token) = app.create_account(&admin, "cached@example.com").await;
            let (status, _) = app.get(&token, "/link/").await; // now cached
            assert_eq!(status, StatusCode::OK);
            let (status, _) = app
                .send(
                    Method::PATCH,
                    &format!("/account/{id}"),
                    Some(&token),
                    Some(json!({"password": "another-password"})),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            let (status, _) = app.get(&token, "/link/").await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "password change must revoke at once"
            );

            let fresh = app
                .token("cached@example.com", "another-password", "account")
                .await;
            let (status, _) = app.get(&fresh, "/link/").await;
            assert_eq!(status, StatusCode::OK);
            let (status, _) = app.delete(&admin, &format!("/account/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            let (status, _) = app.get(&fresh, "/link/").await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "deletion must revoke at once"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_behind_the_servers_back_are_seen_once_the_cache_expires() {
    for_each_engine_with(
        |config| config.auth_cache_seconds = 3,
        |app| async move {
            let admin = app.admin_token().await;
            let (id, token) = app.create_account(&admin, "behind@example.com").await;
            let (status, _) = app.get(&token, "/link/").await;
            assert_eq!(status, StatusCode::OK);
            // Another server (here: plain SQL) replaces the stamp.
            common::db::execute(
                &app.database_url,
                &format!(
                    "UPDATE accounts SET security_stamp = 'elsewhere' WHERE account_id = '{id}'"
                ),
            )
            .await;
            // Until the entry expires the server still answers from memory: no round trip.
            let (status, _) = app.get(&token, "/link/").await;
            assert_eq!(status, StatusCode::OK);
            tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
            let (status, _) = app.get(&token, "/link/").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        },
    )
    .await;
}
