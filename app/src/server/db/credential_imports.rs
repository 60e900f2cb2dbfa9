//! `credential_import`: a docker config.json import between its preview and its confirmation,
//! sealed, for the one caller who previewed it.

use uuid::Uuid;

use crate::on_db;
use crate::on_tx;
use crate::server::crypto::secrets::Sealed;
use crate::server::db::{Db, Tx};

/// Stores a draft of project `project` for `made_by` (a user or token ID) until `expires_at`.
pub async fn insert(
    db: &Db,
    (id, project): (Uuid, Uuid),
    made_by: &str,
    sealed: &Sealed,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "insert into credential_import (id, project_id, made_by, sealed, nonce, key_id, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id)
    .bind(project)
    .bind(made_by)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(&sealed.key_id)
    .bind(expires_at)
    .execute(pool)
    .await
    .map(drop))
}

/// Draft `id` of `project` made by `made_by`, if it has not expired at `now`: its sealed
/// entries and expiry.
pub async fn find(
    db: &Db,
    (id, project): (Uuid, Uuid),
    made_by: &str,
    now: i64,
) -> Result<Option<(Sealed, i64)>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, (Vec<u8>, Vec<u8>, String, i64)>(
        "select sealed, nonce, key_id, expires_at from credential_import
         where id = $1 and project_id = $2 and made_by = $3 and expires_at > $4"
    )
    .bind(id)
    .bind(project)
    .bind(made_by)
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(ciphertext, nonce, key_id, expires_at)| {
        (
            Sealed {
                ciphertext,
                nonce,
                key_id,
            },
            expires_at,
        )
    }))
}

/// Deletes draft `id`; answers whether it was there (a second confirmation finds nothing).
pub async fn take(tx: &mut Tx, id: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("delete from credential_import where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected() == 1))
}

/// Drops drafts that expired before `now` (housekeeping).
pub async fn purge_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from credential_import where expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
}
