//! Projects: create, list, view, rename and describe, delete, and the caller's current project.

use leptos::prelude::*;

use crate::domain::project::{OwnerChoices, ProjectSummary, ProjectView};
use crate::error::AppError;

/// Every project the caller can see, by owner then name, with their role and the current one
/// marked.
#[server(endpoint = "list_projects", input = server_fn::codec::GetUrl)]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    use crate::server::{ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let current = projects::current(&state.db, me.id).await?;
    let list = projects::list_for_user(&state.db, me.id).await?;
    Ok(list
        .into_iter()
        .map(|(p, role)| {
            let is_current = current
                .as_ref()
                .is_some_and(|(o, n)| *o == p.owner_name && *n == p.name);
            ProjectSummary {
                region: p.region,
                owner: p.owner_name,
                owner_is_org: p.owner_kind == "organization",
                name: p.name,
                description: p.description,
                role,
                is_current,
            }
        })
        .collect())
}

/// Where the caller may create projects: their own account and every organization where they
/// are owner or admin, each with the regions it allows.
#[server(endpoint = "project_owners", input = server_fn::codec::GetUrl)]
pub async fn project_owners() -> Result<OwnerChoices, AppError> {
    use crate::domain::{project::OwnerChoice, role::OrgAction};
    use crate::server::{ctx, db::orgs};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let mut owners = vec![OwnerChoice {
        name: me.username.clone(),
        is_org: false,
        regions: state.settings.regions.clone(),
    }];
    for membership in orgs::list_for_user(&state.db, me.id).await? {
        let allowed = crate::domain::role::OrgRole::parse(&membership.role)
            .is_ok_and(|r| r.allows(OrgAction::ManageProjects));
        if !allowed {
            continue;
        }
        let regions = orgs::regions(&state.db, membership.org.id)
            .await?
            .iter()
            .filter_map(|r| state.settings.region(r).cloned())
            .collect();
        owners.push(OwnerChoice {
            name: membership.org.name,
            is_org: true,
            regions,
        });
    }
    Ok(OwnerChoices { owners })
}

