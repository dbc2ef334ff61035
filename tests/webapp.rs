//! The web app (issue 12): a person's flows in a real headless Chromium on every engine, and
//! the session rules (cookies, CSRF, expiry, revocation) over plain HTTP.

#[path = "common/browser.rs"]
#[allow(dead_code)]
mod browser;
mod common;

use std::time::Instant;

use browser::{Browser, Chromedriver};
use common::*;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "password-123";

/// Run one statement directly on the app's database.
async fn exec(app: &TestApp, sql: &str) {
    db::execute(&app.database_url, sql).await;
}

// ---- in the browser -------------------------------------------------------------------------

async fn log_in(b: &Browser, user: &str, password: &str, admin: bool) {
    b.goto("/ui/login").await;
    if admin {
        b.press("input[name=scope][value=admin]").await;
    }
    b.fill("#username", user).await;
    b.fill("#password", password).await;
    b.click("main form button[type=submit]").await;
}

/// Logging in, errors, CSRF, expiry and logging out.
async fn session_flows(app: &TestApp, b: &Browser, email: &str) {
    b.goto("/").await;
    assert_eq!(b.path().await, "/ui/login");
    b.check_page("login").await;

    log_in(b, email, "wrong-password", false).await;
    assert!(b.body().await.contains("Incorrect email or password"));
    log_in(b, email, PASSWORD, false).await;
    b.find("main h1").await;
    assert_eq!(b.path().await, "/ui/");
    assert_eq!(b.text("main h1").await, "Bookmarks");
    b.check_page("bookmarks-empty").await;

    // A page that does not exist is a friendly page, not JSON.
    b.goto("/ui/no-such-page").await;
    assert!(b.body().await.contains("Not found"));
    b.screenshot("not-found").await;
    b.console().await; // the 404 itself is logged by the browser

    // A form with a forged CSRF token is refused.
    b.goto("/ui/").await;
    b.js(
        "document.querySelector('form.logout input[name=csrf]').value = 'forged'; \
          document.querySelector('form.logout').submit();",
    )
    .await;
    b.find("main h1").await;
    assert!(b.body().await.contains("This form has expired"));
    b.console().await;

    // The session ends: the next page asks to log in again, and says why.
    exec(app, "UPDATE sessions SET expires_at = 0").await;
    b.goto("/ui/tags").await;
    b.find("#username").await;
    let path = b.path().await;
    assert!(path.starts_with("/ui/login?next=%2Fui%2Ftags"), "{path}");
    assert!(b.body().await.contains("Your session has expired"));
    b.screenshot("expired").await;
    b.fill("#username", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("main form button[type=submit]").await;
    b.find("main h1").await;
    assert_eq!(b.path().await, "/ui/tags");

    bookmark_flows(b).await;
    tag_and_transfer_flows(b).await;
    settings_flows(app, b).await;

    // Logging out.
    b.goto("/ui/").await;
    b.click("form.logout button").await;
    b.find("#username").await;
    assert!(b.body().await.contains("You are logged out"));
    b.goto("/ui/").await;
    b.find("#username").await;
    assert!(!b.body().await.contains("expired"));
    b.assert_quiet_console("after logging out").await;
}

/// Adding, finding, editing and deleting bookmarks.
async fn bookmark_flows(b: &Browser) {
    b.goto("/ui/").await;
    // "n" opens the add form.
    b.find("body").await.send_keys("n").await.expect("key n");
    b.find("#link").await;
    assert_eq!(b.path().await, "/ui/links/new");
    b.check_page("add").await;
    b.fill("#link", "not a url").await;
    b.js("document.querySelector('#link').type = 'text';").await;
    b.click("main form button[type=submit]").await;
    assert!(b.text("#link-error").await.contains("valid absolute URL"));
    b.fill("#link", "https://www.rust-lang.org/learn").await;
    b.fill("#title", "Learn Rust").await;
    b.fill("#description", "The book, by example, and rustlings")
        .await;
    b.fill("#tags", "Rust, reading").await;
    b.click("main form button[type=submit]").await;
    b.find("ul.links").await;
    assert_eq!(b.path().await, "/ui/?done=saved");
    let item = b.text("ul.links li").await;
    assert!(item.contains("Learn Rust"), "{item}");
    assert!(item.contains("rust-lang.org"), "{item}");
    assert!(item.contains("just now"), "{item}");
    assert_eq!(b.text("ul.links li a.chip").await, "reading");
    b.check_page("bookmarks").await;

    // Already saved: the form says so, with a link to edit it.
    b.goto("/ui/links/new").await;
    b.fill("#link", "https://www.rust-lang.org/learn").await;
    b.click("main form button[type=submit]").await;
    assert!(b.text("#already").await.contains("Already saved"));
    b.click("#already a").await;
    b.find("#title").await;
    assert_eq!(
        b.find("#title")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Learn Rust")
    );

    // A second link, then search by words ("/" focuses the box) and by tag.
    b.goto("/ui/links/new").await;
    b.fill("#link", "https://example.com/cooking").await;
    b.fill("#tags", "food").await;
    b.click("main form button[type=submit]").await;
    b.find("ul.links").await;
    assert_eq!(b.find_all_text("ul.links li .link-title").await.len(), 2);
    b.find("body").await.send_keys("/").await.expect("key /");
    let focused = b.js("return document.activeElement.id;").await;
    assert_eq!(focused, json!("q"));
    b.find("#q")
        .await
        .send_keys("book example\u{E007}")
        .await
        .expect("type");
    b.find("#count").await;
    assert!(b.path().await.starts_with("/ui/?q=book+example"));
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["Learn Rust"]
    );
    b.goto("/ui/").await;
    b.click("ul.links li a.chip[href$='tags=food']").await;
    b.find("#count").await;
    assert_eq!(b.path().await, "/ui/?tags=food");
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["https://example.com/cooking"]
    );
    b.screenshot("by-tag").await;

    // Edit: a title and the tags.
    b.click("ul.links li .meta a").await;
    b.find("#title").await;
    b.check_page("edit").await;
    b.fill("#title", "Cooking").await;
    b.fill("#tags", "food, weekend").await;
    b.click("main form button[type=submit]").await;
    b.find("ul.links").await;
    b.goto("/ui/?tags=weekend").await;
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["Cooking"]
    );

    // Delete, after a confirmation page.
    b.click("ul.links li .meta a").await;
    b.click("a.button.danger").await;
    b.find("main form button.danger").await;
    b.check_page("delete-link").await;
    b.click("main form button.danger").await;
    b.find("#count").await;
    assert_eq!(b.path().await, "/ui/?done=deleted");
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["Learn Rust"]
    );
    b.assert_quiet_console("after the bookmark flows").await;
}

