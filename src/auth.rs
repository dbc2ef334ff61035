//! Authentication: password hashing (off the async executor), JWTs, the login flow, and the
//! extractors through which handlers receive an authenticated principal.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::Method;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::model::Credentials;
use crate::store::Store;
pub use crate::validate::{check_password, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};

pub const SCOPE_ADMIN: &str = "admin";
pub const SCOPE_ACCOUNT: &str = "account";
const BOTH_SCOPES: &str = "admin account";

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Admin { user_id: String, username: String },
    Account { account_id: String, email: String },
}

impl Principal {
    /// The account every query of this caller is confined to; `None` for the admin.
    pub fn account_scope(&self) -> Option<&str> {
        match self {
            Principal::Admin { .. } => None,
            Principal::Account { account_id, .. } => Some(account_id),
        }
    }

    /// The seed's `assert_account_id`: which account a request acts on.
    /// Returns `Ok(None)` only for an admin that gave no account (lists span all accounts).
    pub fn target_account(&self, given: Option<&str>, required: bool) -> ApiResult<Option<String>> {
        match self {
            Principal::Account { account_id, .. } => match given {
                Some(given) if given != account_id => Err(ApiError::Unprocessable(
                    "The account_id field should not be provided for account scope".into(),
                )),
                _ => Ok(Some(account_id.clone())),
            },
            Principal::Admin { .. } => match given {
                Some(given) => Ok(Some(given.to_owned())),
                None if required => Err(ApiError::Unprocessable(
                    "The account_id field is required for the admin scope".into(),
                )),
                None => Ok(None),
            },
        }
    }

    /// The account a create request acts on (the account_id rule with `required`).
    pub fn account_for_create(&self, given: Option<&str>) -> ApiResult<String> {
        self.target_account(given, true)?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("account_id rule gave no account")))
    }
}

/// A caller of either scope. Taking it as an argument makes a handler authenticated.
pub struct Caller(pub Principal);

/// A caller with the admin scope.
pub struct AdminCaller(pub Principal);

/// What authentication needs of the application's state, and all it sees of it: the store,
/// the token signer and the password hasher.
pub trait AuthState: Send + Sync {
    fn store(&self) -> &Store;
    fn tokens(&self) -> &Tokens;
    fn passwords(&self) -> &Passwords;
}

impl<S: AuthState> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        authenticate(parts, state, &[SCOPE_ADMIN, SCOPE_ACCOUNT], BOTH_SCOPES)
            .await
            .map(Caller)
    }
}

impl<S: AuthState> FromRequestParts<S> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        authenticate(parts, state, &[SCOPE_ADMIN], SCOPE_ADMIN)
            .await
            .map(AdminCaller)
    }
}

async fn authenticate(
    parts: &Parts,
    state: &impl AuthState,
    allowed: &[&str],
    scopes: &'static str,
) -> ApiResult<Principal> {
    let token = bearer_token(parts).ok_or(ApiError::NotAuthenticated)?;
    let principal = if token.starts_with(PERSONAL_TOKEN_PREFIX) {
        personal_token(parts, state, token, scopes).await?
    } else {
        jwt_principal(state, token, scopes).await?
    };
    let scope = match principal {
        Principal::Admin { .. } => SCOPE_ADMIN,
        Principal::Account { .. } => SCOPE_ACCOUNT,
    };
    if !allowed.contains(&scope) {
        return Err(ApiError::InsufficientScope { scopes });
    }
    Ok(principal)
}

/// The principal of a personal API token: its account, for reads only when it is read-only
/// (anything else is 403).
async fn personal_token(
    parts: &Parts,
    state: &impl AuthState,
    token: &str,
    scopes: &'static str,
) -> ApiResult<Principal> {
    let found = state
        .store()
        .use_api_token(&hash_personal_token(token))
        .await?
        .ok_or(ApiError::Unauthorized { scopes })?;
    if found.token.read_only && !matches!(parts.method, Method::GET | Method::HEAD) {
        return Err(ApiError::Forbidden {
            scopes: SCOPE_ACCOUNT,
        });
    }
    Ok(Principal::Account {
        account_id: found.token.account_id,
        email: found.email,
    })
}

/// Personal API tokens start with this, so that they are told from JWTs (and found by secret
/// scanners).
pub const PERSONAL_TOKEN_PREFIX: &str = "tm_";

