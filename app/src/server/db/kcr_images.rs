//! `kcr_repository`, `kcr_tag` and `kcr_event`: what the registry's notifications said was
//! pushed, pulled and deleted. Pages read these, never the registry's catalog.

use super::from_row;
use uuid::Uuid;

use crate::server::db::{Db, Tx};
use crate::{on_db, on_tx};

/// Records notification `id` as applied; `false` when it was already (a retry).
/// `on conflict do nothing`: a failed insert would abort a PostgreSQL transaction.
pub async fn first_time(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "insert into kcr_event (id, received_at) values ($1, $2) on conflict do nothing"
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Whether notification `id` was applied already.
pub async fn applied(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let found = on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "select received_at from kcr_event where id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Forgets applied notification IDs older than `before` (retries stop long before).
pub async fn purge_events_before(db: &Db, before: i64) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from kcr_event where received_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map(drop))
}

/// Where a repository belongs.
pub struct NewRepository<'a> {
    pub region: &'a str,
    pub name: &'a str,
    pub owner_name: &'a str,
    /// The project of a project repository; `None` for an organization's shared one.
    pub project_id: Option<Uuid>,
}

/// The repository's ID, creating its row on first push.
pub async fn repository_id(
    tx: &mut Tx,
    new: &NewRepository<'_>,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "insert into kcr_repository (id, region, name, owner_name, project_id, created_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing"
    )
    .bind(Uuid::now_v7())
    .bind(new.region)
    .bind(new.name)
    .bind(new.owner_name)
    .bind(new.project_id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(drop))?;
    on_tx!(tx, conn => sqlx::query_scalar::<_, Uuid>(
        "select id from kcr_repository where region = $1 and name = $2"
    )
    .bind(new.region)
    .bind(new.name)
    .fetch_one(&mut *conn)
    .await)
}

/// A pushed tag.
pub struct Pushed<'a> {
    pub repository: Uuid,
    pub tag: &'a str,
    pub digest: &'a str,
    pub media_type: &'a str,
    pub size: Option<i64>,
    pub at: i64,
    pub by: Option<&'a str>,
    pub token: Option<Uuid>,
}

/// Points `tag` at the pushed manifest (a re-push moves it; an older push reported late, as
/// several registry replicas may, does not move it back).
pub async fn put_tag(tx: &mut Tx, p: &Pushed<'_>) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "insert into kcr_tag (repository_id, tag, digest, media_type, size, pushed_at, pushed_by, pushed_token_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (repository_id, tag) do update set
            digest = excluded.digest, media_type = excluded.media_type, size = excluded.size,
            pushed_at = excluded.pushed_at, pushed_by = excluded.pushed_by,
            pushed_token_id = excluded.pushed_token_id,
            last_pulled_at = case when kcr_tag.digest = excluded.digest then kcr_tag.last_pulled_at end
         where excluded.pushed_at >= kcr_tag.pushed_at"
    )
    .bind(p.repository)
    .bind(p.tag)
    .bind(p.digest)
    .bind(p.media_type)
    .bind(p.size)
    .bind(p.at)
    .bind(p.by)
    .bind(p.token)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// Records a pull of `tag` (or, pulled by digest, of every tag on `digest`) in repository
/// `name` of `region`.
pub async fn pulled(
    tx: &mut Tx,
    region: &str,
    name: &str,
    tag: Option<&str>,
    digest: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update kcr_tag set last_pulled_at = $5
         where repository_id = (select id from kcr_repository where region = $1 and name = $2)
           and (($3 is not null and tag = $3) or ($3 is null and digest = $4))
           and (last_pulled_at is null or last_pulled_at < $5)"
    )
    .bind(region)
    .bind(name)
    .bind(tag)
    .bind(digest)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// Removes the tags of repository `name` pointing at `digest` (a deleted manifest), or just
