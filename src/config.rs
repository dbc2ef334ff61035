//! Configuration: command-line flags, `TAGMARK_*` environment variables and an optional TOML
//! file, in that order of precedence, resolved once into a [`Config`].

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tagmark.db";
pub const DEFAULT_TOKEN_MINUTES: i64 = 30;
pub const MIN_SECRET_BYTES: usize = 32;
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Parser)]
#[command(name = "tagmark", version, about = "A multi-account bookmark service")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server.
    Serve,
    /// Manage admin users.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import a Netscape bookmark file (as browsers, linkding, Shaarli and Pinboard write it)
    /// into an account; links whose URL the account already has are skipped.
    Import {
        /// The bookmark file; `-` reads standard input.
        file: PathBuf,
        /// Email of the account to import into.
        #[arg(long)]
        account: String,
        /// Also tag each link with the names of the folders it is in.
        #[arg(long)]
        folder_tags: bool,
    },
    /// Write an account's links to standard output.
    Export {
        /// Email of the account to export.
        #[arg(long)]
        account: String,
        #[arg(long, value_enum, default_value_t)]
        format: ExportFormat,
    },
    /// Copy a seed deployment's database (the tutorial's FastAPI service on MariaDB) into the
    /// configured one, keeping ids, password hashes and creation times. Running it again adds
    /// only what is new; it refuses (writing nothing) when the target holds other data for
    /// the same ids.
    MigrateSeed {
        /// The seed's database, e.g. mysql://user:password@host/apiservice.
        #[arg(long)]
        from: String,
        /// Leave out rows tagmark cannot store (dangling references, duplicate ids, NULLs)
        /// and list them, instead of refusing.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin user; the password is asked for, or read from standard input.
    Add { username: String },
    /// Change an admin user's password; earlier tokens of that admin stop working.
    Passwd { username: String },
}

/// Every setting, as given by flags or environment; unset values fall back to the TOML file.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// TOML configuration file.
    #[arg(long, env = "TAGMARK_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8000].
    #[arg(long, env = "TAGMARK_BIND", global = true)]
    pub bind: Option<String>,
    /// Database URL: sqlite://FILE, mysql://…, mariadb://…, postgres://… [default: sqlite://tagmark.db].
    #[arg(long, env = "TAGMARK_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Token signing secret, at least 32 bytes; generated and kept in the database when unset.
    #[arg(
        long,
        env = "TAGMARK_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Lifetime of an access token in minutes [default: 30].
    #[arg(long, env = "TAGMARK_TOKEN_MINUTES", global = true)]
    pub token_minutes: Option<i64>,
    /// Allowed CORS origins, comma separated [default: none].
    #[arg(
        long,
        env = "TAGMARK_CORS_ORIGINS",
        global = true,
        value_delimiter = ','
    )]
    pub cors_origins: Option<Vec<String>>,
    /// Path prefix under which a reverse proxy serves the API, e.g. /api.
    #[arg(long, env = "TAGMARK_ROOT_PATH", global = true)]
    pub root_path: Option<String>,
    /// PEM certificate chain for native HTTPS.
    #[arg(long, env = "TAGMARK_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for native HTTPS.
    #[arg(long, env = "TAGMARK_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Admin created at start if it does not exist (with TAGMARK_ADMIN_PASSWORD).
    #[arg(long, env = "TAGMARK_ADMIN_USERNAME", global = true)]
    pub admin_username: Option<String>,
    /// Password of the bootstrap admin.
    #[arg(
        long,
        env = "TAGMARK_ADMIN_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Largest number of database connections, MySQL/PostgreSQL [default: 16].
    #[arg(long, env = "TAGMARK_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// SQLite only: threads that answer reads, each with its own connection [default: half
    /// the cores, at least 1; at most one per core].
    #[arg(long, env = "TAGMARK_SQLITE_READERS", global = true)]
    pub sqlite_readers: Option<u32>,
    /// Seconds to wait for a database connection before answering 503 [default: 5].
    #[arg(long, env = "TAGMARK_DB_TIMEOUT_SECONDS", global = true)]
    pub db_timeout_seconds: Option<u64>,
    /// Seconds a request may take before it is answered 503 (its work dropped) [default: 30].
    #[arg(long, env = "TAGMARK_REQUEST_TIMEOUT_SECONDS", global = true)]
    pub request_timeout_seconds: Option<u64>,
    /// Failed logins per username within the window before 429 (an address gets 4×) [default: 5].
    #[arg(long, env = "TAGMARK_LOGIN_MAX_FAILURES", global = true)]
    pub login_max_failures: Option<u32>,
    /// Length of the login-failure window in seconds [default: 900].
    #[arg(long, env = "TAGMARK_LOGIN_WINDOW_SECONDS", global = true)]
    pub login_window_seconds: Option<u64>,
    /// Proxies (IPs or CIDRs, comma separated) whose X-Forwarded-For is believed [default: none].
    #[arg(
        long,
        env = "TAGMARK_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,
    /// Seconds a principal's security stamp may be answered from memory [default: 2; 0: never].
    #[arg(long, env = "TAGMARK_AUTH_CACHE_SECONDS", global = true)]
    pub auth_cache_seconds: Option<u64>,
    /// Days deleted links and tags are remembered for sync clients [default: 90].
    #[arg(long, env = "TAGMARK_TOMBSTONE_DAYS", global = true)]
    pub tombstone_days: Option<u32>,
    /// Serve /metrics on this separate address instead of the main one.
    #[arg(long, env = "TAGMARK_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "TAGMARK_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

