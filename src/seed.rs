//! `tagmark migrate-seed`: copy a seed deployment (the tutorial's FastAPI service on MariaDB)
//! into this database, keeping every id, password hash and account creation time.
//!
//! Reading the seed ([`read`]) and preparing its rows ([`plan`]) are separate from writing
//! them (`Store::migrate_seed`, one transaction), so that the rules here are plain functions.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::{bail, Context};
use sqlx::{Connection, Executor};

use crate::config::Config;
use crate::model::{now_micros, Micros};
use crate::store::open_store;
use crate::store::seed::{
    SeedAccount, SeedCounts, SeedLink, SeedRows, SeedTag, SeedTagLink, SeedUser, TableCounts,
};
use crate::store::{email_key, tag_key, Engine};
use crate::validate::{MAX_EMAIL_BYTES, MAX_TAG_CHARS, MAX_URL_BYTES};

/// The seed's rows as read, in the order of its tables (see [`LinkOrder`]); every column may
/// be NULL, since the seed's schema does not say NOT NULL.
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    /// `user`: user_id, username, hashed_password.
    pub users: Vec<[Option<String>; 3]>,
    /// `account`: account_id, email, hashed_password, and `created` in microseconds.
    pub accounts: Vec<([Option<String>; 3], Option<Micros>)>,
    /// `tag`: tag_id, account_id, tag.
    pub tags: Vec<[Option<String>; 3]>,
    /// `link`: link_id, account_id, link.
    pub links: Vec<[Option<String>; 3]>,
    /// `taglink`: tag_id, link_id, account_id.
    pub taglinks: Vec<[Option<String>; 3]>,
    pub link_order: LinkOrder,
}

/// The order a full scan of the seed's `link` table returns, which is the order links get.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkOrder {
    /// InnoDB without a primary key or a unique NOT NULL key keeps rows in a clustered index
    /// on its hidden row id, which counts up with every insert: insertion order.
    #[default]
    Insertion,
    /// InnoDB clusters the rows by this key; their insertion order is not recorded anywhere.
    Key(String),
    /// Another engine (MyISAM, Aria): rows come in data file order, which is insertion order
    /// unless deleted rows' space was reused.
    File(String),
}

