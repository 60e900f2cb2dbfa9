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

/// The attempts under `key` in the current window and when it started, without counting one
/// (`None`: no window is open).
pub async fn peek(
    db: &Db,
    key: &str,
    now: i64,
    window_secs: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "select attempts, window_start from login_throttle where key = $1 and window_start > $2"
    )
    .bind(key)
    .bind(now - window_secs)
    .fetch_optional(pool)
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

/// Books the next free slot of a one-at-a-time gate under `key`: slots are `slot_secs` long and
/// follow each other; a booking is made only when its slot starts within `max_wait_secs` of
/// `now`. Returns `Ok(start)` of the booked slot, or `Err(start)` of the first free one when
/// it is too far off (nothing is booked then, so refused callers do not push the queue back).
pub async fn book(
    db: &Db,
    key: &str,
    now: i64,
    slot_secs: i64,
    max_wait_secs: i64,
) -> Result<Result<i64, i64>, sqlx::Error> {
    // `window_start` holds when the next free slot starts.
    const ENSURE: &str =
        "insert into login_throttle (key, attempts, window_start) values ($1, 0, $2)
        on conflict (key) do nothing";
    const BOOK: &str = "update login_throttle
        set attempts = attempts + 1,
            window_start = (case when window_start > $2 then window_start else $2 end) + $3
        where key = $1 and (case when window_start > $2 then window_start else $2 end) <= $2 + $4
        returning window_start";
    const NEXT: &str = "select window_start from login_throttle where key = $1";
    on_db!(db, pool => {
        sqlx::query(ENSURE).bind(key).bind(now).execute(pool).await?;
        let booked = sqlx::query_scalar::<_, i64>(BOOK)
            .bind(key)
            .bind(now)
            .bind(slot_secs)
            .bind(max_wait_secs)
            .fetch_optional(pool)
            .await?;
        match booked {
            Some(end) => Ok(Ok(end - slot_secs)),
            None => {
                let next = sqlx::query_scalar::<_, i64>(NEXT).bind(key).fetch_one(pool).await?;
                Ok(Err(next))
            }
        }
    })
}

/// Drops windows that ended before `cutoff` (housekeeping).
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("delete from login_throttle where window_start < $1")
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
