//! PATCH /account/{account_id}: email and password changes, and what they revoke.
mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn patch(
    app: &TestApp,
    token: &str,
    id: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    app.send(
        Method::PATCH,
        &format!("/account/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_revokes_earlier_tokens_and_the_new_password_works() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (id, old_token) = app.create_account(&admin, "pw@example.com").await;
        let (status, body) = patch(
            &app,
            &old_token,
            &id,
            json!({"password": "brand-new-password"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["account_id"], id.as_str());
        assert!(body.get("password").is_none(), "{body}");
        assert_eq!(
            body["hashed_password"], "**********",
            "a mask, never the hash"
        );
        let (status, body) = app.get(&old_token, "/link/").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], "Could not validate credentials");
        let response = app.login("pw@example.com", "password-123", None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let new_token = app
            .token("pw@example.com", "brand-new-password", "account")
            .await;
        let (status, _) = app.get(&new_token, "/link/").await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_changes_an_accounts_email_and_it_logs_in_with_the_new_one() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (id, token) = app.create_account(&admin, "old@example.com").await;
        let (status, body) = patch(&app, &admin, &id, json!({"email": "New@Example.com"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["email"], "New@Example.com");
        // An email change alone does not revoke tokens.
        let (status, _) = app.get(&token, "/link/").await;
        assert_eq!(status, StatusCode::OK);
        app.token("new@example.com", "password-123", "account")
            .await;
        assert_eq!(
            app.login("old@example.com", "password-123", None)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_cannot_change_another_account() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (victim, _) = app.create_account(&admin, "victim@example.com").await;
        let (_, attacker) = app.create_account(&admin, "attacker@example.com").await;
        let (status, body) = patch(
            &app,
            &attacker,
            &victim,
            json!({"password": "hijacked-password"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body["detail"],
            format!("Account with account_id '{victim}' not found")
        );
        app.token("victim@example.com", "password-123", "account")
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_changes_are_refused_and_change_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (id, token) = app.create_account(&admin, "keep@example.com").await;
        app.create_account(&admin, "taken@example.com").await;
        let (status, _) = patch(&app, &token, &id, json!({"email": "TAKEN@example.com"})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = patch(&app, &token, &id, json!({"password": "short"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["body", "password"]));
        let (status, body) = patch(&app, &token, &id, json!({"email": "not-an-email"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["body", "email"]));
        let (status, body) = patch(&app, &token, &id, json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["detail"],
            "One or both of email and password must be specified"
        );
        let (status, _) = patch(
            &app,
            &admin,
            "no-such-account",
            json!({"email": "x@example.com"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Still the same account, same password, same token.
        let (status, me) = app.get(&token, &format!("/account/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["email"], "keep@example.com");
        app.token("keep@example.com", "password-123", "account")
            .await;
    })
    .await;
}
