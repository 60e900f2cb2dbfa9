//! KCR: where a project pushes its images, and the registry table of the caller's
//! organizations.

use crate::domain::kcr::{PushTarget, PushTargetView, RegistryRow};
use crate::error::AppError;
use crate::server::{
    cx::{Cx, ProjectCx},
    db::{orgs, projects},
};

/// Where the project pushes: its region's KCR host and, for an organization's project, the
/// organization's projects in that region that the caller can see (who can pull the
/// organization-wide path).
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn push_target(cx: &ProjectCx) -> Result<PushTargetView, AppError> {
    let p = &cx.project;
    let region = cx
        .state
        .settings
        .region(&p.region)
        .cloned()
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "The region \"{}\" of this project is no longer configured, so it has no registry.",
                p.region
            ))
        })?;
    // Only the projects the caller can see: a viewer of one project learns nothing of the
    // organization's others, and a project token sees its own project only.
    let org_projects = match (p.org_id, cx.caller.user()) {
        (Some(_), None) => vec![p.name.clone()],
        (Some(_), Some(me)) => projects::list_for_user(&cx.state.db, me.id)
            .await?
            .into_iter()
            .filter(|(q, _)| q.owner_name == p.owner_name && q.region == p.region)
            .map(|(q, _)| q.name)
            .collect(),
        (None, _) => Vec::new(),
    };
    Ok(PushTargetView {
        target: PushTarget {
            host: region.kcr_host.clone(),
            owner: p.owner_name.clone(),
            project: p.name.clone(),
            owner_is_org: p.org_id.is_some(),
            username: cx.caller.user().map(|u| u.username.clone()),
        },
        region,
        org_projects,
        my_role: cx.role,
    })
}

/// For every organization the caller belongs to and every region it allows: its registry
/// path (the console's `container-registry print`).
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn registry_table(cx: &Cx) -> Result<Vec<RegistryRow>, AppError> {
    let mut rows = Vec::new();
    for m in orgs::list_for_user(&cx.state.db, cx.me()?.id).await? {
        for region in orgs::regions(&cx.state.db, m.org.id).await? {
            if let Some(r) = cx.state.settings.region(&region) {
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
