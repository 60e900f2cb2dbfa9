//! Key rotation: re-seal every registry password (and every ECR credential's AWS secret)
//! under a new master key. Rows are opened with
//! whichever given key sealed them and re-sealed one by one; a row changed meanwhile (by a
//! server still sealing under the old key) is picked up by the next run. The report says how
//! many rows are still under other keys: the old key must stay available until that is zero.

use uuid::Uuid;

use crate::on_db;
use crate::server::{
    crypto::MasterKey,
    crypto::secrets::{self, Sealed},
    db::Db,
};

/// What a rotation did.
#[derive(Debug, PartialEq, Eq)]
pub struct RotationReport {
    /// The new key's ID.
    pub new_key_id: String,
    /// Rows re-sealed under the new key by this run.
    pub resealed: u64,
    /// Rows that none of the given keys opens (sealed under a key not given, or tampered).
    pub unreadable: Vec<Uuid>,
    /// Rows still under another key after this run.
    pub left: i64,
}

/// Re-seals every password not yet under `new`, opening each with one of `keys` (give the
/// current key and any older ones still in use).
pub async fn rotate(
    db: &Db,
    keys: &[&MasterKey],
    new: &MasterKey,
) -> Result<RotationReport, sqlx::Error> {
    let new_id = secrets::key_id(new);
    type Row = (Uuid, Uuid, Vec<u8>, Vec<u8>, String);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "select id, project_id, password_ciphertext, password_nonce, key_id
         from registry_credential where key_id <> $1 order by id"
    )
    .bind(&new_id)
    .fetch_all(pool)
    .await)?;
    let mut all_keys: Vec<&MasterKey> = keys.to_vec();
    all_keys.push(new);
    let (mut resealed, mut unreadable) = (0, Vec::new());
    for (id, project, ciphertext, nonce, key_id) in rows {
        let sealed = Sealed {
            ciphertext,
            nonce,
            key_id: key_id.clone(),
        };
        let Ok(password) = secrets::open(&all_keys, &sealed, id, project) else {
            unreadable.push(id);
            continue;
        };
        let fresh = secrets::seal(
            new,
            secrecy::ExposeSecret::expose_secret(&password),
            id,
            project,
        );
        // Only if the row still holds what was opened.
        let done = on_db!(db, pool => sqlx::query(
            "update registry_credential set password_ciphertext = $2, password_nonce = $3, key_id = $4
             where id = $1 and key_id = $5 and password_nonce = $6"
        )
        .bind(id)
        .bind(&fresh.ciphertext)
        .bind(&fresh.nonce)
        .bind(&fresh.key_id)
        .bind(&key_id)
        .bind(&sealed.nonce)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        resealed += done;
    }
    let (aws_resealed, aws_unreadable) = reseal_aws_secrets(db, &all_keys, new, &new_id).await?;
    resealed += aws_resealed;
    unreadable.extend(aws_unreadable);
    // Import drafts live fifteen minutes: dropped, not re-sealed (their makers preview again),
    // so none outlives the key being retired.
    on_db!(db, pool => sqlx::query("delete from credential_import where key_id <> $1")
        .bind(&new_id)
        .execute(pool)
        .await
        .map(drop))?;
    let left = on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "select count(*) from registry_credential
         where key_id <> $1 or (aws_secret_key_id is not null and aws_secret_key_id <> $1)"
    )
    .bind(&new_id)
    .fetch_one(pool)
    .await)?;
    Ok(RotationReport {
        new_key_id: new_id,
        resealed,
        unreadable,
        left,
    })
}

/// Re-seals the AWS secrets of ECR credentials not yet under `new`; answers how many, and the
/// credentials whose secret none of `keys` opens.
async fn reseal_aws_secrets(
    db: &Db,
    keys: &[&MasterKey],
    new: &MasterKey,
    new_id: &str,
) -> Result<(u64, Vec<Uuid>), sqlx::Error> {
    type Row = (Uuid, Uuid, Vec<u8>, Vec<u8>, String);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "select id, project_id, aws_secret_ciphertext, aws_secret_nonce, aws_secret_key_id
         from registry_credential
         where aws_secret_key_id is not null and aws_secret_key_id <> $1 order by id"
    )
    .bind(new_id)
    .fetch_all(pool)
    .await)?;
    let (mut resealed, mut unreadable) = (0, Vec::new());
    for (id, project, ciphertext, nonce, key_id) in rows {
        let sealed = Sealed {
            ciphertext,
            nonce,
            key_id: key_id.clone(),
        };
        let Ok(secret) = secrets::open_aws_secret(keys, &sealed, id, project) else {
            unreadable.push(id);
            continue;
        };
        let fresh = secrets::seal_aws_secret(
            new,
            secrecy::ExposeSecret::expose_secret(&secret),
            id,
            project,
        );
        let done = on_db!(db, pool => sqlx::query(
            "update registry_credential set aws_secret_ciphertext = $2, aws_secret_nonce = $3,
                 aws_secret_key_id = $4
             where id = $1 and aws_secret_key_id = $5 and aws_secret_nonce = $6"
        )
        .bind(id)
        .bind(&fresh.ciphertext)
        .bind(&fresh.nonce)
        .bind(&fresh.key_id)
        .bind(&key_id)
        .bind(&sealed.nonce)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        resealed += done;
    }
    Ok((resealed, unreadable))
}
