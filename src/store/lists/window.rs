//! A `q` search's page and count in one statement, from its first [`BROAD`]` + 1` matches in
//! list order (newest first when ranked by relevance): those are all the count needs (more
//! than [`BROAD`] is "at least"), all that relevance ranks, and all a page within them shows.
//!
//! Each engine finds them its cheapest way. PostgreSQL plans the statement with the search's
//! own patterns (see [`Sql::custom_plan`]): for a common word it walks the account's links
//! newest first and stops at the [`BROAD`]` + 1`st match, for a rare one it reads the trigram
//! index's few matches and sorts them. SQLite reads its FTS5 index's matches in rowid order,
//! which stops as early, and then finds the matches that rowid order and creation order
//! disagree on (links imported with an old date, say) from the `(account_id, created_at)`
//! index: see [`fts_first_matches`]. MariaDB keeps the count and the walk as two statements
//! (its FULLTEXT index reads a trigram's whole document list, so a common word is cheaper to
//! find by walking, a rare one by the index, and the count tells which).

use super::super::Conn;
use super::{
    driving_tag, from_tag, join, link_conditions, search, tag_key, Engine, LinkFilter, Sql, BROAD,
    LINK_COLUMNS,
};
use crate::error::ApiResult;
use crate::model::Page;
use search::Index;

/// True when [`page_query`] answers a search's page: not on MariaDB (see the module's text),
/// not for an exact count, and only for a page among the first [`BROAD`] matches.
pub(super) fn answers(engine: Engine, filter: &LinkFilter, page: Page) -> bool {
    engine != Engine::MySql
        && !filter.query.is_empty()
        && !filter.exact_count
        && page.offset.saturating_add(page.limit) <= BROAD
}

/// The page of a search's links, each with the number of matches (at most [`BROAD`]` + 1`) as
/// an extra last column. Relevance ranks the newest [`BROAD`] matches (ties newest first), as
/// [`super::ranked_query`] does for a broad search; the page never reaches beyond them.
pub(super) fn page_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
) -> PageQuery {
    let sql = page_statement(engine, account, filter, page, false);
    let within_tag = match (
        search::fts_match(engine, &filter.query),
        driving_tag(account, filter),
    ) {
        (Some(expr), Some((tag, _))) => {
            let mut estimate = Sql::new(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM links_fts WHERE links_fts MATCH ? \
                 LIMIT ?)), (SELECT COUNT(*) FROM (SELECT 1 FROM taglinks d WHERE d.tag_id = ",
            );
            estimate.text(expr).int(ESTIMATE).append(tag);
            estimate.push(" LIMIT ?))").int(ESTIMATE);
            Some((
                estimate,
                page_statement(engine, account, filter, page, true),
            ))
        }
        _ => None,
    };
    PageQuery { sql, within_tag }
}

/// How far [`PageQuery::pick`] counts a search's index matches and its tag's links.
const ESTIMATE: i64 = 5000;

/// The statement of a page and its count, or (SQLite, within a tag) two of them: from the
/// search index's matches, each probed for the tag, or from the tag's links newest first, each
/// checked with `LIKE`; the one to read fewer candidates wins.
pub(super) struct PageQuery {
    sql: Sql,
    /// The statement that counts (up to [`ESTIMATE`]) the index's matches and the tag's
    /// links, and the page from the tag's links.
    within_tag: Option<(Sql, Sql)>,
}

impl PageQuery {
    /// The statement to run: from the tag's links when the search's words are at least as
    /// common as the tag (the walk then meets a match as often as a probe of the index's
    /// matches meets the tag, and a walk's step is cheaper).
    pub(super) async fn pick(self, c: &mut Conn<'_>) -> ApiResult<Sql> {
        let Some((estimate, walk)) = self.within_tag else {
            return Ok(self.sql);
        };
        let (matches, tagged) = c
            .fetch_optional::<(i64, i64)>(estimate)
            .await?
            .unwrap_or((0, 0));
        Ok(if matches >= tagged { walk } else { self.sql })
    }
}

fn page_statement(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
    walk_tag: bool,
) -> Sql {
    let dir = if filter.newest_first { " DESC" } else { "" };
    let mut columns = Sql::new("l.link_id AS id, ");
    let ranked = filter.relevance && search::push_rank(&mut columns, engine, &filter.query);
    if !ranked {
        columns.push("0");
    }
    columns.push(" AS score, l.created_at AS created");
    let order = if ranked {
        "score DESC, created DESC, id DESC".to_owned()
    } else {
        format!("created{dir}, id{dir}")
    };
    let mut sql = Sql::new("WITH ");
    sql.append(first_matches(
        engine, account, filter, columns, dir, walk_tag,
    ));
    sql.push(&format!(
        " SELECT {LINK_COLUMNS}, (SELECT COUNT(*) FROM w) AS n FROM (SELECT id, created, score FROM "
    ));
    if ranked {
        sql.push("(SELECT id, created, score FROM w ORDER BY created DESC, id DESC LIMIT ?) r")
            .int(BROAD);
    } else {
        sql.push("w");
    }
    sql.push(&format!(" ORDER BY {order}")).page(page);
    sql.push(&format!(
        ") p {} links l ON l.link_id = p.id ORDER BY p.{}",
        join(engine),
        order.replace(", ", ", p.")
    ));
    sql.custom_plan();
    sql
}

