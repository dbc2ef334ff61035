//! Authentication and accounts over HTTP: logging in at `/token/`, what a bearer token must be
//! to be accepted, how tokens are revoked, the `tagmark admin` commands, bcrypt hashes from the
//! seed's deployments, the `/account/` endpoints and the admin bootstrap.

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const ACCOUNT_PASSWORD: &str = "password-123";
const BAD_CREDENTIALS: &str = "Incorrect username or password or invalid scopes";
const NOT_AUTHENTICATED: &str = "Not authenticated";
const BAD_TOKEN: &str = "Could not validate credentials";
const BOTH_SCOPES_CHALLENGE: &str = "Bearer scope=\"admin account\"";

// ---- helpers --------------------------------------------------------------------------------

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The decoded header and payload of a JWT (without checking anything).
fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let decode = |part: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap_or_else(|e| panic!("JWT part {part:?} is not base64url: {e}"));
        serde_json::from_slice(&bytes).expect("JWT part is JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

/// A token over `claims` signed with `secret` and `alg`.
fn sign(claims: &Value, secret: &[u8], alg: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign token")
}

/// GET with a raw `Authorization` header (or none): status, `WWW-Authenticate`, JSON body.
async fn get_with_auth(
    app: &TestApp,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = app.client.get(app.url(path));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answer to {path} is not JSON ({e}): {text:?}"));
    (status, challenge, body)
}

/// Assert that `token` is refused on `GET /link/` (an endpoint of both scopes) as invalid.
async fn assert_token_refused(app: &TestApp, token: &str, what: &str) {
    let (status, challenge, body) =
        get_with_auth(app, "/link/", Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(body, json!({ "detail": BAD_TOKEN }), "{what}");
    assert_eq!(challenge.as_deref(), Some(BOTH_SCOPES_CHALLENGE), "{what}");
}

/// Assert that `token` is accepted on `GET /link/`.
async fn assert_token_accepted(app: &TestApp, token: &str, what: &str) {
    let (status, body) = app.get(token, "/link/").await;
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
}

/// Assert a failed login: 401, the fixed message and `WWW-Authenticate: Bearer`.
async fn assert_login_fails(app: &TestApp, username: &str, password: &str, scope: Option<&str>) {
    let response = app.login(username, password, scope).await;
    let what = format!("login of {username:?} with scope {scope:?}");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer"),
        "{what}"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({ "detail": BAD_CREDENTIALS }), "{what}");
}

/// Run one statement directly against the database.
async fn execute(app: &TestApp, sql: &str) -> u64 {
    common::db::execute(&app.database_url, sql).await
}

/// The one text value `sql` selects.
async fn query_text(app: &TestApp, sql: &str) -> String {
    let mut conn = common::db::DbConn::connect(&app.database_url).await;
    let value = conn.text(sql).await;
    conn.close().await;
    value
}

/// A child process that is killed when this is dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}, stdout {:?}, stderr {:?}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn parse_time(value: &Value) -> OffsetDateTime {
    let text = value.as_str().expect("a time string");
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
}

