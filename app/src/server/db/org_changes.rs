//! Changes to an organization inside a transaction: members and their roles, allowed regions,
//! deletion. Every change first takes the organization's lock ([`lock`]), so two concurrent
//! changes of one organization run one after the other and a rule checked inside the
//! transaction (at least one owner, no projects in a dropped region) still holds at commit.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::role::OrgRole;
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

/// `user`'s role in the organization, read under the lock.
pub async fn role_of(tx: &mut Tx, org: Uuid, user: Uuid) -> Result<Option<OrgRole>, sqlx::Error> {
    let role = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "select role from org_member where org_id = $1 and user_id = $2"
    )
    .bind(org)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await)?;
    Ok(role.and_then(|r| OrgRole::parse(&r).ok()))
}

/// How many owners the organization has, read under the lock.
pub async fn owner_count(tx: &mut Tx, org: Uuid) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select count(*) from org_member where org_id = $1 and role = 'owner'"
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await)
}

/// Adds `user` with `role`; `Ok(false)` when they are a member already (their role is kept).
/// `on conflict do nothing`: a failed insert would abort a PostgreSQL transaction.
pub async fn add(tx: &mut Tx, org: Uuid, user: Uuid, role: OrgRole) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "insert into org_member (org_id, user_id, role, created_at) values ($1, $2, $3, $4)
         on conflict (org_id, user_id) do nothing"
    )
    .bind(org)
    .bind(user)
    .bind(role.as_str())
    .bind(OffsetDateTime::now_utc())
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Sets a member's role.
pub async fn set_role(
    tx: &mut Tx,
    org: Uuid,
    user: Uuid,
    role: OrgRole,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("update org_member set role = $3 where org_id = $1 and user_id = $2")
        .bind(org)
        .bind(user)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await
        .map(drop))
}

/// Removes a member, and with them their roles in the organization's projects (access to an
/// organization's projects ends when membership of the organization ends).
pub async fn remove(tx: &mut Tx, org: Uuid, org_name: &str, user: Uuid) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => {
        sqlx::query(
            "delete from project_member where user_id = $1
             and project_id in (select id from project where owner_name = $2)",
        )
        .bind(user)
        .bind(org_name)
        .execute(&mut *conn)
        .await?;
        sqlx::query("delete from org_member where org_id = $1 and user_id = $2")
            .bind(org)
            .bind(user)
            .execute(&mut *conn)
            .await
            .map(drop)
    })
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
