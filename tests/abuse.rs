//! Requests that abuse HTTP itself: huge headers, many headers, odd bytes. Each is a 4xx and
//! the server goes on serving.
mod common;

use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Send raw bytes; the status code of the answer (None if the connection was just closed).
async fn raw(address: &str, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_requests_are_client_errors_and_the_server_survives() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let admin = app.admin_token().await;
    let address = app.base.trim_start_matches("http://").to_owned();

    let huge_value = "x".repeat(1024 * 1024);
    let many_headers: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "a 1 MiB header",
            format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {huge_value}\r\n\r\n").into_bytes(),
        ),
        (
            "500 headers",
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
        ),
        ("garbage request line", b"\x00\xff\xfe GARBAGE\r\n\r\n".to_vec()),
        (
            "non-UTF-8 bytes in Authorization",
            b"GET /link/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xfd\r\n\r\n".to_vec(),
        ),
        (
            "non-UTF-8 bytes in the path",
            b"GET /link/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "a percent-encoded invalid UTF-8 id",
            b"GET /link/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        (
            "a negative Content-Length",
            b"POST /link/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".to_vec(),
        ),
        (
            "a Content-Length far past the limit",
            b"POST /link/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{".to_vec(),
        ),
    ];
    for (name, request) in cases {
        let status = raw(&address, &request).await;
        if let Some(status) = status {
            assert!((400..500).contains(&status), "{name}: answered {status}");
        }
        let (health, _) = app.get(&admin, "/account/").await;
        assert_eq!(
            health,
            StatusCode::OK,
            "the server stopped serving after {name}"
        );
    }
}
