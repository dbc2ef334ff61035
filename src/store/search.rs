//! `q` (see [`crate::query`]) as SQL on a link `l`: which links match, and how well.
//!
//! What matches is the same on every engine, because it is decided on `search_text`, the
//! link's lower-cased title, description, notes and URL, one field a line (folded by tagmark,
//! not by the engine): a word or phrase matches where it occurs as a substring, as `LIKE`
//! decides. Each engine finds the candidates on its own index — SQLite an FTS5 trigram table
//! (`links_fts`, migration 0007), PostgreSQL a `pg_trgm` GIN index that serves the `LIKE`
//! itself — and neither index can change the answer: a trigram match of a string of three or
//! more characters is exactly a substring match, and shorter strings are left to `LIKE`.
//!
//! Relevance ranks a match in the title above one in the description or notes above one in the
//! URL: `search_text` holds the fields in that order, so the first occurrence of a term tells
//! the best field it occurs in.
//!
//! MariaDB has no n-gram parser, and its FULLTEXT index matches whole words only; so tagmark
//! gives it the trigrams itself: `search_grams` (migration 0008) holds the distinct trigrams of
//! `search_text`, each written as the lower-case hex of its UTF-8 bytes (six to 24 characters
//! of `[0-9a-f]`: one word to InnoDB's tokenizer, never a stopword, never shorter than
//! `innodb_ft_min_token_size`). A word or phrase of three or more characters then finds its
//! candidates with `MATCH … AGAINST('+g1 +g2 …' IN BOOLEAN MODE)`, and the `LIKE` on
//! `search_text` decides, as on the other engines.

use std::collections::HashSet;

use super::{like_escape, tag_key, Engine, Sql};
use crate::query::{Clause, Query, Term};

/// Shortest string (in characters) the SQLite trigram index can find.
const TRIGRAM: usize = 3;

/// The columns a link's searchable text is written to (in an `INSERT`'s column list; bound
/// with [`bind_text`]): `search_text`, and on MariaDB its trigrams.
pub(super) fn text_columns(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "search_text, search_grams",
        Engine::Sqlite | Engine::Postgres => "search_text",
    }
}

/// The placeholders of [`text_columns`] in an `INSERT`'s values.
pub(super) fn text_values(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "?, ?",
        Engine::Sqlite | Engine::Postgres => "?",
    }
}

/// [`text_columns`] as an `UPDATE`'s assignments.
pub(super) fn text_assignments(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "search_text = ?, search_grams = ?",
        Engine::Sqlite | Engine::Postgres => "search_text = ?",
    }
}

/// Bind the values of [`text_columns`] for a link whose `search_text` is `text`.
pub(super) fn bind_text(sql: &mut Sql, engine: Engine, text: String) {
    if engine == Engine::MySql {
        let grams = search_grams(&text);
        sql.text(text).text(grams);
    } else {
        sql.text(text);
    }
}

/// A condition (`OR …`) that finds links whose derived search columns are missing, for
/// `Store::fill_link_keys`.
pub(super) fn text_missing(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "search_text IS NULL OR search_grams IS NULL",
        Engine::Sqlite | Engine::Postgres => "search_text IS NULL",
    }
}

