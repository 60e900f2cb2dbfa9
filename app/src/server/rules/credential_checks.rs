//! Whether credentials still work: a check on demand (a stored credential, or what the add or
//! edit form holds before it is saved), and the background re-check of every stored one. A
//! stored credential keeps the status of its last check; a change of status is audited. The
//! check itself is `registry_check` over the `outbound` client: nothing here sends a password
//! anywhere but to the credential's own registry and the token realm it names.

use std::{net::Ipv4Addr, sync::Arc};

use secrecy::ExposeSecret;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    credential::{ImageRef, NewCredential},
    credential_check::{
        CheckReport, CheckStep, Failure, StepKind, StepState, field, image_label, parse_check_image,
    },
    secret::PasswordInput,
};
use crate::error::AppError;
use crate::server::{
    audit,
    auth::throttle,
    crypto::secrets::{self, Sealed},
    cx::ProjectCx,
    db::{
        Tx,
        credentials::{self, CheckResult, Credential},
        leases,
    },
    outbound::registry_check::{self, Target, api_base},
    rules::{credential_sources, credentials::not_found},
    state::AppState,
};

/// Checks per project in [`CHECK_WINDOW_SECS`] (each makes up to five outbound requests).
pub const CHECKS_PER_WINDOW: i64 = 30;
/// Checks per person in [`CHECK_WINDOW_SECS`], across all their projects (a person can make
/// projects at will; project tokens are held by their project's limit).
pub const CHECKS_PER_PERSON: i64 = 60;
/// The window of [`CHECKS_PER_WINDOW`] and [`CHECKS_PER_PERSON`].
pub const CHECK_WINDOW_SECS: i64 = 600;
/// Background checks run at once.
pub const RECHECK_CONCURRENCY: usize = 4;
/// Credentials re-checked per round at most.
pub const RECHECK_BATCH: i64 = 200;
/// The background re-check's lease.
pub const RECHECK_LEASE: &str = "credential-recheck";
/// How long a round may hold the lease: a full batch at the ten-second limit, and some.
const LEASE_SECS: i64 = 900;
/// An Amazon ECR token with less life than this is renewed before a check on demand.
const CHECK_MIN_LIFE_SECS: i64 = 300;

/// What a form holds, to try before saving.
pub enum Typed {
    /// The add form.
    New(NewCredential),
    /// The edit form of credential `id`: its username, and a new password or none (the
    /// stored one).
    Edit {
        id: Uuid,
        username: String,
        password: PasswordInput,
    },
}

fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

async fn count_check(cx: &ProjectCx) -> Result<(), AppError> {
    let key = format!("credential-check:{}", cx.project.id);
    throttle::count(&cx.state.db, &key, CHECKS_PER_WINDOW, CHECK_WINDOW_SECS).await?;
    if let Some(user) = cx.caller.user() {
        let key = format!("credential-check-by:{}", user.id);
        throttle::count(&cx.state.db, &key, CHECKS_PER_PERSON, CHECK_WINDOW_SECS).await?;
    }
    Ok(())
}

fn open(
    state: &AppState,
    credential: &Credential,
    sealed: &Sealed,
) -> Result<secrecy::SecretString, AppError> {
    secrets::open(&[&state.key], sealed, credential.id, credential.project_id).map_err(|err| {
        tracing::error!(credential.id = %credential.id, error = ?err, "cannot open a credential to check it");
        AppError::conflict(
            "credential",
            format!(
                "The password of credentials {} is sealed under a key this server does not hold (a key rotation is under way?). Finish it with `berth secrets rotate-key`, then check again.",
                credential.id
            ),
        )
    })
}

async fn sealed_of(state: &AppState, credential: &Credential) -> Result<Sealed, AppError> {
    credentials::sealed(&state.db, credential.id)
        .await?
        .filter(|(project, _)| *project == credential.project_id)
        .map(|(_, sealed)| sealed)
        .ok_or_else(not_found)
}

async fn run(
    state: &AppState,
    server: &str,
    registry_host: &str,
    username: &str,
    password: &str,
    image: Option<&ImageRef>,
) -> CheckReport {
    let target = Target {
        base: api_base(server, registry_host),
        username,
        password,
        image,
    };
    registry_check::run(&state.outbound, &target).await
}

