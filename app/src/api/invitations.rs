//! Invitations: the only way into an organization or a project. Admins invite a username or an
//! email address with a role and may revoke what is pending; the invitee accepts or declines.
//! Until they accept, the invitee has no access and sees nothing of the target but its name
//! in the invitation.
//!
//! An email invitation is answered the same whether or not an account has that address (it
//! waits for whoever signs up with it); usernames are public (they are image path segments),
//! so an unknown one is reported. Berth does not prove that an account's email address is its
//! owner's, so an email invitation is accepted only through its link: the admin is given it
//! and passes it on; the account accepting must also have that address. An invitation counts
//! only while whoever sent it may still invite with its role.

use leptos::prelude::*;

use crate::domain::invitation::InvitationView;
use crate::error::AppError;

/// Invites `login` (a username or an email address) to the organization with `role`.
#[server(endpoint = "invite_org_member")]
pub async fn invite_org_member(org: String, login: String, role: String) -> Result<(), AppError> {
    use crate::domain::{
        invitation::Invitee,
        role::{OrgAction, OrgRole},
    };
    use crate::server::{
        access, audit, ctx,
        db::{invitations, org_members},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::org(&state.db, me.id, &org, OrgAction::ManageMembers).await?;
    let role = OrgRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    if role == OrgRole::Owner && !access.role.allows(OrgAction::ManageOwners) {
        return Err(AppError::Forbidden(
            OrgAction::ManageOwners.forbidden_message(),
        ));
    }
    let invitee = Invitee::parse(&login).map_err(|e| AppError::invalid("login", e))?;
    let stored = stored_invitee(&state.db, &invitee).await?;

    let mut tx = state.db.begin().await?;
    if !org_members::lock(&mut tx, access.org.id).await? {
        return Err(access::org_not_found(&org));
    }
    if let invitations::Invitee::User(user) = stored
        && org_members::role_of(&mut tx, access.org.id, user)
            .await?
            .is_some()
    {
        return Err(already_member(invitee.as_str()));
    }
    let target = invitations::Target::Org(access.org.id);
    let id = create(&mut tx, target, &stored, &invitee, role.as_str(), me.id).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: Some(access.org.id),
            project_id: None,
            action: "organization.member_invited",
            target: invitee.as_str(),
            details: serde_json::json!({ "invitation": id, "after": { "role": role.as_str() } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/orgs/{}", access.org.name));
    Ok(())
}

/// Invites `login` (a username or an email address) to the project with `role`. An
/// organization's projects take only its members; a username is checked now, an email address
/// when the invitation is accepted.
#[server(endpoint = "invite_project_member")]
pub async fn invite_project_member(
    owner: String,
    name: String,
    login: String,
    role: String,
) -> Result<(), AppError> {
    use crate::domain::{
        invitation::Invitee,
        role::{ProjectAction, ProjectRole},
    };
    use crate::server::{
        access, audit, ctx,
        db::{invitations, org_members, projects},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let p = access::project(
        &state.db,
        me.id,
        &owner,
        &name,
        ProjectAction::ManageMembers,
    )
    .await?
    .project;
    let role = ProjectRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    let invitee = Invitee::parse(&login).map_err(|e| AppError::invalid("login", e))?;
    let stored = stored_invitee(&state.db, &invitee).await?;

    let mut tx = state.db.begin().await?;
    if let invitations::Invitee::User(user) = stored {
        if let Some(org) = p.org_id {
            org_members::lock(&mut tx, org).await?;
            if org_members::role_of(&mut tx, org, user).await?.is_none() {
                return Err(AppError::invalid(
                    "login",
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
    let target = invitations::Target::Project(p.id);
    let id = create(&mut tx, target, &stored, &invitee, role.as_str(), me.id).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "project.member_invited",
            target: invitee.as_str(),
            details: serde_json::json!({ "invitation": id, "after": { "role": role.as_str() } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/projects/{}/{}", p.owner_name, p.name));
    Ok(())
}

/// The caller's pending invitations, newest first.
#[server(endpoint = "my_invitations", input = server_fn::codec::GetUrl)]
pub async fn my_invitations() -> Result<Vec<InvitationView>, AppError> {
    use crate::server::{ctx, db::invitations};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    Ok(invitations::for_invitee(&state.db, me.id, &me.email)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// One invitation addressed to the caller, as its link shows it: `token` is the link's proof
/// for an email invitation (ignored for a username one).
#[server(endpoint = "get_invitation", input = server_fn::codec::GetUrl)]
pub async fn get_invitation(id: String, token: String) -> Result<InvitationView, AppError> {
    use crate::server::{ctx, db::invitations};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let id = parse_id(&id)?;
    let invitation = invitations::find(&state.db, id)
        .await?
        .filter(|i| i.is_for(me.id, &me.email))
        .filter(|i| link_holds(&state, i, &token))
        .ok_or_else(not_found)?;
    Ok(view(invitation))
}

/// Accepts an invitation addressed to the caller: they join with its role. An email invitation
/// needs its link's `token`. Joining an organization's project needs membership of the
/// organization first; and the invitation holds only while its sender may still invite.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    id: String,
    #[server(default)] token: String,
) -> Result<(), AppError> {
    use crate::domain::role::{OrgAction, OrgRole, ProjectAction, ProjectRole};
    use crate::server::{
        audit, ctx,
        db::{invitations, org_members, projects},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let id = parse_id(&id)?;
    let Some(invitation) = invitations::find(&state.db, id)
        .await?
        .filter(|i| i.is_for(me.id, &me.email))
    else {
        return Err(not_found());
    };
    if !link_holds(&state, &invitation, &token) {
        return Err(needs_link());
    }
    let target = invitation.target().ok_or(AppError::Internal)?;
    let inviter = invitation.invited_by_id;
    let mut tx = state.db.begin().await?;
    let (event, redirect) = match target {
        invitations::Target::Org(org) => {
            let role = OrgRole::parse(&invitation.role).map_err(|_| AppError::Internal)?;
            org_members::lock(&mut tx, org).await?;
            let needed = if role == OrgRole::Owner {
                OrgAction::ManageOwners
            } else {
                OrgAction::ManageMembers
            };
            let sender_may = match inviter {
                Some(inviter) => org_members::role_of(&mut tx, org, inviter)
                    .await?
                    .is_some_and(|r| r.allows(needed)),
                None => false,
            };
            if !sender_may {
                return Err(stale(&invitation));
            }
            let joined = org_members::add(&mut tx, org, me.id, role).await?;
            (
                audit::Event {
                    actor: Some(me.id),
                    org_id: Some(org),
                    project_id: None,
                    action: "organization.invitation_accepted",
                    target: &me.username,
                    details: accepted_details(id, joined, role.as_str()),
                },
                format!("/orgs/{}", invitation.target_owner),
            )
        }
        invitations::Target::Project(project) => {
            let role = ProjectRole::parse(&invitation.role).map_err(|_| AppError::Internal)?;
            let name = invitation.target_project.clone().unwrap_or_default();
            if let Some(org) = invitation.target_org_id {
                org_members::lock(&mut tx, org).await?;
                if org_members::role_of(&mut tx, org, me.id).await?.is_none() {
                    return Err(AppError::Conflict {
                        message: format!(
                            "This project belongs to the organization {}; you need to join it first. \
                             Ask its admins for an invitation, then accept this one.",
                            invitation.target_owner
                        ),
                        fields: Default::default(),
                    });
                }
            }
            let sender_may = match inviter {
                Some(inviter) => projects::role_in(&mut tx, project, inviter)
                    .await?
                    .is_some_and(|r| r.allows(ProjectAction::ManageMembers)),
                None => false,
            };
            if !sender_may {
                return Err(stale(&invitation));
            }
            let joined = projects::add_member(&mut tx, project, me.id, role).await?;
            (
                audit::Event {
                    actor: Some(me.id),
                    org_id: invitation.target_org_id,
                    project_id: Some(project),
                    action: "project.invitation_accepted",
                    target: &me.username,
                    details: accepted_details(id, joined, role.as_str()),
                },
                format!("/projects/{}/{}", invitation.target_owner, name),
            )
        }
    };
    // Taking the invitation out is the claim: a revoke that got there first leaves nothing.
    if !invitations::take(&mut tx, id).await? {
        return Err(not_found());
    }
    invitations::delete_for(&mut tx, target, me.id, &me.email).await?;
    audit::record(&mut tx, &state, event).await?;
    tx.commit().await?;
    ctx::redirect(&redirect);
    Ok(())
}

/// Declines an invitation addressed to the caller (an email invitation through its link, like
/// accepting: whoever merely registered the address cannot void it).
#[server(endpoint = "decline_invitation")]
pub async fn decline_invitation(
    id: String,
    #[server(default)] token: String,
) -> Result<(), AppError> {
    use crate::server::{audit, ctx, db::invitations};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let id = parse_id(&id)?;
    let Some(invitation) = invitations::find(&state.db, id)
        .await?
        .filter(|i| i.is_for(me.id, &me.email))
    else {
        return Err(not_found());
    };
    if !link_holds(&state, &invitation, &token) {
        return Err(needs_link());
    }
    let mut tx = state.db.begin().await?;
    let target = invitation.target().ok_or(AppError::Internal)?;
    let (project_id, action) = match target {
        invitations::Target::Org(_) => (None, "organization.invitation_declined"),
        invitations::Target::Project(project) => (Some(project), "project.invitation_declined"),
    };
    if !invitations::take(&mut tx, id).await? {
        return Err(not_found());
    }
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: invitation.target_org_id,
            project_id,
            action,
            target: invitation.invitee_label(),
            details: serde_json::json!({ "invitation": id, "before": { "role": invitation.role } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect("/?flash=invitation-declined");
    Ok(())
}

/// Withdraws a pending invitation (the admins of its organization or project).
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    use crate::domain::role::{OrgAction, ProjectAction};
    use crate::server::{access, audit, ctx, db::invitations};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let id = parse_id(&id)?;
    let Some(invitation) = invitations::find(&state.db, id).await? else {
        return Err(not_found());
    };
    // Someone who cannot see the target cannot see its invitations either.
    let hide = |e: AppError| match e {
        AppError::NotFound(_) => not_found(),
        other => other,
    };
    let (org_id, project_id, action, redirect) = match invitation.target_project.as_deref() {
        None => {
            let access = access::org(
                &state.db,
                me.id,
                &invitation.target_owner,
                OrgAction::ManageMembers,
            )
            .await
            .map_err(hide)?;
            (
                Some(access.org.id),
                None,
                "organization.invitation_revoked",
                format!("/orgs/{}", access.org.name),
            )
        }
        Some(project) => {
            let p = access::project(
                &state.db,
                me.id,
                &invitation.target_owner,
                project,
                ProjectAction::ManageMembers,
            )
            .await
            .map_err(hide)?
            .project;
            (
                p.org_id,
                Some(p.id),
                "project.invitation_revoked",
                format!("/projects/{}/{}", p.owner_name, p.name),
            )
        }
    };
    let mut tx = state.db.begin().await?;
    if !invitations::take(&mut tx, id).await? {
        return Err(not_found());
    }
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id,
            project_id,
            action,
            target: invitation.invitee_label(),
            details: serde_json::json!({ "invitation": id, "before": { "role": invitation.role } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&redirect);
    Ok(())
}

/// The pending invitations to `target`, as its admins see them, with the link of each email
/// invitation to pass on, but only where the viewer could have made the invitation: an
/// organization admin does not get the link of an owner invitation (they could accept it
/// themselves under a second account with that address).
#[cfg(feature = "ssr")]
pub(crate) async fn pending(
    state: &crate::server::state::AppState,
    target: crate::server::db::invitations::Target,
    may_invite_owners: bool,
) -> Result<Vec<crate::domain::invitation::PendingInvitation>, AppError> {
    use crate::domain::invitation::{LINK_PURPOSE, PendingInvitation};

    Ok(
        crate::server::db::invitations::for_target(&state.db, target)
            .await?
            .into_iter()
            .map(|i| PendingInvitation {
                id: i.id.to_string(),
                invitee: i.invitee_label().to_owned(),
                role: i.role.clone(),
                invited_by: i.invited_by.clone(),
                expires_at: rfc3339(i.expires_at),
                link: (i.invitee_email.is_some() && (may_invite_owners || i.role != "owner")).then(
                    || {
                        format!(
                            "{}/invitation?id={}&token={}",
                            state.settings.public_url,
                            i.id,
                            state.key.token(LINK_PURPOSE, i.id)
                        )
                    },
                ),
            })
            .collect(),
    )
}

/// An invitation as its invitee sees it.
#[cfg(feature = "ssr")]
fn view(i: crate::server::db::invitations::Invitation) -> InvitationView {
    use crate::domain::invitation::InvitationTarget;

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
        expires_at: rfc3339(i.expires_at),
    }
}

/// Whether `token` is what accepting `invitation` needs: the link's proof for an invitation to
/// an email address; nothing for one to a username (the account is named).
#[cfg(feature = "ssr")]
fn link_holds(
    state: &crate::server::state::AppState,
    invitation: &crate::server::db::invitations::Invitation,
    token: &str,
) -> bool {
    use crate::domain::invitation::LINK_PURPOSE;

    invitation.invitee_email.is_none() || state.key.verify_token(LINK_PURPOSE, invitation.id, token)
}

/// The refusal of an email invitation answered without its link.
#[cfg(feature = "ssr")]
fn needs_link() -> AppError {
    AppError::Forbidden(
        "An invitation to an email address is answered through the link it came with; \
         open the link you were given."
            .into(),
    )
}

/// What the audit log says of an acceptance: the role given, or that the invitee was a member
/// already (whose role stays as it was).
#[cfg(feature = "ssr")]
fn accepted_details(id: uuid::Uuid, joined: bool, role: &str) -> serde_json::Value {
    if joined {
        serde_json::json!({ "invitation": id, "after": { "role": role } })
    } else {
        serde_json::json!({ "invitation": id, "unchanged": "already a member" })
    }
}

/// The refusal of an invitation whose sender may no longer invite with its role.
#[cfg(feature = "ssr")]
fn stale(invitation: &crate::server::db::invitations::Invitation) -> AppError {
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

/// How an invitee is stored: an account for a username (which must exist), the address for
/// an email (whether or not an account has it; the answer must not tell).
#[cfg(feature = "ssr")]
async fn stored_invitee(
    db: &crate::server::db::Db,
    invitee: &crate::domain::invitation::Invitee,
) -> Result<crate::server::db::invitations::Invitee, AppError> {
    use crate::domain::invitation::Invitee;
    use crate::server::db::{invitations, users};

    match invitee {
        Invitee::Email(email) => Ok(invitations::Invitee::Email(email.as_str().to_owned())),
        Invitee::Username(name) => match users::find_by_username(db, name.as_str()).await? {
            Some(user) => Ok(invitations::Invitee::User(user)),
            None => Err(AppError::invalid(
                "login",
                format!("No account has the username \"{name}\"."),
            )),
        },
    }
}

/// Stores the invitation, or says when the pending one for this invitee expires.
#[cfg(feature = "ssr")]
async fn create(
    tx: &mut crate::server::db::Tx,
    target: crate::server::db::invitations::Target,
    stored: &crate::server::db::invitations::Invitee,
    invitee: &crate::domain::invitation::Invitee,
    role: &str,
    by: uuid::Uuid,
) -> Result<uuid::Uuid, AppError> {
    use crate::domain::invitation::INVITATION_DAYS;
    use crate::server::db::invitations::{self, NewInvitation};

    let expires_at =
        (time::OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS)).unix_timestamp();
    invitations::create(
        tx,
        &NewInvitation {
            target,
            invitee: stored,
            role,
            by,
            expires_at,
        },
    )
    .await?
    .map_err(|pending_until| {
        AppError::conflict(
            "login",
            format!(
                "{} has a pending invitation until {}; revoke it to invite them again.",
                invitee.as_str(),
                rfc3339(pending_until)
            ),
        )
    })
}

#[cfg(feature = "ssr")]
fn already_member(who: &str) -> AppError {
    AppError::conflict(
        "login",
        format!("{who} is a member already; change their role instead."),
    )
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::try_parse(id.trim()).map_err(|_| not_found())
}

#[cfg(feature = "ssr")]
fn not_found() -> AppError {
    AppError::NotFound(
        "There is no such invitation for you: it was answered, revoked or has expired.".into(),
    )
}

/// Unix seconds as RFC 3339 UTC.
#[cfg(feature = "ssr")]
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
