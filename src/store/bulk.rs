//! Bulk edits: one change applied to many links of one account, in one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::conn::{FromRow, Row};
use super::{tag_key, Conn, Sql, Store};
use crate::error::{ApiResult, DbError};
use crate::model::now_micros;

/// The most links one bulk edit names.
pub const MAX_BULK_LINKS: usize = 1000;

/// Ids per `IN (...)` list: well under every engine's limit on bound parameters.
const IDS_PER_STATEMENT: usize = 500;

/// One change for many links; validated by the caller (tag names trimmed, no name both added
/// and removed).
#[derive(Debug, Clone, Default)]
pub struct BulkChange {
    pub link_ids: Vec<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub unread: Option<bool>,
    pub favorite: Option<bool>,
    pub delete: bool,
}

/// How many of the named links are the account's, and how many of those the edit changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub matched: u64,
    pub changed: u64,
}

/// A matched link: id, flags, creation time.
struct Matched(String, bool, bool, i64);

impl FromRow for Matched {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Matched(
            row.text(0)?,
            row.int(1)? != 0,
            row.int(2)? != 0,
            row.int(3)?,
        ))
    }
}

impl Store {
    /// Apply `change` to the links of `account_id` among `change.link_ids` (others' ids, and
    /// ids that do not exist, are not matched), all or nothing.
    pub async fn bulk_edit(&self, account_id: &str, change: &BulkChange) -> ApiResult<BulkResult> {
        let args = Arc::new((account_id.to_owned(), change.clone()));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account_id, change) = &*args;
                c.bulk_edit(account_id, change).await
            })
        })
        .await
    }
}

/// `(?, ?, ...)` for `values`, appended to `sql` with its arguments.
pub(super) fn in_list<'a>(sql: &mut Sql, values: impl IntoIterator<Item = &'a String>) {
    sql.push("(");
    for (i, value) in values.into_iter().enumerate() {
        sql.push(if i == 0 { "?" } else { ", ?" })
            .text(value.as_str());
    }
    sql.push(")");
}

