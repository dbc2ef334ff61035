//! Tag-links: tagging a link, listing and deleting tag-links.

use super::{tag_not_in_account, Conn, Engine, Sql, Store};
use crate::error::{is_unique_violation, ApiError, ApiResult};
use crate::model::{now_micros, Micros, Page, TagLink};

impl Store {
    /// Link an existing tag to an existing link, both of `account_id` (422 otherwise, the tag
    /// checked first); 409 if the pair exists.
    pub async fn create_taglink(
        &self,
        account_id: &str,
        tag_id: &str,
        link_id: &str,
    ) -> ApiResult<TagLink> {
        let args = (account_id.to_owned(), tag_id.to_owned(), link_id.to_owned());
        self.write(args, |mut c, (account_id, tag_id, link_id)| {
            Box::pin(async move {
                c.require_account(&account_id).await?;
                let mut tag =
                    Sql::new("SELECT tag_id FROM tags WHERE tag_id = ? AND account_id = ?");
                tag.text(&tag_id).text(&account_id);
                if c.fetch_optional::<(String,)>(tag).await?.is_none() {
                    return Err(ApiError::Unprocessable(tag_not_in_account(
                        &tag_id,
                        &account_id,
                    )));
                }
                let mut link =
                    Sql::new("SELECT created_at FROM links WHERE link_id = ? AND account_id = ?");
                link.text(&link_id).text(&account_id);
                let Some((link_created_at,)) = c.fetch_optional::<(i64,)>(link).await? else {
                    return Err(ApiError::Unprocessable(format!(
                        "Link with link_id {link_id} not found for account_id {account_id}"
                    )));
                };
                if !c
                    .insert_taglink(&account_id, &tag_id, &link_id, link_created_at)
                    .await?
                {
                    return Err(ApiError::Conflict(format!(
                        "TagLink with tag_id {tag_id} and link_id {link_id} exists"
                    )));
                }
                c.links_changed(&account_id, std::slice::from_ref(&link_id), &[])
                    .await?;
                Ok(TagLink {
                    tag_id,
                    link_id,
                    account_id,
                })
            })
        })
        .await
    }

    pub async fn list_taglinks(
        &self,
        account: Option<&str>,
        tag_id: Option<&str>,
        link_id: Option<&str>,
        page: Page,
    ) -> ApiResult<Vec<TagLink>> {
        let mut sql = Sql::new("SELECT tag_id, link_id, account_id FROM taglinks WHERE 1 = 1");
        sql.and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id)
            .push(" ORDER BY created_at, tag_id, link_id")
            .page(page);
        self.query_all(sql).await
    }

    pub async fn delete_taglinks(
        &self,
        account: Option<&str>,
        tag_id: Option<&str>,
        link_id: Option<&str>,
    ) -> ApiResult<u64> {
        let mut sql = Sql::new("DELETE FROM taglinks WHERE 1 = 1");
        sql.and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id);
        // The links whose tags change, for sync clients.
        let mut affected = Sql::new("SELECT account_id, link_id FROM taglinks WHERE 1 = 1");
        affected
            .and_eq("account_id", account)
            .and_eq("tag_id", tag_id)
            .and_eq("link_id", link_id);
        self.write((sql, affected), |mut c, (sql, affected)| {
            Box::pin(async move {
                let affected: Vec<(String, String)> = c.fetch_all(affected).await?;
                let deleted = c.execute(sql).await?;
                c.links_changed_anywhere(affected).await?;
                Ok(deleted)
            })
        })
        .await
    }
}

impl Conn<'_> {
    /// Tag a link; `link_created_at` is the link's creation time, which the tag's list order
    /// is read from.
    pub(super) async fn insert_taglink(
        &mut self,
        account_id: &str,
        tag_id: &str,
        link_id: &str,
        link_created_at: Micros,
    ) -> ApiResult<bool> {
        // A missing tag or link fails the write (and a retry reads again), never skipped:
        // MySQL's INSERT IGNORE would skip such a row with a warning (on a Galera cluster,
        // links were stored without their tag-link that way while their tag was merged away
        // through another node), so there it is a plain INSERT whose duplicate-key error means
        // "tagged already" (MySQL undoes the statement, not the transaction).
        let mysql = self.engine() == Engine::MySql;
        let row = "taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
                   VALUES (?, ?, ?, ?, ?)";
        let mut insert = Sql::new(&if mysql {
            format!("INSERT INTO {row}")
        } else {
            self.insert_ignore(row)
        });
        insert
            .text(tag_id)
            .text(link_id)
            .text(account_id)
            .int(now_micros())
            .int(link_created_at);
        match self.execute(insert).await {
            Ok(inserted) => Ok(inserted == 1),
            Err(err) if mysql && is_unique_violation(&err) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}
