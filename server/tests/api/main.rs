//! HTTP tests: a real Berth server on 127.0.0.1:0, called through its real server-function
//! endpoints and pages. Every test runs twice, on SQLite and on PostgreSQL (see [`on_both!`]).

// Test bodies are plain `async fn`s run by `on_both!`, so clippy does not know they are tests.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod helpers;

mod accounts;
mod assets;
mod cli;
mod client;
mod credential_checks;
mod credential_imports;
mod credentials;
mod ecr_credentials;
mod form_input;
mod invitations;
mod kcr;
mod kcr_events;
mod kcr_tokens;
mod matrix;
mod ops;
mod orgs;
mod projects;
mod pull_secrets;
mod registry;
mod security;
mod sessions;
mod tokens;
mod xss;
