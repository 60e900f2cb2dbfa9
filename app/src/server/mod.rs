//! Server-only code. No Leptos view code lives here.
//!
//! - `cx`: who is calling and what they may do; `rules/`: what Berth does, per area; `db/`: one
//!   module per table, on both databases; `audit`: the audit log's writer.
//! - `http/`: the request's plumbing (request accessors, middleware, headers, host check, kept
//!   form input, downloads); `auth/`: sessions, throttles, password hashing, bearer tokens.
//! - `outbound/`: calls to hosts people name (the guarded client, registry checks) and the
//!   docker config files they paste; `kcr/`: the built-in registry's token service and calls.
//! - `crypto/`: the master key, sealed secrets and key rotation; `config`: the configuration
//!   file; `state`: what every request may use; `error`: server failures as `AppError`s.

pub mod audit;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod cx;
pub mod db;
pub mod error;
pub mod http;
pub mod kcr;
pub mod outbound;
pub mod rules;
pub mod state;
#[cfg(test)]
pub mod testing;
