//! Personal API tokens (`tm_…`) through the API: created, listed and revoked under
//! `/account/{id}/token/`, working as Bearer tokens with the account's rights.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_tokens_act_as_their_account_until_revoked() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, ann_jwt) = app.create_account(&admin, "ann@example.com").await;
        let (bob, bob_jwt) = app.create_account(&admin, "bob@example.com").await;
        let path = format!("/account/{ann}/token/");

        let (status, created) = app
            .post(&ann_jwt, &path, json!({"name": "  backup  "}))
            .await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let secret = created["token"].as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("tm_") && secret.len() > 40, "{secret}");
        assert_eq!(created["name"], "backup");
        assert_eq!(created["read_only"], false);
        assert_eq!(created["last_used_at"], json!(null));
        let token_id = created["token_id"].as_str().expect("id").to_owned();
        // Only its hash is stored.
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{secret}'"
            ))
            .await,
            0
        );

        // It works as ann, on the whole API, and only as ann.
        let (status, link) = app
            .post(
                &secret,
                "/link/",
                json!({"link": "https://a.example/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(link["account_id"], ann.as_str());
        let (status, _) = app.get(&secret, &format!("/account/{bob}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .post(
                &secret,
                "/account/",
                json!({"email": "x@example.com", "password": "password-123"}),
            )
            .await;
        // Account scope on an admin-only endpoint: the seed's 401.
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Listed, with the time it was last used; never with the secret.
        let (status, list) = app.get(&ann_jwt, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        assert!(list[0]["last_used_at"].is_string(), "{list}");
        assert!(list[0].get("token").is_none(), "{list}");

        // Another account sees none of it; the admin manages any account's tokens.
        let (status, _) = app.get(&bob_jwt, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.post(&bob_jwt, &path, json!({"name": "mine"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.delete(&bob_jwt, &format!("{path}{token_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, reader) = app
            .post(&admin, &path, json!({"name": "reader", "read_only": true}))
            .await;
        assert_eq!(status, StatusCode::OK, "{reader}");
        let reader = reader["token"].as_str().expect("secret").to_owned();

        // Read-only: GET and HEAD only.
        let (status, _) = app.get(&reader, "/link/").await;
        assert_eq!(status, StatusCode::OK);
        let head = app
            .client
            .head(app.url("/link/"))
            .bearer_auth(&reader)
            .send()
            .await
            .expect("head");
        assert_eq!(head.status(), StatusCode::OK);
        for (method, path) in [
            (Method::POST, "/tag/"),
            (Method::PATCH, "/link/x"),
            (Method::DELETE, "/link/x"),
        ] {
            let (status, body) = app
                .send(
                    method.clone(),
                    path,
                    Some(&reader),
                    Some(json!({"tag": "x"})),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
            assert_eq!(body, json!({"detail": "Not enough permissions"}));
        }

        // Bad names are refused; unknown and malformed tokens are 401.
        let (status, _) = app.post(&ann_jwt, &path, json!({"name": " "})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app
            .post(&ann_jwt, &path, json!({"name": "n".repeat(101)}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for bad in ["tm_", "tm_nope", &format!("{secret}x")] {
            let (status, _) = app.get(bad, "/link/").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        }

        // Revoked: at once.
        let (status, revoked) = app.delete(&ann_jwt, &format!("{path}{token_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(revoked, json!("OK"), "every DELETE answers \"OK\"");
        let (status, _) = app.get(&secret, "/link/").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, left) = app.get(&ann_jwt, &path).await;
        assert!(
            !left.to_string().contains(token_id.as_str()),
            "revoked yet listed: {left}"
        );
        let (status, body) = app.delete(&ann_jwt, &format!("{path}{token_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body["detail"],
            format!("Token with token_id {token_id} not found for account_id {ann}")
        );

        // Deleting the account takes its tokens with it.
        let (status, _) = app.delete(&admin, &format!("/account/{ann}")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.get(&reader, "/link/").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);
        let (status, _) = app.get(&admin, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_the_token_endpoints() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let (status, doc) = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    for method in ["get", "post"] {
        assert!(
            paths["/account/{account_id}/token/"][method].is_object(),
            "{method}"
        );
    }
    assert!(paths["/account/{account_id}/token/{token_id}"]["delete"].is_object());
    assert!(doc["components"]["schemas"]["NewToken"].is_object());
    // The token is a bearer scheme of its own, offered wherever the account scope is.
    let scheme = &doc["components"]["securitySchemes"]["personal_token"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let takes_token = |path: &str, method: &str| {
        paths[path][method]["security"]
            .as_array()
            .expect("security")
            .iter()
            .any(|r| r.get("personal_token").is_some())
    };
    assert!(takes_token("/link/", "get"));
    assert!(takes_token("/account/{account_id}/token/", "post"));
    assert!(!takes_token("/account/", "post"), "admin only");
}
