//! Bad input over HTTP: malformed and mistyped JSON, wrong Content-Type, bodies over 1 MiB,
//! odd ids, odd Unicode, mistyped query parameters, unknown routes and methods: each a JSON
//! error, and nothing stored.

mod common;

use std::time::{Duration, Instant};

use common::raw::*;
use common::resources::assert_detail;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
                let not_found = StatusCode::NOT_FOUND;
                let answer = app.get(&token, &path).await;
                assert_detail(answer, not_found, &detail, &format!("GET {what}"));
                let answer = app.delete(&token, &path).await;
                assert_detail(answer, not_found, &detail, &format!("DELETE {what}"));
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
            let tag_not_found =
                format!("Tag with tag_id {id} not found for account_id {account_id}");
            let link_not_found =
                format!("Link with link_id {id} not found for account_id {account_id}");
            let account_not_found = format!("Account with account_id '{id}' not found");
            for (caller, path, body, status, detail) in [
                (
                    &token,
                    "/link/",
                    json!({"link": "https://u.example/", "tag_id": id}),
                    StatusCode::NOT_FOUND,
                    &tag_not_found,
                ),
                (
                    &token,
                    "/taglink/",
                    json!({"tag_id": id, "link_id": link_id}),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &tag_not_found,
                ),
                (
                    &token,
                    "/taglink/",
                    json!({"tag_id": tag_id, "link_id": id}),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &link_not_found,
                ),
                (
                    &admin,
                    "/tag/",
                    json!({"tag": "t", "account_id": id}),
                    StatusCode::NOT_FOUND,
                    &account_not_found,
                ),
            ] {
                let what = format!("POST {path} {body}");
                assert_detail(app.post(caller, path, body).await, status, detail, &what);
            }
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
