//! Bearer calls: `Authorization: Bearer <token>` on a server function instead of a session
//! cookie. The middleware here turns a valid token into a [`TokenCaller`] in the request's
//! extensions (where `cx::Cx` finds it), and answers everything else itself:
//!
//! - a header longer than any token: 400; a token *and* a session cookie: 400 (one caller per
//!   request, never a mix of two); another scheme than Bearer is passed on untouched;
//! - not a Berth token, or a wrong checksum: 401 saying which, without a database read;
//! - unknown or revoked: 401 "not valid" (the same words for both: no one learns that a
//!   revoked token once existed); expired: 401 saying so, with the date (not counted below:
//!   an expired token is no guess);
//! - failures count per client address in the sign-in throttle's table (`bearer:ADDRESS`),
//!   and past the sign-in per-address limit the address gets 429 until its window ends. The
//!   block is also kept in this process, so a blocked address is refused before any lookup;
//!   another replica learns of it at the address's next failure there.
//!
//! A token is looked up by the SHA-256 of its text (one indexed read, like a session's), and
//! its `last_used_at` is written at most once a minute.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use server_fn::error::FromServerFnError;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::cookie::Cookie;
use uuid::Uuid;

use crate::domain::token::{self, Scope, TokenKind};
use crate::error::AppError;
use crate::server::{
    auth::throttle::address_key,
    db::{access_tokens, throttle, users::User},
    http::request,
    state::AppState,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "berth_session";

/// Longest `Authorization` header read (a token is 46 characters).
pub const MAX_HEADER: usize = 512;

/// A caller authenticated by an access token.
#[derive(Clone, Debug)]
pub struct TokenCaller {
    /// Token ID.
    pub id: Uuid,
    /// Its name (audit entries carry it).
    pub name: String,
    /// What it may be used for.
    pub scopes: Vec<Scope>,
    /// When it expires (Unix seconds).
    pub expires_at: Option<i64>,
    /// Whose it is.
    pub holder: Holder,
}

/// Whose token called.
#[derive(Clone, Debug)]
pub enum Holder {
    /// A person's: it reaches what their current roles allow, within its scopes.
    Person(User),
    /// A project's: it reaches that project only, within its scopes.
    Project(Uuid),
}

impl TokenCaller {
    /// Whether the token grants `scope`.
    pub fn grants(&self, scope: Scope) -> bool {
        // A project token's `all` once meant "what a developer may"; exporting passwords
        // was never part of it, so it takes the scope by name.
        if scope == Scope::PullSecretsExport && matches!(self.holder, Holder::Project(_)) {
            return self.scopes.contains(&scope);
        }
        scope.granted_by(&self.scopes)
    }
}

/// The SHA-256 under which a token text is stored.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Addresses refused without a lookup until a time (Unix seconds): this process's copy of the
/// throttle's verdicts.
#[derive(Debug, Default)]
pub struct Blocks(Mutex<HashMap<String, i64>>);

/// Most addresses remembered; past it the expired ones are dropped (and, if all are live, the
/// new one is not kept: the database still refuses it at its next failure).
const MAX_BLOCKS: usize = 10_000;

impl Blocks {
    fn until(&self, key: &str, now: i64) -> Option<i64> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).copied().filter(|until| *until > now)
    }

    fn block(&self, key: String, until: i64, now: i64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_BLOCKS {
            map.retain(|_, u| *u > now);
        }
        if map.len() < MAX_BLOCKS {
            map.insert(key, until);
        }
    }
}

fn answer(err: AppError) -> Response {
    let mut res = (
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::UNAUTHORIZED),
        [(header::CONTENT_TYPE, "application/json")],
        err.ser(),
    )
        .into_response();
    if let AppError::TooManyRequests { retry_after_secs } = err {
        res.headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs.into());
    }
    if res.status() == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"berth\""),
        );
    }
    res
}

/// Whether the request carries Berth's session cookie.
/// (read as the session layer reads cookies: names trimmed and percent-decoded).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse_encoded(v.to_owned()))
        .filter_map(Result::ok)
        .any(|c| c.name() == SESSION_COOKIE)
}

/// Authenticates `Authorization: Bearer` on server-function requests (see the module docs);
/// requests without it pass untouched, and so do other schemes (a proxy's Basic
/// authentication is none of Berth's business).
pub async fn authenticate(state: AppState, mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return next.run(req).await;
    };
    if value.len() > MAX_HEADER {
        return answer(AppError::BadRequest(format!(
            "The Authorization header is longer than any Berth token ({MAX_HEADER} bytes at most)."
        )));
    }
    let bytes = value.as_bytes();
    let is_bearer =
        bytes.len() > 7 && bytes[..6].eq_ignore_ascii_case(b"bearer") && bytes[6] == b' ';
    if !is_bearer {
        return next.run(req).await;
    }
    if has_session_cookie(req.headers()) {
        return answer(AppError::BadRequest(
            "Send either a session cookie or a bearer token, not both.".into(),
        ));
    }
    let presented = String::from_utf8_lossy(&bytes[7..]).trim().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let address = request::address_of(&state.settings, req.headers(), peer);
    match verify(&state, &presented, address).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(err) => answer(err),
    }
}