fn image_for(input: &str, registry_host: &str) -> Result<Option<ImageRef>, AppError> {
    parse_check_image(input, registry_host).map_err(|e| AppError::invalid(field::IMAGE, e))
}

/// Checks stored credential `id` with `image` (blank: the image its last check tried) and
/// records the result.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, credential.id = %id), err)]
pub async fn check_stored(cx: &ProjectCx, id: Uuid, image: &str) -> Result<CheckReport, AppError> {
    let mut tx = cx.state.db.begin().await?;
    let credential = credentials::find(&mut tx, cx.project.id, id)
        .await?
        .ok_or_else(not_found)?;
    tx.commit().await?;
    let image = match image.trim() {
        "" => credential.check_image.clone().unwrap_or_default(),
        given => given.to_owned(),
    };
    let image = image_for(&image, &credential.registry_host)?;
    count_check(cx).await?;
    // An Amazon ECR credential is checked with a live token, renewed first if it is about to
    // end (a failing renewal leaves the last token, whose check then says why it fails).
    credential_sources::ensure_fresh(
        &cx.state,
        credential.id,
        CHECK_MIN_LIFE_SECS,
        cx.state.clock.now(),
    )
    .await?;
    let sealed = sealed_of(&cx.state, &credential).await?;
    let password = open(&cx.state, &credential, &sealed)?;
    let report = run(
        &cx.state,
        &credential.server,
        &credential.registry_host,
        &credential.username,
        password.expose_secret(),
        image.as_ref(),
    )
    .await;
    let mut tx = cx.state.db.begin().await?;
    let checked = Checked {
        credential: &credential,
        nonce: &sealed.nonce,
        report: &report,
        image: image.as_ref(),
    };
    if let Some(details) = record(&mut tx, &checked).await? {
        cx.audit(
            &mut tx,
            "credential.status_changed",
            &id.to_string(),
            details,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Tries what a form holds; stores nothing.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id), err)]
pub async fn check_typed(
    cx: &ProjectCx,
    typed: Typed,
    image: &str,
) -> Result<CheckReport, AppError> {
    match typed {
        Typed::New(new) => {
            let image = image_for(image, &new.registry_host)?;
            count_check(cx).await?;
            Ok(run(
                &cx.state,
                &new.server,
                &new.registry_host,
                &new.username,
                new.password.expose(),
                image.as_ref(),
            )
            .await)
        }
        Typed::Edit {
            id,
            username,
            password,
        } => {
            let mut tx = cx.state.db.begin().await?;
            let credential = credentials::find(&mut tx, cx.project.id, id)
                .await?
                .ok_or_else(not_found)?;
            tx.commit().await?;
            let image = image_for(image, &credential.registry_host)?;
            count_check(cx).await?;
            let stored;
            let password = if password.expose().is_empty() {
                stored = open(
                    &cx.state,
                    &credential,
                    &sealed_of(&cx.state, &credential).await?,
                )?;
                stored.expose_secret()
            } else {
                password.expose()
            };
            Ok(run(
                &cx.state,
                &credential.server,
                &credential.registry_host,
                &username,
                password,
                image.as_ref(),
            )
            .await)
        }
    }
}

/// A check made of a stored credential.
struct Checked<'a> {
    credential: &'a Credential,
    /// The nonce of the password checked.
    nonce: &'a [u8],
    report: &'a CheckReport,
    image: Option<&'a ImageRef>,
}

/// Stores the check as the credential's status (unless it changed while being checked);
/// answers the audit details when the status changed.
async fn record(tx: &mut Tx, checked: &Checked<'_>) -> Result<Option<serde_json::Value>, AppError> {
    let credential = checked.credential;
    let status = if checked.report.ok() { "ok" } else { "failing" };
    let reason = checked.report.reason();
    let image = checked.image.map(image_label);
    let stored = credentials::record_check(
        tx,
        credential.id,
        (&credential.username, checked.nonce),
        &CheckResult {
            status,
            reason: reason.as_deref(),
            at: now_secs(),
            image: image.as_deref(),
        },
    )
    .await?;
    let before = credential.check_status.as_deref().unwrap_or("untested");
    Ok((stored && before != status).then(|| {
        serde_json::json!({
            "server": credential.server,
            "before": before,
            "after": status,
            "reason": reason,
        })
    }))
}

