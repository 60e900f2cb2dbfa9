//! KCR: where a project pushes its images, and the registry table of my organizations.

use leptos::prelude::*;

use crate::domain::kcr::{PushTargetView, RegistryRow};
use crate::error::AppError;

/// Where `owner/name` pushes: its region's KCR host and, for an organization's project, the
/// organization's projects in that region that the caller can see (who can pull the
/// organization-wide path).
#[server(endpoint = "push_target", input = server_fn::codec::GetUrl)]
pub async fn push_target(owner: String, name: String) -> Result<PushTargetView, AppError> {
    use crate::domain::{kcr::PushTarget, role::ProjectAction};
    use crate::server::{access, ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let p = access::project(&state.db, me.id, &owner, &name, ProjectAction::View)
        .await?
        .project;
    let region = state.settings.region(&p.region).cloned().ok_or_else(|| {
        AppError::NotFound(format!(
            "The region \"{}\" of this project is no longer configured, so it has no registry.",
            p.region
        ))
    })?;
    // Only the projects the caller can see: a viewer of one project learns nothing of the
    // organization's others.
    let org_projects = match p.org_id {
        Some(_) => projects::list_for_user(&state.db, me.id)
            .await?
            .into_iter()
            .filter(|(q, _)| q.owner_name == p.owner_name && q.region == p.region)
            .map(|(q, _)| q.name)
            .collect(),
        None => Vec::new(),
    };
    Ok(PushTargetView {
        target: PushTarget {
            host: region.kcr_host.clone(),
            owner: p.owner_name,
            project: p.name,
            owner_is_org: p.org_id.is_some(),
        },
        region,
        org_projects,
    })
}

/// For every organization I belong to and every region it allows: its registry path (the
/// console's `container-registry print`).
#[server(endpoint = "registry_table", input = server_fn::codec::GetUrl)]
pub async fn registry_table() -> Result<Vec<RegistryRow>, AppError> {
    use crate::server::{ctx, db::orgs};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let mut rows = Vec::new();
    for m in orgs::list_for_user(&state.db, me.id).await? {
        for region in orgs::regions(&state.db, m.org.id).await? {
            if let Some(r) = state.settings.region(&region) {
                rows.push(RegistryRow {
                    region: r.name.clone(),
                    organization: m.org.name.clone(),
                    organization_id: m.org.id.to_string(),
                    registry: format!("{}/{}", r.kcr_host, m.org.name),
                });
            }
        }
    }
    rows.sort_by(|a, b| (&a.region, &a.organization).cmp(&(&b.region, &b.organization)));
    Ok(rows)
}
