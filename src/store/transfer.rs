//! Bulk import and export of an account's links: one transaction, multi-row statements.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use super::{
    account_not_found, link_hash, search, search_text, tag_key, Conn, Sql, Store, LINK_COLUMNS,
    MAX_RETRIES,
};
use crate::error::{ApiError, ApiResult};
use crate::model::{new_id, now_micros, Link, LinkDetails, LinkFlags, Micros};

/// A link to import, already validated.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub url: String,
    pub details: LinkDetails,
    /// Netscape `TOREAD="1"` marks a link unread.
    pub flags: LinkFlags,
    /// Tag names, trimmed and distinct regardless of case.
    pub tags: Vec<String>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    /// Links whose URL the account already had, or that came earlier in the same import.
    pub skipped: u64,
}

/// Rows per multi-row INSERT: well under every engine's limit on bound parameters.
const ROWS_PER_INSERT: usize = 100;

impl Store {
    /// Store `links` in `account_id`, all or nothing: links whose URL the account already has
    /// (or that repeat an earlier one of `links`) are skipped; tags are found or created by
    /// name regardless of case. Concurrent imports into one account run one after the other.
    pub async fn import_links(
        &self,
        account_id: &str,
        links: Vec<NewLink>,
    ) -> ApiResult<ImportCounts> {
        let args = Arc::new((account_id.to_owned(), links));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account_id, links) = &*args;
                c.import_links(account_id, links).await
            })
        })
        .await
    }

    /// Every link of the account, oldest first, each with its tag names (ordered by name).
    pub async fn export_links(&self, account_id: &str) -> ApiResult<Vec<(Link, Vec<String>)>> {
        self.read(account_id.to_owned(), |mut c, account_id| {
            Box::pin(async move { c.export_links(&account_id).await })
        })
        .await
    }
}