/// Renaming, merging and deleting tags; importing a file and exporting.
async fn tag_and_transfer_flows(b: &Browser) {
    b.goto("/ui/tags").await;
    b.find("table").await;
    let rows = b.find_all_text("table tbody tr td:first-child").await;
    assert_eq!(rows, vec!["food", "reading", "Rust", "weekend"]);
    assert_eq!(
        b.find_all_text("table tbody tr td.num").await,
        vec!["0", "1", "1", "0"]
    );
    b.check_page("tags").await;
    // Rename "reading" to "books".
    b.fill("tr[data-tag=reading] input[name=name]", "books")
        .await;
    b.click("tr[data-tag=reading] button").await;
    b.find("p.notice").await;
    assert_eq!(b.text("p.notice").await, "Renamed.");
    let rows = b.find_all_text("table tbody tr td:first-child").await;
    assert_eq!(rows, vec!["books", "food", "Rust", "weekend"]);
    // Renaming onto another tag's name merges the two.
    b.fill("tr[data-tag=books] input[name=name]", "rust").await;
    b.click("tr[data-tag=books] button").await;
    b.find("p.notice").await;
    assert_eq!(b.text("p.notice").await, "Merged into Rust.");
    assert_eq!(b.text("tr[data-tag=Rust] td.num").await, "1");
    assert!(!b.exists("tr[data-tag=books]").await);
    // Deleting a tag keeps its links.
    b.goto("/ui/links/new").await;
    b.fill("#link", "https://example.org/tmp").await;
    b.fill("#tags", "temporary").await;
    b.click("main form button[type=submit]").await;
    b.find("ul.links").await;
    b.goto("/ui/tags").await;
    b.click("tr[data-tag=temporary] td:last-child a").await;
    b.find("main form button.danger").await;
    assert!(b.text("main h1").await.contains("temporary"));
    b.click("main form button.danger").await;
    b.find("p.notice").await;
    assert!(!b.exists("tr[data-tag=temporary]").await);
    b.goto("/ui/?q=example.org").await;
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["https://example.org/tmp"]
    );

    // Import: one new link, one already saved, one that is not a link.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bookmarks.html");
    std::fs::write(
        &file,
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n\
         <DT><A HREF=\"https://doc.rust-lang.org/std/\" ADD_DATE=\"1700000000\" TAGS=\"rust,docs\">std</A>\n\
         <DT><A HREF=\"https://www.rust-lang.org/learn\" ADD_DATE=\"1700000001\">Learn</A>\n\
         <DT><A HREF=\"javascript:alert(1)\" ADD_DATE=\"1700000002\">bad</A>\n\
         </DL><p>\n",
    )
    .expect("write file");
    b.goto("/ui/transfer").await;
    b.check_page("transfer").await;
    b.find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose file");
    b.press("main form[enctype] button[type=submit]").await;
    b.find("#report").await;
    assert_eq!(b.text("#created").await, "1");
    assert_eq!(b.text("#skipped").await, "1");
    assert_eq!(b.text("#invalid").await, "1");
    assert!(b.text("#invalid-entries").await.contains("javascript"));
    b.screenshot("import-report").await;
    b.goto("/ui/?tags=docs").await;
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["std"]
    );
    // Export, as the page's download links fetch it.
    b.goto("/ui/transfer").await;
    let exported = b
        .js("return fetch(document.querySelector('a[href$=\"format=json\"]').href).then(r => r.json());")
        .await;
    let urls: Vec<&str> = exported
        .as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(|l| l["link"].as_str())
        .collect();
    assert!(urls.contains(&"https://doc.rust-lang.org/std/"), "{urls:?}");
    assert_eq!(urls.len(), 3, "{urls:?}");
    b.assert_quiet_console("after tags and import").await;
}

