//! One link at a time: reading, creating (with its tag), changing and deleting it. Lists of
//! links are in [`super::lists`].

use std::sync::Arc;

use super::handle::{on_backend, Backend, Backends};
use super::{link_hash, search, search_text, tag_not_in_account, Conn, Sql, Store};
use crate::error::{ApiError, ApiResult};
use crate::model::{new_id, now_micros, Link, LinkDetails, LinkFlags, Micros};
use crate::urlkey::url_key;

pub(super) const LINK_COLUMNS: &str =
    "l.link_id, l.link, l.account_id, l.created_at, l.title, l.description, l.notes, l.updated_at, \
     l.unread, l.favorite";

impl Store {
    pub async fn get_link(&self, account: Option<&str>, link_id: &str) -> ApiResult<Option<Link>> {
        // By its key alone, the account compared here: with `AND account_id = ?` MariaDB's
        // optimizer weighed the five indexes that start with account_id on every read.
        let mut sql = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
        ));
        sql.text(link_id);
        let link: Option<Link> = self.query_optional(sql).await?;
        Ok(link.filter(|l| account.is_none_or(|a| l.account_id == a)))
    }

    /// Change a link: its URL, descriptive fields, and (when given) its whole tag set, tags
    /// named that the account lacks being created; one transaction. `None` when the link is
    /// not the caller's.
    pub async fn update_link(
        &self,
        account: Option<&str>,
        link_id: &str,
        changes: &LinkChanges,
    ) -> ApiResult<Option<Link>> {
        let args = Arc::new((
            account.map(str::to_owned),
            link_id.to_owned(),
            changes.clone(),
        ));
        self.write(args, |mut c, args| {
            Box::pin(async move {
                let (account, link_id, changes) = &*args;
                c.update_link(account.as_deref(), link_id, changes).await
            })
        })
        .await
    }

    /// Create a link with its tag (an existing one by id, or one by name created if missing)
    /// and the tag-link between them, in one transaction.
    pub async fn create_link(
        &self,
        account_id: &str,
        url: &str,
        tag: TagRef<'_>,
        details: &LinkDetails,
        flags: LinkFlags,
    ) -> ApiResult<Link> {
        let tag = tag.owned();
        let created_at = now_micros();
        let new = NewLink {
            link: new_link(account_id, url, details, flags, created_at),
            tag_by_id: tag.0,
            tag: tag.1.clone(),
            tag_id: new_id(),
        };
        let at_once = self
            .retrying(|| async {
                on_backend!(&self.backend, b => b.create_link_at_once(&new).await)
            })
            .await?;
        if let Some(link) = at_once {
            return Ok(link);
        }
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
                let tag = TagRef::from_owned(tag);
                c.create_link(account_id, url, tag, details, *flags).await
            })
        })
        .await
    }

    /// Delete a link and its tag-links.
    pub async fn delete_link(
        &self,
        account: Option<&str>,
        link_id: &str,
    ) -> ApiResult<Option<Link>> {
        let args = (account.map(str::to_owned), link_id.to_owned());
        self.write(args, |mut c, (account, link_id)| {
            Box::pin(async move {
                let mut select = Sql::new(&format!(
                    "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
                ));
                // Locked first, as for tags: a write tagging the link finishes before its
                // tag-links are deleted.
                select
                    .text(&link_id)
                    .and_eq("l.account_id", account.as_deref())
                    .push(c.locking_read());
                let Some(link) = c.fetch_optional::<Link>(select).await? else {
                    return Ok(None);
                };
                c.delete_all(
                    &[
                        "DELETE FROM taglinks WHERE link_id = ?",
                        "DELETE FROM links WHERE link_id = ?",
                    ],
                    &link_id,
                )
                .await?;
                c.links_deleted(&link.account_id, std::slice::from_ref(&link.link_id))
                    .await?;
                Ok(Some(link))
            })
        })
        .await
    }
}

