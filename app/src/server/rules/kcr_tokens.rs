//! KCR's token service: what a registry client authenticated by an access token may do in the
//! repositories it names, as a short-lived token the registry trusts. The rules themselves are
//! `domain::kcr_access`; this looks up the caller's standing per repository, drops the actions
//! it may not have (the registry then answers `insufficient_scope`, as the token spec asks),
//! records denials in the project's or organization's audit log, and signs.

use std::net::IpAddr;

use serde_json::json;
use uuid::Uuid;

use crate::domain::{
    kcr_access::{self, RepoKind, RequestedScope, Standing},
    region::Region,
};
use crate::error::AppError;
use crate::server::{
    auth::bearer::{Holder, TokenCaller},
    cx::{Caller, Cx, PROJECT_TOKEN_ROLE},
    db::{orgs, projects},
    kcr::{
        denials::{Denial, Summary},
        signing::{Signer, TOKEN_SECS, now_secs},
    },
    state::AppState,
};

/// The `iss` of every KCR token, and the registry's `auth.token.issuer`.
pub const ISSUER: &str = "berth";

/// What a client asked for.
#[derive(Debug)]
pub struct TokenRequest {
    /// The registry's service name: a region's KCR host.
    pub service: String,
    /// The scopes asked for (none: a login check).
    pub scopes: Vec<RequestedScope>,
}

/// A signed registry token.
pub struct Issued {
    /// The JWT.
    pub token: String,
    /// Seconds it lives.
    pub expires_in: i64,
    /// When it was signed (Unix seconds).
    pub issued_at: i64,
    /// What it grants, as scopes (`repository:NAME:pull,push`), space-separated.
    pub scope: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("token", &"[redacted]")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The region whose registry calls itself `service`.
pub fn region_for<'a>(state: &'a AppState, service: &str) -> Result<&'a Region, AppError> {
    state
        .settings
        .regions
        .iter()
        .find(|r| r.kcr_host == service)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "\"{service}\" is not a KCR service of this Berth; the registry's auth.token.service must be one of its regions' KCR hosts."
            ))
        })
}

/// A repository as the caller stands toward it, with where its audit entries go.
struct Found {
    standing: Standing,
    org_id: Option<Uuid>,
    project_id: Option<Uuid>,
}

impl Found {
    fn nothing() -> Self {
        Self {
            standing: Standing::NONE,
            org_id: None,
            project_id: None,
        }
    }
}

/// How `caller` stands toward repository `name` of `region`'s KCR.
async fn standing(
    state: &AppState,
    caller: &TokenCaller,
    region: &str,
    name: &str,
) -> Result<Found, AppError> {
    let (owner, rest) = kcr_access::split_repository(name);
    let person = match &caller.holder {
        Holder::Person(user) => Some(user.id),
        Holder::Project(_) => None,
    };
    // `OWNER/PROJECT/IMAGE…` is a project's or nobody's; `ORG/IMAGE` the organization's own.
    // The two never overlap, so no project name can reach the shared images, and no shared
    // name is left to a project deleted or renamed.
    if rest.len() >= 2 {
        let found =
            projects::find_for_user(&state.db, owner, rest[0], person.unwrap_or(Uuid::nil()))
                .await?;
        let Some((project, role)) = found else {
            return Ok(Found::nothing());
        };
        if project.region != region {
            // A project of another region: its name under this host reaches nothing.
            return Ok(Found::nothing());
        }
        let role = match &caller.holder {
            Holder::Person(_) => role,
            Holder::Project(id) => (*id == project.id).then_some(PROJECT_TOKEN_ROLE),
        };
        return Ok(Found {
            standing: Standing {
                kind: RepoKind::Project,
                project_role: role,
                ..Standing::NONE
            },
            org_id: project.org_id,
            project_id: Some(project.id),
        });
    }
    if rest.len() != 1 {
        return Ok(Found::nothing());
    }
    let Some((org, org_role)) =
        orgs::find_for_user(&state.db, owner, person.unwrap_or(Uuid::nil())).await?
    else {
        return Ok(Found::nothing());
    };
    if !orgs::regions(&state.db, org.id)
        .await?
        .iter()
        .any(|r| r == region)
    {
        return Ok(Found::nothing());
    }
    let in_org_project = match &caller.holder {
        Holder::Person(user) => {
            projects::member_in_region(&state.db, owner, region, user.id).await?
        }
        Holder::Project(id) => projects::by_id(&state.db, *id)
            .await?
            .is_some_and(|p| p.owner_name == org.name && p.region == region),
    };
    Ok(Found {
        standing: Standing {
            kind: RepoKind::OrgShared,
            project_role: None,
            org_role: match &caller.holder {
                Holder::Person(_) => org_role,
                Holder::Project(_) => None,
            },
            in_org_project,
        },
        org_id: Some(org.id),
        project_id: None,
    })
}

