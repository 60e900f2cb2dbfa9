//! The schema migrations of both databases, compiled into the binary. The files under
//! `migrations/` are the source; this list names them in order (a test holds it equal to the
//! folders), and sqlx's migrator applies them exactly as its `migrate!` macro would: same
//! versions, descriptions and checksums, so databases migrated by earlier builds stay valid.
//! Listing them here instead of using the macro keeps sqlx's compile-time macros, and the
//! second build of both database drivers they bring for the host, out of the build.

use std::{borrow::Cow, future::Future, pin::Pin};

use sqlx::{
    error::BoxDynError,
    migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator},
};

/// The files of one folder under `migrations/`, as `(file stem, SQL)` pairs in version order.
macro_rules! embed {
    ($dir:literal: $($stem:literal),* $(,)?) => {
        &[$(($stem, include_str!(concat!("../../../../migrations/", $dir, "/", $stem, ".sql")))),*]
    };
}

/// The SQLite schema, oldest first.
pub(super) const SQLITE: &[(&str, &str)] = embed!("sqlite":
    "0001_accounts",
    "0002_orgs_projects",
    "0003_credentials",
    "0004_security",
    "0005_access_tokens",
    "0006_kcr_images",
    "0007_pull_secrets_devices",
    "0008_credential_health",
    "0009_credential_sources",
);

/// The PostgreSQL schema, oldest first.
pub(super) const POSTGRES: &[(&str, &str)] = embed!("postgres":
    "0001_accounts",
    "0002_orgs_projects",
    "0003_credentials",
    "0004_security",
    "0005_access_tokens",
    "0006_kcr_images",
    "0007_pull_secrets_devices",
    "0008_credential_health",
    "0009_credential_sources",
);

/// One embedded folder as a source sqlx's [`Migrator`] resolves.
#[derive(Debug)]
struct Embedded(&'static [(&'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move {
            self.0
                .iter()
                .map(|&(stem, sql)| migration(stem, sql))
                .collect()
        })
    }
}

/// One file as sqlx reads it from a folder: `VERSION_description.sql`, underscores in the
/// description read as spaces, `-- no-transaction` on the first line runs it outside one.
fn migration(stem: &'static str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let (version, description) = stem
        .split_once('_')
        .ok_or_else(|| format!("migration {stem:?} has no VERSION_ prefix"))?;
    let version = version
        .parse()
        .map_err(|_| format!("migration {stem:?} has no integer version"))?;
    Ok(Migration::new(
        version,
        Cow::Owned(description.replace('_', " ")),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

/// The migrator of one database's embedded folder.
pub(super) async fn migrator(
    files: &'static [(&'static str, &'static str)],
) -> Result<Migrator, MigrateError> {
    Migrator::new(Embedded(files)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stems of the `.sql` files in `migrations/DIR`, in version order.
    fn folder(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../migrations")
            .join(dir);
        let mut stems: Vec<String> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".sql").map(str::to_owned))
            .collect();
        stems.sort();
        stems
    }

    #[test]
    fn the_lists_name_every_file_of_their_folder_in_order() {
        for (dir, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let listed: Vec<&str> = files.iter().map(|(stem, _)| *stem).collect();
            assert_eq!(listed, folder(dir), "migrations/{dir} and its list differ");
        }
    }

    #[tokio::test]
    async fn versions_and_descriptions_are_read_as_sqlx_reads_a_folder() {
        let migrator = migrator(SQLITE).await.unwrap();
        let first = migrator.iter().next().unwrap();
        assert_eq!((first.version, &*first.description), (1, "accounts"));
        let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        let projects = migrator.iter().find(|m| m.version == 2).unwrap();
        assert_eq!(projects.description, "orgs projects");
    }

    #[test]
    fn a_file_without_a_version_is_refused() {
        let err = migration("accounts", "select 1").unwrap_err();
        assert!(err.to_string().contains("no VERSION_ prefix"), "{err}");
        let err = migration("first_accounts", "select 1").unwrap_err();
        assert!(err.to_string().contains("no integer version"), "{err}");
    }
}
