//! Project members: change role, remove (project admins; anyone may leave). People join by
//! invitation (`api::invitations`); the rules, one model for organizations and projects, are
//! `server::rules::members`.
//!
//! A project never loses its last admin this way: a personal project's owner and an
//! organization's owners and admins are admins of its projects whatever the member list says.

use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        role::{ProjectAction, ProjectRole},
        token::Scope,
    },
    server::{cx::Cx, http::request, rules::members},
};

/// Changes a project member's role.
#[server(endpoint = "change_project_member_role")]
pub async fn change_project_member_role(
    owner: String,
    name: String,
    username: String,
    role: String,
) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageMembers).await?;
    let role = ProjectRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    members::change_role(&cx, &username, role).await?;
    request::redirect(&cx.members_path());
    Ok(())
}

/// Removes a project member; any member may remove themselves (leave).
#[server(endpoint = "remove_project_member")]
pub async fn remove_project_member(
    owner: String,
    name: String,
    username: String,
) -> Result<(), AppError> {
    let cx = Cx::signed_in(Scope::All)
        .await?
        .in_project(&owner, &name, ProjectAction::View)
        .await?;
    let next = members::remove(&cx, &username).await?;
    request::redirect(&next);
    Ok(())
}