/// What the seed's table description says about its scan order. `indexes` holds, for every
/// column of every index: index name, unique, column, nullable, in index order.
pub fn link_order(engine: &str, indexes: &[(String, bool, String, bool)]) -> LinkOrder {
    if !engine.eq_ignore_ascii_case("InnoDB") {
        return LinkOrder::File(engine.to_owned());
    }
    let mut names: Vec<&str> = Vec::new();
    for (name, ..) in indexes {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let key = |name: &str| {
        let columns: Vec<&(String, bool, String, bool)> =
            indexes.iter().filter(|i| i.0 == name).collect();
        let unique_not_null = columns
            .iter()
            .all(|(_, unique, _, nullable)| *unique && !nullable);
        let list: Vec<&str> = columns.iter().map(|c| c.2.as_str()).collect();
        (unique_not_null, format!("{name} ({})", list.join(", ")))
    };
    // The primary key, else the first unique index over NOT NULL columns, is the clustered one.
    if names.contains(&"PRIMARY") {
        return LinkOrder::Key(key("PRIMARY").1);
    }
    for name in names {
        let (clustered, description) = key(name);
        if clustered {
            return LinkOrder::Key(description);
        }
    }
    LinkOrder::Insertion
}

/// Read every row of the seed at `url` (`mysql://` or `mariadb://`), in one consistent
/// snapshot.
pub async fn read(url: &str) -> anyhow::Result<SeedData> {
    let (engine, url) = Engine::from_url(url)?;
    if engine != Engine::MySql {
        bail!("the seed database is MariaDB/MySQL: give a mysql:// or mariadb:// URL");
    }
    let mut conn = sqlx::MySqlConnection::connect(&url)
        .await
        .context("cannot connect to the seed database")?;
    // REPEATABLE READ with a snapshot taken now: the tables are read as of one moment, even if
    // the seed service is still writing.
    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await?;
    conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await?;
    let data = read_tables(&mut conn).await;
    let _ = conn.execute("COMMIT").await;
    let _ = conn.close().await;
    data
}

async fn read_tables(conn: &mut sqlx::MySqlConnection) -> anyhow::Result<SeedData> {
    type Three = (Option<String>, Option<String>, Option<String>);
    let three = |rows: Vec<Three>| rows.into_iter().map(|(a, b, c)| [a, b, c]).collect();
    let engine: Option<(String,)> = sqlx::query_as(
        "SELECT ENGINE FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'link'",
    )
    .fetch_optional(&mut *conn)
    .await
    .context("cannot read the seed's table descriptions")?;
    let Some((engine,)) = engine else {
        bail!("the seed database has no `link` table: is this the seed service's database?");
    };
    let indexes: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), COLUMN_NAME, NULLABLE \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'link' \
         ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *conn)
    .await
    .context("cannot read the seed's table descriptions")?;
    let indexes: Vec<(String, bool, String, bool)> = indexes
        .into_iter()
        .map(|(name, non_unique, column, nullable)| {
            (name, non_unique == 0, column, nullable == "YES")
        })
        .collect();

    let table =
        |name: &str, e: sqlx::Error| anyhow::anyhow!("cannot read the seed's `{name}` table: {e}");
    let users: Vec<Three> = sqlx::query_as("SELECT user_id, username, hashed_password FROM `user`")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| table("user", e))?;
    // DATETIME carries no zone; the seed writes UTC. Microseconds since 1970 in SQL, so that
    // the session's time zone plays no part.
    type Four = (Option<String>, Option<String>, Option<String>, Option<i64>);
    let accounts: Vec<Four> = sqlx::query_as(
        "SELECT account_id, email, hashed_password, \
             TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', created) FROM `account`",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| table("account", e))?;
    let tags: Vec<Three> = sqlx::query_as("SELECT tag_id, account_id, tag FROM `tag`")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| table("tag", e))?;
    // No ORDER BY: a full scan returns the rows in the table's physical order (see LinkOrder).
    // Reading the TEXT column makes a scan of the clustered index the only plan, since no
    // secondary index can cover it.
    let links: Vec<Three> = sqlx::query_as("SELECT link_id, account_id, link FROM `link`")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| table("link", e))?;
    let taglinks: Vec<Three> = sqlx::query_as("SELECT tag_id, link_id, account_id FROM `taglink`")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| table("taglink", e))?;
    Ok(SeedData {
        users: three(users),
        accounts: accounts
            .into_iter()
            .map(|(a, b, c, created)| ([a, b, c], created))
            .collect(),
        tags: three(tags),
        links: three(links),
        taglinks: three(taglinks),
        link_order: link_order(&engine, &indexes),
    })
}

/// A tag stored under another name, because tagmark counts its name as the same as that of an
/// earlier tag of its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    pub tag_id: String,
    pub account_id: String,
    pub from: String,
    pub to: String,
}

/// The rows to write, and what had to be done to them.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub rows: SeedRows,
    pub renamed: Vec<Renamed>,
    /// Rows tagmark cannot store as they are, each with the reason; left out of `rows`.
    pub problems: Vec<String>,
}

