//! Import and export as a Netscape bookmark file: `POST /import/`, `GET /export/` and the
//! `tagmark import`/`export` commands.

mod common;

use common::{for_each_engine, tagmark_cli, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A file as a browser (with linkding/Pinboard attributes) writes it: nested folders,
/// entities, non-ASCII titles, tags with spaces, descriptions, a repeated URL, an entry that
/// is not a link.
const BROWSER_FILE: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3 ADD_DATE="1500000000" LAST_MODIFIED="1500000001" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
    <DL><p>
        <DT><A HREF="https://www.rust-lang.org/" ADD_DATE="1600000000" LAST_MODIFIED="1600000100" ICON="data:image/png;base64,iVBORw0KGgo=" TAGS="Rust,programming languages">Rust &amp; Cargo</A>
        <DD>A language empowering everyone
to build reliable &lt;software&gt;.
        <DT><H3 ADD_DATE="1500000000">Café &quot;Lesen&quot;</H3>
        <DL><p>
            <DT><A HREF="https://example.org/a?b=1&amp;c=2" ADD_DATE="1650000000" PRIVATE="1" TOREAD="1" TAGS="reading list,rust">日本語のタイトル — naïve Ünïcödé ☕</A>
            <DT><A HREF="https://example.org/emoji" ADD_DATE="1650000001">🦀 Ferris</A>
            <DD>Crabs &#x1F980; &amp; &eacute;t&eacute;
        </DL><p>
    </DL><p>
    <DT><A HREF="https://example.com/untitled" ADD_DATE="1700000000"></A>
    <DT><A HREF="https://www.rust-lang.org/" ADD_DATE="1700000001">The same URL again</A>
    <DT><A HREF="javascript:alert(1)" ADD_DATE="1700000002">Bookmarklet</A>
</DL><p>
"#;

/// The links as `GET /export/?format=json` gives them, without what differs between accounts.
fn comparable(export: &Value) -> Vec<Value> {
    export
        .as_array()
        .expect("array")
        .iter()
        .map(|l| {
            json!({
                "link": l["link"], "title": l["title"], "description": l["description"],
                "tags": l["tags"], "created_at": l["created_at"],
            })
        })
        .collect()
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/import/{query}")))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

async fn import_html(app: &TestApp, token: &str, html: &str) -> (StatusCode, Value) {
    import(app, token, "", "text/html", html.to_owned()).await
}

async fn export_html(app: &TestApp, token: &str, query: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/export/{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.expect("body")
}

async fn count_links(app: &TestApp, account_id: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM links WHERE account_id = '{account_id}'"
    ))
    .await
}

async fn count_tags(app: &TestApp, account_id: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM tags WHERE account_id = '{account_id}'"
    ))
    .await
}

#[tokio::test]
async fn a_browser_file_round_trips_without_loss() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, ann_token) = app.create_account(&admin, "ann@example.com").await;
        let (bob, bob_token) = app.create_account(&admin, "bob@example.com").await;

        let (status, report) = import_html(&app, &ann_token, BROWSER_FILE).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["created"], 4, "{report}");
        assert_eq!(report["skipped"], 1, "the repeated URL: {report}");
        assert_eq!(
            report["invalid"],
            json!([{"line": 23, "url": "javascript:alert(1)", "reason": "URL scheme 'javascript' is not allowed"}])
        );
        assert_eq!(count_links(&app, &ann).await, 4);
        // Rust and rust are one tag; folders are not tags.
        assert_eq!(count_tags(&app, &ann).await, 3);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM taglinks WHERE account_id = '{ann}'"))
                .await,
            4
        );

        let (status, exported) = app.get(&ann_token, "/export/?format=json").await;
        assert_eq!(status, StatusCode::OK);
        let expected = json!([
            {"link": "https://www.rust-lang.org/", "title": "Rust & Cargo",
             "description": "A language empowering everyone\nto build reliable <software>.",
             "tags": ["programming languages", "Rust"], "created_at": "2020-09-13T12:26:40Z"},
            {"link": "https://example.org/a?b=1&c=2", "title": "日本語のタイトル — naïve Ünïcödé ☕",
             "description": null, "tags": ["reading list", "Rust"], "created_at": "2022-04-15T05:20:00Z"},
            {"link": "https://example.org/emoji", "title": "🦀 Ferris",
             "description": "Crabs 🦀 & été", "tags": [], "created_at": "2022-04-15T05:20:01Z"},
            {"link": "https://example.com/untitled", "title": null, "description": null,
             "tags": [], "created_at": "2023-11-14T22:13:20Z"},
        ]);
        assert_eq!(json!(comparable(&exported)), expected);
        assert_eq!(exported[0]["updated_at"], "2020-09-13T12:28:20Z");
        assert_eq!(exported[0]["account_id"], ann.as_str());
        // The links are ordinary links: the API shows them with their titles.
        let (_, listed) = app.get(&ann_token, "/link/?tag=RUST").await;
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        assert_eq!(listed[0]["title"], "Rust & Cargo");

        // Export → import into an empty account gives the same links and tags.
        let html = export_html(&app, &ann_token, "").await;
        assert!(html.starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>"), "{html}");
        let (status, report) = import_html(&app, &bob_token, &html).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report, json!({"created": 4, "skipped": 0, "invalid": []}));
        let (_, bob_export) = app.get(&bob_token, "/export/?format=json").await;
        assert_eq!(comparable(&bob_export), comparable(&exported));
        assert_eq!(export_html(&app, &bob_token, "?format=html").await, html);

        // Importing the same file again changes nothing.
        let (status, report) = import_html(&app, &bob_token, &html).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report, json!({"created": 0, "skipped": 4, "invalid": []}));
        assert_eq!(count_links(&app, &bob).await, 4);
        assert_eq!(count_tags(&app, &bob).await, 3);
    })
    .await;
}