/// Personal API tokens, and the bookmarklet's popup.
async fn settings_flows(app: &TestApp, b: &Browser) {
    b.goto("/ui/settings").await;
    b.check_page("settings").await;
    b.fill("#token-name", "backup script").await;
    b.press("input[name=access][value=read-write]").await;
    b.click("#create-token button[type=submit]").await;
    let secret = b.text("#new-token").await;
    assert!(secret.starts_with("tm_"), "{secret}");
    b.screenshot("token-created").await;
    b.fill("#token-name", "reader").await;
    b.click("#create-token button[type=submit]").await;
    let reader = b.text("#new-token").await;
    assert_ne!(reader, secret);
    // Reloading the page that showed the new token shows the settings again; it creates no
    // third token.
    assert_eq!(b.path().await, "/ui/settings");
    b.client.refresh().await.expect("reload");
    b.find("#token-list").await;
    assert!(!b.exists("#new-token").await);
    assert_eq!(
        b.find_all_text("#token-list tbody tr td:first-child").await,
        vec!["backup script", "reader"]
    );

    // The tokens work on the API as the account; the read-only one only reads.
    let (status, links) = app.get(&secret, "/link/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(links.as_array().map(Vec::len), Some(3));
    let (status, _) = app
        .post(
            &secret,
            "/link/",
            json!({"link": "https://api.example/", "tag": "api"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&reader, "/tag/").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &reader,
            "/link/",
            json!({"link": "https://nope.example/", "tag": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    b.goto("/ui/settings").await;
    let used = b.find_all_text("#token-list td.last-used").await;
    assert_eq!(used, vec!["just now", "just now"]);
    // Revoking one ends it at once.
    b.click("#token-list tbody tr:first-child button").await;
    b.find("p.notice").await;
    assert_eq!(
        b.find_all_text("#token-list tbody tr td:first-child").await,
        vec!["reader"]
    );
    let (status, _) = app.get(&secret, "/link/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The bookmarklet, clicked on another page with some text selected, opens a popup with
    // the add form prefilled; saving closes it.
    let code = b
        .find("#bookmarklet-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a bookmarklet");
    let code = code
        .strip_prefix("javascript:")
        .expect("a javascript: link")
        .to_owned();
    let main = b.client.window().await.expect("window");
    for round in 0..2 {
        b.goto("/docs/").await;
        b.js(
            "var p = document.createElement('p'); p.textContent = 'A page worth keeping'; \
              document.body.appendChild(p); getSelection().selectAllChildren(p);",
        )
        .await;
        b.js(&code).await;
        let popup = wait_for_windows(b, 2)
            .await
            .into_iter()
            .find(|w| *w != main)
            .expect("a popup");
        b.client.switch_to_window(popup).await.expect("switch");
        b.find("#link").await;
        let value = |css: &'static str| async move {
            b.find(css)
                .await
                .prop("value")
                .await
                .expect("value")
                .unwrap_or_default()
        };
        assert_eq!(value("#link").await, format!("{}/docs/", app.base));
        if round == 0 {
            assert!(b.path().await.starts_with("/ui/save?url="));
            assert_eq!(value("#description").await, "A page worth keeping");
            b.check_page("bookmarklet-popup").await;
            b.fill("#tags", "api, docs").await;
        } else {
            // Saved before: the popup edits it.
            assert!(b.path().await.ends_with("?popup=1"));
            assert_eq!(b.text("main h1").await, "Edit bookmark");
            b.fill("#title", "API docs").await;
        }
        // The popup closes itself once saved.
        b.press("main form button[type=submit]").await;
        wait_for_windows(b, 1).await;
        b.client.switch_to_window(main.clone()).await.expect("back");
    }
    b.goto("/ui/?tags=api,docs").await;
    assert_eq!(
        b.find_all_text("ul.links li .link-title").await,
        vec!["API docs"]
    );
    // The README's picture: the bookmarks page with a few links, at a modest size.
    b.client.set_window_size(900, 640).await.expect("resize");
    b.goto("/ui/").await;
    b.find("ul.links").await;
    b.screenshot("bookmarks-full").await;
    // On a phone's width nothing runs off the side.
    b.client.set_window_size(390, 800).await.expect("resize");
    for page in ["/ui/", "/ui/links/new", "/ui/tags", "/ui/settings"] {
        b.goto(page).await;
        b.find("main h1").await;
        let overflow = b
            .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
            .await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{page} is wider than a phone: {overflow}"
        );
    }
    b.screenshot("phone").await;
    b.client.set_window_size(1100, 900).await.expect("resize");
    // The theme follows the system's setting: light by default, dark when it asks for dark.
    let background = || b.js("return getComputedStyle(document.body).backgroundColor;");
    b.goto("/ui/").await;
    b.prefer_dark(false).await;
    let light = background().await;
    b.prefer_dark(true).await;
    assert_eq!(background().await, json!("rgb(23, 24, 27)"));
    b.screenshot("dark").await;
    b.prefer_dark(false).await;
    assert_eq!(background().await, light);
    assert_ne!(light, json!("rgb(23, 24, 27)"));
    b.console().await; // the Swagger UI page is not ours to judge
}

/// The browser's windows, once there are `n` of them.
async fn wait_for_windows(b: &Browser, n: usize) -> Vec<fantoccini::wd::WindowHandle> {
    for _ in 0..100 {
        let windows = b.client.windows().await.expect("windows");
        if windows.len() == n {
            return windows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never {n} windows");
}

/// The admin's accounts page.
async fn admin_flows(b: &Browser, email: &str) {
    log_in(b, ADMIN, ADMIN_PASSWORD, true).await;
    b.find("#accounts").await;
    assert_eq!(b.path().await, "/ui/admin");
    let row = b.text("#accounts tbody tr").await;
    assert!(row.contains(email), "{row}");
    assert_eq!(b.text("#accounts tbody tr td.num").await, "5");
    b.check_page("admin").await;
    b.fill("#email", "bob@example.com").await;
    b.fill("#password", "short").await;
    b.click("main section form button[type=submit]").await;
    assert!(b.text("#password-error").await.contains("at least 8"));
    b.fill("#password", "bob-password-1").await;
    b.click("main section form button[type=submit]").await;
    b.find("p.notice").await;
    let emails = b.find_all_text("#accounts td.email").await;
    assert_eq!(emails, vec![email.to_owned(), "bob@example.com".to_owned()]);
    b.fill(
        "#accounts tbody tr:last-child input[name=password]",
        "bob-password-2",
    )
    .await;
    b.click("#accounts tbody tr:last-child button").await;
    b.find("p.notice").await;
    assert!(b.text("p.notice").await.contains("password is reset"));
    b.click("#accounts tbody tr:last-child td:last-child a")
        .await;
    b.find("main form button.danger").await;
    b.click("main form button.danger").await;
    b.find("p.notice").await;
    assert_eq!(
        b.find_all_text("#accounts td.email").await,
        vec![email.to_owned()]
    );
    b.assert_quiet_console("on the admin pages").await;
    b.click("form.logout button").await;
    b.find("#username").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_uses_the_web_app_in_a_real_browser() {
    let started = Instant::now();
    let driver = Chromedriver::start().await;
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        let app = TestApp::start(test_config(&db.url)).await;
        let admin = app.admin_token().await;
        let email = format!("ann-{engine}@example.com");
        app.create_account(&admin, &email).await;
        let b = Browser::open(&driver, &app.base, engine).await;
        session_flows(&app, &b, &email).await;
        admin_flows(&b, &email).await;
        b.close().await;
        app.stop().await;
        db.drop_db().await;
    }
    eprintln!("browser flows took {:?}", started.elapsed());
}

// ---- over HTTP ------------------------------------------------------------------------------

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value a `Set-Cookie` of the answer gives `name`, with the whole header.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v[name.len() + 1..].split(';').next().unwrap_or("");
            (value.to_owned(), v.to_owned())
        })
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + html[at..].find('"').expect("end of value")].to_owned()
}

/// Log in through the login form; the session cookie's value and the whole header.
async fn ui_login(app: &TestApp, user: &str, password: &str, admin: bool) -> (String, String) {
    let client = no_redirects();
    let page = client.get(app.url("/ui/login")).send().await.expect("page");
    let (login_cookie, _) = set_cookie(&page, "tagmark_login").expect("login cookie");
    let csrf = csrf_of(&page.text().await.expect("html"));
    let scope = if admin { "admin" } else { "account" };
    let response = client
        .post(app.url("/ui/login"))
        .header(COOKIE, format!("tagmark_login={login_cookie}"))
        .form(&[
            ("username", user),
            ("password", password),
            ("scope", scope),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    set_cookie(&response, "tagmark_session").expect("a session cookie")
}

async fn ui_get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    no_redirects()
        .get(app.url(path))
        .header(COOKIE, format!("tagmark_session={session}"))
        .send()
        .await
        .expect("request")
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_cookies_the_api_ignores_and_a_password_change_ends_them() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, _) = app.create_account(&admin, "cookie@example.com").await;
        let (session, header) = ui_login(&app, "cookie@example.com", PASSWORD, false).await;
        assert!(header.contains("HttpOnly"), "{header}");
        assert!(header.contains("SameSite=Lax"), "{header}");
        assert!(!header.contains("Secure"), "plain HTTP: {header}");
        // Behind a proxy that says the browser came over HTTPS, the cookie is Secure.
        let client = no_redirects();
        let page = client
            .get(app.url("/ui/login"))
            .header("X-Forwarded-Proto", "https")
            .send()
            .await
            .expect("page");
        let (_, login_header) = set_cookie(&page, "tagmark_login").expect("login cookie");
        assert!(login_header.contains("; Secure"), "{login_header}");
        assert_eq!(
            ui_get(&app, &session, "/ui/").await.status(),
            StatusCode::OK
        );

        // The cookie never authorizes an API call.
        let response = app
            .client
            .get(app.url("/link/"))
            .header(COOKIE, format!("tagmark_session={session}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

        // A changing form without the session's CSRF token is refused.
        let response = no_redirects()
            .post(app.url("/ui/logout"))
            .header(COOKIE, format!("tagmark_session={session}"))
            .form(&[("csrf", "nope")])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response
            .text()
            .await
            .expect("html")
            .contains("This form has expired"));
        // So is a login without the login page's cookie.
        let response = no_redirects()
            .post(app.url("/ui/login"))
            .form(&[
                ("username", "cookie@example.com"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        // A new password (here through the API) ends the session, as it revokes tokens.
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/account/{account_id}"),
                Some(&admin),
                Some(json!({"password": "another-password"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let response = ui_get(&app, &session, "/ui/").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/ui/login?expired=1");

        // Unknown pages under /ui/ are HTML; the API's stay JSON.
        let response = ui_get(&app, &session, "/ui/nothing/here").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let (status, body) = app.send(Method::GET, "/nothing", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"detail": "Not Found"}));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_lives_under_the_root_path_and_logins_share_the_throttle() {
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.root_path = "/tm".into();
    config.login_max_failures = 2;
    let app = TestApp::start(config).await;
    let response = no_redirects()
        .get(app.url("/tm/"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/tm/ui/");
    let response = no_redirects()
        .get(app.url("/tm/ui/"))
        .send()
        .await
        .expect("get");
    assert_eq!(location(&response), "/tm/ui/login");
    let html = no_redirects()
        .get(app.url("/tm/ui/login"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(html.contains("href=\"/tm/ui/assets/app.css"), "{html}");
    assert!(html.contains("action=\"/tm/ui/login\""), "{html}");
    let (session, _) = ui_login(&app, ADMIN, ADMIN_PASSWORD, true).await;
    assert!(!session.is_empty());

    // Failures at /token/ count for the login form too.
    for _ in 0..2 {
        let response = app.login(ADMIN, "wrong-password", Some("admin")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let client = no_redirects();
    let page = client.get(app.url("/ui/login")).send().await.expect("page");
    let (login_cookie, _) = set_cookie(&page, "tagmark_login").expect("login cookie");
    let csrf = csrf_of(&page.text().await.expect("html"));
    let response = client
        .post(app.url("/ui/login"))
        .header(COOKIE, format!("tagmark_login={login_cookie}"))
        .form(&[
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("scope", "admin"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Too many failed logins"));
    app.stop().await;
}
