//! The device's side of a device login (RFC 8628), for `berth login`:
//!
//! - `POST /device/code` (form: `client_name`, `scope` space-separated) answers the device
//!   code, the user code and where to type it (`verification_uri`), `expires_in`, `interval`;
//! - `POST /device/token` (form: `grant_type=urn:ietf:params:oauth:grant-type:device_code`,
//!   `device_code`) answers 400 with `authorization_pending`, `slow_down`, `access_denied`,
//!   `expired_token` or `invalid_grant` until the person approves, then 200 with the new
//!   personal token (`access_token`), once.
//!
//! The person's side (`/activate`) is a page with server functions (`api::device`); the rules
//! are in `rules::device_logins`. No sessions here and no cookies: like the KCR token
//! service, these routes sit outside the session and cross-site layers.

use std::net::SocketAddr;

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

use crate::error::AppError;
use crate::server::{http::request, rules::device_logins, state::AppState};

/// Where a device asks for a code.
pub const CODE_PATH: &str = "/device/code";
/// Where it polls for its token.
pub const TOKEN_PATH: &str = "/device/token";
/// The grant type of a poll.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device-login routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(CODE_PATH, post(code))
        .route(TOKEN_PATH, post(token))
        .layer(DefaultBodyLimit::max(8 * 1024))
        .with_state(state)
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn one<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// An OAuth2 error answer.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": code, "error_description": description }).to_string(),
    )
        .into_response()
}

/// A 200 with `value` as JSON.
fn json_ok(value: &impl serde::Serialize) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!(value).to_string(),
    )
        .into_response()
}

fn app_error(err: &AppError) -> Response {
    let (status, code) = match err {
        AppError::Invalid(_) | AppError::BadRequest(_) => {
            (StatusCode::BAD_REQUEST, "invalid_request")
        }
        AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "slow_down"),
        AppError::Unavailable | AppError::Busy { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    };
    let mut res = oauth_error(status, code, &err.to_string());
    if let AppError::TooManyRequests { retry_after_secs } = err
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let address = request::address_of(&state.settings, &headers, Some(peer));
    match device_logins::request(
        &state,
        address,
        one(&form, "client_name"),
        one(&form, "scope"),
    )
    .await
    {
        Ok(authorization) => json_ok(&authorization),
        Err(AppError::Invalid(fields)) => {
            let scope = fields.get("scope").is_some();
            let message = fields.values().next().cloned().unwrap_or_default();
            oauth_error(
                StatusCode::BAD_REQUEST,
                if scope {
                    "invalid_scope"
                } else {
                    "invalid_request"
                },
                &message,
            )
        }
        Err(err) => app_error(&err),
    }
}

async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form(&body);
    if one(&form, "grant_type") != GRANT_TYPE {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type must be {GRANT_TYPE}."),
        );
    }
    let address = request::address_of(&state.settings, &headers, Some(peer));
    match device_logins::exchange(&state, address, one(&form, "device_code")).await {
        Ok(Ok(exchanged)) => json_ok(&exchanged),
        Ok(Err(pending)) => oauth_error(
            StatusCode::BAD_REQUEST,
            pending.code(),
            pending.description(),
        ),
        Err(err) => app_error(&err),
    }
}
