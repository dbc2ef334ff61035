//! `tagmark migrate-seed`: a seed deployment's MariaDB database (schema written from its
//! description: utf8, utf8_general_ci, uuid4 ids, bcrypt `$2b$` hashes) copied into each
//! engine by the real binary, then checked through the HTTP API: old passwords, old ids, link
//! order, tags per link; a second run adds nothing; a conflicting target is refused; the
//! bootstrap admin of a tagmark without accounts yet gives way to the seed admin of its name.
mod common;

use std::collections::HashMap;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, MySqlConnection};

const SEED_ADMIN: &str = "seedadmin";
const SEED_ADMIN_PASSWORD: &str = "seed-admin-password";
const ANN: &str = "ann@example.com";
const ANN_PASSWORD: &str = "ann-seed-password";
const BOB: &str = "Bob@Example.com";
const BOB_PASSWORD: &str = "bob-seed-password";
/// Ann's links: more than one page of 1000.
const ANN_LINKS: usize = 1100;
const BOB_LINKS: usize = 30;

/// The seed service's schema, as its description gives it (no key on `link`: InnoDB then keeps
/// the rows in insertion order).
const SCHEMA: &[&str] = &[
    "CREATE TABLE `user` (user_id CHAR(36), username VARCHAR(255), hashed_password VARCHAR(255))",
    "CREATE TABLE account (account_id CHAR(36), email VARCHAR(255) UNIQUE, \
     hashed_password VARCHAR(255), created DATETIME)",
    "CREATE TABLE link (link_id CHAR(36), account_id CHAR(36), link TEXT)",
    "CREATE TABLE tag (tag_id CHAR(36), account_id CHAR(36), tag VARCHAR(255), \
     UNIQUE (account_id, tag))",
    "CREATE TABLE taglink (tag_id CHAR(36), link_id CHAR(36), account_id CHAR(36), \
     PRIMARY KEY (tag_id, link_id))",
];

/// What the fixture holds, to compare the migrated data with.
struct Fixture {
    url: String,
    server: String,
    name: String,
    admin_id: String,
    ann: String,
    bob: String,
    /// Per account: link ids in insertion order, with their URL.
    links: HashMap<String, Vec<(String, String)>>,
    /// Per account: tag ids in insertion order, with the name tagmark should show.
    tags: HashMap<String, Vec<(String, String)>>,
    /// Per link: names of its tags, as tagmark shows them, sorted.
    tags_of: HashMap<String, Vec<String>>,
}

fn uuid4() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn bcrypt_2b(password: &str) -> String {
    let hash = bcrypt::hash_with_result(password, 4)
        .expect("bcrypt")
        .format_for_version(bcrypt::Version::TwoB);
    assert!(hash.starts_with("$2b$04$"), "{hash}");
    hash
}

/// `INSERT INTO table VALUES (...), (...)` of rows of strings, in slices of 200 rows.
async fn insert(conn: &mut MySqlConnection, table: &str, rows: &[Vec<String>]) {
    for chunk in rows.chunks(200) {
        let marks = vec![format!("({})", vec!["?"; chunk[0].len()].join(", ")); chunk.len()];
        let sql = format!("INSERT INTO {table} VALUES {}", marks.join(", "));
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for value in row {
                query = query.bind(value);
            }
        }
        query
            .execute(&mut *conn)
            .await
            .expect("insert fixture rows");
    }
}

