//! Project members: change role, remove (project admins; anyone may leave). People join by
//! invitation (`api::invitations`).
//!
//! A project never loses its last admin this way: a personal project's owner and an
//! organization's owners and admins are admins of its projects whatever the member list says.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes a project member's role.
#[server(endpoint = "change_project_member_role")]
pub async fn change_project_member_role(
    owner: String,
    name: String,
    username: String,
    role: String,
) -> Result<(), AppError> {
    use crate::domain::role::{ProjectAction, ProjectRole};
    use crate::server::{access, audit, ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(
        &state.db,
        me.id,
        &owner,
        &name,
        ProjectAction::ManageMembers,
    )
    .await?;
    let p = access.project;
    let role = ProjectRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    let member = member_named(&state.db, p.id, &username).await?;

    let mut tx = state.db.begin().await?;
    let Some(current) = projects::member_role(&mut tx, p.id, member).await? else {
        return Err(not_a_member(&username));
    };
    if current == role {
        return Ok(());
    }
    projects::set_member_role(&mut tx, p.id, member, role).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "project.member_role_changed",
            target: username.trim(),
            details: serde_json::json!({
                "before": { "role": current.as_str() },
                "after": { "role": role.as_str() },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/projects/{}/{}", p.owner_name, p.name));
    Ok(())
}

/// Removes a project member; any member may remove themselves (leave).
#[server(endpoint = "remove_project_member")]
pub async fn remove_project_member(
    owner: String,
    name: String,
    username: String,
) -> Result<(), AppError> {
    use crate::domain::role::ProjectAction;
    use crate::server::{
        access, audit, ctx,
        db::{invitations, projects},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let leaving = username.trim() == me.username;
    let needed = if leaving {
        ProjectAction::View
    } else {
        ProjectAction::ManageMembers
    };
    let access = access::project(&state.db, me.id, &owner, &name, needed).await?;
    let p = access.project;
    let member = member_named(&state.db, p.id, &username).await?;

    let mut tx = state.db.begin().await?;
    let Some(current) = projects::member_role(&mut tx, p.id, member).await? else {
        return Err(not_a_member(&username));
    };
    projects::remove_member(&mut tx, p.id, member).await?;
    invitations::delete_involving_in_project(&mut tx, p.id, member).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: if leaving {
                "project.member_left"
            } else {
                "project.member_removed"
            },
            target: username.trim(),
            details: serde_json::json!({ "before": { "role": current.as_str() } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&if leaving {
        "/projects".to_owned()
    } else {
        format!("/projects/{}/{}", p.owner_name, p.name)
    });
    Ok(())
}

/// The ID of the project member called `username`, or a 404 naming them.
#[cfg(feature = "ssr")]
async fn member_named(
    db: &crate::server::db::Db,
    project: uuid::Uuid,
    username: &str,
) -> Result<uuid::Uuid, AppError> {
    crate::server::db::projects::members(db, project)
        .await?
        .into_iter()
        .find(|m| m.username == username.trim())
        .map(|m| m.user_id)
        .ok_or_else(|| not_a_member(username))
}

#[cfg(feature = "ssr")]
fn not_a_member(username: &str) -> AppError {
    AppError::NotFound(format!(
        "\"{}\" is not a member of this project.",
        username.trim()
    ))
}
