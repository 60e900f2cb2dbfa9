//! Registry credentials of a project: list (viewers), add, update, delete (developers and
//! admins), and which credential a pull of an image uses. The password goes in and never
//! comes out: it is sealed before it is stored, and nothing here returns it.

use uuid::Uuid;

use crate::domain::credential::{
    CredentialChange, CredentialCursor, CredentialPage, CredentialView, MintedView, NewCredential,
    PAGE_SIZE, Resolution, field, parse_image_ref,
};
use crate::domain::credential_check::CheckStatus;
use crate::domain::expiry::{Expiry, format_date};
use crate::domain::registry::DOCKER_HUB_HOST;
use crate::domain::role::ProjectAction;
use crate::domain::when;
use crate::error::AppError;
use crate::server::{
    crypto::secrets,
    cx::ProjectCx,
    db::{
        self,
        credentials::{self, Credential},
    },
};

/// One page of the project's credentials, sorted by server, after the cursor `after`.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn list(cx: &ProjectCx, after: Option<&str>) -> Result<CredentialPage, AppError> {
    let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
        Some(cursor) => {
            Some(CredentialCursor::parse(cursor).map_err(|e| AppError::invalid("after", e))?)
        }
        None => None,
    };
    let mut rows = credentials::page(
        &cx.state.db,
        cx.project.id,
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
    Ok(CredentialPage {
        items: {
            let today = time::OffsetDateTime::now_utc().date();
            rows.into_iter().map(|row| view(row, today)).collect()
        },
        next: next.flatten(),
        can_manage: cx.may(ProjectAction::ManageCredentials),
        can_export: cx.may(ProjectAction::ExportPullSecrets),
        project: cx.header(),
    })
}

fn view(c: Credential, today: time::Date) -> CredentialView {
    let format = time::format_description::well_known::Rfc3339;
    let at = || c.checked_at.map(when::rfc3339_secs).unwrap_or_default();
    let status = match c.check_status.as_deref() {
        Some("ok") => CheckStatus::Ok { at: at() },
        Some(_) => CheckStatus::Failing {
            reason: c.check_reason.clone().unwrap_or_default(),
            at: at(),
        },
        None => CheckStatus::Untested,
    };
    let minted = (c.source == crate::server::db::credential_sources::ECR).then(|| MintedView {
        access_key_id: c.aws_access_key_id.clone().unwrap_or_default(),
        role_arn: c.aws_role_arn.clone(),
        external_id: c.aws_external_id.clone(),
        token_expires_at: c.token_expires_at.map(when::rfc3339_secs),
        token_refreshed_at: c.token_refreshed_at.map(when::rfc3339_secs),
        refresh_error: c.refresh_error.clone(),
    });
    CredentialView {
        minted,
        status,
        expiry: Expiry::on(c.expires_on.as_deref(), today),
        expires_on: c.expires_on,
        check_image: c.check_image,
        id: c.id.to_string(),
        server: c.server,
        registry_host: c.registry_host,
        username: c.username,
        email: c.email,
        added_by: c.created_by_name,
        added_at: c.created_at.format(&format).unwrap_or_default(),
        updated_by: c.updated_by_name,
        updated_at: c.updated_at.format(&format).unwrap_or_default(),
        last_exported_at: c.last_exported_at.map(when::rfc3339_secs),
        last_exported_by: c.last_exported_by,
    }
}

/// Most credentials a project may have (one per registry host: far more than any project pulls
/// from; it bounds what one project asks of the background re-check).
pub const MAX_PER_PROJECT: i64 = 100;

/// The 409 of a project at [`MAX_PER_PROJECT`] that would get `adding` more.
pub async fn check_room(tx: &mut db::Tx, project: Uuid, adding: usize) -> Result<(), AppError> {
    let have = credentials::count(tx, project).await?;
    if have + adding as i64 > MAX_PER_PROJECT {
        return Err(AppError::conflict(
            field::SERVER,
            format!(
                "This project has {have} credentials; a project may have at most {MAX_PER_PROJECT}. Delete some first."
            ),
        ));
    }
    Ok(())
}

