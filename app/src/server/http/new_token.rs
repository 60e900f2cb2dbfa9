//! A token made by a plain form post is shown on the page that post lands on: its text rides
//! a five-minute HttpOnly `SameSite=Strict` cookie, sealed under the master key and bound to
//! the token and the person who made it. The tokens page opens it ([`peek`]); the list shows
//! it only when it is one of its own tokens, and then the cookie is deleted ([`shown`]), so
//! another tokens page leaves it for its own. Signing out deletes it too ([`clear`]).

use uuid::Uuid;

use crate::domain::token::{CreatedToken, TokenList};
use crate::server::{crypto::secrets, http::request, state::AppState};

/// The cookie's name.
pub const COOKIE: &str = "berth_new_token";
const MAX_AGE_SECS: u32 = 300;

/// What binds a cookie to its token and the person who made it.
fn binding(id: Uuid, maker: Uuid) -> Vec<u8> {
    format!("berth new token v2\0{id}\0{maker}").into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn cookie(value: &str, max_age: u32, https: bool) -> Option<axum::http::HeaderValue> {
    axum::http::HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if https { "; Secure" } else { "" }
    ))
    .ok()
}

/// Keeps `made`, just made by `maker`, for the page the post is sent to.
pub fn keep(state: &AppState, maker: Uuid, made: &CreatedToken) {
    let Ok(id) = Uuid::parse_str(&made.id) else {
        return;
    };
    let (nonce, sealed) =
        secrets::seal_bytes(&state.key, &binding(id, maker), made.token.as_bytes());
    let value = format!("{id}.{}.{}", hex(&nonce), hex(&sealed));
    request::set_cookie(cookie(&value, MAX_AGE_SECS, state.settings.is_https()));
}

/// The token kept for this request's page, when `maker` made it (the cookie stays until
/// [`shown`]).
pub fn peek(state: &AppState, maker: Uuid) -> Option<CreatedToken> {
    let headers = request::request_headers()?;
    let value = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&format!("{COOKIE}=")))?
        .to_owned();
    let mut parts = value.split('.');
    let (id, nonce, sealed) = (parts.next()?, parts.next()?, parts.next()?);
    let id = Uuid::parse_str(id).ok()?;
    let plain = secrets::open_bytes(
        &state.key,
        &binding(id, maker),
        &unhex(nonce)?,
        &unhex(sealed)?,
    )?;
    Some(CreatedToken {
        id: id.to_string(),
        name: String::new(),
        token: String::from_utf8(plain).ok()?,
        expires_at: None,
    })
}

/// Deletes the cookie once `list` has shown its token.
pub fn shown(state: &AppState, list: &TokenList) {
    if list.created.is_some() {
        clear(state);
    }
}

/// Deletes the cookie (signing out).
pub fn clear(state: &AppState) {
    request::set_cookie(cookie("", 0, state.settings.is_https()));
}
