//! `GET /sync/?since=<cursor>&limit=`: a client that applies the pages ends with exactly the
//! server's links, tags and tag sets, deletions included, even while others write.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::features::join_all;
use common::{for_each_engine, for_each_engine_with, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// What a sync client keeps: links (as answered, without `tag_ids`) with their tag ids, and
/// tags by id.
#[derive(Debug, Default, PartialEq)]
struct Replica {
    links: BTreeMap<String, (Value, BTreeSet<String>)>,
    tags: BTreeMap<String, Value>,
}

impl Replica {
    fn apply(&mut self, page: &Value) {
        for link in page["links"].as_array().expect("links") {
            let mut link = link.clone();
            let tag_ids: BTreeSet<String> = link
                .as_object_mut()
                .unwrap()
                .remove("tag_ids")
                .expect("tag_ids")
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            let id = link["link_id"].as_str().unwrap().to_owned();
            self.links.insert(id, (link, tag_ids));
        }
        for tag in page["tags"].as_array().expect("tags") {
            self.tags
                .insert(tag["tag_id"].as_str().unwrap().to_owned(), tag.clone());
        }
        for gone in page["deleted"].as_array().expect("deleted") {
            assert!(gone["deleted_at"].is_string(), "{gone}");
            self.links.remove(gone["link_id"].as_str().unwrap());
        }
        for gone in page["deleted_tags"].as_array().expect("deleted_tags") {
            self.tags.remove(gone["tag_id"].as_str().unwrap());
        }
    }

    /// Fetch pages from `cursor` until there is no more; the new cursor.
    async fn catch_up(
        &mut self,
        app: &TestApp,
        token: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> String {
        let mut cursor = cursor;
        loop {
            let path = match &cursor {
                Some(c) => format!("/sync/?since={c}&limit={limit}"),
                None => format!("/sync/?limit={limit}"),
            };
            let (status, page) = app.get(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
            let changes = ["links", "deleted", "tags", "deleted_tags"]
                .iter()
                .map(|k| page[k].as_array().unwrap().len())
                .sum::<usize>();
            assert!(changes <= limit, "{page}");
            self.apply(&page);
            cursor = Some(page["cursor"].as_str().expect("cursor").to_owned());
            if page["more"] == json!(false) {
                return cursor.unwrap_or_default();
            }
        }
    }

    /// The account's state as the ordinary endpoints give it.
    async fn of_server(app: &TestApp, token: &str) -> Replica {
        let mut replica = Replica::default();
        let (_, links) = app.get(token, "/link/?limit=1000").await;
        for link in links.as_array().unwrap() {
            replica.links.insert(
                link["link_id"].as_str().unwrap().to_owned(),
                (link.clone(), BTreeSet::new()),
            );
        }
        let mut offset = 0;
        loop {
            let (_, taglinks) = app
                .get(token, &format!("/taglink/?limit=1000&offset={offset}"))
                .await;
            let taglinks = taglinks.as_array().unwrap();
            for tl in taglinks {
                let link = replica
                    .links
                    .get_mut(tl["link_id"].as_str().unwrap())
                    .expect("tag-link of a listed link");
                link.1.insert(tl["tag_id"].as_str().unwrap().to_owned());
            }
            if taglinks.len() < 1000 {
                break;
            }
            offset += 1000;
        }
        let (_, tags) = app.get(token, "/tag/?limit=1000").await;
        for tag in tags.as_array().unwrap() {
            replica
                .tags
                .insert(tag["tag_id"].as_str().unwrap().to_owned(), tag.clone());
        }
        replica
    }
}

async fn link(app: &TestApp, token: &str, url: &str, tag: &str) -> String {
    let (status, body) = app
        .post(token, "/link/", json!({"link": url, "tag": tag}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["link_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_kind_of_change_reaches_the_client() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let (_, bob) = app.create_account(&admin, "bob@example.com").await;

        // Nothing yet.
        let (status, page) = app.get(&ann, "/sync/").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["links"], json!([]));
        assert_eq!(page["more"], json!(false));

        let a = link(&app, &ann, "https://a.example/", "one").await;
        let b = link(&app, &ann, "https://b.example/", "two").await;
        link(&app, &bob, "https://bob.example/", "one").await;
        let mut replica = Replica::default();
        let cursor = replica.catch_up(&app, &ann, None, 100).await;
        assert_eq!(replica, Replica::of_server(&app, &ann).await);
        assert_eq!(replica.links.len(), 2, "Bob's link is not Ann's");

        // Nothing changed: an empty page, the same cursor.
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
        assert_eq!(page["links"], json!([]));
        assert_eq!(page["cursor"], json!(cursor));

        // Every write path.
        app.send(
            Method::PATCH,
            &format!("/link/{a}"),
            Some(&ann),
            Some(json!({"title": "A", "tags": ["one", "three"], "favorite": true})),
        )
        .await;
        let (_, tags) = app.get(&ann, "/tag/?tag=two").await;
        let two = tags[0]["tag_id"].as_str().unwrap().to_owned();
        let (_, tags) = app.get(&ann, "/tag/?tag=one").await;
        let one = tags[0]["tag_id"].as_str().unwrap().to_owned();
        app.send(
            Method::PATCH,
            &format!("/tag/{two}"),
            Some(&ann),
            Some(json!({"tag": "Two renamed"})),
        )
        .await;
        app.post(&ann, "/taglink/", json!({"tag_id": one, "link_id": b}))
            .await;
        let c = link(&app, &ann, "https://c.example/", "four").await;
        app.post(&ann, "/tag/", json!({"tag": "lonely"})).await;
        app.post(
            &ann,
            "/link/bulk/",
            json!({"link_ids": [b, c], "add_tags": ["bulk"], "set": {"unread": true}}),
        )
        .await;
        let response = app
            .client
            .post(app.url("/import/"))
            .bearer_auth(&ann)
            .header("Content-Type", "text/html")
            .body(
                "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n\
                 <DT><A HREF=\"https://imported.example/\" TAGS=\"one,imported\">I</A>\n</DL>\n",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, replica_before_deletes) = (0, Replica::of_server(&app, &ann).await);
        let mut cursor2 = replica.catch_up(&app, &ann, Some(cursor.clone()), 3).await;
        assert_eq!(replica, replica_before_deletes);

        // Deletions: a link, a tag (its links' tag sets change), a merge, tag-links.
        app.delete(&ann, &format!("/link/{c}")).await;
        app.delete(&ann, &format!("/tag/{one}")).await;
        let (_, tags) = app.get(&ann, "/tag/?tag=three").await;
        let three = tags[0]["tag_id"].as_str().unwrap().to_owned();
        app.send(
            Method::PATCH,
            &format!("/tag/{three}"),
            Some(&ann),
            Some(json!({"tag": "BULK"})),
        )
        .await;
        app.send(
            Method::DELETE,
            &format!("/taglink/?link_id={b}"),
            Some(&ann),
            None,
        )
        .await;
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor2}")).await;
        let deleted: Vec<&Value> = page["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["link_id"])
            .collect();
        assert_eq!(deleted, vec![&json!(c)]);
        assert_eq!(page["deleted_tags"].as_array().unwrap().len(), 2, "{page}");
        cursor2 = replica.catch_up(&app, &ann, Some(cursor2), 2).await;
        assert_eq!(replica, Replica::of_server(&app, &ann).await);

        // A link of another account changing is not Ann's change.
        link(&app, &bob, "https://bob2.example/", "x").await;
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor2}")).await;
        assert_eq!(page["links"], json!([]));
        assert_eq!(page["cursor"], json!(cursor2));

        // The admin names the account; the same pages.
        let (status, _) = app.get(&admin, "/sync/").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut by_admin = Replica::default();
        let mut cursor = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/sync/?account_id={ann_id}&since={c}"),
                None => format!("/sync/?account_id={ann_id}"),
            };
            let (status, page) = app.get(&admin, &path).await;
            assert_eq!(status, StatusCode::OK);
            by_admin.apply(&page);
            cursor = Some(page["cursor"].as_str().unwrap().to_owned());
            if page["more"] == json!(false) {
                break;
            }
        }
        assert_eq!(by_admin, replica);

        // Bad input.
        for bad in [
            "/sync/?since=abc",
            "/sync/?since=-1",
            "/sync/?limit=0",
            "/sync/?limit=1001",
        ] {
            let (status, body) = app.get(&ann, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
        // A cursor this account never gave out (from the future): start over.
        let (status, body) = app.get(&ann, "/sync/?since=999999999").await;
        assert_eq!(status, StatusCode::GONE, "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_cursor_older_than_the_kept_tombstones_is_gone() {
    for_each_engine_with(
        |config| config.tombstone_days = 0,
        |app| async move {
            let admin = app.admin_token().await;
            let (_, ann) = app.create_account(&admin, "ann@example.com").await;
            let a = link(&app, &ann, "https://a.example/", "t").await;
            link(&app, &ann, "https://b.example/", "t").await;
            let mut replica = Replica::default();
            let cursor = replica.catch_up(&app, &ann, None, 100).await;
            // Without deletions, an old cursor still works.
            let (status, _) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
            assert_eq!(status, StatusCode::OK);
            app.delete(&ann, &format!("/link/{a}")).await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            // Kept for zero days: dropped at the next sync, so this cursor cannot see it.
            let (status, body) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
            assert_eq!(status, StatusCode::GONE, "{body}");
            assert!(body["detail"].is_string());
            // Starting over gives the state without the deleted link.
            let mut fresh = Replica::default();
            let cursor = fresh.catch_up(&app, &ann, None, 100).await;
            assert_eq!(fresh, Replica::of_server(&app, &ann).await);
            assert_eq!(fresh.links.len(), 1);
            let (status, _) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
            assert_eq!(status, StatusCode::OK);
        },
    )
    .await;
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A write may be refused (a rename onto a tag deleted meanwhile...), never fail.
fn no_5xx((status, body): (StatusCode, Value)) {
    assert!(!status.is_server_error(), "{status}: {body}");
}

/// One writer: a series of random writes of every kind on the account.
async fn writer(app: &TestApp, token: &str, seed: u64, ops: usize) {
    let mut dice = Dice(seed);
    let tags = ["red", "green", "blue", "Red", "cyan"];
    for i in 0..ops {
        let (_, links) = app.get(token, "/link/?limit=1000").await;
        let ids: Vec<String> = links
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["link_id"].as_str().unwrap().to_owned())
            .collect();
        let pick = |dice: &mut Dice| ids.get(dice.roll(ids.len().max(1))).cloned();
        let tag = tags[dice.roll(tags.len())];
        match dice.roll(8) {
            0 | 1 => {
                let url = format!("https://w{seed}.example/{i}");
                no_5xx(
                    app.post(token, "/link/", json!({"link": url, "tag": tag}))
                        .await,
                );
            }
            2 => {
                if let Some(id) = pick(&mut dice) {
                    no_5xx(
                        app.send(
                            Method::PATCH,
                            &format!("/link/{id}"),
                            Some(token),
                            Some(json!({"title": format!("t{seed}-{i}"), "tags": [tag, "grey"]})),
                        )
                        .await,
                    );
                }
            }
            3 => {
                if let Some(id) = pick(&mut dice) {
                    no_5xx(app.delete(token, &format!("/link/{id}")).await);
                }
            }
            4 => {
                let some: Vec<String> = (0..3).filter_map(|_| pick(&mut dice)).collect();
                no_5xx(app.post(
                    token,
                    "/link/bulk/",
                    json!({"link_ids": some, "add_tags": [tag], "set": {"favorite": i % 2 == 0}}),
                )
                .await);
            }
            5 => {
                let (_, found) = app.get(token, &format!("/tag/?tag={tag}")).await;
                if let Some(t) = found.as_array().and_then(|a| a.first()) {
                    let id = t["tag_id"].as_str().unwrap();
                    if dice.roll(2) == 0 {
                        no_5xx(app.delete(token, &format!("/tag/{id}")).await);
                    } else {
                        let to = tags[dice.roll(tags.len())];
                        no_5xx(
                            app.send(
                                Method::PATCH,
                                &format!("/tag/{id}"),
                                Some(token),
                                Some(json!({"tag": to})),
                            )
                            .await,
                        );
                    }
                }
            }
            6 => {
                if let Some(id) = pick(&mut dice) {
                    no_5xx(
                        app.send(
                            Method::DELETE,
                            &format!("/taglink/?link_id={id}"),
                            Some(token),
                            None,
                        )
                        .await,
                    );
                }
            }
            _ => {
                let some: Vec<String> = (0..2).filter_map(|_| pick(&mut dice)).collect();
                no_5xx(
                    app.post(
                        token,
                        "/link/bulk/",
                        json!({"link_ids": some, "remove_tags": [tag, "grey"]}),
                    )
                    .await,
                );
            }
        }
    }
}

#[tokio::test]
async fn a_client_syncing_during_concurrent_writes_ends_with_the_servers_state() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, ann) = app.create_account(&admin, "ann@example.com").await;
        for i in 0..10 {
            link(&app, &ann, &format!("https://seed.example/{i}"), "red").await;
        }
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let done = AtomicUsize::new(0);
        let client_rounds = AtomicUsize::new(0);
        // Until the client has caught up `n` times (however fast the writers are, it then has
        // synced between their writes, not only after them).
        let rounds_reach = |n: usize| {
            let client_rounds = &client_rounds;
            async move {
                while client_rounds.load(SeqCst) < n {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        let writers = 4;
        let writes = async {
            join_all((0..writers).map(|w| {
                let app = &app;
                let ann = &ann;
                let done = &done;
                let rounds_reach = &rounds_reach;
                async move {
                    let seed = 0x9e37_79b9 + w as u64 * 7919;
                    writer(app, ann, seed, 15).await;
                    rounds_reach(1).await;
                    writer(app, ann, seed + 1, 15).await;
                    rounds_reach(2).await;
                    done.fetch_add(1, SeqCst);
                }
            }))
            .await;
        };
        // The client keeps syncing, in small pages, while the writers write.
        let client = async {
            let mut replica = Replica::default();
            let mut cursor = None;
            let mut rounds = 0;
            while done.load(SeqCst) < writers {
                cursor = Some(replica.catch_up(&app, &ann, cursor, 3).await);
                rounds += 1;
                client_rounds.store(rounds, SeqCst);
            }
            (replica, cursor, rounds)
        };
        let ((), (mut replica, cursor, rounds)) = tokio::join!(writes, client);
        assert!(rounds > 1, "the client synced while others wrote");
        // Once the writers are done, one more catch-up from the last cursor.
        replica.catch_up(&app, &ann, cursor, 7).await;
        let server = Replica::of_server(&app, &ann).await;
        assert!(!server.links.is_empty());
        assert_eq!(replica.links.len(), server.links.len());
        for (id, link) in &server.links {
            assert_eq!(replica.links.get(id), Some(link), "link {id}");
        }
        assert_eq!(replica.tags, server.tags);
    })
    .await;
}

/// A web-app session: its cookie and the CSRF token its forms carry.
async fn ui_session(app: &TestApp, email: &str) -> (String, String) {
    use reqwest::header::{COOKIE, SET_COOKIE};
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = |response: &reqwest::Response, name: &str| -> String {
        let header = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .expect("cookie")
            .to_owned();
        header[name.len() + 1..]
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let csrf = |html: &str| -> String {
        let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        html[at..at + html[at..].find('"').unwrap()].to_owned()
    };
    let page = client.get(app.url("/ui/login")).send().await.unwrap();
    let login = cookie(&page, "tagmark_login");
    let token = csrf(&page.text().await.unwrap());
    let response = client
        .post(app.url("/ui/login"))
        .header(COOKIE, format!("tagmark_login={login}"))
        .form(&[
            ("username", email),
            ("password", "password-123"),
            ("scope", "account"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = cookie(&response, "tagmark_session");
    let page = client
        .get(app.url("/ui/links/new"))
        .header(COOKIE, format!("tagmark_session={session}"))
        .send()
        .await
        .unwrap();
    let token = csrf(&page.text().await.unwrap());
    (session, token)
}

/// Post a web-app form; it answers with a redirect when it did what was asked.
async fn ui_post(
    app: &TestApp,
    (session, csrf): &(String, String),
    path: &str,
    form: &[(&str, &str)],
) {
    let mut form = form.to_vec();
    form.push(("csrf", csrf));
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .header(
            reqwest::header::COOKIE,
            format!("tagmark_session={session}"),
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status == StatusCode::SEE_OTHER || status == StatusCode::OK,
        "{path}: {status}"
    );
}

async fn tag_id(app: &TestApp, token: &str, name: &str) -> String {
    let (_, tags) = app.get(token, &format!("/tag/?tag={name}")).await;
    tags[0]["tag_id"].as_str().expect("tag").to_owned()
}

#[tokio::test]
async fn the_web_app_bulk_deletes_duplicates_and_account_deletion_reach_sync() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (ann_id, ann) = app.create_account(&admin, "ann@example.com").await;
        let mut replica = Replica::default();
        let mut cursor = replica.catch_up(&app, &ann, None, 100).await;

        // The web app's forms go through the same store.
        let ui = ui_session(&app, "ann@example.com").await;
        ui_post(
            &app,
            &ui,
            "/ui/links",
            &[("link", "https://web.example/"), ("tags", "web, app")],
        )
        .await;
        cursor = replica.catch_up(&app, &ann, Some(cursor), 2).await;
        assert_eq!(replica, Replica::of_server(&app, &ann).await);
        assert_eq!(replica.links.len(), 1);
        assert_eq!(replica.tags.len(), 2);
        let (web_link, (_, tags)) = replica.links.iter().next().unwrap();
        let web_link = web_link.clone();
        assert_eq!(tags.len(), 2);

        ui_post(
            &app,
            &ui,
            &format!("/ui/links/{web_link}"),
            &[
                ("link", "https://web.example/"),
                ("title", "Edited in the app"),
                ("tags", "web, form"),
            ],
        )
        .await;
        let app_tag = tag_id(&app, &ann, "app").await;
        ui_post(
            &app,
            &ui,
            &format!("/ui/tags/{app_tag}"),
            &[("name", "Form")],
        )
        .await;
        let web = tag_id(&app, &ann, "web").await;
        ui_post(&app, &ui, &format!("/ui/tags/{web}/delete"), &[]).await;
        cursor = replica.catch_up(&app, &ann, Some(cursor), 1).await;
        assert_eq!(replica, Replica::of_server(&app, &ann).await);
        assert_eq!(
            replica.links[&web_link].0["title"],
            json!("Edited in the app")
        );
        ui_post(&app, &ui, &format!("/ui/links/{web_link}/delete"), &[]).await;
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
        assert_eq!(page["deleted"][0]["link_id"], json!(web_link), "{page}");
        cursor = replica.catch_up(&app, &ann, Some(cursor), 5).await;
        assert!(replica.links.is_empty());

        // Bulk deletion, and a duplicate answered without storing anything.
        let a = link(&app, &ann, "https://a.example/", "t").await;
        let b = link(&app, &ann, "https://b.example/", "t").await;
        cursor = replica.catch_up(&app, &ann, Some(cursor), 5).await;
        let (status, body) = app
            .post(
                &ann,
                "/link/?on_duplicate=return",
                json!({"link": "https://a.example/", "tag": "t"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
        assert_eq!(page["links"], json!([]), "nothing was stored: {page}");
        assert_eq!(page["cursor"], json!(cursor));
        let (status, body) = app
            .post(
                &ann,
                "/link/bulk/",
                json!({"link_ids": [a, b], "delete": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, page) = app.get(&ann, &format!("/sync/?since={cursor}")).await;
        let mut deleted: Vec<&str> = page["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["link_id"].as_str().unwrap())
            .collect();
        deleted.sort();
        let mut expected = vec![a.as_str(), b.as_str()];
        expected.sort();
        assert_eq!(deleted, expected, "{page}");
        cursor = replica.catch_up(&app, &ann, Some(cursor), 5).await;
        assert_eq!(replica, Replica::of_server(&app, &ann).await);

        // Deleting the account drops its history: a cursor of it is gone, and starting over
        // finds nothing.
        let (status, _) = app
            .get(
                &admin,
                &format!("/sync/?account_id={ann_id}&since={cursor}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.delete(&admin, &format!("/account/{ann_id}")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app
            .get(
                &admin,
                &format!("/sync/?account_id={ann_id}&since={cursor}"),
            )
            .await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        let (status, page) = app
            .get(&admin, &format!("/sync/?account_id={ann_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["links"], json!([]));
        assert_eq!(page["tags"], json!([]));
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM changes WHERE account_id = '{ann_id}'"
            ))
            .await,
            0
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM sync_seqs WHERE account_id = '{ann_id}'"
            ))
            .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn openapi_documents_sync() {
    let db = common::TestDb::sqlite().await;
    let app = TestApp::start(common::test_config(&db.url)).await;
    let (status, doc) = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let get = &doc["paths"]["/sync/"]["get"];
    let params: Vec<&str> = get["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["since", "limit", "account_id"]);
    for status in ["200", "401", "410", "422"] {
        assert!(get["responses"][status].is_object(), "{status}: {get}");
    }
    let answer = &doc["components"]["schemas"]["SyncAnswer"];
    for field in ["links", "deleted", "tags", "deleted_tags", "cursor", "more"] {
        assert!(
            answer["properties"][field].is_object(),
            "SyncAnswer.{field}"
        );
    }
    let synced = doc["components"]["schemas"]["SyncedLink"].to_string();
    assert!(synced.contains("tag_ids"), "{synced}");
    assert!(synced.contains("#/components/schemas/Link"), "{synced}");
    app.stop().await;
}
