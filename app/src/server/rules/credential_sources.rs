//! Credentials whose password Berth mints: Amazon ECR. The AWS keys (and the role to assume
//! with them) are the long-lived source, sealed like a password; the registry password is a
//! 12-hour token from ECR's `GetAuthorizationToken`, stored as the credential's password so
//! every reader (check, pull-secret export, credential helper) gets the live one.
//!
//! A token is refreshed three quarters into its life by [`refresh_due`] (the background loop,
//! on the replica holding the lease), or on demand by a reader that needs more life than is
//! left. Every write is a compare-and-set on the token it replaces, so two refreshes at once
//! store one token. A failed refresh keeps the last good token until it expires, records
//! AWS's code and message (never the secret), retries with backoff, and is audited.

use std::{net::Ipv4Addr, sync::Arc};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::ecr::{EcrChange, EcrHost, NewEcrCredential, RoleArn, field_of_aws_code};
use crate::domain::secret::PasswordInput;
use crate::error::AppError;
use crate::server::{
    audit,
    auth::throttle,
    crypto::{
        MasterKey,
        secrets::{self, Sealed},
    },
    cx::ProjectCx,
    db::{self, Tx, credential_sources as sources, credentials, leases},
    outbound::aws::{Aws, AwsError, EcrToken, Keys, Role},
    state::AppState,
};

/// A token is refreshed when this share of its life (in thousandths) is gone.
pub const REFRESH_AT_PERMILLE: i64 = 750;
/// The first retry after a failed refresh, in seconds; each failure in a row doubles it.
const RETRY_FIRST_SECS: i64 = 60;
/// The longest wait between retries.
const RETRY_MAX_SECS: i64 = 3_600;
/// The lease the background refresh holds.
pub const REFRESH_LEASE: &str = "ecr-refresh";
/// How long one round may hold it.
const LEASE_SECS: i64 = 600;
/// Most credentials one round refreshes.
const BATCH: i64 = 2_000;
/// ECR credentials a project may try to add in an hour (each try calls AWS), and a person.
pub const ADDS_PER_HOUR: i64 = 30;
/// The same, per person across projects.
pub const ADDS_PER_PERSON_HOUR: i64 = 60;

/// An ECR source as a form or the API gives it, checked.
#[derive(Clone, Debug)]
pub struct EcrSource {
    /// The registry host, naming its account and region.
    pub host: EcrHost,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// For temporary keys.
    pub session_token: Option<SecretString>,
    pub role: Option<RoleArn>,
    pub external_id: Option<String>,
}

/// What is sealed as the AWS secret: the secret key, and the session token of temporary keys.
#[derive(Serialize, Deserialize)]
struct SealedKeys {
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
}

/// The name of the role session AWS shows in CloudTrail for credential `id`.
fn session_name(id: Uuid) -> String {
    format!("berth-{}", id.simple())
}

/// An AWS secret key (and the session token of temporary keys) sealed for credential `id` of
/// `project` in the `aws_secret_*` columns (also what the benchmarks seed).
pub fn seal_keys(
    key: &MasterKey,
    secret_access_key: &str,
    session_token: Option<&str>,
    id: Uuid,
    project: Uuid,
) -> Sealed {
    let plain = serde_json::to_string(&SealedKeys {
        secret_access_key: secret_access_key.to_owned(),
        session_token: session_token.map(str::to_owned),
    })
    .unwrap_or_default();
    secrets::seal_aws_secret(key, &plain, id, project)
}

impl From<NewEcrCredential> for EcrSource {
    fn from(new: NewEcrCredential) -> Self {
        Self {
            host: new.host,
            access_key_id: new.access_key_id,
            secret_access_key: new.secret_access_key.into_secret(),
            session_token: new.session_token.map(PasswordInput::into_secret),
            role: new.role,
            external_id: new.external_id,
        }
    }
}

impl EcrSource {
    /// The AWS keys.
    pub fn keys(&self) -> Keys {
        Keys {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
        }
    }

    /// The secret key and session token, sealed for credential `id` of `project`.
    pub fn seal(&self, state: &AppState, id: Uuid, project: Uuid) -> Sealed {
        seal_keys(
            &state.key,
            self.secret_access_key.expose_secret(),
            self.session_token.as_ref().map(|t| t.expose_secret()),
            id,
            project,
        )
    }

