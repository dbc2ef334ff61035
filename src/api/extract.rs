//! Request extractors that answer bad input the way FastAPI does: a 422 with a list of
//! `{"loc", "msg", "type"}` entries, and JSON for every other rejection too.

use std::fmt::Display;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::config::MAX_BODY_BYTES;
use crate::error::{ApiError, FieldError};
use crate::model::Page;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

/// An `application/x-www-form-urlencoded` request body.
pub struct FormBody<T>(pub T);

/// The query string.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        if media_type(&req).is_some_and(|m| m != "application/json" && !m.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType(
                "Content-Type must be application/json".into(),
            ));
        }
        let bytes = read_body(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::validation(
                vec![json!("body")],
                "Field required",
                "missing",
            ));
        }
        // Malformed JSON, trailing data included, is refused before anything is taken from it;
        // so is a valid value that is not an object (serde would read an array as a struct).
        if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
            return Err(ApiError::validation(
                vec![json!("body"), json!(err.column())],
                "JSON decode error",
                "json_invalid",
            ));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::validation(
                vec![json!("body")],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(value) => Ok(JsonBody(value)),
            Err(err) if err.inner().is_data() => Err(deserialize_error("body", &err)),
            Err(err) => Err(ApiError::validation(
                vec![json!("body"), json!(err.inner().column())],
                "JSON decode error",
                "json_invalid",
            )),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        if media_type(&req).is_some_and(|m| m != "application/x-www-form-urlencoded") {
            return Err(ApiError::UnsupportedMediaType(
                "Content-Type must be application/x-www-form-urlencoded".into(),
            ));
        }
        let bytes = read_body(req).await?;
        parse_urlencoded("body", &bytes).map(FormBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        parse_urlencoded("query", query.as_bytes()).map(QueryParams)
    }
}

/// The request's media type without parameters, lower-cased; `None` without a Content-Type.
fn media_type(req: &Request) -> Option<String> {
    req.headers().get(CONTENT_TYPE).map(|v| {
        v.to_str()
            .unwrap_or("invalid")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

/// How much of a body over the limit is still read, and dropped, before the 413: a client
/// still sending when the server closes a connection with unread data gets the connection
/// reset (by the kernel) instead of the answer. Past this much it is closed anyway.
const DRAIN_MAX_BYTES: usize = 8 * MAX_BODY_BYTES;

/// The whole body, at most [`MAX_BODY_BYTES`] (413 beyond, with or without Content-Length).
async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let mut body = req.into_body();
    let declared =
        usize::try_from(axum::body::HttpBody::size_hint(&body).lower()).unwrap_or(usize::MAX);
    if declared > DRAIN_MAX_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let mut kept = Vec::with_capacity(declared.min(MAX_BODY_BYTES));
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|err| ApiError::BadRequest(format!("Cannot read the request body: {err}")))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen > DRAIN_MAX_BYTES {
            break;
        }
        if seen <= MAX_BODY_BYTES {
            kept.extend_from_slice(&data);
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    Ok(Bytes::from(kept))
}

fn parse_urlencoded<T: DeserializeOwned>(root: &str, bytes: &[u8]) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| deserialize_error(root, &err))
}

/// Turn a deserializer's complaint into FastAPI's shape, naming the field it is about.
fn deserialize_error<E: Display>(root: &str, err: &serde_path_to_error::Error<E>) -> ApiError {
    let mut loc = vec![json!(root)];
    for segment in err.path().iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => loc.push(json!(index)),
            serde_path_to_error::Segment::Map { key } => loc.push(json!(key)),
            serde_path_to_error::Segment::Enum { variant } => loc.push(json!(variant)),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = err.inner().to_string();
    // serde_json appends the position; the location already says where.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let (msg, kind) = if let Some(field) = between(&message, "missing field `", "`") {
        loc.push(json!(field));
        ("Field required".to_owned(), "missing")
    } else if let Some(field) = between(&message, "duplicate field `", "`") {
        loc.push(json!(field));
        ("Field given more than once".to_owned(), "duplicate")
    } else if let Some(expected) = message.split(", expected ").nth(1) {
        classify_expected(expected, loc.len() == 1)
    } else if message.contains("invalid digit") || message.contains("number too") {
        (
            "Input should be a valid integer, unable to parse string as an integer".to_owned(),
            "int_parsing",
        )
    } else {
        (message.clone(), "value_error")
    };
    ApiError::Validation(vec![FieldError::new(loc, msg, kind)])
}

fn classify_expected(expected: &str, at_root: bool) -> (String, &'static str) {
    if at_root || expected.starts_with("struct ") || expected.starts_with("a map") {
        return (
            "Input should be a valid dictionary or object to extract fields from".into(),
            "model_attributes_type",
        );
    }
    match expected {
        "a string" => ("Input should be a valid string".into(), "string_type"),
        "i64" | "u64" | "u32" | "i32" | "an integer" => {
            ("Input should be a valid integer".into(), "int_type")
        }
        "a boolean" => ("Input should be a valid boolean".into(), "bool_type"),
        other => (format!("Input should be {other}"), "type_error"),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// Check `offset` (≥ 0, default 0) and `limit` (1–1000, default 100).
pub fn page(offset: Option<i64>, limit: Option<i64>) -> Result<Page, ApiError> {
    let mut errors = Vec::new();
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        errors.push(FieldError::new(
            vec![json!("query"), json!("offset")],
            "Input should be greater than or equal to 0",
            "greater_than_equal",
        ));
    }
    let limit = limit.unwrap_or(100);
    if limit < 1 {
        errors.push(FieldError::new(
            vec![json!("query"), json!("limit")],
            "Input should be greater than or equal to 1",
            "greater_than_equal",
        ));
    } else if limit > 1000 {
        errors.push(FieldError::new(
            vec![json!("query"), json!("limit")],
            "Input should be less than or equal to 1000",
            "less_than_equal",
        ));
    }
    if errors.is_empty() {
        Ok(Page { offset, limit })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Both checked values, or one 422 listing the field errors of either, FastAPI-style.
pub fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(ApiError::Validation(
            [a.err(), b.err()].into_iter().flatten().collect(),
        )),
    }
}

/// An error answer: `{"detail": ...}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A message, or for request validation errors FastAPI's list of `{loc, msg, type}`.
    #[schema(schema_with = detail_schema)]
    pub detail: Value,
}

/// `detail`: a string or a list of [`ValidationError`]s. The two never both match one value, so
/// it is a `oneOf` a generator can decode.
fn detail_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Ref, Type};
    OneOfBuilder::new()
        .item(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String))
        .item(ArrayBuilder::new().items(Ref::from_schema_name("ValidationError")))
        .build()
        .into()
}

/// One entry of a 422's `detail` list, as FastAPI names and shapes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ValidationError {
    /// Where the error is: `body`, `query` or `path`, then field names and list indices.
    #[schema(schema_with = loc_schema)]
    loc: Vec<Value>,
    /// What is wrong, for people.
    msg: String,
    /// What is wrong, for programs (pydantic's error type, e.g. `missing`).
    r#type: String,
}

fn loc_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Type};
    use utoipa::openapi::ObjectBuilder;
    ArrayBuilder::new()
        .items(
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::String))
                .item(ObjectBuilder::new().schema_type(Type::Integer)),
        )
        .build()
        .into()
}
