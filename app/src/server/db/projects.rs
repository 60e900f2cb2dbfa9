//! `project` and `project_member`, and the caller's effective role in a project: the strongest
//! of their project role, the owner's admin role on a personal project, and admin through an
//! organization owner or admin role.

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::role::{OrgRole, ProjectRole};
use crate::server::db::{Db, Tx, Unique};
use crate::{on_db, on_tx};

/// A project as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// ID (UUIDv7).
    pub id: Uuid,
    /// The owning namespace: a username or an organization name.
    pub owner_name: String,
    /// `user` or `organization`.
    pub owner_kind: String,
    /// The owning organization's ID (`None` for a personal project).
    pub org_id: Option<Uuid>,
    /// Name, unique per owner.
    pub name: String,
    /// Free text, at most 500 characters.
    pub description: String,
    /// Region name.
    pub region: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}
from_row!(Project {
    id,
    owner_name,
    owner_kind,
    org_id,
    name,
    description,
    region,
    created_at,
    updated_at
});

/// A project with what decides the caller's access to it.
#[derive(Clone, Debug)]
struct AccessRow {
    project: Project,
    member_role: Option<String>,
    org_role: Option<String>,
    owner_user_id: Option<Uuid>,
}
from_row!(AccessRow { member_role, org_role, owner_user_id } flatten { project });

impl AccessRow {
    fn into_pair(self, user: Uuid) -> (Project, Option<ProjectRole>) {
        let member = self
            .member_role
            .as_deref()
            .and_then(|r| ProjectRole::parse(r).ok());
        let through_org = self
            .org_role
            .as_deref()
            .and_then(|r| OrgRole::parse(r).ok())
            .and_then(ProjectRole::from_org_role);
        let owner = (self.owner_user_id == Some(user)).then_some(ProjectRole::Admin);
        let role = [member, through_org, owner].into_iter().flatten().max();
        (self.project, role)
    }
}

const ACCESS_QUERY: &str =
    "select p.id, p.owner_name, n.kind as owner_kind, o.id as org_id, p.name, p.description,
        p.region, p.created_at, p.updated_at,
        pm.role as member_role, om.role as org_role, ou.id as owner_user_id
    from project p
    join namespace n on n.name = p.owner_name
    left join project_member pm on pm.project_id = p.id and pm.user_id = $1
    left join organization o on o.name = p.owner_name
    left join org_member om on om.org_id = o.id and om.user_id = $1
    left join app_user ou on ou.username = p.owner_name";

/// A project name taken by the same owner.
pub const NAME_TAKEN: &[Unique] = &[Unique {
    pg: "project_owner_name_key",
    sqlite: "project.owner_name",
}];

/// The fields of a new project.
pub struct NewProject<'a> {
    /// The owning namespace.
    pub owner_name: &'a str,
    /// The owning organization (`None` for a personal project).
    pub org_id: Option<Uuid>,
    pub name: &'a str,
    pub description: &'a str,
    /// Region name.
    pub region: &'a str,
}

/// Creates a project inside `tx`.
pub async fn create(tx: &mut Tx, new: &NewProject<'_>) -> Result<Project, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let project = Project {
        id: Uuid::now_v7(),
        owner_name: new.owner_name.to_owned(),
        owner_kind: if new.org_id.is_some() {
            "organization"
        } else {
            "user"
        }
        .to_owned(),
        org_id: new.org_id,
        name: new.name.to_owned(),
        description: new.description.to_owned(),
        region: new.region.to_owned(),
        created_at: now,
        updated_at: now,
    };
    on_tx!(tx, conn => sqlx::query(
        "insert into project (id, owner_name, name, description, region, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(project.id)
    .bind(&project.owner_name)
    .bind(&project.name)
    .bind(&project.description)
    .bind(&project.region)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(drop))?;
    Ok(project)
}

