//! Who may do what. Every server function that touches an organization or a project asks here
//! first. No access at all reads as 404, so the existence of someone else's organization or
//! project is not revealed; a role too weak for the action reads as 403 naming the role needed.

use crate::domain::role::{OrgAction, OrgRole, ProjectAction, ProjectRole};
use crate::error::AppError;
use crate::server::db::{
    Db,
    orgs::{self, Org},
    projects::{self, Project},
};

/// An organization the caller may act on, with their role in it.
#[derive(Debug)]
pub struct OrgAccess {
    /// The organization.
    pub org: Org,
    /// The caller's role.
    pub role: OrgRole,
}

/// A project the caller may act on, with their effective role in it.
#[derive(Debug)]
pub struct ProjectAccess {
    /// The project.
    pub project: Project,
    /// The caller's effective role.
    pub role: ProjectRole,
}

/// The 404 for an organization the caller cannot see (or that does not exist).
pub fn org_not_found(name: &str) -> AppError {
    AppError::NotFound(format!("There is no organization \"{name}\" you can see."))
}

/// The 404 for a project the caller cannot see (or that does not exist).
pub fn project_not_found(owner: &str, name: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no project \"{owner}/{name}\" you can see."
    ))
}

/// The organization `name`, if `user` belongs to it and their role allows `action`.
pub async fn org(
    db: &Db,
    user: uuid::Uuid,
    name: &str,
    action: OrgAction,
) -> Result<OrgAccess, AppError> {
    let name = name.trim();
    match orgs::find_for_user(db, name, user).await? {
        Some((org, Some(role))) if role.allows(action) => Ok(OrgAccess { org, role }),
        Some((_, Some(_))) => Err(AppError::Forbidden(action.forbidden_message())),
        _ => Err(org_not_found(name)),
    }
}

/// The project `owner/name`, if `user` has a role in it that allows `action`.
pub async fn project(
    db: &Db,
    user: uuid::Uuid,
    owner: &str,
    name: &str,
    action: ProjectAction,
) -> Result<ProjectAccess, AppError> {
    let (owner, name) = (owner.trim(), name.trim());
    match projects::find_for_user(db, owner, name, user).await? {
        Some((project, Some(role))) if role.allows(action) => Ok(ProjectAccess { project, role }),
        Some((_, Some(_))) => Err(AppError::Forbidden(action.forbidden_message())),
        _ => Err(project_not_found(owner, name)),
    }
}
