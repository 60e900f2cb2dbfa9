//! `device_grant`: pending device logins (RFC 8628). Only the SHA-256 of the device code is
//! stored; the user code is short and typed by a person, unique among pending grants.

use super::from_row;
use uuid::Uuid;

use crate::server::db::{Db, Tx, Unique};
use crate::{on_db, on_tx};

/// A pending grant.
#[derive(Clone, Debug)]
pub struct Grant {
    pub id: Uuid,
    pub user_code: String,
    pub client_name: String,
    pub scopes: String,
    pub requested_addr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub polled_at: Option<i64>,
    pub approved_by: Option<Uuid>,
    pub denied: bool,
}
from_row!(Grant {
    id,
    user_code,
    client_name,
    scopes,
    requested_addr,
    created_at,
    expires_at,
    polled_at,
    approved_by,
    denied
});

const COLUMNS: &str = "id, user_code, client_name, scopes, requested_addr, created_at, expires_at,
    polled_at, approved_by, denied";

/// What a device's request stores.
pub struct NewGrant<'a> {
    pub id: Uuid,
    pub device_code_hash: &'a [u8],
    pub user_code: &'a str,
    pub client_name: &'a str,
    pub scopes: &'a str,
    pub requested_addr: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Two pending grants drew the same user code.
pub const USER_CODE_TAKEN: &[Unique] = &[Unique {
    pg: "device_grant_user_code_key",
    sqlite: "device_grant.user_code",
}];

/// Stores a new grant (a user code already pending breaks [`USER_CODE_TAKEN`]).
pub async fn insert(db: &Db, new: &NewGrant<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "insert into device_grant
            (id, device_code_hash, user_code, client_name, scopes, requested_addr, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(new.id)
    .bind(new.device_code_hash)
    .bind(new.user_code)
    .bind(new.client_name)
    .bind(new.scopes)
    .bind(new.requested_addr)
    .bind(new.created_at)
    .bind(new.expires_at)
    .execute(pool)
    .await
    .map(drop))
}

/// The grant a person's user code names, if it is pending (not expired).
pub async fn by_user_code(db: &Db, code: &str, now: i64) -> Result<Option<Grant>, sqlx::Error> {
    let sql =
        format!("select {COLUMNS} from device_grant where user_code = $1 and expires_at > $2");
    on_db!(db, pool => sqlx::query_as::<_, Grant>(&sql)
        .bind(code)
        .bind(now)
        .fetch_optional(pool)
        .await)
}

/// The grant a device code names, expired or not (a plain read: polls take no write lock).
pub async fn by_hash(db: &Db, device_code_hash: &[u8]) -> Result<Option<Grant>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from device_grant where device_code_hash = $1");
    on_db!(db, pool => sqlx::query_as::<_, Grant>(&sql)
        .bind(device_code_hash)
        .fetch_optional(pool)
        .await)
}

/// Records a poll of grant `id` at `now`.
pub async fn polled(db: &Db, id: Uuid, now: i64) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("update device_grant set polled_at = $2 where id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))
}

/// Approves (by `user`) or denies a pending grant; whether there was one to decide.
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    approve: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update device_grant set approved_by = $2, denied = $3
         where id = $1 and approved_by is null and not denied and expires_at > $4"
    )
    .bind(id)
    .bind(user)
    .bind(!approve)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Deletes grant `id` outside a transaction (denied and told, or expired).
pub async fn delete_now(db: &Db, id: Uuid) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from device_grant where id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
}

/// Deletes a grant (exchanged, denied and told, or expired); whether this call deleted it
/// (of two polls at once, one exchanges the grant).
pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("delete from device_grant where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Deletes grants that expired before `now` (housekeeping).
pub async fn purge_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from device_grant where expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
