//! [`Sql`]: a statement assembled from fragments, with its arguments.

use crate::model::Page;

/// Arguments collected while a query is assembled.
#[derive(Clone)]
pub(super) enum Arg {
    Text(String),
    /// A text that may be NULL (never compared, so never a reason to match nothing).
    OptText(Option<String>),
    Int(i64),
}

/// False for a text no stored key can equal: one holding NUL or ending in a space (see
/// [`Sql::matches_nothing`]). A statement looking a row up by such a key finds nothing, and is
/// not sent (PostgreSQL refuses NUL in a text).
pub(crate) fn can_be_key(text: &str) -> bool {
    !(text.contains('\0') || text.ends_with(' '))
}

/// A query assembled from fragments, with `?` placeholders (rewritten for PostgreSQL when run).
#[derive(Clone)]
pub struct Sql {
    pub(super) text: String,
    pub(super) args: Vec<Arg>,
    /// See [`Sql::custom_plan`].
    pub(super) custom_plan: bool,
}

impl Sql {
    pub(super) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            custom_plan: false,
        }
    }
    /// Planned for its arguments each time it runs, not once for any: PostgreSQL's plan for a
    /// search depends on how common its words are (a generic plan for `LIKE ?` guesses, and
    /// guessed wrong by 100 times for a two-letter word). The statement is not kept prepared.
    pub(super) fn custom_plan(&mut self) -> &mut Self {
        self.custom_plan = true;
        self
    }
    pub(super) fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }
    pub(super) fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.args.push(Arg::Text(value.into()));
        self
    }
    pub(super) fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        self.args.push(Arg::OptText(value.map(str::to_owned)));
        self
    }
    pub(super) fn int(&mut self, value: i64) -> &mut Self {
        self.args.push(Arg::Int(value));
        self
    }
    /// `AND <column> = ?` when `value` is given.
    pub(super) fn and_eq(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.push(" AND ").push(column).push(" = ?").text(value);
        }
        self
    }
    /// For a query that only finds rows (a SELECT, or a DELETE): true when a text argument holds
    /// NUL or ends in a space. No stored key does (validation refuses NUL, names are trimmed,
    /// ids are generated), and the engines would not agree on them: PostgreSQL cannot compare
    /// with NUL, and MySQL's PAD SPACE collations ignore trailing spaces, so that `id + " "`
    /// would find `id`. Such a query is answered without asking the database. Statements that
    /// write values (INSERT, UPDATE) are never skipped: a value may end in a space.
    pub(super) fn matches_nothing(&self) -> bool {
        let finds_only = ["SELECT", "DELETE"]
            .iter()
            .any(|verb| self.text.trim_start().starts_with(verb));
        finds_only
            && self
                .args
                .iter()
                .any(|a| matches!(a, Arg::Text(s) if !can_be_key(s)))
    }
    /// Another query's text and arguments, appended.
    pub(super) fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self.custom_plan |= other.custom_plan;
        self
    }
    pub(super) fn page(&mut self, page: Page) -> &mut Self {
        self.push(" LIMIT ? OFFSET ?")
            .int(page.limit)
            .int(page.offset)
    }
}