/// Prepare the seed's rows for tagmark; `now` is the migration time.
///
/// - Links and tags have no creation time in the seed: they get `now` plus their position in
///   the seed's table in microseconds, so that tagmark's order (creation time, then id)
///   is the seed's order. Admin users get `now`; accounts keep `created` (`now` when NULL).
/// - Tag names are trimmed, as tagmark stores them. The seed's collation (`utf8_general_ci`)
///   and tagmark's rule (trimmed, lower-cased) do not always agree on which names are the
///   same; when a tag's name equals an earlier tag's of the same account by tagmark's rule, it
///   keeps its id and its tag-links and is renamed to `name (2)` (or 3, …), so that no id and
///   no tag-link is lost. The earlier tag, in the seed's order, keeps the name.
/// - Rows tagmark cannot store are listed in `problems` and left out, with the rows that
///   depend on them: empty or overlong ids and values, NULL columns, duplicate ids or names,
///   links, tags and tag-links of accounts (or tags, links) that do not exist.
pub fn plan(data: SeedData, now: Micros) -> Plan {
    let mut plan = Plan {
        rows: SeedRows {
            now,
            ..SeedRows::default()
        },
        ..Plan::default()
    };
    let problems = &mut plan.problems;

    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for [id, username, hash] in data.users {
        let what = format!("admin user {}", shown(&id));
        let (Some(id), Some(username), Some(hash)) = (
            check_id(&what, id, problems),
            present(&what, "username", username, problems),
            present(&what, "hashed_password", hash, problems),
        ) else {
            continue;
        };
        if username.trim().is_empty() {
            problems.push(format!("{what}: the username is empty"));
        } else if !ids.insert(id.clone()) {
            problems.push(format!("{what}: the id occurs twice"));
        } else if !names.insert(username.clone()) {
            problems.push(format!("{what}: the username {username:?} occurs twice"));
        } else {
            plan.rows.users.push(SeedUser {
                user_id: id,
                username,
                hashed_password: hash,
            });
        }
    }

    let mut accounts = HashSet::new();
    let mut emails = HashSet::new();
    for ([id, email, hash], created) in data.accounts {
        let what = format!("account {}", shown(&id));
        let (Some(id), Some(email), Some(hash)) = (
            check_id(&what, id, problems),
            present(&what, "email", email, problems),
            present(&what, "hashed_password", hash, problems),
        ) else {
            continue;
        };
        if email.trim().is_empty() || email.len() > MAX_EMAIL_BYTES || email.contains('\0') {
            problems.push(format!(
                "{what}: the email {email:?} is empty, has NUL or is over {MAX_EMAIL_BYTES} bytes"
            ));
        } else if accounts.contains(&id) {
            problems.push(format!("{what}: the id occurs twice"));
        } else if !emails.insert(email_key(&email)) {
            problems.push(format!(
                "{what}: the email {email:?} occurs twice (regardless of case)"
            ));
        } else {
            accounts.insert(id.clone());
            plan.rows.accounts.push(SeedAccount {
                account_id: id,
                email,
                hashed_password: hash,
                created_at: created.unwrap_or(now),
            });
        }
    }

    // Tags: every account's names first, so that a rename never takes a later tag's name.
    let mut taken: HashSet<(String, String)> = HashSet::new();
    let mut candidates = Vec::new();
    let mut tag_ids = HashSet::new();
    for (position, [id, account, name]) in data.tags.into_iter().enumerate() {
        let what = format!("tag {}", shown(&id));
        let (Some(id), Some(account), Some(name)) = (
            check_id(&what, id, problems),
            owner(&what, account, &accounts, problems),
            present(&what, "tag", name, problems),
        ) else {
            continue;
        };
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed.contains('\0') {
            problems.push(format!("{what}: the name {name:?} is empty or has NUL"));
        } else if !tag_ids.insert(id.clone()) {
            problems.push(format!("{what}: the id occurs twice"));
        } else {
            taken.insert((account.clone(), tag_key(trimmed)));
            candidates.push((position, id, account, trimmed.to_owned(), name));
        }
    }
    let mut used: HashSet<(String, String)> = HashSet::new();
    let mut tags: HashMap<String, String> = HashMap::new();
    for (position, id, account, name, original) in candidates {
        let mut stored = name.clone();
        if !used.insert((account.clone(), tag_key(&name))) {
            stored = free_name(&name, |candidate| {
                let key = (account.clone(), tag_key(candidate));
                !taken.contains(&key) && !used.contains(&key)
            });
            used.insert((account.clone(), tag_key(&stored)));
            plan.renamed.push(Renamed {
                tag_id: id.clone(),
                account_id: account.clone(),
                from: original,
                to: stored.clone(),
            });
        }
        tags.insert(id.clone(), account.clone());
        plan.rows.tags.push(SeedTag {
            tag_id: id,
            account_id: account,
            tag: stored,
            created_at: now + position as Micros,
        });
    }

    let mut links: HashMap<String, String> = HashMap::new();
    for (position, [id, account, url]) in data.links.into_iter().enumerate() {
        let what = format!("link {}", shown(&id));
        let (Some(id), Some(account), Some(url)) = (
            check_id(&what, id, problems),
            owner(&what, account, &accounts, problems),
            present(&what, "link", url, problems),
        ) else {
            continue;
        };
        if url.is_empty() || url.len() > MAX_URL_BYTES || url.contains('\0') {
            problems.push(format!(
                "{what}: the URL is empty, has NUL or is over {MAX_URL_BYTES} bytes"
            ));
        } else if links.contains_key(&id) {
            problems.push(format!("{what}: the id occurs twice"));
        } else {
            links.insert(id.clone(), account.clone());
            plan.rows.links.push(SeedLink {
                link_id: id,
                account_id: account,
                link: url,
                created_at: now + position as Micros,
            });
        }
    }

    let mut pairs = HashSet::new();
    for [tag, link, account] in data.taglinks {
        let what = format!("tag-link of tag {} and link {}", shown(&tag), shown(&link));
        let (Some(tag), Some(link), Some(account)) = (
            present(&what, "tag_id", tag, problems),
            present(&what, "link_id", link, problems),
            present(&what, "account_id", account, problems),
        ) else {
            continue;
        };
        match (tags.get(&tag), links.get(&link)) {
            (None, _) => problems.push(format!("{what}: the tag is not migrated")),
            (_, None) => problems.push(format!("{what}: the link is not migrated")),
            (Some(a), Some(b)) if *a != account || *b != account => problems.push(format!(
                "{what}: the tag, the link and the tag-link belong to different accounts"
            )),
            _ if !pairs.insert((tag.clone(), link.clone())) => {
                problems.push(format!("{what}: the pair occurs twice"))
            }
            _ => plan.rows.taglinks.push(SeedTagLink {
                tag_id: tag,
                link_id: link,
                account_id: account,
            }),
        }
    }
    plan
}

