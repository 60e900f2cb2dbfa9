//! Invitations: the only way into an organization or a project (the rules are in
//! `server::rules::invitations`). Admins invite and revoke; the invitee accepts or declines,
//! through the invitation's link when it was made to an email address.

use leptos::prelude::*;

use crate::domain::invitation::InvitationView;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        invitation::InviteForm,
        role::{OrgAction, OrgRole, ProjectAction, ProjectRole},
        token::Scope,
    },
    server::{cx::Cx, http::request, rules::invitations},
};

/// Invites `login` (a username or an email address) to the organization with `role`.
#[server(endpoint = "invite_org_member")]
pub async fn invite_org_member(org: String, login: String, role: String) -> Result<(), AppError> {
    let cx = Cx::org(&org, OrgAction::ManageMembers).await?;
    let form = InviteForm::parse(&login, &role, OrgRole::parse)?;
    invitations::invite_to_org(&cx, form.invitee, form.role).await?;
    request::redirect(&cx.members_path());
    Ok(())
}

/// Invites `login` (a username or an email address) to the project with `role`.
#[server(endpoint = "invite_project_member")]
pub async fn invite_project_member(
    owner: String,
    name: String,
    login: String,
    role: String,
) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageMembers).await?;
    let form = InviteForm::parse(&login, &role, ProjectRole::parse)?;
    invitations::invite_to_project(&cx, form.invitee, form.role).await?;
    request::redirect(&cx.members_path());
    Ok(())
}

/// The caller's pending invitations, newest first.
#[server(endpoint = "my_invitations", input = server_fn::codec::GetUrl)]
pub async fn my_invitations() -> Result<Vec<InvitationView>, AppError> {
    invitations::mine(&Cx::session().await?).await
}

/// One invitation addressed to the caller, as its link shows it: `token` is the link's proof
/// for an email invitation (ignored for a username one).
#[server(endpoint = "get_invitation", input = server_fn::codec::GetUrl)]
pub async fn get_invitation(id: String, token: String) -> Result<InvitationView, AppError> {
    invitations::find_mine(&Cx::session().await?, &id, &token).await
}

/// Accepts an invitation addressed to the caller (an email invitation needs its link's
/// `token`); goes to what they joined.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    id: String,
    #[server(default)] token: String,
) -> Result<(), AppError> {
    let path = invitations::accept(&Cx::session().await?, &id, &token).await?;
    request::redirect(&path);
    Ok(())
}

/// Declines an invitation addressed to the caller (an email invitation through its link).
#[server(endpoint = "decline_invitation")]
pub async fn decline_invitation(
    id: String,
    #[server(default)] token: String,
) -> Result<(), AppError> {
    invitations::decline(&Cx::session().await?, &id, &token).await?;
    request::redirect("/?flash=invitation-declined");
    Ok(())
}

/// Withdraws a pending invitation (the admins of its organization or project).
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    let path = invitations::revoke(Cx::signed_in(Scope::All).await?, &id).await?;
    request::redirect(&path);
    Ok(())
}