impl Conn<'_> {
    async fn import_links(
        &mut self,
        account_id: &str,
        links: &[NewLink],
    ) -> ApiResult<ImportCounts> {
        // Locking the account row serialises imports into it, so that two of them cannot both
        // decide that a URL is new.
        let mut account = Sql::new(&format!(
            "SELECT account_id FROM accounts WHERE account_id = ?{}",
            self.locking_read()
        ));
        account.text(account_id);
        if self.fetch_all::<(String,)>(account).await?.is_empty() {
            return Err(account_not_found(account_id));
        }

        let mut known = Sql::new("SELECT link_hash FROM links WHERE account_id = ?");
        known.text(account_id);
        let mut seen: HashSet<String> = self
            .fetch_all::<(Option<String>,)>(known)
            .await?
            .into_iter()
            .filter_map(|(hash,)| hash)
            .collect();
        let mut counts = ImportCounts::default();
        let mut fresh: Vec<(&NewLink, String)> = Vec::with_capacity(links.len());
        for link in links {
            let hash = link_hash(&link.url);
            if seen.insert(hash.clone()) {
                fresh.push((link, hash));
            } else {
                counts.skipped += 1;
            }
        }
        if fresh.is_empty() {
            return Ok(counts);
        }

        let tag_ids = self
            .tags_by_key(account_id, fresh.iter().flat_map(|(l, _)| &l.tags))
            .await?;

        let mut taglinks: Vec<(&str, String, Micros)> = Vec::new();
        let mut link_ids: Vec<String> = Vec::with_capacity(fresh.len());
        for chunk in fresh.chunks(ROWS_PER_INSERT) {
            let engine = self.engine();
            let mut insert = Sql::new(&format!(
                "INSERT INTO links (link_id, link, account_id, created_at, updated_at, title, \
                 description, notes, link_hash, unread, favorite, url_key, {}) VALUES ",
                search::text_columns(engine)
            ));
            let row = format!(
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {})",
                search::text_values(engine)
            );
            for (i, (link, hash)) in chunk.iter().enumerate() {
                let link_id = new_id();
                insert
                    .push(if i == 0 { "" } else { ", " })
                    .push(&row)
                    .text(&link_id)
                    .text(&link.url)
                    .text(account_id)
                    .int(link.created_at)
                    .int(link.updated_at)
                    .opt_text(link.details.title.as_deref())
                    .opt_text(link.details.description.as_deref())
                    .opt_text(link.details.notes.as_deref())
                    .text(hash)
                    .int(link.flags.unread.into())
                    .int(link.flags.favorite.into())
                    .text(crate::urlkey::url_key(&link.url));
                search::bind_text(&mut insert, engine, search_text(&link.url, &link.details));
                for tag in &link.tags {
                    let tag_id = tag_ids.get(&tag_key(tag)).ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!("tag {tag:?} missing after insert"))
                    })?;
                    taglinks.push((tag_id.as_str(), link_id.clone(), link.created_at));
                }
                link_ids.push(link_id);
            }
            self.insert(insert).await?;
            counts.created += chunk.len() as u64;
        }

        let now = now_micros();
        for chunk in taglinks.chunks(ROWS_PER_INSERT * 2) {
            let mut insert = Sql::new(
                "INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
                 VALUES ",
            );
            for (i, (tag_id, link_id, link_created_at)) in chunk.iter().enumerate() {
                insert
                    .push(if i == 0 { "" } else { ", " })
                    .push("(?, ?, ?, ?, ?)")
                    .text(*tag_id)
                    .text(link_id)
                    .text(account_id)
                    .int(now)
                    .int(*link_created_at);
            }
            self.insert(insert).await?;
        }
        let mut used_tags: Vec<String> = taglinks.iter().map(|(t, _, _)| (*t).to_owned()).collect();
        used_tags.sort();
        used_tags.dedup();
        self.links_changed(account_id, &link_ids, &used_tags)
            .await?;
        Ok(counts)
    }

    /// The ids of the account's tags with these names (by key), creating the missing ones.
    async fn tags_by_key<'a>(
        &mut self,
        account_id: &str,
        names: impl Iterator<Item = &'a String>,
    ) -> ApiResult<HashMap<String, String>> {
        let locking = self.locking_read();
        let select = || {
            let mut sql = Sql::new(&format!(
                "SELECT tag_key, tag_id FROM tags WHERE account_id = ?{locking}"
            ));
            sql.text(account_id);
            sql
        };
        let mut ids: HashMap<String, String> = self
            .fetch_all::<(String, String)>(select())
            .await?
            .into_iter()
            .collect();
        let mut wanted: Vec<(String, &str)> = Vec::new();
        for name in names {
            let key = tag_key(name);
            if !wanted.iter().any(|(k, _)| *k == key) {
                wanted.push((key, name));
            }
        }
        // A name a concurrent transaction created meanwhile is not inserted by us, and the
        // locking read after the insert sees it; unless it was renamed or merged away in
        // between, so the missing ones are tried again (each lost round means another writer
        // made progress).
        for _ in 0..MAX_RETRIES {
            let missing: Vec<&(String, &str)> = wanted
                .iter()
                .filter(|(key, _)| !ids.contains_key(key))
                .collect();
            if missing.is_empty() {
                return Ok(ids);
            }
            let now = now_micros();
            for chunk in missing.chunks(ROWS_PER_INSERT * 2) {
                let mut values = String::new();
                for i in 0..chunk.len() {
                    values.push_str(if i == 0 {
                        "(?, ?, ?, ?, ?)"
                    } else {
                        ", (?, ?, ?, ?, ?)"
                    });
                }
                let mut insert = Sql::new(&self.insert_ignore(&format!(
                    "tags (tag_id, tag, tag_key, account_id, created_at) VALUES {values}"
                )));
                for (key, name) in chunk {
                    insert
                        .text(new_id())
                        .text(*name)
                        .text(key)
                        .text(account_id)
                        .int(now);
                }
                self.insert(insert).await?;
            }
            ids = self
                .fetch_all::<(String, String)>(select())
                .await?
                .into_iter()
                .collect();
        }
        tracing::warn!(account_id, "tags kept vanishing between insert and read");
        Err(ApiError::Unavailable)
    }

    /// Every link of the account, oldest first, each with its tag names (ordered by name).
    async fn export_links(&mut self, account_id: &str) -> ApiResult<Vec<(Link, Vec<String>)>> {
        let mut links = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.account_id = ? \
             ORDER BY l.created_at, l.link_id"
        ));
        links.text(account_id);
        let links: Vec<Link> = self.fetch_all(links).await?;
        let mut tags = Sql::new(
            "SELECT tl.link_id, t.tag FROM taglinks tl JOIN tags t ON t.tag_id = tl.tag_id \
             WHERE tl.account_id = ? AND t.account_id = tl.account_id ORDER BY t.tag_key, t.tag_id",
        );
        tags.text(account_id);
        let mut by_link: HashMap<String, Vec<String>> = HashMap::new();
        for (link_id, tag) in self.fetch_all::<(String, String)>(tags).await? {
            by_link.entry(link_id).or_default().push(tag);
        }
        Ok(links
            .into_iter()
            .map(|link| {
                let tags = by_link.remove(&link.link_id).unwrap_or_default();
                (link, tags)
            })
            .collect())
    }
}
