//! Registry credentials of a project: list (viewers), add, update, delete (developers and
//! admins), and which credential a pull of an image uses. The rules are in
//! `server::rules::credentials`; the password goes in and never comes out.

use leptos::prelude::*;

use crate::domain::credential::{CredentialPage, Resolution};
use crate::domain::secret::PasswordInput;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        credential::{CredentialChange, NewCredential},
        ecr::{EcrChange, NewEcrCredential},
        role::ProjectAction,
    },
    server::{
        cx::Cx,
        http::request,
        rules::{credential_sources, credentials},
    },
};

/// A page of the project's credentials, sorted by server.
#[server(endpoint = "list_credentials", input = server_fn::codec::GetUrl)]
pub async fn list_credentials(
    owner: String,
    name: String,
    after: Option<String>,
) -> Result<CredentialPage, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ViewCredentials).await?;
    credentials::list(&cx, after.as_deref()).await
}

/// Adds a credential. `registry` is the picker's preset; `server` is ignored for presets with
/// a fixed host. One credential per registry host: a second is a 409 naming the first.
/// Answers the new credential's ID.
#[server(endpoint = "add_credential")]
pub async fn add_credential(
    owner: String,
    name: String,
    registry: String,
    #[server(default)] server: String,
    #[server(default)] username: String,
    #[server(default)] email: String,
    password: PasswordInput,
    #[server(default)] expires_on: String,
) -> Result<String, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let new = NewCredential::parse(&registry, &server, &username, &email, password, &expires_on)?;
    let id = credentials::add(&cx, new).await?;
    request::redirect(&format!("{}/credentials", cx.path()));
    Ok(id.to_string())
}

/// Adds an Amazon ECR credential: AWS keys (and optionally a role to assume with them) from
/// which Berth mints the registry's 12-hour password and keeps it fresh. The first token is
/// minted before anything is stored, so keys AWS refuses are an error on their field, with
/// AWS's code. Answers the new credential's ID.
#[server(endpoint = "add_ecr_credential")]
pub async fn add_ecr_credential(
    owner: String,
    name: String,
    registry_host: String,
    aws_access_key_id: String,
    aws_secret_access_key: PasswordInput,
    #[server(default)] aws_session_token: PasswordInput,
    #[server(default)] aws_role_arn: String,
    #[server(default)] aws_external_id: String,
) -> Result<String, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let new = NewEcrCredential::parse(
        &registry_host,
        &aws_access_key_id,
        aws_secret_access_key,
        aws_session_token,
        &aws_role_arn,
        &aws_external_id,
    )?;
    let id = credential_sources::add_new(&cx, new).await?;
    request::redirect(&format!("{}/credentials", cx.path()));
    Ok(id.to_string())
}

/// Gives an Amazon ECR credential new AWS keys, or another role to assume (its registry
/// stays). A blank secret keeps the stored secret (and session token), for the same key ID
/// only. A token is minted with the new keys first: keys AWS refuses are an error on their
/// field, with AWS's code, and nothing changes.
#[server(endpoint = "update_ecr_credential")]
pub async fn update_ecr_credential(
    owner: String,
    name: String,
    id: String,
    aws_access_key_id: String,
    #[server(default)] aws_secret_access_key: PasswordInput,
    #[server(default)] aws_session_token: PasswordInput,
    #[server(default)] aws_role_arn: String,
    #[server(default)] aws_external_id: String,
) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let id = credentials::parse_id(&id)?;
    let change = EcrChange::parse(
        &aws_access_key_id,
        aws_secret_access_key,
        aws_session_token,
        &aws_role_arn,
        &aws_external_id,
    )?;
    credential_sources::update(&cx, id, change).await?;
    request::redirect(&format!("{}/credentials", cx.path()));
    Ok(())
}

/// Updates username, email, expiry date (`YYYY-MM-DD`; blank for none) and, when not blank,
/// the password of a credential. Like the username and email, the date is replaced by what is
/// sent: a client that means to keep it sends it back.
#[server(endpoint = "update_credential")]
pub async fn update_credential(
    owner: String,
    name: String,
    id: String,
    #[server(default)] username: String,
    #[server(default)] email: String,
    #[server(default)] password: PasswordInput,
    #[server(default)] expires_on: String,
) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    let id = credentials::parse_id(&id)?;
    let host = credentials::find(&cx, id).await?.registry_host;
    let change = CredentialChange::parse(&host, &username, &email, password, &expires_on)?;
    credentials::update(&cx, id, change).await?;
    request::redirect(&format!("{}/credentials", cx.path()));
    Ok(())
}

/// Deletes a credential.
#[server(endpoint = "delete_credential")]
pub async fn delete_credential(owner: String, name: String, id: String) -> Result<(), AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ManageCredentials).await?;
    credentials::delete(&cx, credentials::parse_id(&id)?).await?;
    request::redirect(&format!("{}/credentials", cx.path()));
    Ok(())
}

/// Which credential a pull of `image` uses in this project.
#[server(endpoint = "resolve_image", input = server_fn::codec::GetUrl)]
pub async fn resolve_image(
    owner: String,
    name: String,
    image: String,
) -> Result<Resolution, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::ViewCredentials).await?;
    credentials::resolve(&cx, &image).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credential::field;

    /// The page names its inputs with `field::*`; the server reads them as these arguments.
    /// Renaming either side fails here (or stops compiling).
    #[test]
    fn the_form_fields_are_the_function_arguments() {
        let add = serde_json::to_value(AddCredential {
            owner: String::new(),
            name: String::new(),
            registry: String::new(),
            server: String::new(),
            username: String::new(),
            email: String::new(),
            password: PasswordInput::default(),
            expires_on: String::new(),
        })
        .unwrap();
        let update = serde_json::to_value(UpdateCredential {
            owner: String::new(),
            name: String::new(),
            id: String::new(),
            username: String::new(),
            email: String::new(),
            password: PasswordInput::default(),
            expires_on: String::new(),
        })
        .unwrap();
        for key in [
            field::REGISTRY,
            field::SERVER,
            field::USERNAME,
            field::EMAIL,
            field::PASSWORD,
            field::EXPIRES_ON,
        ] {
            assert!(
                add.get(key).is_some(),
                "add_credential has no argument {key}"
            );
        }
        for key in [
            field::ID,
            field::USERNAME,
            field::EMAIL,
            field::PASSWORD,
            field::EXPIRES_ON,
        ] {
            assert!(
                update.get(key).is_some(),
                "update_credential has no argument {key}"
            );
        }
    }
}