/// A new personal API token and the hash to store: 256 random bits after the prefix.
pub fn new_personal_token() -> (String, String) {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{PERSONAL_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_personal_token(&token);
    (token, hash)
}

/// The hex SHA-256 of a personal token: all the database keeps of it.
pub fn hash_personal_token(token: &str) -> String {
    crate::store::link_hash(token)
}

/// The principal of a JWT whose stamp is still its principal's.
async fn jwt_principal(
    state: &impl AuthState,
    token: &str,
    scopes: &'static str,
) -> ApiResult<Principal> {
    let unauthorized = || ApiError::Unauthorized { scopes };
    let claims = state.tokens().verify(token).ok_or_else(unauthorized)?;
    let claims = &*claims;
    let principal = match claims.scopes.as_slice() {
        [scope] if scope == SCOPE_ADMIN => {
            let (user_id, stamp) = state
                .store()
                .user_stamp(&claims.sub)
                .await?
                .ok_or_else(unauthorized)?;
            if stamp != claims.stamp {
                return Err(unauthorized());
            }
            Principal::Admin {
                user_id,
                username: claims.sub.clone(),
            }
        }
        [scope] if scope == SCOPE_ACCOUNT => {
            let account_id = claims.account_id.as_deref().ok_or_else(unauthorized)?;
            let stamp = state
                .store()
                .account_stamp(account_id)
                .await?
                .ok_or_else(unauthorized)?;
            if stamp != claims.stamp {
                return Err(unauthorized());
            }
            Principal::Account {
                account_id: account_id.to_owned(),
                email: claims.sub.clone(),
            }
        }
        _ => return Err(unauthorized()),
    };
    Ok(principal)
}

/// The token of an `Authorization: Bearer <token>` header, read as FastAPI's
/// `OAuth2PasswordBearer` reads it: the scheme is what precedes the first space, compared
/// without case, and the token (possibly empty) what follows. `None` without such a header.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

// ---- tokens ---------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    pub iat: i64,
    pub exp: i64,
    /// The principal's security stamp when the token was issued; a password change replaces
    /// the stamp and so revokes the token.
    pub stamp: String,
}

/// Signs and verifies access tokens (HS256 only).
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens that passed verification, with their claims: a client sends the same token with
    /// every request, and checking its signature and parsing it again cost more than the rest
    /// of an authenticated read. The key is the whole token, whose claims depend on nothing
    /// else (the secret never changes while running), and expiry is checked again at each use.
    /// Only genuine tokens get in, so only logins can fill it.
    verified: std::sync::RwLock<HashMap<Box<str>, Arc<Claims>, foldhash::fast::RandomState>>,
    pub lifetime_seconds: i64,
}

/// Past this many remembered tokens the cache of verified tokens starts over.
const VERIFIED_TOKENS_MAX: usize = 10_000;

/// Seconds a token stays valid past its `exp` (jsonwebtoken's leeway).
const TOKEN_LEEWAY_SECONDS: u64 = 5;

/// Whether a token expiring at `exp` has expired at `now`, by the rule jsonwebtoken applies.
fn token_expired(exp: i64, now: u64) -> bool {
    u64::try_from(exp).map_or(true, |exp| exp < now.saturating_sub(TOKEN_LEEWAY_SECONDS))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Tokens {
    pub fn new(secret: &[u8], lifetime_minutes: i64) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = TOKEN_LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: std::sync::RwLock::new(HashMap::default()),
            lifetime_seconds: lifetime_minutes * 60,
        }
    }

    pub fn issue(&self, claims: &Claims) -> ApiResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot sign token: {e}")))
    }

    /// The claims of a genuine, unexpired token signed with HS256 and our secret.
    pub fn verify(&self, token: &str) -> Option<Arc<Claims>> {
        let cached = self
            .verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        if let Some(claims) = cached {
            return (!token_expired(claims.exp, unix_now())).then_some(claims);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| Arc::new(data.claims))?;
        let mut verified = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_TOKENS_MAX {
            verified.clear();
        }
        verified.insert(token.into(), Arc::clone(&claims));
        Some(claims)
    }
}

// ---- passwords ------------------------------------------------------------------------------

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Hashes and verifies passwords on a small pool of dedicated threads, never on the async
/// executor: a flood of logins queues up there instead of taking the threads every other
/// request needs. Few long-lived threads also keep memory flat (each Argon2 hash touches
/// 19 MiB, and every new thread would keep an allocator arena of its own).
#[derive(Clone)]
pub struct Passwords {
    jobs: std::sync::mpsc::SyncSender<Job>,
    /// A real hash of a random password, verified when a login names nobody, so that such a
    /// login costs as long as one with a wrong password.
    dummy_hash: Arc<String>,
}

/// Jobs that may wait for a hashing thread; past that, callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;