/// One round of the background re-check, on the replica that gets the lease: every credential
/// not checked for `settings.credential_check_hours`, [`RECHECK_CONCURRENCY`] at a time.
/// Answers how many were checked (0 when another replica holds the lease or re-checks are
/// off).
pub async fn recheck_due(state: &AppState, holder: &str) -> Result<usize, AppError> {
    let hours = i64::from(state.settings.credential_check_hours);
    if hours == 0 {
        return Ok(0);
    }
    let now = now_secs();
    if !leases::take(&state.db, RECHECK_LEASE, holder, now, now + LEASE_SECS).await? {
        return Ok(0);
    }
    let round = recheck_round(state, now - hours * 3_600).await;
    if let Err(err) = leases::release(&state.db, RECHECK_LEASE, holder).await {
        tracing::warn!(error = %err, "releasing the re-check lease failed (it expires by itself)");
    }
    round
}

async fn recheck_round(state: &AppState, checked_before: i64) -> Result<usize, AppError> {
    let due = credentials::due(&state.db, checked_before, RECHECK_BATCH).await?;
    let gate = Arc::new(tokio::sync::Semaphore::new(RECHECK_CONCURRENCY));
    let mut jobs = tokio::task::JoinSet::new();
    for row in due {
        let state = state.clone();
        let gate = gate.clone();
        jobs.spawn(async move {
            let _permit = gate.acquire_owned().await;
            recheck_one(&state, row).await
        });
    }
    let mut checked = 0;
    while let Some(done) = jobs.join_next().await {
        match done {
            Ok(Ok(true)) => checked += 1,
            Ok(Ok(false)) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "a background credential check failed"),
            Err(err) => tracing::error!(error = %err, "a background credential check panicked"),
        }
    }
    Ok(checked)
}

/// The report of a credential whose password this server cannot open.
fn unopenable() -> CheckReport {
    let detail = "its password is sealed under a key this server does not hold (a key rotation is under way?)";
    CheckReport {
        target: String::new(),
        image: None,
        steps: vec![CheckStep {
            kind: StepKind::Auth,
            state: StepState::Failed,
            detail: detail.into(),
            millis: None,
        }],
        failure: Some(Failure::Unexpected),
        summary: detail.into(),
        millis: 0,
    }
}

/// Checks one due credential; answers whether it was checked.
async fn recheck_one(state: &AppState, row: credentials::Due) -> Result<bool, AppError> {
    let credential = &row.credential;
    // A stored image that no longer reads (rules changed) is left out, not fatal.
    let image = credential.check_image.as_deref().and_then(|i| {
        parse_check_image(i, &credential.registry_host)
            .ok()
            .flatten()
    });
    let report = match open(state, credential, &row.sealed()) {
        Ok(password) => {
            run(
                state,
                &credential.server,
                &credential.registry_host,
                &credential.username,
                password.expose_secret(),
                image.as_ref(),
            )
            .await
        }
        // Recorded as failing (so it waits its turn again rather than heading every round);
        // logged by `open`.
        Err(_) => unopenable(),
    };
    let mut tx = state.db.begin().await?;
    let checked = Checked {
        credential,
        nonce: &row.password_nonce,
        report: &report,
        image: image.as_ref(),
    };
    if let Some(mut details) = record(&mut tx, &checked).await? {
        details["by"] = serde_json::Value::String("background re-check".into());
        audit::record(
            &mut tx,
            Ipv4Addr::UNSPECIFIED.into(),
            audit::Event {
                actor: None,
                token: None,
                org_id: row.org_id,
                project_id: Some(credential.project_id),
                action: "credential.status_changed",
                target: &credential.id.to_string(),
                details,
            },
        )
        .await
        .map_err(AppError::from)?;
    }
    tx.commit().await?;
    Ok(true)
}
