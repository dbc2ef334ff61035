//! Login abuse: repeated failures are answered 429 with Retry-After, per username and per
//! client address, without blocking other users.
mod common;

use common::*;
use reqwest::StatusCode;

async fn login_from(
    app: &TestApp,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/token/"))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_that_failed_too_often_is_answered_429_and_others_still_log_in() {
    for_each_engine_with(
        |config| {
            config.login_max_failures = 3;
            config.login_window_seconds = 60;
        },
        |app| async move {
            let admin = app.admin_token().await;
            app.create_account(&admin, "target@example.com").await;
            app.create_account(&admin, "bystander@example.com").await;
            for _ in 0..3 {
                let r = app
                    .login("target@example.com", "wrong-password", None)
                    .await;
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            }
            // Now even the right password waits: that is what stops guessing.
            let r = app.login("TARGET@example.com", "password-123", None).await;
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(body["detail"].as_str().unwrap().contains("Too many"));
            // Someone else from the same address is not blocked by it.
            app.token("bystander@example.com", "password-123", "account")
                .await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_failed_too_often_is_blocked_behind_a_trusted_proxy_only_that_address() {
    for_each_engine_with(
        |config| {
            config.login_max_failures = 2; // 8 per address
            config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        },
        |app| async move {
            let admin = app.admin_token().await;
            app.create_account(&admin, "good@example.com").await;
            for i in 0..8 {
                let r = login_from(
                    &app,
                    "203.0.113.7",
                    &format!("guess{i}@example.com"),
                    "nope-nope",
                )
                .await;
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            }
            let r = login_from(&app, "203.0.113.7", "good@example.com", "password-123").await;
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(r.headers().contains_key("retry-after"));
            let r = login_from(&app, "198.51.100.4", "good@example.com", "password-123").await;
            assert_eq!(r.status(), StatusCode::OK);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    for_each_engine_with(
        |config| config.login_max_failures = 2,
        |app| async move {
            // Changing X-Forwarded-For does not give an attacker fresh addresses.
            for i in 0..8 {
                let r = login_from(
                    &app,
                    &format!("192.0.2.{i}"),
                    &format!("guess{i}@example.com"),
                    "nope-nope",
                )
                .await;
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            }
            let r = login_from(&app, "192.0.2.200", "other@example.com", "nope-nope").await;
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        },
    )
    .await;
}
