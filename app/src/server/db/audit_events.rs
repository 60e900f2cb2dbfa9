//! Reading the audit log: newest first, keyset pages (the IDs are UUIDv7, so ordering by ID is
//! ordering by time), optionally one action only.

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::on_db;
use crate::server::db::Db;

/// One recorded change.
#[derive(Clone, Debug)]
pub struct AuditRow {
    /// Event ID (UUIDv7).
    pub id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it (their current username), if the account still exists.
    pub actor: Option<String>,
    /// No person made it (Berth itself, or a project token: see `token_name`).
    pub no_actor: bool,
    /// The access token it was made with, by name.
    pub token_name: Option<String>,
    /// What happened.
    pub action: String,
    /// What it happened to.
    pub target: String,
    /// Before/after of non-secret fields, as JSON text.
    pub details: String,
    /// The client address of the request.
    pub client_addr: Option<String>,
}
from_row!(AuditRow {
    id,
    at,
    actor,
    no_actor,
    token_name,
    action,
    target,
    details,
    client_addr
});

/// Whose log to read.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// An organization's: its own changes and those of its projects.
    Org(Uuid),
    /// One project's.
    Project(Uuid),
}

/// Up to `limit` events of `scope` older than `before`, newest first.
pub async fn page(
    db: &Db,
    scope: Scope,
    before: Option<Uuid>,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let (column, id) = match scope {
        Scope::Org(id) => ("org_id", id),
        Scope::Project(id) => ("project_id", id),
    };
    let sql = format!(
        "select e.id, e.at, u.username as actor, e.actor_id is null as no_actor, e.token_name, e.action, e.target, e.details, e.client_addr
         from audit_event e left join app_user u on u.id = e.actor_id
         where e.{column} = $1 and ($2 is null or e.id < $2) and ($3 is null or e.action = $3)
         order by e.id desc
         limit $4"
    );
    on_db!(db, pool => sqlx::query_as::<_, AuditRow>(&sql)
        .bind(id)
        .bind(before)
        .bind(action)
        .bind(limit)
        .fetch_all(pool)
        .await)
}
