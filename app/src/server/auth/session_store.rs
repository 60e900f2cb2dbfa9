//! Sessions in the database, and a wrapper that lets the idle expiry slide without a write on
//! every request.
//!
//! [`DbStore`] keeps each session under the SHA-256 of its ID, never the ID itself: the ID is
//! the cookie value, so whoever reads the table (a backup, a copied file) must not be able to
//! sign in with what they read. A session also ends `lifetime` after it was created (at
//! sign-in, which always issues a new ID), however active it is.
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
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store,
};

use crate::on_db;
use crate::server::db::{Db, is_unique_violation};

/// Sessions in `user_session` on whichever database Berth runs on.
#[derive(Clone, Debug)]
pub struct DbStore {
    db: Db,
    lifetime: Duration,
}

/// The key a session is stored under: hex SHA-256 of its ID (the cookie value).
pub fn id_hash(id: &Id) -> String {
    Sha256::digest(id.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn store_error(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

impl DbStore {
    /// The store on `db`; sessions end `lifetime` after they were created.
    pub fn new(db: &Db, lifetime: Duration) -> Self {
        Self {
            db: db.clone(),
            lifetime,
        }
    }

    async fn insert(&self, record: &Record, data: &str) -> Result<(), sqlx::Error> {
        on_db!(&self.db, pool => sqlx::query(
            "insert into user_session (id_hash, data, expires_at, created_at) values ($1, $2, $3, $4)"
        )
        .bind(id_hash(&record.id))
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .execute(pool)
        .await
        .map(drop))
    }
}

#[async_trait]
impl SessionStore for DbStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(store_error)?;
        // A clash of two random 128-bit IDs is not expected; a new ID settles one anyway.
        loop {
            match self.insert(record, &data).await {
                Ok(()) => return Ok(()),
                Err(e) if is_unique_violation(&e, "user_session_pkey", "user_session.id_hash") => {
                    record.id = Id::default();
                }
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(store_error)?;
        // An update only: a session deleted meanwhile (signed out elsewhere) stays deleted,
        // and its creation time, which bounds its lifetime, never moves.
        on_db!(&self.db, pool => sqlx::query(
            "update user_session set data = $2, expires_at = $3 where id_hash = $1"
        )
        .bind(id_hash(&record.id))
        .bind(&data)
        .bind(record.expiry_date.unix_timestamp())
        .execute(pool)
        .await
        .map(drop))
        .map_err(store_error)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row = on_db!(&self.db, pool => sqlx::query_as::<_, (String, i64)>(
            "select data, expires_at from user_session
             where id_hash = $1 and expires_at > $2 and created_at > $3"
        )
        .bind(id_hash(id))
        .bind(now)
        .bind(now - self.lifetime.whole_seconds())
        .fetch_optional(pool)
        .await)
        .map_err(store_error)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(store_error)?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at).map_err(store_error)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        on_db!(&self.db, pool => sqlx::query("delete from user_session where id_hash = $1")
            .bind(id_hash(id))
            .execute(pool)
            .await
            .map(drop))
        .map_err(store_error)
    }
}

#[async_trait]
impl ExpiredDeletion for DbStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_db!(&self.db, pool => sqlx::query(
            "delete from user_session where expires_at <= $1 or created_at <= $2"
        )
        .bind(now)
        .bind(now - self.lifetime.whole_seconds())
        .execute(pool)
        .await
        .map(drop))
        .map_err(store_error)
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

    #[test]
    fn the_stored_key_is_a_hash_not_the_cookie_value() {
        let id = Id(12_345_678_901_234_567_890);
        let key = id_hash(&id);
        assert_eq!(key.len(), 64);
        assert!(!key.contains(&id.to_string()));
        assert_eq!(key, id_hash(&Id(12_345_678_901_234_567_890)));
        assert_ne!(key, id_hash(&Id(12_345_678_901_234_567_891)));
    }

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
