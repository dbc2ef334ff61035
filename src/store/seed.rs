//! Writing a seed deployment's rows (already checked and prepared by `crate::seed`) into this
//! database: one transaction that first compares every id with what is stored, then inserts
//! what is new.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::conn::{FromRow, Row};
use super::{email_key, link_hash, search, search_text, tag_key, Conn, Sql, Store};
use crate::error::{ApiError, ApiResult, DbError};
use crate::model::{LinkDetails, Micros};

/// An admin user of the seed (`user` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    pub user_id: String,
    pub username: String,
    pub hashed_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedAccount {
    pub account_id: String,
    pub email: String,
    pub hashed_password: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedTag {
    pub tag_id: String,
    pub account_id: String,
    /// The name to store: trimmed, and renamed when it collides with an earlier tag.
    pub tag: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedLink {
    pub link_id: String,
    pub account_id: String,
    pub link: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedTagLink {
    pub tag_id: String,
    pub link_id: String,
    pub account_id: String,
}

/// Every row to copy; tags and tag-links only ever refer to accounts, tags and links in here.
#[derive(Debug, Clone, Default)]
pub struct SeedRows {
    pub users: Vec<SeedUser>,
    pub accounts: Vec<SeedAccount>,
    pub tags: Vec<SeedTag>,
    pub links: Vec<SeedLink>,
    pub taglinks: Vec<SeedTagLink>,
    /// Creation time of the new admin users and tag-links (the seed has none).
    pub now: Micros,
}

/// Rows of one table: copied now, or found already stored with the same data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub new: u64,
    pub present: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedCounts {
    pub users: TableCounts,
    pub accounts: TableCounts,
    pub tags: TableCounts,
    pub links: TableCounts,
    pub taglinks: TableCounts,
    /// Admin users of the target that the seed's admin of the same name replaced: (username,
    /// the replaced id).
    pub replaced_admins: Vec<(String, String)>,
}

/// Rows per multi-row INSERT, and ids per `IN (...)`: well under every engine's limits.
const ROWS_PER_INSERT: usize = 100;
const IDS_PER_SELECT: usize = 500;
/// Differences listed in a refusal; the rest are counted.
const MAX_LISTED: usize = 20;

impl Store {
    /// Copy `rows` in one transaction. Rows whose id is already stored with the same data are
    /// counted as present and left alone; if any id is stored with other data (or a name is
    /// taken by another id), nothing is written and the answer is a `Conflict` listing them.
    /// Password hashes are not compared: tagmark rehashes bcrypt at the first login.
    pub async fn migrate_seed(&self, rows: Arc<SeedRows>) -> ApiResult<SeedCounts> {
        let counts = self
            .write(rows, |mut c, rows| {
                Box::pin(async move { c.migrate_seed(&rows).await })
            })
            .await?;
        // The copied links and tags, for sync clients.
        self.fill_changes().await?;
        Ok(counts)
    }
}

/// Three text columns.
struct Three(String, String, String);

impl FromRow for Three {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Three(row.text(0)?, row.text(1)?, row.text(2)?))
    }
}

/// A stored link: id, account, URL, creation time.
struct StoredLink(String, String, String, Micros);

impl FromRow for StoredLink {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(StoredLink(
            row.text(0)?,
            row.text(1)?,
            row.text(2)?,
            row.int(3)?,
        ))
    }
}

/// The differences found between the seed and the target.
#[derive(Default)]
struct Check {
    differences: Vec<String>,
}

impl Check {
    fn differ(&mut self, what: String) {
        self.differences.push(what);
    }

    fn into_result(self) -> ApiResult<()> {
        if self.differences.is_empty() {
            return Ok(());
        }
        let total = self.differences.len();
        let mut message = format!(
            "the target database already holds other data for {total} of the seed's ids or \
             names; nothing was written:"
        );
        for line in self.differences.iter().take(MAX_LISTED) {
            message.push_str("\n  ");
            message.push_str(line);
        }
        if total > MAX_LISTED {
            message.push_str(&format!("\n  … and {} more", total - MAX_LISTED));
        }
        Err(ApiError::Conflict(message))
    }
}

