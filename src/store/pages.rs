//! Queries the web app's pages need beyond the API's: the tags of a page of links at once, an
//! account's tag names, a link created with several tags, and accounts with their link counts.

use std::sync::Arc;

use super::conn::{FromRow, Row};
use super::{join, Sql, Store, ACCOUNT_COLUMNS};
use crate::error::{ApiResult, DbError};
use crate::model::{now_micros, Account, Link, LinkDetails, LinkFlags};

/// An account with how many links it has (the admin's accounts page).
#[derive(Debug, Clone)]
pub struct AccountWithCount {
    pub account: Account,
    pub link_count: i64,
}

impl FromRow for AccountWithCount {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(AccountWithCount {
            account: Account::new(row.text(0)?, row.text(1)?, row.int(2)?),
            link_count: row.int(3)?,
        })
    }
}

/// Most tag names offered for autocompletion.
const MAX_TAG_NAMES: i64 = 2000;

impl Store {
    /// `(link_id, tag name)` of every tag the given links of `account_id` carry, by name.
    pub async fn tags_of_links(
        &self,
        account_id: &str,
        link_ids: &[String],
    ) -> ApiResult<Vec<(String, String)>> {
        if link_ids.is_empty() {
            return Ok(Vec::new());
        }
        // From the links' own tag-links (their index by link), then each tag by its key: the
        // account's tag-links as a whole are never scanned.
        let mut sql = Sql::new(&format!(
            "SELECT tl.link_id, t.tag FROM taglinks tl {} tags t ON t.tag_id = tl.tag_id \
             WHERE tl.link_id IN (",
            join(self.engine)
        ));
        for (i, id) in link_ids.iter().enumerate() {
            sql.push(if i == 0 { "?" } else { ", ?" }).text(id.as_str());
        }
        sql.push(") AND t.account_id = ? ORDER BY t.tag_key")
            .text(account_id);
        self.query_all(sql).await
    }

    /// The account's tag names, by name (for autocompletion).
    pub async fn tag_names(&self, account_id: &str) -> ApiResult<Vec<String>> {
        let mut sql =
            Sql::new("SELECT t.tag FROM tags t WHERE t.account_id = ? ORDER BY t.tag_key LIMIT ?");
        sql.text(account_id).int(MAX_TAG_NAMES);
        let rows: Vec<(String,)> = self.query_all(sql).await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// Create a link with any number of tags (by name, created when missing), in one
    /// transaction.
    pub async fn create_link_with_tags(
        &self,
        account_id: &str,
        url: &str,
        details: &LinkDetails,
        tags: &[String],
    ) -> ApiResult<Link> {
        let args = Arc::new((
            account_id.to_owned(),
            url.to_owned(),
            details.clone(),
            tags.to_vec(),
        ));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account_id, url, details, tags) = &*args;
                c.require_account(account_id).await?;
                let link = c
                    .insert_link(account_id, url, details, LinkFlags::default(), now_micros())
                    .await?;
                let mut tag_ids = Vec::with_capacity(tags.len());
                for name in tags {
                    let tag = c.tag_by_name_or_create(account_id, name).await?;
                    c.insert_taglink(account_id, &tag.tag_id, &link.link_id, link.created_at)
                        .await?;
                    tag_ids.push(tag.tag_id);
                }
                c.links_changed(account_id, std::slice::from_ref(&link.link_id), &tag_ids)
                    .await?;
                Ok(link)
            })
        })
        .await
    }

    /// Every account, oldest first, with its number of links.
    pub async fn accounts_with_counts(&self) -> ApiResult<Vec<AccountWithCount>> {
        let sql = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS}, (SELECT COUNT(*) FROM links l \
             WHERE l.account_id = accounts.account_id) FROM accounts \
             ORDER BY created_at, account_id"
        ));
        self.query_all(sql).await
    }
}
