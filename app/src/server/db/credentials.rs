//! `registry_credential`: one per project and canonical registry host. The list query never
//! selects the sealed password; only [`sealed`] does, for the code that uses it.

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::credential::CredentialCursor;
use crate::server::crypto::secrets::Sealed;
use crate::server::db::{Db, Tx, Unique};
use crate::{on_db, on_tx};

/// A credential without its password.
#[derive(Clone, Debug)]
pub struct Credential {
    /// ID (UUIDv7).
    pub id: Uuid,
    pub project_id: Uuid,
    /// The server as given.
    pub server: String,
    /// Its canonical registry host.
    pub registry_host: String,
    pub username: String,
    pub email: String,
    /// When added.
    pub created_at: OffsetDateTime,
    /// Who added it.
    pub created_by_name: Option<String>,
    /// When last changed.
    pub updated_at: OffsetDateTime,
    /// Who last changed it.
    pub updated_by_name: Option<String>,
    /// When it last went out in a pull secret (Unix seconds).
    pub last_exported_at: Option<i64>,
    /// Who exported it, as the audit log names them.
    pub last_exported_by: Option<String>,
    /// `ok` or `failing` after a check; `None` when untested.
    pub check_status: Option<String>,
    /// Why the last check failed.
    pub check_reason: Option<String>,
    /// When it was last checked (Unix seconds).
    pub checked_at: Option<i64>,
    /// The image its checks try.
    pub check_image: Option<String>,
    /// When the password stops working (`YYYY-MM-DD`).
    pub expires_on: Option<String>,
    /// `static` or `ecr` (`db::credential_sources`).
    pub source: String,
    /// ECR: the AWS access key ID, and the role assumed with it.
    pub aws_access_key_id: Option<String>,
    pub aws_role_arn: Option<String>,
    /// ECR: the external ID the role's trust policy asks for.
    pub aws_external_id: Option<String>,
    /// ECR: when the token expires and when it was minted (Unix seconds), and why the last
    /// refresh failed.
    pub token_expires_at: Option<i64>,
    pub token_refreshed_at: Option<i64>,
    pub refresh_error: Option<String>,
}
from_row!(Credential {
    id,
    project_id,
    server,
    registry_host,
    username,
    email,
    created_at,
    created_by_name,
    updated_at,
    updated_by_name,
    last_exported_at,
    last_exported_by,
    check_status,
    check_reason,
    checked_at,
    check_image,
    expires_on,
    source,
    aws_access_key_id,
    aws_role_arn,
    aws_external_id,
    token_expires_at,
    token_refreshed_at,
    refresh_error
});

const COLUMNS: &str = "c.id, c.project_id, c.server, c.registry_host, c.username, c.email,
    c.created_at, cu.username as created_by_name, c.updated_at, uu.username as updated_by_name,
    c.last_exported_at, c.last_exported_by, c.check_status, c.check_reason, c.checked_at,
    c.check_image, c.expires_on, c.source, c.aws_access_key_id, c.aws_role_arn,
    c.aws_external_id, c.token_expires_at, c.token_refreshed_at, c.refresh_error";
const FROM: &str = "registry_credential c
    left join app_user cu on cu.id = c.created_by
    left join app_user uu on uu.id = c.updated_by";

/// What adding stores.
pub struct NewCredential<'a> {
    /// ID chosen by the caller (the seal binds to it).
    pub id: Uuid,
    pub project_id: Uuid,
    /// Server as given.
    pub server: &'a str,
    /// Canonical host.
    pub registry_host: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    /// The sealed password.
    pub sealed: &'a Sealed,
    /// Who added it (`None` for a project token).
    pub by: Option<Uuid>,
    /// `YYYY-MM-DD`, if known.
    pub expires_on: Option<&'a str>,
}

/// One credential per project and registry host.
pub const HOST_TAKEN: &[Unique] = &[Unique {
    pg: "registry_credential_host_key",
    sqlite: "registry_credential.project_id",
}];

/// The ID of the project's credential for `registry_host`, if it has one.
pub async fn id_for_host(
    tx: &mut Tx,
    project: Uuid,
    registry_host: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, Uuid>(
        "select id from registry_credential where project_id = $1 and registry_host = $2"
    )
    .bind(project)
    .bind(registry_host)
    .fetch_optional(&mut *conn)
    .await)
}

