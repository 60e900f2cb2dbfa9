//! Importing a docker config.json: a preview first (each entry's fate, nothing stored but the
//! sealed draft, which only its maker can see or confirm for fifteen minutes), then the
//! confirmation, which adds or updates every importable login in one transaction with one
//! audit entry per credential. Who may: whoever may manage the project's credentials.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    credential_import::{
        DRAFT_SECS, Existing, ImportAction, ImportOutcome, ImportPreview, ImportRow, field,
    },
    when,
};
use crate::error::AppError;
use crate::server::{
    auth::throttle,
    crypto::secrets,
    cx::ProjectCx,
    db::{credential_imports, credentials},
    outbound::docker_config::{self, Kind, Own},
};

/// Previews per project in ten minutes.
pub const PREVIEWS_PER_WINDOW: i64 = 30;

/// An entry as the sealed draft keeps it.
#[derive(Serialize, Deserialize)]
struct DraftEntry {
    entry: String,
    server: String,
    registry_host: String,
    username: String,
    email: String,
    /// Empty when not importable.
    password: String,
    /// Why not, when not importable.
    reason: Option<String>,
}

fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Who made a draft: only they may see and confirm it.
fn maker(cx: &ProjectCx) -> String {
    cx.caller.to_string()
}

fn expired() -> AppError {
    AppError::NotFound(
        "This import preview has expired or was confirmed already; preview the file again.".into(),
    )
}

/// Reads `text` (a docker config.json), stores it sealed as a draft and answers the preview.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn preview(cx: &ProjectCx, text: &str) -> Result<ImportPreview, AppError> {
    let own: Vec<String> = cx.state.settings.kcr_hosts().collect();
    let entries =
        docker_config::parse(text, &Own(&own)).map_err(|e| AppError::invalid(field::CONFIG, e))?;
    let key = format!("credential-import:{}", cx.project.id);
    throttle::count(&cx.state.db, &key, PREVIEWS_PER_WINDOW, 600).await?;
    let draft: Vec<DraftEntry> = entries
        .into_iter()
        .map(|e| {
            let (email, password, reason) = match e.kind {
                Kind::Login { email, password } => (email, password.expose().to_owned(), None),
                Kind::NotImportable(reason) => (String::new(), String::new(), Some(reason)),
            };
            DraftEntry {
                entry: e.entry,
                server: e.server,
                registry_host: e.registry_host,
                username: e.username,
                email,
                password,
                reason,
            }
        })
        .collect();
    let id = Uuid::now_v7();
    let json = secrecy::SecretString::from(serde_json::to_string(&draft).map_err(|e| {
        tracing::error!(error = %e, "serialising an import draft failed");
        AppError::Internal
    })?);
    let sealed = secrets::seal(&cx.state.key, json.expose_secret(), id, cx.project.id);
    let expires_at = now_secs() + DRAFT_SECS;
    credential_imports::insert(
        &cx.state.db,
        (id, cx.project.id),
        &maker(cx),
        &sealed,
        expires_at,
    )
    .await?;
    preview_of(cx, id, &draft, expires_at).await
}

/// The preview of draft `id` (made by this caller).
pub async fn show(cx: &ProjectCx, id: Uuid) -> Result<ImportPreview, AppError> {
    let (draft, expires_at) = open(cx, id).await?;
    preview_of(cx, id, &draft, expires_at).await
}

async fn open(cx: &ProjectCx, id: Uuid) -> Result<(Vec<DraftEntry>, i64), AppError> {
    let (sealed, expires_at) =
        credential_imports::find(&cx.state.db, (id, cx.project.id), &maker(cx), now_secs())
            .await?
            .ok_or_else(expired)?;
    let json = secrets::open(&[&cx.state.key], &sealed, id, cx.project.id).map_err(|err| {
        tracing::warn!(error = ?err, "an import draft does not open (a key rotation?)");
        expired()
    })?;
    let draft = serde_json::from_str(json.expose_secret()).map_err(|_| expired())?;
    Ok((draft, expires_at))
}

