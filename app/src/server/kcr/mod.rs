//! KCR, the built-in registry: Berth is the token service of a real registry (CNCF
//! distribution). `signing` owns the key tokens are signed with, `token_service` the HTTP
//! endpoint registry clients get tokens from (`/kcr/token`), `registry_config` the registry's
//! `config.yml` that points back here, `events` the notifications the registry sends back,
//! `registry_client` Berth's own calls to the registry, `denials` the count of repeated
//! denials that keeps the audit log from being flooded. The access rules are `domain::kcr_access`, applied by
//! `rules::kcr_tokens`.

pub mod denials;
pub mod events;
pub mod registry_client;
pub mod registry_config;
pub mod signing;
pub mod token_service;

/// Every KCR route: the token service and the registry's notifications.
pub fn router(state: crate::server::state::AppState) -> axum::Router {
    token_service::router(state.clone()).merge(events::router(state))
}