impl Conn<'_> {
    pub(super) async fn update_link(
        &mut self,
        account: Option<&str>,
        link_id: &str,
        changes: &LinkChanges,
    ) -> ApiResult<Option<Link>> {
        let mut select = Sql::new(&format!(
            "SELECT {LINK_COLUMNS} FROM links l WHERE l.link_id = ?"
        ));
        select.text(link_id).and_eq("l.account_id", account);
        select.push(self.locking_read());
        let Some(mut link) = self.fetch_optional::<Link>(select).await? else {
            return Ok(None);
        };
        if let Some(url) = &changes.link {
            link.link.clone_from(url);
        }
        for (field, change) in [
            (&mut link.title, &changes.title),
            (&mut link.description, &changes.description),
            (&mut link.notes, &changes.notes),
        ] {
            if let Some(value) = change {
                field.clone_from(value);
            }
        }
        link.unread = changes.unread.unwrap_or(link.unread);
        link.favorite = changes.favorite.unwrap_or(link.favorite);
        link.updated_at = now_micros().max(link.updated_at);
        let details = LinkDetails {
            title: link.title.clone(),
            description: link.description.clone(),
            notes: link.notes.clone(),
        };
        let mut update = Sql::new(&format!(
            "UPDATE links SET link = ?, title = ?, description = ?, notes = ?, updated_at = ?, \
             link_hash = ?, unread = ?, favorite = ?, url_key = ?, {} \
             WHERE link_id = ? AND account_id = ?",
            search::text_assignments(self.engine())
        ));
        update
            .text(&link.link)
            .opt_text(details.title.as_deref())
            .opt_text(details.description.as_deref())
            .opt_text(details.notes.as_deref())
            .int(link.updated_at)
            .text(link_hash(&link.link))
            .int(link.unread.into())
            .int(link.favorite.into())
            .text(url_key(&link.link));
        search::bind_text(
            &mut update,
            self.engine(),
            search_text(&link.link, &details),
        );
        update.text(&link.link_id).text(&link.account_id);
        self.execute(update).await?;
        let mut touched_tags: Vec<String> = Vec::new();
        if let Some(names) = &changes.tags {
            let mut tag_ids: Vec<String> = Vec::new();
            for name in names {
                let tag = self.tag_by_name_or_create(&link.account_id, name).await?;
                if !tag_ids.contains(&tag.tag_id) {
                    tag_ids.push(tag.tag_id);
                }
            }
            let mut delete = Sql::new("DELETE FROM taglinks WHERE link_id = ? AND account_id = ?");
            delete.text(&link.link_id).text(&link.account_id);
            if !tag_ids.is_empty() {
                delete.push(" AND tag_id NOT IN (");
                for (i, id) in tag_ids.iter().enumerate() {
                    delete.push(if i == 0 { "?" } else { ", ?" }).text(id);
                }
                delete.push(")");
            }
            self.execute(delete).await?;
            for id in &tag_ids {
                self.insert_taglink(&link.account_id, id, &link.link_id, link.created_at)
                    .await?;
            }
            touched_tags = tag_ids;
        }
        self.links_changed(
            &link.account_id,
            std::slice::from_ref(&link.link_id),
            &touched_tags,
        )
        .await?;
        Ok(Some(link))
    }

    pub(super) async fn create_link(
        &mut self,
        account_id: &str,
        url: &str,
        tag: TagRef<'_>,
        details: &LinkDetails,
        flags: LinkFlags,
    ) -> ApiResult<Link> {
        self.require_account(account_id).await?;
        let tag_id = match tag {
            TagRef::Id(tag_id) => {
                let mut select =
                    Sql::new("SELECT tag_id FROM tags WHERE tag_id = ? AND account_id = ?");
                select.text(tag_id).text(account_id);
                match self.fetch_optional::<(String,)>(select).await? {
                    Some((id,)) => id,
                    None => return Err(ApiError::NotFound(tag_not_in_account(tag_id, account_id))),
                }
            }
            TagRef::Name(name) => self.tag_by_name_or_create(account_id, name).await?.tag_id,
        };
        let link = self
            .insert_link(account_id, url, details, flags, now_micros())
            .await?;
        self.insert_taglink(account_id, &tag_id, &link.link_id, link.created_at)
            .await?;
        self.links_changed(
            account_id,
            std::slice::from_ref(&link.link_id),
            std::slice::from_ref(&tag_id),
        )
        .await?;
        Ok(link)
    }

    /// Insert a link row with its derived columns (`link_hash` for exact-URL lookups,
    /// `search_text` for `q`). Every path that creates links goes through here, so that no
    /// link misses a search or a lookup.
    pub(super) async fn insert_link(
        &mut self,
        account_id: &str,
        url: &str,
        details: &LinkDetails,
        flags: LinkFlags,
        created_at: Micros,
    ) -> ApiResult<Link> {
        let link = new_link(account_id, url, details, flags, created_at);
        let engine = self.engine();
        let mut insert = Sql::new(&format!(
            "INSERT INTO links (link_id, link, account_id, created_at, updated_at, title, \
             description, notes, link_hash, unread, favorite, url_key, {}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {})",
            search::text_columns(engine),
            search::text_values(engine)
        ));
        insert
            .text(&link.link_id)
            .text(&link.link)
            .text(account_id)
            .int(link.created_at)
            .int(link.updated_at)
            .opt_text(link.title.as_deref())
            .opt_text(link.description.as_deref())
            .opt_text(link.notes.as_deref())
            .text(link_hash(url))
            .int(flags.unread.into())
            .int(flags.favorite.into())
            .text(url_key(url));
        search::bind_text(&mut insert, engine, search_text(url, details));
        self.insert(insert).await?;
        Ok(link)
    }
}

