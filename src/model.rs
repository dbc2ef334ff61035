//! The resources as the API shows them (and as the store reads them).

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Microseconds since the Unix epoch: the one time representation stored on every engine.
pub type Micros = i64;

pub fn now_micros() -> Micros {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1000) as Micros
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-29T03:45:47.123456Z` (trailing zeros of the
/// fraction dropped, no fraction on a whole second). Empty outside years 0–9999.
pub fn format_micros(micros: Micros) -> String {
    write_micros(micros, &mut [0u8; RFC3339_MAX]).to_owned()
}

const RFC3339_MAX: usize = "2026-11-29T03:45:47.123456Z".len();

/// `micros` as [`format_micros`] gives it, written into `buf`: every timestamp of every row
/// goes through here, so without `time`'s general formatter or a `String`.
fn write_micros(micros: Micros, buf: &mut [u8; RFC3339_MAX]) -> &str {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else {
        return "";
    };
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return "";
    }
    let fields = [
        (year as u32, 4usize),
        (u32::from(u8::from(t.month())), 2),
        (u32::from(t.day()), 2),
        (u32::from(t.hour()), 2),
        (u32::from(t.minute()), 2),
        (u32::from(t.second()), 2),
    ];
    let separators = [b'-', b'-', b'T', b':', b':'];
    let mut at = 0;
    for (i, (value, width)) in fields.into_iter().enumerate() {
        write_digits(&mut buf[at..at + width], value);
        at += width;
        if let Some(&sep) = separators.get(i) {
            buf[at] = sep;
            at += 1;
        }
    }
    let mut fraction = t.microsecond();
    if fraction != 0 {
        let mut digits = 6;
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        buf[at] = b'.';
        write_digits(&mut buf[at + 1..at + 1 + digits], fraction);
        at += 1 + digits;
    }
    buf[at] = b'Z';
    // Only ASCII digits and separators were written.
    std::str::from_utf8(&buf[..=at]).unwrap_or_default()
}

/// `value` in decimal, zero-padded to fill `out`.
fn write_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn serialize_micros<S: Serializer>(micros: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(write_micros(*micros, &mut [0u8; RFC3339_MAX]))
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
    /// Marked to read later.
    pub unread: bool,
    /// Marked as a favourite.
    pub favorite: bool,
}

/// A link's flags, as given when creating or importing it (both false by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkFlags {
    pub unread: bool,
    pub favorite: bool,
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

/// A tag in a list of tags (`GET /tag/`); with the number of links carrying it when asked for
/// (`with_counts=true`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagWithCount {
    pub tag_id: String,
    /// The tag's name, in the spelling first used.
    pub tag: String,
    pub account_id: String,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
    /// How many links carry this tag; only with `with_counts=true`.
    #[schema(required = false)]
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
    /// Always `**********`: the seed's clients expect the field; no hash leaves the server.
    #[schema(value_type = String, example = "**********")]
    pub hashed_password: PasswordMask,
    /// The creation time in the seed's format, `YYYY-MM-DDTHH:MM:SS` (UTC, whole seconds);
    /// the same instant as `created_at`.
    #[serde(serialize_with = "serialize_seed_time")]
    #[schema(value_type = String, example = "2026-12-01T10:49:23")]
    pub created: Micros,
    #[serde(serialize_with = "serialize_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
}

impl Account {
    pub fn new(account_id: String, email: String, created_at: Micros) -> Account {
        Account {
            account_id,
            email,
            hashed_password: PasswordMask,
            created: created_at,
            created_at,
        }
    }
}

/// What an answer shows in place of a password hash: always `**********`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasswordMask;

impl Serialize for PasswordMask {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("**********")
    }
}

/// `micros` as the seed shows times: `YYYY-MM-DDTHH:MM:SS`, UTC, no fraction, no zone.
fn serialize_seed_time<S: Serializer>(micros: &Micros, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; RFC3339_MAX];
    let full = write_micros(*micros, &mut buf);
    s.serialize_str(full.get(..SEED_TIME_LEN).unwrap_or(""))
}

const SEED_TIME_LEN: usize = "2026-11-29T03:45:47".len();

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
    use time::format_description::well_known::Rfc3339;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(format_micros(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_micros(1_500_000), "1970-01-01T00:00:01.5Z");
        assert_eq!(format_micros(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_micros(i64::MAX), "");
    }

    #[test]
    fn accounts_show_a_mask_and_the_seeds_time() {
        let account = Account::new("a".into(), "a@example.com".into(), 1_500_000);
        assert_eq!(
            serde_json::to_value(&account).unwrap(),
            serde_json::json!({
                "account_id": "a",
                "email": "a@example.com",
                "hashed_password": "**********",
                "created": "1970-01-01T00:00:01",
                "created_at": "1970-01-01T00:00:01.5Z",
            })
        );
    }

    #[test]
    fn times_match_the_time_crate() {
        let reference = |micros: Micros| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .ok()
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_default()
        };
        // A fixed-seed walk over past and future instants, whole seconds and odd fractions.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let span = 253_402_300_799_999_999i64 + 62_167_219_200_000_000;
            let mut micros = (x % span as u64) as i64 - 62_167_219_200_000_000;
            if i % 3 == 0 {
                micros -= micros.rem_euclid(1_000_000);
            }
            assert_eq!(format_micros(micros), reference(micros), "{micros}");
        }
    }
}
