//! The `q` language of `GET /link/`: words (all required), `"exact phrase"`, `-excluded`,
//! `#tag` and `OR`; the same links match on every engine for one shared fixture, found through
//! each engine's own index, kept in step with every write; `sort=relevance` (the default with
//! `q`) ranks title matches above description/notes matches above URL matches.

mod common;

use common::features::enc;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The shared fixture: URL, title, description, notes, tags.
const FIXTURE: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "https://rust-lang.org/",
        "The Rust Programming Language",
        "A language empowering everyone",
        "",
        &["rust", "lang"],
    ),
    (
        "https://go.dev/",
        "The Go Programming Language",
        "",
        "",
        &["go", "lang"],
    ),
    (
        "https://doc.rust-lang.org/book/",
        "The Rust Book",
        "",
        "read later,\nchapter 4",
        &["rust", "book"],
    ),
    (
        "https://example.org/draft",
        "Draft about Rust and Go",
        "",
        "",
        &["draft"],
    ),
    (
        "https://cooking.example/pasta",
        "Pasta recipes",
        "Italian cooking: Äpfel & \"quotes\" 50%_off",
        "",
        &["food"],
    ),
];

/// GET a list: the URLs in order, and `X-Total-Count`.
async fn search(app: &TestApp, token: &str, path: &str) -> (Vec<String>, usize) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let total: usize = response.headers()["x-total-count"]
        .to_str()
        .expect("header")
        .parse()
        .expect("number");
    let list: Value = response.json().await.expect("json");
    let urls = list
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["link"].as_str().expect("link").to_owned())
        .collect();
    (urls, total)
}

