//! Building and running the application: database, secrets, router and listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_server::tls_rustls::RustlsConfig;
use base64::Engine as _;
use rand::RngCore;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use crate::auth::{Passwords, Tokens};
use crate::config::{Config, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::{AppState, Shared};
use crate::store::{open_store, Store};
use crate::throttle::LoginThrottle;

pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: AppState,
    config: Config,
    tls: Option<RustlsConfig>,
}

impl Application {
    /// Open the database, settle the signing secret, create the bootstrap admin, and bind.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        // Read the certificate first: a broken one stops the start before anything else.
        let tls = match &config.tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(
                    RustlsConfig::from_pem_file(cert, key)
                        .await
                        .with_context(|| {
                            format!(
                                "cannot load the TLS certificate {} and key {}",
                                cert.display(),
                                key.display()
                            )
                        })?,
                )
            }
            None => None,
        };
        let store = open_store(&config).await?;
        let secret = match config.secret_bytes() {
            Some(secret) => secret,
            None => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
                store
                    .setting_or_init("jwt_secret", &fresh)
                    .await
                    .context("cannot read or store the token secret")?
                    .into_bytes()
            }
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let passwords = Passwords::new(threads).await?;
        if let Some((username, password)) = &config.admin {
            bootstrap_admin(&store, &passwords, username, password.expose_secret()).await?;
        }
        let openapi = crate::openapi::document(&config.root_path);
        let swagger =
            utoipa_swagger_ui::Config::new([format!("{}/openapi.json", config.root_path)]);
        let state = AppState::new(Shared {
            store,
            tokens: Arc::new(Tokens::new(&secret, config.token_minutes)),
            passwords,
            openapi_json: Arc::new(openapi.to_json().context("cannot render OpenAPI")?),
            swagger: Arc::new(swagger),
            throttle: Arc::new(LoginThrottle::new(
                config.login_max_failures,
                Duration::from_secs(config.login_window_seconds),
            )),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            metrics: Arc::new(Metrics::new()),
        });
        let listener = TcpListener::bind(&config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let metrics_listener = match &config.metrics_bind {
            Some(bind) => Some(
                TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("cannot listen on {bind} for metrics"))?,
            ),
            None => None,
        };
        Ok(Application {
            listener,
            metrics_listener,
            state,
            config,
            tls,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, when on an address of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until SIGINT or SIGTERM, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            metrics_listener,
            state,
            config,
            tls,
        } = self;
        let store = state.store.clone();
        let metrics_server = metrics_listener.map(|listener| {
            let router = axum::Router::new()
                .route("/metrics", axum::routing::get(crate::metrics::serve))
                .with_state(state.metrics.clone());
            tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, router).await {
                    tracing::error!(error = %err, "the metrics listener failed");
                }
            })
        });
        let service = build_service(&config, state)?;
        let address = listener.local_addr()?;
        match tls {
            None => {
                tracing::info!(%address, engine = ?store.engine(), "tagmark is serving HTTP");
                let make_service = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<
                    SocketAddr,
                >(service);
                axum::serve(listener, make_service)
                    .with_graceful_shutdown(shutdown)
                    .await?;
            }
            Some(tls) => {
                tracing::info!(%address, engine = ?store.engine(), "tagmark is serving HTTPS");
                let handle = axum_server::Handle::new();
                let on_shutdown = handle.clone();
                let request_timeout = config.request_timeout_seconds;
                tokio::spawn(async move {
                    shutdown.await;
                    on_shutdown.graceful_shutdown(Some(Duration::from_secs(request_timeout)));
                });
                let service = ServiceBuilder::new()
                    .map_request(|req: axum::http::Request<hyper::body::Incoming>| {
                        req.map(axum::body::Body::new)
                    })
                    .service(service);
                let make_service = axum::ServiceExt::<axum::http::Request<hyper::body::Incoming>>::into_make_service_with_connect_info::<SocketAddr>(service);
                axum_server::from_tcp_rustls(listener.into_std()?, tls)
                    .handle(handle)
                    .serve(make_service)
                    .await?;
            }
        }
        if let Some(server) = metrics_server {
            server.abort();
        }
        store.close().await;
        Ok(())
    }
}

/// The whole HTTP service: router and the layers around it.
pub fn build_service(
    config: &Config,
    state: AppState,
) -> anyhow::Result<
    impl tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send>
        + Clone
        + Send
        + 'static,
> {
    let metrics = state.metrics.clone();
    let router = crate::api::router(state.clone()).merge(crate::ui::router(config, state));
    wrap_router(config, metrics, router)
}

/// The layers around a router: metrics, timeouts, JSON errors, body limit, logs, panics,
/// request ids, CORS, HSTS and path normalisation. Public so that tests can wrap a router of
/// their own (for instance one with a handler that panics).
pub fn wrap_router(
    config: &Config,
    metrics: Arc<Metrics>,
    mut router: axum::Router,
) -> anyhow::Result<
    impl tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send>
        + Clone
        + Send
        + 'static,
> {
    // Layers of the router run after routing, so the log line can name the matched route.
    if config.metrics_bind.is_none() {
        router = router.route_service(
            "/metrics",
            axum::routing::get(crate::metrics::serve).with_state(metrics.clone()),
        );
    }
    // One stack, applied once: each `Router::layer` call boxes every route again, and a boxed
    // route clones everything inside it for each request.
    let router = router.layer(
        ServiceBuilder::new()
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .latency_unit(LatencyUnit::Micros),
                    ),
            )
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .map_response(crate::api::ensure_json_errors)
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_secs(config.request_timeout_seconds),
            ))
            .layer(crate::metrics::TrackLayer(metrics)),
    );
    let cors = if config.cors_origins.is_empty() {
        None
    } else {
        let origins = config
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).with_context(|| format!("invalid CORS origin {o:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_credentials(true)
                .allow_methods(AllowMethods::mirror_request())
                .allow_headers(AllowHeaders::mirror_request())
                .expose_headers([
                    axum::http::HeaderName::from_static("x-total-count"),
                    axum::http::HeaderName::from_static("x-total-count-exact"),
                ])
                .max_age(Duration::from_secs(600)),
        )
    };
    let root_path = config.root_path.clone();
    let service = ServiceBuilder::new()
        .map_response(|res: axum::http::Response<_>| res.map(axum::body::Body::new))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .option_layer(cors)
        .option_layer(config.tls.is_some().then(|| {
            SetResponseHeaderLayer::if_not_present(
                STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            )
        }))
        .map_request(move |req: Request| crate::api::normalize_path(&root_path, req))
        .service(router);
    Ok(service)
}

/// A random (version 4) UUID for each request without an `X-Request-Id`, drawn from the
/// thread's CSPRNG and formatted on the stack: tower-http's `MakeRequestUuid` asks the kernel
/// for the bytes and formats through a `String` on every request.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_str(uuid.hyphenated().encode_lower(&mut buf))
            .ok()
            .map(RequestId::new)
    }
}

/// The span of one request: method, matched route (never the raw path with ids or a query),
/// and request id. Headers, and so `Authorization`, are never recorded.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), route, request_id)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

async fn bootstrap_admin(
    store: &Store,
    passwords: &Passwords,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    if store.user_credentials(username).await?.is_some() {
        return Ok(());
    }
    crate::auth::check_password(password)
        .map_err(|msg| anyhow::anyhow!("TAGMARK_ADMIN_PASSWORD: {msg}"))?;
    let hash = passwords.hash(password.to_owned()).await?;
    if store.create_user(username, &hash).await? {
        tracing::info!(username, "created the bootstrap admin");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
