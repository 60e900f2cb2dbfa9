//! Server-only code: configuration, storage, authentication, keys and HTTP plumbing.
//! No Leptos view code lives here.

pub mod audit;
pub mod auth;
pub mod check_result;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod cx;
pub mod db;
pub mod docker_config;
pub mod error;
pub mod form_input;
pub mod host_check;
pub mod kcr;
pub mod middleware;
pub mod outbound;
pub mod pull_secret_download;
pub mod registry_check;
pub mod rotation;
pub mod rules;
pub mod secrets;
pub mod security_headers;
pub mod state;
