//! Organization members: change role, remove (or leave). People join by invitation
//! (`api::invitations`).
//!
//! Admins manage members and admins; only owners grant, change or take the owner role. The
//! last owner can neither be demoted nor removed nor leave: every change runs under the
//! organization's lock, so two concurrent demotions of the last two owners cannot both pass.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes a member's role.
#[server(endpoint = "change_org_member_role")]
pub async fn change_org_member_role(
    org: String,
    username: String,
    role: String,
) -> Result<(), AppError> {
    use crate::domain::role::{OrgAction, OrgRole};
    use crate::server::{access, audit, ctx, db::org_members};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::org(&state.db, me.id, &org, OrgAction::ManageMembers).await?;
    let role = OrgRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    let member = member_named(&state.db, access.org.id, &username).await?;

    let mut tx = state.db.begin().await?;
    if !org_members::lock(&mut tx, access.org.id).await? {
        return Err(access::org_not_found(&org));
    }
    // Read again under the lock: roles may have changed since the check above.
    let my_role = org_members::role_of(&mut tx, access.org.id, me.id).await?;
    let Some(current) = org_members::role_of(&mut tx, access.org.id, member).await? else {
        return Err(not_a_member(&username));
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
    if current == OrgRole::Owner && org_members::owner_count(&mut tx, access.org.id).await? <= 1 {
        return Err(last_owner("role"));
    }
    org_members::set_role(&mut tx, access.org.id, member, role).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: Some(access.org.id),
            project_id: None,
            action: "organization.member_role_changed",
            target: username.trim(),
            details: serde_json::json!({
                "before": { "role": current.as_str() },
                "after": { "role": role.as_str() },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/orgs/{}", access.org.name));
    Ok(())
}

/// Removes a member; any member may remove themselves (leave). Their roles in the
/// organization's projects end with their membership.
#[server(endpoint = "remove_org_member")]
pub async fn remove_org_member(org: String, username: String) -> Result<(), AppError> {
    use crate::domain::role::{OrgAction, OrgRole};
    use crate::server::{
        access, audit, ctx,
        db::{invitations, org_members},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let leaving = username.trim() == me.username;
    let needed = if leaving {
        OrgAction::View
    } else {
        OrgAction::ManageMembers
    };
    let access = access::org(&state.db, me.id, &org, needed).await?;
    let member = member_named(&state.db, access.org.id, &username).await?;

    let mut tx = state.db.begin().await?;
    if !org_members::lock(&mut tx, access.org.id).await? {
        return Err(access::org_not_found(&org));
    }
    let my_role = org_members::role_of(&mut tx, access.org.id, me.id).await?;
    let Some(current) = org_members::role_of(&mut tx, access.org.id, member).await? else {
        return Err(not_a_member(&username));
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
        if org_members::owner_count(&mut tx, access.org.id).await? <= 1 {
            return Err(last_owner("username"));
        }
    }
    org_members::remove(&mut tx, access.org.id, &access.org.name, member).await?;
    // Their pending invitations go too, both ways: none to rejoin by, none they sent.
    invitations::delete_involving(&mut tx, access.org.id, &access.org.name, member).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: Some(access.org.id),
            project_id: None,
            action: if leaving {
                "organization.member_left"
            } else {
                "organization.member_removed"
            },
            target: username.trim(),
            details: serde_json::json!({ "before": { "role": current.as_str() } }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&if leaving {
        "/".to_owned()
    } else {
        format!("/orgs/{}", access.org.name)
    });
    Ok(())
}

/// The ID of the member called `username`, or a 404 naming them.
#[cfg(feature = "ssr")]
async fn member_named(
    db: &crate::server::db::Db,
    org: uuid::Uuid,
    username: &str,
) -> Result<uuid::Uuid, AppError> {
    crate::server::db::orgs::members(db, org)
        .await?
        .into_iter()
        .find(|m| m.username == username.trim())
        .map(|m| m.user_id)
        .ok_or_else(|| not_a_member(username))
}

#[cfg(feature = "ssr")]
fn not_a_member(username: &str) -> AppError {
    AppError::NotFound(format!(
        "\"{}\" is not a member of this organization.",
        username.trim()
    ))
}

#[cfg(feature = "ssr")]
fn last_owner(field: &str) -> AppError {
    AppError::conflict(
        field,
        "An organization needs at least one owner: make another member an owner first.",
    )
}
