//! HTTP middleware of our own: cross-site request refusal, the request-size limit, the HTTP
//! status of failed server functions, and a 503 that says so when the database is unreachable.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};

use crate::error::AppError;
use crate::server::db::Db;

/// Why a state-changing request was judged cross-site, if it was.
pub fn cross_site_reason(method: &Method, headers: &HeaderMap, public_url: &str) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Browsers send Sec-Fetch-Site on every request; it cannot be set by page script.
    if let Some(site) = value("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => None,
            other => Some(format!("Sec-Fetch-Site is {other}")),
        };
    }
    // Older browsers: compare Origin with our own origin or the Host the request was sent to.
    if let Some(origin) = value("origin") {
        let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or(origin);
        let same_host = value("host").is_some_and(|host| host.eq_ignore_ascii_case(authority));
        if origin.eq_ignore_ascii_case(public_url) || same_host {
            return None;
        }
        return Some(format!("Origin {origin} is not this site"));
    }
    // No browser headers at all: not a browser, so not a cross-site forgery (CLI, CI tokens).
    None
}

/// Refuses state-changing requests that a browser marks as coming from another site, with 403.
/// A request `auth::bearer` authenticated by its token passes: a browser never attaches a
/// bearer token on its own, so it cannot be forged cross-site (and a token with the session
/// cookie was refused before it got here).
pub async fn refuse_cross_site(public_url: String, req: Request, next: Next) -> Response {
    if req
        .extensions()
        .get::<crate::server::auth::bearer::TokenCaller>()
        .is_some()
    {
        return next.run(req).await;
    }
    if let Some(reason) = cross_site_reason(req.method(), req.headers(), &public_url) {
        tracing::warn!(%reason, path = %req.uri().path(), "cross-site request refused");
        let err = AppError::Forbidden("Cross-site requests are refused.".into());
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            err.ser(),
        )
            .into_response();
    }
    next.run(req).await
}

/// Largest request body Berth reads: far above any form (a Google JSON key is a few KiB), far
/// below what would cost memory.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

/// Largest body of a docker config.json import: 1 MiB of JSON, form-encoded (which can
/// triple it).
pub const IMPORT_MAX_BODY: usize = 4 * 1024 * 1024;

/// The body limit of a request to `path`.
pub fn body_limit(path: &str) -> usize {
    if path == "/api/preview_credential_import" {
        IMPORT_MAX_BODY
    } else {
        MAX_REQUEST_BODY
    }
}

/// Answers 413, in the server-function error shape, to a request whose body is larger than
/// `limit`: by its `Content-Length` before reading anything, or, without one, by reading at
/// most `limit + 1` bytes.
pub async fn limit_body(limit: usize, req: Request, next: Next) -> Response {
    let too_large = || {
        let err = AppError::TooLarge {
            limit_kib: (limit / 1024) as u64,
        };
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "application/json")],
            err.ser(),
        )
            .into_response()
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => too_large(),
        Some(_) => next.run(req).await,
        None if axum::body::HttpBody::size_hint(req.body()).upper() == Some(0) => {
            next.run(req).await
        }
        None => {
            let (parts, body) = req.into_parts();
            match to_bytes(body, limit).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(_) => too_large(),
            }
        }
    }
}

/// Largest error body we read back to find its status.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Gives a failed server function the status its [`AppError`] names (server_fn answers every
/// error with 500), adds `Retry-After` to 429s and busy 503s, and turns the redirect of a failed plain form
/// post into a 303 so the browser shows the form again with the error.
pub async fn server_fn_error_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if !res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    let err = AppError::de(bytes.clone());
    if let AppError::TooManyRequests { retry_after_secs } | AppError::Busy { retry_after_secs } =
        err
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        parts.headers.insert(header::RETRY_AFTER, value);
    }
    parts.status = if parts.headers.contains_key(header::LOCATION) {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// How long the outage check waits for the database before calling it unreachable.
const OUTAGE_PING: std::time::Duration = std::time::Duration::from_millis(500);

/// The page a browser gets when the database is unreachable (no app shell: rendering it needs
/// the session, which lives in the database).
const OUTAGE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Database unavailable · Berth</title></head>\
<body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem\">\
<h1>Berth cannot reach its database right now</h1>\
<p role=\"alert\">Nothing was changed. Berth reconnects by itself once the database is back: \
<a href=\"\">try again</a> in a moment.</p></body></html>";

/// The session layers answer a bare 500 when the session store (the database) fails. When the
/// database is in fact unreachable, that becomes a 503 with `Retry-After` that says so: a page
/// for browsers, the server-function error for everyone else. Any other 500 is left alone.
/// Reachable means a new connection works: while PostgreSQL shuts down it terminates pooled
/// connections one by one, so a pooled ping can still answer just after a save failed.
pub async fn database_outage(db: Db, req: Request, next: Next) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || res.headers().contains_key(SERVER_FN_ERROR_HEADER)
        || matches!(
            tokio::time::timeout(OUTAGE_PING, db.ping_fresh()).await,
            Ok(Ok(()))
        )
    {
        return res;
    }
    let (content_type, body) = if wants_html {
        ("text/html; charset=utf-8", Body::from(OUTAGE_PAGE))
    } else {
        ("application/json", Body::from(AppError::Unavailable.ser()))
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, HeaderValue::from_static("5")),
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The page's only styling is inline; it has no script.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    const URL: &str = "http://127.0.0.1:3000";

    #[test]
    fn a_cross_site_post_is_refused() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(cross_site_reason(&Method::POST, &h, URL).is_some());
    }

    #[test]
    fn a_same_site_but_cross_origin_post_is_refused() {
        let h = headers(&[("sec-fetch-site", "same-site")]);
        assert!(cross_site_reason(&Method::POST, &h, URL).is_some());
    }

    #[test]
    fn a_same_origin_post_passes() {
        let h = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://evil.test"),
        ]);
        assert!(cross_site_reason(&Method::POST, &h, URL).is_none());
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_be_ours() {
        let evil = headers(&[("origin", "http://evil.test"), ("host", "127.0.0.1:3000")]);
        assert!(cross_site_reason(&Method::POST, &evil, URL).is_some());
        let ours = headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:3000"),
        ]);
        assert!(cross_site_reason(&Method::POST, &ours, URL).is_none());
        let public = headers(&[("origin", "http://127.0.0.1:3000"), ("host", "internal:80")]);
        assert!(cross_site_reason(&Method::POST, &public, URL).is_none());
    }

    #[test]
    fn a_cross_site_get_is_not_refused() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(cross_site_reason(&Method::GET, &h, URL).is_none());
    }

    #[test]
    fn a_client_without_browser_headers_passes() {
        assert!(cross_site_reason(&Method::POST, &HeaderMap::new(), URL).is_none());
    }
}