async fn add(app: &TestApp, token: &str, url: &str, fields: Value, tags: &[&str]) -> String {
    let (status, link) = app
        .post(token, "/link/", json!({"link": url, "tag": tags[0]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let id = link["link_id"].as_str().expect("link_id").to_owned();
    let mut patch = fields;
    patch["tags"] = json!(tags);
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/link/{id}"),
            Some(token),
            Some(patch),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[tokio::test]
async fn the_query_language_matches_the_same_links_on_every_engine() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        for (url, title, description, notes, tags) in FIXTURE {
            let mut fields = json!({"title": title});
            if !description.is_empty() {
                fields["description"] = json!(description);
            }
            if !notes.is_empty() {
                fields["notes"] = json!(notes);
            }
            add(&app, &ann, url, fields, tags).await;
        }
        // Bob's copy of a link never shows in Ann's results.
        add(
            &app,
            &bob,
            "https://rust-lang.org/",
            json!({"title": "Rust"}),
            &["rust"],
        )
        .await;

        let n = |i: usize| FIXTURE[i - 1].0.to_owned();
        let all = || (1..=5).map(n).collect::<Vec<_>>();
        for (q, expected) in [
            ("rust", vec![n(1), n(3), n(4)]),
            ("RUST Book", vec![n(3)]),
            ("rust language", vec![n(1)]),
            // Substrings, in any field, the URL included.
            ("lang", vec![n(1), n(2), n(3)]),
            ("ust-la", vec![n(1), n(3)]),
            ("go.dev", vec![n(2)]),
            (r#""programming language""#, vec![n(1), n(2)]),
            (r#""rust programming""#, vec![n(1)]),
            // A phrase never spans two fields; a line break inside one is a space.
            (r#""language a""#, vec![]),
            (r#""later, chapter""#, vec![n(3)]),
            ("rust -draft", vec![n(1), n(3)]),
            (r#"-"rust book" rust"#, vec![n(1), n(4)]),
            ("#lang", vec![n(1), n(2)]),
            ("#RUST -#book", vec![n(1)]),
            ("go OR pasta", vec![n(2), n(4), n(5)]),
            ("pasta OR go", vec![n(2), n(4), n(5)]),
            ("#rust OR #go", vec![n(1), n(2), n(3)]),
            (r#""rust book" OR pasta"#, vec![n(3), n(5)]),
            (r#"language -"go programming""#, vec![n(1)]),
            ("lang OR food #lang", vec![n(1), n(2)]),
            ("chapter", vec![n(3)]),
            // Short words (fewer than three characters: no trigram) mix with indexed ones.
            ("go", vec![n(2), n(4)]),
            ("go language", vec![n(2)]),
            ("rust -go", vec![n(1), n(3)]),
            ("4 rust", vec![n(3)]),
            // Case folded by tagmark on every engine; quotes, % and _ are plain characters.
            ("äPFEL", vec![n(5)]),
            (r#""äpfel &" quotes""#, vec![n(5)]),
            ("50%_off", vec![n(5)]),
            ("50%_of", vec![n(5)]),
            ("5_%", vec![]),
            ("italian -#food", vec![]),
            ("zzz", vec![]),
            ("rust zzz", vec![]),
            ("zzz OR pasta", vec![n(5)]),
            // Nothing to search for: every link.
            ("OR", all()),
            ("  ", all()),
        ] {
            // In list order, so that the sets compare; then the default (relevance) order
            // finds the same links.
            let (urls, total) =
                search(&app, &ann, &format!("/link/?q={}&sort=created_at", enc(q))).await;
            assert_eq!(urls, expected, "q={q}");
            assert_eq!(total, expected.len(), "q={q}");
            let (mut ranked, total) = search(&app, &ann, &format!("/link/?q={}", enc(q))).await;
            ranked.sort_by_key(|u| expected.iter().position(|e| e == u));
            assert_eq!(ranked, expected, "q={q} by relevance");
            assert_eq!(total, expected.len(), "q={q} by relevance");
        }
        // It combines with the other filters and pages.
        let (urls, total) = search(&app, &ann, &format!("/link/?q={}&tag=book", enc("rust"))).await;
        assert_eq!((urls, total), (vec![n(3)], 1));
        let (urls, total) = search(
            &app,
            &ann,
            &format!("/link/?q={}&sort=created_at&limit=1&offset=1", enc("rust")),
        )
        .await;
        assert_eq!((urls, total), (vec![n(3)], 3));
        // The admin searches every account, or one.
        let (urls, _) = search(&app, &admin, "/link/?q=rust-lang.org/&sort=created_at").await;
        assert_eq!(urls, vec![n(1), n(3), n(1)]);
    })
    .await;
}

#[tokio::test]
async fn relevance_ranks_title_then_description_or_notes_then_url() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "rank@example.com").await;
        // Created in the opposite order of their rank.
        let url = add(
            &app,
            &token,
            "https://kiwi.example/",
            json!({"title": "Fruit"}),
            &["t"],
        )
        .await;
        let notes = add(
            &app,
            &token,
            "https://b.example/",
            json!({"title": "Fruit", "notes": "a kiwi"}),
            &["t"],
        )
        .await;
        let description = add(
            &app,
            &token,
            "https://c.example/",
            json!({"title": "Fruit", "description": "Kiwi"}),
            &["t"],
        )
        .await;
        let title = add(
            &app,
            &token,
            "https://d.example/",
            json!({"title": "Kiwi"}),
            &["t"],
        )
        .await;
        let both = add(
            &app,
            &token,
            "https://e.example/kiwi",
            json!({"title": "KIWI", "notes": "kiwi"}),
            &["u"],
        )
        .await;
        let ids = |list: &Value| -> Vec<String> {
            list.as_array()
                .expect("array")
                .iter()
                .map(|l| l["link_id"].as_str().expect("id").to_owned())
                .collect()
        };
        // Title matches first (newest first among equals), then description or notes (equal
        // rank: newest first), then the URL.
        let ranked = vec![
            both.clone(),
            title.clone(),
            description.clone(),
            notes.clone(),
            url.clone(),
        ];
        for path in ["/link/?q=kiwi", "/link/?q=KIWI&sort=relevance"] {
            let (status, list) = app.get(&token, path).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(ids(&list), ranked, "{path}");
        }
        // Each word counts: the title's "fruit" lifts the others above a URL match.
        let (_, list) = app.get(&token, "/link/?q=kiwi%20fruit").await;
        assert_eq!(
            ids(&list),
            vec![description.clone(), notes.clone(), url.clone()]
        );
        // With a tag, and paged.
        let (_, list) = app
            .get(&token, "/link/?q=kiwi&tag=t&limit=2&offset=1")
            .await;
        assert_eq!(ids(&list), vec![description.clone(), notes.clone()]);
        // An explicit order wins over relevance.
        let (_, list) = app.get(&token, "/link/?q=kiwi&sort=created_at").await;
        assert_eq!(ids(&list), vec![url, notes, description, title, both]);
        let (status, body) = app.get(&token, "/link/?q=kiwi&sort=best").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["detail"][0]["msg"],
            "Input should be 'created_at', '-created_at' or 'relevance'"
        );
        // The OpenAPI document describes the language and the order.
        let (_, doc) = app.send(Method::GET, "/openapi.json", None, None).await;
        let params = doc["paths"]["/link/"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p.to_string())
                .unwrap_or_default()
        };
        for part in ["exact phrase", "-word", "#tag", "OR", "relevance"] {
            assert!(
                param("q").contains(part),
                "q documents {part}: {}",
                param("q")
            );
        }
        assert!(param("sort").contains("relevance"), "{}", param("sort"));
        let sorts = doc["components"]["schemas"]["LinkSort"].to_string();
        assert!(sorts.contains("\"relevance\""), "{sorts}");
    })
    .await;
}

#[tokio::test]
async fn the_search_index_follows_every_write() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "index@example.com").await;
        let id = add(
            &app,
            &token,
            "https://one.example/",
            json!({"title": "Mango season", "notes": "papaya"}),
            &["t"],
        )
        .await;
        let found = |q: &'static str| {
            let app = &app;
            let token = &token;
            async move { search(app, token, &format!("/link/?q={}", enc(q))).await.1 }
        };
        assert_eq!((found("mango").await, found("papaya").await), (1, 1));
        // A changed title and URL are found at once; the old ones no longer.
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/link/{id}"),
                Some(&token),
                Some(json!({"title": "Lychee", "link": "https://two.example/", "notes": null})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found("mango").await, 0);
        assert_eq!(found("papaya").await, 0);
        assert_eq!(found("one.example").await, 0);
        assert_eq!(found("lychee").await, 1);
        assert_eq!(found("two.example").await, 1);
        // A change that leaves the text as it was (SQLite then leaves the index alone).
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/link/{id}"),
                Some(&token),
                Some(json!({"favorite": true, "tags": ["t", "u"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found("lychee").await, 1);
        // A deleted link is gone from the index too.
        let (status, _) = app.delete(&token, &format!("/link/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found("lychee").await, 0);
        // Links of an imported bookmark file are found.
        let file = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n\
            <DT><A HREF=\"https://imported.example/\" ADD_DATE=\"1600000000\">Durian notes</A>\n</DL><p>\n";
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&token)
            .header("content-type", "text/html")
            .body(file)
            .send()
            .await
            .expect("import");
        assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
        assert_eq!(found("durian").await, 1);
        if app.database_url.starts_with("mysql") {
            // MariaDB's FULLTEXT index over the trigram words finds the imported link: "dur"
            // and "ian" (every third trigram of "durian", and the last) as hex.
            assert_eq!(
                app.count(
                    "SELECT COUNT(*) FROM links WHERE MATCH (search_grams) \
                     AGAINST ('+647572 +69616e' IN BOOLEAN MODE)"
                )
                .await,
                1
            );
            assert_eq!(
                app.count("SELECT COUNT(*) FROM links WHERE search_grams IS NULL")
                    .await,
                0
            );
        }
        if app.database_url.starts_with("sqlite") {
            // The external-content FTS5 index agrees with the links it indexes, and every
            // change queued for it was applied when its write committed.
            assert_eq!(app.count("SELECT COUNT(*) FROM links_fts_queue").await, 0);
            common::db::execute(
                &app.database_url,
                "INSERT INTO links_fts (links_fts, rank) VALUES ('integrity-check', 1)",
            )
            .await;
            assert_eq!(
                app.count("SELECT COUNT(*) FROM links_fts WHERE links_fts MATCH '\"durian\"'")
                    .await,
                1
            );
        }
    })
    .await;
}

/// GET a list: the link ids in order, `X-Total-Count` and `X-Total-Count-Exact`.
async fn search_ids(app: &TestApp, token: &str, path: &str) -> (Vec<String>, i64, String) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .expect("header")
            .to_owned()
    };
    let total: i64 = header("x-total-count").parse().expect("number");
    let exact = header("x-total-count-exact");
    let list: Value = response.json().await.expect("json");
    let titles = list
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["title"].as_str().expect("title").to_owned())
        .collect();
    (titles, total, exact)
}

