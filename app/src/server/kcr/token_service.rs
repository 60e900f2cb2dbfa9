//! `/kcr/token`: the Docker registry token endpoint, as CNCF distribution and its clients
//! (docker, podman, skopeo, containerd) speak it.
//!
//! - `GET /kcr/token?service=S&scope=repository:NAME:pull,push&scope=...` with
//!   `Authorization: Basic` (a username and an access token as the password);
//! - `POST /kcr/token` (OAuth2 form): `grant_type=password` with `username` and `password`,
//!   or `grant_type=refresh_token` with a refresh token from an earlier `access_type=offline`
//!   password grant; `scope` holds the scopes space-separated.
//!
//! No scope is a login check: a token granting nothing. A Berth password is refused with a
//! message saying to use an access token; wrong tokens count toward the same per-address
//! throttle as bearer calls. Answers are JSON, never cached, and never hold the password.

use std::net::{IpAddr, SocketAddr};

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::Engine;
use serde_json::json;
use uuid::Uuid;

use crate::domain::{kcr_access::RequestedScope, token};
use crate::error::AppError;
use crate::server::{
    auth::bearer::{self, Holder, TokenCaller},
    http::request,
    rules::kcr_tokens::{self, Issued, TokenRequest},
    state::AppState,
};

/// The endpoint's path (the registry's `auth.token.realm` is the public URL + this).
pub const PATH: &str = "/kcr/token";

/// Largest form body read.
const MAX_BODY: usize = 8 * 1024;

/// The purpose refresh tokens are made for (an HMAC under the master key: nothing stored).
const REFRESH_PURPOSE: &str = "kcr refresh token";
/// The prefix of a refresh token.
const REFRESH_PREFIX: &str = "berth_rt_";

/// The token service's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH, get(by_get).post(by_post))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// How the client authenticated.
enum Credentials {
    /// A username and a password (which must be an access token).
    Password { username: String, password: String },
    /// A refresh token from an earlier offline password grant.
    Refresh(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

/// One request, read from either form.
struct Asked {
    credentials: Option<Credentials>,
    request: TokenRequest,
    /// Whether to hand out a refresh token (`access_type=offline`, password grant).
    offline: bool,
    /// Whether the client spoke OAuth2 (POST): its answer then carries `scope`.
    oauth: bool,
}

fn params(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn one<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn request_of(params: &[(String, String)]) -> Result<TokenRequest, AppError> {
    let service = one(params, "service")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::BadRequest("Name the registry with service=HOST.".into()))?;
    let scopes = RequestedScope::parse_all(
        params
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str()),
    )
    .map_err(AppError::BadRequest)?;
    Ok(TokenRequest {
        service: service.to_owned(),
        scopes,
    })
}

fn basic(headers: &HeaderMap) -> Result<Option<Credentials>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad =
        || AppError::BadRequest("The Authorization header is not Basic username:token.".into());
    if value.len() > bearer::MAX_HEADER {
        return Err(bad());
    }
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        return Err(bad());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (username, password) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some(Credentials::Password {
        username: username.to_owned(),
        password: password.to_owned(),
    }))
}

async fn by_get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref().unwrap_or_default());
    let asked = basic(&headers).and_then(|credentials| {
        Ok(Asked {
            credentials,
            request: request_of(&params)?,
            offline: false,
            oauth: false,
        })
    });
    serve(&state, address(&state, &headers, peer), asked, false).await
}

async fn by_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let asked = std::str::from_utf8(&body)
        .map_err(|_| AppError::BadRequest("The form is not UTF-8.".into()))
        .and_then(|text| {
            let params = params(text);
            let credentials = match one(&params, "grant_type") {
                Some("password") => Credentials::Password {
                    username: one(&params, "username").unwrap_or_default().to_owned(),
                    password: one(&params, "password").unwrap_or_default().to_owned(),
                },
                Some("refresh_token") => Credentials::Refresh(
                    one(&params, "refresh_token").unwrap_or_default().to_owned(),
                ),
                _ => {
                    return Err(AppError::BadRequest(
                        "Use grant_type=password or grant_type=refresh_token.".into(),
                    ));
                }
            };
            let offline = matches!(credentials, Credentials::Password { .. })
                && one(&params, "access_type") == Some("offline");
            Ok(Asked {
                credentials: Some(credentials),
                request: request_of(&params)?,
                offline,
                oauth: true,
            })
        });
    serve(&state, address(&state, &headers, peer), asked, true).await
}

fn address(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    request::address_of(&state.settings, headers, Some(peer))
}

