//! `Db`: the one handle on storage, SQLite (embedded default) or PostgreSQL (several replicas),
//! picked by the URL scheme at start-up. Queries are written once in portable SQL (`$1`
//! placeholders work on both) and run on either pool through [`on_db!`] / [`on_tx!`].

pub mod access_tokens;
pub mod audit_events;
pub mod credential_imports;
pub mod credential_sources;
pub mod credentials;
pub mod device_grants;
pub mod invitations;
pub mod kcr_images;
pub mod leases;
pub mod members;
mod migrations;
pub mod org_changes;
pub mod orgs;
pub mod projects;
mod rows;
pub mod throttle;
pub mod users;

use std::{path::Path, str::FromStr, time::Duration};

use crate::error::AppError;

use sqlx::{
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body is compiled once per
/// backend, so the same query text and binds are type-checked against both.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_db!`] for an open transaction; `$conn` is the transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::server::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::server::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// A connection pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    /// The embedded default: one file, WAL, foreign keys on.
    Sqlite(SqlitePool),
    /// A PostgreSQL server, shared by any number of replicas.
    Postgres(PgPool),
}

/// An open transaction on either database.
pub enum Tx {
    /// SQLite transaction (`BEGIN IMMEDIATE` is not needed: SQLite serialises writers).
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
}

/// Pool sizing and timeouts, from the command line.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long a request waits for a free connection before it fails with 503.
    pub acquire_timeout: Duration,
}

/// Why the database could not be opened, in words fit for one line at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL's scheme is neither sqlite nor postgres.
    #[error(
        "unsupported database URL scheme in {0:?}: use sqlite://PATH or postgres://USER@HOST/DB"
    )]
    Scheme(String),
    /// The URL did not parse.
    #[error("invalid database URL: {0}")]
    Url(String),
    /// The SQLite file or its directory could not be made or made private.
    #[error("cannot prepare the database file {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server refused or could not be reached.
    #[error("cannot open the database: {0}")]
    Open(sqlx::Error),
    /// A migration failed; start-up stops.
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

pub(crate) use rows::from_row;

/// The file path of a `sqlite://` URL (without query), if it names one.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Makes the SQLite file and its folder private before SQLite opens them: the folder is created
/// with mode 0700, the file with 0600, and an existing file, `-wal` and `-shm` are set to 0600
/// (SQLite gives the `-wal` and `-shm` files it creates the mode of the database file). The
/// file holds session hashes, audit history and sealed secrets: nobody else on the machine
/// needs to read it. Modes are set on the opened files, and `-wal`/`-shm` are opened without
/// following links, so a link planted beside the database cannot redirect the change.
#[cfg(unix)]
fn private_sqlite_files(path: &Path) -> Result<(), ConnectError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

    let io = |path: &Path, source| ConnectError::Dir {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| io(parent, e))?;
    }
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .and_then(|file| file.set_permissions(private.clone()))
        .map_err(|e| io(path, e))?;
    for suffix in ["-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&file)
        {
            Ok(handle) => handle
                .set_permissions(private.clone())
                .map_err(|e| io(&file, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&file, e)),
        }
    }
    Ok(())
}

/// Elsewhere the folder and file are left to the platform's defaults.
#[cfg(not(unix))]
fn private_sqlite_files(path: &Path) -> Result<(), ConnectError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| ConnectError::Dir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