impl Settings {
    /// Fill every unset value from `other` (lower precedence).
    fn or(self, other: Settings) -> Settings {
        Settings {
            config: self.config.or(other.config),
            bind: self.bind.or(other.bind),
            database_url: self.database_url.or(other.database_url),
            secret_key: self.secret_key.or(other.secret_key),
            token_minutes: self.token_minutes.or(other.token_minutes),
            cors_origins: self.cors_origins.or(other.cors_origins),
            root_path: self.root_path.or(other.root_path),
            tls_cert: self.tls_cert.or(other.tls_cert),
            tls_key: self.tls_key.or(other.tls_key),
            admin_username: self.admin_username.or(other.admin_username),
            admin_password: self.admin_password.or(other.admin_password),
            db_max_connections: self.db_max_connections.or(other.db_max_connections),
            sqlite_readers: self.sqlite_readers.or(other.sqlite_readers),
            db_timeout_seconds: self.db_timeout_seconds.or(other.db_timeout_seconds),
            request_timeout_seconds: self
                .request_timeout_seconds
                .or(other.request_timeout_seconds),
            log_format: self.log_format.or(other.log_format),
            login_max_failures: self.login_max_failures.or(other.login_max_failures),
            login_window_seconds: self.login_window_seconds.or(other.login_window_seconds),
            trusted_proxies: self.trusted_proxies.or(other.trusted_proxies),
            metrics_bind: self.metrics_bind.or(other.metrics_bind),
            auth_cache_seconds: self.auth_cache_seconds.or(other.auth_cache_seconds),
            tombstone_days: self.tombstone_days.or(other.tombstone_days),
        }
    }
}