impl Passwords {
    pub async fn new(threads: usize) -> anyhow::Result<Passwords> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(QUEUE_DEPTH);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("tagmark-hash-{n}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        // A panicking job only loses its own answer.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return, // every sender is gone
                    }
                })?;
        }
        let passwords = Passwords {
            jobs,
            dummy_hash: Arc::new(String::new()),
        };
        let random = uuid::Uuid::new_v4().to_string();
        let dummy_hash = passwords
            .run(move || hash_password(&random))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))??;
        Ok(Passwords {
            dummy_hash: Arc::new(dummy_hash),
            ..passwords
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A caller that gave up (timeout, closed connection) needs no answer.
            if !tx.is_closed() {
                let _ = tx.send(work());
            }
        });
        let gone = || ApiError::Internal(anyhow::anyhow!("the hashing threads are gone"));
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                // Only a full queue makes enqueueing wait; do that wait off the executor too.
                let jobs = self.jobs.clone();
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|e| ApiError::Internal(e.into()))?
                    .map_err(|_| gone())?;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(gone()),
        }
        rx.await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a password job failed")))
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move || hash_password(&password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `hash`, and a fresh Argon2id hash to store when `hash` uses
    /// an older scheme (bcrypt from the seed's deployments).
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<Verified> {
        let dummy = self.dummy_hash.clone();
        self.run(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => {
                let _ = verify_password(&password, &dummy);
                Verified::No
            }
        })
        .await
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, and this Argon2id hash should replace the stored one.
    YesRehash(String),
}

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each hashing
    /// thread and reused: allocating it for every hash let the allocator hold hundreds of MiB
    /// under a login flood.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The Argon2 output for `password` with these parameters and salt, computed in the thread's
/// reusable memory.
fn argon2_output(
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    params: argon2::Params,
    password: &[u8],
    salt: Salt<'_>,
) -> password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let len = params
        .output_len()
        .unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN);
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        Output::init_with(len, |out| {
            argon
                .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
                .map_err(|_| password_hash::Error::Crypto)
        })
    })
}

/// A new Argon2id hash (default parameters: 19 MiB, 2 passes) in PHC string form.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let fail = |e: password_hash::Error| anyhow::anyhow!("cannot hash password: {e}");
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = argon2::Params::default();
    let output = argon2_output(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
        password.as_bytes(),
        salt.as_salt(),
    )
    .map_err(fail)?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(fail)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

fn verify_argon2(password: &str, hash: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (hash.salt, &hash.hash) else {
        return false;
    };
    let computed = (|| {
        let algorithm = argon2::Algorithm::try_from(hash.algorithm)?;
        let version = hash
            .version
            .map(argon2::Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = argon2::Params::try_from(hash)?;
        argon2_output(algorithm, version, params, password.as_bytes(), salt)
    })();
    // `Output` compares in constant time.
    computed.is_ok_and(|computed| &computed == expected)
}

pub fn verify_password(password: &str, hash: &str) -> Verified {
    if hash.starts_with("$2") {
        return match bcrypt::verify(password, hash) {
            Ok(true) => match hash_password(password) {
                Ok(new_hash) => Verified::YesRehash(new_hash),
                Err(_) => Verified::Yes,
            },
            _ => Verified::No,
        };
    }
    match PasswordHash::new(hash) {
        Ok(parsed) if verify_argon2(password, &parsed) => Verified::Yes,
        _ => Verified::No,
    }
}

// ---- login ----------------------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// When the token expires (RFC 3339).
    pub expires: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// The scope a login asks for: absent means `account`; several or unknown ones fail the login
/// as a wrong password does (`admin,account` is one unknown scope).
pub fn parse_scope(scope: Option<&str>) -> ApiResult<&'static str> {
    let scopes: Vec<&str> = scope.unwrap_or("").split_whitespace().collect();
    match scopes.as_slice() {
        [] => Ok(SCOPE_ACCOUNT),
        [s] if *s == SCOPE_ACCOUNT => Ok(SCOPE_ACCOUNT),
        [s] if *s == SCOPE_ADMIN => Ok(SCOPE_ADMIN),
        _ => Err(ApiError::LoginFailed),
    }
}

/// The OAuth2 password flow: check the credentials and issue a token.
pub async fn login(
    state: &impl AuthState,
    username: &str,
    password: String,
    scope: &'static str,
) -> ApiResult<TokenResponse> {
    let admin = scope == SCOPE_ADMIN;
    let creds = check_credentials(state, username, password, admin).await?;
    let now = time::OffsetDateTime::now_utc();
    let exp = now.unix_timestamp() + state.tokens().lifetime_seconds;
    let claims = Claims {
        sub: creds.name,
        scopes: vec![scope.to_owned()],
        account_id: (!admin).then_some(creds.id),
        iat: now.unix_timestamp(),
        exp,
        stamp: creds.security_stamp,
    };
    let access_token = state.tokens().issue(&claims)?;
    Ok(TokenResponse {
        access_token,
        token_type: "bearer".into(),
        expires: crate::model::format_micros(exp * 1_000_000),
        expires_in: state.tokens().lifetime_seconds,
    })
}

