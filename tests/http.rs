//! The HTTP surface around the resources: trailing slashes, the root path, CORS, OpenAPI,
//! Swagger UI and health. (Bad input is in bad_input.rs, the request storm in request_storm.rs,
//! the binary's configuration and command line in cli.rs.)

mod common;

use common::raw::*;
use common::*;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_work_with_and_without_the_trailing_slash() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, token) = app.create_account(&admin, "slash@example.com").await;
        let (status, first) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://one.example/", "tag": "s"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let (status, second) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://two.example/", "tag": "s"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{second}");
        for path in ["/link", "/link/", "/link?tag=s", "/link/?tag=s"] {
            let (status, body) = app.get(&token, path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, json!([first, second]), "{path}");
        }
        let id = first["link_id"].as_str().unwrap();
        for path in [format!("/link/{id}"), format!("/link/{id}/")] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, first, "{path}");
        }
        let (status, body) = app.post(&token, "/tag", json!({"tag": "S"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let (status, tags) = app.get(&token, "/tag?tag=S").await;
        assert_eq!(status, StatusCode::OK, "{tags}");
        let tag = tags[0].clone();
        assert_eq!(tag["tag"], "s", "the first spelling is kept");
        let tag_id = tag["tag_id"].as_str().unwrap();
        for path in [
            format!("/tag/{tag_id}/"),
            "/tag/?tag=S".to_owned(),
            "/tag".to_owned(),
        ] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        for path in ["/taglink", "/taglink/"] {
            let (status, body) = app.get(&token, &format!("{path}?link_id={id}")).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body.as_array().unwrap().len(), 1, "{path}: {body}");
        }
        for path in [format!("/account/{account_id}/"), "/account".to_owned()] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        let (status, deleted) = app.delete(&token, &format!("/link/{id}/")).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"));
        let (status, _) = app.get(&token, &format!("/link/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The login form is served at /token too.
        let response = app
            .client
            .post(app.url("/token"))
            .form(&[
                ("username", ADMIN),
                ("password", ADMIN_PASSWORD),
                ("scope", "admin"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_path_prefix_is_optional_and_announced_in_openapi() {
    for_each_engine_with(
        |config| config.root_path = "/api".into(),
        |app| async move {
            let response = app
                .client
                .post(app.url("/api/token/"))
                .form(&[
                    ("username", ADMIN),
                    ("password", ADMIN_PASSWORD),
                    ("scope", "admin"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "login under the prefix");
            let admin = app.admin_token().await;
            let (_, token) = app.create_account(&admin, "prefix@example.com").await;
            let (status, link) = app
                .post(
                    &token,
                    "/api/link/",
                    json!({"link": "https://p.example/", "tag": "p"}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{link}");
            for path in ["/api/link/", "/api/link", "/link/", "/link"] {
                let (status, body) = app.get(&token, path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                assert_eq!(body, json!([link]), "{path}");
            }
            let id = link["link_id"].as_str().unwrap();
            for path in [format!("/api/link/{id}/"), format!("/link/{id}")] {
                let (status, body) = app.get(&token, &path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
            }
            // Only a whole path segment is a prefix.
            let (status, body) = app.get(&token, "/apix/link/").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(body, json!({"detail": "Not Found"}));

            for path in ["/openapi.json", "/api/openapi.json"] {
                let (status, doc) = app.send(Method::GET, path, None, None).await;
                assert_eq!(status, StatusCode::OK, "{path}");
                assert_eq!(doc["servers"][0]["url"], "/api", "{path}");
                let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
                let token_urls: Vec<&Value> = schemes
                    .values()
                    .filter(|s| s["type"] == "oauth2")
                    .map(|s| &s["flows"]["password"]["tokenUrl"])
                    .collect();
                assert_eq!(token_urls, vec![&json!("/api/token/")], "{path}");
            }

            let client = no_redirect_client();
            let response = client.get(app.url("/api/docs/")).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let ct = response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(ct.starts_with("text/html"), "{ct}");
            let html = response.text().await.unwrap();
            assert!(html.to_lowercase().contains("swagger"), "{html}");
            let response = client.get(app.url("/api/docs")).send().await.unwrap();
            assert!(response.status().is_redirection(), "{}", response.status());
            assert_eq!(response.headers()[LOCATION], "docs/");
            let js = client
                .get(app.url("/api/docs/swagger-initializer.js"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(js.contains("/api/openapi.json"), "{js}");
        },
    )
    .await;
}

async fn preflight(app: &TestApp, origin: &str) -> Answer {
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/link/"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_listed_origins_only() {
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.cors_origins = vec!["https://app.example".into()];
    let app = TestApp::start(config).await;

    let answer = preflight(&app, "https://app.example").await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.text
    );
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        answer.header("access-control-allow-credentials"),
        Some("true")
    );
    let methods = answer
        .header("access-control-allow-methods")
        .unwrap_or("")
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = answer
        .header("access-control-allow-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");

    // An actual request from the listed origin is answered with the header too, errors included.
    for path in ["/health", "/link/"] {
        let response = app
            .client
            .get(app.url(path))
            .header("Origin", "https://app.example")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example",
            "{path}"
        );
    }

    for origin in ["https://evil.example", "https://app.example.evil", "null"] {
        let answer = preflight(&app, origin).await;
        assert_eq!(
            answer.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        let response = app
            .client
            .get(app.url("/health"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert!(response
            .headers()
            .get("access-control-allow-origin")
            .is_none());
    }
    drop(app);

    let plain = TestApp::start(test_config(&db.url)).await;
    let answer = preflight(&plain, "https://app.example").await;
    assert!(!answer.status.is_server_error());
    assert!(
        !answer
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "no CORS by default: {:?}",
        answer.headers
    );
    if answer.status.is_client_error() {
        answer.json("preflight without CORS");
    }
    let response = plain
        .client
        .get(plain.url("/health"))
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_swagger_ui_and_health_are_served() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let (status, doc) = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    let endpoints: [(&str, &[&str]); 8] = [
        ("/link/", &["get", "post"]),
        ("/link/{link_id}", &["get", "delete"]),
        ("/tag/", &["get", "post"]),
        ("/tag/{tag_id}", &["get", "delete"]),
        ("/taglink/", &["get", "post", "delete"]),
        ("/account/", &["get", "post"]),
        ("/account/{account_id}", &["get", "delete"]),
        ("/token/", &["post"]),
    ];
    for (path, methods) in endpoints {
        let item = doc["paths"][path]
            .as_object()
            .unwrap_or_else(|| panic!("{path} is not documented"));
        for method in methods {
            assert!(
                item.contains_key(*method),
                "{method} {path} is not documented"
            );
        }
    }
    // And everything documented is served: no phantom operations.
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= endpoints.len());
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let concrete = path
                .replace("{link_id}", "x")
                .replace("{tag_id}", "x")
                .replace("{account_id}", "x");
            let answer = raw(&app, method.clone(), &concrete, None, None, "").await;
            assert!(
                answer.status != StatusCode::METHOD_NOT_ALLOWED
                    && answer.status != StatusCode::NOT_FOUND,
                "documented {method} {path} is not served: {} {}",
                answer.status,
                answer.text
            );
        }
    }
    // Every resource endpoint asks for the OAuth2 scheme; the login does not.
    for (path, method) in [("/link/", "post"), ("/account/{account_id}", "delete")] {
        let security = &doc["paths"][path][method]["security"];
        assert!(
            security.to_string().contains("oauth2"),
            "{method} {path}: {security}"
        );
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    let oauth2 = schemes
        .values()
        .find(|s| s["type"] == "oauth2")
        .expect("an oauth2 scheme");
    let password = &oauth2["flows"]["password"];
    assert_eq!(password["tokenUrl"], "/token/");
    let scopes = password["scopes"].as_object().expect("scopes");
    let mut names: Vec<&str> = scopes.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["account", "admin"]);

    let client = no_redirect_client();
    let response = client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    let response = client.get(app.url("/docs")).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()[LOCATION], "docs/");
    let response = client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let js = response.text().await.unwrap();
    assert!(
        js.contains("\"/openapi.json\"") || js.contains("'/openapi.json'"),
        "{js}"
    );
    // The UI is served from the binary: its script is there, not fetched from a CDN.
    assert!(
        !html.contains("https://unpkg.com") && !html.contains("cdn.jsdelivr"),
        "{html}"
    );
    let response = client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().len() > 100_000);

    let (status, health) = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok", "{health}");
}