impl Fixture {
    async fn create(server: &str) -> Fixture {
        let server = server
            .trim_start_matches("mariadb://")
            .trim_start_matches("mysql://");
        let authority = server.split(['/', '?']).next().unwrap_or(server);
        let server = format!("mysql://{authority}");
        let name = format!("tagmark_seed_{}", uuid::Uuid::new_v4().simple());
        let mut admin = MySqlConnection::connect(&format!("{server}/mysql"))
            .await
            .expect("reach the MariaDB server for the seed database");
        admin
            .execute(
                format!("CREATE DATABASE {name} CHARACTER SET utf8 COLLATE utf8_general_ci")
                    .as_str(),
            )
            .await
            .expect("create the seed database");
        let _ = admin.close().await;
        let url = format!("{server}/{name}");
        let mut conn = MySqlConnection::connect(&url).await.expect("seed database");
        for statement in SCHEMA {
            conn.execute(*statement).await.expect("seed schema");
        }

        let admin_id = uuid4();
        let (ann, bob) = (uuid4(), uuid4());
        insert(
            &mut conn,
            "`user`",
            &[vec![
                admin_id.clone(),
                SEED_ADMIN.into(),
                bcrypt_2b(SEED_ADMIN_PASSWORD),
            ]],
        )
        .await;
        // Inserted through the DATETIME column as the seed writes it: UTC, whole seconds.
        insert(
            &mut conn,
            "account",
            &[
                vec![
                    ann.clone(),
                    ANN.into(),
                    bcrypt_2b(ANN_PASSWORD),
                    "2021-03-04 05:06:07".into(),
                ],
                vec![
                    bob.clone(),
                    BOB.into(),
                    bcrypt_2b(BOB_PASSWORD),
                    "2022-11-12 13:14:15".into(),
                ],
            ],
        )
        .await;

        // Tags: multibyte, with spaces, and " rust", which utf8_general_ci tells from "rust"
        // (leading spaces count there) but tagmark does not (names are trimmed): it is stored
        // as "rust (2)" and keeps its id.
        let ann_tags = ["日本語", "Ünïcödé", "two words", "rust", " rust"];
        let bob_tags = ["rust", "ÜNÏCÖDÉ"];
        let mut tags: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut tag_rows = Vec::new();
        for (account, names) in [(&ann, &ann_tags[..]), (&bob, &bob_tags[..])] {
            for name in names {
                let id = uuid4();
                tag_rows.push(vec![id.clone(), account.clone(), (*name).to_owned()]);
                let shown = if *name == " rust" {
                    "rust (2)".to_owned()
                } else {
                    (*name).to_owned()
                };
                tags.entry(account.clone()).or_default().push((id, shown));
            }
        }
        insert(&mut conn, "tag", &tag_rows).await;

        // Links of the two accounts interleaved, in an order their random ids do not give.
        let mut links: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut tags_of: HashMap<String, Vec<String>> = HashMap::new();
        let mut link_rows = Vec::new();
        let mut taglink_rows = Vec::new();
        for i in 0..ANN_LINKS + BOB_LINKS {
            let account = if i % 37 == 5 && links.get(&bob).map_or(0, Vec::len) < BOB_LINKS {
                &bob
            } else if links.get(&ann).map_or(0, Vec::len) < ANN_LINKS {
                &ann
            } else {
                &bob
            };
            let id = uuid4();
            let url = format!("https://example.org/{i}/ünï?q={i}");
            link_rows.push(vec![id.clone(), account.clone(), url.clone()]);
            links
                .entry(account.clone())
                .or_default()
                .push((id.clone(), url));
            // Link i carries tag i mod n, and every third link the next one too.
            let account_tags = &tags[account];
            let mut names = Vec::new();
            let mut carry = |k: usize| {
                let (tag_id, name) = &account_tags[k % account_tags.len()];
                taglink_rows.push(vec![tag_id.clone(), id.clone(), account.clone()]);
                names.push(name.clone());
            };
            carry(i);
            if i % 3 == 0 {
                carry(i + 1);
            }
            names.sort();
            tags_of.insert(id, names);
        }
        insert(&mut conn, "link", &link_rows).await;
        insert(&mut conn, "taglink", &taglink_rows).await;
        let _ = conn.close().await;
        Fixture {
            url,
            server,
            name,
            admin_id,
            ann,
            bob,
            links,
            tags,
            tags_of,
        }
    }

    async fn execute(&self, sql: &str, args: &[&str]) {
        let mut conn = MySqlConnection::connect(&self.url).await.expect("seed");
        let mut query = sqlx::query(sql);
        for arg in args {
            query = query.bind(*arg);
        }
        query.execute(&mut conn).await.expect("seed statement");
        let _ = conn.close().await;
    }

    async fn drop_db(&self) {
        if let Ok(mut conn) = MySqlConnection::connect(&format!("{}/mysql", self.server)).await {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {}", self.name).as_str())
                .await;
            let _ = conn.close().await;
        }
    }
}

