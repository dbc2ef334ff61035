//! Lists of links: the filter, the queries that read a page of the matches (in list order or
//! ranked by relevance) and count them. What `q` adds to them is in [`super::search`].

use super::{link_hash, search, tag_key, Engine, Sql, Store, LINK_COLUMNS};
use crate::error::ApiResult;
use crate::model::{Link, Page};

mod window;

/// With `q`: how many matches are counted (beyond, `X-Total-Count` says "at least this many"),
/// and how many of the newest matches relevance ranks when more match. A thousand matches
/// are counted or ranked in about a millisecond.
pub const BROAD: i64 = 1000;

/// How many links match a list's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// The number of matches, or when not `exact`, [`BROAD`]: more match.
    pub count: i64,
    pub exact: bool,
}

impl Store {
    /// A page of the links matching `filter`, with how many match in all.
    ///
    /// Without `q`, the page is read with one link more: when there is none, the page reaches
    /// the end of the matches and their number is known without counting them. With `q`, the
    /// count stops at [`BROAD`] matches unless `filter.exact_count` (a broad search would
    /// otherwise read every match's row just to count it), and relevance ranks the newest
    /// [`BROAD`] matches, the others following newest first. A page among the first [`BROAD`]
    /// comes with its count from one statement where the engine has one ([`window`]);
    /// otherwise the count comes first, and a broad search is answered by walking the links in
    /// list order (see [`search::Index::Unused`]).
    pub async fn search_links_counted(
        &self,
        account: Option<&str>,
        filter: &LinkFilter,
        page: Page,
    ) -> ApiResult<(Vec<Link>, Total)> {
        if filter.query.is_empty() {
            // One link beyond the page: when there is none, the page reaches the end of the
            // matches, and their number is known without counting them (a second query that reads
            // every match again).
            let probe = Page {
                offset: page.offset,
                limit: page.limit + 1,
            };
            let args = (
                ranked_query(self.engine, account, filter, probe, false)
                    .unwrap_or_else(|| links_query(self.engine, account, filter, probe, false)),
                count_query(self.engine, account, filter, None),
                page,
            );
            return self
                .read(args, |mut c, (links, count, page)| {
                    Box::pin(async move {
                        let mut links: Vec<Link> = c.fetch_all(links).await?;
                        let found = links.len() as i64;
                        let total = if found <= page.limit && (found > 0 || page.offset == 0) {
                            page.offset + found
                        } else {
                            c.fetch_optional::<(i64,)>(count).await?.map_or(0, |(n,)| n)
                        };
                        links.truncate(page.limit as usize);
                        let total = Total {
                            count: total,
                            exact: true,
                        };
                        Ok((links, total))
                    })
                })
                .await;
        }
        let cap = (!filter.exact_count).then_some(BROAD);
        let mut count = count_query(self.engine, account, filter, cap);
        count.custom_plan();
        let first = window::answers(self.engine, filter, page)
            .then(|| window::page_query(self.engine, account, filter, page));
        let args = (
            account.map(str::to_owned),
            filter.clone(),
            page,
            count,
            first,
        );
        self.read(args, |mut c, (account, filter, page, count, first)| {
            Box::pin(async move {
                let engine = c.engine();
                let mut counted = None;
                if let Some(first) = first {
                    // The page and the count at once; an empty page past the end has no count.
                    let first = first.pick(&mut c).await?;
                    let rows: Vec<(Link, i64)> = c.fetch_all(first).await?;
                    let n = rows.first().map(|(_, n)| *n);
                    if n.is_some() || page.offset == 0 {
                        let links = rows.into_iter().map(|(link, _)| link).collect();
                        counted = Some((links, n.unwrap_or(0)));
                    }
                }
                let (links, n) = match counted {
                    Some(counted) => counted,
                    None => {
                        let n = c.fetch_optional::<(i64,)>(count).await?.map_or(0, |(n,)| n);
                        let broad = n > BROAD;
                        let links = if n == 0 {
                            Vec::new()
                        } else {
                            let mut sql =
                                ranked_query(engine, account.as_deref(), &filter, page, broad)
                                    .unwrap_or_else(|| {
                                        links_query(
                                            engine,
                                            account.as_deref(),
                                            &filter,
                                            page,
                                            broad,
                                        )
                                    });
                            sql.custom_plan();
                            c.fetch_all(sql).await?
                        };
                        (links, n)
                    }
                };
                let broad = n > BROAD;
                let total = if broad && !filter.exact_count {
                    Total {
                        count: BROAD,
                        exact: false,
                    }
                } else {
                    Total {
                        count: n,
                        exact: true,
                    }
                };
                Ok((links, total))
            })
        })
        .await
    }
}