/// One trigram (three characters) as MariaDB's index stores it: the lower-case hex of its
/// UTF-8 bytes.
fn gram_token(gram: &[char]) -> String {
    let mut bytes = [0u8; 4];
    let mut out = String::with_capacity(gram.len() * 2);
    for c in gram {
        for b in c.encode_utf8(&mut bytes).as_bytes() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

/// What MariaDB's FULLTEXT index holds of a link: the distinct trigrams of its `search_text`
/// as [`gram_token`]s, space-separated (trigrams across two fields are left out: no term spans
/// a line break).
pub fn search_grams(search_text: &str) -> String {
    let chars: Vec<char> = search_text.chars().collect();
    let mut seen = HashSet::new();
    let mut out = String::new();
    for gram in chars.windows(TRIGRAM) {
        if gram.contains(&'\n') {
            continue;
        }
        let token = gram_token(gram);
        if seen.insert(token.clone()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&token);
        }
    }
    out
}

/// The trigrams that find the candidates for a word or phrase of at least three characters:
/// every third one and the last, which cover the term (any subset would do, since `LIKE`
/// decides; fewer lists for the index to read, with little lost in selectivity).
fn term_grams(text: &str, token: impl Fn(&[char]) -> String) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut starts: Vec<usize> = (0..=chars.len().saturating_sub(TRIGRAM))
        .step_by(TRIGRAM)
        .collect();
    if chars.len() >= TRIGRAM {
        starts.push(chars.len() - TRIGRAM);
    }
    let mut out: Vec<String> = Vec::new();
    for start in starts {
        if let Some(gram) = chars.get(start..start + TRIGRAM) {
            let token = token(gram);
            if !out.contains(&token) {
                out.push(token);
            }
        }
    }
    out
}