    /// Mints a token for credential `id` (see [`mint`]).
    pub async fn mint(
        &self,
        aws: &Aws,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<EcrToken, AwsError> {
        let name = session_name(id);
        let role = self.role.as_ref().map(|role| Role {
            arn: &role.arn,
            external_id: self.external_id.as_deref(),
            session_name: &name,
        });
        mint(aws, &self.host.region, &self.keys(), role, now).await
    }
}

/// Asks AWS for a registry token: assumes `role` first when there is one, then calls ECR in
/// `region`. A token that is not valid after `now` (moto's are from 2015; a wrong clock or a
/// wrong endpoint does the same) is a failure, never a token to store.
pub async fn mint(
    aws: &Aws,
    region: &str,
    keys: &Keys,
    role: Option<Role<'_>>,
    now: OffsetDateTime,
) -> Result<EcrToken, AwsError> {
    let token = match role {
        Some(role) => {
            let session = aws.assume_role(keys, region, role).await?;
            aws.ecr_token(&session.keys, region).await?
        }
        None => aws.ecr_token(keys, region).await?,
    };
    if token.expires_at <= now {
        return Err(AwsError {
            code: "ExpiredOnArrival".into(),
            message: format!(
                "ECR answered a token that expired at {}, before this server's time {}: this \
                 server's clock, or the AWS endpoint it calls, is wrong",
                crate::domain::when::rfc3339_secs(token.expires_at.unix_timestamp()),
                crate::domain::when::rfc3339_secs(now.unix_timestamp()),
            ),
        });
    }
    Ok(token)
}

/// Counts a try with keys a person typed (adding, or new keys): each calls AWS, so a project
/// and a person may cause only so many an hour.
async fn count_aws_try(cx: &ProjectCx) -> Result<(), AppError> {
    let key = format!("ecr-add:{}", cx.project.id);
    throttle::count(&cx.state.db, &key, ADDS_PER_HOUR, 3_600).await?;
    if let Some(user) = cx.caller.user() {
        let key = format!("ecr-add-by:{}", user.id);
        throttle::count(&cx.state.db, &key, ADDS_PER_PERSON_HOUR, 3_600).await?;
    }
    Ok(())
}

/// Adds the ECR credential a form describes, at the state's clock (see [`add`]).
pub async fn add_new(cx: &ProjectCx, new: NewEcrCredential) -> Result<Uuid, AppError> {
    let (server, registry_host) = (new.server.clone(), new.registry_host.clone());
    let now = cx.state.clock.now();
    add(
        cx,
        (&server, &registry_host),
        "",
        &EcrSource::from(new),
        now,
    )
    .await
}

/// Adds an ECR credential for `registry_host` (named by `server`) to the project: mints its
/// first token, so keys AWS refuses are the form's error (with AWS's code) and nothing is
/// stored; then stores the keys and the token. One credential per registry host.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, registry = %registry_host), err)]
pub async fn add(
    cx: &ProjectCx,
    (server, registry_host): (&str, &str),
    email: &str,
    source: &EcrSource,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    super::credentials::refuse_kcr_host(cx, registry_host)?;
    let taken = || {
        AppError::conflict(
            crate::domain::ecr::field::REGISTRY_HOST,
            format!(
                "This project already has credentials for {registry_host}; update those instead."
            ),
        )
    };
    // Before AWS is asked: a second credential for the host, or one too many, fails fast and
    // costs no call; and the calls a project and a person may cause are bounded.
    {
        let mut tx = cx.state.db.begin().await?;
        let existing = credentials::id_for_host(&mut tx, cx.project.id, registry_host).await?;
        super::credentials::check_room(&mut tx, cx.project.id, 1).await?;
        tx.commit().await?;
        if existing.is_some() {
            return Err(taken());
        }
    }
    count_aws_try(cx).await?;
    let id = Uuid::now_v7();
    let token = source
        .mint(&cx.state.aws, id, now)
        .await
        .map_err(|err| refusal(&err, source.role.is_some()))?;
    let password = secrets::seal(
        &cx.state.key,
        token.password.expose_secret(),
        id,
        cx.project.id,
    );
    let keys = sources::EcrKeys {
        access_key_id: source.access_key_id.clone(),
        role_arn: source.role.as_ref().map(|r| r.arn.clone()),
        external_id: source.external_id.clone(),
        secret: source.seal(&cx.state, id, cx.project.id),
    };
    let mut tx = cx.state.db.begin().await?;
    if credentials::id_for_host(&mut tx, cx.project.id, registry_host)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    super::credentials::check_room(&mut tx, cx.project.id, 1).await?;
    credentials::add(
        &mut tx,
        &credentials::NewCredential {
            id,
            project_id: cx.project.id,
            server,
            registry_host,
            username: &token.username,
            email,
            sealed: &password,
            by: cx.caller.user().map(|u| u.id),
            expires_on: None,
        },
    )
    .await
    .map_err(|e| db::conflict(e, vec![(credentials::HOST_TAKEN, taken())]))?;
    sources::set_ecr(&mut tx, id, &keys).await?;
    store(
        &cx.state,
        &mut tx,
        (id, cx.project.id),
        &password.nonce,
        &token,
        now,
    )
    .await?;
    cx.audit(
        &mut tx,
        "credential.added",
        &id.to_string(),
        serde_json::json!({
            "after": {
                "server": server,
                "registry_host": registry_host,
                "source": sources::ECR,
                "aws_access_key_id": keys.access_key_id,
                "aws_role_arn": keys.role_arn,
                "aws_external_id": keys.external_id,
                "email": email,
                "token_expires_at": token.expires_at.unix_timestamp(),
            }
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(credential.id = %id, "ECR credential added");
    Ok(id)
}

/// Gives ECR credential `id` new AWS keys, or another role (its registry stays): mints a
/// token with them first, so keys AWS refuses are the form's error (with AWS's code) and
/// nothing changes; then stores the keys and the token together, clears a failing refresh,
/// and audits the change (key ID, role and external ID before and after; never a secret).
/// A blank secret keeps the stored secret and session token, for the same key ID only.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, credential.id = %id), err)]
pub async fn update(cx: &ProjectCx, id: Uuid, change: EcrChange) -> Result<(), AppError> {
    use crate::domain::ecr::field;
    let stored = sources::refreshable(&cx.state.db, id)
        .await?
        .filter(|row| row.project_id == cx.project.id);
    let Some(stored) = stored else {
        let mut tx = cx.state.db.begin().await?;
        let exists = credentials::find(&mut tx, cx.project.id, id)
            .await?
            .is_some();
        tx.commit().await?;
        return Err(if exists {
            AppError::conflict(
                "credential",
                "These credentials hold a password, not AWS keys: edit their password instead.",
            )
        } else {
            super::credentials::not_found()
        });
    };
    let host = EcrHost::parse(&stored.registry_host)
        .map_err(|e| AppError::invalid(field::REGISTRY_HOST, e))?;
    let secret_changed = change.secret_access_key.is_some();
    let source = match change.secret_access_key {
        Some(secret) => EcrSource {
            host,
            access_key_id: change.access_key_id.clone(),
            secret_access_key: secret.into_secret(),
            session_token: change.session_token.map(PasswordInput::into_secret),
            role: change.role.clone(),
            external_id: change.external_id.clone(),
        },
        None if change.access_key_id != stored.aws_access_key_id => {
            return Err(AppError::invalid(
                field::SECRET_ACCESS_KEY,
                format!(
                    "A new key ID comes with its own secret: enter the secret access key of {}.",
                    change.access_key_id
                ),
            ));
        }
        None => {
            let keys = open_keys(&cx.state, &stored).map_err(|err| {
                AppError::conflict("credential", format!("The stored AWS secret cannot be used: {err}. Enter the secret access key again."))
            })?;
            EcrSource {
                host,
                access_key_id: keys.access_key_id,
                secret_access_key: keys.secret_access_key,
                session_token: keys.session_token,
                role: change.role.clone(),
                external_id: change.external_id.clone(),
            }
        }
    };
    count_aws_try(cx).await?;
    let now = cx.state.clock.now();
    let token = source
        .mint(&cx.state.aws, id, now)
        .await
        .map_err(|err| refusal(&err, source.role.is_some()))?;
    let keys = sources::EcrKeys {
        access_key_id: source.access_key_id.clone(),
        role_arn: source.role.as_ref().map(|r| r.arn.clone()),
        external_id: source.external_id.clone(),
        secret: source.seal(&cx.state, id, cx.project.id),
    };
    let mut tx = cx.state.db.begin().await?;
    // The token is stored over whatever is there now: one a refresh stored meanwhile was
    // minted with the keys being replaced.
    let Some(current) = sources::refreshable(&cx.state.db, id).await? else {
        return Err(super::credentials::not_found());
    };
    sources::set_ecr(&mut tx, id, &keys).await?;
    if !store(
        &cx.state,
        &mut tx,
        (id, cx.project.id),
        &current.password_nonce,
        &token,
        now,
    )
    .await?
    {
        return Err(AppError::conflict(
            "credential",
            "These credentials changed while their new keys were tried; nothing was changed. Try again.",
        ));
    }
    cx.audit(
        &mut tx,
        "credential.updated",
        &id.to_string(),
        serde_json::json!({
            "before": {
                "aws_access_key_id": stored.aws_access_key_id,
                "aws_role_arn": stored.aws_role_arn,
                "aws_external_id": stored.aws_external_id,
            },
            "after": {
                "aws_access_key_id": keys.access_key_id,
                "aws_role_arn": keys.role_arn,
                "aws_external_id": keys.external_id,
                "token_expires_at": token.expires_at.unix_timestamp(),
            },
            "secret_changed": secret_changed,
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("ECR credential's keys changed");
    Ok(())
}

/// The form's error for keys AWS refused: AWS's code and message on the field they are
/// about; an AWS that could not be reached is a 502.
pub fn refusal(err: &AwsError, has_role: bool) -> AppError {
    match err.code.as_str() {
        "Unreachable"
        | "BadEndpoint"
        | "BadAnswer"
        | "HttpError"
        | "ExpiredOnArrival"
        | "Throttling"
        | "ThrottlingException"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalFailure"
        | "InternalError"
        | "ServerException"
        | "RequestExpired" => {
            AppError::Upstream(format!("Berth could not get a token from AWS: {err}"))
        }
        _ => AppError::invalid(
            field_of_aws_code(&err.code, has_role),
            format!("AWS refused these keys: {err}"),
        ),
    }
}

/// When a token minted at `refreshed_at` that expires at `expires_at` is refreshed.
pub fn due_at(refreshed_at: i64, expires_at: i64) -> i64 {
    refreshed_at + (expires_at - refreshed_at).max(0) * REFRESH_AT_PERMILLE / 1_000
}

/// When to try again after the `failures`-th failure in a row at `now`: one minute, doubling,
/// at most an hour.
pub fn retry_at(now: i64, failures: i32) -> i64 {
    let shift = u32::try_from(failures.max(1) - 1).unwrap_or(0).min(16);
    now + (RETRY_FIRST_SECS << shift).min(RETRY_MAX_SECS)
}

/// Stores `token` as credential `id`'s password in place of the one sealed with `replaces`.
/// Answers whether it was stored (false: another refresh or an edit came first).
pub async fn store(
    state: &AppState,
    tx: &mut Tx,
    (id, project): (Uuid, Uuid),
    replaces: &[u8],
    token: &EcrToken,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let sealed = secrets::seal(&state.key, token.password.expose_secret(), id, project);
    let now = now.unix_timestamp();
    let expires_at = token.expires_at.unix_timestamp();
    let minted = sources::Minted {
        username: &token.username,
        sealed: &sealed,
        expires_at,
        refreshed_at: now,
        due_at: due_at(now, expires_at),
    };
    Ok(sources::store_token(tx, id, replaces, &minted).await?)
}

/// What one refresh did.
#[derive(Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// A new token is stored, valid until then (Unix seconds).
    Stored(i64),
    /// AWS (or the sealed keys) failed; the old token stays.
    Failed(String),
    /// Another refresh or an edit changed the credential first; nothing was written.
    Lost,
}

/// Refreshes one ECR credential now.
pub async fn refresh(
    state: &AppState,
    row: &sources::Refreshable,
    now: OffsetDateTime,
) -> Result<Refreshed, AppError> {
    let minted = match open_keys(state, row) {
        Ok(keys) => {
            let name = session_name(row.id);
            let role = row.aws_role_arn.as_deref().map(|arn| Role {
                arn,
                external_id: row.aws_external_id.as_deref(),
                session_name: &name,
            });
            let region = EcrHost::parse(&row.registry_host)
                .map(|host| host.region)
                .map_err(|message| AwsError {
                    code: "NotEcr".into(),
                    message,
                });
            match region {
                Ok(region) => mint(&state.aws, &region, &keys, role, now).await,
                Err(err) => Err(err),
            }
        }
        Err(err) => Err(err),
    };
    let mut tx = state.db.begin().await?;
    let outcome = match minted {
        Ok(token) => {
            if store(
                state,
                &mut tx,
                (row.id, row.project_id),
                &row.password_nonce,
                &token,
                now,
            )
            .await?
            {
                Refreshed::Stored(token.expires_at.unix_timestamp())
            } else {
                Refreshed::Lost
            }
        }
        Err(err) => {
            let reason = err.to_string();
            let failures = row.refresh_failures + 1;
            let retry = retry_at(now.unix_timestamp(), failures);
            let read = (row.password_nonce.as_slice(), row.refresh_failures);
            if !sources::record_failure(&mut tx, row.id, read, &reason, retry).await? {
                return Ok(Refreshed::Lost);
            }
            tracing::warn!(credential.id = %row.id, code = %err.code, failures, "refreshing an ECR token failed");
            audit::record(
                &mut tx,
                Ipv4Addr::UNSPECIFIED.into(),
                audit::Event {
                    actor: None,
                    token: None,
                    org_id: row.org_id,
                    project_id: Some(row.project_id),
                    action: "credential.refresh_failed",
                    target: &row.id.to_string(),
                    details: serde_json::json!({
                        "code": err.code,
                        "message": err.message,
                        "failures": failures,
                        "token_expires_at": row.token_expires_at,
                    }),
                },
            )
            .await?;
            Refreshed::Failed(reason)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The AWS keys of `row`, opened.
fn open_keys(state: &AppState, row: &sources::Refreshable) -> Result<Keys, AwsError> {
    let unreadable = || AwsError {
        code: "Unreadable".into(),
        message: "the AWS secret is sealed under a key this server does not hold (a key \
                  rotation is under way?)"
            .into(),
    };
    let plain = secrets::open_aws_secret(&[&state.key], &row.secret(), row.id, row.project_id)
        .map_err(|_| unreadable())?;
    let keys: SealedKeys = serde_json::from_str(plain.expose_secret()).map_err(|_| unreadable())?;
    Ok(Keys {
        access_key_id: row.aws_access_key_id.clone(),
        secret_access_key: SecretString::from(keys.secret_access_key),
        session_token: keys.session_token.map(SecretString::from),
    })
}

/// What a round of [`refresh_due`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub stored: usize,
    pub failed: usize,
    pub lost: usize,
}

/// Refreshes every ECR credential due at `now`, at most `settings.aws_max_concurrent_calls`
/// at once, if `holder` gets the lease (one replica refreshes, whatever the number running).
pub async fn refresh_due(
    state: &AppState,
    holder: &str,
    now: OffsetDateTime,
) -> Result<RoundReport, AppError> {
    let at = now.unix_timestamp();
    if !leases::take(&state.db, REFRESH_LEASE, holder, at, at + LEASE_SECS).await? {
        return Ok(RoundReport::default());
    }
    let round = refresh_round(state, holder, now).await;
    if let Err(err) = leases::release(&state.db, REFRESH_LEASE, holder).await {
        tracing::warn!(error = %err, "releasing the ECR refresh lease failed (it expires by itself)");
    }
    round
}

async fn refresh_round(
    state: &AppState,
    holder: &str,
    now: OffsetDateTime,
) -> Result<RoundReport, AppError> {
    let due = sources::due(&state.db, now.unix_timestamp(), BATCH).await?;
    let gate = Arc::new(tokio::sync::Semaphore::new(
        state.settings.aws_max_concurrent_calls.max(1),
    ));
    let started = state.clock.now();
    let mut jobs = tokio::task::JoinSet::new();
    for row in due {
        let (state, gate, holder) = (state.clone(), gate.clone(), holder.to_owned());
        jobs.spawn(async move {
            let _permit = gate.acquire_owned().await;
            // The round's time, gone on as long as the round has (a retry is timed from the
            // failure, not from the round's start).
            let now = now + (state.clock.now() - started);
            let at = now.unix_timestamp();
            // The lease is renewed before each refresh: a long round keeps it, and a round
            // whose lease another replica took stops refreshing.
            if !leases::take(&state.db, REFRESH_LEASE, &holder, at, at + LEASE_SECS).await? {
                return Ok(Refreshed::Lost);
            }
            // Refreshed meanwhile (an export's on-demand refresh): no second call to AWS.
            match sources::refreshable(&state.db, row.id).await? {
                Some(current) if current.password_nonce == row.password_nonce => {
                    refresh(&state, &current, now).await
                }
                _ => Ok(Refreshed::Lost),
            }
        });
    }
    let mut report = RoundReport::default();
    while let Some(done) = jobs.join_next().await {
        match done {
            Ok(Ok(Refreshed::Stored(_))) => report.stored += 1,
            Ok(Ok(Refreshed::Failed(_))) => report.failed += 1,
            Ok(Ok(Refreshed::Lost)) => report.lost += 1,
            Ok(Err(err)) => tracing::warn!(error = %err, "an ECR refresh failed"),
            Err(err) => tracing::error!(error = %err, "an ECR refresh panicked"),
        }
    }
    Ok(report)
}

/// Refreshes credential `id` now if its token has less than `need` seconds left at `now`
/// (a reader about to hand it out), unless its refreshes are failing and the retry is not
/// due yet. Answers the token's expiry after that, `None` for a
/// credential that is not ECR.
pub async fn ensure_fresh(
    state: &AppState,
    id: Uuid,
    need: i64,
    now: OffsetDateTime,
) -> Result<Option<i64>, AppError> {
    let Some(row) = sources::refreshable(&state.db, id).await? else {
        return Ok(None);
    };
    let expires_at = row.token_expires_at.unwrap_or(0);
    if expires_at - now.unix_timestamp() >= need {
        return Ok(Some(expires_at));
    }
    // A source that keeps failing is retried on its backoff, not by every reader: a helper
    // asked once a second must not turn a revoked key into a call to AWS a second.
    if row.refresh_failures > 0 && row.refresh_due_at.unwrap_or(0) > now.unix_timestamp() {
        return Ok(Some(expires_at));
    }
    match refresh(state, &row, now).await? {
        Refreshed::Stored(expires_at) => Ok(Some(expires_at)),
        // Someone else refreshed (or failed) meanwhile: what is stored now counts.
        Refreshed::Lost | Refreshed::Failed(_) => Ok(sources::token_state(&state.db, id)
            .await?
            .and_then(|s| s.token_expires_at)),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;
    use crate::domain::ecr::field;
    use crate::server::{crypto::MasterKey, crypto::rotation, testing::TestDb};

    const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    /// moto's tokens all expire at 2015-01-01T00:00:00Z; the tests live half a day before.
    const T0: OffsetDateTime = datetime!(2014-12-31 12:00:00 UTC);
    const MOTO_EXPIRY: i64 = 1_420_070_400;
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn emulator(checking: bool) -> Aws {
        let var = if checking {
            "BERTH_TEST_AWS_AUTH_URL"
        } else {
            "BERTH_TEST_AWS_URL"
        };
        let url = std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: run the tests with scripts/test, which starts the AWS emulator"
            )
        });
        Aws::new(Some(url), Duration::from_secs(10)).unwrap()
    }

    fn source(key_id: &str, secret: &str, role: Option<&str>) -> EcrSource {
        EcrSource {
            host: EcrHost::parse(HOST).unwrap(),
            access_key_id: key_id.into(),
            secret_access_key: SecretString::from(secret.to_owned()),
            session_token: None,
            role: role.map(|r| RoleArn::parse(r).unwrap()),
            external_id: None,
        }
    }

    fn server() -> (&'static str, &'static str) {
        (HOST, HOST)
    }

    async fn state_of(db: &TestDb, id: Uuid) -> sources::TokenState {
        sources::token_state(&db.state.db, id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn password_of(db: &TestDb, id: Uuid) -> (Vec<u8>, String) {
        let (project, sealed) = credentials::sealed(&db.state.db, id)
            .await
            .unwrap()
            .unwrap();
        let opened = secrets::open(&[&db.state.key], &sealed, id, project).unwrap();
        (sealed.nonce, opened.expose_secret().to_owned())
    }

    #[tokio::test]
    async fn adding_mints_the_first_token_and_keeps_the_secret_sealed() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(false);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let id = add(
                &cx,
                server(),
                "",
                &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
                T0,
            )
            .await
            .unwrap();

            let state = state_of(&db, id).await;
            assert_eq!(state.source, "ecr", "{}", db.backend);
            assert_eq!(state.token_expires_at, Some(MOTO_EXPIRY));
            assert_eq!(state.token_refreshed_at, Some(T0.unix_timestamp()));
            // Three quarters into its 12 hours: 9 hours after it was minted.
            assert_eq!(state.refresh_due_at, Some(T0.unix_timestamp() + 9 * 3_600));
            assert_eq!(password_of(&db, id).await.1, "123456789012-auth-token");
            let listed = credentials::all(&db.state.db, cx.project.id).await.unwrap();
            assert_eq!(listed[0].username, "AWS");

            // Neither the secret key nor the token is stored or audited in clear.
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            let sealed_bytes = [
                row.aws_secret_ciphertext.clone(),
                row.password_nonce.clone(),
            ];
            for bytes in sealed_bytes {
                assert!(!bytes.windows(8).any(|w| w == &SECRET.as_bytes()[..8]));
            }
            let audit = db.audit_details("credential.added").await;
            let text = audit[0].to_string();
            assert!(
                text.contains("AKIAIOSFODNN7EXAMPLE") && !text.contains(SECRET),
                "{text}"
            );
            assert!(!text.contains("auth-token"), "{text}");
        }
    }

    #[tokio::test]
    async fn a_role_in_another_account_mints_that_accounts_token() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(false);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let role = Some("arn:aws:iam::210987654321:role/berth-puller");
            let id = add(
                &cx,
                server(),
                "",
                &source("AKIAIOSFODNN7EXAMPLE", SECRET, role),
                T0,
            )
            .await
            .unwrap();
            assert_eq!(
                password_of(&db, id).await.1,
                "210987654321-auth-token",
                "{}",
                db.backend
            );
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.aws_role_arn.as_deref(), role);
        }
    }

    #[tokio::test]
    async fn keys_aws_refuses_are_the_forms_error_and_nothing_is_stored() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(true);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let key_id = std::env::var("BERTH_TEST_AWS_AUTH_KEY_ID").unwrap();
            let err = add(&cx, server(), "", &source(&key_id, SECRET, None), T0)
                .await
                .unwrap_err();
            let message = err.field(field::SECRET_ACCESS_KEY).unwrap_or_default();
            assert!(
                message.contains("SignatureDoesNotMatch"),
                "{}: {err:?}",
                db.backend
            );
            let err = add(
                &cx,
                server(),
                "",
                &source("AKIAXXXXXXXXXXXXXXXX", SECRET, None),
                T0,
            )
            .await
            .unwrap_err();
            let message = err.field(field::ACCESS_KEY_ID).unwrap_or_default();
            assert!(message.contains("InvalidClientTokenId"), "{err:?}");
            let denied = Some("arn:aws:iam::123456789012:role/someone-elses");
            let secret = std::env::var("BERTH_TEST_AWS_AUTH_SECRET").unwrap();
            let err = add(&cx, server(), "", &source(&key_id, &secret, denied), T0)
                .await
                .unwrap_err();
            let message = err.field(field::ROLE_ARN).unwrap_or_default();
            assert!(message.contains("AccessDenied"), "{err:?}");
            assert_eq!(db.count("registry_credential").await, 0);
            assert!(!format!("{err:?}").contains(&secret));
        }
    }

    #[tokio::test]
    async fn a_token_already_expired_is_never_stored() {
        let mut db = TestDb::sqlite().await;
        db.state.aws = emulator(false);
        let cx = db.with_project("ann/web").await.as_admin().await;
        // Today, moto's 2015 token is long dead: a wrong clock or endpoint, not a token.
        let err = add(
            &cx,
            server(),
            "",
            &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 502, "{err:?}");
        assert!(err.to_string().contains("ExpiredOnArrival"), "{err}");
        assert_eq!(db.count("registry_credential").await, 0);
    }

    #[tokio::test]
    async fn a_token_is_refreshed_three_quarters_into_its_life_once_across_replicas() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(false);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let id = add(
                &cx,
                server(),
                "",
                &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
                T0,
            )
            .await
            .unwrap();
            let (nonce, _) = password_of(&db, id).await;

            let early = T0 + time::Duration::hours(8);
            let round = refresh_due(&db.state, "replica-a", early).await.unwrap();
            assert_eq!(round, RoundReport::default(), "{}", db.backend);
            assert_eq!(password_of(&db, id).await.0, nonce, "not yet due");

            let due = T0 + time::Duration::hours(9);
            let (a, b) = tokio::join!(
                refresh_due(&db.state, "replica-a", due),
                refresh_due(&db.state, "replica-b", due)
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.stored + b.stored, 1, "{a:?} {b:?}");
            let state = state_of(&db, id).await;
            assert_eq!(state.token_refreshed_at, Some(due.unix_timestamp()));
            assert_ne!(
                password_of(&db, id).await.0,
                nonce,
                "a new token was sealed"
            );
            // The new token has three hours left: due after three quarters of them.
            assert_eq!(
                state.refresh_due_at,
                Some(due.unix_timestamp() + 3 * 3_600 * 3 / 4)
            );
        }
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_token_says_why_and_backs_off() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(true);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let key_id = std::env::var("BERTH_TEST_AWS_AUTH_KEY_ID").unwrap();
            let secret = std::env::var("BERTH_TEST_AWS_AUTH_SECRET").unwrap();
            let id = add(&cx, server(), "", &source(&key_id, &secret, None), T0)
                .await
                .unwrap();
            let (nonce, token) = password_of(&db, id).await;
            // The key is revoked: AWS no longer knows its ID.
            crate::on_db!(&db.state.db, pool => sqlx::query(
                "update registry_credential set aws_access_key_id = 'AKIAXXXXXXXXXXXXXXXX'"
            )
            .execute(pool)
            .await
            .map(drop))
            .unwrap();

