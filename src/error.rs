//! The one error type of the service and how each variant is answered over HTTP.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

/// One entry of a FastAPI-style request validation error (`{"detail": [ ... ]}`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldError {
    pub fn new(loc: Vec<Value>, msg: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a message.
    #[error("{0}")]
    BadRequest(String),
    /// 401 for a request without a bearer `Authorization` header (FastAPI's
    /// `OAuth2PasswordBearer`).
    #[error("Not authenticated")]
    NotAuthenticated,
    /// 401 for a bearer token that is not valid (any more); carries the scopes for
    /// `WWW-Authenticate`.
    #[error("Could not validate credentials")]
    Unauthorized { scopes: &'static str },
    /// 401 for a failed login, a wrong, unknown or several scopes included.
    #[error("Incorrect username or password or invalid scopes")]
    LoginFailed,
    /// 401, as the seed answers it: a valid token whose scope the endpoint does not allow.
    #[error("Not enough permissions")]
    InsufficientScope { scopes: &'static str },
    /// 403: a read-only personal API token used to write (no such token in the seed).
    #[error("Not enough permissions")]
    Forbidden { scopes: &'static str },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// 410: what was asked for is no longer kept (a sync cursor older than the tombstones).
    #[error("{0}")]
    Gone(String),
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422 with a business-rule message.
    #[error("{0}")]
    Unprocessable(String),
    /// 422 with FastAPI's list of field errors.
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    /// 429 with the seconds to wait in `Retry-After`.
    #[error("Too many failed login attempts; try again later")]
    TooManyRequests(u64),
    /// 503: the database cannot be reached right now, or kept conflicting; `Retry-After: 1`.
    #[error("Service temporarily unavailable")]
    Unavailable,
    #[error(transparent)]
    Database(DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// An error of either database layer: sqlx (MySQL, PostgreSQL, migrations) or rusqlite
/// (SQLite at run time).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return ApiError::Unavailable;
        }
        ApiError::Database(err)
    }
}

/// The database cannot answer right now, but may soon: no connection, or a server that is
/// shutting down, starting or (a Galera node) not part of the cluster yet.
fn is_unavailable(err: &DbError) -> bool {
    let db = match err {
        DbError::Sqlx(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => {
            return true
        }
        DbError::Sqlx(sqlx::Error::Database(db)) => db,
        _ => return false,
    };
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // 1047: "WSREP has not yet prepared node for application use"; 1053: server shutdown
        // in progress; 1927: connection killed.
        return matches!(mysql.number(), 1047 | 1053 | 1927);
    }
    // PostgreSQL 57P01-57P03: shut down, crashed, starting up; class 08: connection lost.
    db.code().is_some_and(|code| {
        matches!(code.as_ref(), "57P01" | "57P02" | "57P03") || code.starts_with("08")
    })
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        DbError::Sqlx(err).into()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        DbError::Sqlite(err).into()
    }
}

impl ApiError {
    pub fn validation(loc: Vec<Value>, msg: impl Into<String>, kind: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(loc, msg, kind)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAuthenticated
            | ApiError::Unauthorized { .. }
            | ApiError::LoginFailed
            | ApiError::InsufficientScope { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::Validation(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// True when a database error is a unique-constraint violation: the one place that knows how.
pub fn is_unique_violation(err: &DbError) -> bool {
    match err {
        DbError::Sqlx(sqlx::Error::Database(e)) => {
            e.kind() == sqlx::error::ErrorKind::UniqueViolation
        }
        DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
            e.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        ),
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Validation(errors) => json!({ "detail": errors }),
            ApiError::Database(err) => {
                tracing::error!(error = %err, "database error");
                json!({ "detail": "Internal server error" })
            }
            ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                json!({ "detail": "Internal server error" })
            }
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match &self {
            ApiError::TooManyRequests(seconds) => Some(*seconds),
            // The database is back, or the conflict over, within seconds as a rule.
            ApiError::Unavailable => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        let challenge = match &self {
            ApiError::Unauthorized { scopes }
            | ApiError::InsufficientScope { scopes }
            | ApiError::Forbidden { scopes } => Some(format!("Bearer scope=\"{scopes}\"")),
            ApiError::LoginFailed | ApiError::NotAuthenticated => Some("Bearer".to_owned()),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
