//! Regions and organizations: list the regions, create an organization, list mine, view one.

use leptos::prelude::*;

use crate::domain::{
    org::{OrgSummary, OrgView},
    region::Region,
};
use crate::error::AppError;

/// The regions projects can live in, with their KCR hosts.
#[server(endpoint = "list_regions", input = server_fn::codec::GetUrl)]
pub async fn list_regions() -> Result<Vec<Region>, AppError> {
    use crate::server::ctx;

    let state = ctx::state()?;
    ctx::require_user().await?;
    Ok(state.settings.regions.clone())
}

/// The organizations the caller belongs to, by name.
#[server(endpoint = "list_orgs", input = server_fn::codec::GetUrl)]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, AppError> {
    use crate::domain::role::OrgRole;
    use crate::server::{ctx, db::orgs};

    let state = ctx::state()?;
    let (_, user) = ctx::require_user().await?;
    let rows = orgs::list_for_user(&state.db, user.id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            Some(OrgSummary {
                role: OrgRole::parse(&m.role).ok()?,
                name: m.org.name,
                display_name: m.org.display_name,
            })
        })
        .collect())
}

/// Creates an organization owned by the caller, allowing every configured region.
#[server(endpoint = "create_org")]
pub async fn create_org(name: String, display_name: String) -> Result<(), AppError> {
    use crate::domain::{account::DisplayName, namespace::NamespaceName};
    use crate::error::FieldErrors;
    use crate::server::{
        audit, ctx,
        db::orgs::{self, CreateOrgError},
    };

    let state = ctx::state()?;
    let (_, user) = ctx::require_user().await?;
    let mut errors = FieldErrors::new();
    let name = NamespaceName::parse(&name)
        .map_err(|e| errors.insert("name", e))
        .ok();
    let display_name = DisplayName::parse(&display_name)
        .map_err(|e| errors.insert("display_name", e))
        .ok();
    let (Some(name), Some(display_name)) = (name, display_name) else {
        return Err(AppError::Invalid(errors));
    };

    let regions: Vec<String> = state
        .settings
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let mut tx = state.db.begin().await?;
    let org = orgs::create(
        &mut tx,
        name.as_str(),
        display_name.as_str(),
        user.id,
        &regions,
    )
    .await
    .map_err(|err| match err {
        CreateOrgError::NameTaken => AppError::conflict(
            "name",
            format!("\"{name}\" is taken by a user or an organization; choose another."),
        ),
        CreateOrgError::Db(e) => e.into(),
    })?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(user.id),
            org_id: Some(org.id),
            project_id: None,
            action: "organization.created",
            target: &org.name,
            details: serde_json::json!({
                "after": { "name": org.name, "display_name": org.display_name, "regions": regions }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org = %org.name, user.id = %user.id, "organization created");
    ctx::redirect(&format!("/orgs/{}", org.name));
    Ok(())
}

/// One organization, for its members. Anyone else gets 404: its existence is not revealed.
#[server(endpoint = "get_org", input = server_fn::codec::GetUrl)]
pub async fn get_org(name: String) -> Result<OrgView, AppError> {
    use crate::domain::{org::OrgMemberView, role::OrgRole};
    use crate::server::{ctx, db::orgs};

    let state = ctx::state()?;
    let (_, user) = ctx::require_user().await?;
    let not_found =
        || AppError::NotFound(format!("There is no organization \"{name}\" you can see."));
    let Some((org, Some(my_role))) = orgs::find_for_user(&state.db, name.trim(), user.id).await?
    else {
        return Err(not_found());
    };
    let members = orgs::members(&state.db, org.id)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(OrgMemberView {
                role: OrgRole::parse(&m.role).ok()?,
                username: m.username,
                display_name: m.display_name,
            })
        })
        .collect();
    let regions = orgs::regions(&state.db, org.id)
        .await?
        .iter()
        .filter_map(|r| state.settings.region(r).cloned())
        .collect();
    let invitations = if my_role.allows(crate::domain::role::OrgAction::ManageMembers) {
        crate::api::invitations::pending(
            &state,
            crate::server::db::invitations::Target::Org(org.id),
            my_role.allows(crate::domain::role::OrgAction::ManageOwners),
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(OrgView {
        name: org.name,
        display_name: org.display_name,
        my_role,
        members,
        regions,
        invitations,
    })
}

/// Sets the regions an organization's projects may live in (owners and admins): at least one,
/// each configured, and none dropped that still has projects.
#[server(endpoint = "set_org_regions")]
pub async fn set_org_regions(org: String, regions: Vec<String>) -> Result<(), AppError> {
    use crate::domain::role::OrgAction;
    use crate::server::{access, audit, ctx, db::org_members};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::org(&state.db, me.id, &org, OrgAction::ManageProjects).await?;
    let mut wanted: Vec<String> = regions.iter().map(|r| r.trim().to_owned()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Err(AppError::invalid("regions", "Choose at least one region."));
    }
    if let Some(unknown) = wanted.iter().find(|r| state.settings.region(r).is_none()) {
        return Err(AppError::invalid(
            "regions",
            format!("\"{unknown}\" is not a configured region."),
        ));
    }

    let mut tx = state.db.begin().await?;
    if !org_members::lock(&mut tx, access.org.id).await? {
        return Err(access::org_not_found(&org));
    }
    let before = org_members::regions(&mut tx, access.org.id).await?;
    let stranded: Vec<String> = org_members::projects_by_region(&mut tx, &access.org.name)
        .await?
        .into_iter()
        .filter(|(region, _)| !wanted.contains(region))
        .map(|(region, project)| format!("{project} ({region})"))
        .collect();
    if !stranded.is_empty() {
        return Err(AppError::conflict(
            "regions",
            format!(
                "These projects live in a region you are removing: {}. Delete or keep them there first.",
                stranded.join(", ")
            ),
        ));
    }
    if before == wanted {
        return Ok(());
    }
    org_members::set_regions(&mut tx, access.org.id, &wanted).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: Some(access.org.id),
            project_id: None,
            action: "organization.regions_changed",
            target: &access.org.name,
            details: serde_json::json!({
                "before": { "regions": before },
                "after": { "regions": wanted },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/orgs/{}", access.org.name));
    Ok(())
}

/// Deletes an organization (owners): `confirm` must repeat its name, and it must have no
/// projects left.
#[server(endpoint = "delete_org")]
pub async fn delete_org(org: String, confirm: String) -> Result<(), AppError> {
    use crate::domain::role::OrgAction;
    use crate::server::{access, audit, ctx, db::org_members};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::org(&state.db, me.id, &org, OrgAction::ManageOwners).await?;
    if confirm.trim() != access.org.name {
        return Err(AppError::invalid(
            "confirm",
            format!(
                "Type the organization's name, {}, to confirm.",
                access.org.name
            ),
        ));
    }
    let mut tx = state.db.begin().await?;
    if !org_members::lock(&mut tx, access.org.id).await? {
        return Err(access::org_not_found(&org));
    }
    let projects = org_members::projects_by_region(&mut tx, &access.org.name).await?;
    if !projects.is_empty() {
        let names: Vec<&str> = projects.iter().map(|(_, p)| p.as_str()).collect();
        return Err(AppError::conflict(
            "confirm",
            format!(
                "{} still has {} project(s): {}. Delete them first.",
                access.org.name,
                names.len(),
                names.join(", ")
            ),
        ));
    }
    org_members::delete(&mut tx, access.org.id, &access.org.name).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: Some(access.org.id),
            project_id: None,
            action: "organization.deleted",
            target: &access.org.name,
            details: serde_json::json!({
                "before": { "name": access.org.name, "display_name": access.org.display_name }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org = %access.org.name, user.id = %me.id, "organization deleted");
    ctx::redirect("/");
    Ok(())
}
