//! KCR images: the Repositories page (any project role) and deleting an image (project admins
//! for the project's images, organization owners and admins for the shared ones). The rules
//! are in `server::rules::kcr_images`.

use leptos::prelude::*;

use crate::domain::images::RepositoriesPage;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::role::ProjectAction,
    server::{cx::Cx, http::request, rules::kcr_images},
};

/// The project's repositories and its organization's shared ones; with `repository`, a page
/// of that repository's tags (newest push first) after the cursor `after`.
#[server(endpoint = "list_repositories", input = server_fn::codec::GetUrl)]
pub async fn list_repositories(
    owner: String,
    name: String,
    repository: Option<String>,
    after: Option<String>,
) -> Result<RepositoriesPage, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::PullImages).await?;
    kcr_images::page(&cx, repository.as_deref(), after.as_deref()).await
}

/// Deletes image `digest` (and every tag on it) from `repository`, in the registry and in
/// Berth's list.
#[server(endpoint = "delete_image")]
pub async fn delete_image(
    owner: String,
    name: String,
    repository: String,
    digest: String,
) -> Result<(), AppError> {
    // A project admin (organization owners and admins are); the shared images need more,
    // which the rule checks.
    let cx = Cx::project(&owner, &name, ProjectAction::DeleteImages).await?;
    kcr_images::delete_image(&cx, &repository, &digest).await?;
    request::redirect(&format!(
        "{}/repositories?repository={}",
        cx.path(),
        form_urlencoded::byte_serialize(repository.as_bytes()).collect::<String>()
    ));
    Ok(())
}
