//! Reading the audit log: an organization's (its admins and owners; it includes its projects'
//! changes) and a project's (its admins). Newest first, pages of 50, optionally one action.

use crate::domain::audit::{AuditEntry, AuditOf, AuditPage, PAGE_SIZE};
use crate::error::AppError;
use crate::server::db::{
    Db,
    audit_events::{self, Scope},
};

/// One page of the log in `scope`, newest first, before the event `before`, optionally of one
/// action only.
pub async fn page(
    db: &Db,
    scope: Scope,
    of: AuditOf,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
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
                by_berth: r.no_actor && r.token_name.is_none(),
                actor_gone: !r.no_actor && r.actor.is_none(),
                actor: r.actor,
                token: r.token_name,
                action: r.action,
                target: r.target,
                details: r.details,
                client_addr: r.client_addr,
            })
            .collect(),
        next: next.flatten(),
        of,
    })
}
