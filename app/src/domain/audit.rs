//! The audit log as pages show it.

use serde::{Deserialize, Serialize};

use crate::domain::{org::OrgHeader, project::ProjectHeader};

/// Entries per page of the audit log.
pub const PAGE_SIZE: usize = 50;

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Event ID; also the cursor for the next page.
    pub id: String,
    /// When, as RFC 3339 UTC.
    pub at: String,
    /// Who, if the account still exists.
    pub actor: Option<String>,
    /// The access token the change was made with, by name.
    pub token: Option<String>,
    /// What happened, e.g. `project.member_added`.
    pub action: String,
    /// What it happened to.
    pub target: String,
    /// Before/after of non-secret fields, as JSON text.
    pub details: String,
    /// The client address.
    pub client_addr: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Up to [`PAGE_SIZE`] entries.
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
    /// Whose log it is.
    pub of: AuditOf,
}

/// Whose audit log a page is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOf {
    /// An organization's, with its projects' changes.
    Org(OrgHeader),
    /// One project's.
    Project(ProjectHeader),
}
