//! The `q` language of `GET /link/`: words (all required), `"exact phrase"`, `-excluded`,
//! `#tag` and `OR`; the same links match on every engine for one shared fixture.

mod common;

use common::features::enc;
use common::for_each_engine;
use reqwest::StatusCode;
use serde_json::json;

/// The shared fixture: URL, title, description, notes, tags.
const FIXTURE: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "https://rust-lang.org/",
        "The Rust Programming Language",
        "A language empowering everyone",
        "",
        &["rust", "lang"],
    ),
    ("https://go.dev/", "The Go Programming Language", "", "", &["go", "lang"]),
    (
        "https://doc.rust-lang.org/book/",
        "The Rust Book",
        "",
        "read later, chapter 4",
        &["rust", "book"],
    ),
    ("https://example.org/draft", "Draft about Rust and Go", "", "", &["draft"]),
    ("https://cooking.example/pasta", "Pasta recipes", "Italian cooking", "", &["food"]),
];

#[tokio::test]
async fn the_query_language_matches_the_same_links_on_every_engine() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        for (url, title, description, notes, tags) in FIXTURE {
            let (status, link) = app
                .post(&ann, "/link/", json!({"link": url, "tag": tags[0], "title": title}))
                .await;
            assert_eq!(status, StatusCode::OK, "{link}");
            let mut patch = json!({"tags": tags});
            if !description.is_empty() {
                patch["description"] = json!(description);
            }
            if !notes.is_empty() {
                patch["notes"] = json!(notes);
            }
            let id = link["link_id"].as_str().unwrap();
            let (status, _) = app
                .send(reqwest::Method::PATCH, &format!("/link/{id}"), Some(&ann), Some(patch))
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        // Bob's copy of a link never shows in Ann's results.
        app.post(&bob, "/link/", json!({"link": "https://rust-lang.org/", "tag": "rust"}))
            .await;

        let n = |i: usize| FIXTURE[i - 1].0;
        for (q, expected) in [
            ("rust", vec![n(1), n(3), n(4)]),
            ("RUST Book", vec![n(3)]),
            ("rust language", vec![n(1)]),
            (r#""programming language""#, vec![n(1), n(2)]),
            ("rust -draft", vec![n(1), n(3)]),
            ("#lang", vec![n(1), n(2)]),
            ("#RUST -#book", vec![n(1)]),
            ("go OR pasta", vec![n(2), n(4), n(5)]),
            ("#rust OR #go", vec![n(1), n(2), n(3)]),
            (r#""rust book" OR pasta"#, vec![n(3), n(5)]),
            (r#"language -"go programming""#, vec![n(1)]),
            ("lang OR food #lang", vec![n(1), n(2)]),
            ("chapter", vec![n(3)]),
            ("italian -#food", vec![]),
            ("zzz", vec![]),
            ("OR", vec![n(1), n(2), n(3), n(4), n(5)]),
        ] {
            let response = app
                .client
                .get(app.url(&format!("/link/?q={}", enc(q))))
                .bearer_auth(&ann)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{q}");
            let total: usize = response.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let list: serde_json::Value = response.json().await.unwrap();
            let urls: Vec<&str> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["link"].as_str().unwrap())
                .collect();
            assert_eq!(urls, expected, "q={q}");
            assert_eq!(total, expected.len(), "q={q}");
        }
        // It combines with the other filters.
        let (_, list) = app.get(&ann, &format!("/link/?q={}&tag=book", enc("rust"))).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
    })
    .await;
}
