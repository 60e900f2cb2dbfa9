//! The sign-in and sign-up throttles. Counters live in the database, so every replica counts
//! the same attempts, and each is taken *before* the password is checked, atomically, so
//! parallel guesses cannot slip past a limit (a correct password gives its count back).
//!
//! Sign-in counts per *account*, however it is named (username or email resolve to one
//! account), and never lets a stranger lock the owner out:
//! - per account and client address: after `per_account_address` wrong passwords in a window,
//!   that address gets 429 for that account; every other address still signs in;
//! - per client address: after `per_address` failures in a window, whatever the accounts;
//! - per account from everywhere: past `slow_after` wrong passwords in a window, every attempt
//!   on the account waits `slow` before it is answered; a correct password still signs in.
//!
//! A login that names no account is counted under the login text exactly as an account would
//! be, so neither the answers nor their timing tell which accounts exist.

use std::{net::IpAddr, time::Duration};

use uuid::Uuid;

use crate::error::AppError;
use crate::server::db::{Db, throttle};

/// Sign-in limits for one window.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Wrong passwords per account and client address.
    pub per_account_address: i64,
    /// Failed attempts per client address.
    pub per_address: i64,
    /// Wrong passwords per account (all addresses) after which attempts are slowed.
    pub slow_after: i64,
    /// How long a slowed attempt waits.
    pub slow: Duration,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Sign-up limits.
#[derive(Clone, Copy, Debug)]
pub struct SignupLimits {
    /// Sign-up attempts per client address per window.
    pub per_address: i64,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Whom a sign-in attempt is about: an account, or a login text that names none.
#[derive(Clone, Debug)]
pub enum Subject {
    /// An existing account.
    Account(Uuid),
    /// A login with no account (counted all the same).
    Unknown(String),
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Self::Account(id) => id.to_string(),
            Self::Unknown(login) => format!("login:{}", login.trim().to_lowercase()),
        }
    }
}

/// The counters one sign-in attempt touched, and whether it must wait before its answer.
#[must_use = "an attempt must end as succeeded, or its count stays"]
pub struct Attempt {
    account_address_key: String,
    account_key: String,
    address_key: String,
    /// How long to wait before checking the password (the account is under attack).
    pub slow_down: Option<Duration>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn too_many(window_start: i64, window_secs: i64, now: i64) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: (window_start + window_secs - now).max(1) as u64,
    }
}

/// Counts a sign-in attempt on `subject` from `address`; refuses with 429 and the seconds to
/// wait when this address is over a limit.
pub async fn begin(
    db: &Db,
    limits: Limits,
    subject: &Subject,
    address: IpAddr,
) -> Result<Attempt, AppError> {
    let subject = subject.key();
    let attempt = Attempt {
        account_address_key: format!("account-address:{subject}:{address}"),
        account_key: format!("account:{subject}"),
        address_key: format!("address:{address}"),
        slow_down: None,
    };
    let now = now();
    let window = limits.window_secs;
    let (by_address, address_start) = throttle::hit(db, &attempt.address_key, now, window).await?;
    let (by_pair, pair_start) =
        throttle::hit(db, &attempt.account_address_key, now, window).await?;
    if by_pair > limits.per_account_address {
        return Err(too_many(pair_start, window, now));
    }
    if by_address > limits.per_address {
        return Err(too_many(address_start, window, now));
    }
    // Only attempts that will check a password count against the account as a whole.
    let (by_account, _) = throttle::hit(db, &attempt.account_key, now, window).await?;
    Ok(Attempt {
        slow_down: (by_account > limits.slow_after).then_some(limits.slow),
        ..attempt
    })
}

impl Attempt {
    /// A correct password: this address starts afresh for the account, and the attempt is taken
    /// back from the address and account counts (it was not a failure).
    pub async fn succeeded(self, db: &Db) -> Result<(), AppError> {
        throttle::clear(db, &self.account_address_key).await?;
        throttle::forgive_one(db, &self.address_key).await?;
        throttle::forgive_one(db, &self.account_key).await?;
        Ok(())
    }
}

/// Counts a sign-up attempt from `address`; 429 when the address is over its limit.
pub async fn begin_signup(db: &Db, limits: SignupLimits, address: IpAddr) -> Result<(), AppError> {
    let now = now();
    let (attempts, start) =
        throttle::hit(db, &format!("signup:{address}"), now, limits.window_secs).await?;
    if attempts > limits.per_address {
        return Err(too_many(start, limits.window_secs, now));
    }
    Ok(())
}
