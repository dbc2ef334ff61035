//! Prometheus metrics, on the main address or on one of their own.
mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_matched_route_and_status() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_config(&db.url)).await;
    let admin = app.admin_token().await;
    let (status, _) = app.get(&admin, "/link/some-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"tagmark_http_requests_total{method="GET",route="/link/{link_id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"tagmark_http_requests_total{method="POST",route="/token",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("tagmark_http_request_duration_seconds_bucket"),
        "{text}"
    );
    // Ids never become labels.
    assert!(!text.contains("some-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_address_are_not_on_the_main_one() {
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.metrics_bind = Some("127.0.0.1:0".into());
    let app = TestApp::start(config).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let _ = app.client.get(app.url("/health")).send().await.unwrap();
    let metrics_base = app.metrics_base.clone().expect("a metrics address");
    let text = app
        .client
        .get(format!("{metrics_base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"tagmark_http_requests_total{method="GET",route="/health",status="200"} 1"#
        ),
        "{text}"
    );
}
