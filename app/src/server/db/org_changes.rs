//! Changes to an organization inside a transaction: its lock, allowed regions, deletion (its
//! members are `members`, with `Target::Org`). Every change first takes the organization's
//! lock ([`lock`]), so two concurrent changes of one organization run one after the other and
//! a rule checked inside the transaction (at least one owner, no projects in a dropped region)
//! still holds at commit.

use uuid::Uuid;

use crate::on_tx;
use crate::server::db::Tx;

/// Takes the organization's row lock until the transaction ends (PostgreSQL: a row lock;
/// SQLite: the database write lock, taken before anything is read). False when it is gone.
pub async fn lock(tx: &mut Tx, org: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("update organization set display_name = display_name where id = $1")
        .bind(org)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// The organization's projects per region: `(region, project name)`, by region then name.
pub async fn projects_by_region(
    tx: &mut Tx,
    org_name: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_as::<_, (String, String)>(
        "select region, name from project where owner_name = $1 order by region, name"
    )
    .bind(org_name)
    .fetch_all(&mut *conn)
    .await)
}

/// The organization's allowed regions, read under the lock.
pub async fn regions(tx: &mut Tx, org: Uuid) -> Result<Vec<String>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "select region from org_region where org_id = $1 order by region"
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await)
}

/// Replaces the organization's allowed regions.
pub async fn set_regions(tx: &mut Tx, org: Uuid, regions: &[String]) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => {
        sqlx::query("delete from org_region where org_id = $1")
            .bind(org)
            .execute(&mut *conn)
            .await?;
        for region in regions {
            sqlx::query("insert into org_region (org_id, region) values ($1, $2)")
                .bind(org)
                .bind(region)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    })
}

/// Deletes the organization (members and regions go with it) and frees its name. The caller
/// has checked, under the lock, that it has no projects.
pub async fn delete(tx: &mut Tx, org: Uuid, name: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => {
        sqlx::query("delete from organization where id = $1")
            .bind(org)
            .execute(&mut *conn)
            .await?;
        sqlx::query("delete from namespace where name = $1 and kind = 'organization'")
            .bind(name)
            .execute(&mut *conn)
            .await
            .map(drop)
    })
}