/// `tagmark migrate-seed --from <seed>`: exit success, and the counts it reported per table.
async fn migrate(app: &TestApp, seed: &Fixture) -> (bool, HashMap<String, (u64, u64)>, String) {
    let started = std::time::Instant::now();
    let output = tagmark_cli(app, &["migrate-seed", "--from", &seed.url], "").await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    eprintln!("migrate-seed took {:?}", started.elapsed());
    let mut counts = HashMap::new();
    for line in stdout.lines() {
        // "  links: 1100 new, 0 already present"
        let Some((table, rest)) = line.trim().split_once(": ") else {
            continue;
        };
        let numbers: Vec<u64> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        if rest.ends_with("already present") && numbers.len() == 2 {
            counts.insert(table.to_owned(), (numbers[0], numbers[1]));
        }
    }
    (output.status.success(), counts, format!("{stdout}{stderr}"))
}

fn expect_counts(counts: &HashMap<String, (u64, u64)>, seed: &Fixture, new: bool, out: &str) {
    let links = (ANN_LINKS + BOB_LINKS) as u64;
    let tags = seed.tags.values().map(Vec::len).sum::<usize>() as u64;
    let taglinks = seed.tags_of.values().map(Vec::len).sum::<usize>() as u64;
    for (table, n) in [
        ("admin users", 1),
        ("accounts", 2),
        ("tags", tags),
        ("links", links),
        ("tag-links", taglinks),
    ] {
        let expected = if new { (n, 0) } else { (0, n) };
        assert_eq!(counts.get(table), Some(&expected), "{table}: {out}");
    }
}

/// Every link of the account through the API, in list order (pages of 1000).
async fn all_links(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        let (status, page) = app
            .get(token, &format!("/link/?limit=1000&offset={}", out.len()))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page = page.as_array().expect("list").clone();
        if page.is_empty() {
            return out;
        }
        for link in page {
            out.push((
                link["link_id"].as_str().expect("id").to_owned(),
                link["link"].as_str().expect("url").to_owned(),
            ));
        }
    }
}

/// Everything an account sees, to compare before and after a run.
async fn snapshot(app: &TestApp, token: &str) -> (Value, Value) {
    let (status, export) = app.get(token, "/export/?format=json").await;
    assert_eq!(status, StatusCode::OK, "{export}");
    let (status, tags) = app.get(token, "/tag/?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{tags}");
    (export, tags)
}

