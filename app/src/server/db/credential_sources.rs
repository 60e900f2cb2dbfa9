//! The source columns of `registry_credential`: where a credential's password comes from.
//! A static credential has none. An Amazon ECR one keeps its AWS access key ID, role, sealed
//! secret, and the state of the token minted from them; the token itself is the credential's
//! password (its sealed columns), so every reader of a password reads the live token.
//!
//! Every write of a token is a compare-and-set on the password's nonce (each seal draws a new
//! one): a refresh that lost a race to another (a second replica, an export refreshing on
//! demand, an edit of the keys) changes nothing.

use super::from_row;
use uuid::Uuid;

use crate::server::crypto::secrets::Sealed;
use crate::server::db::{Db, Tx};
use crate::{on_db, on_tx};

/// `source` of a static credential.
pub const STATIC: &str = "static";
/// `source` of an Amazon ECR credential.
pub const ECR: &str = "ecr";

/// An ECR credential's AWS keys and role.
#[derive(Clone, Debug)]
pub struct EcrKeys {
    pub access_key_id: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// The secret access key (and session token), sealed as an AWS secret.
    pub secret: Sealed,
}

/// The token a credential's source minted, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenState {
    /// `static` or `ecr`.
    pub source: String,
    /// When the token expires (Unix seconds).
    pub token_expires_at: Option<i64>,
    /// When it was minted.
    pub token_refreshed_at: Option<i64>,
    /// When the next refresh is due.
    pub refresh_due_at: Option<i64>,
    /// Why the last refresh failed (AWS's code and message).
    pub refresh_error: Option<String>,
    /// Failed refreshes in a row.
    pub refresh_failures: i32,
}
from_row!(TokenState {
    source,
    token_expires_at,
    token_refreshed_at,
    refresh_due_at,
    refresh_error,
    refresh_failures
});

/// A freshly minted token to store.
pub struct Minted<'a> {
    /// The registry username (`AWS`).
    pub username: &'a str,
    /// The token, sealed as the credential's password.
    pub sealed: &'a Sealed,
    pub expires_at: i64,
    pub refreshed_at: i64,
    pub due_at: i64,
}

/// Makes credential `id` an ECR one with `keys` (its token is stored by [`store_token`]).
pub async fn set_ecr(tx: &mut Tx, id: Uuid, keys: &EcrKeys) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update registry_credential set source = $2, aws_access_key_id = $3, aws_role_arn = $4,
             aws_external_id = $5, aws_secret_ciphertext = $6, aws_secret_nonce = $7,
             aws_secret_key_id = $8
         where id = $1"
    )
    .bind(id)
    .bind(ECR)
    .bind(&keys.access_key_id)
    .bind(keys.role_arn.as_deref())
    .bind(keys.external_id.as_deref())
    .bind(&keys.secret.ciphertext)
    .bind(&keys.secret.nonce)
    .bind(&keys.secret.key_id)
    .execute(&mut *conn)
    .await
    .map(drop))
}

/// Stores a minted token of credential `id` if its password is still the one sealed with
/// `replaces` (the nonce read before minting), clearing the last failure. Answers whether
/// it was stored.
pub async fn store_token(
    tx: &mut Tx,
    id: Uuid,
    replaces: &[u8],
    minted: &Minted<'_>,
) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update registry_credential set username = $3, password_ciphertext = $4,
             password_nonce = $5, key_id = $6, token_expires_at = $7, token_refreshed_at = $8,
             refresh_due_at = $9, refresh_error = null, refresh_failures = 0
         where id = $1 and password_nonce = $2 and source = 'ecr'"
    )
    .bind(id)
    .bind(replaces)
    .bind(minted.username)
    .bind(&minted.sealed.ciphertext)
    .bind(&minted.sealed.nonce)
    .bind(&minted.sealed.key_id)
    .bind(minted.expires_at)
    .bind(minted.refreshed_at)
    .bind(minted.due_at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// Records a failed refresh of credential `id` (if its password is still the one sealed
/// with `nonce` and no other failure was recorded since `failures` were read): the reason,
/// one more failure in a row, and when to try again. The token stays as it was. Answers
/// whether it was recorded (readers failing at once count as one failure, audited once).
pub async fn record_failure(
    tx: &mut Tx,
    id: Uuid,
    (nonce, failures): (&[u8], i32),
    reason: &str,
    retry_at: i64,
) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "update registry_credential set refresh_error = $3,
             refresh_failures = refresh_failures + 1, refresh_due_at = $4
         where id = $1 and password_nonce = $2 and refresh_failures = $5 and source = 'ecr'"
    )
    .bind(id)
    .bind(nonce)
    .bind(reason)
    .bind(retry_at)
    .bind(failures)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// The token state of credential `id`.
