//! `login_throttle`: sign-in attempts counted in the database, so every replica sees the same
//! count. Fixed windows; the count is taken *before* the password is checked, atomically, so
//! parallel guesses cannot slip past the limit.

use crate::on_db;
use crate::server::db::Db;

/// Counts one attempt under `key` and returns the attempts in the current window, and when that
/// window started (unix seconds).
pub async fn hit(
    db: &Db,
    key: &str,
    now: i64,
    window_secs: i64,
) -> Result<(i64, i64), sqlx::Error> {
    const SQL: &str = "insert into login_throttle (key, attempts, window_start) values ($1, 1, $2)
        on conflict (key) do update set
            attempts = case when login_throttle.window_start <= $3 then 1
                            else login_throttle.attempts + 1 end,
            window_start = case when login_throttle.window_start <= $3 then $2
                                else login_throttle.window_start end
        returning attempts, window_start";
    on_db!(db, pool => sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(key)
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(pool)
        .await)
}

/// Takes one attempt back (a successful sign-in is not a failure).
pub async fn forgive_one(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "update login_throttle set attempts = attempts - 1 where key = $1 and attempts > 0"
    )
    .bind(key)
    .execute(pool)
    .await
    .map(drop))
}

/// Forgets every attempt under `key`.
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from login_throttle where key = $1")
        .bind(key)
        .execute(pool)
        .await
        .map(drop))
}

/// Drops windows that ended before `cutoff` (housekeeping).
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from login_throttle where window_start < $1")
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
