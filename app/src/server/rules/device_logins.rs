//! Device login (RFC 8628), the way `berth login` gets a personal token without the person
//! typing a password into a terminal:
//!
//! 1. the device asks (`request`): it gets a device code (190 random bits; only its SHA-256 is
//!    stored) and a short user code; requests are throttled per address;
//! 2. the person, signed in in a browser, types the user code at `/activate`, sees which
//!    device (its name, address and the scopes it asks for) and approves or denies
//!    (`lookup`, `decide`, session only; wrong codes are limited per person and per address,
//!    and past a limit no code is looked up);
//! 3. the device polls (`exchange`); once approved, its next poll makes a personal token for
//!    the approver, named after the device, and deletes the grant: the token exists only once
//!    the device has it, and only one poll can take it.

use aes_gcm::aead::{OsRng, rand_core::RngCore};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    device::{self, DeviceRequestView},
    token::{self as token_domain, TokenKind},
    when,
};
use crate::error::AppError;
use crate::server::{
    auth::throttle,
    cx::Cx,
    db::{
        self,
        access_tokens::Owner,
        device_grants::{self, Grant, NewGrant},
        users,
    },
    rules::tokens::{self, Issue},
    state::AppState,
};

/// Device-login requests per client address per 15 minutes.
pub const REQUESTS_PER_ADDRESS: i64 = 30;
/// Wrong user codes per person per 15 minutes.
pub const WRONG_CODES_PER_PERSON: i64 = 10;
/// Wrong user codes per client address per 15 minutes, whoever types them.
pub const WRONG_CODES_PER_ADDRESS: i64 = 20;
const WINDOW_SECS: i64 = 900;

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn hash(device_code: &str) -> [u8; 32] {
    Sha256::digest(device_code.as_bytes()).into()
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let bound = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        OsRng.fill_bytes(&mut buf);
        for b in buf {
            if usize::from(b) < bound && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
            }
        }
    }
    out
}

