//! A database made by the release before the native-driver stores (migrations 0001-0007),
//! holding rows of every table, is upgraded in place by starting today's server on it: every
//! row is still there, and readable over HTTP as before.

mod common;

use common::db::DbConn;
use common::{engines, fresh_db, test_config, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

/// The migrations of the release this upgrades from.
const OLD_MIGRATIONS: usize = 7;

const PASSWORD: &str = "old-password-1";

fn id(n: u32) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

/// Rows of every table, as that release wrote them (times in microseconds).
fn old_rows(hash: &str, token_hash: &str, session_hash: &str, now: i64) -> Vec<String> {
    let (a, b) = (id(100), id(200));
    let long_notes = "n".repeat(7000);
    vec![
        format!("INSERT INTO users (user_id, username, hashed_password, security_stamp, created_at) VALUES ('{}', 'oldadmin', '{hash}', 'stamp-u', 5)", id(900)),
        format!("INSERT INTO accounts (account_id, email, email_key, hashed_password, security_stamp, created_at) VALUES ('{a}', 'Old@Example.com', 'old@example.com', '{hash}', 'stamp-a', 10)"),
        format!("INSERT INTO accounts (account_id, email, email_key, hashed_password, security_stamp, created_at) VALUES ('{b}', 'other@example.com', 'other@example.com', '{hash}', 'stamp-b', 20)"),
        format!("INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ('{}', '{a}', 'Rust', 'rust', 30)", id(101)),
        format!("INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ('{}', '{a}', 'Café', 'café', 31)", id(102)),
        format!("INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ('{}', '{b}', 'rust', 'rust', 32)", id(201)),
        // Every field of a link; search keys already derived (as that release did) ...
        format!("INSERT INTO links (link_id, account_id, link, created_at, title, description, notes, updated_at, link_hash, search_text, unread, favorite, url_key) \
                 VALUES ('{}', '{a}', 'https://old.example/one', 40, 'Title ünïcode', 'A description', '{long_notes}', 45, NULL, NULL, 1, 0, NULL)", id(1)),
        // ... or not yet (filled in at start), and no optional fields.
        format!("INSERT INTO links (link_id, account_id, link, created_at, title, description, notes, updated_at, unread, favorite) \
                 VALUES ('{}', '{a}', 'https://old.example/two?q=1', 50, NULL, NULL, NULL, 50, 0, 1)", id(2)),
        format!("INSERT INTO links (link_id, account_id, link, created_at, updated_at) VALUES ('{}', '{b}', 'https://other.example/', 60, 60)", id(3)),
        format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) VALUES ('{}', '{}', '{a}', 41, 40)", id(101), id(1)),
        format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) VALUES ('{}', '{}', '{a}', 42, 40)", id(102), id(1)),
        format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) VALUES ('{}', '{}', '{a}', 51, 50)", id(101), id(2)),
        format!("INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) VALUES ('{}', '{}', '{b}', 61, 60)", id(201), id(3)),
        "INSERT INTO settings (name, value) VALUES ('old_setting', 'kept')".to_owned(),
        format!("INSERT INTO sessions (session_hash, is_admin, principal_id, name, security_stamp, created_at, expires_at) VALUES ('{session_hash}', 0, '{a}', 'Old@Example.com', 'stamp-a', 70, {})", now + 3_600_000_000),
        format!("INSERT INTO api_tokens (token_id, account_id, name, token_hash, read_only, created_at, last_used_at) VALUES ('{}', '{a}', 'script', '{token_hash}', 0, 80, NULL)", id(300)),
        // Sync: account a's counter at 3, the tag and link 1 recorded, and a deleted link's
        // tombstone; the rest is recorded by the server when it starts.
        format!("INSERT INTO sync_seqs (account_id, seq, floor_seq) VALUES ('{a}', 3, 0)"),
        format!("INSERT INTO changes (account_id, kind, id, seq, deleted_at) VALUES ('{a}', 0, '{}', 1, NULL)", id(101)),
        format!("INSERT INTO changes (account_id, kind, id, seq, deleted_at) VALUES ('{a}', 1, '{}', 2, NULL)", id(1)),
        format!("INSERT INTO changes (account_id, kind, id, seq, deleted_at) VALUES ('{a}', 1, '{}', 3, {now})", id(9)),
    ]
}

