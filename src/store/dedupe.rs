//! The duplicate check: finding an account's link by its normalised URL (`links.url_key`, see
//! [`crate::urlkey`]), and creating a link only when the account has none such.

use std::sync::Arc;

use super::{Conn, Sql, Store, TagRef, LINK_COLUMNS};
use crate::error::ApiResult;
use crate::model::{Link, LinkDetails, LinkFlags};
use crate::urlkey::url_key;

/// What [`Store::create_link_unless_duplicate`] did.
#[derive(Debug)]
pub enum Created {
    /// A new link was stored.
    New(Link),
    /// The account already had this link (the oldest such); nothing was stored.
    Existing(Link),
}

impl Store {
    /// The link of `account` (any account for `None`) whose URL is `url` once normalised,
    /// the oldest if there are several.
    pub async fn find_duplicate(
        &self,
        account: Option<&str>,
        url: &str,
    ) -> ApiResult<Option<Link>> {
        let args = (account.map(str::to_owned), url_key(url));
        self.read(args, |mut c, (account, key)| {
            Box::pin(async move { c.find_duplicate(account.as_deref(), &key).await })
        })
        .await
    }

    /// Like [`Store::create_link`], unless the account already has a link with this URL once
    /// normalised: then nothing is stored and that link is answered. Such creates in one
    /// account run one after the other (they lock the account row), so two of them cannot
    /// both find the URL new.
    pub async fn create_link_unless_duplicate(
        &self,
        account_id: &str,
        url: &str,
        tag: TagRef<'_>,
        details: &LinkDetails,
        flags: LinkFlags,
    ) -> ApiResult<Created> {
        let tag = tag.owned();
        let args = Arc::new((
            account_id.to_owned(),
            url.to_owned(),
            tag,
            details.clone(),
            flags,
        ));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account_id, url, tag, details, flags) = &*args;
                let mut lock = Sql::new(&format!(
                    "SELECT account_id FROM accounts WHERE account_id = ?{}",
                    c.locking_read()
                ));
                lock.text(account_id);
                c.fetch_all::<(String,)>(lock).await?;
                if let Some(link) = c.find_duplicate(Some(account_id), &url_key(url)).await? {
                    return Ok(Created::Existing(link));
                }
                let tag = TagRef::from_owned(tag);
                Ok(Created::New(
                    c.create_link(account_id, url, tag, details, *flags).await?,
                ))
            })
        })
        .await
    }
}

impl Conn<'_> {
    async fn find_duplicate(
        &mut self,
        account: Option<&str>,
        key: &str,
    ) -> ApiResult<Option<Link>> {
        let mut sql = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.url_key = ?"
        ));
        sql.text(key)
            .and_eq("l.account_id", account)
            .push(" ORDER BY l.created_at, l.link_id LIMIT 1");
        self.fetch_optional(sql).await
    }
}
