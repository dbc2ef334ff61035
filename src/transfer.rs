//! Import and export of an account's links as a Netscape bookmark file (or JSON): the rules
//! shared by `POST /import/`, `GET /export/` and the `tagmark import`/`export` commands.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::config::ExportFormat;
use crate::config::{Command, Config};
use crate::error::{ApiError, ApiResult};
use crate::model::{now_micros, Link, LinkFlags};
use crate::netscape::{self, Bookmark, Entry};
use crate::store::open_store;
use crate::store::transfer::NewLink;
use crate::store::{tag_key, Store};
use crate::validate;

/// Largest bookmark file accepted by `POST /import/` (other requests keep the 1 MiB limit).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Links stored.
    pub created: u64,
    /// Links not stored because the account already had their URL (or the file repeats it).
    pub skipped: u64,
    /// Entries that could not be stored, with the reason.
    pub invalid: Vec<InvalidBookmark>,
}

/// An entry of the file that was not imported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvalidBookmark {
    /// Line of the entry's `<A>` tag in the file.
    pub line: usize,
    /// Its `HREF`, when it has one.
    pub url: Option<String>,
    pub reason: String,
}

/// How an import treats what the format has and tagmark does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Tag each link with the names of the folders it is in (browsers' files); off by default,
    /// as in Pinboard, linkding and Shaarli.
    pub folder_tags: bool,
}

/// A link with its tag names, as `GET /export/?format=json` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedLink {
    #[serde(flatten)]
    pub link: Link,
    /// Names of the tags the link carries, ordered by name.
    pub tags: Vec<String>,
}

/// Read a bookmark file and store its links in `account_id`, all or nothing. A file that is
/// not a bookmark file is refused (422) before anything is stored; single entries that cannot
/// be stored are reported and left out.
pub async fn import(
    store: &Store,
    account_id: &str,
    file: &[u8],
    options: ImportOptions,
) -> ApiResult<ImportReport> {
    let text = std::str::from_utf8(file).map_err(|e| {
        ApiError::Unprocessable(format!(
            "The bookmark file is not UTF-8 text (invalid bytes after byte {})",
            e.valid_up_to()
        ))
    })?;
    let bookmarks = netscape::parse(text)
        .map_err(|e| ApiError::Unprocessable(format!("Not a valid Netscape bookmark file: {e}")))?;
    let (links, invalid) = prepare(bookmarks, options, now_micros());
    let counts = store.import_links(account_id, links).await?;
    Ok(ImportReport {
        created: counts.created,
        skipped: counts.skipped,
        invalid,
    })
}

/// Check each entry as `POST /link/` would; entries without `ADD_DATE` get the time `now`.
fn prepare(
    bookmarks: Vec<Bookmark>,
    options: ImportOptions,
    now: i64,
) -> (Vec<NewLink>, Vec<InvalidBookmark>) {
    let mut links = Vec::with_capacity(bookmarks.len());
    let mut invalid = Vec::new();
    for bookmark in bookmarks {
        let line = bookmark.line;
        let url = bookmark.href.clone();
        match new_link(bookmark, options, now) {
            Ok(link) => links.push(link),
            Err(reason) => invalid.push(InvalidBookmark { line, url, reason }),
        }
    }
    (links, invalid)
}

fn new_link(bookmark: Bookmark, options: ImportOptions, now: i64) -> Result<NewLink, String> {
    let Some(href) = bookmark.href.as_deref() else {
        return Err("the entry has no HREF attribute".into());
    };
    let url = validate::link(href).map_err(|e| e.msg)?;
    let mut names = bookmark.tags;
    if options.folder_tags {
        names.extend(bookmark.folders);
    }
    let mut tags: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let tag =
            validate::tag_name("tag", &name).map_err(|e| format!("tag {name:?}: {}", e.msg))?;
        let key = tag_key(&tag);
        if !tags.iter().any(|t| tag_key(t) == key) {
            tags.push(tag);
        }
    }
    let details = validate::link_details(
        bookmark.title.as_deref(),
        bookmark.description.as_deref(),
        None,
    )
    .map_err(|errors| {
        errors
            .iter()
            .map(|e| {
                let field = e.loc.last().and_then(|f| f.as_str()).unwrap_or("value");
                format!("{field}: {}", e.msg)
            })
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let created_at = bookmark.add_date.unwrap_or(now);
    let updated_at = bookmark
        .last_modified
        .filter(|&t| t >= created_at)
        .unwrap_or(created_at);
    Ok(NewLink {
        url,
        details,
        flags: LinkFlags {
            unread: bookmark.toread,
            favorite: false,
        },
        tags,
        created_at,
        updated_at,
    })
}

/// Every link of the account with its tags, oldest first.
pub async fn export(store: &Store, account_id: &str) -> ApiResult<Vec<ExportedLink>> {
    Ok(store
        .export_links(account_id)
        .await?
        .into_iter()
        .map(|(link, tags)| ExportedLink { link, tags })
        .collect())
}

/// The links as a Netscape bookmark file. Notes have no place in the format and are left out.
pub fn render_html(links: &[ExportedLink]) -> String {
    netscape::render(links.iter().map(|l| Entry {
        url: &l.link.link,
        title: l.link.title.as_deref(),
        description: l.link.description.as_deref(),
        tags: &l.tags,
        created_at: l.link.created_at,
        updated_at: Some(l.link.updated_at),
        unread: l.link.unread,
    }))
}

/// `tagmark import` and `tagmark export`.
pub async fn run(config: &Config, command: Command) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let result = match command {
        Command::Import {
            file,
            account,
            folder_tags,
        } => run_import(&store, &file, &account, ImportOptions { folder_tags }).await,
        Command::Export { account, format } => run_export(&store, &account, format).await,
        _ => bail!("not an import or export command"),
    };
    store.close().await;
    result
}

