//! Server functions: the only API of Berth, called by the browser and (later) the CLI.

pub mod audit;
pub mod auth;
pub mod credentials;
pub mod invitations;
pub mod kcr;
pub mod org_members;
pub mod orgs;
pub mod project_members;
pub mod projects;