/// Adds a credential; one per registry host (a second is a 409 naming the first).
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, registry = %new.registry_host), err)]
pub async fn add(cx: &ProjectCx, new: NewCredential) -> Result<Uuid, AppError> {
    refuse_kcr_host(cx, &new.registry_host)?;
    let id = Uuid::now_v7();
    let sealed = secrets::seal(&cx.state.key, new.password.expose(), id, cx.project.id);
    let expires_on = new.expires_on.map(format_date);
    let taken = |existing: Option<Uuid>| {
        let which = existing.map(|id| format!(" (ID {id})")).unwrap_or_default();
        AppError::conflict(
            field::SERVER,
            format!(
                "This project already has credentials for {}{which}; update those instead.",
                new.registry_host
            ),
        )
    };
    let mut tx = cx.state.db.begin().await?;
    // Looked up first: the message names the existing credential.
    if let Some(existing) =
        credentials::id_for_host(&mut tx, cx.project.id, &new.registry_host).await?
    {
        return Err(taken(Some(existing)));
    }
    check_room(&mut tx, cx.project.id, 1).await?;
    credentials::add(
        &mut tx,
        &credentials::NewCredential {
            id,
            project_id: cx.project.id,
            server: &new.server,
            registry_host: &new.registry_host,
            username: &new.username,
            email: &new.email,
            sealed: &sealed,
            by: cx.caller.user().map(|u| u.id),
            expires_on: expires_on.as_deref(),
        },
    )
    .await
    .map_err(|e| db::conflict(e, vec![(credentials::HOST_TAKEN, taken(None))]))?;
    cx.audit(
        &mut tx,
        "credential.added",
        &id.to_string(),
        serde_json::json!({
            "after": {
                "server": new.server,
                "registry_host": new.registry_host,
                "username": new.username,
                "email": new.email,
                "expires_on": expires_on,
            }
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(credential.id = %id, "credential added");
    Ok(id)
}

/// The 422 of a credential for one of Berth's own KCR hosts: KCR takes access tokens, and a
/// stored password for it would go out in pull secrets in place of the pull-only KCR token.
pub fn refuse_kcr_host(cx: &ProjectCx, registry_host: &str) -> Result<(), AppError> {
    if cx.state.settings.is_kcr_host(registry_host) {
        return Err(AppError::invalid(field::SERVER, kcr_refusal(registry_host)));
    }
    Ok(())
}

/// Why no credential is stored for KCR host `host`.
pub fn kcr_refusal(host: &str) -> String {
    format!(
        "{host} is Berth's own registry (KCR): it takes an access token as the password, not a stored credential. Make one under Account → Access tokens (or the project's Tokens, for CI); pulls in this project need no credential for it."
    )
}

/// The credential `id` of the project, or 404.
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id, credential.id = %id), err)]
pub async fn find(cx: &ProjectCx, id: Uuid) -> Result<Credential, AppError> {
    let mut tx = cx.state.db.begin().await?;
    let found = credentials::find(&mut tx, cx.project.id, id).await?;
    tx.commit().await?;
    found.ok_or_else(not_found)
}

