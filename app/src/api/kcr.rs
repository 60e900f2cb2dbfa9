//! KCR: where a project pushes its images, and the registry table of my organizations (the
//! rules are in `server::rules::kcr`).

use leptos::prelude::*;

use crate::domain::kcr::{PushTargetView, RegistryRow};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{role::ProjectAction, token::Scope},
    server::{cx::Cx, rules::kcr},
};

/// Where `owner/name` pushes: its region's KCR host and, for an organization's project, the
/// organization's projects in that region that the caller can see.
#[server(endpoint = "push_target", input = server_fn::codec::GetUrl)]
pub async fn push_target(owner: String, name: String) -> Result<PushTargetView, AppError> {
    kcr::push_target(&Cx::project(&owner, &name, ProjectAction::View).await?).await
}

/// For every organization I belong to and every region it allows: its registry path.
#[server(endpoint = "registry_table", input = server_fn::codec::GetUrl)]
pub async fn registry_table() -> Result<Vec<RegistryRow>, AppError> {
    kcr::registry_table(&Cx::signed_in(Scope::ProjectsRead).await?).await
}
