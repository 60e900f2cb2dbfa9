//! Validated domain types shared by the browser and the server: no database, no HTTP.

pub mod account;
pub mod audit;
pub mod credential;
pub mod credential_check;
pub mod credential_import;
pub mod device;
pub mod ecr;
pub mod expiry;
pub mod images;
pub mod invitation;
pub mod kcr;
pub mod kcr_access;
pub mod namespace;
pub mod org;
pub mod project;
pub mod pull_secret;
pub mod region;
pub mod registry;
pub mod request;
pub mod role;
pub mod secret;
pub mod token;
pub mod when;
