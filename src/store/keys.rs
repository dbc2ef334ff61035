//! The texts rows are found by, derived the same way on every engine: tag and email keys, the
//! URL hash, the search text, LIKE patterns.

use crate::model::LinkDetails;

/// A LIKE pattern matching `text` literally, with `!` as the escape character (a backslash
/// would need different quoting on MySQL and PostgreSQL).
pub(super) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// The key under which tag names are unique: the same on every engine, whatever its collation.
pub fn tag_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The hex SHA-256 of a URL: what exact-URL lookups compare (a 2048-byte URL is too long for
/// a MySQL index).
pub fn link_hash(url: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(url.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `q` searches: title, description, notes and URL, lower-cased here so that every
/// engine matches the same way (SQLite's LOWER folds only ASCII), always four lines in this
/// order (line breaks inside a field become spaces), so that a phrase never spans two fields
/// and relevance can tell the field a term occurs in (see [`search`]).
pub fn search_text(url: &str, details: &LinkDetails) -> String {
    [
        details.title.as_deref(),
        details.description.as_deref(),
        details.notes.as_deref(),
        Some(url),
    ]
    .into_iter()
    .map(|field| {
        field
            .unwrap_or("")
            .replace("\r\n", " ")
            .replace(['\r', '\n'], " ")
    })
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase()
}

pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_escape("50%_off!"), "50!%!_off!!");
        assert_eq!(
            link_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let details = LinkDetails {
            title: Some("Ä Title".into()),
            ..LinkDetails::default()
        };
        assert_eq!(
            search_text("https://X.org/", &details),
            "ä title\n\n\nhttps://x.org/"
        );
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(tag_key(" Rust "), tag_key("rust"));
        assert_eq!(tag_key("ÄPFEL"), "äpfel");
    }
}
