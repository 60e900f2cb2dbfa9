//! `POST /kcr/events/{region}`: the registry's notifications (distribution's `notifications`
//! endpoint, configured by `berth kcr registry-config`). Authenticated by a secret shared
//! with the registry's config (`Authorization: Bearer …`, derived from the master key per
//! region); answered 200 once applied, so the registry retries until then.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use uuid::Uuid;

use crate::server::{
    crypto::MasterKey,
    rules::kcr_images::{self, Envelope},
    state::AppState,
};

/// The endpoint's path, per region.
pub const PATH: &str = "/kcr/events/{region}";

/// Largest notification batch read.
const MAX_BODY: usize = 1024 * 1024;

/// The secret the registry of `region` sends its notifications with.
pub fn secret(key: &MasterKey, region: &str) -> String {
    key.token(&purpose(region), Uuid::nil())
}

fn purpose(region: &str) -> String {
    format!("kcr notifications {region}")
}

/// The notification routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn receive(
    State(state): State<AppState>,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    if state.settings.region(&region).is_none() {
        return (StatusCode::NOT_FOUND, "no such region");
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !state
        .key
        .verify_token(&purpose(&region), Uuid::nil(), presented)
    {
        tracing::warn!(region, "a KCR notification with a wrong secret was refused");
        return (StatusCode::UNAUTHORIZED, "wrong notification secret");
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a notification envelope");
    };
    match kcr_images::apply(&state, &region, &envelope).await {
        Ok(()) => (StatusCode::OK, "ok"),
        // The registry retries: nothing is lost while the database is away.
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again"),
    }
}