#[tokio::test]
async fn a_broad_search_counts_to_a_thousand_and_ranks_the_newest_thousand() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        // The same links stored oldest first, and in an order unlike their dates (an index
        // may hold them in the order they were stored).
        for (email, stride) in [("broad@example.com", 1), ("shuffled@example.com", 7)] {
            let (_, token) = app.create_account(&admin, email).await;
            broad_search_pages(&app, &token, stride).await;
        }
    })
    .await;
}

/// 1,100 links whose URLs hold "kiwi" (the oldest and the 501st also in their titles),
/// imported in the order `i * stride % 1100`, and what a broad search answers on them.
async fn broad_search_pages(app: &TestApp, token: &str, stride: usize) {
    let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
    let title = |i: usize| match i {
        0 => "Kiwi oldest".to_owned(),
        500 => "Kiwi middle".to_owned(),
        i => format!("Item {i}"),
    };
    for i in (0..1100).map(|j| j * stride % 1100) {
        file.push_str(&format!(
            "<DT><A HREF=\"https://kiwi.example/{i}\" ADD_DATE=\"{}\" TAGS=\"fruit\">{}</A>\n",
            1_600_000_000 + i,
            title(i)
        ));
    }
    file.push_str("</DL><p>\n");
    let response = app
        .client
        .post(app.url("/import/"))
        .bearer_auth(token)
        .header("content-type", "text/html")
        .body(file)
        .send()
        .await
        .expect("import");
    assert_eq!(response.status(), StatusCode::OK);
    let titles = |range: &[usize]| range.iter().map(|&i| title(i)).collect::<Vec<_>>();

    // More than 1,000 matches: counted to 1,000, and said so.
    let (first, total, exact) = search_ids(app, token, "/link/?q=kiwi&limit=2").await;
    assert_eq!((total, exact.as_str()), (1000, "false"));
    // Relevance ranks the newest 1,000 matches (links 100 to 1,099): the title match
    // first, then the others newest first; the older matches follow newest first, the
    // oldest link last although its title matches. Pages never overlap.
    assert_eq!(first, titles(&[500, 1099]));
    let (page, _, _) = search_ids(app, token, "/link/?q=kiwi&offset=998&limit=3").await;
    assert_eq!(page, titles(&[101, 100, 99]));
    let (page, _, _) = search_ids(app, token, "/link/?q=kiwi&offset=1098&limit=5").await;
    assert_eq!(page, titles(&[1, 0]));
    let mut seen = std::collections::HashSet::new();
    for offset in [0, 1000] {
        let (page, _, _) = search_ids(
            app,
            token,
            &format!("/link/?q=kiwi&offset={offset}&limit=1000"),
        )
        .await;
        seen.extend(page);
    }
    assert_eq!(seen.len(), 1100);
    // In list order, broad or not, every match in turn.
    let (page, _, _) = search_ids(app, token, "/link/?q=kiwi&sort=created_at&offset=1099").await;
    assert_eq!(page, titles(&[1099]));
    let (page, _, _) = search_ids(app, token, "/link/?q=kiwi&sort=-created_at&limit=2").await;
    assert_eq!(page, titles(&[1099, 1098]));
    let (page, total, _) = search_ids(app, token, "/link/?q=kiwi&sort=created_at&limit=2").await;
    assert_eq!((page, total), (titles(&[0, 1]), 1000));
    // With a tag, the same.
    let (page, total, _) = search_ids(app, token, "/link/?q=kiwi&tags=fruit&limit=2").await;
    assert_eq!((page, total), (titles(&[500, 1099]), 1000));
    let (page, _, _) = search_ids(app, token, "/link/?q=%23fruit%20kiwi&offset=998&limit=3").await;
    assert_eq!(page, titles(&[101, 100, 99]));
    // Every match counted on request; a search with few matches always is.
    let (_, total, exact) = search_ids(
        app,
        token,
        "/link/?q=kiwi%20-middle&exact_count=true&limit=1",
    )
    .await;
    assert_eq!((total, exact.as_str()), (1099, "true"));
    let (page, total, exact) = search_ids(app, token, "/link/?q=kiwi%20item%20105").await;
    assert_eq!((total, exact.as_str()), (11, "true"));
    assert_eq!(page.len(), 11);
    let (page, total, exact) = search_ids(app, token, "/link/?q=oldest").await;
    assert_eq!((page, total, exact.as_str()), (titles(&[0]), 1, "true"));
}