/// Changes to a link; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub link: Option<String>,
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// The complete new set of tags, by name.
    pub tags: Option<Vec<String>>,
    pub unread: Option<bool>,
    pub favorite: Option<bool>,
}

/// A link to create, its row chosen (id, times), and its tag: by id, or by name with the id
/// a new tag of that name takes.
pub struct NewLink {
    pub(super) link: Link,
    pub(super) tag_by_id: bool,
    pub(super) tag: String,
    pub(super) tag_id: String,
}

impl NewLink {
    pub(super) fn details(&self) -> LinkDetails {
        LinkDetails {
            title: self.link.title.clone(),
            description: self.link.description.clone(),
            notes: self.link.notes.clone(),
        }
    }
}

/// How a new link names its tag.
#[derive(Debug, Clone, Copy)]
pub enum TagRef<'a> {
    Id(&'a str),
    Name(&'a str),
}

impl<'a> TagRef<'a> {
    /// By id (`true`) or by name, and the text: to carry into an operation's arguments.
    pub(super) fn owned(self) -> (bool, String) {
        match self {
            TagRef::Id(id) => (true, id.to_owned()),
            TagRef::Name(name) => (false, name.to_owned()),
        }
    }

    /// The reference [`TagRef::owned`] was made from.
    pub(super) fn from_owned((by_id, tag): &'a (bool, String)) -> Self {
        if *by_id {
            TagRef::Id(tag)
        } else {
            TagRef::Name(tag)
        }
    }
}

/// A new link of `account_id` as created at `created_at`, with a fresh id.
pub(super) fn new_link(
    account_id: &str,
    url: &str,
    details: &LinkDetails,
    flags: LinkFlags,
    created_at: Micros,
) -> Link {
    Link {
        link_id: new_id(),
        link: url.to_owned(),
        account_id: account_id.to_owned(),
        created_at,
        title: details.title.clone(),
        description: details.description.clone(),
        notes: details.notes.clone(),
        updated_at: created_at,
        unread: flags.unread,
        favorite: flags.favorite,
    }
}
