//! The benchmark's ceiling: a minimal axum server answering every GET with a fixed JSON body of
//! the size of a link, touching no database and checking no token.
//! `cargo run --release --example ceiling -- 127.0.0.1:9000 BYTES`

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let size: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(190);
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(size.saturating_sub(10)));
    let body: &'static str = Box::leak(body.into_boxed_str());
    let app = Router::new().fallback(get(move || async move {
        ([(CONTENT_TYPE, "application/json")], body)
    }));
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, app).await
}
