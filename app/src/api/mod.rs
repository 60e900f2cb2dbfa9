//! Server functions: the only API of Berth, called by the browser (session cookie) and by
//! CLIs and CI with `Authorization: Bearer <token>` (`server::auth::bearer`).

pub mod audit;
pub mod auth;
pub mod credential_checks;
pub mod credential_imports;
pub mod credentials;
pub mod device;
pub mod images;
pub mod invitations;
pub mod kcr;
pub mod org_members;
pub mod orgs;
pub mod project_members;
pub mod projects;
pub mod pull_secrets;
pub mod tokens;
