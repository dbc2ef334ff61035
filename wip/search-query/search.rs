//! `q` (see [`crate::query`]) as SQL conditions on a link `l`: the same text on every engine.
//! Words and phrases are matched in `search_text`, the lower-cased URL, title, description and
//! notes (one field a line, so a phrase never spans two fields), as substrings; `#tag` is a
//! tag-link of the link's account.

use super::{like_escape, tag_key, Sql};
use crate::query::{Clause, Query, Term};

/// `AND (...)` for each clause of `query`.
pub(super) fn push_query(sql: &mut Sql, account: Option<&str>, query: &Query) {
    for clause in &query.clauses {
        match clause {
            Clause::AnyOf(terms) => {
                sql.push(" AND (");
                for (i, term) in terms.iter().enumerate() {
                    if i > 0 {
                        sql.push(" OR ");
                    }
                    push_term(sql, account, term);
                }
                sql.push(")");
            }
            Clause::Not(term) => {
                sql.push(" AND NOT (");
                push_term(sql, account, term);
                sql.push(")");
            }
        }
    }
}

fn push_term(sql: &mut Sql, account: Option<&str>, term: &Term) {
    match term {
        Term::Word(text) | Term::Phrase(text) => {
            sql.push("l.search_text LIKE ? ESCAPE '!'")
                .text(format!("%{}%", like_escape(text)));
        }
        Term::Tag(name) => {
            sql.push(
                "l.link_id IN (SELECT tl.link_id FROM tags t \
                 JOIN taglinks tl ON tl.tag_id = t.tag_id WHERE t.tag_key = ?",
            )
            .text(tag_key(name))
            .and_eq("t.account_id", account)
            .push(")");
        }
    }
}
