//! Seeds a Berth database for the benchmarks, straight into the tables with multi-row inserts
//! (a million credentials in minutes), through the same `Db`, migrations and sealing code the
//! server uses, so every row is one the server itself could have written.
//!
//! What it makes, for `projects` P and `credentials` C:
//! - user `bench` (password [`crate::client::PASSWORD`]), owner of organization `bench-org`;
//! - `bench-org/web` with 50 credentials (the page the benchmarks load), 19 more projects in
//!   `bench-org` and 5 personal ones: `bench` sees 25 projects whatever P is;
//! - the other P − 25 projects in filler organizations of 10 projects each, each with its own
//!   owner, and the other C − 50 credentials spread evenly over them.

use std::time::Instant;

use anyhow::Context;
use app::{
    on_db,
    server::{
        auth::password,
        crypto::MasterKey,
        crypto::secrets,
        db::{Db, PoolSettings},
    },
};
use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::PASSWORD;

/// The project whose credentials page and list the benchmarks load.
pub const TARGET: (&str, &str) = ("bench-org", "web");
/// Credentials in [`TARGET`].
pub const TARGET_CREDENTIALS: usize = 50;
/// Projects `bench` can see.
pub const VISIBLE_PROJECTS: usize = 25;
const FILLER_PER_ORG: usize = 10;

/// How much to seed.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Projects in all (at least [`VISIBLE_PROJECTS`] + 1).
    pub projects: usize,
    /// Credentials in all (at least [`TARGET_CREDENTIALS`]).
    pub credentials: usize,
}

/// One bound value of a row.
enum V {
    Id(Uuid),
    Text(String),
    Bytes(Vec<u8>),
    Flag(bool),
    At(OffsetDateTime),
    Int(i64),
}

/// Inserts `count` rows made by `row(i)` into `into` (`table (col, …)`), in chunks that stay
/// under both databases' bind-parameter limits.
async fn insert(
    db: &Db,
    into: &str,
    width: usize,
    count: usize,
    row: impl Fn(usize) -> Vec<V>,
) -> anyhow::Result<()> {
    let per_chunk = (30_000 / width).max(1);
    let mut start = 0;
    while start < count {
        let end = (start + per_chunk).min(count);
        let rows: Vec<Vec<V>> = (start..end).map(&row).collect();
        on_db!(db, pool => {
            let mut qb = sqlx::QueryBuilder::new(format!("insert into {into} "));
            qb.push_values(&rows, |mut b, row| {
                for value in row {
                    match value {
                        V::Id(id) => b.push_bind(*id),
                        V::Text(text) => b.push_bind(text.clone()),
                        V::Bytes(bytes) => b.push_bind(bytes.clone()),
                        V::Flag(flag) => b.push_bind(*flag),
                        V::At(at) => b.push_bind(*at),
                        V::Int(n) => b.push_bind(*n),
                    };
                }
            });
            qb.build().execute(pool).await.with_context(|| format!("insert into {into}"))?;
        });
        start = end;
    }
    Ok(())
}

fn text(s: impl Into<String>) -> V {
    V::Text(s.into())
}

/// Adds KCR repository `name` to [`TARGET`] with `tags` tags, `v0`.. pushed a second apart
/// from 1,700,000,000 (for the tag-page benchmark).
pub async fn kcr_tags(url: &str, name: &str, tags: usize) -> anyhow::Result<()> {
    let db = Db::connect(
        url,
        PoolSettings {
            max_connections: 2,
            min_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(30),
        },
    )
    .await?;
    let project: Uuid = on_db!(&db, pool => sqlx::query_scalar(
        "select id from project where owner_name = $1 and name = $2"
    )
    .bind(TARGET.0)
    .bind(TARGET.1)
    .fetch_one(pool)
    .await)?;
    let id = Uuid::now_v7();
    insert(
        &db,
        "kcr_repository (id, region, name, owner_name, project_id, created_at)",
        6,
        1,
        |_| {
            vec![
                V::Id(id),
                text("local"),
                text(name),
                text(TARGET.0),
                V::Id(project),
                V::Int(0),
            ]
        },
    )
    .await?;
    insert(
        &db,
        "kcr_tag (repository_id, tag, digest, media_type, size, pushed_at, pushed_by)",
        7,
        tags,
        |i| {
            vec![
                V::Id(id),
                text(format!("v{i}")),
                text(format!("sha256:{i:064x}")),
                text("application/vnd.oci.image.manifest.v1+json"),
                V::Int(1 << 20),
                V::Int(1_700_000_000 + i as i64),
                text("bench (token ci)"),
            ]
        },
    )
    .await?;
    db.close().await;
    Ok(())
}

