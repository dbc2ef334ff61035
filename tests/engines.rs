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
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        let (status, link) = app
            .post(
                &token,
                "/link/",
                json!({"link": "https://example.com/", "tag": "äPFEL"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let (_, tagged) = app
            .get(
                &token,
                &format!("/link/?tag_id={}", first["tag_id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(tagged, json!([link]), "the link got the first tag");
        let (_, again) = app.get(&token, "/tag/?tag=%C3%A4PFEL").await;
        assert_eq!(again[0]["tag"], "Äpfel", "the first spelling is kept");
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

/// A database made by the first release (migration 0001 only), with links whose ids, creation
/// times and tagging times are in different orders, upgraded by starting today's server: the
/// later migrations and the start-up indexing fill in what they add, and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_release_database_upgrades_with_its_links_in_order_and_searchable() {
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        // For SQLite, the URL already asks for the file to be created.
        let mut conn = common::db::DbConn::connect(&db.url).await;
        conn.migrate_first(1).await;
        let id = |n: u32| format!("00000000-0000-7000-8000-{n:012}");
        let (a, b) = (id(100), id(200));
        let (tag_a, tag_b) = (id(101), id(201));
        // (link id, URL, created_at, tagged at): ids, creation and tagging all in other orders.
        let links = [
            (
                id(3),
                "https://old.example/one",
                1_100_000_000_000_000i64,
                1_600_000_000_000_000i64,
            ),
            (
                id(1),
                "https://old.example/two",
                1_300_000_000_000_000,
                1_400_000_000_000_000,
            ),
            (
                id(2),
                "https://old.example/three",
                1_200_000_000_000_000,
                1_500_000_000_000_000,
            ),
        ];
        let mut statements = vec![
            format!("INSERT INTO accounts (account_id, email, email_key, hashed_password, security_stamp, created_at) VALUES ('{a}', 'old@example.com', 'old@example.com', 'x', 's', 1)"),
            format!("INSERT INTO accounts (account_id, email, email_key, hashed_password, security_stamp, created_at) VALUES ('{b}', 'other@example.com', 'other@example.com', 'x', 's', 2)"),
            format!("INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ('{tag_a}', '{a}', 'Old', 'old', 1)"),
            format!("INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ('{tag_b}', '{b}', 'old', 'old', 1)"),
            format!("INSERT INTO links (link_id, account_id, link, created_at) VALUES ('{}', '{b}', 'https://other.example/', 1)", id(4)),
            format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at) VALUES ('{tag_b}', '{}', '{b}', 1)", id(4)),
        ];
        for (link_id, link, created, tagged) in &links {
            statements.push(format!("INSERT INTO links (link_id, account_id, link, created_at) VALUES ('{link_id}', '{a}', '{link}', {created})"));
            statements.push(format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at) VALUES ('{tag_a}', '{link_id}', '{a}', {tagged})"));
        }
        for statement in &statements {
            conn.execute(statement).await;
        }
        conn.close().await;

        let app = TestApp::start(test_config(&db.url)).await;
        let admin = app.admin_token().await;
        let urls = |list: &serde_json::Value| -> Vec<String> {
            list.as_array()
                .expect("a list")
                .iter()
                .map(|l| l["link"].as_str().expect("link").to_owned())
                .collect()
        };
        let response = app
            .client
            .get(app.url(&format!("/link/?account_id={a}&tag=OLD")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let total = response.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .to_owned();
        let listed: serde_json::Value = response.json().await.expect("json");
        assert_eq!(
            urls(&listed),
            [
                "https://old.example/one",
                "https://old.example/three",
                "https://old.example/two"
            ]
        );
        assert_eq!(total, "3");
        let (_, newest_first) = app
            .get(
                &admin,
                &format!("/link/?account_id={a}&tag=old&sort=-created_at&limit=2"),
            )
            .await;
        assert_eq!(
            urls(&newest_first),
            ["https://old.example/two", "https://old.example/three"]
        );
        // 0002 and the start-up indexing: unchanged links were last updated when created, and
        // the search and exact-URL lookups find them.
        let (status, one) = app.get(&admin, &format!("/link/{}", id(3))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["updated_at"], one["created_at"]);
        assert_eq!(one["title"], serde_json::Value::Null);
        let (_, found) = app
            .get(&admin, &format!("/link/?account_id={a}&q=THREE"))
            .await;
        assert_eq!(urls(&found), ["https://old.example/three"]);
        let (_, exact) = app
            .get(
                &admin,
                &format!("/link/?account_id={a}&url=https://old.example/two"),
            )
            .await;
        assert_eq!(urls(&exact), ["https://old.example/two"]);
        // The other account's same-named tag and link stayed its own, and nothing was lost.
        let (_, other) = app
            .get(&admin, &format!("/link/?account_id={b}&tag=old"))
            .await;
        assert_eq!(urls(&other), ["https://other.example/"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 4);
        assert_eq!(app.count("SELECT COUNT(*) FROM taglinks").await, 4);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM taglinks WHERE link_created_at = 0")
                .await,
            0
        );
        app.stop().await;
        db.drop_db().await;
    }
}
