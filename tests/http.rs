//! The HTTP surface: bad input, error bodies, a bounded request storm, trailing slashes, the
//! root path, CORS, OpenAPI and Swagger UI, and the binary's configuration and command line.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

/// One raw answer of the server.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    /// The body as JSON, asserting that it is declared and parses as JSON.
    fn json(&self, what: &str) -> Value {
        let ct = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "{what}: answer {} has Content-Type {ct:?}: {:?}",
            self.status,
            self.text
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "{what}: answer {} is not JSON ({e}): {:?}",
                self.status, self.text
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Send a request with an exact body and Content-Type (None: no header).
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Answer {
    raw_with(
        &app.client,
        app,
        method,
        path,
        token,
        content_type,
        body.into(),
    )
    .await
}

async fn raw_with(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: reqwest::Body,
) -> Answer {
    let mut request = client.request(method.clone(), app.url(path)).body(body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    if let Some(ct) = content_type {
        request = request.header(CONTENT_TYPE, ct);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e:?}"));
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("answer body");
    Answer {
        status,
        headers,
        text,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Rows in every table that requests could write to.
async fn counts(app: &TestApp) -> [i64; 4] {
    [
        app.count("SELECT COUNT(*) FROM accounts").await,
        app.count("SELECT COUNT(*) FROM links").await,
        app.count("SELECT COUNT(*) FROM tags").await,
        app.count("SELECT COUNT(*) FROM taglinks").await,
    ]
}

/// An admin token, and an account with one link tagged "seed": (admin, account id, account
/// token, link id, tag id).
async fn seeded(app: &TestApp, email: &str) -> (String, String, String, String, String) {
    let admin = app.admin_token().await;
    let (account_id, token) = app.create_account(&admin, email).await;
    let (status, link) = app
        .post(
            &token,
            "/link/",
            json!({"link": "https://seed.example/", "tag": "seed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let link_id = link["link_id"].as_str().unwrap().to_owned();
    let (status, tags) = app.get(&token, "/tag/?tag=seed").await;
    assert_eq!(status, StatusCode::OK, "{tags}");
    let tag_id = tags[0]["tag_id"].as_str().unwrap().to_owned();
    (admin, account_id, token, link_id, tag_id)
}

/// The first entry of a FastAPI-style validation error, asserting the shape.
fn first_field_error(what: &str, answer: &Answer) -> Value {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        answer.text
    );
    let body = answer.json(what);
    let detail = body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: detail is not a list: {body}"));
    assert!(!detail.is_empty(), "{what}: empty detail list");
    for entry in detail {
        assert!(entry["loc"].is_array(), "{what}: {entry}");
        assert!(entry["msg"].is_string(), "{what}: {entry}");
        assert!(entry["type"].is_string(), "{what}: {entry}");
    }
    detail[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_mistyped_json_is_a_422_list_and_stores_nothing() {
    for_each_engine(|app| async move {
        let (admin, _, token, _, _) = seeded(&app, "bad-json@example.com").await;
        let token = bearer(&token);
        let admin = bearer(&admin);
        let before = counts(&app).await;
        let json_ct = Some("application/json");

        // Malformed JSON.
        for body in [
            r#"{"link": "https://a.example/", "tag": "#,
            r#"{"link": "https://a.example/" "tag": "x"}"#,
            r#"{'link': 'https://a.example/'}"#,
            r#"{"link":"https://a.example/","tag":"t"} trailing"#,
            "\u{FEFF}{}garbage",
        ] {
            let answer = raw(&app, Method::POST, "/link/", Some(&token), json_ct, body).await;
            let err = first_field_error(body, &answer);
            assert_eq!(err["type"], "json_invalid", "{body}: {err}");
            assert_eq!(err["loc"][0], "body", "{body}: {err}");
        }

        // Not an object at all.
        for body in [
            "[1, 2]",
            r#"["https://array.example/", "t"]"#,
            r#""just a string""#,
            "42",
            "null",
            "true",
        ] {
            let answer = raw(&app, Method::POST, "/link/", Some(&token), json_ct, body).await;
            let err = first_field_error(body, &answer);
            assert_eq!(err["loc"], json!(["body"]), "{body}: {err}");
            assert_eq!(err["type"], "model_attributes_type", "{body}: {err}");
        }

        // Wrong types: the error names the field.
        let cases = [
            (
                "/link/",
                r#"{"link": 5, "tag": "x"}"#,
                "link",
                "string_type",
            ),
            (
                "/link/",
                r#"{"link": "https://a.example/", "tag": ["x"]}"#,
                "tag",
                "string_type",
            ),
            (
                "/link/",
                r#"{"link": "https://a.example/", "tag_id": {}}"#,
                "tag_id",
                "string_type",
            ),
            ("/tag/", r#"{"tag": true}"#, "tag", "string_type"),
            (
                "/tag/",
                r#"{"tag": "ok", "account_id": 12}"#,
                "account_id",
                "string_type",
            ),
            (
                "/taglink/",
                r#"{"tag_id": 1, "link_id": "x"}"#,
                "tag_id",
                "string_type",
            ),
            ("/link/", r#"{"tag": "x"}"#, "link", "missing"),
            ("/tag/", r#"{}"#, "tag", "missing"),
            ("/taglink/", r#"{"tag_id": "x"}"#, "link_id", "missing"),
        ];
        for (path, body, field, kind) in cases {
            let answer = raw(&app, Method::POST, path, Some(&token), json_ct, body).await;
            let what = format!("POST {path} {body}");
            let err = first_field_error(&what, &answer);
            assert_eq!(err["loc"], json!(["body", field]), "{what}: {err}");
            assert_eq!(err["type"], kind, "{what}: {err}");
        }
        let answer = raw(
            &app,
            Method::POST,
            "/account/",
            Some(&admin),
            json_ct,
            r#"{"email": 5, "password": "password-123"}"#,
        )
        .await;
        let err = first_field_error("account with a numeric email", &answer);
        assert_eq!(err["loc"], json!(["body", "email"]), "{err}");
        assert_eq!(err["type"], "string_type", "{err}");

        // Duplicate keys are refused rather than silently picking one.
        let body = r#"{"link": "https://a.example/", "tag": "x", "tag": "y"}"#;
        let answer = raw(&app, Method::POST, "/link/", Some(&token), json_ct, body).await;
        first_field_error(body, &answer);

        // An empty body, with and without a Content-Type.
        for ct in [json_ct, None] {
            for body in ["", "  \n"] {
                let answer = raw(&app, Method::POST, "/tag/", Some(&token), ct, body).await;
                let what = format!("empty body {body:?} with Content-Type {ct:?}");
                let err = first_field_error(&what, &answer);
                assert_eq!(err["loc"], json!(["body"]), "{what}: {err}");
                assert_eq!(err["type"], "missing", "{what}: {err}");
            }
        }

        assert_eq!(counts(&app).await, before, "bad input must store nothing");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415_json_and_stores_nothing() {
    for_each_engine(|app| async move {
        let (admin, _, token, _, _) = seeded(&app, "ctype@example.com").await;
        let token = bearer(&token);
        let before = counts(&app).await;
        let valid_link = r#"{"link": "https://ctype.example/", "tag": "ctype"}"#;
        for ct in [
            "text/plain",
            "text/plain; charset=utf-8",
            "application/xml",
            "multipart/form-data; boundary=xyz",
            "application/x-www-form-urlencoded",
        ] {
            let answer = raw(
                &app,
                Method::POST,
                "/link/",
                Some(&token),
                Some(ct),
                valid_link,
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{ct}: {}",
                answer.text
            );
            let body = answer.json(ct);
            assert!(body["detail"].is_string(), "{ct}: {body}");
        }
        // A JSON body where the login form is expected.
        let answer = raw(
            &app,
            Method::POST,
            "/token/",
            None,
            Some("application/json"),
            json!({"username": ADMIN, "password": ADMIN_PASSWORD, "scope": "admin"}).to_string(),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{}",
            answer.text
        );
        assert!(answer.json("token as JSON")["detail"].is_string());
        // Account creation as text/plain.
        let answer = raw(
            &app,
            Method::POST,
            "/account/",
            Some(&bearer(&admin)),
            Some("text/plain"),
            json!({"email": "plain@example.com", "password": "password-123"}).to_string(),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{}",
            answer.text
        );
        answer.json("account as text/plain");
        // A +json media type is JSON.
        let answer = raw(
            &app,
            Method::POST,
            "/tag/",
            Some(&token),
            Some("application/merge-patch+json"),
            r#"{"tag": "seed"}"#,
        )
        .await;
        // Read as JSON: the tag exists, so 409 names it.
        assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
        assert!(
            answer.text.contains("Tag with name seed exists"),
            "{}",
            answer.text
        );
        assert_eq!(counts(&app).await, before);
    })
    .await;
}

/// A JSON body of `size` bytes that would create a link if it were accepted.
fn big_link_body(size: usize) -> Vec<u8> {
    let head = br#"{"link": "https://big.example/"#;
    let tail = br#"", "tag": "big"}"#;
    let mut body = head.to_vec();
    body.resize(size - tail.len(), b'a');
    body.extend_from_slice(tail);
    body
}

/// POST `body` with `Transfer-Encoding: chunked` (no Content-Length) over a plain TCP
/// connection; the status and the body of the answer.
async fn post_chunked(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> (u16, String) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let write = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(16 * 1024) {
            writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            writer.write_all(chunk).await?;
            writer.write_all(b"\r\n").await?;
        }
        writer.write_all(b"0\r\n\r\n").await?;
        writer.flush().await?;
        // Keep the write half open until the server is done with the connection.
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok::<_, std::io::Error>(())
    });
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, reader.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no complete answer to a chunked upload within 60 s"),
        }
    }
    write.abort();
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("incomplete HTTP answer: {text:?}"));
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/json"),
        "answer to a chunked upload is not declared JSON: {head}"
    );
    let body = if lower.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_one_mib_are_413_json_with_or_without_content_length() {
    for_each_engine(|app| async move {
        let (_, _, token, _, _) = seeded(&app, "big@example.com").await;
        let before = counts(&app).await;

        // Just under the limit is read (and refused for the URL's length, not the size).
        let answer = raw(
            &app,
            Method::POST,
            "/link/",
            Some(&bearer(&token)),
            Some("application/json"),
            big_link_body(MIB - 16),
        )
        .await;
        let err = first_field_error("a body just under 1 MiB", &answer);
        assert_eq!(err["loc"], json!(["body", "link"]), "{err}");

        for size in [MIB + 1, 2 * MIB] {
            let answer = raw(
                &app,
                Method::POST,
                "/link/",
                Some(&bearer(&token)),
                Some("application/json"),
                big_link_body(size),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{size} bytes with Content-Length: {}",
                answer.text
            );
            let body = answer.json("413 with Content-Length");
            assert!(body["detail"].is_string(), "{body}");

            let (status, text) = post_chunked(&app, "/link/", &token, big_link_body(size)).await;
            assert_eq!(status, 413, "{size} bytes chunked: {text}");
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("chunked 413 is not JSON ({e}): {text:?}"));
            assert!(body["detail"].is_string(), "{body}");
        }

        // The login form is limited too.
        let mut form = b"username=admin&password=".to_vec();
        form.resize(MIB + 100, b'x');
        let answer = raw(
            &app,
            Method::POST,
            "/token/",
            None,
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            answer.text
        );
        answer.json("oversized login form");

        // A small chunked body is read normally (the tag exists: 409 names it).
        let (status, text) =
            post_chunked(&app, "/tag/", &token, br#"{"tag": "seed"}"#.to_vec()).await;
        assert_eq!(status, 409, "{text}");
        assert!(text.contains("Tag with name seed exists"), "{text}");

        assert_eq!(counts(&app).await, before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_odd_and_very_long_ids_are_404() {
    for_each_engine(|app| async move {
        let (admin, account_id, token, link_id, tag_id) = seeded(&app, "ids@example.com").await;
        let before = counts(&app).await;
        let long = "x".repeat(5000);
        let ids = [
            uuid::Uuid::new_v4().to_string(),
            uuid::Uuid::now_v7().to_string(),
            long.clone(),
            "%00".to_owned(),
            "a%00b".to_owned(),
            "%F0%9F%A6%80".to_owned(),
            "%27%20OR%201%3D1%20--".to_owned(),
            "%25".to_owned(),
            "%E2%80%AE".to_owned(),
            link_id.to_uppercase(),
            format!("%20{link_id}"),
        ];
        for id in &ids {
            // The messages name the id as the path gave it, percent-decoded.
            let decoded: String = form_urlencoded::parse(format!("x={id}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect();
            for (resource, detail) in [
                ("link", format!("Link with link_id {decoded} not found")),
                ("tag", format!("Tag with tag_id {decoded} not found")),
            ] {
                let what = format!("{resource} {}", &id[..id.len().min(40)]);
                let path = format!("/{resource}/{id}");
                let (status, body) = app.get(&token, &path).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "GET {what}: {body}");
                assert_eq!(body, json!({"detail": detail}), "GET {what}");
                let (status, body) = app.delete(&token, &path).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "DELETE {what}: {body}");
                assert_eq!(body, json!({"detail": detail}), "DELETE {what}");
                let (status, body) = app.delete(&admin, &path).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "admin DELETE {what}: {body}");
            }
            let (status, body) = app.get(&admin, &format!("/account/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "account {id}: {body}");
            let message = body["detail"].as_str().expect("detail");
            assert!(
                message.starts_with("Account with account_id '")
                    && message.ends_with("' not found"),
                "{message}"
            );
            let (status, body) = app.delete(&admin, &format!("/account/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(
                body,
                json!({"detail": format!("Account id {decoded} not found")})
            );
        }

        // Unknown ids inside bodies and queries.
        for id in [
            uuid::Uuid::new_v4().to_string(),
            long.clone(),
            "\u{0}".into(),
        ] {
            let (status, body) = app
                .post(
                    &token,
                    "/link/",
                    json!({"link": "https://u.example/", "tag_id": id}),
                )
                .await;
            let tag_not_found =
                format!("Tag with tag_id {id} not found for account_id {account_id}");
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(body, json!({ "detail": tag_not_found }));
            let (status, body) = app
                .post(
                    &token,
                    "/taglink/",
                    json!({"tag_id": id, "link_id": link_id}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body, json!({ "detail": tag_not_found }));
            let (status, body) = app
                .post(
                    &token,
                    "/taglink/",
                    json!({"tag_id": tag_id, "link_id": id}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(
                body,
                json!({"detail": format!("Link with link_id {id} not found for account_id {account_id}")})
            );
            let (status, body) = app
                .post(&admin, "/tag/", json!({"tag": "t", "account_id": id}))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(
                body,
                json!({"detail": format!("Account with account_id '{id}' not found")})
            );
        }
        let (status, body) = app
            .send(
                Method::DELETE,
                &format!("/taglink/?tag_id={}&link_id=%00", uuid::Uuid::new_v4()),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!("OK"));
        assert_eq!(counts(&app).await, before);

        // The real ones still work.
        let (status, body) = app.get(&token, &format!("/link/{link_id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["account_id"], account_id.as_str());
    })
    .await;
}

/// Ids are opaque strings compared exactly: one with a trailing space is another id (MySQL's
/// PAD SPACE collations would otherwise find the link).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_with_a_trailing_space_is_not_found() {
    for_each_engine(|app| async move {
        let (admin, account_id, _, link_id, tag_id) = seeded(&app, "pad@example.com").await;
        for path in [
            format!("/link/{link_id}%20"),
            format!("/tag/{tag_id}%20"),
            format!("/account/{account_id}%20"),
        ] {
            let (status, body) = app.get(&admin, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_unicode_in_tags_and_urls_is_kept_exactly_or_refused() {
    for_each_engine(|app| async move {
        let (_, _, token, _, _) = seeded(&app, "unicode@example.com").await;
        let names = [
            "🦀 Rust",
            "עברית",
            "مرحبا بالعالم",
            "\u{202E}evil\u{202C}.exe",
            "a\u{0}b",
            "\u{0}",
            "👩‍👩‍👧‍👦",
            "e\u{301}\u{301}\u{301}",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "\u{FFFF}\u{FFFE}",
            "tab\tinside",
            "zero\u{200B}width",
            "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
        ];
        for name in names {
            let before = counts(&app).await;
            let answer = raw(
                &app,
                Method::POST,
                "/tag/",
                Some(&bearer(&token)),
                Some("application/json"),
                json!({ "tag": name }).to_string(),
            )
            .await;
            let what = format!("tag {name:?}");
            match answer.status {
                StatusCode::OK => {
                    let tag = answer.json(&what);
                    assert_eq!(tag["tag"], name, "{what}: {tag}");
                    let id = tag["tag_id"].as_str().expect("tag_id");
                    let (status, got) = app.get(&token, &format!("/tag/{id}")).await;
                    assert_eq!(status, StatusCode::OK, "{what}: {got}");
                    assert_eq!(got, tag, "{what}");
                    let query: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
                    let (status, listed) = app.get(&token, &format!("/tag/?tag={query}")).await;
                    assert_eq!(status, StatusCode::OK, "{what}: {listed}");
                    assert_eq!(listed, json!([tag]), "{what}");
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    first_field_error(&what, &answer);
                    assert_eq!(counts(&app).await, before, "{what}");
                }
                other => panic!("{what}: {other} {}", answer.text),
            }
        }
        // A lone surrogate is not a Unicode scalar value: refused.
        let answer = raw(
            &app,
            Method::POST,
            "/tag/",
            Some(&bearer(&token)),
            Some("application/json"),
            r#"{"tag": "\ud800x"}"#,
        )
        .await;
        first_field_error("lone surrogate", &answer);

        let urls = [
            "https://example.com/🦀",
            "https://例え.jp/パス?q=שלום",
            "https://example.com/?q=\u{0}",
            "https://exa\u{0}mple.com/",
            "https://example.com/\u{202E}gnp.exe",
            "https://example.com/#👩‍👩‍👧‍👦",
            "https://xn--n3h.example/%F0%9F%A6%80",
            "https://example.com/\u{FFFF}",
        ];
        for url in urls {
            let before = counts(&app).await;
            let answer = raw(
                &app,
                Method::POST,
                "/link/",
                Some(&bearer(&token)),
                Some("application/json"),
                json!({ "link": url, "tag": "ünïcødé 🦀" }).to_string(),
            )
            .await;
            let what = format!("link {url:?}");
            match answer.status {
                StatusCode::OK => {
                    let link = answer.json(&what);
                    assert_eq!(link["link"], url, "{what}: {link}");
                    let id = link["link_id"].as_str().expect("link_id");
                    let (status, got) = app.get(&token, &format!("/link/{id}")).await;
                    assert_eq!(status, StatusCode::OK, "{what}: {got}");
                    assert_eq!(got, link, "{what}");
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    first_field_error(&what, &answer);
                    assert_eq!(counts(&app).await, before, "{what}");
                }
                other => panic!("{what}: {other} {}", answer.text),
            }
        }
        // The unicode tag the links were filed under finds them, whatever the case.
        let (status, listed) = app
            .get(
                &token,
                "/link/?tag=%C3%9CN%C3%8FC%C3%98D%C3%89%20%F0%9F%A6%80",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        let stored = app.count("SELECT COUNT(*) FROM links").await - 1;
        assert_eq!(listed.as_array().unwrap().len() as i64, stored, "{listed}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_of_the_wrong_type_are_422() {
    for_each_engine(|app| async move {
        let (admin, _, token, link_id, _) = seeded(&app, "query@example.com").await;
        let before = counts(&app).await;
        let cases = [
            ("/link/?limit=abc", "limit", Some("int_parsing")),
            ("/link/?offset=-1", "offset", Some("greater_than_equal")),
            ("/tag/?limit=0", "limit", Some("greater_than_equal")),
            ("/tag/?limit=1001", "limit", Some("less_than_equal")),
            ("/taglink/?offset=1.5", "offset", Some("int_parsing")),
            (
                "/link/?limit=99999999999999999999999",
                "limit",
                Some("int_parsing"),
            ),
            ("/link/?offset=%00", "offset", Some("int_parsing")),
            ("/link/?limit=", "limit", None),
            ("/link/?limit=10&limit=20", "limit", None),
            ("/tag/?offset=0x10", "offset", Some("int_parsing")),
            ("/taglink/?limit=%F0%9F%A6%80", "limit", Some("int_parsing")),
        ];
        for (path, field, kind) in cases {
            for who in [&token, &admin] {
                let answer = raw(&app, Method::GET, path, Some(&bearer(who)), None, "").await;
                let err = first_field_error(path, &answer);
                assert_eq!(err["loc"], json!(["query", field]), "{path}: {err}");
                if let Some(kind) = kind {
                    assert_eq!(err["type"], kind, "{path}: {err}");
                }
            }
        }
        let answer = raw(
            &app,
            Method::GET,
            "/account/?limit=x",
            Some(&bearer(&admin)),
            None,
            "",
        )
        .await;
        first_field_error("account list", &answer);
        let answer = raw(
            &app,
            Method::DELETE,
            "/taglink/?link_id=x&link_id=y",
            Some(&bearer(&token)),
            None,
            "",
        )
        .await;
        let err = first_field_error("DELETE /taglink/ with link_id twice", &answer);
        assert_eq!(err["loc"], json!(["query", "link_id"]), "{err}");

        // Odd but well-typed filters simply match nothing.
        for path in [
            "/link/?tag=%FF%FE",
            "/link/?tag=%00",
            "/link/?tag_id=%00",
            "/tag/?tag=%E2%80%AE%00",
            "/taglink/?link_id=%00&tag_id=%F0%9F%A6%80",
            "/account/?email=%00",
        ] {
            let (status, body) = app.get(&admin, path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, json!([]), "{path}");
        }
        let (status, body) = app.get(&token, "/link/?limit=1&offset=0&unknown=1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body[0]["link_id"], link_id.as_str());
        assert_eq!(counts(&app).await, before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let token = app.admin_token().await;
    // (`GET /` is the web app's: a redirect to `/ui/`, see tests/webapp.rs.)
    for path in [
        "/nope",
        "/nope/",
        "/link/x/y",
        "/links/",
        "/api/link/",
        "/docs/no-such-file.js",
    ] {
        for auth in [None, Some(token.as_str())] {
            let (status, body) = app.send(Method::GET, path, auth, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert_eq!(body, json!({"detail": "Not Found"}), "{path}");
        }
    }
    for (method, path) in [
        (Method::PUT, "/link/"),
        (Method::PUT, "/link"),
        // PATCH /link/{id} exists (editing links); PUT does not.
        (Method::PUT, "/link/some-id"),
        (Method::DELETE, "/link/"),
        (Method::PUT, "/tag/"),
        (Method::PUT, "/taglink/"),
        (Method::DELETE, "/account/"),
        (Method::GET, "/token/"),
        (Method::POST, "/health"),
        (Method::DELETE, "/openapi.json"),
        (Method::POST, "/docs/"),
    ] {
        let answer = raw(&app, method.clone(), path, Some(&bearer(&token)), None, "").await;
        assert_eq!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            answer.text
        );
        let body = answer.json(path);
        assert_eq!(
            body,
            json!({"detail": "Method Not Allowed"}),
            "{method} {path}"
        );
    }
}

/// Random bytes, none of them forming valid UTF-8 JSON for sure.
fn garbage(rng: &mut StdRng) -> Vec<u8> {
    let len = rng.gen_range(1..512);
    (0..len).map(|_| rng.gen::<u8>()).collect()
}

/// A random JSON value of bounded depth, often an object with the API's field names.
fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    const FIELDS: [&str; 9] = [
        "link",
        "tag",
        "tag_id",
        "link_id",
        "account_id",
        "email",
        "password",
        "offset",
        "limit",
    ];
    let leaf = |rng: &mut StdRng| -> Value {
        match rng.gen_range(0..9) {
            0 => Value::Null,
            1 => json!(rng.gen::<bool>()),
            2 => json!(rng.gen::<i64>()),
            3 => json!(rng.gen::<f64>() * 1e300),
            4 => json!("https://storm.example/".to_owned() + &rng.gen::<u32>().to_string()),
            5 => json!("🦀\u{0}\u{202E}ü"),
            6 => json!("x".repeat(rng.gen_range(0..3000))),
            7 => json!(format!("storm{}@example.com", rng.gen::<u16>())),
            _ => json!(format!("storm-{}", rng.gen::<u16>())),
        }
    };
    if depth == 0 {
        return leaf(rng);
    }
    match rng.gen_range(0..4) {
        0 => leaf(rng),
        1 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.gen_range(0..5) {
                let key = FIELDS[rng.gen_range(0..FIELDS.len())];
                map.insert(key.to_owned(), random_json(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// A body and its Content-Type for the storm.
fn storm_body(rng: &mut StdRng) -> (Option<&'static str>, Vec<u8>) {
    match rng.gen_range(0..14) {
        0 => (Some("application/json"), garbage(rng)),
        1 => {
            let depth = 10_000;
            let mut body = "[".repeat(depth);
            body.push_str(&"]".repeat(depth));
            (Some("application/json"), body.into_bytes())
        }
        2 => {
            let depth = 2_000;
            let mut body = r#"{"tag":"#.repeat(depth);
            body.push('1');
            body.push_str(&"}".repeat(depth));
            (Some("application/json"), body.into_bytes())
        }
        3 => (
            Some("application/json"),
            br#"{"link": 1e999999, "tag": 123456789012345678901234567890, "tag_id": -1e-999999, "offset": -99999999999999999999}"#.to_vec(),
        ),
        4 => (
            Some("application/json"),
            random_json(rng, 4).to_string().into_bytes(),
        ),
        5 => (Some("text/plain"), b"hello there".to_vec()),
        6 => (Some("application/xml"), b"<link>https://x/</link>".to_vec()),
        7 => (
            Some("multipart/form-data; boundary=zz"),
            b"--zz\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nx\r\n--zz--".to_vec(),
        ),
        8 => (
            Some("application/x-www-form-urlencoded"),
            b"username=%ZZ&password=&scope=admin&scope=account&&&==&grant_type=%00".to_vec(),
        ),
        9 => (None, Vec::new()),
        10 => (Some("application/json; charset=latin-1"), b"{\"tag\": \"caf\xe9\"}".to_vec()),
        11 => (Some("application/json"), b"\xEF\xBB\xBF{\"tag\": \"bom\"}".to_vec()),
        12 => (Some("bogus"), garbage(rng)),
        _ => (
            Some("application/json"),
            json!({"tag": "storm", "link": "https://storm.example/", "email": "storm@example.com", "password": "password-123"})
                .to_string()
                .into_bytes(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_request_storm_never_gets_a_5xx_or_a_non_json_error() {
    for_each_engine(|app| async move {
        let (admin, account_id, token, link_id, tag_id) = seeded(&app, "storm@example.com").await;
        let client = no_redirect_client();
        let mut rng = StdRng::seed_from_u64(0x7a6_3a2c);
        let paths = [
            "/link",
            "/link/{link}",
            "/tag",
            "/tag/{tag}",
            "/taglink",
            "/account",
            "/account/{account}",
            "/token",
            "/health",
            "/openapi.json",
            "/docs",
            "/nope",
        ];
        let queries = [
            "",
            "",
            "?limit=abc",
            "?offset=-5&limit=1001",
            "?tag_id=%00&link_id=x",
            "?tag=%FF%FE&account_id=%F0%9F%A6%80",
            "?limit=1&offset=99999999999999999999999",
        ];
        let methods = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        let tokens = [
            None,
            Some(bearer(&admin)),
            Some(bearer(&token)),
            Some("Bearer not.a.jwt".to_owned()),
            Some("Basic YWRtaW46YWRtaW4=".to_owned()),
        ];
        let long = "z".repeat(3000);
        let mut sent = 0;
        for template in paths {
            for slash in ["", "/"] {
                for method in &methods {
                    for _ in 0..3 {
                        let mut pick_id = |real: &str| -> String {
                            match rng.gen_range(0..5) {
                                0 | 1 => real.to_owned(),
                                2 => uuid::Uuid::new_v4().to_string(),
                                3 => "%00%F0%9F%A6%80".to_owned(),
                                _ => long.clone(),
                            }
                        };
                        let path = template
                            .replace("{link}", &pick_id(&link_id))
                            .replace("{tag}", &pick_id(&tag_id))
                            .replace("{account}", &pick_id(&account_id));
                        let query = queries[rng.gen_range(0..queries.len())];
                        let path = format!("{path}{slash}{query}");
                        let auth = tokens[rng.gen_range(0..tokens.len())].as_deref();
                        let (ct, body) = storm_body(&mut rng);
                        let shown = format!(
                            "{method} {} (Content-Type {ct:?}, {} body bytes, auth {:?})",
                            &path[..path.len().min(120)],
                            body.len(),
                            auth.map(|a| &a[..a.len().min(12)])
                        );
                        let answer =
                            raw_with(&client, &app, method.clone(), &path, auth, ct, body.into())
                                .await;
                        sent += 1;
                        assert!(
                            answer.status.as_u16() < 500,
                            "{shown}: {} {}",
                            answer.status,
                            answer.text
                        );
                        let is_docs = template == "/docs";
                        if answer.status.is_client_error() || !is_docs {
                            let body = answer.json(&shown);
                            if answer.status.is_client_error() {
                                assert!(
                                    body["detail"].is_string() || body["detail"].is_array(),
                                    "{shown}: {body}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(sent, paths.len() * 2 * methods.len() * 3);
        let (status, body) = app.send(Method::GET, "/health", None, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "ok");
        let (status, body) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    })
    .await;
}

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

// ---- The binary: configuration and command line. ----

/// A child process that is killed when dropped, whatever happens to the test.
struct Child {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Child {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn tagmark(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tagmark"));
    command
        .current_dir(cwd)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

/// Run to completion (at most 60 s); exit success and standard error.
fn run_to_exit(mut command: Command) -> (bool, String) {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tagmark");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tagmark did not exit within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.success(), stderr)
}

fn spawn_server(mut command: Command, log_dir: &Path, name: &str) -> Child {
    let log = log_dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let child = command.stderr(file).spawn().expect("start tagmark");
    Child { child, log }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait (at most 60 s) until the server answers /health with 200.
async fn wait_healthy(child: &mut Child, port: u16) -> Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.child.try_wait().unwrap() {
            panic!("tagmark exited ({status}) before serving: {}", child.log());
        }
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
        {
            let status = response.status();
            let body: Value = response.json().await.expect("health is JSON");
            assert_eq!(status, StatusCode::OK, "{body}");
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "tagmark did not answer on port {port} within 60 s: {}",
            child.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_database_scheme_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_DATABASE_URL", "foo://x")
        .env("TAGMARK_BIND", format!("127.0.0.1:{}", free_port()));
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("\"foo\""), "the scheme is named: {stderr}");
    assert!(
        stderr.contains("sqlite://"),
        "the choices are named: {stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_secret_key_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-but-longer";
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_SECRET_KEY", secret)
        .env("TAGMARK_BIND", format!("127.0.0.1:{}", free_port()));
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(!stderr.contains(secret), "the secret is echoed: {stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the secret is echoed: {stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_configuration_keeps_its_data_in_tagmark_db() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_BIND", format!("127.0.0.1:{port}"));
    let mut child = spawn_server(command, logs.path(), "default");
    let health = wait_healthy(&mut child, port).await;
    assert_eq!(health["status"], "ok");
    assert!(
        dir.path().join("tagmark.db").is_file(),
        "{:?}",
        entries(dir.path())
    );
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toml_file_configures_and_env_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    let db = dir.path().join("from-file.db");
    let config = dir.path().join("tagmark.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:{p1}\"\ndatabase_url = \"sqlite://{}\"\n",
            db.display()
        ),
    )
    .unwrap();

    let mut command = tagmark(dir.path());
    command.args(["serve", "--config"]).arg(&config);
    let mut child = spawn_server(command, logs.path(), "file");
    wait_healthy(&mut child, p1).await;
    assert!(db.is_file(), "the file's database_url is used");
    assert!(!dir.path().join("tagmark.db").exists());
    drop(child);

    let mut command = tagmark(dir.path());
    command
        .args(["serve", "--config"])
        .arg(&config)
        .env("TAGMARK_BIND", format!("127.0.0.1:{p2}"));
    let mut child = spawn_server(command, logs.path(), "env");
    wait_healthy(&mut child, p2).await;
    assert!(
        reqwest::get(format!("http://127.0.0.1:{p1}/health"))
            .await
            .is_err(),
        "the file's address is overridden by the environment"
    );
    drop(child);

    let mut command = tagmark(dir.path());
    command
        .env("TAGMARK_CONFIG", &config)
        .env("TAGMARK_BIND", format!("127.0.0.1:{p2}"))
        .args(["serve", "--bind", &format!("127.0.0.1:{p3}")]);
    let mut child = spawn_server(command, logs.path(), "flag");
    wait_healthy(&mut child, p3).await;
    assert!(
        reqwest::get(format!("http://127.0.0.1:{p2}/health"))
            .await
            .is_err(),
        "the flag wins over the environment"
    );
    drop(child);

    // A file with an unknown setting is refused, naming the file.
    std::fs::write(&config, "bnid = \"127.0.0.1:1\"\n").unwrap();
    let mut command = tagmark(dir.path());
    command.args(["serve", "--config"]).arg(&config);
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("tagmark.toml"), "{stderr}");
}