async fn account_id(store: &Store, email: &str) -> anyhow::Result<String> {
    match store.account_credentials(email).await? {
        Some(account) => Ok(account.id),
        None => bail!("there is no account with the email {email:?}"),
    }
}

async fn run_import(
    store: &Store,
    file: &Path,
    email: &str,
    options: ImportOptions,
) -> anyhow::Result<()> {
    let account_id = account_id(store, email).await?;
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    let report = import(store, &account_id, &bytes, options)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    for entry in &report.invalid {
        eprintln!(
            "{}:{}: {} ({})",
            file.display(),
            entry.line,
            entry.reason,
            entry.url.as_deref().unwrap_or("no URL")
        );
    }
    println!(
        "imported {} links into {email}: {} skipped (already there), {} invalid",
        report.created,
        report.skipped,
        report.invalid.len()
    );
    Ok(())
}

async fn run_export(store: &Store, email: &str, format: ExportFormat) -> anyhow::Result<()> {
    let account_id = account_id(store, email).await?;
    let links = export(store, &account_id).await?;
    let text = match format {
        ExportFormat::Html => render_html(&links),
        ExportFormat::Json => serde_json::to_string_pretty(&links)? + "\n",
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(href: Option<&str>) -> Bookmark {
        Bookmark {
            line: 7,
            href: href.map(str::to_owned),
            ..Bookmark::default()
        }
    }

    #[test]
    fn entries_are_checked_like_posted_links() {
        let long_title = "t".repeat(validate::MAX_TITLE_CHARS + 1);
        let marks = vec![
            Bookmark {
                tags: vec!["Rust".into(), "two words".into()],
                folders: vec!["Bar".into(), "rust".into()],
                add_date: Some(10),
                last_modified: Some(5),
                title: Some("T".into()),
                ..mark(Some("https://a.example/"))
            },
            mark(None),
            mark(Some("javascript:alert(1)")),
            mark(Some("not a url")),
            Bookmark {
                tags: vec!["x".repeat(300)],
                ..mark(Some("https://b.example/"))
            },
            Bookmark {
                title: Some(long_title),
                ..mark(Some("https://c.example/"))
            },
        ];
        let (links, invalid) = prepare(marks.clone(), ImportOptions::default(), 99);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].tags, vec!["Rust", "two words"]);
        assert_eq!(links[0].details.title.as_deref(), Some("T"));
        assert_eq!((links[0].created_at, links[0].updated_at), (10, 10));
        let reasons: Vec<&str> = invalid.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(reasons.len(), 5, "{reasons:?}");
        assert!(reasons[0].contains("no HREF"));
        assert!(reasons[1].contains("scheme 'javascript'"), "{}", reasons[1]);
        assert!(reasons[2].contains("valid absolute URL"), "{}", reasons[2]);
        assert!(reasons[3].contains("at most 255"), "{}", reasons[3]);
        assert!(reasons[4].starts_with("title: "), "{}", reasons[4]);
        assert!(invalid.iter().all(|i| i.line == 7));

        let (links, _) = prepare(marks, ImportOptions { folder_tags: true }, 99);
        assert_eq!(links[0].tags, vec!["Rust", "two words", "Bar"]);
    }

    #[test]
    fn missing_dates_are_the_import_time() {
        let (links, _) = prepare(
            vec![mark(Some("https://a.example/"))],
            ImportOptions::default(),
            99,
        );
        assert_eq!((links[0].created_at, links[0].updated_at), (99, 99));
    }
}