async fn preview_of(
    cx: &ProjectCx,
    id: Uuid,
    draft: &[DraftEntry],
    expires_at: i64,
) -> Result<ImportPreview, AppError> {
    let present = credentials::all(&cx.state.db, cx.project.id).await?;
    let rows = draft
        .iter()
        .map(|e| {
            let action = match &e.reason {
                Some(reason) => ImportAction::NotImportable {
                    reason: reason.clone(),
                },
                None => match present.iter().find(|c| c.registry_host == e.registry_host) {
                    Some(c) => ImportAction::Present {
                        id: c.id.to_string(),
                    },
                    None => ImportAction::Add,
                },
            };
            ImportRow {
                entry: e.entry.clone(),
                server: e.server.clone(),
                registry_host: e.registry_host.clone(),
                username: e.username.clone(),
                action,
            }
        })
        .collect();
    Ok(ImportPreview {
        draft: id.to_string(),
        rows,
        expires_at: when::rfc3339_secs(expires_at),
    })
}

/// Adds (and, when `existing` says so, updates) every importable login of draft `id`.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, draft = %id), err)]
pub async fn confirm(
    cx: &ProjectCx,
    id: Uuid,
    existing: Existing,
) -> Result<ImportOutcome, AppError> {
    let (draft, _) = open(cx, id).await?;
    let by = cx.caller.user().map(|u| u.id);
    let mut outcome = ImportOutcome {
        added: Vec::new(),
        updated: Vec::new(),
        skipped: Vec::new(),
    };
    let mut tx = cx.state.db.begin().await?;
    if !credential_imports::take(&mut tx, id).await? {
        return Err(expired());
    }
    let mut new = 0;
    for e in draft.iter().filter(|e| e.reason.is_none()) {
        // The preview marked KCR hosts; this holds if the regions changed since.
        crate::server::rules::credentials::refuse_kcr_host(cx, &e.registry_host)?;
        if credentials::id_for_host(&mut tx, cx.project.id, &e.registry_host)
            .await?
            .is_none()
        {
            new += 1;
        }
    }
    crate::server::rules::credentials::check_room(&mut tx, cx.project.id, new).await?;
    for e in draft.iter().filter(|e| e.reason.is_none()) {
        match credentials::id_for_host(&mut tx, cx.project.id, &e.registry_host).await? {
            None => {
                let credential = Uuid::now_v7();
                let sealed = secrets::seal(&cx.state.key, &e.password, credential, cx.project.id);
                credentials::add(
                    &mut tx,
                    &credentials::NewCredential {
                        id: credential,
                        project_id: cx.project.id,
                        server: &e.server,
                        registry_host: &e.registry_host,
                        username: &e.username,
                        email: &e.email,
                        sealed: &sealed,
                        by,
                        expires_on: None,
                    },
                )
                .await?;
                let details = serde_json::json!({
                    "imported": true,
                    "after": { "server": e.server, "registry_host": e.registry_host, "username": e.username, "email": e.email },
                });
                cx.audit(
                    &mut tx,
                    "credential.added",
                    &credential.to_string(),
                    details,
                )
                .await?;
                outcome.added.push(e.server.clone());
            }
            Some(present) if existing == Existing::Update => {
                let before = credentials::find(&mut tx, cx.project.id, present)
                    .await?
                    .ok_or(AppError::Internal)?;
                let sealed = secrets::seal(&cx.state.key, &e.password, present, cx.project.id);
                credentials::update(
                    &mut tx,
                    present,
                    &credentials::Change {
                        username: &e.username,
                        email: &e.email,
                        sealed: Some(&sealed),
                        expires_on: before.expires_on.as_deref(),
                        untested: true,
                        by,
                    },
                )
                .await?;
                let details = serde_json::json!({
                    "imported": true,
                    "server": before.server,
                    "changed": ["username", "email", "password"],
                    "before": { "username": before.username, "email": before.email },
                    "after": { "username": e.username, "email": e.email },
                });
                cx.audit(&mut tx, "credential.updated", &present.to_string(), details)
                    .await?;
                outcome.updated.push(before.server);
            }
            Some(_) => outcome.skipped.push(e.server.clone()),
        }
    }
    tx.commit().await?;
    tracing::info!(
        added = outcome.added.len(),
        updated = outcome.updated.len(),
        "credentials imported"
    );
    Ok(outcome)
}
