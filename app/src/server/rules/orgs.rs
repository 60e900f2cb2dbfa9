//! Regions and organizations: the configured regions, my organizations, create, view, the
//! regions an organization allows, its display name, delete.

use crate::domain::{
    account::DisplayName,
    namespace::NamespaceName,
    org::{NewOrgForm, OrgMemberView, OrgSummary, OrgView, field},
    region::Region,
    role::{OrgAction, OrgRole},
};
use crate::error::AppError;
use crate::server::{
    cx::{Cx, OrgCx},
    db::{
        self,
        members::{self, Target},
        org_changes, orgs,
    },
    rules::invitations,
};

/// The regions projects can live in, with their KCR hosts.
pub fn regions(cx: &Cx) -> Vec<Region> {
    cx.state.settings.regions.clone()
}

/// The organizations the caller belongs to, by name.
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn list(cx: &Cx) -> Result<Vec<OrgSummary>, AppError> {
    Ok(orgs::list_for_user(&cx.state.db, cx.me()?.id)
        .await?
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

/// Creates an organization owned by the caller, allowing every configured region; returns
/// its page.
#[tracing::instrument(skip_all, fields(org = %form.name), err)]
pub async fn create(cx: &Cx, form: NewOrgForm) -> Result<String, AppError> {
    let regions: Vec<String> = cx
        .state
        .settings
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let mut tx = cx.state.db.begin().await?;
    let org = orgs::create(
        &mut tx,
        form.name.as_str(),
        form.display_name.as_str(),
        cx.me()?.id,
        &regions,
    )
    .await
    .map_err(|e| {
        let taken = format!(
            "\"{}\" is taken by a user or an organization; choose another.",
            form.name
        );
        db::conflict(
            e,
            vec![(orgs::NAME_TAKEN, AppError::conflict(field::NAME, taken))],
        )
    })?;
    cx.audit(
        &mut tx,
        (Some(org.id), None),
        "organization.created",
        &org.name,
        serde_json::json!({
            "after": { "name": org.name, "display_name": org.display_name, "regions": regions }
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("organization created");
    Ok(format!("/orgs/{}", org.name))
}

/// The organization with its members and regions, and its pending invitations for those who
/// manage members.
#[tracing::instrument(level = "debug", skip_all, fields(org = %cx.org.name), err)]
pub async fn view(cx: &OrgCx) -> Result<OrgView, AppError> {
    let members = members::list(&cx.state.db, Target::Org(cx.org.id))
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
    let regions = orgs::regions(&cx.state.db, cx.org.id)
        .await?
        .iter()
        .filter_map(|r| cx.state.settings.region(r).cloned())
        .collect();
    let invitations = if cx.may(OrgAction::ManageMembers) {
        let may_invite_owners = cx.may(OrgAction::ManageOwners);
        invitations::pending(cx, invitations::Target::Org(cx.org.id), may_invite_owners).await?
    } else {
        Vec::new()
    };
    Ok(OrgView {
        name: cx.org.name.clone(),
        display_name: cx.org.display_name.clone(),
        my_role: cx.role,
        members,
        regions,
        invitations,
    })
}

/// Renames the organization for people (its name stays): a blank display name means the name.
#[tracing::instrument(skip_all, fields(org = %cx.org.name), err)]
pub async fn rename(cx: &OrgCx, display_name: &str) -> Result<(), AppError> {
    let name = NamespaceName::parse(&cx.org.name).ok();
    let display_name = DisplayName::parse_or(display_name, name.as_ref())
        .unwrap_or_else(|| DisplayName::parse(display_name))
        .map_err(|e| AppError::invalid(field::DISPLAY_NAME, e))?;
    if display_name.as_str() == cx.org.display_name {
        return Ok(());
    }
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    orgs::set_display_name(&mut tx, cx.org.id, display_name.as_str()).await?;
    cx.audit(
        &mut tx,
        "organization.renamed",
        &cx.org.name,
        serde_json::json!({
            "before": { "display_name": cx.org.display_name },
            "after": { "display_name": display_name.as_str() },
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("organization renamed");
    Ok(())
}

/// Sets the regions the organization's projects may live in: at least one, each configured,
/// and none dropped that still has projects.
#[tracing::instrument(skip_all, fields(org = %cx.org.name), err)]
pub async fn set_regions(cx: &OrgCx, regions: &[String]) -> Result<(), AppError> {
    let mut wanted: Vec<String> = regions.iter().map(|r| r.trim().to_owned()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Err(AppError::invalid(
            field::REGIONS,
            "Choose at least one region.",
        ));
    }
    if let Some(unknown) = wanted
        .iter()
        .find(|r| cx.state.settings.region(r).is_none())
    {
        return Err(AppError::invalid(
            field::REGIONS,
            format!("\"{unknown}\" is not a configured region."),
        ));
    }
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    let before = org_changes::regions(&mut tx, cx.org.id).await?;
    let stranded: Vec<String> = org_changes::projects_by_region(&mut tx, &cx.org.name)
        .await?
        .into_iter()
        .filter(|(region, _)| !wanted.contains(region))
        .map(|(region, project)| format!("{project} ({region})"))
        .collect();
    if !stranded.is_empty() {
        return Err(AppError::conflict(
            field::REGIONS,
            format!(
                "These projects live in a region you are removing: {}. Delete or keep them there first.",
                stranded.join(", ")
            ),
        ));
    }
    if before == wanted {
        return Ok(());
    }
    org_changes::set_regions(&mut tx, cx.org.id, &wanted).await?;
    cx.audit(
        &mut tx,
        "organization.regions_changed",
        &cx.org.name,
        serde_json::json!({
            "before": { "regions": before },
            "after": { "regions": wanted },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the organization (owners): `confirm` must repeat its name, and it must have no
/// projects left.
#[tracing::instrument(skip_all, fields(org = %cx.org.name), err)]
pub async fn delete(cx: &OrgCx, confirm: &str) -> Result<(), AppError> {
    let name = &cx.org.name;
    if confirm.trim() != name {
        return Err(AppError::invalid(
            field::CONFIRM,
            format!("Type the organization's name, {name}, to confirm."),
        ));
    }
    let mut tx = cx.state.db.begin().await?;
    cx.lock(&mut tx).await?;
    let projects = org_changes::projects_by_region(&mut tx, name).await?;
    if !projects.is_empty() {
        let names: Vec<&str> = projects.iter().map(|(_, p)| p.as_str()).collect();
        return Err(AppError::conflict(
            field::CONFIRM,
            format!(
                "{name} still has {} project(s): {}. Delete them first.",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    org_changes::delete(&mut tx, cx.org.id, name).await?;
    cx.audit(
        &mut tx,
        "organization.deleted",
        name,
        serde_json::json!({
            "before": { "name": name, "display_name": cx.org.display_name }
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("organization deleted");
    Ok(())
}
