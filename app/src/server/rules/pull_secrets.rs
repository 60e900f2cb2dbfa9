//! Pull secrets and the credential helper's logins: the only ways a stored registry password
//! leaves Berth (`login` hands out one at a time, audited each time). An export opens every
//! credential of the project, adds a pull-only KCR entry that expires (a project token with
//! only `registry:pull`, marked as a pull secret's), and writes a `.dockerconfigjson` or a
//! Kubernetes `Secret`. Who may: the project's admins, and project tokens holding
//! `pull-secrets:export` (`Cx::in_project` with `ProjectAction::ExportPullSecrets`). Each
//! export is audited with the credential IDs that went out, stamps them "last exported", and
//! counts against a per-project hourly limit.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use crate::domain::{
    credential::field,
    pull_secret::{
        ExportPreview, ExportRequest, Format, PullSecret, RegistryLogin, default_secret_name,
    },
    registry::{DOCKER_HUB_HOST, canonical_host},
    token::{Scope, TokenKind},
    when,
};
use crate::error::AppError;
use crate::server::{
    auth::throttle,
    crypto::secrets,
    cx::ProjectCx,
    db::{
        access_tokens::Owner,
        credential_sources::{self as sources, ECR},
        credentials::{self, Credential},
    },
    rules::{
        credential_sources,
        tokens::{self, Issue},
    },
};

/// Exports per project per hour.
pub const EXPORTS_PER_HOUR: i64 = 60;

/// The username of the KCR entry (a project token takes any).
pub const KCR_USERNAME: &str = "berth-pull-secret";

/// The auth-file key of a registry host: Docker Hub's is the legacy URL docker and Kubernetes
/// look up (podman and skopeo read it too); any other is the bare host.
fn auth_key(host: &str) -> String {
    if host == DOCKER_HUB_HOST {
        "https://index.docker.io/v1/".into()
    } else {
        host.to_owned()
    }
}

fn entry(username: &str, password: &str, email: &str) -> serde_json::Value {
    let mut value = serde_json::json!({
        "username": username,
        "password": password,
        "auth": B64.encode(format!("{username}:{password}")),
    });
    if !email.is_empty() {
        value["email"] = serde_json::Value::String(email.to_owned());
    }
    value
}

/// Opens `credential`'s sealed password for handing out; one sealed under a key this server
/// lacks (during a key rotation a replica may hold only the other key) is a conflict whose
/// message ends with `outcome`.
fn open_password(
    cx: &ProjectCx,
    credential: &Credential,
    sealed: &secrets::Sealed,
    outcome: &str,
) -> Result<secrecy::SecretString, AppError> {
    secrets::open(&[&cx.state.key], sealed, credential.id, cx.project.id).map_err(|err| {
        tracing::error!(credential.id = %credential.id, error = ?err, "cannot open a credential to hand it out");
        AppError::conflict(
            "credential",
            format!(
                "The password of credentials {} is sealed under a key this server does not hold (a key rotation is under way?). Finish it with `berth secrets rotate-key`, {outcome}.",
                credential.id
            ),
        )
    })
}

/// What an export of the project would hold (no password is opened).
pub async fn preview(cx: &ProjectCx) -> Result<ExportPreview, AppError> {
    let (kcr, credentials): (Vec<_>, Vec<_>) = credentials::all(&cx.state.db, cx.project.id)
        .await?
        .into_iter()
        .partition(|c| cx.state.settings.is_kcr_host(&c.registry_host));
    let ecr_expires_at = credentials
        .iter()
        .filter(|c| c.source == crate::server::db::credential_sources::ECR)
        .filter_map(|c| Some((c.server.clone(), when::rfc3339_secs(c.token_expires_at?))))
        .collect();
    Ok(ExportPreview {
        ecr_expires_at,
        project: cx.header(),
        credentials: credentials
            .into_iter()
            .map(|c| (c.server, c.username))
            .collect(),
        left_out: kcr.into_iter().map(|c| c.server).collect(),
        kcr_host: kcr_host(cx),
        default_secret_name: default_secret_name(&cx.project.owner_name, &cx.project.name),
    })
}