/// Adds `count` Amazon ECR credentials to the filler projects of a seeded database, each for
/// an account of its own, all due for a refresh now (their tokens end in ten minutes), with
/// the AWS keys sealed as Berth seals them: one refresh round's work.
pub async fn ecr_credentials(url: &str, key: &MasterKey, count: usize) -> anyhow::Result<()> {
    let db = Db::connect(
        url,
        PoolSettings {
            max_connections: 2,
            min_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(30),
        },
    )
    .await?;
    let projects: Vec<Uuid> = on_db!(&db, pool => sqlx::query_scalar::<_, Uuid>(
        "select id from project where owner_name like 'o%' order by id"
    )
    .fetch_all(pool)
    .await)?;
    anyhow::ensure!(
        !projects.is_empty(),
        "no filler projects to add ECR credentials to"
    );
    let user: Uuid = on_db!(&db, pool => sqlx::query_scalar::<_, Uuid>(
        "select id from app_user where username = 'bench'"
    )
    .fetch_one(pool)
    .await)?;
    let now = OffsetDateTime::now_utc();
    let unix = now.unix_timestamp();
    insert(
        &db,
        "registry_credential (id, project_id, server, registry_host, username, email, password_ciphertext, password_nonce, key_id, created_at, created_by, updated_at, updated_by, source, aws_access_key_id, aws_secret_ciphertext, aws_secret_nonce, aws_secret_key_id, token_expires_at, token_refreshed_at, refresh_due_at)",
        21,
        count,
        |i| {
            let project = projects[i % projects.len()];
            let id = Uuid::now_v7();
            let host = format!("{:012}.dkr.ecr.eu-west-1.amazonaws.com", 100_000_000_000 + i);
            let token = secrets::seal(key, "stale token", id, project);
            let keys = app::server::rules::credential_sources::seal_keys(
                key,
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                id,
                project,
            );
            vec![
                V::Id(id),
                V::Id(project),
                text(format!("https://{host}")),
                text(host),
                text("AWS"),
                text(""),
                V::Bytes(token.ciphertext),
                V::Bytes(token.nonce),
                text(token.key_id),
                V::At(now),
                V::Id(user),
                V::At(now),
                V::Id(user),
                text("ecr"),
                text("AKIAIOSFODNN7EXAMPLE"),
                V::Bytes(keys.ciphertext),
                V::Bytes(keys.nonce),
                text(keys.key_id),
                V::Int(unix + 600),
                V::Int(unix - 11 * 3_600 - 3_000),
                V::Int(unix - 1),
            ]
        },
    )
    .await?;
    db.close().await;
    Ok(())
}

