//! Projects: create, list, view, rename and describe, delete, and the caller's current project.

use leptos::prelude::*;

use crate::domain::project::{OwnerChoices, ProjectSummary, ProjectView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        project::{NewProjectForm, ProjectSettings},
        role::ProjectAction,
        token::Scope,
    },
    server::{cx::Cx, http::request, rules::projects},
};

/// Every project the caller can see, by owner then name, with their role and the current one
/// marked.
#[server(endpoint = "list_projects", input = server_fn::codec::GetUrl)]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    projects::list(&Cx::signed_in(Scope::ProjectsRead).await?).await
}

/// Where the caller may create projects: their own account and every organization where they
/// are owner or admin, each with the regions it allows.
#[server(endpoint = "project_owners", input = server_fn::codec::GetUrl)]
pub async fn project_owners() -> Result<OwnerChoices, AppError> {
    projects::owners(&Cx::signed_in(Scope::ProjectsRead).await?).await
}

/// Creates a project under the caller's account or an organization they administer.
#[server(endpoint = "create_project")]
pub async fn create_project(
    owner: String,
    name: String,
    description: String,
    region: String,
) -> Result<(), AppError> {
    let owner = projects::Owner::resolve(Cx::signed_in(Scope::All).await?, &owner).await?;
    let form = NewProjectForm::parse(&name, &description, &region)?;
    let project = projects::create(&owner, form).await?;
    request::redirect(&format!(
        "/projects/{}/{}",
        project.owner_name, project.name
    ));
    Ok(())
}

/// One project with its members, for anyone with a role in it; anyone else gets 404.
#[server(endpoint = "get_project", input = server_fn::codec::GetUrl)]
pub async fn get_project(owner: String, name: String) -> Result<ProjectView, AppError> {
    projects::view(&Cx::project(&owner, &name, ProjectAction::View).await?).await
}

/// Renames a project and sets its description (project admins).
#[server(endpoint = "update_project")]
pub async fn update_project(
    owner: String,
    name: String,
    new_name: String,
    description: String,
) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::Administer).await?;
    let settings = ProjectSettings::parse(&new_name, &description)?;
    request::redirect(&projects::update(&cx, settings).await?);
    Ok(())
}

/// Deletes a project (project admins); `confirm` must repeat its name.
#[server(endpoint = "delete_project")]
pub async fn delete_project(owner: String, name: String, confirm: String) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::Administer).await?;
    projects::delete(&cx, &confirm).await?;
    request::redirect("/projects");
    Ok(())
}

/// Makes `project` (`OWNER/NAME`) the caller's current project (anyone who can see it),
/// remembered across sessions.
#[server(endpoint = "set_current_project")]
pub async fn set_current_project(project: String) -> Result<(), AppError> {
    let (owner, name) = projects::parse_path(&project)?;
    let cx = Cx::session()
        .await?
        .in_project(owner, name, ProjectAction::View)
        .await?;
    projects::make_current(&cx).await?;
    request::redirect(&cx.path());
    Ok(())
}
