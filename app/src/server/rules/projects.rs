//! Projects: list, the owners one may create under, create, view, rename and describe, delete,
//! and the caller's current project.

use uuid::Uuid;

use crate::domain::{
    expiry::Expiry,
    project::{
        CredentialAlert, NewProjectForm, OwnerChoice, OwnerChoices, ProjectMemberView,
        ProjectSettings, ProjectSummary, ProjectView, field,
    },
    role::{OrgAction, OrgRole, ProjectAction, ProjectRole},
};
use crate::error::AppError;
use crate::server::{
    cx::{self, Cx, OrgCx, ProjectCx},
    db::{
        self, credentials, kcr_images,
        members::{self, Target},
        org_changes, orgs,
        projects::{self, NewProject, Project},
    },
    rules::invitations,
};

/// Every project the caller can see, by owner then name, the current one marked.
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn list(cx: &Cx) -> Result<Vec<ProjectSummary>, AppError> {
    let me = cx.me()?.id;
    let current = projects::current(&cx.state.db, me).await?;
    let list = projects::list_for_user(&cx.state.db, me).await?;
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
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn owners(cx: &Cx) -> Result<OwnerChoices, AppError> {
    let settings = &cx.state.settings;
    let mut owners = vec![OwnerChoice {
        name: cx.me()?.username.clone(),
        is_org: false,
        regions: settings.regions.clone(),
    }];
    for membership in orgs::list_for_user(&cx.state.db, cx.me()?.id).await? {
        let allowed =
            OrgRole::parse(&membership.role).is_ok_and(|r| r.allows(OrgAction::ManageProjects));
        if !allowed {
            continue;
        }
        let regions = orgs::regions(&cx.state.db, membership.org.id)
            .await?
            .iter()
            .filter_map(|r| settings.region(r).cloned())
            .collect();
        owners.push(OwnerChoice {
            name: membership.org.name,
            is_org: true,
            regions,
        });
    }
    Ok(OwnerChoices { owners })
}

/// Whom a new project belongs to: the caller, or an organization they may create projects in.
pub enum Owner {
    /// The caller's own account.
    Personal(Cx),
    /// An organization, checked for `ManageProjects`.
    Org(OrgCx),
}

impl Owner {
    /// The owner named `owner` for this caller (404/403 for an organization they may not use).
    pub async fn resolve(cx: Cx, owner: &str) -> Result<Self, AppError> {
        let owner = owner.trim();
        if owner == cx.me()?.username {
            Ok(Self::Personal(cx))
        } else if owner.is_empty() {
            Err(AppError::invalid(field::OWNER, "Choose an owner."))
        } else {
            Ok(Self::Org(
                cx.in_org(owner, OrgAction::ManageProjects).await?,
            ))
        }
    }

    fn cx(&self) -> &Cx {
        match self {
            Self::Personal(cx) => cx,
            Self::Org(org) => org,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Personal(cx) => cx.me().map_or("", |u| u.username.as_str()),
            Self::Org(org) => &org.org.name,
        }
    }

    fn org_id(&self) -> Option<Uuid> {
        match self {
            Self::Personal(_) => None,
            Self::Org(org) => Some(org.org.id),
        }
    }
}

/// Creates a project in a region its owner allows; a caller's first project becomes their
/// current one.
#[tracing::instrument(skip_all, fields(owner = %owner.name(), project = %form.name), err)]
pub async fn create(owner: &Owner, form: NewProjectForm) -> Result<Project, AppError> {
    let cx = owner.cx();
    let name = owner.name();
    let allowed: Vec<String> = match owner {
        Owner::Org(org) => orgs::regions(&cx.state.db, org.org.id).await?,
        Owner::Personal(_) => cx
            .state
            .settings
            .regions
            .iter()
            .map(|r| r.name.clone())
            .collect(),
    };
    if !allowed.contains(&form.region) {
        return Err(AppError::invalid(
            field::REGION,
            format!(
                "\"{}\" is not a region {name} allows; choose one of: {}.",
                form.region,
                allowed.join(", ")
            ),
        ));
    }
    let mut tx = cx.state.db.begin().await?;
    // An organization's regions may change meanwhile: re-check under its lock.
    if let Some(org) = owner.org_id() {
        if !org_changes::lock(&mut tx, org).await? {
            return Err(cx::org_not_found(name));
        }
        if !org_changes::regions(&mut tx, org)
            .await?
            .contains(&form.region)
        {
            return Err(AppError::invalid(
                field::REGION,
                format!("\"{}\" is no longer a region {name} allows.", form.region),
            ));
        }
    }
    let project = projects::create(
        &mut tx,
        &NewProject {
            owner_name: name,
            org_id: owner.org_id(),
            name: form.name.as_str(),
            description: &form.description,
            region: &form.region,
        },
    )
    .await
    .map_err(|e| {
        let taken = format!("{name} already has a project called \"{}\".", form.name);
        db::conflict(
            e,
            vec![(projects::NAME_TAKEN, AppError::conflict(field::NAME, taken))],
        )
    })?;
    cx.audit(
        &mut tx,
        (owner.org_id(), Some(project.id)),
        "project.created",
        &format!("{name}/{}", form.name),
        serde_json::json!({
            "after": { "name": form.name.as_str(), "description": form.description, "region": form.region }
        }),
    )
    .await?;
    tx.commit().await?;
    if projects::current(&cx.state.db, cx.me()?.id)
        .await?
        .is_none()
    {
        projects::set_current(&cx.state.db, cx.me()?.id, Some(project.id)).await?;
    }
    tracing::info!("project created");
    Ok(project)
}

/// The project's credentials that expire within 14 days, have expired, or failed their last
/// check.
async fn credential_alerts(cx: &ProjectCx) -> Result<Vec<CredentialAlert>, AppError> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut alerts = Vec::new();
    for c in credentials::all(&cx.state.db, cx.project.id).await? {
        if let Some(expiry) = Expiry::on(c.expires_on.as_deref(), today).filter(|e| e.warns()) {
            alerts.push(CredentialAlert {
                server: c.server.clone(),
                problem: format!(
                    "{} ({})",
                    expiry.text(),
                    c.expires_on.clone().unwrap_or_default()
                ),
            });
        }
        if c.check_status.as_deref() == Some("failing") {
            alerts.push(CredentialAlert {
                server: c.server,
                problem: format!("failing: {}", c.check_reason.unwrap_or_default()),
            });
        }
    }
    Ok(alerts)
}

