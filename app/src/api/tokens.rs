//! Access tokens: a person's own (`/account/tokens`) and a project's (its admins, at
//! `/projects/{owner}/{project}/tokens`), and `whoami` for CLIs. Making, listing and revoking
//! tokens take a browser session; `whoami` answers any caller. The rules are in
//! `server::rules::tokens`.

use leptos::prelude::*;

use crate::domain::token::{CreatedToken, Identity, TokenList};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{role::ProjectAction, token::NewToken},
    server::{
        cx::Cx,
        http::{new_token, request},
        rules::tokens,
    },
};

/// Who is calling (a session, a personal token or a project token) and its scopes.
#[server(endpoint = "whoami", input = server_fn::codec::GetUrl)]
pub async fn whoami() -> Result<Identity, AppError> {
    tokens::whoami(&Cx::any().await?).await
}

/// The signed-in person's live tokens, and the one just made (shown once).
#[server(endpoint = "list_personal_tokens", input = server_fn::codec::GetUrl)]
pub async fn list_personal_tokens() -> Result<TokenList, AppError> {
    let cx = Cx::session().await?;
    let made = new_token::peek(&cx.state, cx.me()?.id);
    let list = tokens::list_personal(&cx, made).await?;
    new_token::shown(&cx.state, &list);
    Ok(list)
}

/// Makes a personal token named `label`: `scopes` from the list in the README, `expires_in_days` 1 to 365
/// (blank: 90) or `never`. The answer holds the token: the only time it is given out.
#[server(endpoint = "create_personal_token")]
pub async fn create_personal_token(
    label: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] expires_in_days: String,
) -> Result<CreatedToken, AppError> {
    let cx = Cx::session().await?;
    let new = NewToken::parse(&label, &scopes, &expires_in_days)?;
    let created = tokens::create_personal(&cx, new).await?;
    new_token::keep(&cx.state, cx.me()?.id, &created);
    request::redirect("/account/tokens");
    Ok(created)
}

/// Revokes one of the signed-in person's tokens.
#[server(endpoint = "revoke_personal_token")]
pub async fn revoke_personal_token(id: String) -> Result<(), AppError> {
    tokens::revoke_personal(&Cx::session().await?, &id).await?;
    request::redirect("/account/tokens");
    Ok(())
}

/// Revokes the token this request is made with (`berth logout`). Only a token can call this,
/// and only on itself: revoking is always safe to allow.
#[server(endpoint = "revoke_this_token")]
pub async fn revoke_this_token() -> Result<(), AppError> {
    tokens::revoke_own(&Cx::any().await?).await
}

/// The project's live tokens (admins), and the one just made (shown once).
#[server(endpoint = "list_project_tokens", input = server_fn::codec::GetUrl)]
pub async fn list_project_tokens(owner: String, name: String) -> Result<TokenList, AppError> {
    let cx = Cx::session()
        .await?
        .in_project(&owner, &name, ProjectAction::Administer)
        .await?;
    let made = new_token::peek(&cx.state, cx.me()?.id);
    let list = tokens::list_for_project(&cx, made).await?;
    new_token::shown(&cx.state, &list);
    Ok(list)
}

/// Makes a project token (admins); the answer holds the token, once.
#[server(endpoint = "create_project_token")]
pub async fn create_project_token(
    owner: String,
    name: String,
    label: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] expires_in_days: String,
) -> Result<CreatedToken, AppError> {
    let cx = Cx::session()
        .await?
        .in_project(&owner, &name, ProjectAction::Administer)
        .await?;
    let new = NewToken::parse(&label, &scopes, &expires_in_days)?;
    let created = tokens::create_for_project(&cx, new).await?;
    new_token::keep(&cx.state, cx.me()?.id, &created);
    request::redirect(&format!("{}/tokens", cx.path()));
    Ok(created)
}

/// Revokes one of the project's tokens (admins).
#[server(endpoint = "revoke_project_token")]
pub async fn revoke_project_token(owner: String, name: String, id: String) -> Result<(), AppError> {
    let cx = Cx::session()
        .await?
        .in_project(&owner, &name, ProjectAction::Administer)
        .await?;
    tokens::revoke_for_project(&cx, &id).await?;
    request::redirect(&format!("{}/tokens", cx.path()));
    Ok(())
}
