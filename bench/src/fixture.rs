//! What every benchmark starts from: a fresh database of either kind (removed afterwards), a
//! copy of the built site with the benchmarks' static files beside it, the master key.

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::server::crypto::MasterKey;

use crate::{
    berth::Launch,
    seed::{self, Size},
};
use sqlx::Connection;
use uuid::Uuid;

/// Which database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at `--postgres-url`.
    Postgres,
}

impl Backend {
    /// "SQLite" or "PostgreSQL".
    pub fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty database; dropped (file removed, database dropped) by [`Database::remove`].
#[derive(Debug)]
pub struct Database {
    /// Its URL.
    pub url: String,
    backend: Backend,
    admin_url: String,
    name: String,
    dir: PathBuf,
}

/// The master key every benchmark server gets.
pub const KEY_HEX: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

impl Database {
    /// Makes an empty database of `backend` (PostgreSQL through `admin_url`).
    pub async fn create(backend: Backend, admin_url: &str, scratch: &Path) -> anyhow::Result<Self> {
        let name = format!("berth_bench_{}", Uuid::now_v7().simple());
        let dir = scratch.join(&name);
        std::fs::create_dir_all(&dir)?;
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}/berth.db", dir.display()),
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(admin_url)
                    .await
                    .with_context(|| format!("PostgreSQL at {admin_url}"))?;
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await?;
                let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
                format!("{base}/{name}")
            }
        };
        Ok(Self {
            url,
            backend,
            admin_url: admin_url.to_owned(),
            name,
            dir,
        })
    }

    /// Removes the database.
    pub async fn remove(self) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(&format!(
                "drop database if exists {} with (force)",
                self.name
            ))
            .execute(&mut conn)
            .await?;
        }
        std::fs::remove_dir_all(&self.dir).ok();
        Ok(())
    }
}

/// The master key as a value.
pub fn key() -> MasterKey {
    MasterKey::from_hex(KEY_HEX).unwrap_or_else(|e| panic!("bench key: {e}"))
}

/// Copies the built site at `from` into `to` (recursively), so benchmark files can be added
/// without touching the real one.
pub fn copy_site(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_site(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// What perf and fault runs share: the binaries, where scratch files and databases go.
#[derive(Clone, Debug)]
pub struct Env {
    /// The release `berth` binary.
    pub berth: PathBuf,
    /// The built site.
    pub site_root: PathBuf,
    /// Where temporary databases and the site copy go.
    pub scratch: PathBuf,
    /// PostgreSQL server for the PostgreSQL runs.
    pub postgres_url: String,
    /// Databases to run on.
    pub backends: Vec<Backend>,
}

impl Env {
    /// A fresh database of `backend` seeded to `size`, and how to start Berth on it serving
    /// the site at `site`.
    pub async fn seeded(
        &self,
        backend: Backend,
        size: Size,
        site: &Path,
    ) -> anyhow::Result<(Database, Launch)> {
        let db = Database::create(backend, &self.postgres_url, &self.scratch).await?;
        seed::seed(&db.url, &key(), size).await?;
        let launch = Launch {
            bin: self.berth.clone(),
            database_url: db.url.clone(),
            secret_key: KEY_HEX.to_owned(),
            site_root: site.to_path_buf(),
            db_max_connections: 16,
            // The KCR signing key goes beside the database's scratch folder, never into
            // `./berth-data` of the checkout (its default with PostgreSQL and a given key).
            extra_args: vec![
                "--kcr-key-dir".into(),
                db.dir.join("kcr-keys").display().to_string(),
            ],
            log: self.scratch.join(format!("{}.log", db.name)),
        };
        Ok((db, launch))
    }
}
