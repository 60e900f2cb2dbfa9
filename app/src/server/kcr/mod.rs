//! KCR, the built-in registry: Berth is the token service of a real registry (CNCF
//! distribution). `signing` owns the key tokens are signed with, `token_service` the HTTP
//! endpoint registry clients get tokens from (`/kcr/token`), `registry_config` the registry's
//! `config.yml` that points back here. The access rules are `domain::kcr_access`, applied by
//! `rules::kcr_tokens`.

pub mod registry_config;
pub mod signing;
pub mod token_service;
