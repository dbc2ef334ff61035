//! Settings: named values the server keeps in the database.

use super::{Sql, Store};
use crate::error::{ApiError, ApiResult};

impl Store {
    /// The stored value of `name`, storing `value` first if there is none. Safe when several
    /// servers start at once: the first insert wins and everybody reads that one.
    pub async fn setting_or_init(&self, name: &str, value: &str) -> ApiResult<String> {
        let args = (name.to_owned(), value.to_owned());
        self.write(args, |mut c, (name, value)| {
            Box::pin(async move {
                let mut insert = Sql::new(&c.insert_ignore("settings (name, value) VALUES (?, ?)"));
                insert.text(&name).text(value);
                c.insert(insert).await?;
                let mut select = Sql::new("SELECT value FROM settings WHERE name = ?");
                select.text(&name);
                let row: Option<(String,)> = c.fetch_optional(select).await?;
                row.map(|(v,)| v)
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("setting {name} vanished")))
            })
        })
        .await
    }
}