/// The caller `presented` stands for, or why not (counting the failure). KCR's token
/// service uses it too, for the password of a registry login.
pub async fn verify(
    state: &AppState,
    presented: &str,
    address: IpAddr,
) -> Result<TokenCaller, AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let key = failure_key(address);
    if let Some(until) = state.bearer_blocks.until(&key, now) {
        return Err(too_many(until, now));
    }
    let kind = match token::parse(presented) {
        Ok(kind) => kind,
        Err(e) => return fail(state, address, e.message().to_owned()).await,
    };
    let row = access_tokens::by_hash(&state.db, &hash(presented)).await?;
    admit(state, Some(kind), row, address, now).await
}

/// The caller token `id` stands for (a KCR refresh token, already proven to be Berth's, names
/// its access token by ID), or why not.
pub async fn verify_id(
    state: &AppState,
    id: Uuid,
    address: IpAddr,
) -> Result<TokenCaller, AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if let Some(until) = state.bearer_blocks.until(&failure_key(address), now) {
        return Err(too_many(until, now));
    }
    let row = access_tokens::by_id(&state.db, id).await?;
    admit(state, None, row, address, now).await
}

/// The throttle key of bearer failures from `address`.
fn failure_key(address: IpAddr) -> String {
    format!("bearer:{}", address_key(address))
}

/// Whether the token `row` (found for a token of `kind`, when known) may call now.
async fn admit(
    state: &AppState,
    kind: Option<TokenKind>,
    row: Option<access_tokens::Presented>,
    address: IpAddr,
    now: i64,
) -> Result<TokenCaller, AppError> {
    let not_valid =
        || "That access token is not valid: it was revoked, or never existed.".to_owned();
    let Some(row) = row.filter(|r| r.revoked_at.is_none()) else {
        return fail(state, address, not_valid()).await;
    };
    if let Some(expires) = row.expires_at.filter(|e| *e <= now) {
        // A real token, not a guess: not counted (a forgotten CI job behind a shared address
        // must not lock out the good tokens of everyone else there).
        let when = crate::domain::when::short_utc_secs(expires);
        return Err(AppError::Unauthenticated(format!(
            "That access token expired on {when}; create a new one."
        )));
    }
    let kind = kind.unwrap_or(if row.project_id.is_some() {
        TokenKind::Project
    } else {
        TokenKind::Personal
    });
    let holder = match (kind, row.project_id, row.user.user()) {
        (TokenKind::Project, Some(project), _) => Holder::Project(project),
        (TokenKind::Personal, None, Some(user)) => Holder::Person(user),
        _ => return fail(state, address, not_valid()).await,
    };
    // Best effort: a busy database must not fail the call it only records.
    if row.last_used_at.is_none_or(|at| at <= now - 60)
        && let Err(e) = access_tokens::touch(&state.db, row.id, now, &address.to_string()).await
    {
        tracing::warn!(error = %e, token.id = %row.id, "could not record a token's last use");
    }
    Ok(TokenCaller {
        id: row.id,
        name: row.name,
        scopes: token::scopes_from_text(&row.scopes),
        expires_at: row.expires_at,
        holder,
    })
}

/// Counts a failed bearer attempt from `address`: 401 with `message`, or 429 once the address
/// is over the limit (and blocked in this process until its window ends).
pub async fn fail(
    state: &AppState,
    address: IpAddr,
    message: String,
) -> Result<TokenCaller, AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let key = failure_key(address);
    let limits = state.settings.throttle;
    let (failures, start) = throttle::hit(&state.db, &key, now, limits.window_secs).await?;
    if failures > limits.per_address {
        let until = start + limits.window_secs;
        tracing::warn!(address = %address, "bearer failures over the limit; address blocked");
        state.bearer_blocks.block(key, until, now);
        return Err(too_many(until, now));
    }
    Err(AppError::Unauthenticated(message))
}

fn too_many(until: i64, now: i64) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: (until - now).max(1) as u64,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; berth_device=x"),
        );
        assert!(!has_session_cookie(&h));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("b=2;berth_session=abc"),
        );
        assert!(has_session_cookie(&h));
        let mut lookalike = HeaderMap::new();
        lookalike.insert(
            header::COOKIE,
            HeaderValue::from_static("x_berth_session=1"),
        );
        assert!(!has_session_cookie(&lookalike));
        // Spelled as the session layer still reads it.
        for spelled in ["berth_session =abc", "berth%5Fsession=abc"] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(spelled).unwrap());
            assert!(has_session_cookie(&h), "{spelled}");
        }
    }

    #[test]
    fn a_block_holds_until_its_time_and_the_list_stays_bounded() {
        let blocks = Blocks::default();
        blocks.block("a".into(), 100, 0);
        assert_eq!(blocks.until("a", 99), Some(100));
        assert_eq!(blocks.until("a", 100), None);
        for i in 0..MAX_BLOCKS + 10 {
            blocks.block(format!("k{i}"), 200, 150);
        }
        assert!(blocks.0.lock().unwrap().len() <= MAX_BLOCKS);
    }
}