            let due = T0 + time::Duration::hours(9);
            let round = refresh_due(&db.state, "replica-a", due).await.unwrap();
            assert_eq!(round.failed, 1, "{}: {round:?}", db.backend);
            assert_eq!(password_of(&db, id).await, (nonce.clone(), token.clone()));
            let state = state_of(&db, id).await;
            let error = state.refresh_error.clone().unwrap_or_default();
            assert!(error.starts_with("InvalidClientTokenId: "), "{error}");
            assert_eq!(state.refresh_failures, 1);
            assert_eq!(state.refresh_due_at, Some(due.unix_timestamp() + 60));
            let audit = db.audit_details("credential.refresh_failed").await;
            assert_eq!(audit[0]["code"], "InvalidClientTokenId");
            assert!(!audit[0].to_string().contains(&secret));

            // Not due again before the minute is over; then one more failure doubles the wait.
            let soon = due + time::Duration::seconds(30);
            let round = refresh_due(&db.state, "replica-a", soon).await.unwrap();
            assert_eq!(round, RoundReport::default());
            let later = due + time::Duration::seconds(60);
            refresh_due(&db.state, "replica-a", later).await.unwrap();
            let state = state_of(&db, id).await;
            assert_eq!(state.refresh_failures, 2);
            assert_eq!(state.refresh_due_at, Some(later.unix_timestamp() + 120));
        }
    }

    #[tokio::test]
    async fn a_reader_needing_more_life_refreshes_on_demand_and_only_then() {
        let mut db = TestDb::sqlite().await;
        db.state.aws = emulator(false);
        let cx = db.with_project("ann/web").await.as_admin().await;
        let id = add(
            &cx,
            server(),
            "",
            &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
            T0,
        )
        .await
        .unwrap();
        let (nonce, _) = password_of(&db, id).await;
        // Twelve hours left, one needed: nothing to do.
        let left = ensure_fresh(&db.state, id, 3_600, T0).await.unwrap();
        assert_eq!(left, Some(MOTO_EXPIRY));
        assert_eq!(password_of(&db, id).await.0, nonce);
        // Thirty minutes left, one hour needed: minted now (moto's token still ends at the
        // same moment, so the answer is the same expiry, from a new token).
        let late = datetime!(2014-12-31 23:30:00 UTC);
        let left = ensure_fresh(&db.state, id, 3_600, late).await.unwrap();
        assert_eq!(left, Some(MOTO_EXPIRY));
        assert_ne!(password_of(&db, id).await.0, nonce);
        // Not an ECR credential: nothing to say.
        assert_eq!(
            ensure_fresh(&db.state, Uuid::now_v7(), 3_600, T0)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn key_rotation_reseals_the_aws_secret_and_refreshes_go_on() {
        for mut db in TestDb::both().await {
            db.state.aws = emulator(false);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let id = add(
                &cx,
                server(),
                "",
                &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
                T0,
            )
            .await
            .unwrap();
            let new = MasterKey::from_hex(&"5a".repeat(32)).unwrap();
            let old = db.state.key.clone();
            let report = rotation::rotate(&db.state.db, &[&*old], &new)
                .await
                .unwrap();
            assert_eq!((report.resealed, report.left), (2, 0), "{}", db.backend);
            db.state.key = Arc::new(new);
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            let done = refresh(&db.state, &row, T0 + time::Duration::hours(9))
                .await
                .unwrap();
            assert_eq!(done, Refreshed::Stored(MOTO_EXPIRY));
        }
    }

    #[tokio::test]
    async fn an_export_hands_out_a_live_token_and_says_when_it_dies() {
        use crate::domain::pull_secret::ExportRequest;
        use crate::server::rules::pull_secrets;
        for mut db in TestDb::both().await {
            db.state.aws = emulator(true);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let key_id = std::env::var("BERTH_TEST_AWS_AUTH_KEY_ID").unwrap();
            let secret = std::env::var("BERTH_TEST_AWS_AUTH_SECRET").unwrap();
            db.state.clock.set(T0);
            let id = add_new(
                &cx,
                NewEcrCredential::parse(HOST, &key_id, secret.as_str().into(), "".into(), "", "")
                    .unwrap(),
            )
            .await
            .unwrap();

            // Ten minutes before the stored token dies: the export refreshes it first (moto's
            // new token lives until midnight, an hour and a half).
            db.state.clock.set(datetime!(2014-12-31 22:30:00 UTC));
            crate::on_db!(&db.state.db, pool => sqlx::query(
                "update registry_credential set token_expires_at = $1"
            )
            .bind(datetime!(2014-12-31 22:40:00 UTC).unix_timestamp())
            .execute(pool)
            .await
            .map(drop))
            .unwrap();
            let request = ExportRequest::parse("k8s", "1h", "").unwrap();
            let file = pull_secrets::export(&cx, request.clone()).await.unwrap();
            let state = state_of(&db, id).await;
            let refreshed = state.token_refreshed_at.unwrap();
            assert!(
                refreshed >= datetime!(2014-12-31 22:30:00 UTC).unix_timestamp(),
                "{}",
                db.backend
            );
            assert_eq!(
                file.ecr_expires_at,
                vec![(HOST.to_owned(), "2015-01-01T00:00:00Z".to_owned())]
            );
            assert!(
                file.content.contains(&format!(
                    "berth/ecr-expires-at: \"{HOST}=2015-01-01T00:00:00Z\""
                )),
                "{}",
                file.content
            );

            // The key is revoked and the token has minutes left: nothing is exported.
            crate::on_db!(&db.state.db, pool => sqlx::query(
                "update registry_credential set aws_access_key_id = 'AKIAXXXXXXXXXXXXXXXX',
                     token_expires_at = $1"
            )
            .bind(datetime!(2014-12-31 22:35:00 UTC).unix_timestamp())
            .execute(pool)
            .await
            .map(drop))
            .unwrap();
            let exported = db.audit_details("pull_secret.exported").await.len();
            let err = pull_secrets::export(&cx, request).await.unwrap_err();
            assert_eq!(err.status(), 409, "{err:?}");
            assert!(err.to_string().contains("InvalidClientTokenId"), "{err}");
            assert_eq!(
                db.audit_details("pull_secret.exported").await.len(),
                exported
            );
        }
    }

    #[tokio::test]
    async fn the_helpers_login_is_the_live_token_and_a_failing_key_waits_its_backoff() {
        use crate::server::rules::pull_secrets;
        for mut db in TestDb::both().await {
            db.state.aws = emulator(true);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let key_id = std::env::var("BERTH_TEST_AWS_AUTH_KEY_ID").unwrap();
            let secret = std::env::var("BERTH_TEST_AWS_AUTH_SECRET").unwrap();
            db.state.clock.set(T0);
            let id = add_new(
                &cx,
                NewEcrCredential::parse(HOST, &key_id, secret.as_str().into(), "".into(), "", "")
                    .unwrap(),
            )
            .await
            .unwrap();
            let (nonce, _) = password_of(&db, id).await;

            // Any spelling of the host; the kept token, AWS not asked.
            let login = pull_secrets::login(&cx, &format!("https://{HOST}/v2/"))
                .await
                .unwrap();
            assert_eq!(
                (login.username.as_str(), login.secret.as_str()),
                ("AWS", "123456789012-auth-token")
            );
            assert_eq!(login.expires_at.as_deref(), Some("2015-01-01T00:00:00Z"));
            assert_eq!(password_of(&db, id).await.0, nonce, "{}", db.backend);
            let audit = db.audit_details("credential.handed_out").await;
            assert_eq!(audit.len(), 1);
            assert_eq!(audit[0]["expires_at"], "2015-01-01T00:00:00Z");
            assert!(!format!("{login:?}").contains("auth-token"));

            // No credential for a host: said, nothing handed out.
            let err = pull_secrets::login(&cx, "ghcr.io").await.unwrap_err();
            assert_eq!(err.status(), 404, "{err:?}");
            assert!(
                err.to_string().contains("no credentials for ghcr.io"),
                "{err}"
            );
            let err = pull_secrets::login(&cx, "exa mple").await.unwrap_err();
            assert_eq!(err.status(), 422, "{err:?}");

            // Ten minutes left (a pull needs fifteen) and the key revoked: refused with AWS's
            // code, and the failure starts the backoff.
            db.state.clock.set(datetime!(2014-12-31 23:50:00 UTC));
            crate::on_db!(&db.state.db, pool => sqlx::query(
                "update registry_credential set aws_access_key_id = 'AKIAXXXXXXXXXXXXXXXX'"
            )
            .execute(pool)
            .await
            .map(drop))
            .unwrap();
            let err = pull_secrets::login(&cx, HOST).await.unwrap_err();
            assert_eq!(err.status(), 409, "{err:?}");
            let text = err.to_string();
            assert!(text.contains("InvalidClientTokenId"), "{text}");
            assert!(text.contains("within 15 minutes"), "{text}");
            assert!(text.contains("Nothing was handed out"), "{text}");
            assert_eq!(state_of(&db, id).await.refresh_failures, 1);
            // Asked again within the backoff: refused from the store, AWS not called again.
            let err = pull_secrets::login(&cx, HOST).await.unwrap_err();
            assert_eq!(err.status(), 409, "{err:?}");
            assert_eq!(
                state_of(&db, id).await.refresh_failures,
                1,
                "{}",
                db.backend
            );
            // Once the wait is over the next reader tries AWS again.
            db.state.clock.set(datetime!(2014-12-31 23:51:30 UTC));
            pull_secrets::login(&cx, HOST).await.unwrap_err();
            assert_eq!(
                state_of(&db, id).await.refresh_failures,
                2,
                "{}",
                db.backend
            );
            assert_eq!(db.audit_details("credential.handed_out").await.len(), 1);
        }
    }

    #[tokio::test]
    async fn an_ecr_credential_has_no_password_to_edit() {
        use crate::domain::credential::CredentialChange;
        let mut db = TestDb::sqlite().await;
        db.state.aws = emulator(false);
        let cx = db.with_project("ann/web").await.as_admin().await;
        let id = add(
            &cx,
            server(),
            "",
            &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
            T0,
        )
        .await
        .unwrap();
        let before = password_of(&db, id).await;
        let change = CredentialChange::parse(HOST, "someone", "", "typed".into(), "").unwrap();
        let err = super::super::credentials::update(&cx, id, change)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 409);
        assert!(err.to_string().contains("update-ecr-credentials"), "{err}");
        assert_eq!(password_of(&db, id).await, before);
        assert!(db.audit_details("credential.updated").await.is_empty());
    }

    #[tokio::test]
    async fn new_keys_mint_before_they_replace_the_old_and_a_blank_secret_keeps_the_stored_one() {
        use crate::domain::{credential::NewCredential, ecr::EcrChange};
        const NEW_ID: &str = "AKIAI44QH8DHBEXAMPLE";
        const NEW_SECRET: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
        for mut db in TestDb::both().await {
            db.state.aws = emulator(false);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let id = add(
                &cx,
                server(),
                "",
                &source("AKIAIOSFODNN7EXAMPLE", SECRET, None),
                T0,
            )
            .await
            .unwrap();
            let change = |key: &str, secret: &str, role: &str| {
                EcrChange::parse(key, secret.into(), "".into(), role, "").unwrap()
            };
            let keys_of = |state: &AppState, row: &sources::Refreshable| {
                let keys = open_keys(state, row).unwrap();
                (
                    keys.access_key_id,
                    keys.secret_access_key.expose_secret().to_owned(),
                )
            };

            // A new key ID without its secret: said on the secret's field, nothing changed.
            let (nonce, _) = password_of(&db, id).await;
            let err = update(&cx, id, change(NEW_ID, "", "")).await.unwrap_err();
            assert_eq!(err.status(), 422, "{err:?}");
            assert!(
                err.to_string()
                    .contains("enter the secret access key of AKIAI44QH8DHBEXAMPLE"),
                "{err}"
            );
            assert_eq!(password_of(&db, id).await.0, nonce);

            // A rotated key: a token minted with it replaces the old, the new secret is sealed,
            // the audit names the key IDs and never the secret.
            db.state.clock.set(T0 + time::Duration::hours(1));
            update(&cx, id, change(NEW_ID, NEW_SECRET, ""))
                .await
                .unwrap();
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                keys_of(&db.state, &row),
                (NEW_ID.to_owned(), NEW_SECRET.to_owned()),
                "{}",
                db.backend
            );
            assert_ne!(password_of(&db, id).await.0, nonce);
            let state = state_of(&db, id).await;
            assert!(
                state.token_refreshed_at.unwrap()
                    >= (T0 + time::Duration::hours(1)).unix_timestamp()
            );
            let audit = db.audit_details("credential.updated").await;
            assert_eq!(audit.len(), 1);
            assert_eq!(
                audit[0]["before"]["aws_access_key_id"],
                "AKIAIOSFODNN7EXAMPLE"
            );
            assert_eq!(audit[0]["after"]["aws_access_key_id"], NEW_ID);
            assert_eq!(audit[0]["secret_changed"], true);
            assert!(!audit[0].to_string().contains(NEW_SECRET));

            // The same key with a blank secret and a role: the stored secret stays, the role
            // is used from now on.
            let role = "arn:aws:iam::123456789012:role/puller";
            update(&cx, id, change(NEW_ID, "", role)).await.unwrap();
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                keys_of(&db.state, &row),
                (NEW_ID.to_owned(), NEW_SECRET.to_owned())
            );
            assert_eq!(row.aws_role_arn.as_deref(), Some(role));
            assert_eq!(
                db.audit_details("credential.updated").await[1]["secret_changed"],
                false
            );

            // A credential that holds a password has no keys to change; another project's
            // credential is not there.
            let plain = super::super::credentials::add(
                &cx,
                NewCredential::parse("other", "ghcr.io", "ci", "", "pw".into(), "").unwrap(),
            )
            .await
            .unwrap();
            let err = update(&cx, plain, change(NEW_ID, NEW_SECRET, ""))
                .await
                .unwrap_err();
            assert_eq!(err.status(), 409, "{err:?}");
            let other = db.with_project("bob/api").await.as_admin().await;
            let err = update(&other, id, change(NEW_ID, NEW_SECRET, ""))
                .await
                .unwrap_err();
            assert_eq!(err.status(), 404, "{err:?}");

            // Keys AWS refuses: the form's error with AWS's code, the working keys stay.
            db.state.aws = emulator(true);
            let cx = db.with_project("ann/web").await.as_admin().await;
            let (nonce, _) = password_of(&db, id).await;
            let err = update(&cx, id, change("AKIAXXXXXXXXXXXXXXXX", NEW_SECRET, ""))
                .await
                .unwrap_err();
            assert_eq!(err.status(), 422, "{err:?}");
            assert!(err.to_string().contains("InvalidClientTokenId"), "{err}");
            let row = sources::refreshable(&db.state.db, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(keys_of(&db.state, &row).0, NEW_ID, "{}", db.backend);
            assert_eq!(password_of(&db, id).await.0, nonce);
            assert_eq!(db.audit_details("credential.updated").await.len(), 2);
        }
    }

    #[tokio::test]
    async fn adding_is_throttled_per_project_before_aws_is_asked() {
        let mut db = TestDb::sqlite().await;
        db.state.aws = emulator(false);
        let cx = db.with_project("ann/web").await.as_admin().await;
        for n in 0..ADDS_PER_HOUR {
            let host = format!("1234567890{n:02}.dkr.ecr.eu-west-1.amazonaws.com");
            let source = EcrSource {
                host: EcrHost::parse(&host).unwrap(),
                ..source("AKIAIOSFODNN7EXAMPLE", SECRET, None)
            };
            add(&cx, (&host, &host), "", &source, T0).await.unwrap();
        }
        let host = "123456789099.dkr.ecr.eu-west-1.amazonaws.com";
        let source = EcrSource {
            host: EcrHost::parse(host).unwrap(),
            ..source("AKIAIOSFODNN7EXAMPLE", SECRET, None)
        };
        let err = add(&cx, (host, host), "", &source, T0).await.unwrap_err();
        assert_eq!(err.status(), 429, "{err:?}");
        assert_eq!(db.count("registry_credential").await, ADDS_PER_HOUR);
    }

    #[test]
    fn refresh_and_retry_times() {
        assert_eq!(due_at(1_000, 1_000 + 43_200), 1_000 + 32_400);
        assert_eq!(
            due_at(1_000, 500),
            1_000,
            "an expiry in the past is due at once"
        );
        assert_eq!(retry_at(0, 1), 60);
        assert_eq!(retry_at(0, 2), 120);
        assert_eq!(retry_at(0, 6), 1_920);
        assert_eq!(retry_at(0, 7), 3_600);
        assert_eq!(retry_at(0, 1_000), 3_600);
    }
}
