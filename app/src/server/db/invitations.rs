//! `invitation`: pending invitations to organizations and projects. Nothing here grants access;
//! accepting one does that, through `members::add`.

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::server::db::members::Target;
use crate::server::db::{Db, Tx};
use crate::{on_db, on_tx};

/// Whom an invitation is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invitee {
    /// An account.
    User(Uuid),
    /// An email address (lowercased).
    Email(String),
}

impl Invitee {
    fn key(&self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Email(email) => format!("email:{email}"),
        }
    }
}

/// An invitation as stored, with the names pages show.
#[derive(Clone, Debug)]
pub struct Invitation {
    /// ID (UUIDv7).
    pub id: Uuid,
    /// The organization, for an organization invitation.
    pub org_id: Option<Uuid>,
    /// The project, for a project invitation.
    pub project_id: Option<Uuid>,
    /// The organization it is to, or that owns the project it is to (`None`: a personal
    /// project).
    pub target_org_id: Option<Uuid>,
    /// The organization's name, or the project's owner.
    pub target_owner: String,
    /// The project's name (`None` for an organization invitation).
    pub target_project: Option<String>,
    /// The invitee's account, when invited by username.
    pub invitee_user_id: Option<Uuid>,
    /// The invitee's username, when invited by username.
    pub invitee_username: Option<String>,
    /// The invitee's email, when invited by email.
    pub invitee_email: Option<String>,
    /// Role granted on acceptance, as stored.
    pub role: String,
    /// The inviter's account, if it still exists.
    pub invited_by_id: Option<Uuid>,
    /// The inviter's username, if that account still exists.
    pub invited_by: Option<String>,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}
from_row!(Invitation {
    id,
    org_id,
    project_id,
    target_org_id,
    target_owner,
    target_project,
    invitee_user_id,
    invitee_username,
    invitee_email,
    role,
    invited_by_id,
    invited_by,
    expires_at
});

impl Invitation {
    /// What it is to.
    pub fn target(&self) -> Option<Target> {
        match (self.org_id, self.project_id) {
            (Some(org), None) => Some(Target::Org(org)),
            (None, Some(project)) => Some(Target::Project(project)),
            _ => None,
        }
    }

    /// The invitee as the admin named them.
    pub fn invitee_label(&self) -> &str {
        self.invitee_username
            .as_deref()
            .or(self.invitee_email.as_deref())
            .unwrap_or_default()
    }
}

const SELECT: &str = "select i.id, i.org_id, i.project_id, coalesce(o.id, po.id) as target_org_id,
        coalesce(o.name, p.owner_name) as target_owner, p.name as target_project,
        i.invitee_user_id, u.username as invitee_username, i.invitee_email, i.role,
        i.invited_by as invited_by_id, b.username as invited_by, i.expires_at
    from invitation i
    left join organization o on o.id = i.org_id
    left join project p on p.id = i.project_id
    left join organization po on po.name = p.owner_name
    left join app_user u on u.id = i.invitee_user_id
    left join app_user b on b.id = i.invited_by";

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A new invitation.
pub struct NewInvitation<'a> {
    /// What to.
    pub target: Target,
    /// For whom.
    pub invitee: &'a Invitee,
    /// The role it grants.
    pub role: &'a str,
    /// Who invites.
    pub by: Uuid,
    /// When it expires, Unix seconds.
    pub expires_at: i64,
}

/// Stores an invitation; `Ok(Err(expiry))` when the same invitee has a pending one to the same
/// target (an expired one is replaced). Looks before it inserts: on PostgreSQL a failed insert
/// would abort the transaction.
pub async fn create(
    tx: &mut Tx,
    new: &NewInvitation<'_>,
) -> Result<Result<Uuid, i64>, sqlx::Error> {
    let (target_key, invitee_key) = (new.target.key(), new.invitee.key());
    let now = now();
    let pending = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select expires_at from invitation where target_key = $1 and invitee_key = $2"
    )
    .bind(&target_key)
    .bind(&invitee_key)
    .fetch_optional(&mut *conn)
    .await)?;
    match pending {
        Some(expires_at) if expires_at > now => return Ok(Err(expires_at)),
        Some(_) => {
            on_tx!(tx, conn => sqlx::query(
                "delete from invitation where target_key = $1 and invitee_key = $2"
            )
            .bind(&target_key)
            .bind(&invitee_key)
            .execute(&mut *conn)
            .await
            .map(drop))?;
        }
        None => {}
    }
    let id = Uuid::now_v7();
    let (org_id, project_id) = new.target.ids();
    let (user_id, email) = match new.invitee {
        Invitee::User(id) => (Some(*id), None),
        Invitee::Email(email) => (None, Some(email.as_str())),
    };
    on_tx!(tx, conn => sqlx::query(
        "insert into invitation (id, org_id, project_id, invitee_user_id, invitee_email, role,
             invited_by, created_at, expires_at, target_key, invitee_key)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
    .bind(id)
    .bind(org_id)
    .bind(project_id)
    .bind(user_id)
    .bind(email)
    .bind(new.role)
    .bind(new.by)
    .bind(OffsetDateTime::now_utc())
    .bind(new.expires_at)
    .bind(&target_key)
    .bind(&invitee_key)
    .execute(&mut *conn)
    .await
    .map(drop))?;
    Ok(Ok(id))
}

