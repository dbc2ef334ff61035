//! What every resource endpoint (`/link/`, `/tag/`, `/taglink/`) shares: its paths with and
//! without the trailing slash, and a valid token before anything is stored. The endpoints
//! themselves are in links.rs, tags.rs, taglinks.rs, account_id.rs, tenant_isolation.rs and
//! pagination.rs.

mod common;

use common::resources::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_path_is_served_with_and_without_the_trailing_slash() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let (status, link) = app
            .post(
                &token,
                "/link",
                json!({"link": "https://example.com/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let (status, tag) = app.post(&token, "/tag", json!({"tag": "u"})).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        let (link_id, tag_id) = (id(&link, "link_id"), id(&tag, "tag_id"));
        let (status, taglink) = app
            .post(
                &token,
                "/taglink",
                json!({"tag_id": tag_id, "link_id": link_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{taglink}");
        for (path, expected) in [
            ("/link".to_owned(), json!([link])),
            ("/link/".to_owned(), json!([link])),
            (format!("/link/{link_id}"), link.clone()),
            (format!("/link/{link_id}/"), link.clone()),
            ("/tag?tag=u".to_owned(), json!([tag])),
            ("/tag/?tag=u".to_owned(), json!([tag])),
            (format!("/tag/{tag_id}"), tag.clone()),
            (format!("/tag/{tag_id}/"), tag.clone()),
            (format!("/taglink?tag_id={tag_id}"), json!([taglink])),
            (format!("/taglink/?tag_id={tag_id}"), json!([taglink])),
        ] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, expected, "{path}");
        }
        let (status, deleted) = app
            .delete(&token, &format!("/taglink?tag_id={tag_id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        assert_eq!(taglinks_count(&app).await, 1, "only the link's own tag");
        let (status, deleted) = app.delete(&token, &format!("/tag/{tag_id}/")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        let (status, deleted) = app.delete(&token, &format!("/link/{link_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(deleted, json!("OK"));
        assert_eq!(links_count(&app).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_endpoint_needs_a_valid_token_and_stores_nothing_without_one() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, token) = app.create_account(&admin, "a@example.com").await;
        let link = new_link(&app, &token, "https://example.com/", "t").await;
        let link_id = id(&link, "link_id");
        let requests = [
            (Method::GET, "/link/".to_owned(), None),
            (
                Method::POST,
                "/link/".to_owned(),
                Some(json!({"link": "https://x.example/", "tag": "t"})),
            ),
            (Method::GET, format!("/link/{link_id}"), None),
            (Method::DELETE, format!("/link/{link_id}"), None),
            (Method::GET, "/tag/".to_owned(), None),
            (
                Method::POST,
                "/tag/".to_owned(),
                Some(json!({"tag": "new"})),
            ),
            (Method::GET, format!("/tag/{}", unknown_id()), None),
            (Method::DELETE, format!("/tag/{}", unknown_id()), None),
            (Method::GET, "/taglink/".to_owned(), None),
            (
                Method::POST,
                "/taglink/".to_owned(),
                Some(json!({"tag_id": "x", "link_id": link_id})),
            ),
            (Method::DELETE, format!("/taglink/?link_id={link_id}"), None),
        ];
        for (method, path, body) in requests {
            for (bearer, message) in [
                (None, "Not authenticated"),
                (Some("not-a-token"), "Could not validate credentials"),
            ] {
                let answer = app.send(method.clone(), &path, bearer, body.clone()).await;
                assert_detail(
                    answer,
                    StatusCode::UNAUTHORIZED,
                    message,
                    &format!("{method} {path} with {bearer:?}"),
                );
            }
        }
        assert_eq!(links_count(&app).await, 1);
        assert_eq!(tags_count(&app).await, 1);
        assert_eq!(taglinks_count(&app).await, 1);
    })
    .await;
}
