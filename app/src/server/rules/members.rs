//! Members of organizations and projects: change a role, remove (or leave). People join by
//! invitation (`invitations`).
//!
//! Organization admins manage members and admins; only owners grant, change or take the owner
//! role. The last owner can neither be demoted nor removed nor leave: every change runs under
//! the organization's lock and reads the roles again there, so two concurrent demotions of the
//! last two owners cannot both pass. A project never loses its last admin this way: a personal
//! project's owner and an organization's owners and admins are admins of its projects whatever
//! its member list says.

use uuid::Uuid;

use crate::domain::role::{OrgAction, OrgRole, ProjectAction, ProjectRole};
use crate::error::AppError;
use crate::server::{
    cx::{Cx, OrgCx, ProjectCx},
    db::{Db, invitations, org_changes, orgs, projects},
};

/// Gives the organization member `username` the role `role`.
#[tracing::instrument(skip_all, fields(org = %cx.org.name), err)]
pub async fn change_org_role(cx: &OrgCx, username: &str, role: OrgRole) -> Result<(), AppError> {
    let username = username.trim();
    let member = org_member_named(&cx.state.db, cx.org.id, username).await?;
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    // Read again under the lock: roles may have changed since the check.
    let my_role = org_changes::role_of(&mut tx, cx.org.id, cx.me()?.id).await?;
    let Some(current) = org_changes::role_of(&mut tx, cx.org.id, member).await? else {
        return Err(not_an_org_member(username));
    };
    let Some(my_role) = my_role.filter(|r| r.allows(OrgAction::ManageMembers)) else {
        return Err(AppError::Forbidden(
            OrgAction::ManageMembers.forbidden_message(),
        ));
    };
    if (current == OrgRole::Owner || role == OrgRole::Owner)
        && !my_role.allows(OrgAction::ManageOwners)
    {
        return Err(AppError::Forbidden(
            OrgAction::ManageOwners.forbidden_message(),
        ));
    }
    if current == role {
        return Ok(());
    }
    if current == OrgRole::Owner && org_changes::owner_count(&mut tx, cx.org.id).await? <= 1 {
        return Err(last_owner("role"));
    }
    org_changes::set_role(&mut tx, cx.org.id, member, role).await?;
    cx.audit(
        &mut tx,
        "organization.member_role_changed",
        username,
        role_change(current.as_str(), role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes `username` from organization `org` (admins), or lets the caller leave it (anyone);
/// their roles in its projects and their pending invitations go with them. Returns where to
/// go next.
#[tracing::instrument(skip_all, fields(org = %org, member = %username), err)]
pub async fn remove_from_org(cx: Cx, org: &str, username: &str) -> Result<String, AppError> {
    let username = username.trim();
    let leaving = username == cx.me()?.username;
    let needed = if leaving {
        OrgAction::View
    } else {
        OrgAction::ManageMembers
    };
    let cx = cx.in_org(org, needed).await?;
    let member = org_member_named(&cx.state.db, cx.org.id, username).await?;
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    let my_role = org_changes::role_of(&mut tx, cx.org.id, cx.me()?.id).await?;
    let Some(current) = org_changes::role_of(&mut tx, cx.org.id, member).await? else {
        return Err(not_an_org_member(username));
    };
    let Some(my_role) = my_role.filter(|r| r.allows(needed)) else {
        return Err(AppError::Forbidden(needed.forbidden_message()));
    };
    if current == OrgRole::Owner {
        if !leaving && !my_role.allows(OrgAction::ManageOwners) {
            return Err(AppError::Forbidden(
                OrgAction::ManageOwners.forbidden_message(),
            ));
        }
        if org_changes::owner_count(&mut tx, cx.org.id).await? <= 1 {
            return Err(last_owner("username"));
        }
    }
    org_changes::remove(&mut tx, cx.org.id, &cx.org.name, member).await?;
    invitations::delete_involving(&mut tx, cx.org.id, &cx.org.name, member).await?;
    let action = if leaving {
        "organization.member_left"
    } else {
        "organization.member_removed"
    };
    let details = serde_json::json!({ "before": { "role": current.as_str() } });
    cx.audit(&mut tx, action, username, details).await?;
    tx.commit().await?;
    Ok(if leaving {
        "/".to_owned()
    } else {
        cx.members_path()
    })
}

/// Gives the project member `username` the role `role`.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn change_project_role(
    cx: &ProjectCx,
    username: &str,
    role: ProjectRole,
) -> Result<(), AppError> {
    let username = username.trim();
    let member = project_member_named(&cx.state.db, cx.project.id, username).await?;
    let mut tx = cx.state.db.begin().await?;
    let Some(current) = projects::member_role(&mut tx, cx.project.id, member).await? else {
        return Err(not_a_project_member(username));
    };
    if current == role {
        return Ok(());
    }
    projects::set_member_role(&mut tx, cx.project.id, member, role).await?;
    cx.audit(
        &mut tx,
        "project.member_role_changed",
        username,
        role_change(current.as_str(), role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes `username` from project `owner/name` (admins), or lets the caller leave it
/// (anyone); their pending invitations to it go with them. Returns where to go next.
#[tracing::instrument(skip_all, fields(owner = %owner, project = %name, member = %username), err)]
pub async fn remove_from_project(
    cx: Cx,
    (owner, name): (&str, &str),
    username: &str,
) -> Result<String, AppError> {
    let username = username.trim();
    let leaving = username == cx.me()?.username;
    let needed = if leaving {
        ProjectAction::View
    } else {
        ProjectAction::ManageMembers
    };
    let cx = cx.in_project(owner, name, needed).await?;
    let member = project_member_named(&cx.state.db, cx.project.id, username).await?;
    let mut tx = cx.state.db.begin().await?;
    let Some(current) = projects::member_role(&mut tx, cx.project.id, member).await? else {
        return Err(not_a_project_member(username));
    };
    projects::remove_member(&mut tx, cx.project.id, member).await?;
    invitations::delete_involving_in_project(&mut tx, cx.project.id, member).await?;
    let action = if leaving {
        "project.member_left"
    } else {
        "project.member_removed"
    };
    let details = serde_json::json!({ "before": { "role": current.as_str() } });
    cx.audit(&mut tx, action, username, details).await?;
    tx.commit().await?;
    Ok(if leaving {
        "/projects".to_owned()
    } else {
        cx.members_path()
    })
}

fn role_change(before: &str, after: &str) -> serde_json::Value {
    serde_json::json!({ "before": { "role": before }, "after": { "role": after } })
}

/// The ID of the organization member called `username`, or a 404 naming them.
async fn org_member_named(db: &Db, org: Uuid, username: &str) -> Result<Uuid, AppError> {
    orgs::members(db, org)
        .await?
        .into_iter()
        .find(|m| m.username == username)
        .map(|m| m.user_id)
        .ok_or_else(|| not_an_org_member(username))
}

/// The ID of the project member called `username`, or a 404 naming them.
async fn project_member_named(db: &Db, project: Uuid, username: &str) -> Result<Uuid, AppError> {
    projects::members(db, project)
        .await?
        .into_iter()
        .find(|m| m.username == username)
        .map(|m| m.user_id)
        .ok_or_else(|| not_a_project_member(username))
}

fn not_an_org_member(username: &str) -> AppError {
    AppError::NotFound(format!(
        "\"{username}\" is not a member of this organization."
    ))
}

fn not_a_project_member(username: &str) -> AppError {
    AppError::NotFound(format!("\"{username}\" is not a member of this project."))
}

fn last_owner(field: &str) -> AppError {
    AppError::conflict(
        field,
        "An organization needs at least one owner: make another member an owner first.",
    )
}
