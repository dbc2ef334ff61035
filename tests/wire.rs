//! Wire compatibility with the tutorial series' final state (shared/spec/API.md): the login
//! form as FastAPI reads it, the 401 answers of `OAuth2PasswordBearer` and the seed's scope
//! check, messages that name ids, 409s for duplicates, `"OK"` for every delete, and account
//! answers with the seed's fields. One scenario per rule, on every engine.
mod common;

use common::*;
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const LOGIN_FAILED: &str = "Incorrect username or password or invalid scopes";

/// POST /token/ with exactly these form fields: status, `WWW-Authenticate`, JSON body.
async fn login_form(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Option<String>, Value) {
    let response = app
        .client
        .post(app.url("/token/"))
        .form(form)
        .send()
        .await
        .expect("request");
    answer(response).await
}

async fn answer(response: reqwest::Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.expect("a JSON answer");
    (status, challenge, body)
}

/// A request with a raw `Authorization` header (or none).
async fn with_authorization(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("request")).await
}

fn detail(message: &str) -> Value {
    json!({ "detail": message })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_fields_sent_empty_count_as_absent() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        app.create_account(&admin, "empty@example.com").await;
        // The series' client and Swagger UI send the optional fields empty.
        let (status, _, body) = login_form(
            &app,
            &[
                ("username", ADMIN),
                ("password", ADMIN_PASSWORD),
                ("scope", "admin"),
                ("grant_type", ""),
                ("client_id", ""),
                ("client_secret", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
        // An empty scope is an absent one: the account scope.
        let (status, _, body) = login_form(
            &app,
            &[
                ("username", "empty@example.com"),
                ("password", "password-123"),
                ("scope", ""),
                ("grant_type", "password"),
                ("client_id", ""),
                ("client_secret", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().expect("token");
        let (status, accounts) = app.get(token, "/account/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(accounts[0]["email"], "empty@example.com");
        // Client id and secret are accepted and ignored.
        let (status, _, body) = login_form(
            &app,
            &[
                ("username", ADMIN),
                ("password", ADMIN_PASSWORD),
                ("scope", "admin"),
                ("client_id", "swagger"),
                ("client_secret", "whatever"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Required fields sent empty are missing, as FastAPI says it.
        let (status, _, body) = login_form(
            &app,
            &[("username", ""), ("password", ""), ("scope", "admin")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let locs: Vec<&Value> = body["detail"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| &e["loc"])
            .collect();
        assert_eq!(
            locs,
            [&json!(["body", "username"]), &json!(["body", "password"])]
        );
        assert_eq!(body["detail"][0]["type"], "missing");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_type_other_than_password_is_422_in_fastapis_shape() {
    for_each_engine(|app| async move {
        for grant_type in ["client_credentials", "Password", " "] {
            let (status, _, body) = login_form(
                &app,
                &[
                    ("username", ADMIN),
                    ("password", ADMIN_PASSWORD),
                    ("scope", "admin"),
                    ("grant_type", grant_type),
                ],
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{grant_type:?}");
            assert_eq!(
                body,
                json!({"detail": [{
                    "loc": ["body", "grant_type"],
                    "msg": "String should match pattern '^password$'",
                    "type": "string_pattern_mismatch",
                }]}),
                "{grant_type:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_and_bad_scopes_are_401_with_one_message() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        app.create_account(&admin, "scopes@example.com").await;
        let cases = [
            (ADMIN, "wrong-password", "admin"),
            ("nobody", ADMIN_PASSWORD, "admin"),
            (ADMIN, ADMIN_PASSWORD, "account"),
            ("scopes@example.com", "password-123", "admin"),
            (ADMIN, ADMIN_PASSWORD, "admin,account"),
            (ADMIN, ADMIN_PASSWORD, "admin account"),
            (ADMIN, ADMIN_PASSWORD, "superuser"),
            ("scopes@example.com", "password-123", "account admin"),
        ];
        for (username, password, scope) in cases {
            let (status, challenge, body) = login_form(
                &app,
                &[
                    ("username", username),
                    ("password", password),
                    ("scope", scope),
                    ("grant_type", ""),
                    ("client_id", ""),
                    ("client_secret", ""),
                ],
            )
            .await;
            let what = format!("{username} / {scope}");
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
            assert_eq!(body, detail(LOGIN_FAILED), "{what}");
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{what}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_still_throttled() {
    for_each_engine_with(
        |config| config.login_max_failures = 3,
        |app| async move {
            for _ in 0..3 {
                let (status, _, _) = login_form(
                    &app,
                    &[
                        ("username", ADMIN),
                        ("password", "wrong-password"),
                        ("scope", "admin"),
                        ("grant_type", ""),
                    ],
                )
                .await;
                assert_eq!(status, StatusCode::UNAUTHORIZED);
            }
            let response = app
                .client
                .post(app.url("/token"))
                .form(&[
                    ("username", ADMIN),
                    ("password", ADMIN_PASSWORD),
                    ("scope", "admin"),
                    ("grant_type", ""),
                ])
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(response.headers().contains_key("retry-after"));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bearer_header_bad_tokens_and_wrong_scopes_are_told_apart() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, account) = app.create_account(&admin, "scoped@example.com").await;
        // No header, or another scheme: FastAPI's OAuth2PasswordBearer.
        for (method, path) in [
            (Method::GET, "/link"),
            (Method::GET, "/account/"),
            (Method::DELETE, "/tag/x"),
        ] {
            for authorization in [None, Some("Basic YWRtaW46YWRtaW4="), Some("Token x")] {
                let (status, challenge, body) =
                    with_authorization(&app, method.clone(), path, authorization, None).await;
                let what = format!("{method} {path} with {authorization:?}");
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
                assert_eq!(body, detail("Not authenticated"), "{what}");
                assert_eq!(challenge.as_deref(), Some("Bearer"), "{what}");
            }
        }
        // A bearer token that is not valid.
        for authorization in ["Bearer nonsense", "bearer a.b.c", "Bearer "] {
            let (status, challenge, body) =
                with_authorization(&app, Method::GET, "/link/", Some(authorization), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization}");
            assert_eq!(body, detail("Could not validate credentials"));
            assert_eq!(challenge.as_deref(), Some("Bearer scope=\"admin account\""));
        }
        // A revoked one: the account is gone.
        let (doomed_id, doomed) = app.create_account(&admin, "doomed@example.com").await;
        app.delete(&admin, &format!("/account/{doomed_id}")).await;
        let bearer = format!("Bearer {doomed}");
        let (status, _, body) =
            with_authorization(&app, Method::GET, "/link/", Some(&bearer), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, detail("Could not validate credentials"));
        // A valid token of the wrong scope: 401, as the seed answers it, not 403.
        let bearer = format!("Bearer {account}");
        let (status, challenge, body) = with_authorization(
            &app,
            Method::POST,
            "/account",
            Some(&bearer),
            Some(json!({"email": "new@example.com", "password": "password-123"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body, detail("Not enough permissions"));
        assert_eq!(challenge.as_deref(), Some("Bearer scope=\"admin\""));
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_messages_name_the_ids() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "ids@example.com").await;
        let (_, link) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://a.example/", "tag": "a"}),
            )
            .await;
        let (_, tags) = app.get(&token, "/tag").await;
        let (link_id, tag_id) = (
            link["link_id"].as_str().unwrap().to_owned(),
            tags[0]["tag_id"].as_str().unwrap().to_owned(),
        );
        let nobody = "00000000-0000-4000-8000-000000000000";
        let link_missing = detail(&format!("Link with link_id {nobody} not found"));
        let tag_missing = detail(&format!("Tag with tag_id {nobody} not found"));
        for caller in [&token, &admin] {
            for (method, path, expected) in [
                (Method::GET, format!("/link/{nobody}"), &link_missing),
                (Method::DELETE, format!("/link/{nobody}"), &link_missing),
                (Method::GET, format!("/tag/{nobody}"), &tag_missing),
                (Method::DELETE, format!("/tag/{nobody}"), &tag_missing),
            ] {
                let (status, body) = app.send(method.clone(), &path, Some(caller), None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
                assert_eq!(&body, expected, "{method} {path}");
            }
        }
        let tag_not_in_account = detail(&format!(
            "Tag with tag_id {nobody} not found for account_id {account_id}"
        ));
        let (status, body) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://b.example/", "tag_id": nobody}),
            )
            .await;
        assert_eq!(
            (status, &body),
            (StatusCode::NOT_FOUND, &tag_not_in_account)
        );
        // POST /taglink/: 422, the tag checked first.
        for (tag, link, expected) in [
            (nobody, link_id.as_str(), tag_not_in_account.clone()),
            (nobody, nobody, tag_not_in_account.clone()),
            (
                tag_id.as_str(),
                nobody,
                detail(&format!(
                    "Link with link_id {nobody} not found for account_id {account_id}"
                )),
            ),
        ] {
            let (status, body) = app
                .post(&token, "/taglink", json!({"tag_id": tag, "link_id": link}))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body, expected);
        }
        // Accounts: one message for an account asking about another, another for the admin
        // deleting an account that does not exist.
        let (status, body) = app.get(&token, &format!("/account/{nobody}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            detail(&format!("Account with account_id '{nobody}' not found"))
        );
        let (status, body) = app.delete(&token, &format!("/account/{nobody}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            detail(&format!("Account with account_id '{nobody}' not found"))
        );
        let (status, body) = app.get(&admin, &format!("/account/{nobody}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            detail(&format!("Account with account_id '{nobody}' not found"))
        );
        let (status, body) = app.delete(&admin, &format!("/account/{nobody}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, detail(&format!("Account id {nobody} not found")));
        let (status, body) = app
            .post(&admin, "/tag", json!({"tag": "x", "account_id": nobody}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            detail(&format!("Account with account_id '{nobody}' not found"))
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_409_naming_what_exists() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "dup@example.com").await;
        let (status, tag) = app.post(&token, "/tag", json!({"tag": "Reading"})).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        for (caller, body, name) in [
            (&token, json!({"tag": "Reading"}), "Reading"),
            (&token, json!({"tag": "reading"}), "reading"),
            (
                &admin,
                json!({"tag": "READING", "account_id": account_id}),
                "READING",
            ),
        ] {
            let (status, answer) = app.post(caller, "/tag/", body).await;
            assert_eq!(status, StatusCode::CONFLICT, "{answer}");
            assert_eq!(
                answer,
                detail(&format!(
                    "Tag with name {name} exists for account {account_id}"
                ))
            );
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM tags").await, 1);

        let (_, link) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://c.example/", "tag": "other"}),
            )
            .await;
        let pair = json!({"tag_id": tag["tag_id"], "link_id": link["link_id"]});
        let (status, first) = app.post(&token, "/taglink", pair.clone()).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let (status, again) = app.post(&token, "/taglink", pair).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            again,
            detail(&format!(
                "TagLink with tag_id {} and link_id {} exists",
                tag["tag_id"].as_str().unwrap(),
                link["link_id"].as_str().unwrap()
            ))
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM taglinks").await, 2);

        let (status, body) = app
            .post(
                &admin,
                "/account",
                json!({"email": "dup@example.com", "password": "password-123"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body, detail("Account with email dup@example.com exists"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delete_answers_the_json_string_ok() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "ok@example.com").await;
        let (_, link) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://d.example/", "tag": "t"}),
            )
            .await;
        let (_, tag) = app.post(&token, "/tag", json!({"tag": "u"})).await;
        let (link_id, tag_id) = (
            link["link_id"].as_str().unwrap(),
            tag["tag_id"].as_str().unwrap(),
        );
        app.post(
            &token,
            "/taglink",
            json!({"tag_id": tag_id, "link_id": link_id}),
        )
        .await;
        for (caller, path) in [
            (
                &token,
                format!("/taglink?tag_id={tag_id}&link_id={link_id}"),
            ),
            // Nothing matches any more: the same answer.
            (
                &token,
                format!("/taglink?tag_id={tag_id}&link_id={link_id}"),
            ),
            (&token, format!("/tag/{tag_id}")),
            (&token, format!("/link/{link_id}")),
            (&admin, format!("/account/{account_id}")),
        ] {
            let response = app
                .client
                .delete(app.url(&path))
                .bearer_auth(caller)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(
                response.headers()["content-type"],
                "application/json",
                "{path}"
            );
            assert_eq!(response.text().await.unwrap(), "\"OK\"", "{path}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 0);
    })
    .await;
}

/// Assert an account answer has the seed's fields: the mask and `created` in its format.
fn assert_seed_account(account: &Value, email: &str) {
    assert_eq!(account["email"], email, "{account}");
    assert_eq!(account["hashed_password"], "**********", "{account}");
    let created = account["created"].as_str().expect("created");
    let created_at = account["created_at"].as_str().expect("created_at");
    assert_eq!(created.len(), "2026-12-01T10:49:23".len(), "{created}");
    assert!(
        time::PrimitiveDateTime::parse(
            created,
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")
        )
        .is_ok(),
        "{created}"
    );
    assert!(created_at.starts_with(created), "{created} / {created_at}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_answers_carry_the_mask_and_the_seeds_created() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (status, created) = app
            .post(
                &admin,
                "/account",
                json!({"email": "seed@example.com", "password": "password-123"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_seed_account(&created, "seed@example.com");
        let id = created["account_id"].as_str().unwrap().to_owned();
        let token = app
            .token("seed@example.com", "password-123", "account")
            .await;
        let (_, listed) = app.get(&admin, "/account/").await;
        assert_seed_account(&listed[0], "seed@example.com");
        let (_, own) = app.get(&token, &format!("/account/{id}")).await;
        assert_seed_account(&own, "seed@example.com");
        assert_eq!(own, created);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/account/{id}"),
                Some(&token),
                Some(json!({"password": "password-456"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_seed_account(&changed, "seed@example.com");
        // What the database holds is a real hash, never the mask.
        assert_eq!(
            app.count("SELECT COUNT(*) FROM accounts WHERE hashed_password LIKE '$argon2id$%'")
                .await,
            1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_the_new_answers() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    let mut protected = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().expect("responses");
            let what = format!("{method} {path}");
            // A scope the operation does not allow is 401, as in the seed; 403 is only a
            // read-only personal API token sent to an operation that writes.
            let writes = method != "get" && operation.get("security").is_some();
            let forbidden = responses.get("403").map(|r| r["description"].to_string());
            assert_eq!(
                forbidden.is_some_and(|d| d.contains("read-only personal API token")),
                writes,
                "{what}: 403 only for a read-only token's writes"
            );
            if operation.get("security").is_some() {
                protected += 1;
                assert!(responses.contains_key("401"), "{what} documents 401");
            }
            let seed_delete = [
                "/link/{link_id}",
                "/tag/{tag_id}",
                "/taglink/",
                "/account/{account_id}",
            ];
            if method == "delete" && seed_delete.contains(&path.as_str()) {
                let ok = &responses["200"]["content"]["application/json"]["schema"];
                assert_eq!(ok["type"], "string", "{what}: {ok}");
            }
        }
    }
    assert!(protected >= 15, "{protected} protected operations");
    for (path, method, status) in [
        ("/tag/", "post", "409"),
        ("/taglink/", "post", "409"),
        ("/taglink/", "post", "422"),
        ("/account/", "post", "409"),
        ("/token/", "post", "401"),
        ("/token/", "post", "422"),
    ] {
        assert!(
            paths[path][method]["responses"].get(status).is_some(),
            "{method} {path} documents {status}"
        );
    }
    assert!(paths["/token/"]["post"]["responses"].get("400").is_none());
}
