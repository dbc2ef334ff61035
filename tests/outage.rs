//! A database that is briefly unreachable: 503, then recovery without a restart.
//! Runs on the server engines (MariaDB/MySQL, PostgreSQL) through a TCP proxy the test can cut.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards connections to `upstream` while up; when cut, drops every open connection and
/// refuses new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, cuts) = watch::channel(0u64);
        let up_flag = up.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up_flag.load(Ordering::SeqCst) {
                    continue; // dropped: connection closed at once
                }
                let upstream = upstream.clone();
                let mut cuts = cuts.clone();
                cuts.mark_unchanged(); // only cuts from now on end this connection
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

/// `scheme://user@host:port/db` → (`host:port`, the URL with the proxy's port instead).
fn through_proxy(url: &str, proxy_port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    (
        hostport.to_owned(),
        format!("{scheme}://{userinfo}127.0.0.1:{proxy_port}/{path}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_answers_503_and_the_server_recovers() {
    for (engine, server) in engines() {
        let Some(server) = server else { continue };
        eprintln!("--- engine: {engine}");
        let db = fresh_db(&Some(server)).await;
        // A proxy that starts out pointing at the database made for this test.
        let probe = Proxy::start(String::new()).await;
        let (upstream, _) = through_proxy(&db.url, probe.port);
        drop(probe);
        let proxy = Proxy::start(upstream).await;
        let (_, proxied_url) = through_proxy(&db.url, proxy.port);
        let mut config = test_config(&proxied_url);
        config.db_timeout_seconds = 1;
        let app = TestApp::start(config).await;
        let admin = app.admin_token().await;
        let (status, _) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK);

        proxy.set_up(false);
        let health = app.client.get(app.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = health.json().await.unwrap();
        assert!(body["detail"].is_string(), "{body}");
        let (status, body) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        // Clients are told when to try again.
        let answer = app
            .client
            .get(app.url("/account/"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.headers()["retry-after"], "1");

        proxy.set_up(true);
        let mut recovered = false;
        for _ in 0..50 {
            let health = app.client.get(app.url("/health")).send().await.unwrap();
            if health.status() == StatusCode::OK {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            recovered,
            "the server did not recover after the database came back"
        );
        let (status, _) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK);
        app.stop().await;
        db.drop_db().await;
    }
}
