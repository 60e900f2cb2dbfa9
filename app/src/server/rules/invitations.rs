//! Invitations: the only way into an organization or a project. Admins invite a username or an
//! email address with a role and may revoke what is pending; the invitee accepts or declines.
//! Until they accept, the invitee has no access and sees nothing of the target but its name
//! in the invitation.
//!
//! An email invitation is answered the same whether or not an account has that address (it
//! waits for whoever signs up with it); usernames are public (they are image path segments),
//! so an unknown one is reported. Berth does not prove that an account's email address is its
//! owner's, so an email invitation is answered only through its link: the admin is given it
//! and passes it on; the account answering must also have that address. An invitation counts
//! only while whoever sent it may still invite with its role.

use uuid::Uuid;

use crate::domain::invitation::{
    INVITATION_DAYS, InvitationTarget, InvitationView, Invitee, LINK_PURPOSE, PendingInvitation,
    field,
};
use crate::domain::role::{OrgAction, OrgRole, ProjectAction, ProjectRole};
use crate::domain::when;
use crate::error::AppError;
use crate::server::{
    cx::{Cx, OrgCx, ProjectCx},
    db::{
        Db, Tx,
        invitations::{self, Invitation, NewInvitation},
        org_members, projects, users,
    },
};

pub use crate::server::db::invitations::Target;