/// How a query's conditions use the search index: a broad search walks the links instead.
pub(super) fn index_use(broad: bool) -> search::Index {
    if broad {
        search::Index::Unused
    } else {
        search::Index::Filter
    }
}

/// A page of the links matching `filter`, in list order. `broad`: `q` matches many links
/// (see [`Store::search_links_counted`]).
pub(super) fn links_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
    broad: bool,
) -> Sql {
    let dir = if filter.newest_first { " DESC" } else { "" };
    // From a tag's tag-links the order is that of their index (link_created_at is the link's
    // created_at), so a page is read without sorting the tag's every link.
    let tag_order = format!(" ORDER BY d.link_created_at{dir}, d.link_id{dir}");
    match driving_tag(account, filter) {
        Some((tag, rest)) if rest.is_empty() && engine == Engine::MySql && page.offset == 0 => {
            // The first page of a tag on MariaDB: its tag-links in index order, each joined
            // with its link, stopping at the page. The form below made MariaDB copy the page's
            // tag-links into a temporary table and sort it again (a list of 100: ~15% more of
            // its CPU); past the first page that form reads only the page's links.
            let mut sql = Sql::new(&format!(
                "SELECT {LINK_COLUMNS} FROM taglinks d STRAIGHT_JOIN links l \
                 ON l.link_id = d.link_id WHERE d.tag_id = "
            ));
            sql.append(tag).push(&tag_order).page(page);
            sql
        }
        Some((tag, rest)) if rest.is_empty() => {
            // Nothing but the tag: the page of its tag-links first, then just those links.
            let mut sql = Sql::new(&format!(
                "SELECT {LINK_COLUMNS} FROM (SELECT d.link_id, d.link_created_at \
                 FROM taglinks d WHERE d.tag_id = "
            ));
            sql.append(tag).push(&tag_order).page(page);
            sql.push(&format!(
                ") d {} links l ON l.link_id = d.link_id",
                join(engine)
            ))
            .push(&tag_order);
            sql
        }
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, Sql::new(LINK_COLUMNS), tag);
            link_conditions(&mut sql, engine, account, &rest, index_use(broad));
            sql.push(&tag_order).page(page);
            sql
        }
        None => {
            let (mut sql, index) = from_links(engine, Sql::new(LINK_COLUMNS), filter, broad);
            link_conditions(&mut sql, engine, account, filter, index);
            sql.push(&format!(" ORDER BY l.created_at{dir}, l.link_id{dir}"))
                .page(page);
            sql
        }
    }
}