/// The common table expressions ending in `w`: the first [`BROAD`]` + 1` matches of `filter` in
/// list order (`dir`), as `columns` (`id`, `score`, `created`).
fn first_matches(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    columns: Sql,
    dir: &str,
    walk_tag: bool,
) -> Sql {
    let tag = driving_tag(account, filter);
    let fts = search::fts_match(engine, &filter.query).filter(|_| !(walk_tag && tag.is_some()));
    if let Some(expr) = fts {
        return match search::fts_candidates(engine, &filter.query) {
            Some(fewer) => {
                fts_first_matches(engine, account, filter, columns, dir, fewer, Index::Unused)
            }
            None => fts_first_matches(engine, account, filter, columns, dir, expr, Index::Joined),
        };
    }
    let mut sql = Sql::new("w AS (");
    match tag {
        Some((tag, rest)) => {
            // Walking the tag's links, every term is checked with LIKE (the index's matches
            // as an IN list would all be read first).
            let index = if walk_tag {
                Index::Unused
            } else {
                Index::Filter
            };
            sql.append(from_tag(engine, columns, tag));
            link_conditions(&mut sql, engine, account, &rest, index);
            sql.push(&format!(" ORDER BY d.link_created_at{dir}, d.link_id{dir}"));
        }
        None => {
            sql.push("SELECT ")
                .append(columns)
                .push(" FROM links l WHERE 1 = 1");
            link_conditions(&mut sql, engine, account, filter, Index::Filter);
            sql.push(&format!(" ORDER BY l.created_at{dir}, l.link_id{dir}"));
        }
    }
    sql.push(" LIMIT ?)").int(BROAD + 1);
    sql
}

/// SQLite: the first [`BROAD`]` + 1` matches in list order, from the FTS5 index's matches of
/// `expr` (used as `index` says: exactly, or as candidates only) in rowid order (the order links were stored in, which FTS5 reads from either end and
/// stops at a LIMIT), corrected for the links whose rowid order and creation order disagree.
///
/// Newest first: `c` is the [`BROAD`]` + 1` matches of highest rowid. Any other match has a
/// lower rowid than all of them, and is among the newest [`BROAD`]` + 1` only if it is at
/// least as new as the oldest of `c`; so the links created since then with a lower rowid (read
/// from the `(account_id, created_at)` index without their rows) are checked with `LIKE`, and
/// the newest of both are the answer. Such a link was stored before a link of `c` that is no
/// newer: that one is marked `stored_late` (migration 0013), so within an account the look is
/// skipped when no link of `c` is (usually none is; the look read ~11,000 index entries for
/// two words at 9% of the links). Oldest first is the mirror image: a match missing from `c`
/// was stored after a link of `c` that is no older, so it is marked itself, and only the
/// account's marked links are looked at.
fn fts_first_matches(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    columns: Sql,
    dir: &str,
    expr: String,
    index: Index,
) -> Sql {
    let (bound, created, rowid) = if dir.is_empty() {
        ("MAX", "<=", ">")
    } else {
        ("MIN", ">=", "<")
    };
    // Tags as probes of each candidate's tag-links: an IN list would read all of a tag's
    // tag-links first.
    let mut rest = filter.clone();
    let tag_id = rest.tag_id.take();
    let tags = std::mem::take(&mut rest.tags);
    let tag_probes = |sql: &mut Sql| {
        if let Some(tag_id) = &tag_id {
            sql.push(
                " AND EXISTS (SELECT 1 FROM taglinks tl \
                 WHERE tl.tag_id = ? AND tl.link_id = l.link_id)",
            )
            .text(tag_id);
        }
        for name in &tags {
            match account {
                // An account has one tag of a name: its id is looked up once.
                Some(account_id) => sql
                    .push(
                        " AND EXISTS (SELECT 1 FROM taglinks tl WHERE tl.tag_id = \
                         (SELECT t.tag_id FROM tags t WHERE t.account_id = ? AND t.tag_key = ?) \
                         AND tl.link_id = l.link_id)",
                    )
                    .text(account_id)
                    .text(tag_key(name)),
                None => sql
                    .push(
                        " AND EXISTS (SELECT 1 FROM taglinks tl JOIN tags t \
                         ON t.tag_id = tl.tag_id WHERE tl.link_id = l.link_id AND t.tag_key = ?)",
                    )
                    .text(tag_key(name)),
            };
        }
    };
    let mut sql = Sql::new("c AS (SELECT l.rowid AS r, l.stored_late AS late, ");
    sql.append(columns.clone())
        .push(" FROM links_fts f CROSS JOIN links l ON l.rowid = f.rowid WHERE links_fts MATCH ?");
    sql.text(expr);
    link_conditions(&mut sql, engine, account, &rest, index);
    tag_probes(&mut sql);
    sql.push(&format!(" ORDER BY f.rowid{dir} LIMIT ?"))
        .int(BROAD + 1);
    sql.push(&format!(
        "), b AS (SELECT {bound}(r) AS r, {bound}(created) AS created, COUNT(*) AS n, \
         MAX(late) AS late FROM c), \
         w AS (SELECT id, score, created FROM c UNION ALL SELECT "
    ));
    // Only when `c` stopped at its limit (else it holds every match), and within an account
    // only where a link stored late can be one (see above; the admin's view spans accounts);
    // `+l.rowid`: compared on the index's entries, not used to pick an index.
    let late = match (account.is_some(), dir.is_empty()) {
        (false, _) => "",
        (true, true) => " AND l.stored_late = 1",
        (true, false) => " AND b.late > 0",
    };
    sql.append(columns).push(&format!(
        " FROM b CROSS JOIN links l WHERE b.n > ?{late} AND l.created_at {created} b.created \
         AND +l.rowid {rowid} b.r"
    ));
    sql.int(BROAD);
    link_conditions(&mut sql, engine, account, &rest, Index::Unused);
    tag_probes(&mut sql);
    sql.push(&format!(" ORDER BY created{dir}, id{dir} LIMIT ?)"))
        .int(BROAD + 1);
    sql
}
