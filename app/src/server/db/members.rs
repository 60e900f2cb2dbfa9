//! `org_member` and `project_member`: who holds which role where, as one model over
//! [`Target`]. The two tables have the same shape (`*_id`, `user_id`, `role`, `created_at`);
//! only their names and the order of their roles differ, and those come from the target, never
//! from input. An organization's changes run under its lock (`org_changes::lock`).

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::role::MemberRole;
use crate::server::db::{Db, Tx};
use crate::{on_db, on_tx};

/// Where a membership (or an invitation to one) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An organization.
    Org(Uuid),
    /// A project.
    Project(Uuid),
}

impl Target {
    /// The table, its key column, the key, and how its roles sort (strongest first).
    fn table(self) -> (&'static str, &'static str, Uuid, &'static str) {
        match self {
            Self::Org(id) => (
                "org_member",
                "org_id",
                id,
                "case m.role when 'owner' then 0 when 'admin' then 1 else 2 end",
            ),
            Self::Project(id) => (
                "project_member",
                "project_id",
                id,
                "case m.role when 'admin' then 0 when 'developer' then 1 else 2 end",
            ),
        }
    }

    /// The target as an invitation's unique key names it.
    pub(super) fn key(self) -> String {
        match self {
            Self::Org(id) => format!("org:{id}"),
            Self::Project(id) => format!("project:{id}"),
        }
    }

    /// `(org_id, project_id)`, one of them set.
    pub(super) fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Org(id) => (Some(id), None),
            Self::Project(id) => (None, Some(id)),
        }
    }
}

/// A member as a members page lists them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Role, as stored.
    pub role: String,
}
from_row!(Member {
    user_id,
    username,
    display_name,
    role
});

/// The members of `target`, strongest role first, then by username.
pub async fn list(db: &Db, target: Target) -> Result<Vec<Member>, sqlx::Error> {
    let (table, column, id, rank) = target.table();
    let sql = format!(
        "select u.id as user_id, u.username, u.display_name, m.role
         from {table} m join app_user u on u.id = m.user_id
         where m.{column} = $1
         order by {rank}, u.username"
    );
    on_db!(db, pool => sqlx::query_as::<_, Member>(&sql)
        .bind(id)
        .fetch_all(pool)
        .await)
}

/// `user`'s own role in `target` (for a project, not counting organization roles).
pub async fn role_of<R: MemberRole>(
    tx: &mut Tx,
    target: Target,
    user: Uuid,
) -> Result<Option<R>, sqlx::Error> {
    let (table, column, id, _) = target.table();
    let sql = format!("select role from {table} where {column} = $1 and user_id = $2");
    let role = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(&sql)
        .bind(id)
        .bind(user)
        .fetch_optional(&mut *conn)
        .await)?;
    Ok(role.and_then(|r| R::read(&r).ok()))
}

/// How many members of `target` hold `role`.
pub async fn count_with<R: MemberRole>(
    tx: &mut Tx,
    target: Target,
    role: R,
) -> Result<i64, sqlx::Error> {
    let (table, column, id, _) = target.table();
    let sql = format!("select count(*) from {table} where {column} = $1 and role = $2");
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(&sql)
        .bind(id)
        .bind(role.name())
        .fetch_one(&mut *conn)
        .await)
}

/// Adds `user` with `role`; `Ok(false)` when they are a member already (their role is kept).
/// `on conflict do nothing`: a failed insert would abort a PostgreSQL transaction.
pub async fn add<R: MemberRole>(
    tx: &mut Tx,
    target: Target,
    user: Uuid,
    role: R,
) -> Result<bool, sqlx::Error> {
    let (table, column, id, _) = target.table();
    let sql = format!(
        "insert into {table} ({column}, user_id, role, created_at) values ($1, $2, $3, $4)
         on conflict ({column}, user_id) do nothing"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(id)
        .bind(user)
        .bind(role.name())
        .bind(OffsetDateTime::now_utc())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Sets a member's role.
pub async fn set_role<R: MemberRole>(
    tx: &mut Tx,
    target: Target,
    user: Uuid,
    role: R,
) -> Result<(), sqlx::Error> {
    let (table, column, id, _) = target.table();
    let sql = format!("update {table} set role = $3 where {column} = $1 and user_id = $2");
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(id)
        .bind(user)
        .bind(role.name())
        .execute(&mut *conn)
        .await
        .map(drop))
}

/// Removes a member. Leaving an organization ends the member's roles in its projects too
/// (access to an organization's projects ends with membership of the organization).
pub async fn remove(tx: &mut Tx, target: Target, user: Uuid) -> Result<(), sqlx::Error> {
    let (table, column, id, _) = target.table();
    on_tx!(tx, conn => {
        if let Target::Org(org) = target {
            sqlx::query(
                "delete from project_member where user_id = $1
                 and project_id in (select p.id from project p
                                    join organization o on o.name = p.owner_name
                                    where o.id = $2)",
            )
            .bind(user)
            .bind(org)
            .execute(&mut *conn)
            .await?;
        }
        let sql = format!("delete from {table} where {column} = $1 and user_id = $2");
        sqlx::query(&sql)
            .bind(id)
            .bind(user)
            .execute(&mut *conn)
            .await
            .map(drop)
    })
}
