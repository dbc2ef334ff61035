//! Native HTTPS with a generated self-signed certificate.
mod common;

use common::*;
use reqwest::StatusCode;

fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = cert.cert.pem();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, &cert_pem).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    (cert_path, key_path, cert_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_the_api_with_hsts() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = self_signed(dir.path());
    let mut config = test_config(&db.url);
    config.tls = Some((cert, key));
    let app = TestApp::start(config).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let response = client
        .post(format!("{base}/token/"))
        .form(&[
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("scope", "admin"),
        ])
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let token: serde_json::Value = response.json().await.unwrap();
    let response = client
        .get(format!("{base}/account/"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Plain HTTP to the HTTPS port gets no API answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != StatusCode::OK).unwrap_or(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_sends_no_hsts() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key("strict-transport-security"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_certificate_stops_the_start_with_a_clear_message() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let mut config = test_config(&db.url);
    config.tls = Some((dir.path().join("cert.pem"), dir.path().join("key.pem")));
    let err = match tagmark::Application::build(config).await {
        Ok(_) => panic!("a server started with a broken certificate"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains("TLS certificate"), "{err}");
}
