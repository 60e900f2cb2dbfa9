//! The sign-in throttle's policy: one counter per account and one per client address, both in
//! the database so that every replica counts the same attempts.

use std::net::IpAddr;

use crate::error::AppError;
use crate::server::db::{Db, throttle};

/// Limits for one throttle window.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Attempts per account per window.
    pub per_account: i64,
    /// Failed attempts per client address per window.
    pub per_address: i64,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// The counters one sign-in attempt touches.
pub struct Attempt {
    account_key: String,
    address_key: String,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Counts an attempt before the password is checked; refuses with 429 and the seconds to wait
/// when either counter is over its limit.
pub async fn begin(
    db: &Db,
    limits: Limits,
    login: &str,
    address: IpAddr,
) -> Result<Attempt, AppError> {
    let attempt = Attempt {
        account_key: format!("account:{}", login.trim().to_lowercase()),
        address_key: format!("address:{address}"),
    };
    let now = now();
    let (by_account, account_start) =
        throttle::hit(db, &attempt.account_key, now, limits.window_secs).await?;
    let (by_address, address_start) =
        throttle::hit(db, &attempt.address_key, now, limits.window_secs).await?;
    let over_account = by_account > limits.per_account;
    let over_address = by_address > limits.per_address;
    if over_account || over_address {
        let start = match (over_account, over_address) {
            (true, true) => account_start.max(address_start),
            (true, false) => account_start,
            _ => address_start,
        };
        let retry_after_secs = (start + limits.window_secs - now).max(1) as u64;
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    Ok(attempt)
}

impl Attempt {
    /// A correct password: the account's counter restarts and the address is not charged.
    pub async fn succeeded(self, db: &Db) -> Result<(), AppError> {
        throttle::clear(db, &self.account_key).await?;
        throttle::forgive_one(db, &self.address_key).await?;
        Ok(())
    }
}
