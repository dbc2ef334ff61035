//! Sync: what changed in an account since a cursor, page by page, deletions included.
//!
//! Every write that changes an account's links or tags records them in `changes`, one row per
//! link or tag (`kind` 1 or 0) holding the change sequence number of its latest change, and
//! `deleted_at` when that change deleted it (a tombstone). A write records its changes as
//! pending (number [`PENDING`]); they get their numbers after they are committed, from the
//! account's counter in `sync_seqs`, in a batch, by the next reader of `GET /sync/` (see
//! [`Conn::number_pending`]): it locks the counter, numbers every pending change committed by
//! then, and raises the counter over them, in one transaction. So once a reader sees the
//! counter at `H`, every change numbered up to `H` is committed and visible, and a change
//! committed later gets a number above `H`. A page holds changes numbered above the cursor and
//! at most `H` (the counter read after numbering), so a change committed late can never land
//! behind a cursor a client already holds; that is what lets a client that applies the pages
//! end with exactly the server's state while others write. Writes never touch the counter, so
//! one account's writes commit side by side (their log flushes grouped) instead of queuing on
//! its row, as they did when each write took its number before commit.
//!
//! Every write path of the store calls [`Conn::links_changed`], [`Conn::links_deleted`],
//! [`Conn::tags_changed`] or [`Conn::tags_deleted`] before it commits: a new write path must
//! too, or sync clients will not see its changes.

use std::collections::HashMap;

use super::bulk::in_list;
use super::conn::{FromRow, Row};
use super::{Conn, Engine, Sql, Store, LINK_COLUMNS, TAG_COLUMNS};
use crate::error::{ApiError, ApiResult, DbError};
use crate::model::{now_micros, Link, Micros, Tag};

const KIND_TAG: i64 = 0;
const KIND_LINK: i64 = 1;

/// The number of a change not numbered yet (numbers start at 1).
pub(super) const PENDING: i64 = 0;

/// A change to record: kind, id, and the deletion time of a deletion.
type Change<'a> = (i64, &'a str, Option<Micros>);

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 200;

/// One page of changes.
#[derive(Debug, Default)]
pub struct SyncPage {
    /// Links created or changed, each with the ids of its tags.
    pub links: Vec<(Link, Vec<String>)>,
    /// Links deleted: id and when.
    pub deleted: Vec<(String, Micros)>,
    pub tags: Vec<Tag>,
    pub deleted_tags: Vec<(String, Micros)>,
    /// Where the next page starts.
    pub cursor: i64,
    /// Whether changes beyond this page were already there when it was read.
    pub more: bool,
}

/// Tombstones after the cursor were already dropped, or the cursor is not one this account
/// gave out: the client must start over.
fn expired() -> ApiError {
    ApiError::Gone("The cursor is too old or unknown; sync again without since".into())
}

/// A change row: sequence number, kind, id, deletion time.
struct ChangeRow(i64, i64, String, Option<i64>);

impl FromRow for ChangeRow {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(ChangeRow(
            row.int(0)?,
            row.int(1)?,
            row.text(2)?,
            row.opt_int(3)?,
        ))
    }
}

/// An account's counter and floor.
struct Counter(i64, i64);

impl FromRow for Counter {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Counter(row.int(0)?, row.int(1)?))
    }
}

/// A maximum, NULL over no rows.
struct Max(Option<i64>);

impl FromRow for Max {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(Max(row.opt_int(0)?))
    }
}

impl Store {
    /// Give links and tags that have no change row yet (those stored before migration 0006, or
    /// copied in by `migrate-seed`) one, so that sync clients see them; run at start and after
    /// `migrate-seed`, in transactions of at most 1000 rows each.
    pub(super) async fn fill_changes(&self) -> ApiResult<()> {
        for kind in [KIND_TAG, KIND_LINK] {
            while self
                .write(kind, |mut c, kind| {
                    Box::pin(async move { c.fill_changes(kind).await })
                })
                .await?
                > 0
            {}
        }
        Ok(())
    }

    /// The changes of `account_id` after `since` (`None`: everything there is), at most
    /// `limit`; tombstones older than the configured days are dropped first.
    pub async fn sync_page(
        &self,
        account_id: &str,
        since: Option<i64>,
        limit: i64,
    ) -> ApiResult<SyncPage> {
        self.number_pending(account_id).await?;
        self.prune_tombstones(
            account_id,
            now_micros().saturating_sub(self.tombstone_micros),
        )
        .await?;
        let args = (account_id.to_owned(), since, limit);
        self.read(args, |mut c, (account_id, since, limit)| {
            Box::pin(async move { c.sync_page(&account_id, since, limit).await })
        })
        .await
    }