/// `name (2)`, `name (3)`, … : the first that `free` accepts, cut to tagmark's length limit.
fn free_name(name: &str, free: impl Fn(&str) -> bool) -> String {
    (2u32..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let keep = MAX_TAG_CHARS - suffix.chars().count();
            let base: String = name.chars().take(keep).collect();
            format!("{}{suffix}", base.trim_end())
        })
        .find(|candidate| free(candidate))
        .unwrap_or_else(|| name.to_owned())
}

fn shown(id: &Option<String>) -> String {
    match id {
        Some(id) => format!("{id:?}"),
        None => "NULL".into(),
    }
}

/// An id tagmark can store and look up: 1–64 characters, no surrounding space, no NUL.
fn check_id(what: &str, id: Option<String>, problems: &mut Vec<String>) -> Option<String> {
    let id = present(what, "id", id, problems)?;
    if id.is_empty() || id.len() > 64 || id.trim() != id || id.contains('\0') {
        problems.push(format!(
            "{what}: the id is empty, over 64 bytes, or has spaces around it"
        ));
        return None;
    }
    Some(id)
}

fn present(
    what: &str,
    column: &str,
    value: Option<String>,
    problems: &mut Vec<String>,
) -> Option<String> {
    if value.is_none() {
        problems.push(format!("{what}: {column} is NULL"));
    }
    value
}

/// The account a row belongs to, if that account is migrated.
fn owner(
    what: &str,
    account: Option<String>,
    accounts: &HashSet<String>,
    problems: &mut Vec<String>,
) -> Option<String> {
    let account = present(what, "account_id", account, problems)?;
    if !accounts.contains(&account) {
        problems.push(format!("{what}: its account {account:?} is not migrated"));
        return None;
    }
    Some(account)
}