async fn check_migrated(app: &TestApp, seed: &Fixture) {
    // Old passwords, bcrypt `$2b$`: the admin and both accounts log in.
    let admin = app.token(SEED_ADMIN, SEED_ADMIN_PASSWORD, "admin").await;
    let ann = app.token(ANN, ANN_PASSWORD, "account").await;
    let bob = app
        .token(&BOB.to_lowercase(), BOB_PASSWORD, "account")
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE user_id = '{}' AND hashed_password LIKE '$argon2id$%'",
            seed.admin_id
        ))
        .await,
        1,
        "the admin keeps its id; its bcrypt hash was upgraded at login"
    );

    // Accounts keep their ids and creation times.
    for (id, email, created) in [
        (&seed.ann, ANN, "2021-03-04T05:06:07Z"),
        (&seed.bob, BOB, "2022-11-12T13:14:15Z"),
    ] {
        let (status, account) = app.get(&admin, &format!("/account/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{account}");
        assert_eq!(account["email"], email);
        assert_eq!(account["created_at"], created);
    }

    for (account, token) in [(&seed.ann, &ann), (&seed.bob, &bob)] {
        // Links: all of them, in the seed's insertion order, under their old ids.
        let links = all_links(app, token).await;
        assert_eq!(
            &links, &seed.links[account],
            "links of {account} in seed order"
        );
        for (id, url) in links.iter().step_by(97) {
            let (status, link) = app.get(token, &format!("/link/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{link}");
            assert_eq!(link["link"], url.as_str());
        }
        // Tags: old ids, in the seed's order, named as tagmark shows them.
        let (status, tags) = app.get(token, "/tag/?limit=1000").await;
        assert_eq!(status, StatusCode::OK, "{tags}");
        let tags: Vec<(String, String)> = tags
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| {
                (
                    t["tag_id"].as_str().unwrap().into(),
                    t["tag"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(&tags, &seed.tags[account]);
        for (id, name) in &tags {
            let (status, tag) = app.get(&admin, &format!("/tag/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{tag}");
            assert_eq!(tag["tag"], name.as_str());
        }
        // Tags per link, for every link at once.
        let (status, export) = app.get(token, "/export/?format=json").await;
        assert_eq!(status, StatusCode::OK, "{export}");
        let export = export.as_array().expect("export");
        assert_eq!(export.len(), seed.links[account].len());
        for link in export {
            let id = link["link_id"].as_str().expect("id");
            let mut names: Vec<String> = link["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            names.sort();
            assert_eq!(names, seed.tags_of[id], "tags of link {id}");
        }
        // Sync clients see every copied link and tag (recorded when migrate-seed finished).
        let (mut links, mut tags, mut cursor) = (0, 0, None::<String>);
        loop {
            let path = match &cursor {
                Some(c) => format!("/sync/?limit=1000&since={c}"),
                None => "/sync/?limit=1000".to_owned(),
            };
            let (status, page) = app.get(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            links += page["links"].as_array().expect("links").len();
            tags += page["tags"].as_array().expect("tags").len();
            cursor = page["cursor"].as_str().map(str::to_owned);
            if page["more"] == false {
                break;
            }
        }
        assert_eq!(
            links,
            seed.links[account].len(),
            "synced links of {account}"
        );
        assert_eq!(tags, seed.tags[account].len(), "synced tags of {account}");
    }
    // Multibyte names are found by name, regardless of case.
    let (status, found) = app
        .get(&ann, "/link/?tag=%C3%BCN%C3%8FC%C3%96D%C3%89&limit=1")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_deployment_migrates_into_every_engine() {
    // The seed is MariaDB: on the test server (the local one when the variable is unset).
    let server = std::env::var("TAGMARK_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/test".into());
    let seed = Fixture::create(&server).await;
    for (engine, target) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&target).await;
        let app = TestApp::start(test_config(&db.url)).await;

        let (ok, counts, out) = migrate(&app, &seed).await;
        assert!(ok, "migrate-seed failed: {out}");
        expect_counts(&counts, &seed, true, &out);
        assert!(out.contains("\" rust\" -> \"rust (2)\""), "{out}");
        assert!(out.contains("inserted into the seed"), "{out}");
        check_migrated(&app, &seed).await;

        // Again: nothing new, nothing changed (the logins above rehashed the passwords).
        let ann = app.token(ANN, ANN_PASSWORD, "account").await;
        let before = snapshot(&app, &ann).await;
        let (ok, counts, out) = migrate(&app, &seed).await;
        assert!(ok, "second run failed: {out}");
        expect_counts(&counts, &seed, false, &out);
        assert_eq!(snapshot(&app, &ann).await, before);

        // A target holding other data for a seed id is refused, and nothing is written: not
        // even the link the seed gained meanwhile.
        let admin = app.admin_token().await;
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/account/{}", seed.ann),
                Some(&admin),
                Some(json!({"email": "ann.new@example.com"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let extra = uuid4();
        seed.execute(
            "INSERT INTO link VALUES (?, ?, 'https://example.org/late')",
            &[&extra, &seed.ann],
        )
        .await;
        let links = app.count("SELECT COUNT(*) FROM links").await;
        let (ok, _, out) = migrate(&app, &seed).await;
        assert!(!ok, "a conflicting target must be refused: {out}");
        assert!(
            out.contains(&format!(
                "account {} has the email \"ann.new@example.com\" here, \"{ANN}\" in the seed",
                seed.ann
            )) && out.contains("nothing was written"),
            "{out}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, links);

        // With the conflict gone, a run adds just the new link, after the others.
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/account/{}", seed.ann),
                Some(&admin),
                Some(json!({"email": ANN})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (ok, counts, out) = migrate(&app, &seed).await;
        assert!(ok, "{out}");
        assert_eq!(
            counts.get("links"),
            Some(&(1, (ANN_LINKS + BOB_LINKS) as u64)),
            "{out}"
        );
        let links = all_links(&app, &ann).await;
        assert_eq!(links.last().map(|l| l.0.as_str()), Some(extra.as_str()));
        seed.execute("DELETE FROM link WHERE link_id = ?", &[&extra])
            .await;

        app.stop().await;
        db.drop_db().await;
    }

    // A row tagmark cannot store (here a tag-link of a link that does not exist) is refused
    // with nothing written, or left out and listed with --skip-invalid.
    let dangling = uuid4();
    let (tag_id, _) = &seed.tags[&seed.bob][0];
    seed.execute(
        "INSERT INTO taglink VALUES (?, ?, ?)",
        &[tag_id, &dangling, &seed.bob],
    )
    .await;
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let (ok, _, out) = migrate(&app, &seed).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("1 row(s) of the seed cannot be stored as they are; nothing was written")
            && out.contains(&format!("link \"{dangling}\": the link is not migrated")),
        "{out}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
    let output = tagmark_cli(
        &app,
        &["migrate-seed", "--from", &seed.url, "--skip-invalid"],
        "",
    )
    .await;
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("left out 1 row(s)"), "{out}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM links").await,
        (ANN_LINKS + BOB_LINKS) as i64
    );
    app.stop().await;
    seed.drop_db().await;
}

/// The README's first command starts tagmark with a bootstrap admin; if its name is the seed
/// admin's, the seed's admin takes its place while the target holds no accounts (nothing was
/// done with that tagmark yet), keeping the seed's id and password; once the target holds
/// accounts, the same name is a conflict and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_admin_replaces_a_bootstrap_admin_of_the_same_name_before_any_account() {
    const BOOTSTRAP_PASSWORD: &str = "bootstrap-password";
    let server = std::env::var("TAGMARK_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/test".into());
    let seed = Fixture::create(&server).await;
    for (engine, target) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&target).await;
        let mut config = test_config(&db.url);
        config.admin = Some((SEED_ADMIN.into(), BOOTSTRAP_PASSWORD.to_owned().into()));
        let app = TestApp::start(config.clone()).await;
        let bootstrap = app.token(SEED_ADMIN, BOOTSTRAP_PASSWORD, "admin").await;

        // The target holds an account: the bootstrap admin may have been in use, so the
        // migration refuses the name, and writes nothing.
        let (early, _) = app.create_account(&bootstrap, "early@example.com").await;
        let (ok, _, out) = migrate(&app, &seed).await;
        assert!(!ok, "a used admin's name must be refused: {out}");
        assert!(
            out.contains(&format!(
                "admin user \"{SEED_ADMIN}\" exists here with another id"
            )) && out.contains("only while the target holds no accounts")
                && out.contains("nothing was written"),
            "{out}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);

        // Without accounts, the seed's admin replaces it.
        let (status, body) = app.delete(&bootstrap, &format!("/account/{early}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (ok, counts, out) = migrate(&app, &seed).await;
        assert!(ok, "migrate-seed failed: {out}");
        expect_counts(&counts, &seed, true, &out);
        assert!(
            out.contains(&format!(
                "replaced the admin user \"{SEED_ADMIN}\" of this tagmark"
            )),
            "{out}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        // The replaced admin's token and password no longer work; the seed's password does,
        // and the admin has the seed's id (checked with everything else).
        let (status, body) = app.get(&bootstrap, "/account/").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let response = app
            .login(SEED_ADMIN, BOOTSTRAP_PASSWORD, Some("admin"))
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        check_migrated(&app, &seed).await;

        // A restart with the same bootstrap setting leaves the migrated admin alone, and a
        // second run finds everything present.
        app.stop().await;
        let app = TestApp::start(config).await;
        app.token(SEED_ADMIN, SEED_ADMIN_PASSWORD, "admin").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        let (ok, counts, out) = migrate(&app, &seed).await;
        assert!(ok, "second run failed: {out}");
        expect_counts(&counts, &seed, false, &out);
        assert!(!out.contains("replaced"), "{out}");
        app.stop().await;
        db.drop_db().await;
    }
    seed.drop_db().await;
}