/// The project with its members, and its pending invitations for those who manage members.
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn view(cx: &ProjectCx) -> Result<ProjectView, AppError> {
    let p = &cx.project;
    let members = members::list(&cx.state.db, Target::Project(p.id))
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
    let is_current = match cx.caller.user() {
        Some(user) => projects::current(&cx.state.db, user.id)
            .await?
            .is_some_and(|(o, n)| o == p.owner_name && n == p.name),
        None => false,
    };
    let credential_alerts = if cx.may(ProjectAction::ViewCredentials) {
        credential_alerts(cx).await?
    } else {
        Vec::new()
    };
    let invitations = if cx.may(ProjectAction::ManageMembers) {
        invitations::pending(cx, invitations::Target::Project(p.id), true).await?
    } else {
        Vec::new()
    };
    Ok(ProjectView {
        region: cx.state.settings.region(&p.region).cloned(),
        region_name: p.region.clone(),
        owner_is_org: p.owner_kind == "organization",
        owner: p.owner_name.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        created_at: p.created_at.unix_timestamp(),
        my_role: cx.role,
        members,
        is_current,
        credential_alerts,
        invitations,
    })
}

/// Refuses to rename or delete a project while KCR holds images under its name: they would
/// stay in the registry under the old path, for the next project of that name to inherit.
async fn refuse_while_images(
    tx: &mut db::Tx,
    project: Uuid,
    field: &str,
    doing: &str,
) -> Result<(), AppError> {
    let tags = kcr_images::project_tags(tx, project).await?;
    if tags > 0 {
        return Err(AppError::conflict(
            field,
            format!(
                "The project has {tags} image tag(s) in KCR; delete them on its Repositories page before {doing} it (the registry keeps images under the project's name)."
            ),
        ));
    }
    Ok(())
}

/// Renames the project and sets its description; returns its path under the new name.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn update(cx: &ProjectCx, settings: ProjectSettings) -> Result<String, AppError> {
    let p = &cx.project;
    let mut tx = cx.state.db.begin().await?;
    if settings.name.as_str() != p.name {
        refuse_while_images(&mut tx, p.id, field::NEW_NAME, "renaming").await?;
    }
    projects::update(&mut tx, p.id, settings.name.as_str(), &settings.description)
        .await
        .map_err(|e| {
            let taken = format!(
                "{} already has a project called \"{}\".",
                p.owner_name, settings.name
            );
            db::conflict(
                e,
                vec![(
                    projects::NAME_TAKEN,
                    AppError::conflict(field::NEW_NAME, taken),
                )],
            )
        })?;
    cx.audit(
        &mut tx,
        "project.updated",
        &format!("{}/{}", p.owner_name, settings.name),
        serde_json::json!({
            "before": { "name": p.name, "description": p.description },
            "after": { "name": settings.name.as_str(), "description": settings.description },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "/projects/{}/{}/settings",
        p.owner_name, settings.name
    ))
}

/// Deletes the project; `confirm` must repeat its name.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn delete(cx: &ProjectCx, confirm: &str) -> Result<(), AppError> {
    let p = &cx.project;
    if confirm.trim() != p.name {
        return Err(AppError::invalid(
            field::CONFIRM,
            format!("Type the project's name, {}, to confirm.", p.name),
        ));
    }
    let mut tx = cx.state.db.begin().await?;
    refuse_while_images(&mut tx, p.id, field::CONFIRM, "deleting").await?;
    projects::delete(&mut tx, p.id).await?;
    cx.audit(
        &mut tx,
        "project.deleted",
        &format!("{}/{}", p.owner_name, p.name),
        serde_json::json!({
            "before": { "name": p.name, "description": p.description, "region": p.region }
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("project deleted");
    Ok(())
}

/// Remembers the project as the caller's current one (a preference: not audited).
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn make_current(cx: &ProjectCx) -> Result<(), AppError> {
    projects::set_current(&cx.state.db, cx.me()?.id, Some(cx.project.id)).await?;
    Ok(())
}

/// `OWNER/NAME` as typed into the project switcher.
pub fn parse_path(path: &str) -> Result<(&str, &str), AppError> {
    path.trim()
        .split_once('/')
        .ok_or_else(|| AppError::invalid(field::PROJECT, "Choose a project as OWNER/NAME."))
}