/// Creates a project under the caller's account or an organization they administer.
#[server(endpoint = "create_project")]
pub async fn create_project(
    owner: String,
    name: String,
    description: String,
    region: String,
) -> Result<(), AppError> {
    use crate::domain::{
        project::{ProjectName, parse_description},
        role::OrgAction,
    };
    use crate::error::FieldErrors;
    use crate::server::{
        access, audit, ctx,
        db::{
            org_members, orgs,
            projects::{self, NewProject, SaveProjectError},
        },
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let owner = owner.trim();
    // Personal projects need nothing more; an organization's need owner or admin there.
    let org = if owner == me.username {
        None
    } else if owner.is_empty() {
        return Err(AppError::invalid("owner", "Choose an owner."));
    } else {
        Some(access::org(&state.db, me.id, owner, OrgAction::ManageProjects).await?)
    };

    let mut errors = FieldErrors::new();
    let name = ProjectName::parse(&name)
        .map_err(|e| errors.insert("name", e))
        .ok();
    let description = parse_description(&description)
        .map_err(|e| errors.insert("description", e))
        .ok();
    let allowed: Vec<String> = match &org {
        Some(org) => orgs::regions(&state.db, org.org.id).await?,
        None => state
            .settings
            .regions
            .iter()
            .map(|r| r.name.clone())
            .collect(),
    };
    let region = region.trim();
    if !allowed.iter().any(|r| r == region) {
        errors.insert(
            "region",
            if region.is_empty() {
                "Choose a region.".to_owned()
            } else {
                format!(
                    "\"{region}\" is not a region {owner} allows; choose one of: {}.",
                    allowed.join(", ")
                )
            },
        );
    }
    let (Some(name), Some(description), true) = (name, description, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };

    let mut tx = state.db.begin().await?;
    // An organization's regions may change meanwhile: re-check under its lock.
    if let Some(org) = &org {
        if !org_members::lock(&mut tx, org.org.id).await? {
            return Err(access::org_not_found(owner));
        }
        let regions = org_members::regions(&mut tx, org.org.id).await?;
        if !regions.iter().any(|r| r == region) {
            return Err(AppError::invalid(
                "region",
                format!("\"{region}\" is no longer a region {owner} allows."),
            ));
        }
    }
    let project = projects::create(
        &mut tx,
        &NewProject {
            owner_name: owner,
            org_id: org.as_ref().map(|o| o.org.id),
            name: name.as_str(),
            description: &description,
            region,
        },
    )
    .await
    .map_err(|e| match e {
        SaveProjectError::NameTaken => AppError::conflict(
            "name",
            format!("{owner} already has a project called \"{name}\"."),
        ),
        SaveProjectError::Db(e) => e.into(),
    })?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: org.as_ref().map(|o| o.org.id),
            project_id: Some(project.id),
            action: "project.created",
            target: &format!("{owner}/{name}"),
            details: serde_json::json!({
                "after": { "name": name.as_str(), "description": description, "region": region }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    // A first project becomes the current one.
    if projects::current(&state.db, me.id).await?.is_none() {
        projects::set_current(&state.db, me.id, Some(project.id)).await?;
    }
    tracing::info!(project = %format!("{owner}/{name}"), user.id = %me.id, "project created");
    ctx::redirect(&format!("/projects/{owner}/{name}"));
    Ok(())
}

/// One project with its members, for anyone with a role in it; anyone else gets 404.
#[server(endpoint = "get_project", input = server_fn::codec::GetUrl)]
pub async fn get_project(owner: String, name: String) -> Result<ProjectView, AppError> {
    use crate::domain::{
        project::ProjectMemberView,
        role::{ProjectAction, ProjectRole},
    };
    use crate::server::{access, ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(&state.db, me.id, &owner, &name, ProjectAction::View).await?;
    let p = access.project;
    let members = projects::members(&state.db, p.id)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(ProjectMemberView {
                role: ProjectRole::parse(&m.role).ok()?,
                username: m.username,
                display_name: m.display_name,
            })
        })
        .collect();
    let is_current = projects::current(&state.db, me.id)
        .await?
        .is_some_and(|(o, n)| o == p.owner_name && n == p.name);
    let invitations = if access.role.allows(ProjectAction::ManageMembers) {
        crate::api::invitations::pending(
            &state,
            crate::server::db::invitations::Target::Project(p.id),
            true,
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(ProjectView {
        region: state.settings.region(&p.region).cloned(),
        region_name: p.region,
        owner_is_org: p.owner_kind == "organization",
        owner: p.owner_name,
        name: p.name,
        description: p.description,
        created_at: p.created_at.unix_timestamp(),
        my_role: access.role,
        members,
        is_current,
        invitations,
    })
}

/// Renames a project and sets its description (project admins).
#[server(endpoint = "update_project")]
pub async fn update_project(
    owner: String,
    name: String,
    new_name: String,
    description: String,
) -> Result<(), AppError> {
    use crate::domain::{
        project::{ProjectName, parse_description},
        role::ProjectAction,
    };
    use crate::error::FieldErrors;
    use crate::server::{
        access, audit, ctx,
        db::projects::{self, SaveProjectError},
    };

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access =
        access::project(&state.db, me.id, &owner, &name, ProjectAction::Administer).await?;
    let p = access.project;
    let mut errors = FieldErrors::new();
    let new_name = ProjectName::parse(&new_name)
        .map_err(|e| errors.insert("new_name", e))
        .ok();
    let description = parse_description(&description)
        .map_err(|e| errors.insert("description", e))
        .ok();
    let (Some(new_name), Some(description)) = (new_name, description) else {
        return Err(AppError::Invalid(errors));
    };

    let mut tx = state.db.begin().await?;
    projects::update(&mut tx, p.id, new_name.as_str(), &description)
        .await
        .map_err(|e| match e {
            SaveProjectError::NameTaken => AppError::conflict(
                "new_name",
                format!(
                    "{} already has a project called \"{new_name}\".",
                    p.owner_name
                ),
            ),
            SaveProjectError::Db(e) => e.into(),
        })?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "project.updated",
            target: &format!("{}/{}", p.owner_name, new_name),
            details: serde_json::json!({
                "before": { "name": p.name, "description": p.description },
                "after": { "name": new_name.as_str(), "description": description },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!("/projects/{}/{}", p.owner_name, new_name));
    Ok(())
}

/// Deletes a project (project admins); `confirm` must repeat its name.
#[server(endpoint = "delete_project")]
pub async fn delete_project(owner: String, name: String, confirm: String) -> Result<(), AppError> {
    use crate::domain::role::ProjectAction;
    use crate::server::{access, audit, ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access =
        access::project(&state.db, me.id, &owner, &name, ProjectAction::Administer).await?;
    let p = access.project;
    if confirm.trim() != p.name {
        return Err(AppError::invalid(
            "confirm",
            format!("Type the project's name, {}, to confirm.", p.name),
        ));
    }
    let mut tx = state.db.begin().await?;
    projects::delete(&mut tx, p.id).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "project.deleted",
            target: &format!("{}/{}", p.owner_name, p.name),
            details: serde_json::json!({
                "before": { "name": p.name, "description": p.description, "region": p.region }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(project = %format!("{}/{}", p.owner_name, p.name), user.id = %me.id, "project deleted");
    ctx::redirect("/projects");
    Ok(())
}

/// Makes `project` (`OWNER/NAME`) the caller's current project (anyone who can see it),
/// remembered across sessions.
#[server(endpoint = "set_current_project")]
pub async fn set_current_project(project: String) -> Result<(), AppError> {
    use crate::domain::role::ProjectAction;
    use crate::server::{access, ctx, db::projects};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let Some((owner, name)) = project.trim().split_once('/') else {
        return Err(AppError::invalid(
            "project",
            "Choose a project as OWNER/NAME.",
        ));
    };
    let access = access::project(&state.db, me.id, owner, name, ProjectAction::View).await?;
    projects::set_current(&state.db, me.id, Some(access.project.id)).await?;
    ctx::redirect(&format!(
        "/projects/{}/{}",
        access.project.owner_name, access.project.name
    ));
    Ok(())
}
