//! The search language of `GET /link/?q=`, parsed once into a small tree that each store
//! renders: words (all required), `"exact phrase"`, `-word` / `-"phrase"` / `-#tag`
//! (excluded), `#tag` (carrying that tag) and `OR` between two terms (either will do; `OR`
//! binds tighter than the implicit AND: `a b OR c` is `a AND (b OR c)`).
//!
//! Lenient by design, as a search box should be: an unterminated quote runs to the end, a
//! lone `-`, `#` or `OR` with nothing to join is ignored, and words are compared regardless of
//! case (they are lower-cased here).

/// One thing a link may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word (lower-cased).
    Word(String),
    /// Words that must occur together, in this order (lower-cased).
    Phrase(String),
    /// Carrying the tag of this name (compared regardless of case).
    Tag(String),
}

/// A condition every matching link meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// At least one of these terms (one alone when there was no `OR`).
    AnyOf(Vec<Term>),
    /// Not this term.
    Not(Term),
}

/// A parsed `q`: all clauses hold. Empty when `q` held nothing to search for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// A token of `q`: a term, possibly negated, or the `OR` keyword.
#[derive(Debug, PartialEq)]
enum Token {
    Term { term: Term, negated: bool },
    Or,
}

fn tokens(q: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return out;
        };
        let mut negated = false;
        if first == '-' {
            negated = true;
            chars.next();
        }
        let term = if chars.peek() == Some(&'"') {
            chars.next();
            let mut phrase = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                phrase.push(c);
            }
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            (!phrase.is_empty()).then(|| Term::Phrase(phrase.to_lowercase()))
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            if !negated && word == "OR" {
                out.push(Token::Or);
                continue;
            }
            match word.strip_prefix('#') {
                Some(tag) => (!tag.is_empty()).then(|| Term::Tag(tag.to_owned())),
                None => (!word.is_empty()).then(|| Term::Word(word.to_lowercase())),
            }
        };
        if let Some(term) = term {
            out.push(Token::Term { term, negated });
        }
    }
}

/// Take out the `#tag` clauses that stand alone (not in an `OR`, not excluded): their names.
/// A list filtered by tag name reads the tag's own index (`tags=`), which these then join.
pub fn take_required_tags(query: &mut Query) -> Vec<String> {
    let mut tags = Vec::new();
    query.clauses.retain(|clause| match clause {
        Clause::AnyOf(terms) => match terms.as_slice() {
            [Term::Tag(name)] => {
                tags.push(name.clone());
                false
            }
            _ => true,
        },
        Clause::Not(_) => true,
    });
    tags
}

/// Parse `q`.
pub fn parse(q: &str) -> Query {
    let mut clauses: Vec<Clause> = Vec::new();
    // Whether the last clause is an AnyOf that a following `OR` may extend.
    let mut joinable = false;
    let mut pending_or = false;
    for token in tokens(q) {
        match token {
            Token::Or => pending_or = joinable,
            Token::Term {
                term,
                negated: true,
            } => {
                clauses.push(Clause::Not(term));
                joinable = false;
                pending_or = false;
            }
            Token::Term {
                term,
                negated: false,
            } => {
                match (pending_or, clauses.last_mut()) {
                    (true, Some(Clause::AnyOf(terms))) => {
                        if !terms.contains(&term) {
                            terms.push(term);
                        }
                    }
                    _ => clauses.push(Clause::AnyOf(vec![term])),
                }
                joinable = true;
                pending_or = false;
            }
        }
    }
    clauses.dedup();
    Query { clauses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Term {
        Term::Word(w.into())
    }

    #[test]
    fn words_are_all_required_and_lower_cased() {
        assert_eq!(
            parse("  Rust  Book "),
            Query {
                clauses: vec![
                    Clause::AnyOf(vec![word("rust")]),
                    Clause::AnyOf(vec![word("book")])
                ]
            }
        );
        assert!(parse("").is_empty());
        assert!(parse("   ").is_empty());
    }

    #[test]
    fn phrases_tags_and_exclusions() {
        assert_eq!(
            parse(r#""The  Rust Book" -draft #Lang -#old -"bad idea""#).clauses,
            vec![
                Clause::AnyOf(vec![Term::Phrase("the rust book".into())]),
                Clause::Not(word("draft")),
                Clause::AnyOf(vec![Term::Tag("Lang".into())]),
                Clause::Not(Term::Tag("old".into())),
                Clause::Not(Term::Phrase("bad idea".into())),
            ]
        );
        // An unterminated quote runs to the end; empty ones are nothing.
        assert_eq!(
            parse(r#"a "b c"#).clauses,
            vec![
                Clause::AnyOf(vec![word("a")]),
                Clause::AnyOf(vec![Term::Phrase("b c".into())])
            ]
        );
        assert!(parse(r#""" - # -#"#).is_empty());
    }

    #[test]
    fn or_binds_two_terms_tighter_than_and() {
        assert_eq!(
            parse("a b OR c OR #d e").clauses,
            vec![
                Clause::AnyOf(vec![word("a")]),
                Clause::AnyOf(vec![word("b"), word("c"), Term::Tag("d".into())]),
                Clause::AnyOf(vec![word("e")]),
            ]
        );
        // Nothing to join: ignored. Lower-case "or" is a word.
        assert_eq!(
            parse("OR a OR").clauses,
            vec![Clause::AnyOf(vec![word("a")])]
        );
        assert_eq!(
            parse("-a OR b").clauses,
            vec![Clause::Not(word("a")), Clause::AnyOf(vec![word("b")])]
        );
        assert_eq!(
            parse("a or b").clauses.len(),
            3,
            "lower-case or is a word like any other"
        );
        // `-OR` excludes the word "or".
        assert_eq!(parse("-OR").clauses, vec![Clause::Not(word("or"))]);
    }
}