async fn serve(
    state: &AppState,
    address: IpAddr,
    asked: Result<Asked, AppError>,
    oauth: bool,
) -> Response {
    let asked = match asked {
        Ok(asked) => asked,
        Err(err) => return refuse(err, oauth),
    };
    match answer(state, address, asked).await {
        Ok(response) => response,
        Err(err) => refuse(err, oauth),
    }
}

async fn answer(state: &AppState, address: IpAddr, asked: Asked) -> Result<Response, AppError> {
    // The service first: a typo in the registry's config is worth a clear message even
    // before anyone signs in.
    kcr_tokens::region_for(state, &asked.request.service)?;
    let Some(credentials) = asked.credentials else {
        return Err(AppError::Unauthenticated(
            "Sign in with your username and an access token as the password.".into(),
        ));
    };
    let caller = authenticate(state, address, credentials).await?;
    let refresh = asked.offline.then(|| refresh_token(state, caller.id));
    let issued = kcr_tokens::issue(state, &state.kcr, caller, address, asked.request).await?;
    Ok(granted(issued, refresh, asked.oauth))
}

/// The caller behind `credentials`, or why not.
async fn authenticate(
    state: &AppState,
    address: IpAddr,
    credentials: Credentials,
) -> Result<TokenCaller, AppError> {
    match credentials {
        Credentials::Refresh(text) => match read_refresh_token(state, &text) {
            Some(id) => bearer::verify_id(state, id, address).await,
            None => {
                bearer::fail(
                    state,
                    address,
                    "That refresh token is not valid; sign in again.".into(),
                )
                .await
            }
        },
        Credentials::Password { username, password } => {
            if token::parse(&password) == Err(token::TokenError::Malformed) {
                // Never checked against the account: the registry takes tokens only.
                return bearer::fail(
                    state,
                    address,
                    format!(
                        "KCR takes an access token as the password, not a Berth password: create one with the registry:push or registry:pull scope at {}/account/tokens.",
                        state.settings.public_url
                    ),
                )
                .await;
            }
            let caller = bearer::verify(state, &password, address).await?;
            if let Holder::Person(user) = &caller.holder
                && !user.username.eq_ignore_ascii_case(username.trim())
            {
                return Err(AppError::Unauthenticated(format!(
                    "This access token belongs to another account: sign in as {}.",
                    user.username
                )));
            }
            Ok(caller)
        }
    }
}

/// A refresh token for token `id`: proof that Berth issued it, naming the access token it
/// stands for (revoking that one ends it too).
fn refresh_token(state: &AppState, id: Uuid) -> String {
    format!(
        "{REFRESH_PREFIX}{}_{}",
        id.simple(),
        state.key.token(REFRESH_PURPOSE, id)
    )
}

fn read_refresh_token(state: &AppState, text: &str) -> Option<Uuid> {
    let (id, mac) = text.trim().strip_prefix(REFRESH_PREFIX)?.split_once('_')?;
    let id = Uuid::try_parse(id).ok()?;
    state
        .key
        .verify_token(REFRESH_PURPOSE, id, mac)
        .then_some(id)
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn granted(issued: Issued, refresh: Option<String>, oauth: bool) -> Response {
    let mut body = json!({
        "token": issued.token,
        "access_token": issued.token,
        "expires_in": issued.expires_in,
        "issued_at": crate::domain::when::rfc3339_secs(issued.issued_at),
    });
    if oauth {
        body["scope"] = json!(issued.scope);
    }
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    json_response(StatusCode::OK, body)
}

/// An error as registry clients read it: distribution's `errors` list (docker prints the
/// message), `details`, and for OAuth2 clients `error`/`error_description`.
fn refuse(err: AppError, oauth: bool) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let (code, oauth_code) = match status {
        StatusCode::UNAUTHORIZED => ("UNAUTHORIZED", "invalid_grant"),
        StatusCode::TOO_MANY_REQUESTS => ("TOOMANYREQUESTS", "temporarily_unavailable"),
        StatusCode::BAD_REQUEST => ("UNSUPPORTED", "invalid_request"),
        s if s.is_server_error() => ("UNAVAILABLE", "temporarily_unavailable"),
        _ => ("DENIED", "access_denied"),
    };
    let message = match &err {
        AppError::BadRequest(m) => m.clone(),
        other => other.to_string(),
    };
    let mut body = json!({
        "errors": [{ "code": code, "message": message }],
        "details": message,
    });
    if oauth {
        body["error"] = json!(oauth_code);
        body["error_description"] = json!(message);
    }
    let mut res = json_response(status, body);
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Berth KCR\""),
        );
    }
    if let AppError::TooManyRequests { retry_after_secs } = err {
        res.headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs.into());
    }
    res
}
