//! The resources as the API shows them (and as the store reads them).

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Microseconds since the Unix epoch: the one time representation stored on every engine.
pub type Micros = i64;

pub fn now_micros() -> Micros {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1000) as Micros
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-29T03:45:47.123456Z`.
pub fn format_micros(micros: Micros) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn serialize_micros<S: Serializer>(micros: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_micros(*micros))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    pub link_id: String,
    /// The URL.
    pub link: String,
    pub account_id: String,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
    /// A title, at most 1024 characters; `null` when unset.
    pub title: Option<String>,
    /// A description, at most 4000 characters; `null` when unset.
    pub description: Option<String>,
    /// Private notes, at most 8000 characters; `null` when unset.
    pub notes: Option<String>,
    /// When the link was last changed (its creation time until then).
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Micros,
}

/// The optional descriptive fields of a link, as given when creating or importing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkDetails {
    pub title: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tag {
    pub tag_id: String,
    /// The tag's name, in the spelling first used.
    pub tag: String,
    pub account_id: String,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
}

/// A tag with the number of links carrying it (`GET /tag/?with_counts=true`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagWithCount {
    pub tag_id: String,
    /// The tag's name, in the spelling first used.
    pub tag: String,
    pub account_id: String,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
    /// How many links carry this tag.
    pub link_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagLink {
    pub tag_id: String,
    pub link_id: String,
    pub account_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub account_id: String,
    pub email: String,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
}

/// Answer of `DELETE /taglink/`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// What a login needs to know about a principal.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: String,
    pub name: String,
    pub hashed_password: String,
    pub security_stamp: String,
}

/// A page of a list: `offset` rows skipped, at most `limit` returned.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(format_micros(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_micros(1_500_000), "1970-01-01T00:00:01.5Z");
    }
}
