//! `app_user` and its `namespace` row: create, look up, change password.

use super::from_row;
use rand::RngCore;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::server::db::{Db, Unique, is_unique_violation};
use crate::{on_db, on_tx};

/// A user as the server keeps it between requests. The password hash is not here: only sign-in
/// and password change read it, through [`find_login`] and [`password_hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Account ID (UUIDv7).
    pub id: Uuid,
    /// Username, a namespace name.
    pub username: String,
    /// Lowercased email address.
    pub email: String,
    /// Name shown to people.
    pub display_name: String,
    /// Random bytes every session of this user carries; new ones end all other sessions.
    pub session_version: Vec<u8>,
    /// The instance administrator (the first account).
    pub is_instance_admin: bool,
    /// Pending invitations addressed to this account (read by [`find`] only; 0 elsewhere).
    pub pending_invitations: i64,
}
from_row!(User { id, username, email, display_name, session_version, is_instance_admin } default { pending_invitations });

impl From<User> for crate::domain::account::SessionUser {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            is_instance_admin: u.is_instance_admin,
            pending_invitations: u.pending_invitations,
        }
    }
}

/// What sign-up stores.
pub struct NewUser<'a> {
    /// Username (already validated).
    pub username: &'a str,
    /// Email (already validated and lowercased).
    pub email: &'a str,
    /// Display name (already validated).
    pub display_name: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
}

/// A username taken by a user or an organization.
pub const USERNAME_TAKEN: &[Unique] = &[
    Unique {
        pg: "namespace_pkey",
        sqlite: "namespace.name",
    },
    Unique {
        pg: "app_user_username_key",
        sqlite: "app_user.username",
    },
];

/// An email address another account has.
pub const EMAIL_TAKEN: &[Unique] = &[Unique {
    pg: "app_user_email_key",
    sqlite: "app_user.email",
}];

const USER_COLUMNS: &str = "id, username, email, display_name, session_version, is_instance_admin";

fn new_session_version() -> Vec<u8> {
    let mut bytes = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Creates the namespace and the user in one transaction. The first account of the instance
/// becomes its administrator; a unique index makes that hold under concurrent sign-ups.
pub async fn create(db: &Db, new: &NewUser<'_>) -> Result<User, sqlx::Error> {
    match insert(db, new, true).await {
        Err(err)
            if is_unique_violation(
                &err,
                "app_user_one_instance_admin",
                "app_user.is_instance_admin",
            ) =>
        {
            insert(db, new, false).await
        }
        other => other,
    }
}

async fn insert(db: &Db, new: &NewUser<'_>, may_be_admin: bool) -> Result<User, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    let inserted = on_tx!(&mut tx, conn => {
        sqlx::query("insert into namespace (name, kind, created_at) values ($1, 'user', $2)")
            .bind(new.username)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query_as::<_, User>(&format!(
            "insert into app_user (id, username, email, display_name, password_hash,
                 session_version, is_instance_admin, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6,
                 $7 and not exists (select 1 from app_user where is_instance_admin), $8, $8)
             returning {USER_COLUMNS}"
        ))
        .bind(id)
        .bind(new.username)
        .bind(new.email)
        .bind(new.display_name)
        .bind(new.password_hash)
        .bind(new_session_version())
        .bind(may_be_admin)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
    });
    tx.commit().await?;
    Ok(inserted)
}

/// Whether a namespace (user or organization) of this name exists.
pub async fn namespace_exists(db: &Db, name: &str) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("select count(*) from namespace where name = $1")
        .bind(name)
        .fetch_one(pool)
        .await)
    .map(|n| n > 0)
}

/// Whether an account uses this (lowercased) email.
pub async fn email_exists(db: &Db, email: &str) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("select count(*) from app_user where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await)
    .map(|n| n > 0)
}

/// The user and password hash for a sign-in name: a username or an email address.
pub async fn find_login(db: &Db, login: &str) -> Result<Option<(User, String)>, sqlx::Error> {
    struct Row {
        user: User,
        password_hash: String,
    }
    from_row!(Row { password_hash } flatten { user });
    let login = login.trim().to_lowercase();
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(&format!(
        "select {USER_COLUMNS}, password_hash from app_user where username = $1 or email = $1"
    ))
    .bind(&login)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|r| (r.user, r.password_hash)))
}

/// The user with this ID, with the number of invitations waiting for them (the header shows
/// it; one query per request either way, as the session layer loads the user on each).
pub async fn find(db: &Db, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, User>(&format!(
        "select {USER_COLUMNS},
             (select count(*) from invitation i
               where (i.invitee_user_id = app_user.id or i.invitee_email = app_user.email)
                 and i.expires_at > $2) as pending_invitations
         from app_user where id = $1"
    ))
    .bind(id)
    .bind(OffsetDateTime::now_utc().unix_timestamp())
    .fetch_optional(pool)
    .await)
}

/// The stored password hash of this user.
pub async fn password_hash(db: &Db, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "select password_hash from app_user where id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Stores a new password hash and a new session version (which ends every other session).
/// `expected_hash` guards against two concurrent changes: only the one that saw the current hash
/// wins; the other gets `None`.
pub async fn set_password(
    db: &Db,
    id: Uuid,
    expected_hash: &str,
    new_hash: &str,
) -> Result<Option<User>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, User>(&format!(
        "update app_user set password_hash = $1, session_version = $2, updated_at = $3
         where id = $4 and password_hash = $5
         returning {USER_COLUMNS}"
    ))
    .bind(new_hash)
    .bind(new_session_version())
    .bind(OffsetDateTime::now_utc())
    .bind(id)
    .bind(expected_hash)
    .fetch_optional(pool)
    .await)
}

/// Whether any account exists yet.
pub async fn any(db: &Db) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("select count(*) from (select 1 from app_user limit 1) as one")
        .fetch_one(pool)
        .await)
    .map(|n| n > 0)
}

/// The ID of the account with this username.
pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<Uuid>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, Uuid>("select id from app_user where username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await)
}