/// The report printed after a migration.
pub fn report(counts: &SeedCounts, plan: &Plan, order: &LinkOrder) -> String {
    let mut out = String::from("migrated the seed database:\n");
    let table = |out: &mut String, name: &str, c: TableCounts| {
        let _ = writeln!(
            out,
            "  {name}: {} new, {} already present",
            c.new, c.present
        );
    };
    table(&mut out, "admin users", counts.users);
    table(&mut out, "accounts", counts.accounts);
    table(&mut out, "tags", counts.tags);
    table(&mut out, "links", counts.links);
    table(&mut out, "tag-links", counts.taglinks);
    for (username, replaced) in &counts.replaced_admins {
        let _ = writeln!(
            out,
            "replaced the admin user {username:?} of this tagmark (id {replaced}, created before \
             any account) with the seed's: it now logs in with the seed's password, and the \
             replaced one's tokens and sessions no longer work"
        );
    }
    let _ = match order {
        LinkOrder::Insertion => writeln!(
            out,
            "links are ordered as they were inserted into the seed (InnoDB's row order)"
        ),
        LinkOrder::Key(key) => writeln!(
            out,
            "note: the seed's link table is kept in the order of its key {key}, so the order \
             the links were added in is not recorded; they are ordered by that key"
        ),
        LinkOrder::File(engine) => writeln!(
            out,
            "links are ordered as the seed's {engine} table file holds them (insertion order, \
             unless space of deleted rows was reused)"
        ),
    };
    if !plan.renamed.is_empty() {
        let _ = writeln!(
            out,
            "renamed {} tag(s) whose name equals an earlier tag's of the same account \
             (tagmark compares names trimmed and regardless of case):",
            plan.renamed.len()
        );
        for r in &plan.renamed {
            let _ = writeln!(
                out,
                "  tag {} of account {}: {:?} -> {:?}",
                r.tag_id, r.account_id, r.from, r.to
            );
        }
    }
    if !plan.problems.is_empty() {
        let _ = writeln!(out, "left out {} row(s):", plan.problems.len());
        for problem in &plan.problems {
            let _ = writeln!(out, "  {problem}");
        }
    }
    out
}