/// Applies the migrations to `url` (which must be empty) and fills it.
pub async fn seed(url: &str, key: &MasterKey, size: Size) -> anyhow::Result<()> {
    anyhow::ensure!(
        size.projects > VISIBLE_PROJECTS && size.credentials >= TARGET_CREDENTIALS,
        "seed at least {} projects and {TARGET_CREDENTIALS} credentials",
        VISIBLE_PROJECTS + 1
    );
    let started = Instant::now();
    let db = Db::connect(
        url,
        PoolSettings {
            max_connections: 4,
            min_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(30),
        },
    )
    .await?;
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    let hash = password::hash(SecretString::from(PASSWORD))
        .await
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;

    // Users: `bench` and one owner per filler organization.
    let filler_projects = size.projects - VISIBLE_PROJECTS;
    let filler_orgs = filler_projects.div_ceil(FILLER_PER_ORG);
    let user_ids: Vec<Uuid> = (0..=filler_orgs).map(|_| Uuid::now_v7()).collect();
    let username = |i: usize| {
        if i == 0 {
            "bench".to_owned()
        } else {
            format!("u{i:06}")
        }
    };
    let orgname = |i: usize| {
        if i == 0 {
            TARGET.0.to_owned()
        } else {
            format!("o{i:06}")
        }
    };
    let users = user_ids.len();
    insert(&db, "namespace (name, kind, created_at)", 3, users, |i| {
        vec![text(username(i)), text("user"), V::At(now)]
    })
    .await?;
    insert(
        &db,
        "app_user (id, username, email, display_name, password_hash, session_version, is_instance_admin, created_at, updated_at)",
        9,
        users,
        |i| {
            vec![
                V::Id(user_ids[i]),
                text(username(i)),
                text(format!("{}@bench.example", username(i))),
                text(username(i)),
                text(hash.clone()),
                V::Bytes(Uuid::new_v4().as_bytes().to_vec()),
                // `bench` is the instance administrator, as the first sign-up would be.
                V::Flag(i == 0),
                V::At(now),
                V::At(now),
            ]
        },
    )
    .await?;

    // Organizations: `bench-org` (index 0) and the fillers, each with its owner and region.
    let org_ids: Vec<Uuid> = (0..=filler_orgs).map(|_| Uuid::now_v7()).collect();
    let orgs = org_ids.len();
    insert(&db, "namespace (name, kind, created_at)", 3, orgs, |i| {
        vec![text(orgname(i)), text("organization"), V::At(now)]
    })
    .await?;
    insert(
        &db,
        "organization (id, name, display_name, created_at)",
        4,
        orgs,
        |i| {
            vec![
                V::Id(org_ids[i]),
                text(orgname(i)),
                text(orgname(i)),
                V::At(now),
            ]
        },
    )
    .await?;
    insert(
        &db,
        "org_member (org_id, user_id, role, created_at)",
        4,
        orgs,
        |i| {
            vec![
                V::Id(org_ids[i]),
                V::Id(user_ids[i]),
                text("owner"),
                V::At(now),
            ]
        },
    )
    .await?;
    insert(&db, "org_region (org_id, region)", 2, orgs, |i| {
        vec![V::Id(org_ids[i]), text("local")]
    })
    .await?;

    // Projects: 0 is bench-org/web, 1..20 bench-org/svc-NN, 20..25 bench/p-N, then fillers.
    let project_ids: Vec<Uuid> = (0..size.projects).map(|_| Uuid::now_v7()).collect();
    let project = |i: usize| -> (String, String) {
        match i {
            0 => (TARGET.0.to_owned(), TARGET.1.to_owned()),
            1..20 => (TARGET.0.to_owned(), format!("svc-{i:02}")),
            20..VISIBLE_PROJECTS => ("bench".to_owned(), format!("p-{}", i - 20)),
            _ => {
                let f = i - VISIBLE_PROJECTS;
                (
                    orgname(f / FILLER_PER_ORG + 1),
                    format!("svc-{}", f % FILLER_PER_ORG),
                )
            }
        }
    };
    insert(
        &db,
        "project (id, owner_name, name, description, region, created_at, updated_at)",
        7,
        size.projects,
        |i| {
            let (owner, name) = project(i);
            vec![
                V::Id(project_ids[i]),
                text(owner),
                text(name),
                text("seeded for benchmarks"),
                text("local"),
                V::At(now),
                V::At(now),
            ]
        },
    )
    .await?;

    // Credentials: 50 in the target project, the rest spread over the filler projects.
    let filler_credentials = size.credentials - TARGET_CREDENTIALS;
    let credential = |i: usize| -> (usize, String) {
        if i < TARGET_CREDENTIALS {
            (0, format!("registry-{i:02}.bench.example"))
        } else {
            let f = i - TARGET_CREDENTIALS;
            (
                VISIBLE_PROJECTS + f % filler_projects,
                format!("r{}.filler.example", f / filler_projects),
            )
        }
    };
    insert(
        &db,
        "registry_credential (id, project_id, server, registry_host, username, email, password_ciphertext, password_nonce, key_id, created_at, created_by, updated_at, updated_by)",
        13,
        TARGET_CREDENTIALS + filler_credentials,
        |i| {
            let (p, host) = credential(i);
            let id = Uuid::now_v7();
            let sealed = secrets::seal(key, &format!("secret-{i}"), id, project_ids[p]);
            vec![
                V::Id(id),
                V::Id(project_ids[p]),
                text(format!("https://{host}")),
                text(host),
                text(format!("user{i}")),
                text(""),
                V::Bytes(sealed.ciphertext),
                V::Bytes(sealed.nonce),
                text(sealed.key_id),
                V::At(now),
                V::Id(user_ids[0]),
                V::At(now),
                V::Id(user_ids[0]),
            ]
        },
    )
    .await?;
    on_db!(&db, pool => sqlx::query("analyze").execute(pool).await.map(drop))?;
    db.close().await;
    eprintln!(
        "seeded {} projects, {} credentials, {} users in {:.1} s",
        size.projects,
        size.credentials,
        users,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
