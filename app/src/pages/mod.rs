//! One module per route; each page component is named `<Name>Page`.

pub mod account;
pub mod account_tokens;
pub mod activate;
pub mod audit;
pub mod credential_forms;
pub mod credentials;
pub mod home;
pub mod invitation;
pub mod login;
pub mod not_found;
pub mod org;
pub mod org_members;
pub mod org_new;
pub mod org_regions;
pub mod org_settings;
pub mod project;
pub mod project_members;
pub mod project_new;
pub mod project_settings;
pub mod project_tokens;
pub mod projects;
pub mod pull_secret;
pub mod push_paths;
pub mod regions;
pub mod repositories;
pub mod signup;
