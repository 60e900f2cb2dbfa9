//! `access_token`: personal and project tokens, kept only as the SHA-256 of their text. A
//! token authenticates while it is not revoked and not expired; revoked rows stay so the audit
//! log can name them, and never match again.

use super::from_row;
use uuid::Uuid;

use crate::server::db::{Db, Tx, Unique, users::User};
use crate::{on_db, on_tx};

/// Whose tokens: a person's or a project's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A person's own tokens.
    User(Uuid),
    /// A project's tokens.
    Project(Uuid),
}

impl Owner {
    /// The stored `owner_key`.
    pub fn key(self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Project(id) => format!("project:{id}"),
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::User(_) => "personal",
            Self::Project(_) => "project",
        }
    }

    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::User(id) => (Some(id), None),
            Self::Project(id) => (None, Some(id)),
        }
    }
}

/// What creating a token stores.
pub struct NewToken<'a> {
    pub id: Uuid,
    pub owner: Owner,
    pub name: &'a str,
    /// SHA-256 of the token text.
    pub hash: &'a [u8],
    /// Scope names, space-separated.
    pub scopes: &'a str,
    pub created_at: i64,
    /// Who made it (`None` when a project token made a pull secret's token).
    pub created_by: Option<Uuid>,
    pub expires_at: Option<i64>,
    /// A pull secret's KCR token (revoked once expired, at the project's next export).
    pub pull_secret: bool,
    /// The token this one was made with (a pull secret exported by a token): revoking that
    /// one revokes this one.
    pub made_by_token: Option<Uuid>,
}

/// A live token's name is taken by another live token of the same owner.
pub const NAME_TAKEN: &[Unique] = &[Unique {
    pg: "access_token_name_key",
    sqlite: "access_token.owner_key",
}];

/// Stores a new token.
pub async fn insert(tx: &mut Tx, new: &NewToken<'_>) -> Result<(), sqlx::Error> {
    let (user_id, project_id) = new.owner.ids();
    on_tx!(tx, conn => sqlx::query(
        "insert into access_token
            (id, kind, user_id, project_id, owner_key, name, token_hash, scopes, created_at,
             created_by, expires_at, pull_secret, made_by_token)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )
    .bind(new.id)
    .bind(new.owner.kind())
    .bind(user_id)
    .bind(project_id)
    .bind(new.owner.key())
    .bind(new.name)
    .bind(new.hash)
    .bind(new.scopes)
    .bind(new.created_at)
    .bind(new.created_by)
    .bind(new.expires_at)
    .bind(new.pull_secret)
    .bind(new.made_by_token)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// How many live tokens `owner` holds (pull secrets' tokens aside: they expire on their own,
/// and exports have their own limit).
pub async fn count_live(tx: &mut Tx, owner: Owner) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select count(*) from access_token
         where owner_key = $1 and revoked_at is null and not pull_secret"
    )
    .bind(owner.key())
    .fetch_one(&mut *conn)
    .await)
}

/// Whether `owner` holds a live token named `name`.
pub async fn name_live(tx: &mut Tx, owner: Owner, name: &str) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select count(*) from access_token where owner_key = $1 and name = $2 and revoked_at is null"
    )
    .bind(owner.key())
    .bind(name)
    .fetch_one(&mut *conn)
    .await
    .map(|n| n > 0))
}

/// A token as its list shows it.
#[derive(Clone, Debug)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub scopes: String,
    pub created_at: i64,
    /// The creator's current username, if the account still exists.
    pub created_by: Option<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_addr: Option<String>,
    /// Made for a pull secret.
    pub pull_secret: bool,
}
from_row!(TokenRow {
    id,
    name,
    scopes,
    created_at,
    created_by,
    expires_at,
    last_used_at,
    last_used_addr,
    pull_secret
});

/// `owner`'s live tokens, newest first.
pub async fn list(db: &Db, owner: Owner) -> Result<Vec<TokenRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, TokenRow>(
        "select t.id, t.name, t.scopes, t.created_at, u.username as created_by, t.expires_at,
                t.last_used_at, t.last_used_addr, t.pull_secret
         from access_token t left join app_user u on u.id = t.created_by
         where t.owner_key = $1 and t.revoked_at is null
         order by t.id desc"
    )
    .bind(owner.key())
    .fetch_all(pool)
    .await)
}