/// With `sort=relevance`, a page of the links matching `filter`, best first (ties newest
/// first). Only the ranking keys of every match are sorted; the page's links are read after
/// (at 100,000 links a third faster than sorting whole rows; a `COUNT(*) OVER ()` here to save
/// the count query was slower on SQLite and PostgreSQL than the two queries). `None` when not
/// sorted by relevance, or when `q` has no word or phrase to rank by.
///
/// `broad`: only the newest [`BROAD`] matches are ranked, found by walking the links newest
/// first; the matches after them follow newest first (score -1), so that pages never overlap.
pub(super) fn ranked_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    page: Page,
    broad: bool,
) -> Option<Sql> {
    if !filter.relevance {
        return None;
    }
    let mut columns = Sql::new("l.link_id AS id, ");
    if !search::push_rank(&mut columns, engine, &filter.query) {
        return None;
    }
    columns.push(" AS score, l.created_at AS created");
    let (mut matches, newest) = match driving_tag(account, filter) {
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, columns, tag);
            link_conditions(&mut sql, engine, account, &rest, index_use(broad));
            (sql, " ORDER BY d.link_created_at DESC, d.link_id DESC")
        }
        None => {
            let (mut sql, index) = from_links(engine, columns, filter, broad);
            link_conditions(&mut sql, engine, account, filter, index);
            (sql, " ORDER BY l.created_at DESC, l.link_id DESC")
        }
    };
    let mut ranked = if broad {
        matches
            .push(newest)
            .push(" LIMIT ?")
            .int(BROAD.max(page.offset.saturating_add(page.limit)));
        let mut sql = Sql::new(
            "SELECT w.id AS id, w.created AS created, \
             CASE WHEN ROW_NUMBER() OVER (ORDER BY w.created DESC, w.id DESC) <= ? \
             THEN w.score ELSE -1 END AS score FROM (",
        );
        sql.int(BROAD).append(matches).push(") w");
        sql
    } else {
        matches
    };
    ranked
        .push(" ORDER BY score DESC, created DESC, id DESC")
        .page(page);
    let mut sql = Sql::new(&format!("SELECT {LINK_COLUMNS} FROM ("));
    sql.append(ranked).push(&format!(
        ") p {} links l ON l.link_id = p.id ORDER BY p.score DESC, p.created DESC, p.id DESC",
        join(engine)
    ));
    Some(sql)
}

/// `SELECT <columns> FROM` the links `filter` may match `WHERE` (conditions follow), and how
/// the conditions use the search index: on SQLite its matches of `q` lead, as they are usually
/// far fewer than the account's links (the join keeps that order: a CROSS JOIN is never
/// reordered), unless the search is `broad`.
pub(super) fn from_links(
    engine: Engine,
    columns: Sql,
    filter: &LinkFilter,
    broad: bool,
) -> (Sql, search::Index) {
    let mut sql = Sql::new("SELECT ");
    sql.append(columns);
    match search::fts_match(engine, &filter.query).filter(|_| !broad) {
        Some(expr) => {
            sql.push(
                " FROM links_fts f CROSS JOIN links l ON l.rowid = f.rowid \
                 WHERE links_fts MATCH ?",
            )
            .text(expr);
            (sql, search::Index::Joined)
        }
        None => {
            sql.push(" FROM links l WHERE 1 = 1");
            (sql, index_use(broad))
        }
    }
}

/// How many links match `filter`; with `cap`, at most `cap + 1` are counted.
pub(super) fn count_query(
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    cap: Option<i64>,
) -> Sql {
    let columns = if cap.is_some() {
        "1 AS one"
    } else {
        "COUNT(*)"
    };
    let sql = match driving_tag(account, filter) {
        Some((tag, rest)) if rest.is_empty() => {
            // A tag's tag-links all belong to links of the tag's account: count the range.
            let mut sql = Sql::new(&format!(
                "SELECT {columns} FROM taglinks d WHERE d.tag_id = "
            ));
            sql.append(tag);
            sql
        }
        Some((tag, rest)) => {
            let mut sql = from_tag(engine, Sql::new(columns), tag);
            link_conditions(&mut sql, engine, account, &rest, search::Index::Filter);
            sql
        }
        None => {
            let (mut sql, index) = from_links(engine, Sql::new(columns), filter, false);
            link_conditions(&mut sql, engine, account, filter, index);
            sql
        }
    };
    match cap {
        Some(cap) => {
            let mut capped = Sql::new("SELECT COUNT(*) FROM (");
            capped.append(sql).push(" LIMIT ?) c").int(cap + 1);
            capped
        }
        None => sql,
    }
}

/// The tag a links query can start from, as an expression for `d.tag_id`, and the rest of the
/// filter: a tag id (for an account caller, only its own tag: another's yields NULL, matching
/// nothing), or a tag name of the caller's account (an account has one tag per name; the
/// admin's view may have several, so it filters links instead).
pub(super) fn driving_tag(account: Option<&str>, filter: &LinkFilter) -> Option<(Sql, LinkFilter)> {
    let mut rest = filter.clone();
    let mut tag = Sql::new("");
    match (rest.tag_id.take(), account) {
        (Some(tag_id), None) => {
            tag.push("?").text(tag_id);
        }
        (Some(tag_id), Some(account_id)) => {
            tag.push("(SELECT t.tag_id FROM tags t WHERE t.tag_id = ? AND t.account_id = ?)")
                .text(tag_id)
                .text(account_id);
        }
        (None, Some(account_id)) if !rest.tags.is_empty() => {
            let name = rest.tags.remove(0);
            tag.push("(SELECT t.tag_id FROM tags t WHERE t.account_id = ? AND t.tag_key = ?)")
                .text(account_id)
                .text(tag_key(&name));
        }
        (None, _) => return None,
    }
    Some((tag, rest))
}

