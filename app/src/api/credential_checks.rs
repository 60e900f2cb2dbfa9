//! Trying credentials against their registries: a stored credential (its status is kept), or
//! what the add or edit form holds before it is saved (nothing is kept). Developers and
//! admins. The rules are in `server::rules::credential_checks`.

use leptos::prelude::*;

use crate::domain::credential_check::CheckReport;
#[cfg(feature = "ssr")]
use crate::domain::credential_check::kept_key;
use crate::domain::secret::PasswordInput;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        credential::{CredentialChange, NewCredential},
        role::ProjectAction,
    },
    server::{
        cx::Cx,
        http::{check_result, request},
        rules::{
            credential_checks::{self, Typed},
            credentials,
        },
    },
};

/// Checks stored credential `id` and records its status. `image` (`REPOSITORY[:TAG]`) is tried
/// for a pull; blank tries the image of its last check, if any.
#[server(endpoint = "check_credential")]
pub async fn check_credential(
    owner: String,
    name: String,
    id: String,
    #[server(default)] image: String,
) -> Result<CheckReport, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let id = credentials::parse_id(&id)?;
    let report = credential_checks::check_stored(&cx, id, &image).await?;
    if request::is_page_post() {
        let https = cx.state.settings.is_https();
        let of = kept_key(&owner, &name, &format!("row:{id}"));
        check_result::keep(&of, &report, &[("image", &image)], https);
        request::redirect(&format!("{}/credentials?checked=1#check-result", cx.path()));
    }
    Ok(report)
}

/// Tries what the add form (no `id`) or the edit form of credential `id` holds, without storing
/// anything. On the edit form a blank password tries the stored one.
#[server(endpoint = "check_typed_credential")]
pub async fn check_typed_credential(
    owner: String,
    name: String,
    #[server(default)] id: String,
    #[server(default)] registry: String,
    #[server(default)] server: String,
    #[server(default)] username: String,
    #[server(default)] email: String,
    #[server(default)] password: PasswordInput,
    #[server(default)] expires_on: String,
    #[server(default)] image: String,
) -> Result<CheckReport, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let (of, typed) = if id.trim().is_empty() {
        let new =
            NewCredential::parse(&registry, &server, &username, &email, password, &expires_on)?;
        ("add".to_owned(), Typed::New(new))
    } else {
        let id = credentials::parse_id(&id)?;
        let host = credentials::find(&cx, id).await?.registry_host;
        let change = CredentialChange::parse(&host, &username, &email, password, &expires_on)?;
        let typed = Typed::Edit {
            id,
            username: change.username,
            password: change.password,
        };
        (format!("edit:{id}"), typed)
    };
    let report = credential_checks::check_typed(&cx, typed, &image).await?;
    if !request::is_page_post() {
        return Ok(report);
    }
    let https = cx.state.settings.is_https();
    let fields = [
        ("registry", registry.as_str()),
        ("server", &server),
        ("username", &username),
        ("email", &email),
        ("expires_on", &expires_on),
        ("image", &image),
    ];
    check_result::keep(&kept_key(&owner, &name, &of), &report, &fields, https);
    let back = match of.strip_prefix("edit:") {
        Some(id) => format!(
            "{}/credentials?edit={id}&checked=1#check-result-edit",
            cx.path()
        ),
        None => format!("{}/credentials?checked=1#check-result-add", cx.path()),
    };
    request::redirect(&back);
    Ok(report)
}
