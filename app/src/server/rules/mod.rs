//! The rules of Berth as plain async functions, one module per area. Each takes the checked
//! request context (`cx::Cx`, `OrgCx`, `ProjectCx`) and input already read into domain types,
//! and owns the transaction: the write, its audit event, the commit. Server functions call
//! them in a line; tests call them without HTTP.

pub mod accounts;
pub mod audit;
pub mod credential_checks;
pub mod credential_imports;
pub mod credential_sources;
pub mod credentials;
pub mod device_logins;
pub mod invitations;
pub mod kcr;
pub mod kcr_images;
pub mod kcr_tokens;
pub mod members;
pub mod orgs;
pub mod projects;
pub mod pull_secrets;
pub mod tokens;
