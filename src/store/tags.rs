//! Tags: reading, listing, creating, renaming (merging onto a tag of the same name) and
//! deleting them, and finding or creating a tag by name inside a write.

use super::{tag_key, Conn, Sql, Store};
use crate::error::{is_unique_violation, ApiError, ApiResult};
use crate::model::{new_id, now_micros, Page, Tag, TagWithCount};

/// A tag goes with its tag-links (its links stay).
pub(super) const DELETE_TAG: &[&str] = &[
    "DELETE FROM taglinks WHERE tag_id = ?",
    "DELETE FROM tags WHERE tag_id = ?",
];

pub(super) const TAG_COLUMNS: &str = "tag_id, tag, account_id, created_at";

/// How many times a tag rename runs again after a concurrent transaction created the name, and
/// how many rounds finding or creating a tag by name takes at most.
pub(super) const MAX_RETRIES: u32 = 10;

impl Store {
    pub async fn get_tag(&self, account: Option<&str>, tag_id: &str) -> ApiResult<Option<Tag>> {
        let mut sql = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
        sql.text(tag_id).and_eq("account_id", account);
        self.query_optional(sql).await
    }

    pub async fn list_tags(
        &self,
        account: Option<&str>,
        name: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<Tag>> {
        let mut sql = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE 1 = 1"));
        sql.and_eq("account_id", account)
            .and_eq("tag_key", name.map(tag_key).as_deref())
            .push(" ORDER BY created_at, tag_id")
            .page(page);
        self.query_all(sql).await
    }

    /// Like [`Store::list_tags`], each tag with the number of links carrying it.
    pub async fn list_tags_with_counts(
        &self,
        account: Option<&str>,
        name: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<TagWithCount>> {
        let mut sql = Sql::new(
            "SELECT t.tag_id, t.tag, t.account_id, t.created_at, \
             (SELECT COUNT(*) FROM taglinks tl WHERE tl.tag_id = t.tag_id) AS link_count \
             FROM tags t WHERE 1 = 1",
        );
        sql.and_eq("t.account_id", account)
            .and_eq("t.tag_key", name.map(tag_key).as_deref())
            .push(" ORDER BY t.created_at, t.tag_id")
            .page(page);
        self.query_all(sql).await
    }

    /// Rename a tag. Onto a name another tag of the account already has (compared
    /// case-insensitively), the two merge: the tag-links move to that tag (a link that carries
    /// both keeps one), this tag is deleted, and the surviving tag, with its spelling, is
    /// returned. One transaction; `None` when the tag is not the caller's.
    pub async fn rename_tag(
        &self,
        account: Option<&str>,
        tag_id: &str,
        name: &str,
    ) -> ApiResult<Option<Tag>> {
        let args = (
            account.map(str::to_owned),
            tag_id.to_owned(),
            name.to_owned(),
        );
        let mut attempt = 0;
        loop {
            let result = self
                .write(args.clone(), |mut c, (account, tag_id, name)| {
                    Box::pin(async move { c.rename_tag(account.as_deref(), &tag_id, &name).await })
                })
                .await;
            match result {
                // A tag of that name was created concurrently: now it is there to merge with.
                Err(ApiError::Database(err))
                    if is_unique_violation(&err) && attempt < MAX_RETRIES =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A new tag; 409 if the account has one of that name already (compared
    /// case-insensitively).
    pub async fn create_tag(&self, account_id: &str, name: &str) -> ApiResult<Tag> {
        let args = (account_id.to_owned(), name.to_owned());
        self.write(args, |mut c, (account_id, name)| {
            Box::pin(async move {
                c.require_account(&account_id).await?;
                let tag = Tag {
                    tag_id: new_id(),
                    tag: name,
                    account_id,
                    created_at: now_micros(),
                };
                if c.insert_tag(&tag).await? {
                    c.tags_changed(&tag.account_id, std::slice::from_ref(&tag.tag_id))
                        .await?;
                    Ok(tag)
                } else {
                    Err(ApiError::Conflict(format!(
                        "Tag with name {} exists for account {}",
                        tag.tag, tag.account_id
                    )))
                }
            })
        })
        .await
    }

    /// Delete a tag and its tag-links; the links stay.
    pub async fn delete_tag(&self, account: Option<&str>, tag_id: &str) -> ApiResult<Option<Tag>> {
        let args = (account.map(str::to_owned), tag_id.to_owned());
        self.write(args, |mut c, (account, tag_id)| {
            Box::pin(async move {
                let mut select =
                    Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
                // Locked first: a write attaching the tag (holding it shared) finishes before
                // the tag-links are deleted, so none is left behind to refuse the delete.
                select
                    .text(&tag_id)
                    .and_eq("account_id", account.as_deref())
                    .push(c.locking_read());
                let Some(tag) = c.fetch_optional::<Tag>(select).await? else {
                    return Ok(None);
                };
                let links = c.links_of_tag(&tag_id).await?;
                c.delete_all(DELETE_TAG, &tag_id).await?;
                c.tag_deleted(&tag.account_id, &tag_id, &links).await?;
                Ok(Some(tag))
            })
        })
        .await
    }
}

impl Conn<'_> {
    pub(super) async fn rename_tag(
        &mut self,
        account: Option<&str>,
        tag_id: &str,
        name: &str,
    ) -> ApiResult<Option<Tag>> {
        let mut select = Sql::new(&format!("SELECT {TAG_COLUMNS} FROM tags WHERE tag_id = ?"));
        select.text(tag_id).and_eq("account_id", account);
        select.push(self.locking_read());
        let Some(mut tag) = self.fetch_optional::<Tag>(select).await? else {
            return Ok(None);
        };
        let key = tag_key(name);
        let mut other = Sql::new(&format!(
            "SELECT {TAG_COLUMNS} FROM tags WHERE account_id = ? AND tag_key = ? AND tag_id <> ?{}",
            self.locking_read()
        ));
        other.text(&tag.account_id).text(&key).text(&tag.tag_id);
        let survivor = match self.fetch_optional::<Tag>(other).await? {
            Some(survivor) => {
                let links = self.links_of_tag(&tag.tag_id).await?;
                // From a derived table with columns of other names: MySQL's no-op update of
                // a duplicate names tag_id, which must not be a column of the SELECT's table
                // (and SQLite reads `ON CONFLICT` right after `FROM s` as a join's `ON`).
                let mut merge = Sql::new(&self.insert_tag_row(
                    "taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
                     SELECT t, l, a, c, lc FROM (SELECT ? AS t, link_id AS l, account_id AS a, \
                     created_at AS c, link_created_at AS lc FROM taglinks WHERE tag_id = ?) s \
                     WHERE 1 = 1",
                ));
                merge.text(&survivor.tag_id).text(&tag.tag_id);
                self.execute(merge).await?;
                self.delete_all(DELETE_TAG, &tag.tag_id).await?;
                self.tag_deleted(&tag.account_id, &tag.tag_id, &links)
                    .await?;
                survivor
            }
            None => {
                let mut update = Sql::new("UPDATE tags SET tag = ?, tag_key = ? WHERE tag_id = ?");
                update.text(name).text(&key).text(&tag.tag_id);
                self.execute(update).await?;
                tag.tag = name.to_owned();
                self.tags_changed(&tag.account_id, std::slice::from_ref(&tag.tag_id))
                    .await?;
                tag
            }
        };
        Ok(Some(survivor))
    }

    pub(super) async fn tag_by_name_or_create(
        &mut self,
        account_id: &str,
        name: &str,
    ) -> ApiResult<Tag> {
        let key = tag_key(name);
        // A shared locking read sees the latest committed row (also one a concurrent
        // transaction committed while our insert waited on it) and keeps the tag from being
        // deleted or merged away until we commit. Shared, not exclusive: two transactions that
        // both hold the row never need to upgrade, so they cannot deadlock on it.
        let shared = self.shared_read();
        let select = || {
            let mut sql = Sql::new(&format!(
                "SELECT {TAG_COLUMNS} FROM tags WHERE account_id = ? AND tag_key = ?{shared}"
            ));
            sql.text(account_id).text(&key);
            sql
        };
        // The insert is ignored when a concurrent transaction committed the name first; that
        // tag may then be renamed or merged away before our read locks it, so try again (a
        // few rounds: each lost one means another writer made progress).
        for _ in 0..MAX_RETRIES {
            if let Some(tag) = self.fetch_optional(select()).await? {
                return Ok(tag);
            }
            let tags = "tags (tag_id, tag, tag_key, account_id, created_at) VALUES (?, ?, ?, ?, ?)";
            // The row, ours or a concurrent writer's, is then held: the read finds it.
            let mut insert = Sql::new(&self.insert_tag_row(tags));
            insert
                .text(new_id())
                .text(name)
                .text(&key)
                .text(account_id)
                .int(now_micros());
            self.execute(insert).await?;
            if let Some(tag) = self.fetch_optional(select()).await? {
                return Ok(tag);
            }
        }
        // Still racing after every round: the client may try again.
        tracing::warn!(account_id, "a tag kept vanishing between insert and read");
        Err(ApiError::Unavailable)
    }

    /// Insert a tag row; `false` (and nothing inserted) if the account has a tag of that name.
    pub(super) async fn insert_tag(&mut self, tag: &Tag) -> ApiResult<bool> {
        let mut insert = Sql::new(&self.insert_ignore(
            "tags (tag_id, tag, tag_key, account_id, created_at) VALUES (?, ?, ?, ?, ?)",
        ));
        insert
            .text(&tag.tag_id)
            .text(&tag.tag)
            .text(tag_key(&tag.tag))
            .text(&tag.account_id)
            .int(tag.created_at);
        Ok(self.insert(insert).await? == 1)
    }
}

pub(super) fn tag_not_in_account(tag_id: &str, account_id: &str) -> String {
    format!("Tag with tag_id {tag_id} not found for account_id {account_id}")
}