/// Adds a credential (a second for the same host breaks [`HOST_TAKEN`]).
pub async fn add(tx: &mut Tx, new: &NewCredential<'_>) -> Result<(), sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    on_tx!(tx, conn => sqlx::query(
        "insert into registry_credential (id, project_id, server, registry_host, username, email,
             password_ciphertext, password_nonce, key_id, created_at, created_by, updated_at, updated_by,
             expires_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11, $12)"
    )
    .bind(new.id)
    .bind(new.project_id)
    .bind(new.server)
    .bind(new.registry_host)
    .bind(new.username)
    .bind(new.email)
    .bind(&new.sealed.ciphertext)
    .bind(&new.sealed.nonce)
    .bind(&new.sealed.key_id)
    .bind(now)
    .bind(new.by)
    .bind(new.expires_on)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// A page of the project's credentials sorted by server (then ID), after the sort key `after`.
/// The cursor is the sort key itself, not a row to look up: nothing outside the project is
/// read, whatever a caller puts in it. First and later pages are separate statements, so each
/// can use the `(project_id, server, id)` index.
pub async fn page(
    db: &Db,
    project: Uuid,
    after: Option<&CredentialCursor>,
    limit: i64,
) -> Result<Vec<Credential>, sqlx::Error> {
    let sql = match after {
        None => format!(
            "select {COLUMNS} from {FROM}
             where c.project_id = $1
             order by c.server, c.id
             limit $2"
        ),
        Some(_) => format!(
            "select {COLUMNS} from {FROM}
             where c.project_id = $1 and (c.server > $3 or (c.server = $3 and c.id > $4))
             order by c.server, c.id
             limit $2"
        ),
    };
    on_db!(db, pool => {
        let query = sqlx::query_as::<_, Credential>(&sql).bind(project).bind(limit);
        match after {
            Some(after) => query.bind(&after.server).bind(after.id),
            None => query,
        }
        .fetch_all(pool)
        .await
    })
}

/// Every credential of the project (for resolving an image; no passwords).
pub async fn all(db: &Db, project: Uuid) -> Result<Vec<Credential>, sqlx::Error> {
    page(db, project, None, i64::MAX).await
}

/// Every credential of the project with its sealed password, by server: what a pull secret
/// exports.
pub async fn all_sealed(db: &Db, project: Uuid) -> Result<Vec<(Credential, Sealed)>, sqlx::Error> {
    struct Row {
        credential: Credential,
        password_ciphertext: Vec<u8>,
        password_nonce: Vec<u8>,
        key_id: String,
    }
    from_row!(Row { password_ciphertext, password_nonce, key_id } flatten { credential });
    let sql = format!(
        "select {COLUMNS}, c.password_ciphertext, c.password_nonce, c.key_id
         from {FROM} where c.project_id = $1 order by c.server, c.id"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, Row>(&sql)
        .bind(project)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.credential,
                Sealed {
                    ciphertext: r.password_ciphertext,
                    nonce: r.password_nonce,
                    key_id: r.key_id,
                },
            )
        })
        .collect())
}

/// Records that credential `id` of `project` went out in a pull secret at `at`, by `by`.
pub async fn mark_exported(
    tx: &mut Tx,
    project: Uuid,
    id: Uuid,
    at: i64,
    by: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update registry_credential set last_exported_at = $3, last_exported_by = $4
         where project_id = $1 and id = $2"
    )
    .bind(project)
    .bind(id)
    .bind(at)
    .bind(by)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// One credential of the project.
pub async fn find(tx: &mut Tx, project: Uuid, id: Uuid) -> Result<Option<Credential>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from {FROM} where c.project_id = $1 and c.id = $2");
    on_tx!(tx, conn => sqlx::query_as::<_, Credential>(&sql)
        .bind(project)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await)
}

/// What an update changes.
pub struct Change<'a> {
    pub username: &'a str,
    pub email: &'a str,
    /// A new sealed password, if any.
    pub sealed: Option<&'a Sealed>,
    pub expires_on: Option<&'a str>,
    /// Forget the last check (the username or password changed).
    pub untested: bool,
    pub by: Option<Uuid>,
}