/// Invites `invitee` to the organization with `role` (only owners invite owners).
#[tracing::instrument(skip_all, fields(org = %cx.org.name), err)]
pub async fn invite_to_org(cx: &OrgCx, invitee: Invitee, role: OrgRole) -> Result<Uuid, AppError> {
    if role == OrgRole::Owner && !cx.may(OrgAction::ManageOwners) {
        return Err(AppError::Forbidden(
            OrgAction::ManageOwners.forbidden_message(),
        ));
    }
    let stored = stored_invitee(&cx.state.db, &invitee).await?;
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    if let invitations::Invitee::User(user) = stored
        && org_members::role_of(&mut tx, cx.org.id, user)
            .await?
            .is_some()
    {
        return Err(already_member(invitee.as_str()));
    }
    let target = Target::Org(cx.org.id);
    let id = create(
        &mut tx,
        cx.me()?.id,
        target,
        (&stored, &invitee),
        role.as_str(),
    )
    .await?;
    cx.audit(
        &mut tx,
        "organization.member_invited",
        invitee.as_str(),
        invited(id, role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Invites `invitee` to the project with `role`. An organization's projects take only its
/// members: a username is checked now, an email address when the invitation is accepted.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn invite_to_project(
    cx: &ProjectCx,
    invitee: Invitee,
    role: ProjectRole,
) -> Result<Uuid, AppError> {
    let p = &cx.project;
    let stored = stored_invitee(&cx.state.db, &invitee).await?;
    let mut tx = cx.state.db.begin().await?;
    if let invitations::Invitee::User(user) = stored {
        if let Some(org) = p.org_id {
            org_members::lock(&mut tx, org).await?;
            if org_members::role_of(&mut tx, org, user).await?.is_none() {
                return Err(AppError::invalid(
                    field::LOGIN,
                    format!(
                        "{} is not a member of {}; invite them to the organization first.",
                        invitee.as_str(),
                        p.owner_name
                    ),
                ));
            }
        }
        if projects::member_role(&mut tx, p.id, user).await?.is_some() {
            return Err(already_member(invitee.as_str()));
        }
    }
    let target = Target::Project(p.id);
    let id = create(
        &mut tx,
        cx.me()?.id,
        target,
        (&stored, &invitee),
        role.as_str(),
    )
    .await?;
    cx.audit(
        &mut tx,
        "project.member_invited",
        invitee.as_str(),
        invited(id, role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's pending invitations, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn mine(cx: &Cx) -> Result<Vec<InvitationView>, AppError> {
    Ok(
        invitations::for_invitee(&cx.state.db, cx.me()?.id, &cx.me()?.email)
            .await?
            .into_iter()
            .map(view)
            .collect(),
    )
}

/// One invitation addressed to the caller, as its link shows it (`token` proves the link for
/// an email invitation; a username invitation needs none).
#[tracing::instrument(level = "debug", skip_all, fields(invitation.id = %id), err)]
pub async fn find_mine(cx: &Cx, id: &str, token: &str) -> Result<InvitationView, AppError> {
    let invitation = addressed_to(cx, id).await?;
    if !link_holds(cx, &invitation, token) {
        return Err(not_found());
    }
    Ok(view(invitation))
}

/// Accepts an invitation addressed to the caller: they join with its role. Returns the page
/// of what they joined.
#[tracing::instrument(skip_all, fields(invitation.id = %id), err)]
pub async fn accept(cx: &Cx, id: &str, token: &str) -> Result<String, AppError> {
    let invitation = addressed_to(cx, id).await?;
    if !link_holds(cx, &invitation, token) {
        return Err(needs_link());
    }
    let target = invitation.target().ok_or(AppError::Internal)?;
    let me = cx.me()?;
    let mut tx = cx.state.db.begin().await?;
    let (joined, action, path) = match target {
        Target::Org(org) => {
            let role = OrgRole::parse(&invitation.role).map_err(|_| AppError::Internal)?;
            org_members::lock(&mut tx, org).await?;
            let needed = if role == OrgRole::Owner {
                OrgAction::ManageOwners
            } else {
                OrgAction::ManageMembers
            };
            let sender_may = match invitation.invited_by_id {
                Some(sender) => org_members::role_of(&mut tx, org, sender)
                    .await?
                    .is_some_and(|r| r.allows(needed)),
                None => false,
            };
            if !sender_may {
                return Err(stale(&invitation));
            }
            let joined = org_members::add(&mut tx, org, me.id, role).await?;
            (
                joined,
                "organization.invitation_accepted",
                format!("/orgs/{}", invitation.target_owner),
            )
        }
        Target::Project(project) => {
            let role = ProjectRole::parse(&invitation.role).map_err(|_| AppError::Internal)?;
            if let Some(org) = invitation.target_org_id {
                org_members::lock(&mut tx, org).await?;
                if org_members::role_of(&mut tx, org, me.id).await?.is_none() {
                    return Err(AppError::Conflict {
                        message: format!(
                            "This project belongs to the organization {}; you need to join it \
                             first. Ask its admins for an invitation, then accept this one.",
                            invitation.target_owner
                        ),
                        fields: Default::default(),
                    });
                }
            }
            let sender_may = match invitation.invited_by_id {
                Some(sender) => projects::role_in(&mut tx, project, sender)
                    .await?
                    .is_some_and(|r| r.allows(ProjectAction::ManageMembers)),
                None => false,
            };
            if !sender_may {
                return Err(stale(&invitation));
            }
            let joined = projects::add_member(&mut tx, project, me.id, role).await?;
            let name = invitation.target_project.as_deref().unwrap_or_default();
            let path = format!("/projects/{}/{name}", invitation.target_owner);
            (joined, "project.invitation_accepted", path)
        }
    };
    // Taking the invitation out is the claim: a revoke that got there first leaves nothing.
    if !invitations::take(&mut tx, invitation.id).await? {
        return Err(not_found());
    }
    invitations::delete_for(&mut tx, target, me.id, &me.email).await?;
    let details = if joined {
        serde_json::json!({ "invitation": invitation.id, "after": { "role": invitation.role } })
    } else {
        serde_json::json!({ "invitation": invitation.id, "unchanged": "already a member" })
    };
    cx.audit(&mut tx, scope(&invitation), action, &me.username, details)
        .await?;
    tx.commit().await?;
    Ok(path)
}

/// Declines an invitation addressed to the caller (an email invitation through its link:
/// whoever merely registered the address cannot void it).
#[tracing::instrument(skip_all, fields(invitation.id = %id), err)]
pub async fn decline(cx: &Cx, id: &str, token: &str) -> Result<(), AppError> {
    let invitation = addressed_to(cx, id).await?;
    if !link_holds(cx, &invitation, token) {
        return Err(needs_link());
    }
    let action = match invitation.target() {
        Some(Target::Org(_)) => "organization.invitation_declined",
        _ => "project.invitation_declined",
    };
    let mut tx = cx.state.db.begin().await?;
    if !invitations::take(&mut tx, invitation.id).await? {
        return Err(not_found());
    }
    let details =
        serde_json::json!({ "invitation": invitation.id, "before": { "role": invitation.role } });
    cx.audit(
        &mut tx,
        scope(&invitation),
        action,
        invitation.invitee_label(),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a pending invitation (the admins of its organization or project). Returns the
/// page it was listed on.
#[tracing::instrument(skip_all, fields(invitation.id = %id), err)]
pub async fn revoke(cx: Cx, id: &str) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let invitation = invitations::find(&cx.state.db, id)
        .await?
        .ok_or_else(not_found)?;
    // Someone who cannot see the target cannot see its invitations either.
    let hide = |e: AppError| match e {
        AppError::NotFound(_) => not_found(),
        other => other,
    };
    let details = serde_json::json!({ "invitation": id, "before": { "role": invitation.role } });
    match invitation.target_project.as_deref() {
        None => {
            let org = cx
                .in_org(&invitation.target_owner, OrgAction::ManageMembers)
                .await
                .map_err(hide)?;
            let mut tx = org.state.db.begin().await?;
            take(&mut tx, id).await?;
            org.audit(
                &mut tx,
                "organization.invitation_revoked",
                invitation.invitee_label(),
                details,
            )
            .await?;
            tx.commit().await?;
            Ok(org.members_path())
        }
        Some(project) => {
            let p = cx
                .in_project(
                    &invitation.target_owner,
                    project,
                    ProjectAction::ManageMembers,
                )
                .await
                .map_err(hide)?;
            let mut tx = p.state.db.begin().await?;
            take(&mut tx, id).await?;
            p.audit(
                &mut tx,
                "project.invitation_revoked",
                invitation.invitee_label(),
                details,
            )
            .await?;
            tx.commit().await?;
            Ok(p.members_path())
        }
    }
}

/// The pending invitations to `target`, as its admins see them, with the link of each email
/// invitation to pass on, but only where the viewer could have made the invitation: an
/// organization admin does not get the link of an owner invitation (they could accept it
/// themselves under a second account with that address).
pub async fn pending(
    cx: &Cx,
    target: Target,
    may_invite_owners: bool,
) -> Result<Vec<PendingInvitation>, AppError> {
    Ok(invitations::for_target(&cx.state.db, target)
        .await?
        .into_iter()
        .map(|i| PendingInvitation {
            id: i.id.to_string(),
            invitee: i.invitee_label().to_owned(),
            role: i.role.clone(),
            invited_by: i.invited_by.clone(),
            expires_at: when::rfc3339_secs(i.expires_at),
            link: (i.invitee_email.is_some() && (may_invite_owners || i.role != "owner")).then(
                || {
                    format!(
                        "{}/invitation?id={}&token={}",
                        cx.state.settings.public_url,
                        i.id,
                        cx.state.key.token(LINK_PURPOSE, i.id)
                    )
                },
            ),
        })
        .collect())
}

/// The invitation `id` if it is pending and addressed to the caller, else 404.
async fn addressed_to(cx: &Cx, id: &str) -> Result<Invitation, AppError> {
    let me = cx.me()?;
    invitations::find(&cx.state.db, parse_id(id)?)
        .await?
        .filter(|i| i.is_for(me.id, &me.email))
        .ok_or_else(not_found)
}

/// Takes the invitation out, or 404 when an answer or a revoke got there first.
async fn take(tx: &mut Tx, id: Uuid) -> Result<(), AppError> {
    if invitations::take(tx, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The logs an invitation's answer belongs in: its organization's, and its project's.
fn scope(invitation: &Invitation) -> (Option<Uuid>, Option<Uuid>) {
    (invitation.target_org_id, invitation.project_id)
}

fn invited(id: Uuid, role: &str) -> serde_json::Value {
    serde_json::json!({ "invitation": id, "after": { "role": role } })
}

/// An invitation as its invitee sees it.
fn view(i: Invitation) -> InvitationView {
    InvitationView {
        id: i.id.to_string(),
        needs_link: i.invitee_email.is_some(),
        target: match i.target_project {
            Some(project) => InvitationTarget::Project {
                owner: i.target_owner,
                name: project,
            },
            None => InvitationTarget::Org {
                name: i.target_owner,
            },
        },
        role: i.role,
        invited_by: i.invited_by,
        expires_at: when::rfc3339_secs(i.expires_at),
    }
}

/// Whether `token` is what answering `invitation` needs: the link's proof for an invitation to
/// an email address; nothing for one to a username (the account is named).
fn link_holds(cx: &Cx, invitation: &Invitation, token: &str) -> bool {
    invitation.invitee_email.is_none()
        || cx
            .state
            .key
            .verify_token(LINK_PURPOSE, invitation.id, token)
}

/// How an invitee is stored: an account for a username (which must exist), the address for
/// an email (whether or not an account has it; the answer must not tell).
async fn stored_invitee(db: &Db, invitee: &Invitee) -> Result<invitations::Invitee, AppError> {
    match invitee {
        Invitee::Email(email) => Ok(invitations::Invitee::Email(email.as_str().to_owned())),
        Invitee::Username(name) => match users::find_by_username(db, name.as_str()).await? {
            Some(user) => Ok(invitations::Invitee::User(user)),
            None => Err(AppError::invalid(
                field::LOGIN,
                format!("No account has the username \"{name}\"."),
            )),
        },
    }
}

/// Stores the invitation, or says when the pending one for this invitee expires.
async fn create(
    tx: &mut Tx,
    by: Uuid,
    target: Target,
    (stored, invitee): (&invitations::Invitee, &Invitee),
    role: &str,
) -> Result<Uuid, AppError> {
    let expires_at =
        (time::OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS)).unix_timestamp();
    let new = NewInvitation {
        target,
        invitee: stored,
        role,
        by,
        expires_at,
    };
    invitations::create(tx, &new)
        .await?
        .map_err(|pending_until| {
            AppError::conflict(
                field::LOGIN,
                format!(
                    "{} has a pending invitation until {}; revoke it to invite them again.",
                    invitee.as_str(),
                    when::rfc3339_secs(pending_until)
                ),
            )
        })
}

fn needs_link() -> AppError {
    AppError::Forbidden(
        "An invitation to an email address is answered through the link it came with; \
         open the link you were given."
            .into(),
    )
}

/// The refusal of an invitation whose sender may no longer invite with its role.
fn stale(invitation: &Invitation) -> AppError {
    AppError::Conflict {
        message: format!(
            "This invitation no longer holds: {} can no longer invite to {} with the {} role. \
             Ask one of its admins for a new one.",
            invitation
                .invited_by
                .as_deref()
                .unwrap_or("whoever sent it"),
            invitation.target_owner,
            invitation.role
        ),
        fields: Default::default(),
    }
}

fn already_member(who: &str) -> AppError {
    AppError::conflict(
        field::LOGIN,
        format!("{who} is a member already; change their role instead."),
    )
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::try_parse(id.trim()).map_err(|_| not_found())
}

fn not_found() -> AppError {
    AppError::NotFound(
        "There is no such invitation for you: it was answered, revoked or has expired.".into(),
    )
}