#[tokio::test]
async fn folders_become_tags_only_when_asked() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        let (status, report) = import(
            &app,
            &token,
            "?folder_tags=true",
            "text/html",
            BROWSER_FILE.to_owned(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let (_, exported) = app.get(&token, "/export/?format=json").await;
        assert_eq!(
            exported[1]["tags"],
            json!(["Bookmarks bar", "Café \"Lesen\"", "reading list", "Rust"])
        );
        assert_eq!(exported[3]["tags"], json!([]));
        assert_eq!(count_tags(&app, &ann).await, 5);
    })
    .await;
}

#[tokio::test]
async fn a_multipart_upload_imports_the_file_part() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        let form = reqwest::multipart::Form::new()
            .text("comment", "ignored")
            .part(
                "bookmarks",
                reqwest::multipart::Part::text(BROWSER_FILE)
                    .file_name("bookmarks.html")
                    .mime_str("text/html")
                    .unwrap(),
            );
        let response = app
            .client
            .post(app.url("/import"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["created"], 4, "{report}");
        assert_eq!(count_links(&app, &ann).await, 4);

        // A multipart body without a file.
        let form = reqwest::multipart::Form::new().text("comment", "no file");
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["detail"][0]["loc"], json!(["body", "file"]));
    })
    .await;
}

#[tokio::test]
async fn a_malformed_file_is_refused_and_stores_nothing() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        // Cut in the middle of a tag, as an interrupted download would be.
        let truncated = &BROWSER_FILE[..BROWSER_FILE
            .find("<DT><A HREF=\"https://example.com/")
            .unwrap()
            + 11];
        let cases: [(&[u8], &str); 5] = [
            (truncated.as_bytes(), "line 21: the tag <A> is never closed"),
            (
                &BROWSER_FILE.as_bytes()[..BROWSER_FILE.len() - 10],
                "looks truncated",
            ),
            (b"{\"links\": [\"https://example.org/\"]}", "no <DL> list"),
            (b"", "no <DL> list"),
            (
                b"<DL><DT><A HREF=\"https://example.org/\">caf\xe9</A></DL>",
                "not UTF-8",
            ),
        ];
        for (body, message) in cases {
            let (status, answer) = import(&app, &token, "", "text/html", body.to_vec()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let detail = answer["detail"].as_str().expect("a message");
            assert!(detail.contains(message), "{detail}");
        }
        assert_eq!(count_links(&app, &ann).await, 0);
        assert_eq!(count_tags(&app, &ann).await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM taglinks").await, 0);

        let (status, answer) = import(&app, &token, "", "application/json", "{}").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{answer}");
        let (status, _) = import(&app, "not-a-token", "", "text/html", BROWSER_FILE).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(count_links(&app, &ann).await, 0);
    })
    .await;
}

#[tokio::test]
async fn links_the_account_has_are_skipped_and_tags_reused_regardless_of_case() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        let (status, existing) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://www.rust-lang.org/", "tag": "RUST", "title": "mine"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{existing}");
        let (status, report) = import_html(&app, &token, BROWSER_FILE).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (report["created"].as_i64(), report["skipped"].as_i64()),
            (Some(3), Some(2))
        );
        assert_eq!(count_links(&app, &ann).await, 4);
        // RUST, programming languages (from the skipped link: not created), reading list.
        let (_, tags) = app.get(&token, "/tag/").await;
        let names: Vec<&str> = tags
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tag"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["RUST", "reading list"]);
        // The existing link is left as it was.
        let (_, link) = app
            .get(
                &token,
                &format!("/link/{}", existing["link_id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(link["title"], "mine");
        assert_eq!(link["created_at"], existing["created_at"]);
    })
    .await;
}