impl Conn<'_> {
    async fn migrate_seed(&mut self, rows: &SeedRows) -> ApiResult<SeedCounts> {
        let mut check = Check::default();
        let mut counts = SeedCounts::default();

        // Admin users: few, so all of them are read.
        let stored: Vec<(String, String)> = self
            .fetch_all(Sql::new("SELECT user_id, username FROM users"))
            .await?;
        let by_id: HashMap<&str, &str> = stored
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str()))
            .collect();
        let by_name: HashMap<&str, &str> = stored
            .iter()
            .map(|(id, name)| (name.as_str(), id.as_str()))
            .collect();
        // An admin user of the same name but another id is the one `TAGMARK_ADMIN_USERNAME`
        // created at the first start (or `tagmark admin add`): while the target holds no
        // accounts, nothing was done with this tagmark yet, and the seed's admin takes its
        // place (with the seed's id and password, as its clients expect). Admin users own no
        // data, so only that admin's sessions and tokens go with it.
        let untouched = self
            .fetch_optional::<(String,)>(Sql::new("SELECT account_id FROM accounts LIMIT 1"))
            .await?
            .is_none();
        let mut new_users = Vec::new();
        for user in &rows.users {
            match by_id.get(user.user_id.as_str()) {
                Some(&name) if name == user.username => counts.users.present += 1,
                Some(&name) => check.differ(format!(
                    "admin user {} is named {name:?} here, {:?} in the seed",
                    user.user_id, user.username
                )),
                None => match by_name.get(user.username.as_str()) {
                    Some(&other) if untouched => {
                        counts
                            .replaced_admins
                            .push((user.username.clone(), other.to_owned()));
                        new_users.push(user);
                    }
                    Some(&other) => check.differ(format!(
                        "admin user {:?} exists here with another id ({other}; the seed's is {}); \
                         it is replaced by the seed's only while the target holds no accounts",
                        user.username, user.user_id
                    )),
                    None => new_users.push(user),
                },
            }
        }

        // Accounts, by id and by email.
        let ids: Vec<&str> = rows
            .accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect();
        let stored: HashMap<String, String> = self
            .pairs_in("SELECT account_id, email FROM accounts", "account_id", &ids)
            .await?;
        let keys: Vec<String> = rows.accounts.iter().map(|a| email_key(&a.email)).collect();
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let stored_keys: HashMap<String, String> = self
            .pairs_in(
                "SELECT email_key, account_id FROM accounts",
                "email_key",
                &key_refs,
            )
            .await?;
        let mut new_accounts = Vec::new();
        for (account, key) in rows.accounts.iter().zip(&keys) {
            match stored.get(&account.account_id) {
                Some(email) if email_key(email) == *key => counts.accounts.present += 1,
                Some(email) => check.differ(format!(
                    "account {} has the email {email:?} here, {:?} in the seed",
                    account.account_id, account.email
                )),
                None => match stored_keys.get(key) {
                    Some(other) => check.differ(format!(
                        "the email {:?} belongs to another account here ({other}; the seed's is {})",
                        account.email, account.account_id
                    )),
                    None => new_accounts.push(account),
                },
            }
        }

        // Tags, by id and by name within their account.
        let ids: Vec<&str> = rows.tags.iter().map(|t| t.tag_id.as_str()).collect();
        let stored: HashMap<String, (String, String)> = self
            .fetch_in::<Three>("SELECT tag_id, account_id, tag FROM tags", "tag_id", &ids)
            .await?
            .into_iter()
            .map(|Three(id, account, tag)| (id, (account, tag)))
            .collect();
        let accounts: Vec<&str> = rows
            .accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect();
        let stored_names: HashMap<(String, String), String> = self
            .fetch_in::<Three>(
                "SELECT account_id, tag_key, tag_id FROM tags",
                "account_id",
                &accounts,
            )
            .await?
            .into_iter()
            .map(|Three(account, key, id)| ((account, key), id))
            .collect();
        let mut new_tags = Vec::new();
        for tag in &rows.tags {
            let key = tag_key(&tag.tag);
            match stored.get(&tag.tag_id) {
                Some((account, name)) if *account == tag.account_id && tag_key(name) == key => {
                    counts.tags.present += 1
                }
                Some((account, name)) => check.differ(format!(
                    "tag {} is {name:?} of account {account} here, {:?} of account {} in the seed",
                    tag.tag_id, tag.tag, tag.account_id
                )),
                None => match stored_names.get(&(tag.account_id.clone(), key)) {
                    Some(other) => check.differ(format!(
                        "account {} already has a tag named {:?} here ({other}; the seed's is {})",
                        tag.account_id, tag.tag, tag.tag_id
                    )),
                    None => new_tags.push(tag),
                },
            }
        }

        // Links, by id.
        let ids: Vec<&str> = rows.links.iter().map(|l| l.link_id.as_str()).collect();
        let stored: HashMap<String, StoredLink> = self
            .fetch_in::<StoredLink>(
                "SELECT link_id, account_id, link, created_at FROM links",
                "link_id",
                &ids,
            )
            .await?
            .into_iter()
            .map(|l| (l.0.clone(), l))
            .collect();
        let mut new_links = Vec::new();
        // Tag-links carry their link's creation time: the stored one for links already there.
        let mut link_created: HashMap<&str, Micros> = HashMap::new();
        for link in &rows.links {
            match stored.get(&link.link_id) {
                Some(StoredLink(_, account, url, created))
                    if *account == link.account_id && *url == link.link =>
                {
                    counts.links.present += 1;
                    link_created.insert(&link.link_id, *created);
                }
                Some(StoredLink(_, account, url, _)) => check.differ(format!(
                    "link {} is {url:?} of account {account} here, {:?} of account {} in the seed",
                    link.link_id, link.link, link.account_id
                )),
                None => {
                    new_links.push(link);
                    link_created.insert(&link.link_id, link.created_at);
                }
            }
        }

        // Tag-links, by their tags.
        let ids: Vec<&str> = rows.tags.iter().map(|t| t.tag_id.as_str()).collect();
        let stored: HashMap<(String, String), String> = self
            .fetch_in::<Three>(
                "SELECT tag_id, link_id, account_id FROM taglinks",
                "tag_id",
                &ids,
            )
            .await?
            .into_iter()
            .map(|Three(tag, link, account)| ((tag, link), account))
            .collect();
        let mut new_taglinks = Vec::new();
        for taglink in &rows.taglinks {
            let pair = (taglink.tag_id.clone(), taglink.link_id.clone());
            match stored.get(&pair) {
                Some(account) if *account == taglink.account_id => counts.taglinks.present += 1,
                Some(account) => check.differ(format!(
                    "tag-link of tag {} and link {} belongs to account {account} here, {} in the seed",
                    taglink.tag_id, taglink.link_id, taglink.account_id
                )),
                None => new_taglinks.push(taglink),
            }
        }

        check.into_result()?;

        for (_, replaced) in &counts.replaced_admins {
            for table in ["sessions WHERE principal_id", "users WHERE user_id"] {
                let mut delete = Sql::new(&format!("DELETE FROM {table} = ?"));
                delete.text(replaced);
                self.execute(delete).await?;
            }
        }
        counts.users.new = new_users.len() as u64;
        for chunk in new_users.chunks(ROWS_PER_INSERT) {
            let mut insert = values(
                "INSERT INTO users (user_id, username, hashed_password, security_stamp, \
                 created_at) VALUES ",
                "(?, ?, ?, ?, ?)",
                chunk.len(),
            );
            for user in chunk {
                insert
                    .text(&user.user_id)
                    .text(&user.username)
                    .text(&user.hashed_password)
                    .text(super::new_stamp())
                    .int(rows.now);
            }
            self.insert(insert).await?;
        }

        counts.accounts.new = new_accounts.len() as u64;
        for chunk in new_accounts.chunks(ROWS_PER_INSERT) {
            let mut insert = values(
                "INSERT INTO accounts (account_id, email, email_key, hashed_password, \
                 security_stamp, created_at) VALUES ",
                "(?, ?, ?, ?, ?, ?)",
                chunk.len(),
            );
            for account in chunk {
                insert
                    .text(&account.account_id)
                    .text(&account.email)
                    .text(email_key(&account.email))
                    .text(&account.hashed_password)
                    .text(super::new_stamp())
                    .int(account.created_at);
            }
            self.insert(insert).await?;
        }

        counts.tags.new = new_tags.len() as u64;
        for chunk in new_tags.chunks(ROWS_PER_INSERT) {
            let mut insert = values(
                "INSERT INTO tags (tag_id, account_id, tag, tag_key, created_at) VALUES ",
                "(?, ?, ?, ?, ?)",
                chunk.len(),
            );
            for tag in chunk {
                insert
                    .text(&tag.tag_id)
                    .text(&tag.account_id)
                    .text(&tag.tag)
                    .text(tag_key(&tag.tag))
                    .int(tag.created_at);
            }
            self.insert(insert).await?;
        }

        counts.links.new = new_links.len() as u64;
        let no_details = LinkDetails::default();
        for chunk in new_links.chunks(ROWS_PER_INSERT) {
            let engine = self.engine();
            let mut insert = values(
                &format!(
                    "INSERT INTO links (link_id, link, account_id, created_at, updated_at, \
                     link_hash, {}) VALUES ",
                    search::text_columns(engine)
                ),
                &format!("(?, ?, ?, ?, ?, ?, {})", search::text_values(engine)),
                chunk.len(),
            );
            for link in chunk {
                insert
                    .text(&link.link_id)
                    .text(&link.link)
                    .text(&link.account_id)
                    .int(link.created_at)
                    .int(link.created_at)
                    .text(link_hash(&link.link));
                search::bind_text(&mut insert, engine, search_text(&link.link, &no_details));
            }
            self.insert(insert).await?;
        }

        counts.taglinks.new = new_taglinks.len() as u64;
        for chunk in new_taglinks.chunks(ROWS_PER_INSERT * 2) {
            let mut insert = values(
                "INSERT INTO taglinks (tag_id, link_id, account_id, created_at, \
                 link_created_at) VALUES ",
                "(?, ?, ?, ?, ?)",
                chunk.len(),
            );
            for taglink in chunk {
                let link_created_at = link_created
                    .get(taglink.link_id.as_str())
                    .copied()
                    .ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!(
                            "tag-link of link {} without its link",
                            taglink.link_id
                        ))
                    })?;
                insert
                    .text(&taglink.tag_id)
                    .text(&taglink.link_id)
                    .text(&taglink.account_id)
                    .int(rows.now)
                    .int(link_created_at);
            }
            self.insert(insert).await?;
        }
        Ok(counts)
    }

    /// Rows of `select` whose `column` is one of `values`, asked for in slices.
    async fn fetch_in<T: FromRow>(
        &mut self,
        select: &str,
        column: &str,
        values: &[&str],
    ) -> ApiResult<Vec<T>> {
        let distinct: Vec<&str> = {
            let mut seen = HashSet::new();
            values.iter().copied().filter(|v| seen.insert(*v)).collect()
        };
        let mut out = Vec::new();
        for chunk in distinct.chunks(IDS_PER_SELECT) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut sql = Sql::new(&format!("{select} WHERE {column} IN ({marks})"));
            for value in chunk {
                sql.text(*value);
            }
            out.extend(self.fetch_all::<T>(sql).await?);
        }
        Ok(out)
    }

    /// Two-column rows of `select` whose `column` is one of `values`, as a map.
    async fn pairs_in(
        &mut self,
        select: &str,
        column: &str,
        values: &[&str],
    ) -> ApiResult<HashMap<String, String>> {
        Ok(self
            .fetch_in::<(String, String)>(select, column, values)
            .await?
            .into_iter()
            .collect())
    }
}

/// `head` followed by `rows` copies of `row`, comma separated.
fn values(head: &str, row: &str, rows: usize) -> Sql {
    let mut text = String::from(head);
    for i in 0..rows {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(row);
    }
    Sql::new(&text)
}
