//! What every handler shares: the application's state, built once at start by `app`. It
//! knows nothing of the handlers (`api`, `ui`), so they can all depend on it.

use std::sync::Arc;

use crate::auth::{AuthState, Passwords, Tokens};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::throttle::LoginThrottle;

/// What every handler shares. One `Arc` around it all: extractors clone the state for each
/// request, and one reference count is cheaper than one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Store,
    pub tokens: Arc<Tokens>,
    pub passwords: Passwords,
    pub openapi_json: Arc<String>,
    pub swagger: Arc<utoipa_swagger_ui::Config<'static>>,
    pub throttle: Arc<LoginThrottle>,
    pub metrics: Arc<Metrics>,
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl AuthState for AppState {
    fn store(&self) -> &Store {
        &self.store
    }

    fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    fn passwords(&self) -> &Passwords {
        &self.passwords
    }
}