#[tokio::test]
async fn accounts_stay_apart_and_the_admin_names_the_account() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, ann_token) = app.create_account(&admin, "ann@example.com").await;
        let (bob, bob_token) = app.create_account(&admin, "bob@example.com").await;
        let (status, _) = app
            .post(&bob_token, "/link/", json!({"link": "https://bob.example/", "tag": "Rust"}))
            .await;
        assert_eq!(status, StatusCode::OK);

        // The admin must say which account.
        let (status, answer) = import_html(&app, &admin, BROWSER_FILE).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["detail"], "The account_id field is required for the admin scope");
        let (status, answer) = import(&app, &admin, "?account_id=nobody", "text/html", BROWSER_FILE).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer["detail"], "Account with account_id 'nobody' not found");
        let (status, answer) = app.get(&admin, "/export/").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (status, _) = app.get(&admin, "/export/?account_id=nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An account cannot name another one.
        let (status, answer) = import(
            &app,
            &ann_token,
            &format!("?account_id={bob}"),
            "text/html",
            BROWSER_FILE,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["detail"], "The account_id field should not be provided for account scope");
        let (status, _) = app.get(&ann_token, &format!("/export/?account_id={bob}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The admin imports into Ann: Bob's links and tags are untouched, although Bob has
        // a tag "Rust" too and a URL of his own.
        let (status, report) =
            import(&app, &admin, &format!("?account_id={ann}"), "text/html", BROWSER_FILE).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["created"], 4);
        assert_eq!(count_links(&app, &ann).await, 4);
        assert_eq!(count_links(&app, &bob).await, 1);
        assert_eq!(count_tags(&app, &bob).await, 1);
        assert_eq!(count_tags(&app, &ann).await, 3);

        // Each export shows only its own account's links.
        let (_, ann_export) = app.get(&ann_token, "/export/?format=json").await;
        assert_eq!(ann_export.as_array().unwrap().len(), 4);
        assert!(ann_export.as_array().unwrap().iter().all(|l| l["account_id"] == ann.as_str()));
        let (_, bob_export) = app.get(&bob_token, "/export/?format=json").await;
        assert_eq!(comparable(&bob_export), [json!({"link": "https://bob.example/",
            "title": null, "description": null, "tags": ["Rust"], "created_at": bob_export[0]["created_at"]})]);
        let bob_html = export_html(&app, &bob_token, "").await;
        assert!(!bob_html.contains("rust-lang"), "{bob_html}");
        let (status, admin_export) = app
            .get(&admin, &format!("/export/?account_id={bob}&format=json"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(admin_export, bob_export);

        let (status, answer) = app.get(&bob_token, "/export/?format=xml").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["detail"][0]["loc"], json!(["query", "format"]));
    })
    .await;
}

#[tokio::test]
async fn large_files_are_accepted_up_to_32_mib() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        // About 2 MiB: over the 1 MiB limit of other requests.
        let mut html = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
        let description = "ä".repeat(1900);
        for i in 0..600 {
            html.push_str(&format!(
                "<DT><A HREF=\"https://example.org/{i}\" ADD_DATE=\"{}\" TAGS=\"t{}\">Link {i}</A>\n<DD>{description}\n",
                1_600_000_000 + i,
                i % 7
            ));
        }
        html.push_str("</DL><p>\n");
        assert!(html.len() > 2 * 1024 * 1024);
        let (status, report) = import_html(&app, &token, &html).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["created"], 600);
        assert_eq!(count_links(&app, &ann).await, 600);
        assert_eq!(count_tags(&app, &ann).await, 7);

        let (status, answer) =
            import(&app, &token, "", "text/html", vec![b' '; 33 * 1024 * 1024]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
        // Other requests keep their limit.
        let (status, _) = app
            .send(
                Method::POST,
                "/tag/",
                Some(&token),
                Some(json!({"tag": "x".repeat(2 * 1024 * 1024)})),
            )
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    })
    .await;
}

#[tokio::test]
async fn the_shell_commands_import_and_export() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann, token) = app.create_account(&admin, "ann@example.com").await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bookmarks.html");
        std::fs::write(&file, BROWSER_FILE).unwrap();
        let file = file.to_str().unwrap();

        let out = tagmark_cli(&app, &["import", file, "--account", "ANN@example.com"], "").await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("imported 4 links"), "{stdout}");
        assert!(stdout.contains("1 skipped"), "{stdout}");
        assert!(
            stderr.contains(":23: URL scheme 'javascript' is not allowed"),
            "{stderr}"
        );
        assert_eq!(count_links(&app, &ann).await, 4);

        let out = tagmark_cli(
            &app,
            &["export", "--account", "ann@example.com", "--format", "json"],
            "",
        )
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cli_export: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let (_, api_export) = app.get(&token, "/export/?format=json").await;
        assert_eq!(cli_export, api_export);

        let out = tagmark_cli(&app, &["export", "--account", "ann@example.com"], "").await;
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            export_html(&app, &token, "").await
        );

        // From standard input; a malformed file fails and stores nothing.
        let out = tagmark_cli(
            &app,
            &["import", "-", "--account", "ann@example.com"],
            "<DL><DT><A HREF=\"https://x.example/\">",
        )
        .await;
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("looks truncated"));
        let out = tagmark_cli(
            &app,
            &["import", "-", "--account", "nobody@example.com"],
            "",
        )
        .await;
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no account"));
        assert_eq!(count_links(&app, &ann).await, 4);
    })
    .await;
}
