//! Rules for the values users send: URLs, tag names, emails and passwords. Each returns the
//! value to store, or the field error to answer with.

use serde_json::json;

use crate::error::FieldError;

pub const MAX_URL_BYTES: usize = 2048;
pub const MAX_TAG_CHARS: usize = 255;
pub const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
/// Limits of a link's descriptive fields, in characters. MySQL sets them (a row must fit in
/// 65,535 bytes at 4 bytes a character); every engine applies the same ones.
pub const MAX_TITLE_CHARS: usize = 1024;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_NOTES_CHARS: usize = 8000;
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longer passwords are refused so that hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;
const REFUSED_SCHEMES: [&str; 3] = ["javascript", "data", "vbscript"];

fn body_error(field: &str, msg: impl Into<String>, kind: &str) -> FieldError {
    FieldError::new(vec![json!("body"), json!(field)], msg, kind)
}

/// An absolute URL of at most 2048 bytes, not of a scheme that runs code in a browser.
pub fn link(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.len() > MAX_URL_BYTES {
        return Err(body_error(
            "link",
            format!("URL should have at most {MAX_URL_BYTES} bytes"),
            "string_too_long",
        ));
    }
    // NUL cannot be stored by every engine (PostgreSQL refuses it), so none accepts it.
    if value.contains('\0') {
        return Err(body_error(
            "link",
            "URL should not contain NUL characters",
            "url_parsing",
        ));
    }
    let parsed = url::Url::parse(value).map_err(|e| {
        body_error(
            "link",
            format!("Input should be a valid absolute URL, {e}"),
            "url_parsing",
        )
    })?;
    if REFUSED_SCHEMES.contains(&parsed.scheme()) {
        return Err(body_error(
            "link",
            format!("URL scheme '{}' is not allowed", parsed.scheme()),
            "url_scheme",
        ));
    }
    Ok(value.to_owned())
}

/// A tag name: 1–255 characters after trimming.
pub fn tag_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 {
        return Err(body_error(
            field,
            "String should have at least 1 character",
            "string_too_short",
        ));
    }
    if value.contains('\0') {
        return Err(body_error(
            field,
            "String should not contain NUL characters",
            "string_pattern_mismatch",
        ));
    }
    if chars > MAX_TAG_CHARS {
        return Err(body_error(
            field,
            format!("String should have at most {MAX_TAG_CHARS} characters"),
            "string_too_long",
        ));
    }
    Ok(value.to_owned())
}

/// A link's title (trimmed), description or notes: at most `max_chars` characters, no NUL.
pub fn link_text(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldError> {
    let value = if field == "title" { raw.trim() } else { raw };
    if value.contains('\0') {
        return Err(body_error(
            field,
            "String should not contain NUL characters",
            "string_pattern_mismatch",
        ));
    }
    if value.chars().count() > max_chars {
        return Err(body_error(
            field,
            format!("String should have at most {max_chars} characters"),
            "string_too_long",
        ));
    }
    Ok(value.to_owned())
}

/// The descriptive fields of a link, each checked; every error is reported at once.
pub fn link_details(
    title: Option<&str>,
    description: Option<&str>,
    notes: Option<&str>,
) -> Result<crate::model::LinkDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: &str, value: Option<&str>, max: usize| match value {
        None => None,
        Some(v) => link_text(field, v, max).map_err(|e| errors.push(e)).ok(),
    };
    let details = crate::model::LinkDetails {
        title: check("title", title, MAX_TITLE_CHARS),
        description: check("description", description, MAX_DESCRIPTION_CHARS),
        notes: check("notes", notes, MAX_NOTES_CHARS),
    };
    if errors.is_empty() {
        Ok(details)
    } else {
        Err(errors)
    }
}

/// A personal API token's name: 1–100 characters after trimming, no NUL.
pub fn token_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(body_error(
            "name",
            "String should have at least 1 character",
            "string_too_short",
        ));
    }
    if name.contains('\0') {
        return Err(body_error(
            "name",
            "String should not contain NUL characters",
            "string_pattern_mismatch",
        ));
    }
    if chars > MAX_TOKEN_NAME_CHARS {
        return Err(body_error(
            "name",
            format!("String should have at most {MAX_TOKEN_NAME_CHARS} characters"),
            "string_too_long",
        ));
    }
    Ok(name.to_owned())
}

/// A plausible email address: one `@`, something before it, a dotted domain after it, no
/// spaces, at most 254 bytes.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let invalid = |why: &str| {
        body_error(
            "email",
            format!("value is not a valid email address: {why}"),
            "value_error",
        )
    };
    if value.len() > MAX_EMAIL_BYTES {
        return Err(invalid("it is longer than 254 bytes"));
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(invalid("an email address must have an @-sign"));
    };
    if local.is_empty() || local.contains('@') {
        return Err(invalid(
            "there must be exactly one @-sign with something before it",
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it contains spaces or control characters"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return Err(invalid(
            "the part after the @-sign is not a valid domain name",
        ));
    }
    Ok(value.to_owned())
}

/// Refuse passwords that are too short, or long enough to make hashing a burden.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "Password must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "Password must be at most {MAX_PASSWORD_BYTES} bytes long"
        ));
    }
    Ok(())
}

pub fn password(raw: &str) -> Result<String, FieldError> {
    check_password(raw).map(|_| raw.to_owned()).map_err(|msg| {
        let kind = if raw.chars().count() < MIN_PASSWORD_CHARS {
            "string_too_short"
        } else {
            "string_too_long"
        };
        body_error("password", msg, kind)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert_eq!(
            link(" https://example.com/a?b=c ").unwrap(),
            "https://example.com/a?b=c"
        );
        assert!(link("example.com").is_err());
        assert!(link("/relative").is_err());
        assert!(link("javascript:alert(1)").is_err());
        assert!(link("JavaScript:alert(1)").is_err());
        assert!(link("data:text/html,hi").is_err());
        assert!(link(&format!("https://e.com/{}", "a".repeat(2048))).is_err());
        assert!(link(&format!("https://e.com/{}", "a".repeat(2020))).is_ok());
    }

    #[test]
    fn tags() {
        assert_eq!(tag_name("tag", "  Rust ").unwrap(), "Rust");
        assert!(tag_name("tag", "   ").is_err());
        assert!(tag_name("tag", &"ä".repeat(255)).is_ok());
        assert!(tag_name("tag", &"ä".repeat(256)).is_err());
    }

    #[test]
    fn details() {
        let d = link_details(Some("  T "), None, Some(" n ")).unwrap();
        assert_eq!(d.title.as_deref(), Some("T"));
        assert_eq!(d.notes.as_deref(), Some(" n "));
        assert!(link_text("title", &"ä".repeat(1024), MAX_TITLE_CHARS).is_ok());
        let errors = link_details(Some(&"a".repeat(1025)), Some("a\0"), None).unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn emails() {
        assert!(email("a@example.com").is_ok());
        assert!(email("a.b+c@sub.example.org").is_ok());
        for bad in [
            "",
            "a",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(password("12345678").is_ok());
        assert_eq!(password("1234567").unwrap_err().kind, "string_too_short");
        assert_eq!(
            password(&"x".repeat(2000)).unwrap_err().kind,
            "string_too_long"
        );
    }
}