    /// Number the account's changes committed so far that have no number yet. Skipped, without
    /// a transaction, when there are none (the common case of a client polling an account
    /// nobody wrote to): a change committed after that look is numbered by the next reader,
    /// above the counter this one reads.
    async fn number_pending(&self, account_id: &str) -> ApiResult<()> {
        let mut pending =
            Sql::new("SELECT 1 FROM changes WHERE account_id = ? AND seq = ? LIMIT 1");
        pending.text(account_id).int(PENDING);
        if self.query_optional::<(i64,)>(pending).await?.is_none() {
            return Ok(());
        }
        self.write(account_id.to_owned(), |mut c, account_id| {
            Box::pin(async move { c.number_pending(&account_id).await })
        })
        .await
    }

    /// Drop the account's tombstones deleted before `cutoff`, raising its floor (the oldest
    /// cursor still answered) past them.
    async fn prune_tombstones(&self, account_id: &str, cutoff: Micros) -> ApiResult<()> {
        let mut oldest = Sql::new(
            "SELECT MAX(seq) FROM changes WHERE account_id = ? AND deleted_at IS NOT NULL \
             AND deleted_at < ? AND seq > ?",
        );
        oldest.text(account_id).int(cutoff).int(PENDING);
        let found: Option<Max> = self.query_optional(oldest).await?;
        let Some(Max(Some(upto))) = found else {
            return Ok(());
        };
        let args = (account_id.to_owned(), upto);
        self.write(args, |mut c, (account_id, upto)| {
            Box::pin(async move {
                let mut floor = Sql::new(
                    "UPDATE sync_seqs SET floor_seq = ? WHERE account_id = ? AND floor_seq < ?",
                );
                floor.int(upto).text(&account_id).int(upto);
                c.execute(floor).await?;
                let mut delete = Sql::new(
                    "DELETE FROM changes WHERE account_id = ? AND deleted_at IS NOT NULL \
                     AND seq > ? AND seq <= ?",
                );
                delete.text(&account_id).int(PENDING).int(upto);
                c.execute(delete).await?;
                Ok(())
            })
        })
        .await
    }
}

