//! `worker_lease`: a background job that must run on one replica at a time holds a lease row
//! until it expires. Taking it is one statement (an insert, or an update of an expired row or
//! of the holder's own), so two replicas cannot both hold it; a replica killed mid-job frees
//! it when the lease runs out.

use crate::on_db;
use crate::server::db::Db;

/// Takes lease `name` for `holder` until `until` (Unix seconds) when it is free, expired at
/// `now`, or already `holder`'s. Answers whether `holder` now holds it.
pub async fn take(
    db: &Db,
    name: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "insert into worker_lease (name, holder, expires_at) values ($1, $2, $4)
         on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where worker_lease.expires_at < $3 or worker_lease.holder = excluded.holder"
    )
    .bind(name)
    .bind(holder)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// Gives lease `name` up, if `holder` still holds it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from worker_lease where name = $1 and holder = $2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await
        .map(drop))
}