pub async fn token_state(db: &Db, id: Uuid) -> Result<Option<TokenState>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, TokenState>(
        "select source, token_expires_at, token_refreshed_at, refresh_due_at, refresh_error,
             refresh_failures
         from registry_credential where id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// An ECR credential as its refresh needs it.
#[derive(Debug)]
pub struct Refreshable {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The project's organization (for the audit log), if an organization owns it.
    pub org_id: Option<Uuid>,
    pub registry_host: String,
    pub aws_access_key_id: String,
    pub aws_role_arn: Option<String>,
    pub aws_external_id: Option<String>,
    pub aws_secret_ciphertext: Vec<u8>,
    pub aws_secret_nonce: Vec<u8>,
    pub aws_secret_key_id: String,
    /// The nonce of the token it holds now (what a refresh replaces).
    pub password_nonce: Vec<u8>,
    pub token_expires_at: Option<i64>,
    pub refresh_failures: i32,
    /// When the next refresh is due (after a failure: when the backoff ends).
    pub refresh_due_at: Option<i64>,
}
from_row!(Refreshable {
    id,
    project_id,
    org_id,
    registry_host,
    aws_access_key_id,
    aws_role_arn,
    aws_external_id,
    aws_secret_ciphertext,
    aws_secret_nonce,
    aws_secret_key_id,
    password_nonce,
    token_expires_at,
    refresh_failures,
    refresh_due_at
});

impl Refreshable {
    /// The sealed AWS secret.
    pub fn secret(&self) -> Sealed {
        Sealed {
            ciphertext: self.aws_secret_ciphertext.clone(),
            nonce: self.aws_secret_nonce.clone(),
            key_id: self.aws_secret_key_id.clone(),
        }
    }
}

const REFRESHABLE: &str = "select c.id, c.project_id, o.id as org_id, c.registry_host,
    c.aws_access_key_id, c.aws_role_arn, c.aws_external_id, c.aws_secret_ciphertext,
    c.aws_secret_nonce, c.aws_secret_key_id, c.password_nonce, c.token_expires_at,
    c.refresh_failures, c.refresh_due_at
    from registry_credential c join project p on p.id = c.project_id
    left join organization o on o.name = p.owner_name";

/// Up to `limit` ECR credentials whose refresh is due at `now` (Unix seconds), the most
/// overdue first.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Refreshable>, sqlx::Error> {
    let sql = format!(
        "{REFRESHABLE} where c.source = 'ecr' and c.refresh_due_at <= $1
         order by c.refresh_due_at, c.id limit $2"
    );
    on_db!(db, pool => sqlx::query_as::<_, Refreshable>(&sql)
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await)
}

/// ECR credential `id` as its refresh needs it (`None`: not there, or not ECR).
pub async fn refreshable(db: &Db, id: Uuid) -> Result<Option<Refreshable>, sqlx::Error> {
    let sql = format!("{REFRESHABLE} where c.id = $1 and c.source = 'ecr'");
    on_db!(db, pool => sqlx::query_as::<_, Refreshable>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}
