//! Importing the logins of a docker `config.json`: preview (nothing stored but a sealed draft
//! for fifteen minutes), show the preview, confirm it. Developers and admins. The rules are in
//! `server::rules::credential_imports`.

use leptos::prelude::*;

use crate::domain::credential_import::{ImportOutcome, ImportPage, ImportPreview};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{credential_import::Existing, role::ProjectAction},
    server::{cx::Cx, http::request, rules::credential_imports},
};

/// Reads `docker_config` (the file's text, at most 1 MiB) and answers what importing it would
/// do. A page's post goes on to the preview page.
#[server(endpoint = "preview_credential_import")]
pub async fn preview_credential_import(
    owner: String,
    name: String,
    #[server(default)] docker_config: String,
) -> Result<ImportPreview, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let preview = credential_imports::preview(&cx, &docker_config).await?;
    request::redirect(&format!(
        "{}/credentials/import?draft={}",
        cx.path(),
        preview.draft
    ));
    Ok(preview)
}

/// The import page: its project and, with `draft`, that preview (only its maker sees it).
#[server(endpoint = "credential_import", input = server_fn::codec::GetUrl)]
pub async fn credential_import(
    owner: String,
    name: String,
    draft: Option<String>,
) -> Result<ImportPage, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let preview = match draft.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(draft) => Some(credential_imports::show(&cx, draft_id(draft)?).await?),
        None => None,
    };
    Ok(ImportPage {
        project: cx.header(),
        preview,
    })
}

/// Imports what preview `draft` lists; `existing` (`skip` or `update`) decides about registries
/// the project already has credentials for.
#[server(endpoint = "confirm_credential_import")]
pub async fn confirm_credential_import(
    owner: String,
    name: String,
    draft: String,
    #[server(default)] existing: String,
) -> Result<ImportOutcome, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let existing = Existing::parse(&existing)
        .map_err(|e| AppError::invalid(crate::domain::credential_import::field::EXISTING, e))?;
    let outcome = credential_imports::confirm(&cx, draft_id(&draft)?, existing).await?;
    request::redirect(&format!(
        "{}/credentials?imported={}",
        cx.path(),
        outcome.added.len() + outcome.updated.len()
    ));
    Ok(outcome)
}

#[cfg(feature = "ssr")]
fn draft_id(text: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::try_parse(text.trim()).map_err(|_| {
        AppError::NotFound("There is no such import preview; preview the file again.".into())
    })
}
