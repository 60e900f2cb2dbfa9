//! Sessions in the database: tower-sessions' SQLite or PostgreSQL store behind one type, and a
//! wrapper that lets the idle expiry slide without a write on every request.
//!
//! tower-sessions only re-saves an unchanged session when told to save always. [`SlidingStore`]
//! takes those saves and writes only when the data changed or the stored expiry is more than
//! `refresh_after` behind, so a busy session costs one write per `refresh_after`, not one per
//! request. The session then ends between `idle - refresh_after` and `idle` after the last request.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use time::Duration;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::server::db::Db;

/// Table the sessions live in (created by our migrations).
const TABLE: &str = "user_session";

/// The store of whichever database Berth runs on.
#[derive(Clone, Debug)]
pub enum DbStore {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PostgresStore),
}

impl DbStore {
    /// The store on `db`, using the `user_session` table of our migrations.
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Sqlite(pool) => Self::Sqlite(
                SqliteStore::new(pool.clone())
                    .with_table_name(TABLE)
                    .unwrap_or_else(|_| SqliteStore::new(pool.clone())),
            ),
            Db::Postgres(pool) => Self::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .and_then(|s| s.with_table_name(TABLE))
                    .unwrap_or_else(|_| PostgresStore::new(pool.clone())),
            ),
        }
    }
}

#[async_trait]
impl SessionStore for DbStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for DbStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// What a request loaded, to tell an unchanged save from a real one.
#[derive(Clone, Copy, Debug)]
struct Loaded {
    fingerprint: u64,
    expiry: time::OffsetDateTime,
}

/// Most loads remembered at once; past it the memory is dropped (costing only extra writes).
const MAX_REMEMBERED: usize = 50_000;

/// Wraps a store so that saves of unchanged sessions are written only every `refresh_after`.
#[derive(Clone, Debug)]
pub struct SlidingStore<S> {
    inner: S,
    refresh_after: Duration,
    loaded: Arc<Mutex<HashMap<Id, Loaded>>>,
}

impl<S> SlidingStore<S> {
    /// Wraps `inner`; unchanged sessions are re-written at most once per `refresh_after`.
    pub fn new(inner: S, refresh_after: Duration) -> Self {
        Self {
            inner,
            refresh_after,
            loaded: Arc::default(),
        }
    }

    fn remember(&self, record: &Record) {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.len() >= MAX_REMEMBERED {
            loaded.clear();
        }
        loaded.insert(
            record.id,
            Loaded {
                fingerprint: fingerprint(record),
                expiry: record.expiry_date,
            },
        );
    }

    fn take(&self, id: &Id) -> Option<Loaded> {
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
    }
}

/// A hash of the session data, independent of map order.
fn fingerprint(record: &Record) -> u64 {
    let mut entries: Vec<(&String, String)> = record
        .data
        .iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    entries.sort();
    let mut hasher = DefaultHasher::new();
    entries.hash(&mut hasher);
    hasher.finish()
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for SlidingStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some(loaded) = self.take(&record.id)
            && loaded.fingerprint == fingerprint(record)
            && record.expiry_date - loaded.expiry < self.refresh_after
        {
            return Ok(());
        }
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let record = self.inner.load(id).await?;
        if let Some(record) = &record {
            self.remember(record);
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.take(id);
        self.inner.delete(id).await
    }
}

#[cfg(test)]
mod tests {
    use tower_sessions::MemoryStore;

    use super::*;

    fn record(value: i64, expiry: time::OffsetDateTime) -> Record {
        Record {
            id: Id(7),
            data: HashMap::from([("k".to_owned(), serde_json::json!(value))]),
            expiry_date: expiry,
        }
    }

    #[tokio::test]
    async fn an_unchanged_session_is_not_rewritten_within_the_refresh_interval() {
        let inner = MemoryStore::default();
        let store = SlidingStore::new(inner.clone(), Duration::minutes(5));
        let t0 = time::OffsetDateTime::now_utc() + Duration::hours(1);
        inner.save(&record(1, t0)).await.unwrap();

        store.load(&Id(7)).await.unwrap();
        store
            .save(&record(1, t0 + Duration::minutes(1)))
            .await
            .unwrap();

        assert_eq!(inner.load(&Id(7)).await.unwrap().unwrap().expiry_date, t0);
    }

    #[tokio::test]
    async fn an_unchanged_session_is_rewritten_once_the_refresh_interval_passed() {
        let inner = MemoryStore::default();
        let store = SlidingStore::new(inner.clone(), Duration::minutes(5));
        let t0 = time::OffsetDateTime::now_utc() + Duration::hours(1);
        inner.save(&record(1, t0)).await.unwrap();

        store.load(&Id(7)).await.unwrap();
        let later = t0 + Duration::minutes(6);
        store.save(&record(1, later)).await.unwrap();

        assert_eq!(
            inner.load(&Id(7)).await.unwrap().unwrap().expiry_date,
            later
        );
    }

    #[tokio::test]
    async fn a_changed_session_is_always_written() {
        let inner = MemoryStore::default();
        let store = SlidingStore::new(inner.clone(), Duration::minutes(5));
        let t0 = time::OffsetDateTime::now_utc() + Duration::hours(1);
        inner.save(&record(1, t0)).await.unwrap();

        store.load(&Id(7)).await.unwrap();
        store.save(&record(2, t0)).await.unwrap();

        assert_eq!(
            inner.load(&Id(7)).await.unwrap().unwrap().data["k"],
            serde_json::json!(2)
        );
    }
}