/// Signs a token for `caller` granting what it may have of `request`'s scopes.
#[tracing::instrument(level = "debug", skip_all, fields(token.id = %caller.id, service = %request.service), err)]
pub async fn issue(
    state: &AppState,
    signer: &Signer,
    caller: TokenCaller,
    address: IpAddr,
    request: TokenRequest,
) -> Result<Issued, AppError> {
    let region = region_for(state, &request.service)?.clone();
    let mut access = Vec::new();
    let mut scope_text = Vec::new();
    let mut denials: Vec<Denial> = Vec::new();
    for scope in &request.scopes {
        let RequestedScope::Repository { name, actions } = scope else {
            // `registry:catalog:*` and other resource types: Berth's own, never a client's.
            continue;
        };
        let found = standing(state, &caller, &region.name, name).await?;
        let granted = kcr_access::grant(&found.standing, Some(&caller.scopes), actions);
        if granted.len() < actions.len() && found.standing.is_member() {
            let denied: Vec<&'static str> = actions
                .iter()
                .filter(|a| !granted.contains(a))
                .map(|a| a.as_str())
                .collect();
            let place = (found.org_id, found.project_id);
            match denials.iter_mut().find(|d| d.place == place) {
                Some(d) => d.repositories.push((name.clone(), denied)),
                None => denials.push(Denial {
                    place,
                    repositories: vec![(name.clone(), denied)],
                }),
            }
        }
        if !granted.is_empty() {
            let names: Vec<&str> = granted.iter().map(|a| a.as_str()).collect();
            scope_text.push(format!("repository:{name}:{}", names.join(",")));
            access.push(json!({ "type": "repository", "name": name, "actions": names }));
        }
    }
    if !denials.is_empty() {
        let record = state
            .kcr_denials
            .note(&caller, address, now_secs(), denials);
        if !record.is_empty()
            && let Err(err) = record_denials(state, &caller, address, &record).await
        {
            state.kcr_denials.forget(&caller, &record);
            return Err(err);
        }
    }
    let now = now_secs();
    let claims = json!({
        "iss": ISSUER,
        "sub": caller.id.to_string(),
        "aud": region.kcr_host,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_SECS,
        "jti": Uuid::now_v7().simple().to_string(),
        "access": access,
    });
    let token = signer.key().sign(&claims).map_err(|e| {
        tracing::error!(error = %e, "signing a KCR token failed");
        AppError::Internal
    })?;
    Ok(Issued {
        token,
        expires_in: TOKEN_SECS,
        issued_at: now,
        scope: scope_text.join(" "),
    })
}

/// Records that a member asked for more than they may have: one audit entry per request and
/// place, however many scopes it named (strangers are only logged: they must not be able to
/// write into another organization's audit log). Only denials new in the caller's window come
/// here; repeats are counted by `kcr::denials` and summarised by [`close_denials`].
async fn record_denials(
    state: &AppState,
    caller: &TokenCaller,
    address: IpAddr,
    denials: &[Denial],
) -> Result<(), AppError> {
    let cx = Cx {
        state: state.clone(),
        caller: Caller::Token(caller.clone()),
        address,
    };
    let mut tx = state.db.begin().await?;
    for denial in denials {
        let target: Vec<&str> = denial
            .repositories
            .iter()
            .map(|(r, _)| r.as_str())
            .collect();
        let denied: serde_json::Map<String, serde_json::Value> = denial
            .repositories
            .iter()
            .map(|(r, d)| (r.clone(), json!(d)))
            .collect();
        tracing::info!(token.id = %caller.id, repositories = ?target, "KCR actions denied");
        cx.audit(
            &mut tx,
            denial.place,
            "kcr.access_denied",
            &target.join(" "),
            json!({ "denied": denied }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Writes the summaries of the denial windows that have closed by now (all of them with
/// `everything`, at shutdown); returns how many entries it wrote. What cannot be written is
/// kept for the next round.
pub async fn close_denials(state: &AppState, everything: bool) -> Result<usize, AppError> {
    let closed = state.kcr_denials.take_closed(now_secs(), everything);
    match write_summaries(state, &closed).await {
        Ok(written) => Ok(written),
        Err(err) => {
            state.kcr_denials.put_back(closed);
            Err(err)
        }
    }
}

/// One audit entry per summary: what came again in the window and how often, and what came
/// past the per-window bound.
async fn write_summaries(state: &AppState, summaries: &[Summary]) -> Result<usize, AppError> {
    if summaries.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin().await?;
    for s in summaries {
        let cx = Cx {
            state: state.clone(),
            caller: Caller::Token(s.caller.clone()),
            address: s.address,
        };
        let names: std::collections::BTreeSet<&str> = s
            .repeated
            .keys()
            .map(|(r, _)| r.as_str())
            .chain(s.unrecorded_repositories.iter().map(String::as_str))
            .collect();
        let names: Vec<&str> = names.into_iter().collect();
        let repeated: Vec<serde_json::Value> = s
            .repeated
            .iter()
            .map(|((repository, actions), times)| {
                json!({ "repository": repository, "actions": actions, "times": times })
            })
            .collect();
        let mut details = json!({
            "repeated": repeated,
            "from": crate::domain::when::rfc3339_secs(s.from),
            "to": crate::domain::when::rfc3339_secs(s.to),
        });
        if s.unrecorded > 0 {
            details["also_denied"] = json!({
                "times": s.unrecorded,
                "repositories": s.unrecorded_repositories,
            });
        }
        if s.elsewhere > 0 {
            details["denied_elsewhere"] = json!(s.elsewhere);
        }
        if s.tokens.len() > 1 || !s.tokens.contains(&s.caller.name) {
            details["tokens"] = json!(s.tokens);
        }
        cx.audit(
            &mut tx,
            s.place,
            "kcr.access_denied",
            &names.join(" "),
            details,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(summaries.len())
}
