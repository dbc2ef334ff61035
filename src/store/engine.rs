//! Which database engine a URL names, and the SQL differences the shared queries ask it for.

use anyhow::bail;

use super::conn::Dialect;
use super::{mysql, postgres, sqlite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

impl Engine {
    /// The engine a URL names, and the URL as the driver wants it. Unknown schemes are errors,
    /// so a typo never creates a new empty database somewhere.
    pub fn from_url(url: &str) -> anyhow::Result<(Engine, String)> {
        let Some((scheme, rest)) = url.split_once(':') else {
            bail!("database URL {url:?} has no scheme; use sqlite://, mysql://, mariadb:// or postgres://");
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                // Create the file on first start.
                let url = if rest.contains("mode=") || rest.contains(":memory:") {
                    url.to_owned()
                } else if rest.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                Ok((Engine::Sqlite, url))
            }
            "mysql" | "mariadb" => Ok((Engine::MySql, format!("mysql:{rest}"))),
            "postgres" | "postgresql" => Ok((Engine::Postgres, format!("postgres:{rest}"))),
            other => bail!(
                "unsupported database URL scheme {other:?}; use sqlite://, mysql://, mariadb:// or postgres://"
            ),
        }
    }

    /// The engine's SQL differences, as its module states them.
    pub(super) fn dialect(self) -> &'static Dialect {
        match self {
            Engine::Sqlite => &sqlite::DIALECT,
            Engine::MySql => &mysql::DIALECT,
            Engine::Postgres => &postgres::DIALECT,
        }
    }

    /// `INSERT` that silently does nothing when a unique key already holds the row.
    pub(super) fn insert_ignore(self, table_columns_values: &str) -> String {
        let (insert, suffix) = self.dialect().insert_ignore;
        format!("{insert}{table_columns_values}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_engines() {
        assert_eq!(
            Engine::from_url("sqlite://x.db").unwrap().1,
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            Engine::from_url("mariadb://h/db").unwrap(),
            (Engine::MySql, "mysql://h/db".into())
        );
        assert_eq!(
            Engine::from_url("postgresql://h/db").unwrap().0,
            Engine::Postgres
        );
        assert!(Engine::from_url("sqlit://x.db").is_err());
        assert!(Engine::from_url("tagmark.db").is_err());
    }
}
