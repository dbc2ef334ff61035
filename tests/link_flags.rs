//! Read-later and favourite flags on links: in every answer, set by POST and PATCH, filtered
//! on by `GET /link/`, and carried by the Netscape import (`TOREAD="1"`) and export.

mod common;

use common::for_each_engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn urls(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|l| l["link"].as_str().expect("link"))
        .collect()
}

#[tokio::test]
async fn flags_are_false_by_default_and_set_by_post_and_patch() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "flags@example.com").await;

        let (status, plain) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://a.example/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{plain}");
        assert_eq!(
            (&plain["unread"], &plain["favorite"]),
            (&json!(false), &json!(false))
        );

        let (status, marked) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://b.example/", "tag": "t", "unread": true, "favorite": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{marked}");
        assert_eq!(
            (&marked["unread"], &marked["favorite"]),
            (&json!(true), &json!(true))
        );
        let id = marked["link_id"].as_str().unwrap();

        // Read back, alone and in a list.
        let (_, got) = app.get(&token, &format!("/link/{id}")).await;
        assert_eq!(
            (&got["unread"], &got["favorite"]),
            (&json!(true), &json!(true))
        );
        let (_, list) = app.get(&token, "/link/").await;
        for link in list.as_array().unwrap() {
            assert!(
                link["unread"].is_boolean() && link["favorite"].is_boolean(),
                "{link}"
            );
        }

        // PATCH changes only what it names.
        let (status, patched) = app
            .send(
                Method::PATCH,
                &format!("/link/{id}"),
                Some(&token),
                Some(json!({"unread": false})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(
            (&patched["unread"], &patched["favorite"]),
            (&json!(false), &json!(true))
        );
        let (_, patched) = app
            .send(
                Method::PATCH,
                &format!("/link/{id}"),
                Some(&token),
                Some(json!({"title": "B"})),
            )
            .await;
        assert_eq!(
            (&patched["unread"], &patched["favorite"]),
            (&json!(false), &json!(true))
        );
        let (_, got) = app.get(&token, &format!("/link/{id}")).await;
        assert_eq!(
            (&got["unread"], &got["favorite"]),
            (&json!(false), &json!(true))
        );

        // Not a boolean: 422 in FastAPI's shape, on POST, PATCH and the list.
        let (status, body) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://c.example/", "tag": "t", "unread": "yes"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/link/{id}"),
                Some(&token),
                Some(json!({"favorite": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = app.get(&token, "/link/?unread=maybe").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["detail"].is_array(), "{body}");
    })
    .await;
}

#[tokio::test]
async fn lists_filter_on_flags_within_the_account() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        for (url, unread, favorite, tag) in [
            ("https://1.example/", false, false, "x"),
            ("https://2.example/", true, false, "x"),
            ("https://3.example/", false, true, "y"),
            ("https://4.example/", true, true, "x"),
        ] {
            let (status, _) = app
                .post(
                    &ann,
                    "/link/",
                    json!({"link": url, "tag": tag, "unread": unread, "favorite": favorite}),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        // Bob's links are never in Ann's lists.
        app.post(
            &bob,
            "/link/",
            json!({"link": "https://bob.example/", "tag": "x", "unread": true, "favorite": true}),
        )
        .await;

        for (query, expected) in [
            (
                "unread=true",
                vec!["https://2.example/", "https://4.example/"],
            ),
            (
                "unread=false",
                vec!["https://1.example/", "https://3.example/"],
            ),
            (
                "favorite=true",
                vec!["https://3.example/", "https://4.example/"],
            ),
            (
                "favorite=false",
                vec!["https://1.example/", "https://2.example/"],
            ),
            ("unread=true&favorite=true", vec!["https://4.example/"]),
            ("unread=false&favorite=false", vec!["https://1.example/"]),
            (
                "unread=true&tag=x",
                vec!["https://2.example/", "https://4.example/"],
            ),
            ("favorite=true&tag=x", vec!["https://4.example/"]),
            (
                "unread=true&sort=-created_at",
                vec!["https://4.example/", "https://2.example/"],
            ),
            ("unread=true&q=4.example", vec!["https://4.example/"]),
        ] {
            let response = app
                .client
                .get(app.url(&format!("/link/?{query}")))
                .bearer_auth(&ann)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let total = response.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .to_owned();
            let list: Value = response.json().await.unwrap();
            assert_eq!(urls(&list), expected, "{query}");
            assert_eq!(total, expected.len().to_string(), "{query}");
        }

        // The admin filters across accounts, or within one.
        let (_, all) = app.get(&admin, "/link/?unread=true&favorite=true").await;
        assert_eq!(
            urls(&all),
            vec!["https://4.example/", "https://bob.example/"]
        );
        let (_, one) = app
            .get(
                &admin,
                &format!("/link/?unread=true&favorite=true&account_id={ann_id}"),
            )
            .await;
        assert_eq!(urls(&one), vec!["https://4.example/"]);
    })
    .await;
}

#[tokio::test]
async fn netscape_toread_is_imported_and_exported() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "reader@example.com").await;
        let file = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
    <DT><A HREF="https://later.example/" ADD_DATE="1600000000" TOREAD="1" TAGS="a">Later</A>
    <DT><A HREF="https://done.example/" ADD_DATE="1600000001" TOREAD="0">Done</A>
    <DT><A HREF="https://plain.example/" ADD_DATE="1600000002">Plain</A>
</DL><p>
"#;
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&token)
            .header("Content-Type", "text/html")
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, unread) = app.get(&token, "/link/?unread=true").await;
        assert_eq!(urls(&unread), vec!["https://later.example/"]);
        let (_, list) = app.get(&token, "/link/").await;
        assert!(list
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["favorite"] == json!(false)));

        let html = app
            .client
            .get(app.url("/export/"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lines: Vec<&str> = html.lines().filter(|l| l.contains("<DT><A")).collect();
        assert_eq!(lines.len(), 3, "{html}");
        assert!(lines[0].contains("https://later.example/") && lines[0].contains(r#"TOREAD="1""#));
        assert!(lines[1..].iter().all(|l| !l.contains("TOREAD")), "{html}");

        // The JSON export carries both flags.
        let (_, exported) = app.get(&token, "/export/?format=json").await;
        assert_eq!(exported[0]["unread"], json!(true), "{exported}");
        assert_eq!(exported[1]["favorite"], json!(false), "{exported}");

        // Round trip: importing the export into another account keeps the flag.
        let (_, other) = app.create_account(&admin, "other@example.com").await;
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&other)
            .header("Content-Type", "text/html")
            .body(html)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, unread) = app.get(&other, "/link/?unread=true").await;
        assert_eq!(urls(&unread), vec!["https://later.example/"]);
    })
    .await;
}