/// Updates username, email and expiry, the password when a sealed one is given, and forgets
/// the last check when told to.
pub async fn update(tx: &mut Tx, id: Uuid, change: &Change<'_>) -> Result<(), sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let Change {
        username,
        email,
        sealed,
        expires_on,
        untested,
        by,
    } = *change;
    on_tx!(tx, conn => {
        sqlx::query(
            "update registry_credential set username = $2, email = $3, updated_at = $4,
                 updated_by = $5, expires_on = $6
             where id = $1",
        )
        .bind(id)
        .bind(username)
        .bind(email)
        .bind(now)
        .bind(by)
        .bind(expires_on)
        .execute(&mut *conn)
        .await?;
        if untested {
            sqlx::query(
                "update registry_credential set check_status = null, check_reason = null,
                     checked_at = null
                 where id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(sealed) = sealed {
            sqlx::query(
                "update registry_credential set password_ciphertext = $2, password_nonce = $3, key_id = $4
                 where id = $1",
            )
            .bind(id)
            .bind(&sealed.ciphertext)
            .bind(&sealed.nonce)
            .bind(&sealed.key_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
}

/// Deletes a credential.
pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("delete from registry_credential where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(drop))
}

/// The sealed password of a credential, with its project (the seal's binding).
pub async fn sealed(db: &Db, id: Uuid) -> Result<Option<(Uuid, Sealed)>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, (Uuid, Vec<u8>, Vec<u8>, String)>(
        "select project_id, password_ciphertext, password_nonce, key_id from registry_credential where id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(project, ciphertext, nonce, key_id)| {
        (
            project,
            Sealed {
                ciphertext,
                nonce,
                key_id,
            },
        )
    }))
}

/// A check's result to store.
pub struct CheckResult<'a> {
    /// `ok` or `failing`.
    pub status: &'a str,
    pub reason: Option<&'a str>,
    /// Unix seconds.
    pub at: i64,
    pub image: Option<&'a str>,
}

/// Stores a check of credential `id` made with `username` and the password sealed with
/// `nonce` (every password write draws a new one); a credential whose username or password
/// changed meanwhile keeps its (now untested) state. Answers whether it was stored.
pub async fn record_check(
    tx: &mut Tx,
    id: Uuid,
    (username, nonce): (&str, &[u8]),
    result: &CheckResult<'_>,
) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update registry_credential set check_status = $4, check_reason = $5, checked_at = $6,
             check_image = $7
         where id = $1 and username = $2 and password_nonce = $3"
    )
    .bind(id)
    .bind(username)
    .bind(nonce)
    .bind(result.status)
    .bind(result.reason)
    .bind(result.at)
    .bind(result.image)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// A credential due for a background check, with what the check and its audit entry need.
#[derive(Debug)]
pub struct Due {
    pub credential: Credential,
    /// Its project's organization.
    pub org_id: Option<Uuid>,
    pub password_ciphertext: Vec<u8>,
    pub password_nonce: Vec<u8>,
    pub key_id: String,
}
from_row!(Due { org_id, password_ciphertext, password_nonce, key_id } flatten { credential });

impl Due {
    /// The sealed password.
    pub fn sealed(&self) -> Sealed {
        Sealed {
            ciphertext: self.password_ciphertext.clone(),
            nonce: self.password_nonce.clone(),
            key_id: self.key_id.clone(),
        }
    }
}

/// Up to `limit` credentials never checked, or last checked before `before` (Unix seconds),
/// the longest waiting first.
pub async fn due(db: &Db, before: i64, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS}, o.id as org_id, c.password_ciphertext, c.password_nonce, c.key_id
         from {FROM} join project p on p.id = c.project_id
         left join organization o on o.name = p.owner_name
         where c.checked_at is null or c.checked_at < $1
         order by coalesce(c.checked_at, 0), c.id
         limit $2"
    );
    on_db!(db, pool => sqlx::query_as::<_, Due>(&sql)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await)
}

/// How many credentials project `project` has.
pub async fn count(tx: &mut Tx, project: Uuid) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "select count(*) from registry_credential where project_id = $1"
    )
    .bind(project)
    .fetch_one(&mut *conn)
    .await)
}