/// `tag` when given; returns the tags removed.
pub async fn remove(
    tx: &mut Tx,
    region: &str,
    name: &str,
    digest: Option<&str>,
    tag: Option<&str>,
) -> Result<Vec<String>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "delete from kcr_tag
         where repository_id = (select id from kcr_repository where region = $1 and name = $2)
           and (($3 is not null and digest = $3) or ($4 is not null and tag = $4))
         returning tag"
    )
    .bind(region)
    .bind(name)
    .bind(digest)
    .bind(tag)
    .fetch_all(&mut *conn)
    .await)
}

/// The tags of repository `id` pointing at `digest`.
pub async fn tags_on(db: &Db, id: Uuid, digest: &str) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "select tag from kcr_tag where repository_id = $1 and digest = $2 order by tag"
    )
    .bind(id)
    .bind(digest)
    .fetch_all(pool)
    .await)
}

/// How many tags the project's repositories hold (read inside `tx`).
pub async fn project_tags(tx: &mut Tx, project: Uuid) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select count(*) from kcr_tag t join kcr_repository r on r.id = t.repository_id
         where r.project_id = $1"
    )
    .bind(project)
    .fetch_one(&mut *conn)
    .await)
}

/// A repository as the Repositories page lists it.
#[derive(Clone, Debug)]
pub struct RepositoryRow {
    pub id: Uuid,
    pub name: String,
    pub project_id: Option<Uuid>,
    pub tags: i64,
    pub last_pushed_at: Option<i64>,
}
from_row!(RepositoryRow {
    id,
    name,
    project_id,
    tags,
    last_pushed_at
});

/// The repositories of project `project` and, when `shared_owner` is given, the shared ones
/// of that organization in `region`, by name.
pub async fn repositories(
    db: &Db,
    project: Uuid,
    region: &str,
    shared_owner: Option<&str>,
) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, RepositoryRow>(
        "select r.id, r.name, r.project_id, count(t.tag) as tags, max(t.pushed_at) as last_pushed_at
         from kcr_repository r left join kcr_tag t on t.repository_id = r.id
         where r.project_id = $1
            or ($3 is not null and r.project_id is null and r.region = $2 and r.owner_name = $3)
         group by r.id, r.name, r.project_id
         order by r.name"
    )
    .bind(project)
    .bind(region)
    .bind(shared_owner)
    .fetch_all(pool)
    .await)
}

/// A tag as the page lists it.
#[derive(Clone, Debug)]
pub struct TagRow {
    pub tag: String,
    pub digest: String,
    pub media_type: String,
    pub size: Option<i64>,
    pub pushed_at: i64,
    pub pushed_by: Option<String>,
    pub last_pulled_at: Option<i64>,
}
from_row!(TagRow {
    tag,
    digest,
    media_type,
    size,
    pushed_at,
    pushed_by,
    last_pulled_at
});

const TAG_COLUMNS: &str =
    "select tag, digest, media_type, size, pushed_at, pushed_by, last_pulled_at from kcr_tag";

/// Up to `limit` tags of `repository`, newest push first, after the cursor `(pushed_at, tag)`
/// of the previous page's last row. The index on `(repository_id, pushed_at, tag)` serves both
/// statements, read backwards.
pub async fn tags(
    db: &Db,
    repository: Uuid,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    match after {
        None => on_db!(db, pool => sqlx::query_as::<_, TagRow>(&format!(
            "{TAG_COLUMNS} where repository_id = $1 order by pushed_at desc, tag desc limit $2"
        ))
        .bind(repository)
        .bind(limit)
        .fetch_all(pool)
        .await),
        Some((at, tag)) => on_db!(db, pool => sqlx::query_as::<_, TagRow>(&format!(
            "{TAG_COLUMNS} where repository_id = $1 and (pushed_at, tag) < ($2, $3)
             order by pushed_at desc, tag desc limit $4"
        ))
        .bind(repository)
        .bind(at)
        .bind(tag)
        .bind(limit)
        .fetch_all(pool)
        .await),
    }
}