/// `SELECT <columns>` of a tag's tag-links (`d`, tag `tag`) joined with their links (`l`).
pub(super) fn from_tag(engine: Engine, columns: Sql, tag: Sql) -> Sql {
    let mut sql = Sql::new("SELECT ");
    sql.append(columns).push(&format!(
        " FROM taglinks d {} links l ON l.link_id = d.link_id WHERE d.tag_id = ",
        join(engine)
    ));
    sql.append(tag);
    sql
}

/// An inner join taken in the order written (SQLite's planner would otherwise reorder it).
pub(super) fn join(engine: Engine) -> &'static str {
    engine.dialect().join
}

/// What a list of links is narrowed to; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    /// Carrying the tag of this id.
    pub tag_id: Option<String>,
    /// Carrying a tag of each of these names (compared case-insensitively).
    pub tags: Vec<String>,
    /// A parsed `q`: words, phrases, exclusions and `OR` matched in the title, description,
    /// notes or URL regardless of case, and `#tag` (see [`crate::query`] and [`search`]).
    pub query: crate::query::Query,
    /// Rank the links matching `query`'s words and phrases, best first (ties in list order).
    pub relevance: bool,
    /// Count every match of `query`, however many (see [`Store::search_links_counted`]).
    pub exact_count: bool,
    /// Exactly this URL.
    pub url: Option<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Only links marked (`true`) or not marked (`false`) to read later.
    pub unread: Option<bool>,
    /// Only favourites (`true`) or only the others (`false`).
    pub favorite: Option<bool>,
}

impl LinkFilter {
    /// True when no condition is left (the order does not count).
    pub(super) fn is_empty(&self) -> bool {
        self.tag_id.is_none()
            && self.tags.is_empty()
            && self.query.is_empty()
            && self.url.is_none()
            && self.unread.is_none()
            && self.favorite.is_none()
    }
}

/// The `AND ...` conditions of `filter`, always scoped to `account` when one is given.
///
/// Tag conditions are uncorrelated `IN` subqueries rather than `EXISTS` per link: the engine
/// can then start from the tag's few tag-links instead of probing every link of the account,
/// which is what makes a total count over 100,000 links cheap. A tag-link always belongs to
/// its link's account, so the tag's account need not be compared with the link's.
///
/// `index`: how `q` uses the search index (see [`from_links`]).
pub(super) fn link_conditions(
    sql: &mut Sql,
    engine: Engine,
    account: Option<&str>,
    filter: &LinkFilter,
    index: search::Index,
) {
    sql.and_eq("l.account_id", account);
    if let Some(tag_id) = &filter.tag_id {
        sql.push(" AND l.link_id IN (SELECT tl.link_id FROM taglinks tl WHERE tl.tag_id = ?)")
            .text(tag_id);
    }
    for name in &filter.tags {
        sql.push(
            " AND l.link_id IN (SELECT tl.link_id FROM tags t \
             JOIN taglinks tl ON tl.tag_id = t.tag_id WHERE t.tag_key = ?",
        )
        .text(tag_key(name))
        .and_eq("t.account_id", account)
        .push(")");
    }
    if let Some(url) = &filter.url {
        sql.push(" AND l.link_hash = ? AND l.link = ?")
            .text(link_hash(url))
            .text(url);
    }
    // Literals, not bound values: the flag columns are SMALLINT and the values are 0 or 1.
    for (column, value) in [("l.unread", filter.unread), ("l.favorite", filter.favorite)] {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = {}", i32::from(value)));
        }
    }
    search::push_conditions(sql, engine, account, &filter.query, index);
}
