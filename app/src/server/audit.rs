//! The audit log: one `audit_event` per change, written in the same transaction as the change.
//! Details hold before/after values of non-secret fields only.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::on_tx;
use crate::server::db::Tx;

/// One change, as the audit log records it.
pub struct Event<'a> {
    /// Who made the change.
    pub actor: Option<Uuid>,
    /// The access token they made it with: its ID and name (names repeat once revoked).
    pub token: Option<(Uuid, &'a str)>,
    /// The organization it belongs to, if any.
    pub org_id: Option<Uuid>,
    /// The project it belongs to, if any.
    pub project_id: Option<Uuid>,
    /// What happened, e.g. `organization.created`.
    pub action: &'a str,
    /// What it happened to, e.g. the organization's name.
    pub target: &'a str,
    /// Before/after of non-secret fields.
    pub details: Value,
}

/// Writes `event` inside `tx`, made from `address` (rules call it through `Cx::audit`, which
/// fills in the caller and scope).
pub async fn record(
    tx: &mut Tx,
    address: std::net::IpAddr,
    event: Event<'_>,
) -> Result<(), sqlx::Error> {
    let details = event.details.to_string();
    // Berth's own changes (a scheduled check) come from no client: no address, not 0.0.0.0.
    let client_addr = (!address.is_unspecified()).then(|| address.to_string());
    on_tx!(tx, conn => sqlx::query(
        "insert into audit_event (id, at, actor_id, org_id, project_id, action, target, details, client_addr, token_id, token_name)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
    .bind(Uuid::now_v7())
    .bind(OffsetDateTime::now_utc())
    .bind(event.actor)
    .bind(event.org_id)
    .bind(event.project_id)
    .bind(event.action)
    .bind(event.target)
    .bind(&details)
    .bind(&client_addr)
    .bind(event.token.map(|t| t.0))
    .bind(event.token.map(|t| t.1))
    .execute(&mut *conn)
    .await
    .map(drop))
}
