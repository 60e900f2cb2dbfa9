//! The sign-in and sign-up throttles. Counters live in the database, so every replica counts
//! the same attempts, and each is taken *before* the password is checked, atomically, so
//! parallel guesses cannot slip past a limit (a correct password gives its count back).
//!
//! Sign-in counts per *account*, however it is named (username or email resolve to one
//! account), and never lets a stranger lock the owner out for a whole window:
//! - per client address: after `per_address` failures in a window, whatever the accounts;
//! - per account and client address: after `per_account_address` wrong passwords in a window,
//!   that address gets 429 for that account; every other address still signs in;
//! - per account from everywhere: past `slow_after` wrong passwords in a window, the account's
//!   passwords are checked one at a time, at most one per `slow`, across all addresses and
//!   replicas. An attempt waits for its turn (at most [`MAX_TURN_WAIT_SLOTS`] turns ahead);
//!   one that finds no turn that soon gets 429 with a `Retry-After` of a few seconds. Guessing
//!   from many addresses is held to one guess per `slow`; the owner is delayed, not locked out
//!   for the window. A browser that signed in to the account before (the known-device
//!   cookie, `device`) skips the queue, so the owner is not even delayed on their devices.
//!
//! IPv6 addresses count by their /64 prefix (one subscriber's share), IPv4 by the address. A
//! login that names no account is counted under (a hash of) its text exactly as an account
//! would be, so neither the answers nor their timing tell which accounts exist.

use std::{net::IpAddr, time::Duration};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::db::{Db, throttle};

/// Turns ahead an attempt on a slowed account may wait for.
pub const MAX_TURN_WAIT_SLOTS: i64 = 3;

/// Sign-in limits for one window.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Wrong passwords per account and client address.
    pub per_account_address: i64,
    /// Failed attempts per client address.
    pub per_address: i64,
    /// Wrong passwords per account (all addresses) after which its checks are spaced out.
    pub slow_after: i64,
    /// The spacing of checks on a slowed account.
    pub slow: Duration,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Sign-up limits.
#[derive(Clone, Debug)]
pub struct SignupLimits {
    /// Sign-up attempts per client address per window.
    pub per_address: i64,
    /// Networks that share one larger limit instead (an office behind one NAT address).
    pub trusted_networks: Vec<ipnet::IpNet>,
    /// Sign-up attempts per trusted network per window.
    pub per_trusted_network: i64,
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
            // Hashed: the key is stored, and a login text may be anything up to its limit.
            Self::Unknown(login) => {
                let digest = Sha256::digest(login.trim().to_lowercase().as_bytes());
                let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
                format!("login:{hex}")
            }
        }
    }
}

/// The part of a client address the throttle counts: IPv4 whole, IPv6 by its /64.
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The counters one sign-in attempt touched, and how long it must wait for its turn.
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

fn too_many(until: i64, now: i64) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: (until - now).max(1) as u64,
    }
}

