//! Reading the audit log: an organization's (its admins and owners) and a project's (its
//! admins). Newest first, pages of 50, optionally one action only.

use leptos::prelude::*;

use crate::domain::audit::AuditPage;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{
        audit::AuditOf,
        role::{OrgAction, ProjectAction},
    },
    server::{cx::Cx, db::audit_events::Scope, rules::audit},
};

/// A page of the organization's audit log, which includes its projects' changes.
#[server(endpoint = "org_audit_log", input = server_fn::codec::GetUrl)]
pub async fn org_audit_log(
    org: String,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
    let cx = Cx::org(&org, OrgAction::ManageMembers).await?;
    let of = AuditOf::Org(cx.header());
    audit::page(&cx.state.db, Scope::Org(cx.org.id), of, before, action).await
}

/// A page of the project's audit log.
#[server(endpoint = "project_audit_log", input = server_fn::codec::GetUrl)]
pub async fn project_audit_log(
    owner: String,
    name: String,
    before: Option<String>,
    action: Option<String>,
) -> Result<AuditPage, AppError> {
    let cx = Cx::project(&owner, &name, ProjectAction::Administer).await?;
    let of = AuditOf::Project(cx.header());
    audit::page(
        &cx.state.db,
        Scope::Project(cx.project.id),
        of,
        before,
        action,
    )
    .await
}