/// `tagmark migrate-seed --from URL [--skip-invalid]`.
pub async fn run(config: &Config, from: &str, skip_invalid: bool) -> anyhow::Result<()> {
    let data = read(from).await?;
    let order = data.link_order.clone();
    let plan = plan(data, now_micros());
    if !plan.problems.is_empty() && !skip_invalid {
        let mut message = format!(
            "{} row(s) of the seed cannot be stored as they are; nothing was written:",
            plan.problems.len()
        );
        for problem in plan.problems.iter().take(20) {
            message.push_str("\n  ");
            message.push_str(problem);
        }
        if plan.problems.len() > 20 {
            let _ = write!(message, "\n  … and {} more", plan.problems.len() - 20);
        }
        message
            .push_str("\nfix them in the seed, or run again with --skip-invalid to leave them out");
        bail!(message);
    }
    let store = open_store(config).await?;
    let result = store.migrate_seed(Arc::new(plan.rows.clone())).await;
    store.close().await;
    let counts = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{}", report(&counts, &plan, &order));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    fn seed() -> SeedData {
        SeedData {
            users: vec![[s("u1"), s("admin"), s("$2b$04$x")]],
            accounts: vec![
                ([s("a1"), s("Ann@Example.com"), s("$2b$04$y")], Some(5)),
                ([s("a2"), s("bob@example.com"), s("$2b$04$z")], None),
            ],
            tags: vec![
                [s("t1"), s("a1"), s("Rust")],
                [s("t2"), s("a1"), s("rust (2)")],
                [s("t3"), s("a1"), s(" rust ")],
                [s("t4"), s("a2"), s("rust")],
                [s("t5"), s("a1"), s("日本語")],
            ],
            links: vec![
                [s("l2"), s("a1"), s("https://b.example/")],
                [s("l1"), s("a1"), s("https://a.example/")],
                [s("l3"), s("a2"), s("https://c.example/")],
            ],
            taglinks: vec![
                [s("t1"), s("l1"), s("a1")],
                [s("t3"), s("l2"), s("a1")],
                [s("t4"), s("l3"), s("a2")],
            ],
            link_order: LinkOrder::Insertion,
        }
    }

    #[test]
    fn links_and_tags_keep_the_seed_order_and_accounts_their_time() {
        let plan = plan(seed(), 1000);
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        let links: Vec<(&str, i64)> = plan
            .rows
            .links
            .iter()
            .map(|l| (l.link_id.as_str(), l.created_at))
            .collect();
        assert_eq!(links, vec![("l2", 1000), ("l1", 1001), ("l3", 1002)]);
        let created: Vec<i64> = plan.rows.accounts.iter().map(|a| a.created_at).collect();
        assert_eq!(created, vec![5, 1000]);
        assert_eq!(plan.rows.taglinks.len(), 3);
        assert_eq!(plan.rows.users[0].hashed_password, "$2b$04$x");
    }

    #[test]
    fn colliding_tag_names_are_renamed_never_merged() {
        let plan = plan(seed(), 0);
        let names: Vec<(&str, &str)> = plan
            .rows
            .tags
            .iter()
            .map(|t| (t.tag_id.as_str(), t.tag.as_str()))
            .collect();
        // " rust " collides with "Rust"; "rust (2)" is taken by another seed tag, so it
        // becomes "rust (3)". Another account's "rust" is its own.
        assert_eq!(
            names,
            vec![
                ("t1", "Rust"),
                ("t2", "rust (2)"),
                ("t3", "rust (3)"),
                ("t4", "rust"),
                ("t5", "日本語")
            ]
        );
        assert_eq!(plan.renamed.len(), 1);
        assert_eq!(plan.renamed[0].from, " rust ");
        let long = "x".repeat(MAX_TAG_CHARS);
        let renamed = free_name(&long, |_| true);
        assert_eq!(renamed.chars().count(), MAX_TAG_CHARS);
        assert!(renamed.ends_with("x (2)"));
    }

    #[test]
    fn rows_that_cannot_be_stored_are_listed_with_their_dependants() {
        let mut data = seed();
        data.accounts[1].0[1] = s("ann@example.com "); // same email as a1, regardless of case
        data.links
            .push([s("l4"), s("nobody"), s("https://d.example/")]);
        data.links.push([None, s("a1"), s("https://e.example/")]);
        data.taglinks.push([s("t1"), s("l4"), s("a1")]);
        let plan = plan(data, 0);
        let problems = plan.problems.join("\n");
        assert!(problems.contains("account \"a2\": the email"), "{problems}");
        assert!(
            problems.contains("tag \"t4\": its account \"a2\""),
            "{problems}"
        );
        assert!(
            problems.contains("link \"l4\": its account \"nobody\""),
            "{problems}"
        );
        assert!(problems.contains("link NULL: id is NULL"), "{problems}");
        assert!(
            problems.contains("link \"l4\": the link is not migrated"),
            "{problems}"
        );
        assert_eq!(plan.rows.accounts.len(), 1);
        assert_eq!(plan.rows.links.len(), 2);
    }

    #[test]
    fn innodb_keeps_insertion_order_only_without_a_clustering_key() {
        let idx = |name: &str, unique: bool, column: &str, nullable: bool| {
            (name.to_owned(), unique, column.to_owned(), nullable)
        };
        assert_eq!(link_order("InnoDB", &[]), LinkOrder::Insertion);
        assert_eq!(
            link_order("InnoDB", &[idx("by_account", false, "account_id", true)]),
            LinkOrder::Insertion
        );
        // A unique key over a nullable column cannot cluster the table.
        assert_eq!(
            link_order("InnoDB", &[idx("link_id", true, "link_id", true)]),
            LinkOrder::Insertion
        );
        assert_eq!(
            link_order("InnoDB", &[idx("link_id", true, "link_id", false)]),
            LinkOrder::Key("link_id (link_id)".into())
        );
        assert_eq!(
            link_order("InnoDB", &[idx("PRIMARY", true, "link_id", false)]),
            LinkOrder::Key("PRIMARY (link_id)".into())
        );
        assert_eq!(link_order("Aria", &[]), LinkOrder::File("Aria".into()));
    }
}
