//! The duplicate check: `GET /link/check/?url=` and `POST /link/?on_duplicate=allow|reject|return`,
//! comparing URLs normalised (scheme and host regardless of case, default port dropped, a
//! trailing slash ignored).

mod common;

use common::features::{enc, join_all};
use common::for_each_engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn link_count(app: &common::TestApp, token: &str) -> usize {
    app.get(token, "/link/")
        .await
        .1
        .as_array()
        .expect("array")
        .len()
}

#[tokio::test]
async fn check_finds_the_link_under_its_normalised_url() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;

        let (status, body) = app
            .get(
                &ann,
                &format!("/link/check/?url={}", enc("https://example.org/a")),
            )
            .await;
        assert_eq!((status, &body), (StatusCode::OK, &json!({"link": null})));

        let (_, stored) = app
            .post(
                &ann,
                "/link/",
                json!({"link": "HTTPS://Example.ORG:443/a/", "tag": "t"}),
            )
            .await;
        for same in [
            "https://example.org/a",
            "https://example.org/a/",
            "https://EXAMPLE.org:443/a",
            "HTTPS://example.org/a",
        ] {
            let (status, body) = app
                .get(&ann, &format!("/link/check?url={}", enc(same)))
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["link"], stored, "{same}");
        }
        for different in [
            "http://example.org/a",
            "https://example.org:8443/a",
            "https://example.org/A",
            "https://example.org/a?x=1",
            "https://example.org/",
        ] {
            let (_, body) = app
                .get(&ann, &format!("/link/check/?url={}", enc(different)))
                .await;
            assert_eq!(body, json!({"link": null}), "{different}");
        }

        // Another account's link is not found; the admin finds it, in that account or any.
        let (_, body) = app
            .get(
                &bob,
                &format!("/link/check/?url={}", enc("https://example.org/a")),
            )
            .await;
        assert_eq!(body, json!({"link": null}));
        let (_, body) = app
            .get(
                &admin,
                &format!(
                    "/link/check/?url={}&account_id={ann_id}",
                    enc("https://example.org/a")
                ),
            )
            .await;
        assert_eq!(body["link"]["link_id"], stored["link_id"]);
        let (_, body) = app
            .get(
                &admin,
                &format!("/link/check/?url={}", enc("https://example.org/a")),
            )
            .await;
        assert_eq!(body["link"]["link_id"], stored["link_id"]);

        // A link whose URL changes is found under the new one only.
        let id = stored["link_id"].as_str().unwrap();
        app.send(
            reqwest::Method::PATCH,
            &format!("/link/{id}"),
            Some(&ann),
            Some(json!({"link": "https://example.org/b"})),
        )
        .await;
        let (_, body) = app
            .get(
                &ann,
                &format!("/link/check/?url={}", enc("https://example.org/a")),
            )
            .await;
        assert_eq!(body, json!({"link": null}));
        let (_, body) = app
            .get(
                &ann,
                &format!("/link/check/?url={}", enc("https://Example.org/b/")),
            )
            .await;
        assert_eq!(body["link"]["link_id"], stored["link_id"]);

        // Without a URL: 422 in FastAPI's shape; no token: 401.
        let (status, body) = app.get(&ann, "/link/check/").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["detail"].is_array());
        let (status, _) = app
            .send(reqwest::Method::GET, "/link/check/?url=x", None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn post_allows_rejects_or_returns_a_duplicate() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, first) = app
            .post(
                &ann,
                "/link/",
                json!({"link": "https://example.org/page", "tag": "t"}),
            )
            .await;

        // The seed's behaviour by default, and with allow: a second link.
        let (status, second) = app
            .post(
                &ann,
                "/link/",
                json!({"link": "https://example.org/page/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(second["link_id"], first["link_id"]);
        let (status, _) = app
            .post(
                &ann,
                "/link/?on_duplicate=allow",
                json!({"link": "https://example.org/page", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(link_count(&app, &ann).await, 3);

        // reject: 409 naming the oldest such link; nothing stored (not even the new tag).
        let (status, body) = app
            .post(
                &ann,
                "/link/?on_duplicate=reject",
                json!({"link": "HTTPS://EXAMPLE.ORG:443/page", "tag": "brand-new"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["link_id"], first["link_id"]);
        assert!(body["detail"].is_string(), "{body}");
        assert_eq!(link_count(&app, &ann).await, 3);
        let (_, tags) = app.get(&ann, "/tag/?tag=brand-new").await;
        assert_eq!(tags, json!([]));

        // return: 200 with the existing link, nothing stored.
        let (status, body) = app
            .post(
                &ann,
                "/link/?on_duplicate=return",
                json!({"link": "https://example.org/page/", "tag": "t", "title": "ignored"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, first);
        assert_eq!(link_count(&app, &ann).await, 3);

        // No duplicate: both create as usual.
        for (i, mode) in ["reject", "return"].iter().enumerate() {
            let url = format!("https://new{i}.example/");
            let (status, body) = app
                .post(
                    &ann,
                    &format!("/link/?on_duplicate={mode}"),
                    json!({"link": url, "tag": "t", "favorite": true}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["link"], json!(url));
            assert_eq!(body["favorite"], json!(true));
        }
        assert_eq!(link_count(&app, &ann).await, 5);

        // Another account's link is no duplicate; the admin's create checks the named account.
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;
        let (status, _) = app
            .post(
                &bob,
                "/link/?on_duplicate=reject",
                json!({"link": "https://example.org/page", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app
            .post(
                &admin,
                "/link/?on_duplicate=reject",
                json!({"link": "https://example.org/page", "tag": "t", "account_id": ann_id}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["link_id"], first["link_id"]);

        // Unknown mode: 422; the create's own rules still apply first.
        let (status, body) = app
            .post(
                &ann,
                "/link/?on_duplicate=maybe",
                json!({"link": "https://example.org/page", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = app
            .post(
                &ann,
                "/link/?on_duplicate=reject",
                json!({"link": "https://example.org/page"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(link_count(&app, &ann).await, 5);
    })
    .await;
}

#[tokio::test]
async fn concurrent_rejecting_creates_store_the_url_once() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        let requests = (0..8).map(|i| {
            let url = if i % 2 == 0 {
                "https://race.example/x"
            } else {
                "https://RACE.example:443/x/"
            };
            app.post(
                &ann,
                "/link/?on_duplicate=reject",
                json!({"link": url, "tag": "t"}),
            )
        });
        let answers: Vec<(StatusCode, Value)> = join_all(requests).await;
        let created: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(created.len(), 1, "{answers:?}");
        for (status, body) in &answers {
            if *status != StatusCode::OK {
                assert_eq!(*status, StatusCode::CONFLICT, "{body}");
                assert_eq!(body["link_id"], created[0]["link_id"]);
            }
        }
        assert_eq!(link_count(&app, &ann).await, 1);
    })
    .await;
}