/// `owner`'s live token `id`, if there is one.
pub async fn find(db: &Db, owner: Owner, id: Uuid) -> Result<Option<TokenRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, TokenRow>(
        "select t.id, t.name, t.scopes, t.created_at, u.username as created_by, t.expires_at,
                t.last_used_at, t.last_used_addr, t.pull_secret
         from access_token t left join app_user u on u.id = t.created_by
         where t.owner_key = $1 and t.id = $2 and t.revoked_at is null"
    )
    .bind(owner.key())
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Revokes the project's pull-secret tokens that expired by `now`; how many.
pub async fn revoke_expired_pull_secrets(
    tx: &mut Tx,
    project: Uuid,
    now: i64,
) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update access_token set revoked_at = $2
         where project_id = $1 and pull_secret and revoked_at is null and expires_at <= $2"
    )
    .bind(project)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// Revokes `owner`'s live token `id`, and the pull secrets' tokens made with it; its name
/// when there was one to revoke.
pub async fn revoke(
    tx: &mut Tx,
    owner: Owner,
    id: Uuid,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let name = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "update access_token set revoked_at = $3
         where owner_key = $1 and id = $2 and revoked_at is null
         returning name"
    )
    .bind(owner.key())
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await)?;
    if name.is_some() {
        on_tx!(tx, conn => sqlx::query(
            "update access_token set revoked_at = $2 where made_by_token = $1 and revoked_at is null"
        )
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(drop))?;
    }
    Ok(name)
}

/// A presented token's row, with the account of a personal token.
#[derive(Clone, Debug)]
pub struct Presented {
    pub id: Uuid,
    pub name: String,
    pub scopes: String,
    pub project_id: Option<Uuid>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub user: UserColumns,
}
from_row!(Presented { id, name, scopes, project_id, expires_at, last_used_at, revoked_at } flatten { user });

/// The account columns of a personal token's owner (all null for a project token).
#[derive(Clone, Debug)]
pub struct UserColumns {
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub session_version: Option<Vec<u8>>,
    pub is_instance_admin: Option<bool>,
}
from_row!(UserColumns {
    user_id,
    username,
    email,
    display_name,
    session_version,
    is_instance_admin
});

impl UserColumns {
    /// The account, when the row has one.
    pub fn user(self) -> Option<User> {
        Some(User {
            id: self.user_id?,
            username: self.username?,
            email: self.email?,
            display_name: self.display_name?,
            session_version: self.session_version?,
            is_instance_admin: self.is_instance_admin?,
            pending_invitations: 0,
        })
    }
}

const PRESENTED: &str =
    "select t.id, t.name, t.scopes, t.project_id, t.expires_at, t.last_used_at, t.revoked_at,
            u.id as user_id, u.username, u.email, u.display_name, u.session_version,
            u.is_instance_admin
     from access_token t left join app_user u on u.id = t.user_id";

/// The token whose text hashes to `hash`, revoked or not (the caller tells them apart).
pub async fn by_hash(db: &Db, hash: &[u8]) -> Result<Option<Presented>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Presented>(&format!("{PRESENTED} where t.token_hash = $1"))
    .bind(hash)
    .fetch_optional(pool)
    .await)
}

/// Token `id`, revoked or not (a KCR refresh token names its access token by ID).
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<Presented>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Presented>(&format!("{PRESENTED} where t.id = $1"))
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Records a use of token `id` at `now` from `addr`, unless one was recorded in the last
/// minute (so a busy token costs one write a minute, not one per request).
pub async fn touch(db: &Db, id: Uuid, now: i64, addr: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "update access_token set last_used_at = $2, last_used_addr = $3
         where id = $1 and (last_used_at is null or last_used_at <= $2 - 60)"
    )
    .bind(id)
    .bind(now)
    .bind(addr)
    .execute(pool)
    .await
    .map(drop))
}
