//! Pull secrets: a project's registry credentials, passwords included, with a pull-only KCR
//! entry, as a `.dockerconfigjson` or a Kubernetes `Secret` (the rules are in
//! `server::rules::pull_secrets`). The browser's download button posts to
//! `server::http::pull_secret_download`, which runs the same rule.

use leptos::prelude::*;

use crate::domain::pull_secret::{ExportPreview, PullSecret, RegistryLogin};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{pull_secret::ExportRequest, role::ProjectAction},
    server::{cx::Cx, rules::pull_secrets},
};

/// Exports the project's pull secret: admins, or project tokens with `pull-secrets:export`.
/// `format` is `dockerconfigjson` (default) or `k8s`; `kcr_ttl` the life of the KCR entry
/// (`30m`, `1h` (default), `7d`); `secret_name` the Kubernetes name.
#[server(endpoint = "export_pull_secret")]
pub async fn export_pull_secret(
    owner: String,
    name: String,
    #[server(default)] format: String,
    #[server(default)] kcr_ttl: String,
    #[server(default)] secret_name: String,
) -> Result<PullSecret, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ExportPullSecrets).await?;
    let request = ExportRequest::parse(&format, &kcr_ttl, &secret_name)?;
    pull_secrets::export(&cx, request).await
}

/// The login of one registry of the project, for `docker-credential-berth get`: the stored
/// credential for `server`'s host (an Amazon ECR one's current token). Who may: as for
/// [`export_pull_secret`]; each one is audited.
#[server(endpoint = "registry_login")]
pub async fn get_registry_login(
    owner: String,
    name: String,
    server: String,
) -> Result<RegistryLogin, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ExportPullSecrets).await?;
    pull_secrets::login(&cx, &server).await
}

/// What an export would hold, for the download page (admins).
#[server(endpoint = "pull_secret_preview", input = server_fn::codec::GetUrl)]
pub async fn pull_secret_preview(owner: String, name: String) -> Result<ExportPreview, AppError> {
    pull_secrets::preview(&Cx::project(&owner, &name, ProjectAction::ExportPullSecrets).await?)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pull_secret::field;

    /// The download form names its inputs with `field::*`; the CLI and the download route
    /// send these arguments.
    #[test]
    fn the_form_fields_are_the_function_arguments() {
        let args = serde_json::to_value(ExportPullSecret {
            owner: String::new(),
            name: String::new(),
            format: String::new(),
            kcr_ttl: String::new(),
            secret_name: String::new(),
        })
        .unwrap();
        for key in [field::FORMAT, field::KCR_TTL, field::SECRET_NAME] {
            assert!(
                args.get(key).is_some(),
                "export_pull_secret has no argument {key}"
            );
        }
    }
}
