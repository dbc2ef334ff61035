//! Where database engines differ by default, tagmark behaves the same on every one.
mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_names_compare_case_insensitively_also_beyond_ascii() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "case@example.com").await;
        let (_, first) = app.post(&token, "/tag/", json!({"tag": "Äpfel"})).await;
        let (status, again) = app.post(&token, "/tag/", json!({"tag": "äPFEL"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["tag_id"], first["tag_id"]);
        assert_eq!(again["tag"], "Äpfel", "the first spelling is kept");
        // Different letters stay different tags, even where a collation would fold them.
        let (_, plain) = app.post(&token, "/tag/", json!({"tag": "Apfel"})).await;
        assert_ne!(plain["tag_id"], first["tag_id"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM tags").await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_are_unique_regardless_of_case_and_log_in_either_way() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        app.create_account(&admin, "Mixed.Case@Example.com").await;
        let (status, body) = app
            .post(
                &admin,
                "/account/",
                json!({"email": "mixed.case@example.COM", "password": "password-123"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        app.token("MIXED.case@example.com", "password-123", "account")
            .await;
        let (_, found) = app
            .get(&admin, "/account/?email=mixed.case@example.com")
            .await;
        assert_eq!(found.as_array().map(Vec::len), Some(1));
        assert_eq!(found[0]["email"], "Mixed.Case@Example.com");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_byte_characters_and_the_longest_url_are_stored_exactly() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "unicode@example.com").await;
        let tag = "🦀 Rust 🚀 日本語 עברית";
        let base = "https://example.com/";
        let url = format!("{base}{}", "é".repeat((2048 - base.len()) / 2));
        assert!(url.len() <= 2048 && url.len() > 2040);
        let (status, link) = app
            .post(&token, "/link/", json!({"link": url, "tag": tag}))
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(link["link"], url.as_str());
        let (_, tags) = app.get(&token, "/tag/").await;
        assert_eq!(tags[0]["tag"], tag);
        let query = format!("/link/?tag={}", urlencode(tag));
        let (_, links) = app.get(&token, &query).await;
        assert_eq!(links.as_array().map(Vec::len), Some(1));
        assert_eq!(links[0]["link"], url.as_str());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_creation_order_even_for_links_made_in_one_burst() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "burst@example.com").await;
        let mut created = Vec::new();
        for i in 0..25 {
            let (status, link) = app
                .post(
                    &token,
                    "/link/",
                    json!({"link": format!("https://example.com/{i}"), "tag": "burst"}),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            created.push(link["link_id"].clone());
        }
        let mut paged = Vec::new();
        for offset in (0..25).step_by(7) {
            let (_, page) = app
                .get(&token, &format!("/link/?tag=burst&offset={offset}&limit=7"))
                .await;
            paged.extend(
                page.as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["link_id"].clone()),
            );
        }
        assert_eq!(paged, created);
        let times: Vec<String> = {
            let (_, all) = app.get(&token, "/link/?limit=1000").await;
            all.as_array()
                .unwrap()
                .iter()
                .map(|l| l["created_at"].as_str().unwrap().to_owned())
                .collect()
        };
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "created_at is RFC 3339 UTC and ascending");
        assert!(times.iter().all(|t| t.ends_with('Z')));
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
