//! Registry credentials of a project: list (viewers), add, update, delete (developers and
//! admins), and which credential a pull of an image uses. The password goes in and never
//! comes out: it is sealed before it is stored, and no function returns it.

use leptos::prelude::*;

use crate::domain::credential::{CredentialPage, Resolution};
use crate::domain::secret::PasswordInput;
use crate::error::AppError;

/// A page of the project's credentials, sorted by server.
#[server(endpoint = "list_credentials", input = server_fn::codec::GetUrl)]
pub async fn list_credentials(
    owner: String,
    name: String,
    after: Option<String>,
) -> Result<CredentialPage, AppError> {
    use crate::domain::{
        credential::{CredentialCursor, CredentialView, PAGE_SIZE},
        role::ProjectAction,
    };
    use crate::server::{access, ctx, db::credentials};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(&state.db, me.id, &owner, &name, ProjectAction::View).await?;
    let after = match after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(cursor) => {
            Some(CredentialCursor::parse(cursor).map_err(|e| AppError::invalid("after", e))?)
        }
        None => None,
    };
    let mut rows = credentials::page(
        &state.db,
        access.project.id,
        after.as_ref(),
        PAGE_SIZE as i64 + 1,
    )
    .await?;
    let next = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows.last().map(|r| {
            CredentialCursor {
                server: r.server.clone(),
                id: r.id,
            }
            .encode()
        })
    });
    let format = time::format_description::well_known::Rfc3339;
    Ok(CredentialPage {
        items: rows
            .into_iter()
            .map(|c| CredentialView {
                id: c.id.to_string(),
                server: c.server,
                registry_host: c.registry_host,
                username: c.username,
                email: c.email,
                added_by: c.created_by_name,
                added_at: c.created_at.format(&format).unwrap_or_default(),
                updated_by: c.updated_by_name,
                updated_at: c.updated_at.format(&format).unwrap_or_default(),
            })
            .collect(),
        next: next.flatten(),
        can_manage: access.role.allows(ProjectAction::ManageCredentials),
    })
}

