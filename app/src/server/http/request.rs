//! What a server function reads about its request: the shared state, the session, the caller
//! and the client address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use leptos::prelude::use_context;

use crate::error::AppError;
use axum::http::HeaderMap;

use crate::server::{
    auth::{backend::AuthSession, bearer::TokenCaller},
    db::users::User,
    state::{AppState, Settings},
};

/// The shared state (provided to every server function and page render).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// The caller's session.
pub async fn auth_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|e| {
        tracing::error!(error = ?e, "session layer missing");
        AppError::Internal
    })
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<(AuthSession, User), AppError> {
    let session = auth_session().await?;
    let user = session
        .user
        .clone()
        .ok_or_else(|| AppError::Unauthenticated("Sign in to continue.".into()))?;
    Ok((session, user))
}

/// The client's address of the server function being served (see [`address_of`]).
pub async fn client_addr(state: &AppState) -> IpAddr {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    match parts {
        Some(p) => address_of(
            &state.settings,
            &p.headers,
            p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
        ),
        None => IpAddr::from([0, 0, 0, 0]),
    }
}

/// The client's address: the socket peer, or, when the proxy in front is trusted, the last
/// `X-Forwarded-For` entry: the one that proxy appended. Entries before it came from the
/// client and may be anything (taking the first would let a client pick its own address).
pub fn address_of(settings: &Settings, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
    if settings.trust_forwarded_for
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
    {
        match last.trim().parse::<IpAddr>() {
            Ok(forwarded) => return forwarded,
            // Every client would share the proxy's address and its limits: say so.
            Err(_) => tracing::warn!("X-Forwarded-For ends in something that is not an IP address"),
        }
    }
    peer.map(|p| p.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The access token the request was authenticated by (`auth::bearer`), if any.
pub fn bearer() -> Option<TokenCaller> {
    use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<TokenCaller>().cloned())
}

/// The request's headers.
pub fn request_headers() -> Option<axum::http::HeaderMap> {
    use_context::<axum::http::request::Parts>().map(|p| p.headers)
}

/// Whether the request is a page's plain form post (its answer is a redirect to a page), not
/// a call from a client that reads the result (the hydrated app, the CLI).
pub fn is_page_post() -> bool {
    use_context::<axum::http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Adds a `Set-Cookie` to the response (`None`, nothing).
pub fn set_cookie(value: Option<axum::http::HeaderValue>) {
    if let (Some(value), Some(response)) = (value, use_context::<leptos_axum::ResponseOptions>()) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// Logs `user` in on this request: a new session ID (even over an existing session: session
/// fixation), the session bound to the user, and the known-device cookie (`auth::device`).
pub async fn log_in(state: &AppState, user: &User) -> Result<(), AppError> {
    let mut session = auth_session().await?;
    session.session.cycle_id().await?;
    session.login(user).await?;
    let secure = state.settings.is_https();
    set_cookie(crate::server::auth::device::set_cookie(
        &state.key, user, secure,
    ));
    tracing::info!(user.id = %user.id, "signed in");
    Ok(())
}

/// Sends the browser to `path` after the server function (a 302 for form posts; the hydrated
/// client navigates). A path that cannot be a header value (leptos_axum would panic on it)
/// goes home instead; callers build paths from validated names, so this is a last guard.
pub fn redirect(path: &str) {
    if axum::http::HeaderValue::from_str(path).is_ok() {
        leptos_axum::redirect(path);
    } else {
        tracing::warn!("refused a redirect target that is not a valid header value");
        leptos_axum::redirect("/");
    }
}