impl Conn<'_> {
    async fn bulk_edit(&mut self, account_id: &str, change: &BulkChange) -> ApiResult<BulkResult> {
        self.require_account(account_id).await?;
        let mut ids: Vec<String> = Vec::with_capacity(change.link_ids.len());
        let mut seen = HashSet::new();
        for id in &change.link_ids {
            if seen.insert(id.as_str()) {
                ids.push(id.clone());
            }
        }
        // The matched links, locked, with their flags and creation times.
        let mut links: HashMap<String, (bool, bool, i64)> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut select = Sql::new(
                "SELECT link_id, unread, favorite, created_at FROM links \
                 WHERE account_id = ? AND link_id IN ",
            );
            select.text(account_id);
            in_list(&mut select, chunk);
            select.push(self.locking_read());
            for Matched(id, unread, favorite, created_at) in self.fetch_all(select).await? {
                links.insert(id, (unread, favorite, created_at));
            }
        }
        let matched: Vec<String> = ids
            .into_iter()
            .filter(|id| links.contains_key(id))
            .collect();
        if matched.is_empty() {
            return Ok(BulkResult::default());
        }

        if change.delete {
            for chunk in matched.chunks(IDS_PER_STATEMENT) {
                for table in ["taglinks", "links"] {
                    let mut delete = Sql::new(&format!(
                        "DELETE FROM {table} WHERE account_id = ? AND link_id IN "
                    ));
                    delete.text(account_id);
                    in_list(&mut delete, chunk);
                    self.execute(delete).await?;
                }
            }
            self.links_deleted(account_id, &matched).await?;
            let n = matched.len() as u64;
            return Ok(BulkResult {
                matched: n,
                changed: n,
            });
        }

        let mut changed: HashSet<&str> = HashSet::new();

        // Flags: only the links whose flags differ are written.
        if change.unread.is_some() || change.favorite.is_some() {
            let differ: Vec<String> = matched
                .iter()
                .filter(|id| {
                    let (unread, favorite, _) = links[id.as_str()];
                    change.unread.is_some_and(|u| u != unread)
                        || change.favorite.is_some_and(|f| f != favorite)
                })
                .cloned()
                .collect();
            for chunk in differ.chunks(IDS_PER_STATEMENT) {
                let mut update = Sql::new("UPDATE links SET ");
                let mut sets = Vec::new();
                for (column, value) in [("unread", change.unread), ("favorite", change.favorite)] {
                    if let Some(value) = value {
                        sets.push(format!("{column} = {}", i32::from(value)));
                    }
                }
                update
                    .push(&sets.join(", "))
                    .push(" WHERE account_id = ? AND link_id IN ")
                    .text(account_id);
                in_list(&mut update, chunk);
                self.execute(update).await?;
            }
            for id in &differ {
                if let Some((key, _)) = links.get_key_value(id.as_str()) {
                    changed.insert(key.as_str());
                }
            }
        }

        // Tags to add: found or created by name; only the missing tag-links are inserted.
        let mut added_tags: Vec<String> = Vec::new();
        for name in &change.add_tags {
            let tag = self.tag_by_name_or_create(account_id, name).await?;
            if !added_tags.contains(&tag.tag_id) {
                added_tags.push(tag.tag_id);
            }
        }
        if !added_tags.is_empty() {
            let have = self.pairs(account_id, &added_tags, &matched).await?;
            for link_id in &matched {
                let created_at = links[link_id.as_str()].2;
                for tag_id in &added_tags {
                    if !have.contains(&(link_id.clone(), tag_id.clone())) {
                        self.insert_taglink(account_id, tag_id, link_id, created_at)
                            .await?;
                        changed.insert(link_id.as_str());
                    }
                }
            }
        }

        // Tags to remove: those of these names the account has, from the links carrying them.
        if !change.remove_tags.is_empty() {
            let keys: Vec<String> = change.remove_tags.iter().map(|t| tag_key(t)).collect();
            let mut select =
                Sql::new("SELECT tag_id FROM tags WHERE account_id = ? AND tag_key IN ");
            select.text(account_id);
            in_list(&mut select, &keys);
            let removed: Vec<String> = self
                .fetch_all::<(String,)>(select)
                .await?
                .into_iter()
                .map(|(id,)| id)
                .collect();
            if !removed.is_empty() {
                let have = self.pairs(account_id, &removed, &matched).await?;
                for (link_id, _) in &have {
                    if let Some((key, _)) = links.get_key_value(link_id.as_str()) {
                        changed.insert(key.as_str());
                    }
                }
                for chunk in matched.chunks(IDS_PER_STATEMENT) {
                    let mut delete =
                        Sql::new("DELETE FROM taglinks WHERE account_id = ? AND tag_id IN ");
                    delete.text(account_id);
                    in_list(&mut delete, &removed);
                    delete.push(" AND link_id IN ");
                    in_list(&mut delete, chunk);
                    self.execute(delete).await?;
                }
            }
        }

        // Every changed link's updated_at moves, as a PATCH moves it.
        let changed: Vec<String> = changed.into_iter().map(str::to_owned).collect();
        let now = now_micros();
        for chunk in changed.chunks(IDS_PER_STATEMENT) {
            let mut update =
                Sql::new("UPDATE links SET updated_at = ? WHERE account_id = ? AND updated_at < ? AND link_id IN ");
            update.int(now).text(account_id).int(now);
            in_list(&mut update, chunk);
            self.execute(update).await?;
        }
        self.links_changed(account_id, &changed, &added_tags)
            .await?;
        Ok(BulkResult {
            matched: matched.len() as u64,
            changed: changed.len() as u64,
        })
    }

    /// The (link, tag) pairs among `tag_ids` × `link_ids` that exist.
    async fn pairs(
        &mut self,
        account_id: &str,
        tag_ids: &[String],
        link_ids: &[String],
    ) -> ApiResult<HashSet<(String, String)>> {
        let mut have = HashSet::new();
        for chunk in link_ids.chunks(IDS_PER_STATEMENT) {
            let mut select = Sql::new(
                "SELECT link_id, tag_id FROM taglinks WHERE account_id = ? AND tag_id IN ",
            );
            select.text(account_id);
            in_list(&mut select, tag_ids);
            select.push(" AND link_id IN ");
            in_list(&mut select, chunk);
            have.extend(self.fetch_all::<(String, String)>(select).await?);
        }
        Ok(have)
    }
}