fn kcr_host(cx: &ProjectCx) -> Option<String> {
    cx.state
        .settings
        .regions
        .iter()
        .find(|r| r.name == cx.project.region)
        .map(|r| r.kcr_host.clone())
}

/// Builds, records and returns the project's pull secret.
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, caller = %cx.caller), err)]
pub async fn export(cx: &ProjectCx, request: ExportRequest) -> Result<PullSecret, AppError> {
    throttle::count(
        &cx.state.db,
        &format!("pull-secret:{}", cx.project.id),
        EXPORTS_PER_HOUR,
        3_600,
    )
    .await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let kcr_host = kcr_host(cx);
    let ecr = fresh_ecr_tokens(cx).await?;

    // Opened before the transaction: a row sealed under a key this server lacks stops the
    // export before anything is written.
    let mut auths = serde_json::Map::new();
    let mut ids = Vec::new();
    for (credential, sealed) in credentials::all_sealed(&cx.state.db, cx.project.id).await? {
        // KCR takes the pull-only token below, never a stored password (see `preview`).
        if cx.state.settings.is_kcr_host(&credential.registry_host) {
            continue;
        }
        let password = open_password(
            cx,
            &credential,
            &sealed,
            "then export again; nothing was exported",
        )?;
        auths.insert(
            auth_key(&credential.registry_host),
            entry(
                &credential.username,
                password.expose_secret(),
                &credential.email,
            ),
        );
        ids.push(credential.id);
    }
    let ecr_expires_at: Vec<(String, String)> = ecr
        .iter()
        .map(|(host, at)| (auth_key(host), when::rfc3339_secs(*at)))
        .collect();

    let expires_at = now + request.kcr_ttl_secs;
    let by = cx.caller.label();
    let project = format!("{}/{}", cx.project.owner_name, cx.project.name);
    let mut tx = cx.state.db.begin().await?;
    crate::server::db::access_tokens::revoke_expired_pull_secrets(&mut tx, cx.project.id, now)
        .await?;
    let kcr = match kcr_host.as_ref() {
        Some(host) => {
            // Unique among the project's live tokens; the list shows when and by whom.
            let name = format!(
                "pull secret {}",
                &uuid::Uuid::now_v7().simple().to_string()[24..]
            );
            let made = tokens::insert(
                &mut tx,
                &Issue {
                    owner: Owner::Project(cx.project.id),
                    kind: TokenKind::Project,
                    name: &name,
                    scopes: &[Scope::RegistryPull],
                    created_by: cx.caller.user().map(|u| u.id),
                    expires_at: Some(expires_at),
                    pull_secret: true,
                    // Revoking the token that exported revokes this one too.
                    made_by_token: cx.caller.token().map(|t| t.id),
                },
            )
            .await?;
            auths.insert(host.clone(), entry(KCR_USERNAME, &made.text, ""));
            Some((host.clone(), made.id, name))
        }
        None => None,
    };
    for id in &ids {
        credentials::mark_exported(&mut tx, cx.project.id, *id, now, &by).await?;
    }
    cx.audit(
        &mut tx,
        "pull_secret.exported",
        &project,
        serde_json::json!({
            "credential_ids": ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "format": request.format.as_str(),
            "kcr": kcr.as_ref().map(|(host, id, name)| serde_json::json!({
                "host": host,
                "token_id": id.to_string(),
                "token_name": name,
                "expires_at": when::rfc3339_secs(expires_at),
            })),
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        credentials = ids.len(),
        format = request.format.as_str(),
        "pull secret exported"
    );

    let config = serde_json::json!({ "auths": auths });
    let config = serde_json::to_string_pretty(&config).map_err(|_| AppError::Internal)?;
    let name = request
        .secret_name
        .unwrap_or_else(|| default_secret_name(&cx.project.owner_name, &cx.project.name));
    let (content, file_name, content_type) = match request.format {
        Format::Dockerconfigjson => (config + "\n", format!("{name}.json"), "application/json"),
        Format::K8s => (
            k8s_secret(&name, &project, &config, expires_at, &ecr_expires_at),
            format!("{name}.yaml"),
            "application/yaml",
        ),
    };
    Ok(PullSecret {
        file_name,
        content_type: content_type.into(),
        content,
        credential_ids: ids.iter().map(ToString::to_string).collect(),
        kcr_host: kcr.map(|(host, _, _)| host),
        kcr_expires_at: when::rfc3339_secs(expires_at),
        ecr_expires_at,
    })
}

/// How long an exported ECR password must still work: a file that dies within the hour is
/// not worth handing out, so its token is refreshed first.
pub const ECR_MIN_LIFE_SECS: i64 = 3_600;

/// Makes sure every ECR credential of the project has a token good for
/// [`ECR_MIN_LIFE_SECS`] (refreshing the ones that do not) and answers each one's host and
/// expiry; a token that cannot be refreshed in time refuses the export, with AWS's reason.
async fn fresh_ecr_tokens(cx: &ProjectCx) -> Result<Vec<(String, i64)>, AppError> {
    let now = cx.state.clock.now();
    let mut hosts = Vec::new();
    for credential in credentials::all(&cx.state.db, cx.project.id).await? {
        if credential.source != ECR || cx.state.settings.is_kcr_host(&credential.registry_host) {
            continue;
        }
        let expires_at =
            fresh_ecr_token(cx, &credential, ECR_MIN_LIFE_SECS, now, "exported").await?;
        hosts.push((credential.registry_host, expires_at));
    }
    Ok(hosts)
}

/// Makes sure ECR credential `credential` has a token good for `need` seconds at `now`,
/// refreshing it if not; answers its expiry. A token that cannot be refreshed in time is a
/// conflict with AWS's reason, saying nothing was `done` ("exported", "handed out").
async fn fresh_ecr_token(
    cx: &ProjectCx,
    credential: &Credential,
    need: i64,
    now: OffsetDateTime,
    done: &str,
) -> Result<i64, AppError> {
    let expires_at = credential_sources::ensure_fresh(&cx.state, credential.id, need, now)
        .await?
        .unwrap_or(0);
    if expires_at - now.unix_timestamp() >= need {
        return Ok(expires_at);
    }
    let state = sources::token_state(&cx.state.db, credential.id).await?;
    let retry = state
        .as_ref()
        .and_then(|s| s.refresh_due_at)
        .map(|at| format!(" (Berth tries again at {})", when::rfc3339_secs(at)))
        .unwrap_or_default();
    let why = match state.and_then(|s| s.refresh_error) {
        Some(error) => format!(
            "refreshing it failed ({error}){retry}; fix the AWS keys or role (`berth docker update-ecr-credentials`)"
        ),
        None => {
            "even the token AWS just issued ends then: is this server's clock right?".to_owned()
        }
    };
    let within = if need >= 3_600 {
        "within the hour".to_owned()
    } else {
        format!("within {} minutes", need / 60)
    };
    Err(AppError::conflict(
        "credential",
        format!(
            "The Amazon ECR password of {} stops working at {}, {within}: {why}. Nothing was {done}.",
            credential.registry_host,
            when::rfc3339_secs(expires_at),
        ),
    ))
}

/// How long an ECR password the credential helper hands out must still work: a pull or a
/// push, not a deploy's lifetime (the helper is asked again for the next one).
pub const LOGIN_MIN_LIFE_SECS: i64 = 15 * 60;

/// Helper logins per caller and project per hour: the limit bounds what a runaway job writes
/// to the audit log (an ECR token comes from the store; AWS is called only when it is about
/// to end).
pub const LOGINS_PER_HOUR: i64 = 10_000;

/// The login `docker-credential-berth get` hands out for `server`: the project's credential
/// for that host (for Amazon ECR, its current token, refreshed first when it has less than
/// [`LOGIN_MIN_LIFE_SECS`] left). Who may: as for an export. Each one is audited
/// (`credential.handed_out`) and stamps the credential "last exported".
#[tracing::instrument(skip_all, fields(project.id = %cx.project.id, caller = %cx.caller), err)]
pub async fn login(cx: &ProjectCx, server: &str) -> Result<RegistryLogin, AppError> {
    let host = canonical_host(server).map_err(|e| AppError::invalid(field::SERVER, e))?;
    if cx.state.settings.is_kcr_host(&host) {
        return Err(AppError::conflict(
            "credential",
            format!(
                "{host} is KCR: its login is your Berth token (`berth auth container-registry configure`), not a stored password."
            ),
        ));
    }
    let mut tx = cx.state.db.begin().await?;
    let found = match credentials::id_for_host(&mut tx, cx.project.id, &host).await? {
        Some(id) => credentials::find(&mut tx, cx.project.id, id).await?,
        None => None,
    };
    tx.commit().await?;
    let credential = found.ok_or_else(|| {
        AppError::NotFound(format!(
            "{}/{} has no credentials for {host}.",
            cx.project.owner_name, cx.project.name
        ))
    })?;
    // Per caller: one runaway job uses up its own logins, not every deploy's of the project.
    let caller = match (cx.caller.token(), cx.caller.user()) {
        (Some(token), _) => token.id.to_string(),
        (None, Some(user)) => user.id.to_string(),
        (None, None) => "anonymous".to_owned(),
    };
    throttle::count(
        &cx.state.db,
        &format!("registry-login:{}:{caller}", cx.project.id),
        LOGINS_PER_HOUR,
        3_600,
    )
    .await?;
    let now = cx.state.clock.now();
    let expires_at = if credential.source == ECR {
        Some(fresh_ecr_token(cx, &credential, LOGIN_MIN_LIFE_SECS, now, "handed out").await?)
    } else {
        None
    };
    let sealed = credentials::sealed(&cx.state.db, credential.id)
        .await?
        .filter(|(project, _)| *project == cx.project.id)
        .map(|(_, sealed)| sealed)
        .ok_or_else(crate::server::rules::credentials::not_found)?;
    let password = open_password(
        cx,
        &credential,
        &sealed,
        "then ask again; nothing was handed out",
    )?;
    let mut tx = cx.state.db.begin().await?;
    credentials::mark_exported(
        &mut tx,
        cx.project.id,
        credential.id,
        now.unix_timestamp(),
        &cx.caller.label(),
    )
    .await?;
    cx.audit(
        &mut tx,
        "credential.handed_out",
        &credential.id.to_string(),
        serde_json::json!({
            "server": credential.server,
            "to": "credential helper",
            "expires_at": expires_at.map(when::rfc3339_secs),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(RegistryLogin {
        registry_host: credential.registry_host,
        username: credential.username,
        secret: password.expose_secret().to_owned(),
        expires_at: expires_at.map(when::rfc3339_secs),
    })
}

/// A Kubernetes `Secret` manifest holding `config` (names and dates need no YAML quoting
/// beyond the double quotes: they are validated names and RFC 3339 times).
fn k8s_secret(
    name: &str,
    project: &str,
    config: &str,
    kcr_expires_at: i64,
    ecr_expires_at: &[(String, String)],
) -> String {
    // `HOST=TIME` pairs, earliest first: when the first ECR entry dies, the file must be
    // exported again.
    let mut ecr: Vec<&(String, String)> = ecr_expires_at.iter().collect();
    ecr.sort_by(|a, b| a.1.cmp(&b.1));
    let ecr = if ecr.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = ecr.iter().map(|(h, at)| format!("{h}={at}")).collect();
        format!("    berth/ecr-expires-at: \"{}\"\n", pairs.join(","))
    };
    format!(
        "apiVersion: v1\n\
         kind: Secret\n\
         metadata:\n  \
           name: \"{name}\"\n  \
           annotations:\n    \
             berth/project: \"{project}\"\n    \
             berth/kcr-expires-at: \"{}\"\n\
         {ecr}\
         type: kubernetes.io/dockerconfigjson\n\
         data:\n  \
           .dockerconfigjson: {}\n",
        when::rfc3339_secs(kcr_expires_at),
        B64.encode(config.as_bytes()),
    )
}