/// Rows in each table, in a fixed order.
async fn counts(conn: &mut DbConn) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in [
        "users",
        "accounts",
        "tags",
        "links",
        "taglinks",
        "settings",
        "sessions",
        "api_tokens",
        "sync_seqs",
        "changes",
    ] {
        out.push((
            table,
            conn.int(&format!("SELECT COUNT(*) FROM {table}")).await,
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_upgrades_keeping_every_row() {
    let hash = tagmark::auth::hash_password(PASSWORD).expect("hash");
    let (personal_token, token_hash) = tagmark::auth::new_personal_token();
    let session_secret = "old-session-secret";
    let session_hash = tagmark::store::link_hash(session_secret);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros() as i64;
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        let mut conn = DbConn::connect(&db.url).await;
        conn.migrate_first(OLD_MIGRATIONS).await;
        for statement in old_rows(&hash, &token_hash, &session_hash, now) {
            conn.execute(&statement).await;
        }
        let before = counts(&mut conn).await;
        conn.close().await;

        let app = TestApp::start(test_config(&db.url)).await;
        let (a, b) = (id(100), id(200));

        // Nothing lost; what the server adds at start is the built-in admin, the JWT secret
        // unless configured, and sync rows for what was not recorded yet.
        let mut conn = DbConn::connect(&db.url).await;
        let after = counts(&mut conn).await;
        for ((table, old), (_, new)) in before.iter().zip(&after) {
            assert!(new >= old, "{engine}: {table} had {old} rows, now {new}");
        }
        assert_eq!(
            conn.text("SELECT value FROM settings WHERE name = 'old_setting'")
                .await,
            "kept"
        );
        conn.close().await;

        // The old admin and the account log in with their passwords.
        app.token("oldadmin", PASSWORD, "admin").await;
        let token = app.token("old@example.com", PASSWORD, "account").await;
        let admin = app.admin_token().await;
        let (status, account) = app.get(&admin, &format!("/account/{a}")).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {account}");
        assert_eq!(account["email"], "Old@Example.com");

        // Every field of the links, read back.
        let (status, link) = app.get(&token, &format!("/link/{}", id(1))).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {link}");
        assert_eq!(link["link"], "https://old.example/one");
        assert_eq!(link["title"], "Title ünïcode");
        assert_eq!(link["description"], "A description");
        assert_eq!(link["notes"].as_str().map(str::len), Some(7000));
        assert_eq!(link["unread"], true);
        assert_eq!(link["favorite"], false);
        let (status, link) = app.get(&token, &format!("/link/{}", id(2))).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {link}");
        assert_eq!(link["link"], "https://old.example/two?q=1");
        assert_eq!(link["title"], Value::Null);
        assert_eq!(link["favorite"], true);

        // Lists by tag, search and the exact-URL lookup find them (keys filled in at start).
        let (status, list) = app.get(&token, "/link/?tag=rust").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {list}");
        let ids: Vec<&str> = list
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|l| l["link_id"].as_str())
            .collect();
        assert_eq!(ids, [id(1), id(2)], "{engine}");
        let (_, found) = app.get(&token, "/link/?q=%C3%BCn%C3%AFcode").await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{engine}: {found}");
        let (_, found) = app
            .get(&token, "/link/?url=https%3A%2F%2Fold.example%2Ftwo%3Fq%3D1")
            .await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{engine}: {found}");

        // Tags and tag-links, of both accounts.
        let (_, tags) = app.get(&token, "/tag/").await;
        let names: Vec<&str> = tags
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(|t| t["tag"].as_str())
            .collect();
        assert_eq!(names, ["Rust", "Café"], "{engine}");
        let (_, taglinks) = app.get(&admin, "/taglink/").await;
        assert_eq!(taglinks.as_array().map(Vec::len), Some(4), "{engine}");
        let (status, other) = app
            .get(&admin, &format!("/link/{}?account_id={b}", id(3)))
            .await;
        assert_eq!(status, StatusCode::OK, "{engine}: {other}");

        // The personal token and the web session still work.
        let (status, _) = app.get(&personal_token, &format!("/link/{}", id(1))).await;
        assert_eq!(status, StatusCode::OK, "{engine}: personal token");
        let page = app
            .client
            .get(app.url("/ui/tags"))
            .header("Cookie", format!("tagmark_session={session_secret}"))
            .send()
            .await
            .expect("request");
        assert_eq!(page.status(), StatusCode::OK, "{engine}: session");
        assert!(page.text().await.expect("page").contains("Café"));

        // Sync: a client that had synced up to 2 learns of the tombstone recorded before the
        // upgrade and of the links recorded at start; one from the start gets everything.
        let (status, page) = app.get(&token, "/sync/?since=2").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {page}");
        assert_eq!(page["deleted"][0]["link_id"], id(9), "{engine}: {page}");
        let (_, page) = app.get(&token, "/sync/").await;
        assert_eq!(
            page["links"].as_array().map(Vec::len),
            Some(2),
            "{engine}: {page}"
        );

        app.stop().await;
        db.drop_db().await;
    }
}