/// Changes a credential's username and email, and its password when a new one is given.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, credential.id = %id), err)]
pub async fn update(cx: &ProjectCx, id: Uuid, change: CredentialChange) -> Result<(), AppError> {
    let sealed = (!change.password.expose().is_empty())
        .then(|| secrets::seal(&cx.state.key, change.password.expose(), id, cx.project.id));
    let mut tx = cx.state.db.begin().await?;
    let before = credentials::find(&mut tx, cx.project.id, id)
        .await?
        .ok_or_else(not_found)?;
    // One stored before KCR hosts were refused can be deleted, not kept alive.
    refuse_kcr_host(cx, &before.registry_host)?;
    if before.source == crate::server::db::credential_sources::ECR {
        return Err(AppError::conflict(
            field::PASSWORD,
            "These are Amazon ECR credentials: Berth gets their password from AWS and renews it itself, so there is no password or username to edit. To change the AWS keys or the role, give them new keys (`berth docker update-ecr-credentials`, or the `update_ecr_credential` call).",
        ));
    }
    let expires_on = change.expires_on.map(format_date);
    credentials::update(
        &mut tx,
        id,
        &credentials::Change {
            username: &change.username,
            email: &change.email,
            sealed: sealed.as_ref(),
            expires_on: expires_on.as_deref(),
            // A check of other credentials says nothing about these.
            untested: sealed.is_some() || before.username != change.username,
            by: cx.caller.user().map(|u| u.id),
        },
    )
    .await?;
    let mut changed = Vec::new();
    if before.username != change.username {
        changed.push("username");
    }
    if before.email != change.email {
        changed.push("email");
    }
    if sealed.is_some() {
        changed.push("password");
    }
    if before.expires_on != expires_on {
        changed.push("expires_on");
    }
    cx.audit(
        &mut tx,
        "credential.updated",
        &id.to_string(),
        serde_json::json!({
            "server": before.server,
            "changed": changed,
            "before": { "username": before.username, "email": before.email, "expires_on": before.expires_on },
            "after": { "username": change.username, "email": change.email, "expires_on": expires_on },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a credential.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, credential.id = %id), err)]
pub async fn delete(cx: &ProjectCx, id: Uuid) -> Result<(), AppError> {
    let mut tx = cx.state.db.begin().await?;
    let before = credentials::find(&mut tx, cx.project.id, id)
        .await?
        .ok_or_else(not_found)?;
    credentials::delete(&mut tx, id).await?;
    cx.audit(
        &mut tx,
        "credential.deleted",
        &id.to_string(),
        serde_json::json!({
            "before": { "server": before.server, "username": before.username, "email": before.email }
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Which credential a pull of `image` uses in the project: KCR for a configured KCR host, the
/// project's credential for the image's registry host, or none (anonymous).
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn resolve(cx: &ProjectCx, image: &str) -> Result<Resolution, AppError> {
    let image = parse_image_ref(image).map_err(|e| AppError::invalid("image", e))?;
    if cx.state.settings.is_kcr_host(&image.host) {
        return Ok(Resolution::Kcr { image });
    }
    let found = credentials::all(&cx.state.db, cx.project.id)
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

/// A credential ID from a form or URL: blank names none (404), anything else that is not an ID
/// is a 422 on the field.
pub fn parse_id(value: &str) -> Result<Uuid, AppError> {
    match value.trim() {
        "" => Err(not_found()),
        id => Uuid::try_parse(id)
            .map_err(|_| AppError::invalid(field::ID, "That is not a credential ID.")),
    }
}

/// The 404 of a credential this project does not have.
pub fn not_found() -> AppError {
    AppError::NotFound("This project has no credential with that ID.".into())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::domain::role::ProjectRole;
    use crate::domain::secret::PasswordInput;
    use crate::server::testing::TestDb;

    fn hub(username: &str, password: &str) -> NewCredential {
        NewCredential::parse(
            "docker_hub",
            "",
            username,
            "",
            PasswordInput::from(password.to_owned()),
            "",
        )
        .unwrap()
    }

    fn opened(
        db: &TestDb,
        sealed: &crate::server::crypto::secrets::Sealed,
        id: Uuid,
        project: Uuid,
    ) -> String {
        secrets::open(&[&db.state.key], sealed, id, project)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    #[tokio::test]
    async fn adding_seals_the_password_and_audits_without_it() {
        for db in TestDb::both().await {
            let cx = db.with_project("ann/web").await.as_admin().await;

            let id = add(&cx, hub("ann", "s3cret-token")).await.unwrap();

            let page = list(&cx, None).await.unwrap();
            assert_eq!(page.items.len(), 1, "{}", db.backend);
            assert_eq!(page.items[0].id, id.to_string());
            let (project, sealed) = credentials::sealed(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_ne!(sealed.ciphertext, b"s3cret-token");
            assert_eq!(opened(&db, &sealed, id, project), "s3cret-token");
            let details = db.audit_details("credential.added").await;
            assert_eq!(details.len(), 1);
            assert_eq!(details[0]["after"]["registry_host"], "docker.io");
            assert!(!details[0].to_string().contains("s3cret"), "{}", db.backend);
        }
    }

    #[tokio::test]
    async fn a_second_credential_for_one_host_conflicts_and_stores_nothing() {
        for db in TestDb::both().await {
            let cx = db.with_project("ann/web").await.as_admin().await;
            let first = add(&cx, hub("ann", "one")).await.unwrap();
            let other_spelling = NewCredential::parse(
                "other",
                "https://index.docker.io/v1/",
                "ann",
                "",
                "two".into(),
                "",
            )
            .unwrap();

            let err = add(&cx, other_spelling).await.unwrap_err();

            assert_eq!(err.status(), 409, "{}", db.backend);
            assert!(err.to_string().contains(&first.to_string()), "{err}");
            assert_eq!(db.count("registry_credential").await, 1);
            assert_eq!(db.count("audit_event").await, 1);
        }
    }

    #[tokio::test]
    async fn a_blank_password_keeps_the_stored_one_and_delete_audits() {
        for db in TestDb::both().await {
            let cx = db.with_project("ann/web").await.as_admin().await;
            let id = add(&cx, hub("ann", "keep-me")).await.unwrap();

            let change =
                CredentialChange::parse("docker.io", "bob", "bob@example.com", "".into(), "")
                    .unwrap();
            update(&cx, id, change).await.unwrap();

            let (project, sealed) = credentials::sealed(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(opened(&db, &sealed, id, project), "keep-me");
            assert_eq!(list(&cx, None).await.unwrap().items[0].username, "bob");
            delete(&cx, id).await.unwrap();
            assert_eq!(db.count("registry_credential").await, 0, "{}", db.backend);
            assert_eq!(db.count("audit_event").await, 3);
        }
    }

    #[tokio::test]
    async fn a_project_context_reaches_only_its_own_credentials() {
        for db in TestDb::both().await {
            let anns = db.with_project("ann/web").await.as_admin().await;
            let eves = db.with_project("eve/web").await.as_admin().await;
            let id = add(&anns, hub("ann", "x")).await.unwrap();

            let err = delete(&eves, id).await.unwrap_err();

            assert_eq!(err.status(), 404, "{}", db.backend);
            assert_eq!(db.count("registry_credential").await, 1);
        }
    }

    #[tokio::test]
    async fn only_developers_and_admins_get_a_context_that_manages_credentials() {
        for db in TestDb::both().await {
            let web = db.with_project("ann/web").await;
            let eve = db.with_user("eve").await;

            let viewer = web
                .as_member("vic", ProjectRole::Viewer, ProjectAction::ManageCredentials)
                .await
                .unwrap_err();
            let developer = web
                .as_member(
                    "dev",
                    ProjectRole::Developer,
                    ProjectAction::ManageCredentials,
                )
                .await;
            let outsider = web.cx(&eve, ProjectAction::View).await.unwrap_err();
            let nonsense = db
                .cx(&web.admin)
                .in_project("Not A Name", "web", ProjectAction::View)
                .await
                .unwrap_err();

            assert!(matches!(viewer, AppError::Forbidden(m) if m.contains("developer")));
            assert!(developer.is_ok(), "{}", db.backend);
            assert_eq!(outsider.status(), 404);
            assert_eq!(nonsense.status(), 404);
        }
    }

    #[tokio::test]
    async fn no_credential_is_stored_for_a_kcr_host_in_any_spelling() {
        for db in TestDb::both().await {
            let cx = db.with_project("ann/web").await.as_admin().await;
            for server in [
                "localhost:5000",
                "LOCALHOST:5000",
                "http://localhost:5000/v2/",
            ] {
                let new = NewCredential::parse("other", server, "ann", "", "t".into(), "").unwrap();
                let err = add(&cx, new).await.unwrap_err();
                let message = err.field(field::SERVER).unwrap_or_default();
                assert!(message.contains("Access tokens"), "{server}: {err}");
            }
            assert_eq!(db.count("registry_credential").await, 0, "{}", db.backend);
            assert_eq!(db.count("audit_event").await, 0);
        }
    }
}