impl Conn<'_> {
    /// Record up to 1000 links or tags (`kind`) that have no change row; how many there were.
    async fn fill_changes(&mut self, kind: i64) -> ApiResult<usize> {
        let select = if kind == KIND_TAG {
            "SELECT t.account_id, t.tag_id FROM tags t WHERE NOT EXISTS \
             (SELECT 1 FROM changes c WHERE c.kind = 0 AND c.id = t.tag_id) LIMIT 1000"
        } else {
            "SELECT l.account_id, l.link_id FROM links l WHERE NOT EXISTS \
             (SELECT 1 FROM changes c WHERE c.kind = 1 AND c.id = l.link_id) LIMIT 1000"
        };
        let rows: Vec<(String, String)> = self.fetch_all(Sql::new(select)).await?;
        // In the order of the accounts, so that two servers starting at once take the
        // accounts' counters in the same order.
        let mut by_account: std::collections::BTreeMap<&str, Vec<Change>> = Default::default();
        for (account_id, id) in &rows {
            by_account
                .entry(account_id)
                .or_default()
                .push((kind, id, None));
        }
        for (account_id, changes) in by_account {
            self.record(account_id, changes).await?;
        }
        Ok(rows.len())
    }

    async fn sync_page(
        &mut self,
        account_id: &str,
        since: Option<i64>,
        limit: i64,
    ) -> ApiResult<SyncPage> {
        let (head, _) = self.counter(account_id).await?;
        let after = since.unwrap_or(0);
        if after > head {
            return Err(expired());
        }
        let mut select = Sql::new(
            "SELECT seq, kind, id, deleted_at FROM changes WHERE account_id = ? AND seq > ? \
             AND seq <= ? ORDER BY seq LIMIT ?",
        );
        select.text(account_id).int(after).int(head).int(limit + 1);
        let mut rows: Vec<ChangeRow> = self.fetch_all(select).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        // Read after the page: tombstones dropped meanwhile raised the floor, and are then
        // noticed here.
        if since.is_some() {
            let (_, floor) = self.counter(account_id).await?;
            if after < floor {
                return Err(expired());
            }
        }
        let cursor = match (more, rows.last()) {
            (true, Some(last)) => last.0,
            _ => head,
        };
        let mut page = SyncPage {
            cursor,
            more,
            ..SyncPage::default()
        };
        let mut link_ids = Vec::new();
        let mut tag_ids = Vec::new();
        for ChangeRow(_, kind, id, deleted_at) in rows {
            match (kind, deleted_at) {
                (KIND_LINK, Some(at)) => page.deleted.push((id, at)),
                (KIND_LINK, None) => link_ids.push(id),
                (_, Some(at)) => page.deleted_tags.push((id, at)),
                (_, None) => tag_ids.push(id),
            }
        }
        // Links and tags as they are now; one deleted since the counter was read is left out
        // (its tombstone comes on a later page).
        for chunk in tag_ids.chunks(ROWS_PER_STATEMENT) {
            let mut select = Sql::new(&format!(
                "SELECT {TAG_COLUMNS} FROM tags WHERE account_id = ? AND tag_id IN "
            ));
            select.text(account_id);
            in_list(&mut select, chunk);
            page.tags.extend(self.fetch_all::<Tag>(select).await?);
        }
        for chunk in link_ids.chunks(ROWS_PER_STATEMENT) {
            let mut select = Sql::new(&format!(
                "SELECT {LINK_COLUMNS} FROM links l WHERE l.account_id = ? AND l.link_id IN "
            ));
            select.text(account_id);
            in_list(&mut select, chunk);
            let links: Vec<Link> = self.fetch_all(select).await?;
            let mut tags = Sql::new(
                "SELECT link_id, tag_id FROM taglinks WHERE account_id = ? AND link_id IN ",
            );
            tags.text(account_id);
            in_list(&mut tags, chunk);
            tags.push(" ORDER BY tag_id");
            let mut by_link: HashMap<String, Vec<String>> = HashMap::new();
            for (link_id, tag_id) in self.fetch_all::<(String, String)>(tags).await? {
                by_link.entry(link_id).or_default().push(tag_id);
            }
            page.links.extend(links.into_iter().map(|link| {
                let tags = by_link.remove(&link.link_id).unwrap_or_default();
                (link, tags)
            }));
        }
        Ok(page)
    }

    /// The account's counter and floor (both 0 before its first change).
    async fn counter(&mut self, account_id: &str) -> ApiResult<(i64, i64)> {
        let mut select = Sql::new("SELECT seq, floor_seq FROM sync_seqs WHERE account_id = ?");
        select.text(account_id);
        Ok(self
            .fetch_optional::<Counter>(select)
            .await?
            .map_or((0, 0), |Counter(seq, floor)| (seq, floor)))
    }

    /// Number the account's pending changes committed so far, in the order of kind (tags
    /// first) and id, above its counter, and raise the counter over them. The counter's row
    /// is locked first and held until commit, so numberings of one account run one at a time.
    async fn number_pending(&mut self, account_id: &str) -> ApiResult<()> {
        match self.engine() {
            Engine::MySql => {
                let mut lock = Sql::new(
                    "INSERT INTO sync_seqs (account_id, seq, floor_seq) VALUES (?, 0, 0) \
                     ON DUPLICATE KEY UPDATE seq = seq",
                );
                lock.text(account_id);
                self.insert(lock).await?;
                let mut top =
                    Sql::new("SET @seq = (SELECT seq FROM sync_seqs WHERE account_id = ?)");
                top.text(account_id);
                self.insert(top).await?;
                // Only the rows changed advance the variable, so the counter ends exactly on
                // the last number given.
                let mut number = Sql::new(
                    "UPDATE changes SET seq = (@seq := @seq + 1) WHERE account_id = ? AND seq = ? \
                     ORDER BY kind, id",
                );
                number.text(account_id).int(PENDING);
                self.insert(number).await?;
                let mut raise = Sql::new("UPDATE sync_seqs SET seq = @seq WHERE account_id = ?");
                raise.text(account_id);
                self.insert(raise).await?;
            }
            _ => {
                let mut lock = Sql::new(
                    "INSERT INTO sync_seqs (account_id, seq, floor_seq) VALUES (?, 0, 0) \
                     ON CONFLICT (account_id) DO UPDATE SET seq = sync_seqs.seq \
                     RETURNING seq, floor_seq",
                );
                lock.text(account_id);
                let Counter(top, _) =
                    self.fetch_optional::<Counter>(lock).await?.ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!(
                            "the sync counter upsert returned no row"
                        ))
                    })?;
                // Pending rows vanish meanwhile only with their account (whose counter goes
                // too), so the rows numbered are exactly those the subquery read.
                let mut number = Sql::new(
                    "UPDATE changes SET seq = p.n FROM (SELECT kind, id, ? + ROW_NUMBER() OVER \
                     (ORDER BY kind, id) AS n FROM changes WHERE account_id = ? AND seq = ?) p \
                     WHERE changes.kind = p.kind AND changes.id = p.id AND changes.seq = ?",
                );
                number.int(top).text(account_id).int(PENDING).int(PENDING);
                let numbered = self.insert(number).await?;
                let mut raise = Sql::new("UPDATE sync_seqs SET seq = ? WHERE account_id = ?");
                raise.int(top + numbered as i64).text(account_id);
                self.insert(raise).await?;
            }
        }
        Ok(())
    }

    /// Record changes of the account: `(kind, id, deleted_at)` each, pending (numbered after
    /// commit, see the module's documentation).
    async fn record(&mut self, account_id: &str, changes: Vec<Change<'_>>) -> ApiResult<()> {
        // One row per thing: the last change of each counts (an upsert may not touch a row
        // twice).
        let mut last: HashMap<(i64, &str), usize> = HashMap::new();
        for (i, (kind, id, _)) in changes.iter().enumerate() {
            last.insert((*kind, *id), i);
        }
        let changes: Vec<_> = changes
            .iter()
            .enumerate()
            .filter(|(i, (kind, id, _))| last.get(&(*kind, *id)) == Some(i))
            .map(|(_, c)| *c)
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        // A tombstone is final: ids are never reused, and a write that saw a link before it
        // was deleted (a tag-link removal racing the link's deletion) must not bring the link
        // back as "changed" over its tombstone, or clients would never learn it is gone.
        let upsert = self.change_upsert();
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                Sql::new("INSERT INTO changes (account_id, kind, id, seq, deleted_at) VALUES ");
            for (i, (kind, id, deleted_at)) in chunk.iter().enumerate() {
                insert
                    .push(if i == 0 {
                        "(?, ?, ?, ?, "
                    } else {
                        ", (?, ?, ?, ?, "
                    })
                    .text(account_id)
                    .int(*kind)
                    .text(*id)
                    .int(PENDING);
                match deleted_at {
                    Some(at) => insert.push("?)").int(*at),
                    None => insert.push("NULL)"),
                };
            }
            insert.push(upsert);
            self.insert(insert).await?;
        }
        Ok(())
    }

    /// Links of the account created or changed (their tags included), and tags that were
    /// created or may have been.
    pub(super) async fn links_changed(
        &mut self,
        account_id: &str,
        link_ids: &[String],
        tag_ids: &[String],
    ) -> ApiResult<()> {
        let changes = tag_ids
            .iter()
            .map(|id| (KIND_TAG, id.as_str(), None))
            .chain(link_ids.iter().map(|id| (KIND_LINK, id.as_str(), None)))
            .collect();
        self.record(account_id, changes).await
    }

    /// Links of the account deleted.
    pub(super) async fn links_deleted(
        &mut self,
        account_id: &str,
        link_ids: &[String],
    ) -> ApiResult<()> {
        let now = now_micros();
        let changes = link_ids
            .iter()
            .map(|id| (KIND_LINK, id.as_str(), Some(now)))
            .collect();
        self.record(account_id, changes).await
    }

    /// Tags of the account created or renamed.
    pub(super) async fn tags_changed(
        &mut self,
        account_id: &str,
        tag_ids: &[String],
    ) -> ApiResult<()> {
        self.links_changed(account_id, &[], tag_ids).await
    }

    /// A tag of the account deleted, and the links that carried it (their tag sets changed).
    pub(super) async fn tag_deleted(
        &mut self,
        account_id: &str,
        tag_id: &str,
        link_ids: &[String],
    ) -> ApiResult<()> {
        let now = now_micros();
        let changes = std::iter::once((KIND_TAG, tag_id, Some(now)))
            .chain(link_ids.iter().map(|id| (KIND_LINK, id.as_str(), None)))
            .collect();
        self.record(account_id, changes).await
    }

    /// Links changed, of whichever accounts: `(account_id, link_id)` each.
    pub(super) async fn links_changed_anywhere(
        &mut self,
        links: Vec<(String, String)>,
    ) -> ApiResult<()> {
        // In the order of the accounts, so that two such writes take their counters in the
        // same order.
        let mut by_account: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (account_id, link_id) in links {
            by_account.entry(account_id).or_default().push(link_id);
        }
        for (account_id, link_ids) in by_account {
            self.links_changed(&account_id, &link_ids, &[]).await?;
        }
        Ok(())
    }

    /// The ids of the links carrying a tag.
    pub(super) async fn links_of_tag(&mut self, tag_id: &str) -> ApiResult<Vec<String>> {
        let mut select = Sql::new("SELECT link_id FROM taglinks WHERE tag_id = ?");
        select.text(tag_id);
        Ok(self
            .fetch_all::<(String,)>(select)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect())
    }
}