/// Adds a credential. `registry` is the picker's preset; `server` is ignored for presets with
/// a fixed host. One credential per registry host: a second is a 409 naming the first.
#[server(endpoint = "add_credentials")]
pub async fn add_credentials(
    owner: String,
    name: String,
    registry: String,
    #[server(default)] server: String,
    #[server(default)] username: String,
    #[server(default)] email: String,
    password: PasswordInput,
) -> Result<(), AppError> {
    use crate::domain::{
        credential::{check_email, check_password, check_username},
        registry::{ECR_REFUSAL, Preset, canonical_host, check_google_key, is_ecr},
        role::ProjectAction,
    };
    use crate::error::FieldErrors;
    use crate::server::{access, audit, ctx, db::credentials, secrets};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(
        &state.db,
        me.id,
        &owner,
        &name,
        ProjectAction::ManageCredentials,
    )
    .await?;
    let p = access.project;

    let mut errors = FieldErrors::new();
    let preset = Preset::parse(&registry)
        .map_err(|e| errors.insert("registry".into(), e))
        .ok();
    let server = preset.and_then(|preset| {
        preset
            .server(&server)
            .map_err(|e| errors.insert("server".into(), e))
            .ok()
    });
    let host = server.as_deref().and_then(|s| {
        canonical_host(s)
            .map_err(|e| errors.insert("server".into(), e))
            .ok()
    });
    if let Some(h) = &host
        && is_ecr(h)
    {
        errors.insert("server".into(), ECR_REFUSAL.into());
    }
    let mut username = check_username(&username)
        .map_err(|e| errors.insert("username".into(), e))
        .ok();
    let email = check_email(&email)
        .map_err(|e| errors.insert("email".into(), e))
        .ok();
    if let Err(e) = check_password(password.expose(), true) {
        errors.insert("password".into(), e);
    } else if preset == Some(Preset::Google) {
        username = Some("_json_key".into());
        if let Err(e) = check_google_key(password.expose()) {
            errors.insert("password".into(), e);
        }
    }
    let (Some(server), Some(host), Some(username), Some(email), true) =
        (server, host, username, email, errors.is_empty())
    else {
        return Err(AppError::Invalid(errors));
    };

    let id = uuid::Uuid::now_v7();
    let sealed = secrets::seal(&state.key, password.expose(), id, p.id);
    drop(password);
    let mut tx = state.db.begin().await?;
    let added = credentials::add(
        &mut tx,
        &credentials::NewCredential {
            id,
            project_id: p.id,
            server: &server,
            registry_host: &host,
            username: &username,
            email: &email,
            sealed: &sealed,
            by: me.id,
        },
    )
    .await?;
    if let Err(existing) = added {
        let which = existing.map(|id| format!(" (ID {id})")).unwrap_or_default();
        return Err(AppError::conflict(
            "server",
            format!(
                "This project already has credentials for {host}{which}; update those instead."
            ),
        ));
    }
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "credential.added",
            target: &id.to_string(),
            details: serde_json::json!({
                "after": { "server": server, "registry_host": host, "username": username, "email": email }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(credential.id = %id, registry = %host, user.id = %me.id, "credential added");
    ctx::redirect(&format!(
        "/projects/{}/{}/credentials",
        p.owner_name, p.name
    ));
    Ok(())
}

/// Updates username, email and (when not blank) the password of a credential.
#[server(endpoint = "update_credentials")]
pub async fn update_credentials(
    owner: String,
    name: String,
    id: String,
    #[server(default)] username: String,
    #[server(default)] email: String,
    #[server(default)] password: PasswordInput,
) -> Result<(), AppError> {
    use crate::domain::{
        credential::{check_email, check_password, check_username},
        registry::{check_google_key, is_google_host},
        role::ProjectAction,
    };
    use crate::error::FieldErrors;
    use crate::server::{access, audit, ctx, db::credentials, secrets};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(
        &state.db,
        me.id,
        &owner,
        &name,
        ProjectAction::ManageCredentials,
    )
    .await?;
    let p = access.project;
    let id = parse_id(Some(&id), "id")?.ok_or_else(not_found)?;

    let mut errors = FieldErrors::new();
    let username = check_username(&username)
        .map_err(|e| errors.insert("username".into(), e))
        .ok();
    let email = check_email(&email)
        .map_err(|e| errors.insert("email".into(), e))
        .ok();
    if let Err(e) = check_password(password.expose(), false) {
        errors.insert("password".into(), e);
    }
    let mut tx = state.db.begin().await?;
    let Some(before) = credentials::find(&mut tx, p.id, id).await? else {
        return Err(not_found());
    };
    let google = is_google_host(&before.registry_host);
    if google
        && !password.expose().is_empty()
        && let Err(e) = check_google_key(password.expose())
    {
        errors.insert("password".into(), e);
    }
    let (Some(mut username), Some(email), true) = (username, email, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    if google {
        username = "_json_key".into();
    }
    let sealed = (!password.expose().is_empty())
        .then(|| secrets::seal(&state.key, password.expose(), id, p.id));
    drop(password);
    credentials::update(&mut tx, id, &username, &email, sealed.as_ref(), me.id).await?;
    let mut changed = Vec::new();
    if before.username != username {
        changed.push("username");
    }
    if before.email != email {
        changed.push("email");
    }
    if sealed.is_some() {
        changed.push("password");
    }
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "credential.updated",
            target: &id.to_string(),
            details: serde_json::json!({
                "server": before.server,
                "changed": changed,
                "before": { "username": before.username, "email": before.email },
                "after": { "username": username, "email": email },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!(
        "/projects/{}/{}/credentials",
        p.owner_name, p.name
    ));
    Ok(())
}

/// Deletes a credential.
#[server(endpoint = "delete_credentials")]
pub async fn delete_credentials(owner: String, name: String, id: String) -> Result<(), AppError> {
    use crate::domain::role::ProjectAction;
    use crate::server::{access, audit, ctx, db::credentials};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(
        &state.db,
        me.id,
        &owner,
        &name,
        ProjectAction::ManageCredentials,
    )
    .await?;
    let p = access.project;
    let id = parse_id(Some(&id), "id")?.ok_or_else(not_found)?;
    let mut tx = state.db.begin().await?;
    let Some(before) = credentials::find(&mut tx, p.id, id).await? else {
        return Err(not_found());
    };
    credentials::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &state,
        audit::Event {
            actor: Some(me.id),
            org_id: p.org_id,
            project_id: Some(p.id),
            action: "credential.deleted",
            target: &id.to_string(),
            details: serde_json::json!({
                "before": { "server": before.server, "username": before.username, "email": before.email }
            }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx::redirect(&format!(
        "/projects/{}/{}/credentials",
        p.owner_name, p.name
    ));
    Ok(())
}

/// Which credential a pull of `image` uses in this project.
#[server(endpoint = "resolve_image", input = server_fn::codec::GetUrl)]
pub async fn resolve_image(
    owner: String,
    name: String,
    image: String,
) -> Result<Resolution, AppError> {
    use crate::domain::{
        credential::parse_image_ref,
        registry::{DOCKER_HUB_HOST, canonical_host},
        role::ProjectAction,
    };
    use crate::server::{access, ctx, db::credentials};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::project(&state.db, me.id, &owner, &name, ProjectAction::View).await?;
    let image = parse_image_ref(&image).map_err(|e| AppError::invalid("image", e))?;
    let kcr = state
        .settings
        .regions
        .iter()
        .filter_map(|r| canonical_host(&r.kcr_host).ok())
        .any(|h| h == image.host);
    if kcr {
        return Ok(Resolution::Kcr { image });
    }
    let found = credentials::all(&state.db, access.project.id)
        .await?
        .into_iter()
        .find(|c| c.registry_host == image.host);
    Ok(match found {
        Some(c) => Resolution::Credential {
            image,
            id: c.id.to_string(),
            server: c.server,
        },
        None => Resolution::Anonymous {
            docker_hub_limit: image.host == DOCKER_HUB_HOST,
            image,
        },
    })
}

#[cfg(feature = "ssr")]
fn parse_id(value: Option<&str>, field: &str) -> Result<Option<uuid::Uuid>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => uuid::Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| AppError::invalid(field, "That is not a credential ID.")),
        None => Ok(None),
    }
}

#[cfg(feature = "ssr")]
fn not_found() -> AppError {
    AppError::NotFound("This project has no credential with that ID.".into())
}