/// What `export` writes (`tagmark export --format`, `GET /export/?format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExportFormat {
    /// Netscape bookmark file.
    #[default]
    Html,
    /// JSON array of links with their tags.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration the application is built from.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    pub secret_key: Option<SecretString>,
    pub token_minutes: i64,
    pub cors_origins: Vec<String>,
    /// Empty, or a prefix such as `/api` without a trailing slash.
    pub root_path: String,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub admin: Option<(String, SecretString)>,
    pub db_max_connections: u32,
    /// SQLite reader threads; `None`: half the cores, at least one.
    pub sqlite_readers: Option<u32>,
    pub db_timeout_seconds: u64,
    /// A request still unanswered after this long is answered 503 and its work dropped (a
    /// transaction it had open is rolled back; a commit already sent may still take effect).
    pub request_timeout_seconds: u64,
    pub log_format: LogFormat,
    pub login_max_failures: u32,
    pub login_window_seconds: u64,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where `/metrics` is served when not on the main address.
    pub metrics_bind: Option<String>,
    /// How long a security stamp may be answered from memory; revocations made through
    /// another process take effect after at most this long.
    pub auth_cache_seconds: u64,
    /// How long deletions are kept for `GET /sync/` (0: dropped at the next sync request); a
    /// cursor from before a dropped deletion is answered 410.
    pub tombstone_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: DEFAULT_BIND.to_owned(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            secret_key: None,
            token_minutes: DEFAULT_TOKEN_MINUTES,
            cors_origins: Vec::new(),
            root_path: String::new(),
            tls: None,
            admin: None,
            db_max_connections: 16,
            sqlite_readers: None,
            db_timeout_seconds: 5,
            request_timeout_seconds: 30,
            log_format: LogFormat::Text,
            login_max_failures: 5,
            login_window_seconds: 900,
            trusted_proxies: Vec::new(),
            metrics_bind: None,
            auth_cache_seconds: 2,
            tombstone_days: 90,
        }
    }
}

impl Config {
    /// Resolve flags and environment (already merged by clap) with the TOML file they name.
    pub fn load(settings: Settings) -> anyhow::Result<Config> {
        let file = match &settings.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read configuration file {}", path.display())
                })?;
                toml::from_str::<Settings>(&text)
                    .with_context(|| format!("invalid configuration file {}", path.display()))?
            }
            None => Settings::default(),
        };
        Config::from_settings(settings.or(file))
    }

    pub fn from_settings(s: Settings) -> anyhow::Result<Config> {
        let defaults = Config::default();
        let secret_key = match s.secret_key.filter(|k| !k.is_empty()) {
            Some(key) if key.len() < MIN_SECRET_BYTES => bail!(
                "TAGMARK_SECRET_KEY is {} bytes long; it must be at least {MIN_SECRET_BYTES} bytes \
                 (or leave it unset to have one generated and kept in the database)",
                key.len()
            ),
            other => other.map(SecretString::from),
        };
        let token_minutes = s.token_minutes.unwrap_or(defaults.token_minutes);
        if !(1..=60 * 24 * 365).contains(&token_minutes) {
            bail!("TAGMARK_TOKEN_MINUTES must be between 1 and 525600, not {token_minutes}");
        }
        let tls = match (s.tls_cert, s.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => bail!("TAGMARK_TLS_CERT and TAGMARK_TLS_KEY must be given together"),
        };
        let admin = match (s.admin_username, s.admin_password) {
            (Some(user), Some(password)) if !user.trim().is_empty() => {
                Some((user.trim().to_owned(), SecretString::from(password)))
            }
            (None, None) => None,
            _ => bail!("TAGMARK_ADMIN_USERNAME and TAGMARK_ADMIN_PASSWORD must be given together"),
        };
        let log_format = match s.log_format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("TAGMARK_LOG_FORMAT must be text or json, not {other:?}"),
        };
        let db_max_connections = s.db_max_connections.unwrap_or(defaults.db_max_connections);
        if db_max_connections == 0 {
            bail!("TAGMARK_DB_MAX_CONNECTIONS must be at least 1");
        }
        if s.request_timeout_seconds == Some(0) {
            bail!("TAGMARK_REQUEST_TIMEOUT_SECONDS must be at least 1");
        }
        if s.sqlite_readers == Some(0) {
            bail!("TAGMARK_SQLITE_READERS must be at least 1");
        }
        let trusted_proxies = s
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "TAGMARK_TRUSTED_PROXIES: {p:?} is not an IP address or CIDR"
                        )
                    })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Config {
            login_max_failures: s
                .login_max_failures
                .unwrap_or(defaults.login_max_failures)
                .max(1),
            login_window_seconds: s
                .login_window_seconds
                .unwrap_or(defaults.login_window_seconds)
                .max(1),
            trusted_proxies,
            metrics_bind: s.metrics_bind.filter(|b| !b.is_empty()),
            auth_cache_seconds: s.auth_cache_seconds.unwrap_or(defaults.auth_cache_seconds),
            tombstone_days: s.tombstone_days.unwrap_or(defaults.tombstone_days),
            bind: s.bind.unwrap_or(defaults.bind),
            database_url: s.database_url.unwrap_or(defaults.database_url),
            secret_key,
            token_minutes,
            cors_origins: s
                .cors_origins
                .unwrap_or_default()
                .into_iter()
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            root_path: normalize_root_path(s.root_path.as_deref().unwrap_or(""))?,
            tls,
            admin,
            db_max_connections,
            sqlite_readers: s.sqlite_readers,
            db_timeout_seconds: s.db_timeout_seconds.unwrap_or(defaults.db_timeout_seconds),
            request_timeout_seconds: s
                .request_timeout_seconds
                .unwrap_or(defaults.request_timeout_seconds),
            log_format,
        })
    }

    pub fn secret_bytes(&self) -> Option<Vec<u8>> {
        self.secret_key
            .as_ref()
            .map(|k| k.expose_secret().as_bytes().to_vec())
    }
}