// ---- POST /token/ ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_login_answers_a_bearer_token_that_is_not_cached() {
    for_each_engine(|app| async move {
        let before = now();
        let response = app.login(ADMIN, ADMIN_PASSWORD, Some("admin")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get(CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let body: Value = response.json().await.expect("json");
        let after = now();
        let fields: Vec<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            ["access_token", "expires", "expires_in", "token_type"],
            "{body}"
        );
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 30 * 60, "default lifetime: 30 minutes");
        let expires = parse_time(&body["expires"]).unix_timestamp();
        assert!(
            (before + 1800..=after + 1800).contains(&expires),
            "expires {expires} should be 30 minutes after {before}..{after}"
        );

        let token = body["access_token"].as_str().expect("access_token");
        let (header, claims) = jwt_parts(token);
        assert_eq!(header["alg"], "HS256");
        assert_eq!(claims["sub"], ADMIN);
        assert_eq!(claims["scopes"], json!(["admin"]));
        assert!(
            claims.get("account_id").is_none_or(Value::is_null),
            "an admin token names no account: {claims}"
        );
        let iat = claims["iat"].as_i64().expect("iat");
        let exp = claims["exp"].as_i64().expect("exp");
        assert!((before..=after).contains(&iat), "iat {iat}");
        assert_eq!(exp, iat + 1800);
        assert_eq!(exp, expires);

        // The token works on an admin-only endpoint.
        let (status, accounts) = app.get(token, "/account/").await;
        assert_eq!(status, StatusCode::OK, "{accounts}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_lifetime_follows_the_configuration() {
    for_each_engine_with(
        |config| config.token_minutes = 7,
        |app| async move {
            let response = app.login(ADMIN, ADMIN_PASSWORD, Some("admin")).await;
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["expires_in"], 7 * 60);
            let (_, claims) = jwt_parts(body["access_token"].as_str().expect("token"));
            assert_eq!(
                claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
                7 * 60
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_logs_in_by_email_regardless_of_case_and_scope_defaults_to_account() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, _) = app.create_account(&admin, "case.user@example.com").await;

        for (username, scope) in [
            ("CASE.User@Example.COM", Some("account")),
            ("case.user@example.com", None),
        ] {
            let response = app.login(username, ACCOUNT_PASSWORD, scope).await;
            assert_eq!(response.status(), StatusCode::OK, "{username} {scope:?}");
            assert_eq!(
                response
                    .headers()
                    .get(CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok()),
                Some("no-store")
            );
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["token_type"], "bearer");
            let token = body["access_token"].as_str().expect("token");
            let (header, claims) = jwt_parts(token);
            assert_eq!(header["alg"], "HS256");
            assert_eq!(claims["sub"], "case.user@example.com");
            assert_eq!(claims["scopes"], json!(["account"]));
            assert_eq!(claims["account_id"], account_id.as_str());
            assert!(claims["iat"].is_i64() && claims["exp"].is_i64(), "{claims}");

            // The token acts as that account.
            let (status, me) = app.get(token, &format!("/account/{account_id}")).await;
            assert_eq!(status, StatusCode::OK, "{me}");
            assert_eq!(me["email"], "case.user@example.com");
        }

        // grant_type=password, as OAuth2 clients send it, is accepted.
        let response = app
            .client
            .post(app.url("/token/"))
            .form(&[
                ("grant_type", "password"),
                ("username", "case.user@example.com"),
                ("password", ACCOUNT_PASSWORD),
                ("scope", "account"),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_alike() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        app.create_account(&admin, "someone@example.com").await;

        // Wrong password, unknown user, for either scope.
        assert_login_fails(&app, ADMIN, "wrong-password", Some("admin")).await;
        assert_login_fails(&app, "nobody", ADMIN_PASSWORD, Some("admin")).await;
        assert_login_fails(&app, "someone@example.com", "wrong-password", None).await;
        assert_login_fails(
            &app,
            "nobody@example.com",
            ACCOUNT_PASSWORD,
            Some("account"),
        )
        .await;
        // A huge password is not the right password (an empty one is a missing field: 422).
        assert_login_fails(&app, ADMIN, &"x".repeat(5000), Some("admin")).await;
        // Credentials are only good for their own scope.
        assert_login_fails(&app, ADMIN, ADMIN_PASSWORD, Some("account")).await;
        assert_login_fails(&app, ADMIN, ADMIN_PASSWORD, None).await;
        assert_login_fails(&app, "someone@example.com", ACCOUNT_PASSWORD, Some("admin")).await;

        // The right ones still work after all those failures.
        app.token("someone@example.com", ACCOUNT_PASSWORD, "account")
            .await;
        app.admin_token().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_or_unknown_scopes_fail_the_login_as_wrong_credentials_do() {
    for_each_engine(|app| async move {
        for scope in ["admin account", "root", "admin,account", "ADMIN"] {
            assert_login_fails(&app, ADMIN, ADMIN_PASSWORD, Some(scope)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_form_with_missing_fields_is_422_in_fastapi_shape() {
    for_each_engine(|app| async move {
        for (form, field) in [
            (
                vec![("password", ADMIN_PASSWORD), ("scope", "admin")],
                "username",
            ),
            (vec![("username", ADMIN), ("scope", "admin")], "password"),
            (vec![], "username"),
            // A field sent empty counts as absent, as in FastAPI's OAuth2PasswordRequestForm.
            (
                vec![("username", ""), ("password", ADMIN_PASSWORD)],
                "username",
            ),
            (vec![("username", ADMIN), ("password", "")], "password"),
        ] {
            let response = app
                .client
                .post(app.url("/token/"))
                .form(&form)
                .send()
                .await
                .expect("request");
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "form {form:?}"
            );
            let body: Value = response.json().await.expect("json");
            let errors = body["detail"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"));
            let error = errors
                .iter()
                .find(|e| e["loc"] == json!(["body", field]))
                .unwrap_or_else(|| panic!("no error at body.{field}: {body}"));
            assert!(
                error["msg"].is_string() && error["type"].is_string(),
                "{body}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_json_body_is_a_json_client_error() {
    for_each_engine(|app| async move {
        let response = app
            .client
            .post(app.url("/token/"))
            .json(&json!({"username": ADMIN, "password": ADMIN_PASSWORD, "scope": "admin"}))
            .send()
            .await
            .expect("request");
        let status = response.status();
        assert!(status.is_client_error(), "got {status}");
        let body: Value = response.json().await.expect("the error is JSON");
        assert!(
            body["detail"].is_string() || body["detail"].is_array(),
            "{body}"
        );
    })
    .await;
}

/// How long a failed login takes.
async fn failed_login_time(app: &TestApp, username: &str, password: &str) -> Duration {
    let start = Instant::now();
    let response = app.login(username, password, Some("account")).await;
    let elapsed = start.elapsed();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{username}");
    elapsed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_for_nobody_takes_about_as_long_as_a_wrong_password() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let mut wrong = Duration::MAX;
        let mut unknown = Duration::MAX;
        for n in 0..3 {
            let email = format!("timed{n}@example.com");
            app.create_account(&admin, &email).await;
            wrong = wrong.min(failed_login_time(&app, &email, "wrong-password").await);
            let nobody = format!("nobody{n}@example.com");
            unknown = unknown.min(failed_login_time(&app, &nobody, "wrong-password").await);
        }
        // Both verify a real hash; without that, a login for nobody answers many times faster.
        assert!(
            unknown * 3 >= wrong,
            "a login for nobody took {unknown:?}, one with a wrong password {wrong:?}"
        );
    })
    .await;
}

// ---- bearer tokens --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_malformed_authorization_is_401_with_a_challenge() {
    for_each_engine(|app| async move {
        // No bearer header at all: FastAPI's OAuth2PasswordBearer answer.
        for header in [
            None,
            Some("Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ=="),
            Some("Token abc"),
        ] {
            let (status, challenge, body) = get_with_auth(&app, "/link/", header).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}: {body}");
            assert_eq!(body, json!({ "detail": NOT_AUTHENTICATED }), "{header:?}");
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{header:?}");
        }
        // A bearer header whose token is not valid.
        for header in [
            Some("Bearer garbage"),
            Some("Bearer"),
            Some("Bearer "),
            Some("bearer a.b.c"),
            Some("Bearer a.b.c"),
        ] {
            let (status, challenge, body) = get_with_auth(&app, "/link/", header).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}: {body}");
            assert_eq!(body, json!({ "detail": BAD_TOKEN }), "{header:?}");
            assert_eq!(
                challenge.as_deref(),
                Some(BOTH_SCOPES_CHALLENGE),
                "{header:?}"
            );
        }
        let (status, challenge, _) = get_with_auth(&app, "/account/x", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        // An admin-only endpoint names only its own scope when a token is refused.
        let response = app
            .client
            .post(app.url("/account/"))
            .bearer_auth("garbage")
            .json(&json!({"email": "a@example.com", "password": ACCOUNT_PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer scope=\"admin\"")
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_and_expired_tokens_are_refused() {
    for_each_engine(|app| async move {
        let admin_login = app.admin_token().await;
        let (account_id, account) = app.create_account(&admin_login, "victim@example.com").await;
        let (_, real) = jwt_parts(&account);
        let t = now();

        // Control: the same claims, freshly signed with the server's secret, are accepted, so
        // each refusal below is about the one thing that differs.
        let mut fresh = real.clone();
        fresh["iat"] = json!(t);
        fresh["exp"] = json!(t + 600);
        assert_token_accepted(
            &app,
            &sign(&fresh, SECRET.as_bytes(), Algorithm::HS256),
            "control",
        )
        .await;
        assert_token_accepted(&app, &account, "the real token").await;

        // Signed with another secret.
        let other_secret = "another-secret-another-secret-0123456789";
        assert_token_refused(
            &app,
            &sign(&fresh, other_secret.as_bytes(), Algorithm::HS256),
            "another secret",
        )
        .await;

        // Tampered payload: another account's id under the original signature.
        let (attacker_id, _) = app
            .create_account(&admin_login, "attacker@example.com")
            .await;
        let parts: Vec<&str> = account.split('.').collect();
        let mut tampered = real.clone();
        tampered["account_id"] = json!(attacker_id);
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64url(tampered.to_string().as_bytes()),
            parts[2]
        );
        assert_token_refused(&app, &tampered, "tampered payload").await;
        // Tampered signature.
        let mut signature = parts[2].to_owned();
        let last = if signature.ends_with('A') { "B" } else { "A" };
        signature.replace_range(signature.len() - 1.., last);
        assert_token_refused(
            &app,
            &format!("{}.{}.{signature}", parts[0], parts[1]),
            "tampered signature",
        )
        .await;

        // Expired (beyond any leeway).
        let mut expired = real.clone();
        expired["iat"] = json!(t - 3600);
        expired["exp"] = json!(t - 120);
        assert_token_refused(
            &app,
            &sign(&expired, SECRET.as_bytes(), Algorithm::HS256),
            "expired",
        )
        .await;

        // alg "none", no signature.
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none","typ":"JWT"}"#),
            b64url(fresh.to_string().as_bytes())
        );
        assert_token_refused(&app, &none, "alg none").await;
        assert_token_refused(&app, none.trim_end_matches('.'), "alg none, two parts").await;

        // Another HMAC algorithm with the right secret.
        assert_token_refused(
            &app,
            &sign(&fresh, SECRET.as_bytes(), Algorithm::HS512),
            "HS512",
        )
        .await;

        // Two scopes, or none, or an unknown one, however well signed.
        for scopes in [json!(["admin", "account"]), json!([]), json!(["root"])] {
            let mut claims = fresh.clone();
            claims["scopes"] = scopes.clone();
            assert_token_refused(
                &app,
                &sign(&claims, SECRET.as_bytes(), Algorithm::HS256),
                &format!("scopes {scopes}"),
            )
            .await;
        }
        let mut admin_claims = jwt_parts(&admin_login).1;
        admin_claims["scopes"] = json!(["admin", "account"]);
        admin_claims["account_id"] = json!(account_id);
        assert_token_refused(
            &app,
            &sign(&admin_claims, SECRET.as_bytes(), Algorithm::HS256),
            "admin token with two scopes",
        )
        .await;

        // Without the security stamp, or with another one.
        let mut no_stamp = fresh.clone();
        no_stamp.as_object_mut().expect("object").remove("stamp");
        assert_token_refused(
            &app,
            &sign(&no_stamp, SECRET.as_bytes(), Algorithm::HS256),
            "no stamp",
        )
        .await;
        let mut wrong_stamp = fresh.clone();
        wrong_stamp["stamp"] = json!("0123456789abcdef0123456789abcdef");
        assert_token_refused(
            &app,
            &sign(&wrong_stamp, SECRET.as_bytes(), Algorithm::HS256),
            "wrong stamp",
        )
        .await;

        // Nothing of this changed the account.
        assert_token_accepted(&app, &account, "the real token, afterwards").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_token_on_an_admin_endpoint_is_401_not_enough_permissions() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (_, account) = app.create_account(&admin, "plain@example.com").await;
        let response = app
            .client
            .post(app.url("/account/"))
            .bearer_auth(&account)
            .json(&json!({"email": "other@example.com", "password": ACCOUNT_PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer scope=\"admin\"")
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({ "detail": "Not enough permissions" }));
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
    })
    .await;
}

// ---- revocation -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_deleted_account_or_admin_stop_working() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (account_id, account) = app.create_account(&admin, "gone@example.com").await;
        assert_token_accepted(&app, &account, "before deletion").await;
        let (status, body) = app.delete(&admin, &format!("/account/{account_id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_token_refused(&app, &account, "deleted account").await;
        let (status, body) = app.get(&account, &format!("/account/{account_id}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_login_fails(&app, "gone@example.com", ACCOUNT_PASSWORD, None).await;

        // An admin removed from the database.
        let output = tagmark_cli(&app, &["admin", "add", "temp-admin"], "temp-password-1\n").await;
        assert!(output.status.success(), "{}", describe(&output));
        let temp = app.token("temp-admin", "temp-password-1", "admin").await;
        assert_token_accepted(&app, &temp, "temporary admin").await;
        assert_eq!(
            execute(&app, "DELETE FROM users WHERE username = 'temp-admin'").await,
            1
        );
        assert_token_refused(&app, &temp, "deleted admin").await;
        // The other admin is unaffected.
        assert_token_accepted(&app, &admin, "remaining admin").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_passwd_revokes_earlier_tokens_and_sets_the_new_password() {
    for_each_engine(|app| async move {
        let old_token = app.admin_token().await;
        let (_, account) = app
            .create_account(&old_token, "bystander@example.com")
            .await;
        assert_token_accepted(&app, &old_token, "before passwd").await;

        let output = tagmark_cli(&app, &["admin", "passwd", ADMIN], "brand-new-password\n").await;
        assert!(output.status.success(), "{}", describe(&output));

        assert_token_refused(&app, &old_token, "admin token after passwd").await;
        assert_login_fails(&app, ADMIN, ADMIN_PASSWORD, Some("admin")).await;
        let new_token = app.token(ADMIN, "brand-new-password", "admin").await;
        assert_token_accepted(&app, &new_token, "new admin token").await;
        // An account's tokens do not depend on the admin's password.
        assert_token_accepted(&app, &account, "account token").await;
        let stored = query_text(
            &app,
            &format!("SELECT hashed_password FROM users WHERE username = '{ADMIN}'"),
        )
        .await;
        assert!(stored.starts_with("$argon2id$"), "stored hash {stored:?}");
        assert!(!stored.contains("brand-new-password"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_add_creates_an_admin_once() {
    for_each_engine(|app| async move {
        let output = tagmark_cli(&app, &["admin", "add", "second"], "second-password\n").await;
        assert!(output.status.success(), "{}", describe(&output));
        assert!(
            !describe(&output).contains("second-password"),
            "{}",
            describe(&output)
        );
        let token = app.token("second", "second-password", "admin").await;
        let (status, body) = app.get(&token, "/account/").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // An admin is not an account.
        assert_login_fails(&app, "second", "second-password", Some("account")).await;

        // Adding it again fails and leaves the password alone.
        let output = tagmark_cli(&app, &["admin", "add", "second"], "other-password-2\n").await;
        assert!(!output.status.success(), "{}", describe(&output));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'second'")
                .await,
            1
        );
        assert_login_fails(&app, "second", "other-password-2", Some("admin")).await;
        app.token("second", "second-password", "admin").await;
        // Its first token survived the failed attempt.
        assert_token_accepted(&app, &token, "token of the second admin").await;

        // passwd for an admin that does not exist fails and creates nobody.
        let output = tagmark_cli(&app, &["admin", "passwd", "ghost"], "ghost-password\n").await;
        assert!(!output.status.success(), "{}", describe(&output));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'ghost'")
                .await,
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_refuse_a_short_password() {
    for_each_engine(|app| async move {
        let output = tagmark_cli(&app, &["admin", "add", "shorty"], "1234567\n").await;
        assert!(!output.status.success(), "{}", describe(&output));
        assert!(
            !describe(&output).contains("1234567"),
            "{}",
            describe(&output)
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'shorty'")
                .await,
            0
        );
        let output = tagmark_cli(&app, &["admin", "add", "silent"], "").await;
        assert!(!output.status.success(), "{}", describe(&output));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'silent'")
                .await,
            0
        );

        let token = app.admin_token().await;
        let output = tagmark_cli(&app, &["admin", "passwd", ADMIN], "short\n").await;
        assert!(!output.status.success(), "{}", describe(&output));
        // Nothing changed: the old password and token still work.
        assert_token_accepted(&app, &token, "admin token after a refused passwd").await;
        app.admin_token().await;
    })
    .await;
}

// ---- bcrypt hashes from the seed --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bcrypt_hashes_still_log_in_and_are_upgraded_to_argon2id() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (legacy_id, _) = app.create_account(&admin, "legacy@example.com").await;
        let (other_id, _) = app.create_account(&admin, "wrongpw@example.com").await;
        let legacy_hash = bcrypt::hash("seed-password", 4).expect("bcrypt");
        assert!(legacy_hash.starts_with("$2"), "{legacy_hash}");
        for id in [&legacy_id, &other_id] {
            let updated = execute(
                &app,
                &format!(
                    "UPDATE accounts SET hashed_password = '{legacy_hash}' WHERE account_id = '{id}'"
                ),
            )
            .await;
            assert_eq!(updated, 1);
        }

        // A wrong password against a bcrypt hash fails and leaves the hash as it was.
        assert_login_fails(&app, "wrongpw@example.com", "not-the-password", None).await;
        let stored = query_text(
            &app,
            &format!("SELECT hashed_password FROM accounts WHERE account_id = '{other_id}'"),
        )
        .await;
        assert_eq!(stored, legacy_hash);

        // The right one logs in, and the stored hash becomes Argon2id.
        let token = app
            .token("legacy@example.com", "seed-password", "account")
            .await;
        assert_token_accepted(&app, &token, "token from a bcrypt login").await;
        let stored = query_text(
            &app,
            &format!("SELECT hashed_password FROM accounts WHERE account_id = '{legacy_id}'"),
        )
        .await;
        assert!(stored.starts_with("$argon2id$"), "stored hash {stored:?}");
        // The upgrade is not a password change: the token stays valid, and the password works
        // against the new hash.
        assert_token_accepted(&app, &token, "token after the upgrade").await;
        app.token("legacy@example.com", "seed-password", "account")
            .await;
        assert_login_fails(&app, "legacy@example.com", ACCOUNT_PASSWORD, None).await;

        // The same for an admin.
        let admin_hash = bcrypt::hash("seed-admin-password", 4).expect("bcrypt");
        execute(
            &app,
            &format!("UPDATE users SET hashed_password = '{admin_hash}' WHERE username = '{ADMIN}'"),
        )
        .await;
        app.token(ADMIN, "seed-admin-password", "admin").await;
        let stored = query_text(
            &app,
            &format!("SELECT hashed_password FROM users WHERE username = '{ADMIN}'"),
        )
        .await;
        assert!(stored.starts_with("$argon2id$"), "stored hash {stored:?}");
    })
    .await;
}

// ---- /account/ ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_an_account_without_exposing_its_password() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let before = OffsetDateTime::now_utc();
        let (status, account) = app
            .post(
                &admin,
                "/account/",
                json!({"email": "new@example.com", "password": "secret-password-9"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{account}");
        let fields: Vec<&str> = account
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "account_id",
                "created",
                "created_at",
                "email",
                "hashed_password"
            ],
            "{account}"
        );
        assert_eq!(account["email"], "new@example.com");
        assert_eq!(
            account["hashed_password"], "**********",
            "a mask, never the hash"
        );
        let id = account["account_id"].as_str().expect("account_id");
        uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id} is not a UUID: {e}"));
        let created = parse_time(&account["created_at"]);
        assert!(
            created >= before - time::Duration::seconds(1)
                && created <= OffsetDateTime::now_utc() + time::Duration::seconds(1),
            "created_at {created}"
        );
        assert!(!account.to_string().contains("secret-password-9"));

        let stored = query_text(
            &app,
            &format!("SELECT hashed_password FROM accounts WHERE account_id = '{id}'"),
        )
        .await;
        assert!(stored.starts_with("$argon2id$"), "stored hash {stored:?}");
        assert!(!stored.contains("secret-password-9"));

        // What GET answers is the same object, again without a hash.
        let (status, got) = app.get(&admin, &format!("/account/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, account);
        let (status, list) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list, json!([account]));
        assert!(!list.to_string().contains("argon2"), "{list}");

        // The account can log in with the password it was given.
        app.token("new@example.com", "secret-password-9", "account")
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_email_is_409_even_in_another_case() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        app.create_account(&admin, "dup@example.com").await;
        for email in ["dup@example.com", "DUP@Example.com"] {
            let (status, body) = app
                .post(
                    &admin,
                    "/account/",
                    json!({"email": email, "password": "another-password"}),
                )
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{email}: {body}");
            assert!(body["detail"].is_string(), "{body}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
        // The first account's password is unchanged.
        app.token("dup@example.com", ACCOUNT_PASSWORD, "account")
            .await;
        assert_login_fails(&app, "dup@example.com", "another-password", None).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_email_or_short_password_is_422_naming_the_field() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let cases = [
            (json!({"email": "not-an-email", "password": ACCOUNT_PASSWORD}), "email"),
            (json!({"email": "a@b", "password": ACCOUNT_PASSWORD}), "email"),
            (json!({"email": "sp ace@example.com", "password": ACCOUNT_PASSWORD}), "email"),
            (
                json!({"email": format!("{}@example.com", "a".repeat(250)), "password": ACCOUNT_PASSWORD}),
                "email",
            ),
            (json!({"email": "ok@example.com", "password": "1234567"}), "password"),
            (json!({"email": "ok@example.com"}), "password"),
            (json!({"password": ACCOUNT_PASSWORD}), "email"),
        ];
        for (body, field) in cases {
            let (status, answer) = app.post(&admin, "/account/", body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            let errors = answer["detail"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}: {answer}"));
            assert!(
                errors.iter().any(|e| e["loc"] == json!(["body", field])
                    && e["msg"].is_string()
                    && e["type"].is_string()),
                "{body}: expected an error at body.{field}: {answer}"
            );
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);

        // Eight characters are enough.
        let (status, body) = app
            .post(
                &admin,
                "/account/",
                json!({"email": "ok@example.com", "password": "12345678"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_lists_every_account_and_an_account_only_itself() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (first_id, first) = app.create_account(&admin, "first@example.com").await;
        let (second_id, _) = app.create_account(&admin, "second@example.com").await;

        let (status, all) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<&str> = all
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["account_id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, [first_id.as_str(), second_id.as_str()]);

        let (status, filtered) = app.get(&admin, "/account/?email=SECOND@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(filtered.as_array().expect("list").len(), 1, "{filtered}");
        assert_eq!(filtered[0]["account_id"], second_id.as_str());

        let (status, own) = app.get(&first, "/account/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(own.as_array().expect("list").len(), 1, "{own}");
        assert_eq!(own[0]["account_id"], first_id.as_str());
        assert_eq!(own[0]["email"], "first@example.com");

        let (status, own) = app.get(&first, "/account/?email=first@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(own.as_array().expect("list").len(), 1, "{own}");
        let (status, none) = app.get(&first, "/account/?email=second@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(none, json!([]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_sees_only_itself_by_id() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (first_id, first) = app.create_account(&admin, "me@example.com").await;
        let (second_id, _) = app.create_account(&admin, "them@example.com").await;

        let (status, me) = app.get(&first, &format!("/account/{first_id}")).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["account_id"], first_id.as_str());
        assert_eq!(me["email"], "me@example.com");

        // Another account's id and an id that does not exist get the same answer.
        for id in [second_id.as_str(), "00000000-0000-0000-0000-000000000000"] {
            let (status, body) = app.get(&first, &format!("/account/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(
                body,
                json!({ "detail": format!("Account with account_id '{id}' not found") })
            );
        }

        // The admin sees any existing account.
        let (status, them) = app.get(&admin, &format!("/account/{second_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(them["email"], "them@example.com");
        let (status, body) = app.get(&admin, "/account/no-such-account").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            json!({ "detail": "Account with account_id 'no-such-account' not found" })
        );
    })
    .await;
}

/// Give an account two links under two tags (four tag-links in all).
async fn populate(app: &TestApp, token: &str, prefix: &str) {
    for (link, tag) in [("a", "one"), ("b", "two")] {
        let (status, body) = app
            .post(
                token,
                "/link/",
                json!({"link": format!("https://{prefix}.example.com/{link}"), "tag": tag}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let link_id = body["link_id"].as_str().expect("link_id").to_owned();
        let (status, tags) = app.get(token, "/tag/").await;
        assert_eq!(status, StatusCode::OK);
        let other = tags
            .as_array()
            .expect("tags")
            .iter()
            .find(|t| t["tag"] != tag)
            .cloned();
        if let Some(other) = other {
            let (status, body) = app
                .post(
                    token,
                    "/taglink/",
                    json!({"tag_id": other["tag_id"], "link_id": link_id}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
}

/// Links, tags and tag-links stored for `account_id`.
async fn owned_rows(app: &TestApp, account_id: &str) -> [i64; 3] {
    let mut counts = [0; 3];
    for (n, table) in ["links", "tags", "taglinks"].iter().enumerate() {
        counts[n] = app
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE account_id = '{account_id}'"
            ))
            .await;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_deletes_an_account_with_all_its_data_and_nothing_else() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (doomed_id, doomed) = app.create_account(&admin, "doomed@example.com").await;
        let (kept_id, kept) = app.create_account(&admin, "kept@example.com").await;
        populate(&app, &doomed, "doomed").await;
        populate(&app, &kept, "kept").await;
        assert_eq!(owned_rows(&app, &doomed_id).await, [2, 2, 3]);
        assert_eq!(owned_rows(&app, &kept_id).await, [2, 2, 3]);

        let (status, deleted) = app.delete(&admin, &format!("/account/{doomed_id}")).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted, json!("OK"), "the seed's answer to a delete");

        assert_eq!(owned_rows(&app, &doomed_id).await, [0, 0, 0]);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM accounts WHERE account_id = '{doomed_id}'"
            ))
            .await,
            0
        );
        assert_eq!(owned_rows(&app, &kept_id).await, [2, 2, 3]);
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
        let (status, links) = app.get(&kept, "/link/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(links.as_array().expect("links").len(), 2);

        // Gone for good.
        let not_found =
            json!({ "detail": format!("Account with account_id '{doomed_id}' not found") });
        let (status, body) = app.get(&admin, &format!("/account/{doomed_id}")).await;
        assert_eq!((status, body), (StatusCode::NOT_FOUND, not_found.clone()));
        let (status, body) = app.delete(&admin, &format!("/account/{doomed_id}")).await;
        let admin_not_found = json!({ "detail": format!("Account id {doomed_id} not found") });
        assert_eq!((status, body), (StatusCode::NOT_FOUND, admin_not_found));
        // Its email can be used again, by a new account.
        let (new_id, _) = app.create_account(&admin, "doomed@example.com").await;
        assert_ne!(new_id, doomed_id);
        assert_eq!(owned_rows(&app, &new_id).await, [0, 0, 0]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_cannot_delete_another_but_can_delete_itself() {
    for_each_engine(|app| async move {
        let admin = app.admin_token().await;
        let (mine_id, mine) = app.create_account(&admin, "mine@example.com").await;
        let (theirs_id, theirs) = app.create_account(&admin, "theirs@example.com").await;
        populate(&app, &mine, "mine").await;
        populate(&app, &theirs, "theirs").await;

        let (status, body) = app.delete(&mine, &format!("/account/{theirs_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            json!({ "detail": format!("Account with account_id '{theirs_id}' not found") })
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 2);
        assert_eq!(owned_rows(&app, &theirs_id).await, [2, 2, 3]);
        assert_token_accepted(&app, &theirs, "the other account's token").await;

        let (status, body) = app.delete(&mine, &format!("/account/{mine_id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!("OK"));
        assert_eq!(owned_rows(&app, &mine_id).await, [0, 0, 0]);
        assert_eq!(owned_rows(&app, &theirs_id).await, [2, 2, 3]);
        assert_token_refused(&app, &mine, "token of the deleted account").await;
        assert_login_fails(&app, "mine@example.com", ACCOUNT_PASSWORD, None).await;
    })
    .await;
}

// ---- bootstrap and shared secrets -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_admin_is_created_once_and_never_overwritten() {
    for_each_engine(|app| async move {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM users WHERE username = '{ADMIN}'"
            ))
            .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        let first_token = app.admin_token().await;

        // A restart with another password for the same admin changes nothing.
        let mut config = app.config.clone();
        config.admin = Some((ADMIN.into(), "a-different-password".to_owned().into()));
        let restarted = TestApp::start(config).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        assert_login_fails(&restarted, ADMIN, "a-different-password", Some("admin")).await;
        restarted.token(ADMIN, ADMIN_PASSWORD, "admin").await;
        assert_token_accepted(&restarted, &first_token, "token from before the restart").await;
        restarted.stop().await;

        // A restart naming another admin creates it, next to the first.
        let mut config = app.config.clone();
        config.admin = Some(("ops".into(), "ops-password-1".to_owned().into()));
        let restarted = TestApp::start(config).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
        restarted.token("ops", "ops-password-1", "admin").await;
        restarted.token(ADMIN, ADMIN_PASSWORD, "admin").await;
        restarted.stop().await;
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_secret_servers_on_one_database_share_a_generated_one() {
    for_each_engine_with(
        |config| config.secret_key = None,
        |app| async move {
            let token = app.admin_token().await;
            let (_, account) = app.create_account(&token, "shared@example.com").await;

            let second = TestApp::start(app.config.clone()).await;
            assert!(second.config.secret_key.is_none());
            assert_token_accepted(&second, &token, "admin token on the second server").await;
            assert_token_accepted(&second, &account, "account token on the second server").await;
            let from_second = second.admin_token().await;
            assert_token_accepted(&app, &from_second, "second server's token on the first").await;

            // The secret is the one stored in the database, generated, long and not the
            // test secret: a token signed with anything else is refused.
            assert_eq!(
                app.count("SELECT COUNT(*) FROM settings WHERE name = 'jwt_secret'")
                    .await,
                1
            );
            let stored =
                query_text(&app, "SELECT value FROM settings WHERE name = 'jwt_secret'").await;
            assert!(stored.len() >= 32, "generated secret is too short");
            let (_, mut claims) = jwt_parts(&token);
            let t = now();
            claims["iat"] = json!(t);
            claims["exp"] = json!(t + 600);
            assert_token_accepted(
                &second,
                &sign(&claims, stored.as_bytes(), Algorithm::HS256),
                "signed with the stored secret",
            )
            .await;
            assert_token_refused(
                &second,
                &sign(&claims, SECRET.as_bytes(), Algorithm::HS256),
                "signed with the test secret",
            )
            .await;
            second.stop().await;
            app.stop().await;
        },
    )
    .await;
}

// ---- what the logs and the admin commands print ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_hashes_never_reach_the_server_log() {
    for_each_engine(|app| async move {
        const LOG_ADMIN_PASSWORD: &str = "log-admin-password-7";
        const LOG_ACCOUNT_PASSWORD: &str = "log-account-password-8";
        const LOG_WRONG_PASSWORD: &str = "log-wrong-password-9";
        // `tagmark serve` on the same database, logging at debug level as JSON lines.
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tagmark"));
        for (name, _) in std::env::vars() {
            if name.starts_with("TAGMARK_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .arg("serve")
            .env("TAGMARK_DATABASE_URL", &app.database_url)
            .env("TAGMARK_SECRET_KEY", SECRET)
            .env("TAGMARK_BIND", "127.0.0.1:0")
            .env("TAGMARK_ADMIN_USERNAME", "log-admin")
            .env("TAGMARK_ADMIN_PASSWORD", LOG_ADMIN_PASSWORD)
            .env("TAGMARK_LOG", "debug")
            .env("TAGMARK_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tagmark serve");
        let stderr = child.stderr.take().expect("stderr");
        // Stop the server even when an assertion below fails.
        let mut child = KillOnDrop(child);
        let (address_tx, address_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut log = String::new();
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    if let Some(address) = event["fields"]["address"].as_str() {
                        let _ = address_tx.send(address.to_owned());
                    }
                }
                log.push_str(&line);
                log.push('\n');
            }
            log
        });
        let address =
            tokio::task::spawn_blocking(move || address_rx.recv_timeout(Duration::from_secs(60)))
                .await
                .expect("join");
        let Ok(address) = address else {
            drop(child);
            let log = reader.join().unwrap_or_default();
            panic!("tagmark serve did not report its address; log:\n{log}");
        };
        let base = format!("http://{address}");
        let client = &app.client;
        let login = |username: &'static str, password: &'static str, scope: &'static str| {
            client
                .post(format!("{base}/token/"))
                .form(&[
                    ("username", username),
                    ("password", password),
                    ("scope", scope),
                ])
                .send()
        };

        let response = login("log-admin", LOG_ADMIN_PASSWORD, "admin")
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::OK);
        let admin: Value = response.json().await.expect("json");
        let admin = admin["access_token"].as_str().expect("token").to_owned();
        let response = client
            .post(format!("{base}/account/"))
            .bearer_auth(&admin)
            .json(&json!({"email": "logged@example.com", "password": LOG_ACCOUNT_PASSWORD}))
            .send()
            .await
            .expect("create account");
        assert_eq!(response.status(), StatusCode::OK);
        let response = client
            .post(format!("{base}/account/"))
            .bearer_auth(&admin)
            .json(&json!({"email": "logged@example.com", "password": LOG_WRONG_PASSWORD}))
            .send()
            .await
            .expect("duplicate account");
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let response = login("logged@example.com", LOG_ACCOUNT_PASSWORD, "account")
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::OK);
        let response = login("logged@example.com", LOG_WRONG_PASSWORD, "account")
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = client
            .get(format!("{base}/account/"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list");
        assert_eq!(response.status(), StatusCode::OK);

        child.0.kill().expect("stop tagmark serve");
        drop(child);
        let log = reader.join().expect("log reader");
        assert!(
            log.contains("/account"),
            "the requests are in the debug log:\n{log}"
        );
        for secret in [
            LOG_ADMIN_PASSWORD,
            LOG_ACCOUNT_PASSWORD,
            LOG_WRONG_PASSWORD,
            "$argon2",
            SECRET,
            admin.as_str(),
        ] {
            assert!(!log.contains(secret), "the log shows {secret:?}:\n{log}");
        }
        app.stop().await;
    })
    .await;
}