/// The boolean-mode `AGAINST` string that finds MariaDB's candidates for the clauses the
/// trigrams answer: `+(+g1 +g2) +((+g3) (+g4 +g5))` for `term1 (term2 OR term3)`.
fn grams_expression(query: &Query) -> Option<String> {
    let groups = index_groups(query);
    (!groups.is_empty()).then(|| {
        groups
            .iter()
            .map(|any| {
                let terms: Vec<String> = any
                    .iter()
                    .map(|text| format!("(+{})", term_grams(text, gram_token).join(" +")))
                    .collect();
                format!("+({})", terms.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// How a query over links uses the engine's search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Index {
    /// As a condition (SQLite: `rowid IN` its matches; MariaDB: `MATCH`); the engine decides
    /// where to start.
    Filter,
    /// SQLite: the query already starts from the index's matches of [`fts_match`] (see
    /// `from_links`).
    Joined,
    /// Not at all: every term is checked with `LIKE` on each link the query walks. For a
    /// broad `q`, whose matches are many: walking the links in list order reaches a page
    /// sooner than reading every match from the index.
    Unused,
}

/// `AND ...` for each clause of `query`.
pub(super) fn push_conditions(
    sql: &mut Sql,
    engine: Engine,
    account: Option<&str>,
    query: &Query,
    index: Index,
) {
    let mut rest: Vec<&Clause> = query.clauses.iter().collect();
    if index != Index::Unused {
        if engine == Engine::MySql {
            // The index narrows; every clause is still decided by LIKE below.
            if let Some(expr) = grams_expression(query) {
                sql.push(" AND MATCH (l.search_grams) AGAINST (? IN BOOLEAN MODE)")
                    .text(expr);
            }
        }
        if let Some(expr) = fts_match(engine, query) {
            // Only the clauses the index answers exactly go to it.
            rest.retain(|c| !fts_clause(c));
            if index == Index::Filter {
                sql.push(" AND l.rowid IN (SELECT rowid FROM links_fts WHERE links_fts MATCH ?)")
                    .text(expr);
            }
        }
    }
    for clause in rest {
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

/// The FTS5 query that finds the candidates for `query` on SQLite's index, if it has terms
/// the index answers.
pub(super) fn fts_match(engine: Engine, query: &Query) -> Option<String> {
    if engine == Engine::Sqlite {
        fts_expression(query)
    } else {
        None
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

/// A clause the trigram index answers exactly: one of several words or phrases, each of at
/// least three characters.
fn fts_clause(clause: &Clause) -> bool {
    match clause {
        Clause::AnyOf(terms) => terms.iter().all(|t| match t {
            Term::Word(text) | Term::Phrase(text) => text.chars().count() >= TRIGRAM,
            Term::Tag(_) => false,
        }),
        Clause::Not(_) => false,
    }
}

/// The FTS5 query of the clauses the index answers: `("a" OR "b") AND ("c")`, each string
/// quoted (a trigram string matches as a substring), or `None` when there are none.
fn fts_expression(query: &Query) -> Option<String> {
    let groups = index_groups(query);
    (!groups.is_empty()).then(|| {
        groups
            .iter()
            .map(|any| {
                let terms: Vec<String> = any.iter().map(|text| fts_string(text)).collect();
                format!("({})", terms.join(" OR "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    })
}

/// Words and phrases longer than this are looked up in SQLite's index by some of their
/// trigrams (see [`fts_candidates`]).
const SAMPLED: usize = 6;

/// SQLite: an FTS5 query that finds candidates for the clauses the index answers (a superset
/// of their matches) on fewer of its lists than [`fts_match`]: a word or phrase of more than
/// [`SAMPLED`] characters by every third of its trigrams and its last one, in any order (as a
/// phrase of all its trigrams, each candidate's positions are compared). Every clause must
/// still be checked with `LIKE`. `None` when nothing was sampled: [`fts_match`] is as good.
pub(super) fn fts_candidates(engine: Engine, query: &Query) -> Option<String> {
    let groups = index_groups(query);
    let sampled = groups
        .iter()
        .flatten()
        .any(|text| text.chars().count() > SAMPLED);
    (engine == Engine::Sqlite && sampled).then(|| {
        groups
            .iter()
            .map(|any| {
                let terms: Vec<String> = any
                    .iter()
                    .map(|text| {
                        if text.chars().count() > SAMPLED {
                            let grams = term_grams(text, |gram| {
                                fts_string(&gram.iter().collect::<String>())
                            });
                            format!("({})", grams.join(" AND "))
                        } else {
                            fts_string(text)
                        }
                    })
                    .collect();
                format!("({})", terms.join(" OR "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    })
}

/// A string FTS5 matches as a substring (with the trigram tokenizer).
fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The clauses a trigram index answers, each as the words and phrases one of which must occur.
fn index_groups(query: &Query) -> Vec<Vec<&str>> {
    query
        .clauses
        .iter()
        .filter(|c| fts_clause(c))
        .filter_map(|c| match c {
            Clause::AnyOf(terms) => Some(
                terms
                    .iter()
                    .filter_map(|t| match t {
                        Term::Word(text) | Term::Phrase(text) => Some(text.as_str()),
                        Term::Tag(_) => None,
                    })
                    .collect(),
            ),
            Clause::Not(_) => None,
        })
        .collect()
}

/// The words and phrases a link is ranked by (those it must, or may, contain).
fn rank_terms(query: &Query) -> Vec<&str> {
    let mut out = Vec::new();
    for clause in &query.clauses {
        if let Clause::AnyOf(terms) = clause {
            for term in terms {
                if let Term::Word(text) | Term::Phrase(text) = term {
                    out.push(text.as_str());
                }
            }
        }
    }
    out
}

/// A link's relevance score: for each term, 4 when it occurs in the title, 2 in the
/// description or notes, 1 only in the URL, summed. False (and nothing pushed) when `query` has
/// no term to rank by.
///
/// `search_text` holds the four fields one a line, URL last, with no line break inside a field
/// (see [`super::search_text`]), so a term occurs in the title when an occurrence is followed by
/// three line breaks, and before the URL when by one: three `LIKE`s a term, which compare bytes.
/// (Positions, as `strpos` and `length` count them, cost PostgreSQL a walk over the characters
/// for each call: the ranking of a page of 1,001 matches took 2.3 ms for one term that way, 1.6
/// ms with the three patterns, of which 1.2 ms is the walk itself.)
pub(super) fn push_rank(sql: &mut Sql, engine: Engine, query: &Query) -> bool {
    let terms = rank_terms(query);
    if terms.is_empty() {
        return false;
    }
    if engine == Engine::Sqlite {
        sql.push(&format!("{}(l.search_text", super::sqlite::RANK_FUNCTION));
        for term in terms {
            sql.push(", ?").text(term);
        }
        sql.push(")");
        return true;
    }
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            sql.push(" + ");
        }
        let pattern = like_escape(term);
        sql.push(
            "(CASE WHEN l.search_text LIKE ? ESCAPE '!' THEN 4 \
             WHEN l.search_text LIKE ? ESCAPE '!' THEN 2 \
             WHEN l.search_text LIKE ? ESCAPE '!' THEN 1 ELSE 0 END)",
        )
        .text(format!("%{pattern}%\n%\n%\n%"))
        .text(format!("%{pattern}%\n%"))
        .text(format!("%{pattern}%"));
    }
    true
}

/// A link's relevance score as [`push_rank`]'s SQL computes it, run by SQLite as a function
/// of tagmark's (`tagmark_rank`, registered on each connection): per term, 4 when an
/// occurrence is followed by three line breaks (the title), 2 by one (description or notes), 1
/// when it occurs at all (the URL), summed.
pub(super) fn relevance<'t>(search_text: &str, terms: impl IntoIterator<Item = &'t str>) -> i64 {
    // The ends of the text before its third-last and its last line break: an occurrence that
    // ends there is followed by that many.
    let mut breaks = search_text.rmatch_indices('\n').map(|(at, _)| at);
    let before_url = breaks.next();
    let title = breaks.nth(1);
    let within =
        |end: Option<usize>, term: &str| end.is_some_and(|e| search_text[..e].contains(term));
    terms
        .into_iter()
        .map(|term| {
            if within(title, term) {
                4
            } else if within(before_url, term) {
                2
            } else if search_text.contains(term) {
                1
            } else {
                0
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn the_trigram_index_gets_only_what_it_answers_exactly() {
        assert_eq!(
            fts_expression(&parse(r#"rust go a"bc -draft #tag ab OR abc lang OR food"#)).as_deref(),
            Some(r#"("rust") AND ("a""bc") AND ("lang" OR "food")"#)
        );
        assert_eq!(fts_expression(&parse("go -rust #x")), None);
        assert_eq!(
            fts_candidates(Engine::Sqlite, &parse(r#"kiwi "about echo" OR rust"#)).as_deref(),
            Some(r#"("kiwi") AND (("abo" AND "ut " AND "ech" AND "cho") OR "rust")"#)
        );
        assert_eq!(fts_candidates(Engine::Sqlite, &parse("rust")), None);
        assert_eq!(rank_terms(&parse("a -b c OR #d")), vec!["a", "c"]);
    }

    #[test]
    fn relevance_scores_the_best_field_a_term_occurs_in() {
        let text = "rust book\nabout go\n\nhttps://rust-lang.org/ä";
        assert_eq!(relevance(text, ["rust"]), 4);
        assert_eq!(relevance(text, ["go"]), 2);
        assert_eq!(relevance(text, ["lang", "zulu"]), 1);
        assert_eq!(relevance(text, ["book", "about", "org/ä"]), 4 + 2 + 1);
        // In the notes and the URL: the notes count.
        assert_eq!(relevance("a\nb\nnote\nhttps://note.example", ["note"]), 2);
        assert_eq!(relevance("", ["x"]), 0);
        assert_eq!(relevance("no line breaks x", ["x"]), 1);
    }

    #[test]
    fn mariadb_gets_trigrams_as_hex_words() {
        // "abc" is 61 62 63; "äb" two bytes and one.
        assert_eq!(search_grams("abcab\nabc"), "616263 626361 636162");
        assert_eq!(search_grams("äbä"), "c3a462c3a4");
        assert_eq!(search_grams("ab"), "");
        // Every third trigram and the last: "alpha" is alp + pha.
        assert_eq!(term_grams("alpha", gram_token), vec!["616c70", "706861"]);
        assert_eq!(term_grams("abcabc", gram_token), vec!["616263"]);
        assert_eq!(
            grams_expression(&parse("abc go -xyz abcd OR \"a bc\"")).as_deref(),
            Some("+((+616263)) +((+616263 +626364) (+612062 +206263))")
        );
        assert_eq!(grams_expression(&parse("go -abc #t")), None);
    }
}
