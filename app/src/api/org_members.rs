//! Organization members: change role, remove (or leave). People join by invitation
//! (`api::invitations`); the rules, one model for organizations and projects, are
//! `server::rules::members`.
//!
//! Admins manage members and admins; only owners grant, change or take the owner role. The
//! last owner can neither be demoted nor removed nor leave.

use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        org::field,
        role::{OrgAction, OrgRole},
        token::Scope,
    },
    server::{cx::Cx, http::request, rules::members},
};

/// Changes a member's role.
#[server(endpoint = "change_org_member_role")]
pub async fn change_org_member_role(
    org: String,
    username: String,
    role: String,
) -> Result<(), AppError> {
    let cx = Cx::org(&org, OrgAction::ManageMembers).await?;
    let role = OrgRole::parse(&role).map_err(|e| AppError::invalid(field::ROLE, e))?;
    members::change_role(&cx, &username, role).await?;
    request::redirect(&cx.members_path());
    Ok(())
}

/// Removes a member; any member may remove themselves (leave). Their roles in the
/// organization's projects end with their membership.
#[server(endpoint = "remove_org_member")]
pub async fn remove_org_member(org: String, username: String) -> Result<(), AppError> {
    let cx = Cx::signed_in(Scope::All).await?;
    let next = members::remove(&cx.in_org(&org, OrgAction::View).await?, &username).await?;
    request::redirect(&next);
    Ok(())
}
