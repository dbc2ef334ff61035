//! Pagination of `/link/`, `/tag/` and `/taglink/`: offset and limit in creation order, at most
//! 100 rows by default, and 422 naming a parameter out of range.

mod common;

use common::resources::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_page_through_offset_and_limit_in_creation_order() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let mut created = Vec::new();
        for i in 0..5 {
            let link = new_link(&app, &token, &format!("https://example.com/{i}"), "p").await;
            created.push(id(&link, "link_id"));
        }
        let mut pages = Vec::new();
        for offset in [0, 2, 4] {
            let (status, page) = app
                .get(&token, &format!("/link/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages.push(ids(&page, "link_id"));
        }
        assert_eq!(
            pages,
            [
                created[0..2].to_vec(),
                created[2..4].to_vec(),
                created[4..5].to_vec()
            ]
        );
        let (_, rest) = app.get(&token, "/link/?offset=5&limit=2").await;
        assert_eq!(rest, json!([]));
        let (_, middle) = app.get(&token, "/link/?offset=1&limit=3&tag=p").await;
        assert_eq!(ids(&middle, "link_id"), created[1..4]);
        let (_, first) = app.get(&token, "/link/?limit=1").await;
        assert_eq!(ids(&first, "link_id"), created[0..1]);
        let (_, skipped) = app.get(&token, "/link/?offset=3").await;
        assert_eq!(ids(&skipped, "link_id"), created[3..5]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_taglinks_page_through_offset_and_limit_in_creation_order() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t0").await;
        let mut tags = vec![id(&app.get(&token, "/tag/").await.1[0], "tag_id")];
        for i in 1..5 {
            let tag = new_tag(&app, &token, &format!("t{i}")).await;
            let (status, _) = app
                .post(
                    &token,
                    "/taglink/",
                    json!({"tag_id": tag["tag_id"], "link_id": link["link_id"]}),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            tags.push(id(&tag, "tag_id"));
        }
        let mut tag_pages = Vec::new();
        let mut taglink_pages = Vec::new();
        for offset in [0, 2, 4] {
            let (status, page) = app
                .get(&token, &format!("/tag/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            tag_pages.push(ids(&page, "tag_id"));
            let (status, page) = app
                .get(&token, &format!("/taglink/?offset={offset}&limit=2"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            taglink_pages.push(ids(&page, "tag_id"));
        }
        let expected = [
            tags[0..2].to_vec(),
            tags[2..4].to_vec(),
            tags[4..5].to_vec(),
        ];
        assert_eq!(tag_pages, expected);
        assert_eq!(taglink_pages, expected);
        for path in ["/tag/?offset=5", "/taglink/?offset=5&limit=1000"] {
            let (status, rest) = app.get(&token, path).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(rest, json!([]), "{path}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_return_at_most_100_rows_unless_a_limit_is_given() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        for i in 0..101 {
            new_tag(&app, &token, &format!("tag {i:03}")).await;
        }
        let (_, page) = app.get(&token, "/tag/").await;
        let names: Vec<&str> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tag"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 100);
        assert_eq!((names[0], names[99]), ("tag 000", "tag 099"));
        let (_, all) = app.get(&token, "/tag/?limit=1000").await;
        assert_eq!(all.as_array().unwrap().len(), 101);
        let (_, last) = app.get(&token, "/tag/?offset=100").await;
        assert_eq!(last[0]["tag"], "tag 100");
        assert_eq!(last.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_or_limit_out_of_range_or_not_a_number_is_422_naming_the_parameter() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        new_link(&app, &token, "https://example.com/", "t").await;
        for list in ["/link/", "/tag/", "/taglink/"] {
            for (query, field) in [
                ("limit=0", "limit"),
                ("limit=-1", "limit"),
                ("limit=1001", "limit"),
                ("limit=abc", "limit"),
                ("limit=1.5", "limit"),
                ("offset=-1", "offset"),
                ("offset=abc", "offset"),
                ("offset=-1&limit=5", "offset"),
                ("offset=0&limit=1001", "limit"),
            ] {
                let path = format!("{list}?{query}");
                assert_field_error(app.get(&token, &path).await, &["query", field], &path);
            }
            for query in ["limit=1", "limit=1000", "offset=0", "offset=1000000"] {
                let path = format!("{list}?{query}");
                let (status, body) = app.get(&token, &path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                assert!(body.is_array(), "{path}: {body}");
            }
        }
        // Both out of range: one entry for each.
        let (status, body) = app.get(&token, "/link/?offset=-1&limit=0").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let locs: Vec<&Value> = body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["loc"])
            .collect();
        assert_eq!(
            locs,
            [&json!(["query", "offset"]), &json!(["query", "limit"])]
        );
    })
    .await;
}