/// What the device is told when it asks (no `Debug`: it holds the device code).
#[derive(serde::Serialize)]
pub struct Authorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Starts a device login for `client_name` asking for `scopes` (space-separated).
#[tracing::instrument(skip_all, fields(%address), err)]
pub async fn request(
    state: &AppState,
    address: std::net::IpAddr,
    client_name: &str,
    scopes: &str,
) -> Result<Authorization, AppError> {
    let client_name =
        device::parse_client_name(client_name).map_err(|e| AppError::invalid("client_name", e))?;
    let scopes = device::parse_scopes(scopes).map_err(|e| AppError::invalid("scope", e))?;
    throttle::count(
        &state.db,
        &format!("device-request:{}", throttle::address_key(address)),
        REQUESTS_PER_ADDRESS,
        WINDOW_SECS,
    )
    .await?;
    let device_code = random_from(token_domain::BASE62, 32);
    let now = now();
    // A clash with a pending user code is drawn again (2.6 × 10^10 codes: rare).
    for _ in 0..5 {
        let user_code = random_from(device::USER_CODE_ALPHABET, device::USER_CODE_LEN);
        let inserted = device_grants::insert(
            &state.db,
            &NewGrant {
                id: Uuid::now_v7(),
                device_code_hash: &hash(&device_code),
                user_code: &user_code,
                client_name: &client_name,
                scopes: &token_domain::scopes_to_text(&scopes),
                requested_addr: &address.to_string(),
                created_at: now,
                expires_at: now + device::LIFETIME_SECS,
            },
        )
        .await;
        match inserted {
            Ok(()) => {
                let base = state.settings.public_url.trim_end_matches('/');
                let shown = device::display_user_code(&user_code);
                return Ok(Authorization {
                    device_code,
                    verification_uri: format!("{base}/activate"),
                    verification_uri_complete: format!("{base}/activate?code={shown}"),
                    user_code: shown,
                    expires_in: device::LIFETIME_SECS,
                    interval: device::POLL_INTERVAL_SECS,
                });
            }
            Err(err)
                if device_grants::USER_CODE_TAKEN
                    .iter()
                    .any(|c| db::is_unique_violation(&err, c.pg, c.sqlite)) =>
            {
                continue;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::Internal)
}

fn no_such_code() -> AppError {
    AppError::invalid(
        device::field::CODE,
        "There is no waiting device login with that code; it may have expired (10 minutes). Run berth login again.",
    )
}

/// The allowances of wrong user codes that `cx` draws on: the person's, and their client
/// address's (a second account must not double the guesses).
fn code_allowances(cx: &Cx, person: uuid::Uuid) -> [throttle::Allowance; 2] {
    [
        throttle::Allowance {
            key: format!("device-code:{person}"),
            limit: WRONG_CODES_PER_PERSON,
            window_secs: WINDOW_SECS,
        },
        throttle::Allowance {
            key: format!("device-code-address:{}", throttle::address_key(cx.address)),
            limit: WRONG_CODES_PER_ADDRESS,
            window_secs: WINDOW_SECS,
        },
    ]
}

/// The pending login a signed-in person's code names. Every look-up draws on the wrong-code
/// allowances first (see `throttle::reserve`): once one is used up, the answer is 429 whether
/// the code is right or not; a code that finds its login gives the draw back.
async fn find(cx: &Cx, code: &str) -> Result<Grant, AppError> {
    let me = cx.me()?;
    let draw = throttle::reserve(&cx.state.db, &code_allowances(cx, me.id)).await?;
    let found = match device::normalize_user_code(code) {
        Some(code) => device_grants::by_user_code(&cx.state.db, &code, now()).await?,
        None => None,
    };
    match found {
        Some(grant) if grant.approved_by.is_none() && !grant.denied => {
            draw.give_back(&cx.state.db).await?;
            Ok(grant)
        }
        _ => Err(no_such_code()),
    }
}

/// What the approval page shows for `code`.
pub async fn lookup(cx: &Cx, code: &str) -> Result<DeviceRequestView, AppError> {
    let grant = find(cx, code).await?;
    Ok(DeviceRequestView {
        user_code: device::display_user_code(&grant.user_code),
        client_name: grant.client_name,
        scopes: token_domain::scopes_from_text(&grant.scopes),
        requested_addr: grant.requested_addr,
        your_addr: cx.address.to_string(),
        requested_at: when::rfc3339_secs(grant.created_at),
        expires_at: when::rfc3339_secs(grant.expires_at),
    })
}

/// Approves or denies the pending login `code` names, as the signed-in person.
#[tracing::instrument(skip_all, fields(caller = %cx.caller, approve), err)]
pub async fn decide(cx: &Cx, code: &str, approve: bool) -> Result<(), AppError> {
    let me = cx.me()?;
    let grant = find(cx, code).await?;
    // The decision and its audit entry commit together.
    let mut tx = cx.state.db.begin().await?;
    if !device_grants::decide(&mut tx, grant.id, me.id, approve, now()).await? {
        return Err(no_such_code());
    }
    cx.audit(
        &mut tx,
        (None, None),
        if approve {
            "device_login.approved"
        } else {
            "device_login.denied"
        },
        &grant.id.to_string(),
        serde_json::json!({
            "client_name": grant.client_name,
            "scopes": grant.scopes,
            "requested_addr": grant.requested_addr,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why a poll got no token (RFC 8628 §3.5 error codes).
#[derive(Debug, PartialEq, Eq)]
pub enum Pending {
    /// Not decided yet.
    AuthorizationPending,
    /// Polled sooner than the interval allows.
    SlowDown,
    /// The person said no.
    AccessDenied,
    /// Ten minutes passed.
    ExpiredToken,
    /// Not a device code Berth gave out (or already exchanged).
    InvalidGrant,
}

impl Pending {
    pub fn code(&self) -> &'static str {
        match self {
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
            Self::InvalidGrant => "invalid_grant",
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            Self::AuthorizationPending => "Waiting for approval at /activate.",
            Self::SlowDown => "Polled too soon; wait the interval between polls.",
            Self::AccessDenied => "The login was denied in the browser.",
            Self::ExpiredToken => "The login expired before it was approved; start again.",
            Self::InvalidGrant => "That device code is not valid (or was already used).",
        }
    }
}

/// A device's new token (no `Debug`: it holds the token).
#[derive(serde::Serialize)]
pub struct Exchanged {
    pub access_token: String,
    pub token_type: &'static str,
    pub scope: String,
    pub expires_in: i64,
    /// Whose token it is (the credential helper's username).
    pub username: String,
    /// Its name in the person's token list.
    pub token_name: String,
}

/// Wrong device codes per client address per 15 minutes (a device that lost its code polls
/// with it for ten minutes at most: a handful).
pub const WRONG_DEVICE_CODES_PER_ADDRESS: i64 = 60;

/// One poll of the device holding `device_code`. Only an approved grant opens a write
/// transaction; anything else is a read and at most one small write, so polls (or a flood of
/// made-up codes, which are throttled per address) never hold the database's write lock.
#[tracing::instrument(skip_all, fields(%address), err(level = "debug"))]
pub async fn exchange(
    state: &AppState,
    address: std::net::IpAddr,
    device_code: &str,
) -> Result<Result<Exchanged, Pending>, AppError> {
    let now = now();
    let hash = hash(device_code.trim());
    let Some(grant) = device_grants::by_hash(&state.db, &hash).await? else {
        throttle::count(
            &state.db,
            &format!("device-poll:{}", throttle::address_key(address)),
            WRONG_DEVICE_CODES_PER_ADDRESS,
            WINDOW_SECS,
        )
        .await?;
        return Ok(Err(Pending::InvalidGrant));
    };
    if grant.expires_at <= now {
        device_grants::delete_now(&state.db, grant.id).await?;
        return Ok(Err(Pending::ExpiredToken));
    }
    if grant.denied {
        device_grants::delete_now(&state.db, grant.id).await?;
        return Ok(Err(Pending::AccessDenied));
    }
    let Some(approver) = grant.approved_by else {
        if grant
            .polled_at
            .is_some_and(|last| now - last < device::POLL_INTERVAL_SECS)
        {
            return Ok(Err(Pending::SlowDown));
        }
        device_grants::polled(&state.db, grant.id, now).await?;
        return Ok(Err(Pending::AuthorizationPending));
    };
    let Some(user) = users::find(&state.db, approver).await? else {
        device_grants::delete_now(&state.db, grant.id).await?;
        return Ok(Err(Pending::AccessDenied));
    };
    let mut tx = state.db.begin().await?;
    // Of two polls at once, the one that deletes the grant makes the token.
    if !device_grants::delete(&mut tx, grant.id).await? {
        return Ok(Err(Pending::InvalidGrant));
    }
    let scopes = token_domain::scopes_from_text(&grant.scopes);
    let expires_at = now + device::TOKEN_DAYS * 86_400;
    let mut made = None;
    // "berth CLI on build-7", then "berth CLI on build-7 (2)", ... while the name is taken.
    for n in 1..=20 {
        let name = match n {
            1 => grant.client_name.clone(),
            n => format!("{} ({n})", grant.client_name),
        };
        let issue = Issue {
            owner: Owner::User(user.id),
            kind: TokenKind::Personal,
            name: &name,
            scopes: &scopes,
            created_by: Some(user.id),
            expires_at: Some(expires_at),
            pull_secret: false,
            made_by_token: None,
        };
        if crate::server::db::access_tokens::name_live(&mut tx, Owner::User(user.id), &name).await?
        {
            continue;
        }
        made = Some((tokens::insert(&mut tx, &issue).await?, name));
        break;
    }
    let Some((made, name)) = made else {
        return Err(AppError::conflict(
            "client_name",
            "Too many live tokens carry this device's name; revoke some first.",
        ));
    };
    let mut details = made.audit_details();
    details["via"] = serde_json::Value::String("device login".into());
    details["device_login"] = serde_json::Value::String(grant.id.to_string());
    Cx::for_user(state.clone(), user.clone(), address)
        .audit(
            &mut tx,
            (None, None),
            "token.created",
            &made.id.to_string(),
            details,
        )
        .await?;
    tx.commit().await?;
    tracing::info!(token.id = %made.id, "device login exchanged for a token");
    Ok(Ok(Exchanged {
        access_token: made.text,
        token_type: "Bearer",
        scope: token_domain::scopes_to_text(&scopes),
        expires_in: expires_at - now,
        username: user.username,
        token_name: name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::{ADDRESS, TestDb};

    #[tokio::test]
    async fn past_a_limit_no_code_is_looked_up_and_accounts_share_their_address() {
        for db in TestDb::both().await {
            let auth = request(&db.state, ADDRESS, "berth CLI on ci-7", "projects:read")
                .await
                .unwrap();
            let ann = db.cx(&db.with_user("ann").await);
            for _ in 0..WRONG_CODES_PER_PERSON {
                let err = lookup(&ann, "BCDF-GHJK").await.unwrap_err();
                assert_eq!(err.status(), 422, "{}", db.backend);
            }
            // Over ann's limit: the right code is refused too, and nothing is approved.
            let right = lookup(&ann, &auth.user_code).await.unwrap_err();
            assert_eq!(right.status(), 429, "{}", db.backend);
            assert_eq!(
                decide(&ann, &auth.user_code, true)
                    .await
                    .unwrap_err()
                    .status(),
                429
            );
            // A second account at the same address gets what is left of the address's.
            let bob = db.cx(&db.with_user("bob").await);
            let left = WRONG_CODES_PER_ADDRESS - WRONG_CODES_PER_PERSON;
            for _ in 0..left {
                assert_eq!(lookup(&bob, "BCDF-GHJK").await.unwrap_err().status(), 422);
            }
            let carl = db.cx(&db.with_user("carl").await);
            assert_eq!(
                lookup(&carl, &auth.user_code).await.unwrap_err().status(),
                429
            );
            assert_eq!(db.audit_details("device_login.approved").await.len(), 0);
        }
    }

    #[tokio::test]
    async fn a_right_code_costs_nothing_and_is_approved_once() {
        for db in TestDb::both().await {
            let auth = request(&db.state, ADDRESS, "berth CLI on ci-7", "projects:read")
                .await
                .unwrap();
            let ann = db.cx(&db.with_user("ann").await);
            for _ in 0..3 * WRONG_CODES_PER_PERSON {
                lookup(&ann, &auth.user_code).await.unwrap();
            }
            decide(&ann, &auth.user_code, true).await.unwrap();
            assert_eq!(
                lookup(&ann, &auth.user_code).await.unwrap_err().status(),
                422,
                "approved already: {}",
                db.backend
            );
            let exchanged = exchange(&db.state, ADDRESS, &auth.device_code)
                .await
                .unwrap()
                .map_err(|p| p.code())
                .unwrap();
            assert_eq!(exchanged.username, "ann");
            assert_eq!(exchanged.token_name, "berth CLI on ci-7");
        }
    }
}
