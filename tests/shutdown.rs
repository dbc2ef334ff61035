//! Graceful shutdown: a request in flight when the stop signal comes is finished and stored.
mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_completes() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let admin = app.admin_token().await;
    let (_, token) = app.create_account(&admin, "inflight@example.com").await;
    let address = app.base.trim_start_matches("http://").to_owned();

    // Start a request by hand and send only half of its body.
    let body = br#"{"link": "https://example.com/in-flight", "tag": "late"}"#;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /link/ HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..20]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Stop the server while that request waits for the rest of its body.
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "the server stopped with a request in flight"
    );
    // New connections are no longer served.
    let refused = reqwest::Client::new()
        .get(format!("http://{address}/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a new request was served during shutdown");

    stream.write_all(&body[20..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("https://example.com/in-flight"), "{answer}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server finished stopping")
        .unwrap();

    // The link was stored: a new server on the same database has it.
    let again = TestApp::start(test_config(&db.url)).await;
    let (status, links) = again.get(&token, "/link/?tag=late").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(links.as_array().map(Vec::len), Some(1));
}