/// `"/api/"` → `"/api"`, `"/"` or `""` → `""`; anything not starting with `/` is refused.
fn normalize_root_path(raw: &str) -> anyhow::Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed.starts_with('/') || trimmed.contains(['?', '#', ' ']) {
        bail!("TAGMARK_ROOT_PATH must be a path starting with '/', such as /api; got {raw:?}");
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_path_is_normalized() {
        assert_eq!(normalize_root_path("/api/").unwrap(), "/api");
        assert_eq!(normalize_root_path("/").unwrap(), "");
        assert!(normalize_root_path("api").is_err());
    }

    #[test]
    fn short_secret_is_refused() {
        let settings = Settings {
            secret_key: Some("too short".into()),
            ..Settings::default()
        };
        let err = Config::from_settings(settings).unwrap_err().to_string();
        assert!(err.contains("at least 32 bytes"), "{err}");
        assert!(
            !err.contains("too short"),
            "the secret must not be echoed: {err}"
        );
    }

    #[test]
    fn sqlite_readers_default_to_unset_and_refuse_zero() {
        assert_eq!(
            Config::from_settings(Settings::default())
                .unwrap()
                .sqlite_readers,
            None
        );
        let file: Settings = toml::from_str("sqlite_readers = 3").unwrap();
        assert_eq!(Config::from_settings(file).unwrap().sqlite_readers, Some(3));
        let zero = Settings {
            sqlite_readers: Some(0),
            ..Settings::default()
        };
        let err = Config::from_settings(zero).unwrap_err().to_string();
        assert!(err.contains("TAGMARK_SQLITE_READERS"), "{err}");
    }

    #[test]
    fn request_timeout_defaults_to_30_seconds_and_refuses_zero() {
        let config = Config::from_settings(Settings::default()).unwrap();
        assert_eq!(config.request_timeout_seconds, 30);
        let file: Settings = toml::from_str("request_timeout_seconds = 12").unwrap();
        assert_eq!(
            Config::from_settings(file).unwrap().request_timeout_seconds,
            12
        );
        let zero = Settings {
            request_timeout_seconds: Some(0),
            ..Settings::default()
        };
        let err = Config::from_settings(zero).unwrap_err().to_string();
        assert!(err.contains("TAGMARK_REQUEST_TIMEOUT_SECONDS"), "{err}");
    }

    #[test]
    fn flags_win_over_file() {
        let flags = Settings {
            bind: Some("0.0.0.0:1".into()),
            ..Settings::default()
        };
        let file: Settings = toml::from_str(
            "bind = \"1.2.3.4:5\"\ntoken_minutes = 7\ncors_origins = [\"https://a.example/\"]",
        )
        .unwrap();
        let config = Config::from_settings(flags.or(file)).unwrap();
        assert_eq!(config.bind, "0.0.0.0:1");
        assert_eq!(config.token_minutes, 7);
        assert_eq!(config.cors_origins, vec!["https://a.example".to_owned()]);
    }
}