/// The pending invitations of the account `user` with email `email`, newest first.
pub async fn for_invitee(db: &Db, user: Uuid, email: &str) -> Result<Vec<Invitation>, sqlx::Error> {
    let sql = format!(
        "{SELECT} where (i.invitee_user_id = $1 or i.invitee_email = $2) and i.expires_at > $3
         order by i.id desc"
    );
    on_db!(db, pool => sqlx::query_as::<_, Invitation>(&sql)
        .bind(user)
        .bind(email)
        .bind(now())
        .fetch_all(pool)
        .await)
}

/// The pending invitations to `target`, newest first.
pub async fn for_target(db: &Db, target: Target) -> Result<Vec<Invitation>, sqlx::Error> {
    let (column, id) = match target {
        Target::Org(id) => ("org_id", id),
        Target::Project(id) => ("project_id", id),
    };
    let sql = format!("{SELECT} where i.{column} = $1 and i.expires_at > $2 order by i.id desc");
    on_db!(db, pool => sqlx::query_as::<_, Invitation>(&sql)
        .bind(id)
        .bind(now())
        .fetch_all(pool)
        .await)
}

/// A pending invitation by ID (expired ones are gone). Read outside any transaction: a
/// change that depends on it takes it with [`take`], which decides races.
pub async fn find(db: &Db, id: Uuid) -> Result<Option<Invitation>, sqlx::Error> {
    let sql = format!("{SELECT} where i.id = $1 and i.expires_at > $2");
    on_db!(db, pool => sqlx::query_as::<_, Invitation>(&sql)
        .bind(id)
        .bind(now())
        .fetch_optional(pool)
        .await)
}

impl Invitation {
    /// Whether it is addressed to the account `user` whose email is `email`.
    pub fn is_for(&self, user: Uuid, email: &str) -> bool {
        self.invitee_user_id == Some(user) || self.invitee_email.as_deref() == Some(email)
    }
}

/// Takes one invitation out (answered or revoked); false when it was gone already. The delete
/// is the claim: of an accept and a revoke racing, only one finds the row (a row lock on
/// PostgreSQL, the write lock on SQLite).
pub async fn take(tx: &mut Tx, id: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("delete from invitation where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Deletes the invitations to `target` addressed to or sent by the account `user` (for an
/// organization, those to its projects too): they leave, and what they sent or were sent
/// there goes with them.
pub async fn delete_involving(tx: &mut Tx, target: Target, user: Uuid) -> Result<(), sqlx::Error> {
    let place = match target {
        Target::Org(_) => {
            "(org_id = $1 or project_id in (select p.id from project p
                 join organization o on o.name = p.owner_name where o.id = $1))"
        }
        Target::Project(_) => "project_id = $1",
    };
    let (org, project) = target.ids();
    let sql = format!(
        "delete from invitation
         where {place}
           and (invitee_user_id = $2 or invited_by = $2
                or invitee_email = (select email from app_user where id = $2))"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(org.or(project))
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(drop))
}

/// Deletes every invitation of the account `user` (by ID or email) to `target`: once they
/// joined, or declined, none is left to answer.
pub async fn delete_for(
    tx: &mut Tx,
    target: Target,
    user: Uuid,
    email: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "delete from invitation where target_key = $1 and (invitee_key = $2 or invitee_key = $3)"
    )
    .bind(target.key())
    .bind(Invitee::User(user).key())
    .bind(Invitee::Email(email.to_owned()).key())
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// Drops invitations that expired (housekeeping).
pub async fn purge_expired(db: &Db) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from invitation where expires_at <= $1")
        .bind(now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
