//! tagmark: a multi-account bookmark service. The binary is a thin shell around this library,
//! so that tests and tools build the same application.

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod metrics;
pub mod model;
pub mod netscape;
pub mod openapi;
pub mod query;
pub mod seed;
pub mod state;
pub mod store;
pub mod throttle;
pub mod transfer;
pub mod ui;
pub mod urlkey;
pub mod validate;

pub use app::Application;
pub use config::Config;