/// Counts a sign-in attempt on `subject` from `address`; refuses with 429 and the seconds to
/// wait when this address is over a limit, or when a slowed account has no turn soon (unless
/// the request comes from a known device of the account).
pub async fn begin(
    db: &Db,
    limits: Limits,
    subject: &Subject,
    address: IpAddr,
    known_device: bool,
) -> Result<Attempt, AppError> {
    let (subject, address) = (subject.key(), address_key(address));
    let now = now();
    let window = limits.window_secs;
    let address_key_ = format!("address:{address}");
    // An address over its limit writes nothing else: a flood costs one row.
    let (by_address, address_start) = throttle::hit(db, &address_key_, now, window).await?;
    if by_address > limits.per_address {
        return Err(too_many(address_start + window, now));
    }
    let pair_key = format!("account-address:{subject}:{address}");
    let (by_pair, pair_start) = throttle::hit(db, &pair_key, now, window).await?;
    if by_pair > limits.per_account_address {
        return Err(too_many(pair_start + window, now));
    }
    // Only attempts that will check a password count against the account as a whole.
    let account_key = format!("account:{subject}");
    let (by_account, _) = throttle::hit(db, &account_key, now, window).await?;
    let mut slow_down = None;
    // A known device of the account (see `device`) does not queue.
    if by_account > limits.slow_after && !known_device {
        let slot = limits.slow.as_secs().max(1) as i64;
        let turn = throttle::book(
            db,
            &format!("turn:{subject}"),
            now,
            slot,
            MAX_TURN_WAIT_SLOTS * slot,
        )
        .await?;
        match turn {
            Ok(start) => slow_down = Some(Duration::from_secs((start - now).max(0) as u64)),
            Err(next) => {
                // Not a guess: give the account's count back.
                throttle::forgive_one(db, &account_key).await?;
                return Err(too_many(next, now));
            }
        }
    }
    Ok(Attempt {
        account_address_key: pair_key,
        account_key,
        address_key: address_key_,
        slow_down,
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

/// Counts one use of `key` (a fixed window of `window_secs`); 429 with the seconds left once
/// the window holds more than `limit`. For work that is not a sign-in but must not run
/// unbounded: pull-secret exports, device-login requests and user-code guesses.
pub async fn count(db: &Db, key: &str, limit: i64, window_secs: i64) -> Result<(), AppError> {
    let now = now();
    let (attempts, start) = throttle::hit(db, key, now, window_secs).await?;
    if attempts > limit {
        return Err(too_many(start + window_secs, now));
    }
    Ok(())
}

/// A limit on misses under one key: at most `limit` per fixed window of `window_secs`.
#[derive(Clone, Debug)]
pub struct Allowance {
    /// The counter's key.
    pub key: String,
    /// Misses allowed per window.
    pub limit: i64,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Misses taken in advance under several allowances (see [`reserve`]).
#[must_use = "a reservation is a miss unless it is given back"]
pub struct Reservation(Vec<String>);

impl Reservation {
    /// The attempt was no miss (a right code): its counts are taken back.
    pub async fn give_back(self, db: &Db) -> Result<(), AppError> {
        for key in &self.0 {
            throttle::forgive_one(db, key).await?;
        }
        Ok(())
    }
}

/// For guesses of a secret (a code typed by a person): refuses with 429 when any allowance is
/// used up, *before* the guess is looked at, so a caller over a limit learns nothing, right
/// guess or not. The check is read-only first (a flood of refused guesses writes nothing), then
/// each count is taken atomically in advance (parallel guesses cannot all slip past the check);
/// an attempt that finds a count over its limit gives back what it took. A right guess gives
/// its counts back with [`Reservation::give_back`].
pub async fn reserve(db: &Db, allowances: &[Allowance]) -> Result<Reservation, AppError> {
    let now = now();
    for a in allowances {
        if let Some((attempts, start)) = throttle::peek(db, &a.key, now, a.window_secs).await?
            && attempts >= a.limit
        {
            return Err(too_many(start + a.window_secs, now));
        }
    }
    let mut taken = Vec::with_capacity(allowances.len());
    for a in allowances {
        let (attempts, start) = throttle::hit(db, &a.key, now, a.window_secs).await?;
        taken.push(a.key.clone());
        if attempts > a.limit {
            Reservation(taken).give_back(db).await?;
            return Err(too_many(start + a.window_secs, now));
        }
    }
    Ok(Reservation(taken))
}

/// Counts a sign-up attempt from `address`; 429 when the address (or the trusted network it
/// is in) is over its limit.
pub async fn begin_signup(db: &Db, limits: &SignupLimits, address: IpAddr) -> Result<(), AppError> {
    let now = now();
    let address = address.to_canonical();
    let (key, limit) = match limits
        .trusted_networks
        .iter()
        .find(|net| net.contains(&address))
    {
        Some(net) => (format!("signup-network:{net}"), limits.per_trusted_network),
        None => (
            format!("signup:{}", address_key(address)),
            limits.per_address,
        ),
    };
    let (attempts, start) = throttle::hit(db, &key, now, limits.window_secs).await?;
    if attempts > limit {
        return Err(too_many(start + limits.window_secs, now));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_subscriber_counts_as_one_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(address_key(mapped), "203.0.113.7");
    }

    #[test]
    fn an_unknown_login_is_keyed_by_a_hash_of_its_text() {
        let long = "x".repeat(300);
        let key = Subject::Unknown(long.clone()).key();
        assert!(!key.contains(&long));
        assert_eq!(
            key,
            Subject::Unknown(format!(" {} ", long.to_uppercase())).key()
        );
    }
}