/// Check a login's username (admin) or email (account) and password; the principal's
/// credentials when they are right. A hash of an older scheme is replaced on the way.
pub async fn check_credentials(
    state: &impl AuthState,
    username: &str,
    password: String,
    admin: bool,
) -> ApiResult<Credentials> {
    let found: Option<Credentials> = if admin {
        state.store().user_credentials(username).await?
    } else {
        state.store().account_credentials(username).await?
    };
    let stored_hash = found.as_ref().map(|c| c.hashed_password.clone());
    let verified = state.passwords().verify(password, stored_hash).await?;
    let creds = match (found, verified) {
        (Some(creds), Verified::Yes) => creds,
        (Some(creds), Verified::YesRehash(new_hash)) => {
            state
                .store()
                .upgrade_hash(admin, &creds.id, &creds.hashed_password, &new_hash)
                .await?;
            creds
        }
        _ => return Err(ApiError::LoginFailed),
    };
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(verify_password("correct horse", &hash), Verified::Yes);
        assert_eq!(verify_password("wrong horse", &hash), Verified::No);
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"shared secret", &salt)
            .unwrap()
            .to_string();
        assert_eq!(verify_password("shared secret", &theirs), Verified::Yes);
        assert_eq!(verify_password("other secret", &theirs), Verified::No);
        let ours = hash_password("shared secret").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"shared secret", &parsed)
            .is_ok());
        // Other parameters (as an older deployment may have used) verify too.
        let light = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8192, 3, 1, None).unwrap(),
        )
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
        assert_eq!(verify_password("pw", &light), Verified::Yes);
    }

    #[test]
    fn bcrypt_hashes_verify_and_are_upgraded() {
        let hash = bcrypt::hash("seedpassword", 4).unwrap();
        match verify_password("seedpassword", &hash) {
            Verified::YesRehash(new) => assert!(new.starts_with("$argon2id$")),
            other => panic!("expected a rehash, got {other:?}"),
        }
        assert_eq!(verify_password("other", &hash), Verified::No);
        assert_eq!(verify_password("x", "not a hash"), Verified::No);
    }

    #[test]
    fn scopes_parse() {
        assert_eq!(parse_scope(None).unwrap(), SCOPE_ACCOUNT);
        assert_eq!(parse_scope(Some("admin")).unwrap(), SCOPE_ADMIN);
        assert_eq!(parse_scope(Some(" account ")).unwrap(), SCOPE_ACCOUNT);
        for bad in ["admin account", "admin,account", "root", "Admin"] {
            assert!(
                matches!(parse_scope(Some(bad)), Err(ApiError::LoginFailed)),
                "{bad}"
            );
        }
    }

    /// Claims of the admin "a", issued at `iat` and expiring at `exp`.
    fn admin_claims(iat: i64, exp: i64) -> Claims {
        Claims {
            sub: "a".into(),
            scopes: vec!["admin".into()],
            account_id: None,
            iat,
            exp,
            stamp: "s".into(),
        }
    }

    #[test]
    fn tokens_reject_other_algorithms_and_secrets() {
        let tokens = Tokens::new(&[7u8; 32], 30);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = admin_claims(now, now + 60);
        let token = tokens.issue(&claims).unwrap();
        assert!(tokens.verify(&token).is_some());
        // Again, from the cache of verified tokens.
        assert_eq!(tokens.verify(&token).unwrap().sub, "a");
        let other = Tokens::new(&[8u8; 32], 30);
        assert!(other.verify(&token).is_none());
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(tokens.verify(&hs512).is_none());
        // A token that differs from a verified one is verified on its own.
        let mut tampered = token.clone();
        tampered.pop();
        assert!(tokens.verify(&tampered).is_none());
    }

    #[test]
    fn remembered_tokens_still_expire() {
        let tokens = Tokens::new(&[7u8; 32], 30);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = admin_claims(now - 100, now + 1);
        let token = tokens.issue(&claims).unwrap();
        assert!(tokens.verify(&token).is_some());
        let now = unix_now();
        assert!(!token_expired(claims.exp, now));
        assert!(!token_expired(claims.exp, now + TOKEN_LEEWAY_SECONDS));
        assert!(token_expired(claims.exp, now + TOKEN_LEEWAY_SECONDS + 2));
        assert!(token_expired(-1, now));
        // The leeway is the one jsonwebtoken applies to tokens it has not seen.
        let expired = tokens
            .issue(&Claims {
                exp: now as i64 - TOKEN_LEEWAY_SECONDS as i64 - 1,
                ..claims
            })
            .unwrap();
        assert!(tokens.verify(&expired).is_none());
    }
}