impl Db {
    /// Opens a pool for `url` (`sqlite://PATH` creates the file and its directory).
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, ConnectError> {
        if url.starts_with("sqlite:") {
            if let Some(path) = sqlite_path(url) {
                private_sqlite_files(Path::new(path))?;
            }
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| ConnectError::Url(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(settings.min_connections)
                .acquire_timeout(settings.acquire_timeout)
                // A file connection does not go stale: no ping (a round trip through the
                // connection's worker thread) before every query. Measured by `bench/run kcr`.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(ConnectError::Open)?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options =
                PgConnectOptions::from_str(url).map_err(|e| ConnectError::Url(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(settings.min_connections)
                .acquire_timeout(settings.acquire_timeout)
                // Ping a connection only when it sat idle for a second or more (the server may
                // have gone away meanwhile); one in steady use is not pinged before every
                // query, a network round trip each. Measured by `bench/run kcr`.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for < Duration::from_secs(1) {
                            return Ok(true);
                        }
                        Ok(sqlx::Connection::ping(conn).await.is_ok())
                    })
                })
                .connect_with(options)
                .await
                .map_err(ConnectError::Open)?;
            Ok(Self::Postgres(pool))
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(ConnectError::Scheme(scheme.to_owned()))
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        let files = match self {
            Self::Sqlite(_) => migrations::SQLITE,
            Self::Postgres(_) => migrations::POSTGRES,
        };
        let migrator = migrations::migrator(files)
            .await
            .map_err(ConnectError::Migrate)?;
        on_db!(self, pool => migrator.run(pool).await).map_err(ConnectError::Migrate)
    }

    /// Answers whether the database takes a trivial query right now.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("select 1").execute(pool).await.map(drop))
    }

    /// [`Db::ping`], then on PostgreSQL the same on a new connection: a pooled one may still
    /// answer while PostgreSQL is shutting down and terminating the others one by one, but a
    /// new one is refused.
    pub async fn ping_fresh(&self) -> Result<(), sqlx::Error> {
        use sqlx::{ConnectOptions, Connection};
        self.ping().await?;
        match self {
            Self::Sqlite(_) => Ok(()),
            Self::Postgres(pool) => {
                let mut conn = pool.connect_options().connect().await?;
                sqlx::query("select 1").execute(&mut conn).await?;
                // It answered: a failed goodbye says nothing about the database.
                let _ = conn.close().await;
                Ok(())
            }
        }
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// every transaction here writes, and one that read first and then tried to write would
    /// fail outright if another writer had committed meanwhile.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Which backend this is, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await);
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
    }
}

/// A unique constraint, as each database names it when a write breaks it: PostgreSQL by the
/// constraint's name, SQLite by `table.column`.
#[derive(Clone, Copy, Debug)]
pub struct Unique {
    /// The PostgreSQL constraint name.
    pub pg: &'static str,
    /// The SQLite `table.column`.
    pub sqlite: &'static str,
}

/// The one conflict idiom of the database layer: a write that breaks one of the listed unique
/// constraints becomes that case's error; any other failure stays a database error.
///
/// Where the message must name what conflicts (the existing row's ID), the rule looks first
/// and inserts after: on PostgreSQL a failed statement aborts the transaction, so nothing can
/// be read after it. Either way the insert's own violation still comes through here, for the
/// writer that lost a race between the look and the insert.
pub fn conflict(err: sqlx::Error, cases: Vec<(&[Unique], AppError)>) -> AppError {
    for (constraints, error) in cases {
        if constraints
            .iter()
            .any(|c| is_unique_violation(&err, c.pg, c.sqlite))
        {
            return error;
        }
    }
    err.into()
}

/// Whether `err` is a unique violation of the named constraint. PostgreSQL reports the
/// constraint's name; SQLite reports `table.column`, so both are given.
pub fn is_unique_violation(err: &sqlx::Error, pg_constraint: &str, sqlite_column: &str) -> bool {
    let Some(db_err) = err.as_database_error() else {
        return false;
    };
    // SQLite reports a duplicate primary key (code 1555) apart from other unique violations.
    let unique = db_err.kind() == sqlx::error::ErrorKind::UniqueViolation
        || db_err.code().as_deref() == Some("1555");
    if !unique {
        return false;
    }
    db_err.constraint() == Some(pg_constraint) || db_err.message().contains(sqlite_column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://./berth-data/berth.db"),
            Some("./berth-data/berth.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/berth.db?mode=rwc"),
            Some("/var/lib/berth.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused_with_the_supported_ones_named() {
        let settings = PoolSettings {
            max_connections: 1,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(1),
        };
        let err = Db::connect("mysql://x", settings).await.unwrap_err();
        assert!(err.to_string().contains("sqlite://"), "{err}");
    }
}