/// The owner and name of project `id`.
pub async fn path_of(db: &Db, id: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (String, String)>(
        "select owner_name, name from project where id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// The project `owner/name`, whoever asks (a project token, which is no member).
pub async fn find(db: &Db, owner: &str, name: &str) -> Result<Option<Project>, sqlx::Error> {
    // The nil ID is no account's: no member row matches it, so this reads the project alone.
    Ok(find_for_user(db, owner, name, Uuid::nil())
        .await?
        .map(|(project, _)| project))
}

/// Project `id`, whoever asks.
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<Project>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, AccessRow>(&format!(
        "{ACCESS_QUERY} where p.id = $2"
    ))
    .bind(Uuid::nil())
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|r| r.project))
}

/// Whether `user` is a member of one of `owner`'s projects in `region` (who may pull the
/// organization's shared KCR images).
pub async fn member_in_region(
    db: &Db,
    owner: &str,
    region: &str,
    user: Uuid,
) -> Result<bool, sqlx::Error> {
    let found = on_db!(db, pool => sqlx::query_scalar::<_, i32>(
        "select 1 from project p join project_member pm on pm.project_id = p.id
         where p.owner_name = $1 and p.region = $2 and pm.user_id = $3
         limit 1"
    )
    .bind(owner)
    .bind(region)
    .bind(user)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// The project `owner/name` and `user`'s effective role in it (`None` when they have none).
pub async fn find_for_user(
    db: &Db,
    owner: &str,
    name: &str,
    user: Uuid,
) -> Result<Option<(Project, Option<ProjectRole>)>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, AccessRow>(&format!(
        "{ACCESS_QUERY} where p.owner_name = $2 and p.name = $3"
    ))
    .bind(user)
    .bind(owner)
    .bind(name)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|r| r.into_pair(user)))
}

/// `user`'s effective role in the project with ID `project`, read inside `tx` (so a change
/// that depends on it sees what the transaction sees, and on SQLite needs no second
/// connection while this one holds the write lock).
pub async fn role_in(
    tx: &mut Tx,
    project: Uuid,
    user: Uuid,
) -> Result<Option<ProjectRole>, sqlx::Error> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, AccessRow>(&format!(
        "{ACCESS_QUERY} where p.id = $2"
    ))
    .bind(user)
    .bind(project)
    .fetch_optional(&mut *conn)
    .await)?;
    Ok(row.and_then(|r| r.into_pair(user).1))
}

/// Every project `user` can see, with their role, by owner then name. The projects are found
/// through the three ways in (project member, organization owner or admin, personal owner),
/// each by an index: a filter over the joined rows scanned every project of the instance
/// (226 ms at 100,000 projects on SQLite; 1–2 ms this way, see bench/RESULTS.md).
pub async fn list_for_user(
    db: &Db,
    user: Uuid,
) -> Result<Vec<(Project, ProjectRole)>, sqlx::Error> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, AccessRow>(&format!(
        "{ACCESS_QUERY} where p.id in (
             select project_id from project_member where user_id = $1
             union all
             select op.id from org_member m
               join organization mo on mo.id = m.org_id
               join project op on op.owner_name = mo.name
              where m.user_id = $1 and m.role in ('owner', 'admin')
             union all
             select up.id from app_user u join project up on up.owner_name = u.username
              where u.id = $1)
         order by p.owner_name, p.name"
    ))
    .bind(user)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (project, role) = r.into_pair(user);
            Some((project, role?))
        })
        .collect())
}

/// Renames a project and sets its description.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update project set name = $2, description = $3, updated_at = $4 where id = $1"
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(OffsetDateTime::now_utc())
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// Deletes a project; its members go with it, and it stops being anyone's current project.
pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("delete from project where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(drop))
}

/// Remembers `project` as `user`'s current project (`None` clears it).
pub async fn set_current(db: &Db, user: Uuid, project: Option<Uuid>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("update app_user set current_project_id = $2 where id = $1")
        .bind(user)
        .bind(project)
        .execute(pool)
        .await
        .map(drop))
}

/// `user`'s current project as `(owner, name)`, if one is set and still exists.
pub async fn current(db: &Db, user: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (String, String)>(
        "select p.owner_name, p.name from app_user u join project p on p.id = u.current_project_id
         where u.id = $1"
    )
    .bind(user)
    .fetch_optional(pool)
    .await)
}
