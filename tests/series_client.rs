//! The tutorial series' own client, as written (Python `requests`, tests/series_client.py),
//! against tagmark over native HTTPS with a private CA and `TAGMARK_ROOT_PATH=/api`, on every
//! engine; then what it stored is read back from the database.
mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// A private CA and a server certificate for `localhost` that it signed: (CA PEM, cert PEM,
/// key PEM).
fn private_ca_and_server_cert() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "tagmark test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");

    let server_key = KeyPair::generate().expect("server key");
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Python 3.13 and later verify strictly, which wants the authority key identifier.
    server.use_authority_key_identifier_extension = true;
    let server_cert = server
        .signed_by(&server_key, &ca_cert, &ca_key)
        .expect("server certificate");
    (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem())
}

/// Run the client script against `base`; panics with its output unless every check passed.
async fn run_series_client(base: &str, ca: &Path, out: &Path) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/series_client.py");
    let args = [
        script.to_owned(),
        "--base".into(),
        base.to_owned(),
        "--ca".into(),
        ca.display().to_string(),
        "--admin".into(),
        ADMIN.into(),
        "--admin-password".into(),
        ADMIN_PASSWORD.into(),
        "--out".into(),
        out.display().to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(&args)
            // A proxy from the environment must not stand between the client and loopback.
            .env("NO_PROXY", "localhost,127.0.0.1")
            .env("no_proxy", "localhost,127.0.0.1")
            .output()
    })
    .await
    .expect("join")
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && !stdout.contains("FAIL"),
        "the series' client failed:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Rows of text columns, straight from the database.
async fn rows(app: &TestApp, sql: &str, arg: &str) -> Vec<Vec<String>> {
    let mut conn = db::DbConn::connect(&app.database_url).await;
    let found = conn.texts(sql, arg).await;
    conn.close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_series_client_runs_unchanged_over_https_under_api() {
    tools::require_pip(&[("requests", "requests")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca_pem, cert_pem, key_pem) = private_ca_and_server_cert();
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca, ca_pem).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let tls = (cert.clone(), key.clone());
    let out = dir.path().join("result.json");

    for_each_engine_with(
        |config| {
            config.tls = Some(tls.clone());
            config.root_path = "/api".into();
        },
        |app| {
            let (ca, out) = (ca.clone(), out.clone());
            async move {
                let port = app.base.rsplit(':').next().expect("port").to_owned();
                let base = format!("https://localhost:{port}/api/");
                let stdout = run_series_client(&base, &ca, &out).await;
                eprintln!("{}", stdout.lines().last().unwrap_or_default());
                let result: Value =
                    serde_json::from_slice(&std::fs::read(&out).expect("the client's result"))
                        .expect("result JSON");
                let id = |field: &str| result[field].as_str().expect(field).to_owned();
                let account_id = id("account_id");

                // What the client's requests left in the database.
                let accounts = rows(
                    &app,
                    "SELECT account_id, email, hashed_password FROM accounts WHERE email <> ?",
                    "",
                )
                .await;
                assert_eq!(accounts.len(), 1, "the second account was deleted");
                assert_eq!(accounts[0][0], account_id);
                assert_eq!(accounts[0][1], id("email"));
                assert!(
                    accounts[0][2].starts_with("$argon2id$"),
                    "a real hash is stored, never the mask"
                );
                let tags = rows(
                    &app,
                    "SELECT tag_id, tag FROM tags WHERE account_id = ? ORDER BY created_at, tag_id",
                    &account_id,
                )
                .await;
                assert_eq!(
                    tags,
                    [
                        vec![id("tag_id"), "Python".to_owned()],
                        vec![id("admin_tag_id"), "from-admin".to_owned()],
                    ]
                );
                let links = rows(
                    &app,
                    "SELECT link_id, link FROM links WHERE account_id = ? ORDER BY created_at, link_id",
                    &account_id,
                )
                .await;
                assert_eq!(
                    links,
                    [
                        vec![id("link_id"), "https://www.python.org/".to_owned()],
                        vec![id("second_link_id"), "https://docs.python.org/".to_owned()],
                    ]
                );
                let mut taglinks = rows(
                    &app,
                    "SELECT tag_id, link_id FROM taglinks WHERE account_id = ?",
                    &account_id,
                )
                .await;
                taglinks.sort();
                let mut expected = vec![
                    vec![id("tag_id"), id("link_id")],
                    vec![id("tag_id"), id("second_link_id")],
                    vec![id("admin_tag_id"), id("second_link_id")],
                ];
                expected.sort();
                assert_eq!(taglinks, expected);
                // Nothing else anywhere: the deleted account, tag and link left no rows.
                assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 2);
                assert_eq!(app.count("SELECT COUNT(*) FROM tags").await, 2);
                assert_eq!(app.count("SELECT COUNT(*) FROM taglinks").await, 3);
                for (table, column, field) in [
                    ("accounts", "account_id", "deleted_account_id"),
                    ("tags", "tag_id", "deleted_tag_id"),
                    ("links", "link_id", "deleted_link_id"),
                ] {
                    let sql = format!("SELECT {column} FROM {table} WHERE {column} = ?");
                    assert!(rows(&app, &sql, &id(field)).await.is_empty(), "{table}");
                }
            }
        },
    )
    .await;
}
