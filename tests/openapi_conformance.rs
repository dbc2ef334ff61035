//! The OpenAPI document is one a generator can trust: schemathesis, driven by the document the
//! real server serves, finds no server error and no answer the document does not describe, on
//! every engine, with an account, a read-only personal, an admin and no token; and a client
//! generated from it makes real calls on every engine.
//!
//! The schemathesis run is bounded and deterministic (`--generation-deterministic`, a fixed
//! number of examples per operation). `TAGMARK_SCHEMATHESIS_EXAMPLES` raises the number for a
//! deeper run by hand.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{engines, fresh_db, test_config, tools, TestApp};
use reqwest::StatusCode;

/// Pinned, so that a new release's checks never turn CI red on their own.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
const CLIENT_GENERATOR: &str = "openapi-python-client==0.29.1";

/// The checks the document is held to.
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance";

/// Test cases per operation in the fuzzing phase (the coverage phase adds its boundary cases).
fn examples() -> String {
    std::env::var("TAGMARK_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".into())
}

/// Run `st run` against the app's `/openapi.json`, with `token` as bearer (none: anonymous);
/// `None` when it found nothing, else its report.
async fn schemathesis(app: &TestApp, token: Option<&str>, extra: &[&str]) -> Option<String> {
    let mut args: Vec<String> = [
        "run",
        &app.url("/openapi.json"),
        "--checks",
        CHECKS,
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--continue-on-failure",
        "--no-color",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if let Some(token) = token {
        args.push("--header".into());
        args.push(format!("Authorization: Bearer {token}"));
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let dir = tempfile::tempdir().expect("temp dir");
    let cwd = dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        // The `st` script may not be on PATH (pip's scripts folder); its entry point is.
        Command::new("python3")
            .arg("-c")
            .arg("import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())")
            .args(&args)
            .current_dir(&cwd)
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("join");
    let report = text(&output);
    // The summary's last line, e.g. "== 1040 passed in 51s ==", for the test log.
    let last = report.lines().rev().find(|l| !l.trim().is_empty());
    eprintln!("schemathesis: {}", last.unwrap_or("(no output)"));
    (!output.status.success()).then_some(report)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The operations by which an account revokes its own token (deleting itself, a new
/// password): left out of the account-scope pass, covered by the admin pass.
const REVOKES_OWN_TOKEN: &[&str] = &[
    "--exclude-operation-id",
    "delete_account",
    "--exclude-operation-id",
    "patch_account",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_in_either_scope() {
    tools::require_pip(&[("schemathesis", SCHEMATHESIS)]);
    let examples = examples();
    let mut findings = Vec::new();
    for (engine, server) in engines() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        let app = TestApp::start(test_config(&db.url)).await;
        let admin = app.admin_token().await;
        let (account_id, account) = app.create_account(&admin, "fuzz@example.com").await;
        let full = ["--max-examples", &examples];
        // A read-only personal token is refused every write (403) before anything else runs:
        // a short fuzz shows each writing operation documents that.
        let short = ["--max-examples", "2", "--phases", "fuzzing"];
        // In this order: the account pass may revoke personal tokens (it lists and deletes
        // them), so the read-only token is made after it; the admin pass may delete the account.
        let passes: [(&str, Vec<&str>); 4] = [
            ("account", [&full[..], REVOKES_OWN_TOKEN].concat()),
            ("read-only personal token", short.to_vec()),
            ("admin", full.to_vec()),
            // Without a token every protected operation answers 401.
            ("anonymous", short.to_vec()),
        ];
        for (scope, args) in passes {
            let token = match scope {
                "account" => Some(account.clone()),
                "admin" => Some(admin.clone()),
                "anonymous" => None,
                _ => Some(personal_token(&app, &account, &account_id).await),
            };
            let started = std::time::Instant::now();
            let report = schemathesis(&app, token.as_deref(), &args).await;
            eprintln!("{engine}, {scope}: {:.1?}", started.elapsed());
            if let Some(report) = report {
                findings.push(format!("=== {engine}, {scope} ===\n{report}"));
            }
            // A pass whose token stopped working part way tested little but 401s.
            if let Some(token) = token {
                let (status, body) = app.get(&token, "/tag/").await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{scope}: the token still works: {body}"
                );
            }
        }
        app.stop().await;
        db.drop_db().await;
    }
    assert!(
        findings.is_empty(),
        "schemathesis found problems:\n{}",
        findings.join("\n")
    );
}

/// A new read-only personal API token of the account.
async fn personal_token(app: &TestApp, account: &str, account_id: &str) -> String {
    let (status, body) = app
        .post(
            account,
            &format!("/account/{account_id}/token/"),
            serde_json::json!({"name": "schemathesis", "read_only": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// The Python script run against the generated client: a login, a link created and listed, the
/// duplicate check, a bulk edit, and a read-only personal token that reads and is refused a
/// write; each answer decoded into the generated models.
const CLIENT_CALLS: &str = r#"
import sys
from tagmark_client import Client, AuthenticatedClient
from tagmark_client.api.auth import post_token
from tagmark_client.api.links import bulk_edit, check_link, get_link, list_links, post_link
from tagmark_client.api.accounts import create_personal_token
from tagmark_client.models import (BulkEdit, BulkFlags, BulkResult, CheckAnswer, ErrorDetail, Link,
                                   LoginForm, NewToken, PostLink, PostToken, TokenResponse)

base, password, account_id = sys.argv[1:4]
token = post_token.sync(client=Client(base_url=base),
                        body=LoginForm(username="admin", password=password, scope="admin"))
assert isinstance(token, TokenResponse), token
client = AuthenticatedClient(base_url=base, token=token.access_token)
made = post_link.sync(client=client,
                      body=PostLink(link="https://example.com/generated", tag="client", account_id=account_id))
assert isinstance(made, Link), made
links = list_links.sync(client=client, account_id=account_id)
assert [l.link for l in links] == ["https://example.com/generated"], links
missing = post_link.sync(client=client, body=PostLink(link="https://example.com/x", tag="client"))
assert isinstance(missing, ErrorDetail) and isinstance(missing.detail, str), missing
# The duplicate check and a bulk edit, as the admin naming the account.
found = check_link.sync(client=client, url_query="https://EXAMPLE.com/generated/", account_id=account_id)
assert isinstance(found, CheckAnswer) and found.link.link_id == made.link_id, found
done = bulk_edit.sync(client=client, body=BulkEdit(link_ids=[made.link_id], add_tags=["bulk"],
                                                   set_=BulkFlags(favorite=True), account_id=account_id))
assert isinstance(done, BulkResult) and (done.matched, done.changed) == (1, 1), done
# A read-only personal token, made for the account, reads through the same client.
new = create_personal_token.sync(account_id, client=client, body=PostToken(name="generated", read_only=True))
assert isinstance(new, NewToken) and new.token.startswith("tm_"), new
reader = AuthenticatedClient(base_url=base, token=new.token)
read = get_link.sync(made.link_id, client=reader)
assert isinstance(read, Link) and read.favorite is True, read
refused = post_link.sync(client=reader, body=PostLink(link="https://example.com/y", tag="client"))
assert isinstance(refused, ErrorDetail), refused
print("ok", made.link_id)
"#;

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        text(&output)
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_python_client_logs_in_and_lists_links() {
    tools::require_pip(&[("openapi_python_client", CLIENT_GENERATOR)]);
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path().to_owned();
    for (i, (engine, server)) in engines().into_iter().enumerate() {
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&server).await;
        let app = TestApp::start(test_config(&db.url)).await;
        let admin = app.admin_token().await;
        let (account_id, _) = app.create_account(&admin, "client@example.com").await;
        if i == 0 {
            // The document does not depend on the engine: the client is generated once.
            let document = openapi_document(&app).await;
            let work = work.clone();
            tokio::task::spawn_blocking(move || generate_client(&work, &document))
                .await
                .expect("join");
        }
        let (base, work) = (app.base.clone(), work.clone());
        let output = tokio::task::spawn_blocking(move || {
            run(Command::new("python3")
                .args(["calls.py", &base, common::ADMIN_PASSWORD, &account_id])
                .current_dir(&work))
        })
        .await
        .expect("join");
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("ok "));
        app.stop().await;
        db.drop_db().await;
    }
}

/// The served document, checked for what generators rely on beyond its schema: unique
/// operation ids (they name the generated functions) and no web app pages.
async fn openapi_document(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let document = response.text().await.expect("document");
    let doc: serde_json::Value = serde_json::from_str(&document).expect("JSON");
    let mut ids = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(!path.starts_with("/ui"), "the web app is not API: {path}");
        for (method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"].as_str();
            ids.push(id.unwrap_or_else(|| panic!("{method} {path} has no operationId")));
        }
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "operation ids repeat: {ids:?}");
    document
}

/// Generate the client package `tagmark_client` from `document` in `work`, with the script
/// that calls it.
fn generate_client(work: &Path, document: &str) {
    std::fs::write(work.join("openapi.json"), document).expect("write the document");
    std::fs::write(
        work.join("config.yml"),
        "package_name_override: tagmark_client\n",
    )
    .expect("write the generator's config");
    std::fs::write(work.join("calls.py"), CLIENT_CALLS).expect("write the script");
    let generated = run(Command::new("python3")
        .args(["-m", "openapi_python_client", "generate"])
        .args(["--path", "openapi.json", "--config", "config.yml"])
        .args(["--meta", "none", "--output-path", "tagmark_client"])
        .current_dir(work));
    // The generator understands every part of the document but one: a text/html request
    // body (POST /import/ also takes multipart, which it generates).
    let report = text(&generated);
    let warnings: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("WARNING"))
        .collect();
    assert!(
        warnings.iter().all(|w| w.contains("POST /import/"))
            && report.matches("Unsupported content type text/html").count() == warnings.len()
            && !report.contains("Unable to"),
        "the generator warns about the document:\n{report}"
    );
    assert!(work.join("tagmark_client/client.py").exists());
}
