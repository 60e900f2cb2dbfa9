//! Reading the audit log: an organization's (its admins and owners) and a project's (its
//! admins). Newest first, pages of 50, optionally one action only.

use leptos::prelude::*;

use crate::domain::audit::AuditPage;
use crate::error::AppError;

/// A page of the organization's audit log, which includes its projects' changes.
#[server(endpoint = "org_audit_log", input = server_fn::codec::GetUrl)]
pub async fn org_audit_log(
    org: String,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::domain::role::OrgAction;
    use crate::server::{access, ctx, db::audit_events::Scope};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access = access::org(&state.db, me.id, &org, OrgAction::ManageMembers).await?;
    read_page(&state.db, Scope::Org(access.org.id), before, action).await
}

/// A page of the project's audit log.
#[server(endpoint = "project_audit_log", input = server_fn::codec::GetUrl)]
pub async fn project_audit_log(
    owner: String,
    name: String,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::domain::role::ProjectAction;
    use crate::server::{access, ctx, db::audit_events::Scope};

    let state = ctx::state()?;
    let (_, me) = ctx::require_user().await?;
    let access =
        access::project(&state.db, me.id, &owner, &name, ProjectAction::Administer).await?;
    read_page(&state.db, Scope::Project(access.project.id), before, action).await
}

#[cfg(feature = "ssr")]
async fn read_page(
    db: &crate::server::db::Db,
    scope: crate::server::db::audit_events::Scope,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::domain::audit::{AuditEntry, PAGE_SIZE};
    use crate::server::db::audit_events;

    let before = match before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(cursor) => Some(
            uuid::Uuid::parse_str(cursor)
                .map_err(|_| AppError::invalid("before", "That page cursor is not valid."))?,
        ),
        None => None,
    };
    let action = action
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let mut rows =
        audit_events::page(db, scope, before, action.as_deref(), PAGE_SIZE as i64 + 1).await?;
    let next = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows.last().map(|r| r.id.to_string())
    });
    let format = time::format_description::well_known::Rfc3339;
    Ok(AuditPage {
        entries: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id.to_string(),
                at: r.at.format(&format).unwrap_or_default(),
                actor: r.actor,
                action: r.action,
                target: r.target,
                details: r.details,
                client_addr: r.client_addr,
            })
            .collect(),
        next: next.flatten(),
    })
}
