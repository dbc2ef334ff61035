//! No panic or stuck handler reaches a client: the catch-panic layer answers 500 JSON, the
//! timeout layer 503 JSON after `TAGMARK_REQUEST_TIMEOUT_SECONDS`, and the server goes on.
mod common;

use common::*;
use reqwest::StatusCode;

/// Serve tagmark's API plus `router`'s extra route behind the app's own layers (catch-panic,
/// timeout, JSON errors), as the server does; answers the base URL.
async fn serve(
    config: &tagmark::Config,
    state: &tagmark::state::AppState,
    router: axum::Router,
) -> String {
    let service = tagmark::app::wrap_router(config, state.metrics.clone(), router).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                std::net::SocketAddr,
            >(service),
        )
        .await
        .unwrap();
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_answered_500_json_and_the_server_keeps_serving() {
    let db = TestDb::sqlite().await;
    let config = test_config(&db.url);
    let app = tagmark::Application::build(config.clone()).await.unwrap();
    let state = app.state().clone();
    let router = tagmark::api::router(state.clone()).route(
        "/boom",
        axum::routing::get(|| async {
            let v: Vec<u8> = Vec::new();
            // A bug: indexing past the end.
            v[usize::from(v.is_empty())].to_string()
        }),
    );
    let base = serve(&config, &state, router).await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/boom")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"detail": "Internal server error"}));
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_still_running_at_the_request_timeout_is_answered_503_json() {
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.request_timeout_seconds = 1;
    let app = tagmark::Application::build(config.clone()).await.unwrap();
    let state = app.state().clone();
    let router = tagmark::api::router(state.clone()).route(
        "/stuck",
        axum::routing::get(|| async {
            // A database that does not answer (a stalled cluster), as the handler sees it.
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            "late"
        }),
    );
    let base = serve(&config, &state, router).await;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let response = client.get(format!("{base}/stuck")).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["detail"].is_string(), "{body}");
    assert!(
        took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_secs(10),
        "answered after {took:?}"
    );
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
