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
//!
//! An organization's project takes only the organization's members. Its owners and admins may
//! invite someone from outside: accepting then joins the organization (as a member) and the
//! project in one step, while the sender may still add members to the organization.

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
        members, org_changes, orgs, projects, users,
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
        && members::role_of::<OrgRole>(&mut tx, Target::Org(cx.org.id), user)
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
    let mut joins_org = false;
    if let invitations::Invitee::User(user) = stored {
        if let Some(org) = p.org_id {
            org_changes::lock(&mut tx, org).await?;
            if members::role_of::<OrgRole>(&mut tx, Target::Org(org), user)
                .await?
                .is_none()
            {
                // One invitation for both: only someone who may add members to the
                // organization may bring an outsider into its project.
                if !adds_org_members(&mut tx, org, cx.me()?.id).await? {
                    return Err(AppError::invalid(
                        field::LOGIN,
                        format!(
                            "{} is not a member of {}; only its owners and admins can invite someone from outside it.",
                            invitee.as_str(),
                            p.owner_name
                        ),
                    ));
                }
                joins_org = true;
            }
        }
        if members::role_of::<ProjectRole>(&mut tx, Target::Project(p.id), user)
            .await?
            .is_some()
        {
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
    let mut details = invited(id, role.as_str());
    if joins_org {
        details["joins_organization"] = serde_json::Value::Bool(true);
    }
    cx.audit(&mut tx, "project.member_invited", invitee.as_str(), details)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's pending invitations, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn mine(cx: &Cx) -> Result<Vec<InvitationView>, AppError> {
    let mut out = Vec::new();
    for invitation in invitations::for_invitee(&cx.state.db, cx.me()?.id, &cx.me()?.email).await? {
        out.push(view_for(cx, invitation).await?);
    }
    Ok(out)
}

/// An invitation as the caller sees it: with the organization accepting also joins, when it
/// is to an organization's project they are not yet in.
async fn view_for(cx: &Cx, invitation: Invitation) -> Result<InvitationView, AppError> {
    let mut shown = view(invitation.clone());
    if invitation.project_id.is_some() && invitation.target_org_id.is_some() {
        let role_of =
            |user: Uuid| orgs::find_for_user(&cx.state.db, &invitation.target_owner, user);
        let member = role_of(cx.me()?.id)
            .await?
            .is_some_and(|(_, r)| r.is_some());
        // Said only when accepting will do it: its sender may add members to the organization.
        let sender_adds = match invitation.invited_by_id {
            Some(sender) => role_of(sender)
                .await?
                .and_then(|(_, r)| r)
                .is_some_and(|r| r.allows(OrgAction::ManageMembers)),
            None => false,
        };
        if !member && sender_adds {
            shown.joins_org = Some(invitation.target_owner.clone());
        }
    }
    Ok(shown)
}

/// Whether `user` may add members to organization `org` (read inside `tx`, under its lock).
async fn adds_org_members(tx: &mut Tx, org: Uuid, user: Uuid) -> Result<bool, AppError> {
    Ok(members::role_of::<OrgRole>(tx, Target::Org(org), user)
        .await?
        .is_some_and(|r| r.allows(OrgAction::ManageMembers)))
}

/// One invitation addressed to the caller, as its link shows it (`token` proves the link for
/// an email invitation; a username invitation needs none).
#[tracing::instrument(level = "debug", skip_all, fields(invitation.id = %id), err)]
pub async fn find_mine(cx: &Cx, id: &str, token: &str) -> Result<InvitationView, AppError> {
    let invitation = addressed_to(cx, id).await?;
    if !link_holds(cx, &invitation, token) {
        return Err(not_found());
    }
    view_for(cx, invitation).await
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
            org_changes::lock(&mut tx, org).await?;
            let needed = if role == OrgRole::Owner {
                OrgAction::ManageOwners
            } else {
                OrgAction::ManageMembers
            };
            let sender_may = match invitation.invited_by_id {
                Some(sender) => members::role_of::<OrgRole>(&mut tx, Target::Org(org), sender)
                    .await?
                    .is_some_and(|r| r.allows(needed)),
                None => false,
            };
            if !sender_may {
                return Err(stale(&invitation));
            }
            let joined = members::add(&mut tx, Target::Org(org), me.id, role).await?;
            (
                joined,
                "organization.invitation_accepted",
                format!("/orgs/{}", invitation.target_owner),
            )
        }
        Target::Project(project) => {
            let role = ProjectRole::parse(&invitation.role).map_err(|_| AppError::Internal)?;
            if let Some(org) = invitation.target_org_id {
                org_changes::lock(&mut tx, org).await?;
                if members::role_of::<OrgRole>(&mut tx, Target::Org(org), me.id)
                    .await?
                    .is_none()
                {
                    // Joining the organization is part of this invitation when its sender
                    // may still add members to the organization.
                    let sender_adds = match invitation.invited_by_id {
                        Some(sender) => adds_org_members(&mut tx, org, sender).await?,
                        None => false,
                    };
                    if !sender_adds {
                        return Err(AppError::Conflict {
                            message: format!(
                                "This project belongs to the organization {}, which you are not in, and whoever invited you cannot add members to it. Ask one of its admins to invite you.",
                                invitation.target_owner
                            ),
                            fields: Default::default(),
                        });
                    }
                    members::add(&mut tx, Target::Org(org), me.id, OrgRole::Member).await?;
                    let details = serde_json::json!({
                        "invitation": invitation.id,
                        "invited_by": invitation.invited_by,
                        "via": "project invitation",
                        "project": invitation.target_project,
                        "after": { "role": OrgRole::Member.as_str() },
                    });
                    cx.audit(
                        &mut tx,
                        (Some(org), None),
                        "organization.member_joined",
                        &me.username,
                        details,
                    )
                    .await?;
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
            let joined = members::add(&mut tx, Target::Project(project), me.id, role).await?;
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
        joins_org: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::ProjectAction;
    use crate::server::testing::TestDb;

    fn invitee(text: &str) -> Invitee {
        Invitee::parse(text).unwrap()
    }

    async fn org_role(db: &TestDb, user: Uuid) -> Option<OrgRole> {
        orgs::find_for_user(&db.state.db, "acme", user)
            .await
            .unwrap()
            .and_then(|(_, role)| role)
    }

    #[tokio::test]
    async fn an_org_admin_brings_an_outsider_into_a_project_with_one_acceptance() {
        for db in TestDb::both().await {
            db.with_org("acme", "ann").await;
            let web = db.with_project("acme/web").await;
            let ann = web.as_admin().await;
            let bob = db.with_user("bob").await;

            let id = invite_to_project(&ann, invitee("bob"), ProjectRole::Developer)
                .await
                .unwrap();
            let bob_cx = db.cx(&bob);
            let shown = mine(&bob_cx).await.unwrap();
            assert_eq!(
                shown[0].joins_org.as_deref(),
                Some("acme"),
                "{}",
                db.backend
            );
            let path = accept(&bob_cx, &id.to_string(), "").await.unwrap();

            assert_eq!(path, "/projects/acme/web");
            assert_eq!(org_role(&db, bob.id).await, Some(OrgRole::Member));
            assert!(web.cx(&bob, ProjectAction::ManageCredentials).await.is_ok());
            assert_eq!(db.count("invitation").await, 0);
            let joined = db.audit_details("organization.member_joined").await;
            assert_eq!(joined.len(), 1, "{}", db.backend);
            assert_eq!(joined[0]["via"], "project invitation");
            assert_eq!(
                db.audit_details("project.invitation_accepted").await.len(),
                1
            );
            assert_eq!(
                db.audit_details("project.member_invited").await[0]["joins_organization"],
                true
            );
        }
    }

    #[tokio::test]
    async fn a_project_admin_who_cannot_add_org_members_brings_no_outsider_in() {
        for db in TestDb::both().await {
            db.with_org("acme", "ann").await;
            let web = db.with_project("acme/web").await;
            // Pat is the project's admin but a plain member of the organization.
            let pat = web
                .as_member("pat", ProjectRole::Admin, ProjectAction::ManageMembers)
                .await
                .unwrap();
            db.with_user("bob").await;

            let by_name = invite_to_project(&pat, invitee("bob"), ProjectRole::Viewer)
                .await
                .unwrap_err();
            assert!(
                by_name
                    .field(field::LOGIN)
                    .is_some_and(|m| m.contains("only its owners and admins")),
                "{by_name}"
            );
            // By email the invitation is made (the answer must not tell who has the address),
            // and accepting it is refused: pat cannot add members to acme.
            let id = invite_to_project(&pat, invitee("eve@example.com"), ProjectRole::Viewer)
                .await
                .unwrap();
            let eve = db.with_user("eve").await;
            let token = db.state.key.token(LINK_PURPOSE, id);
            let refused = accept(&db.cx(&eve), &id.to_string(), &token)
                .await
                .unwrap_err();
            assert_eq!(refused.status(), 409, "{}", db.backend);
            assert!(
                refused.to_string().contains("Ask one of its admins"),
                "{refused}"
            );
            assert_eq!(org_role(&db, eve.id).await, None);
            assert_eq!(db.count("invitation").await, 1, "nothing was taken");
        }
    }
}
