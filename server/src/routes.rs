//! The HTTP router: health checks, server functions, pages, static files, and the layers around
//! them (sessions, cross-site refusal, request IDs, tracing, compression).

use std::{path::Path, sync::OnceLock, time::Duration};

use app::{
    app::{App, shell},
    server::{
        auth::{
            backend::Backend,
            session_store::{DbStore, SlidingStore},
        },
        middleware,
        state::AppState,
    },
};
use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::from_fn,
    response::IntoResponse,
    routing::get,
};
use axum_login::AuthManagerLayerBuilder;
use leptos::prelude::{LeptosOptions, provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The app's page routes, worked out once per process. Working them out renders the app with
/// resource loading suppressed by a process-wide flag; a page rendering meanwhile in another
/// router of the same process (tests start many) would wait forever on its resources
/// (leptos-rs/leptos#4773). Doing it once, before any router serves, rules that out.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: OnceLock<Vec<leptos_axum::AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Everything Berth answers.
pub fn router(state: AppState, site_root: &Path, idle_minutes: i64) -> Router {
    let options = LeptosOptions::builder()
        .output_name("berth")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let routes = route_list();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };

    let idle = time::Duration::minutes(idle_minutes);
    // Unchanged sessions are re-written at most every tenth of the idle time (and every minute
    // at most often), so reading pages does not write to the database on every request.
    let refresh = (idle / 10_i32).max(time::Duration::minutes(1)).min(idle);
    let sessions = SessionManagerLayer::new(SlidingStore::new(DbStore::new(&state.db), refresh))
        .with_name("berth_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.public_url.starts_with("https://"))
        .with_expiry(Expiry::OnInactivity(idle))
        .with_always_save(true);
    let auth = AuthManagerLayerBuilder::new(Backend::new(state.db.clone()), sessions).build();

    let public_url = state.settings.public_url.clone();
    let server_fns = {
        let context = context.clone();
        move |req: Request<Body>| handle_server_fns_with_context(context.clone(), req)
    };

    Router::new()
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<LeptosOptions, _>(
            context, shell,
        ))
        .with_state(options)
        .layer(from_fn(middleware::server_fn_error_status))
        .layer(auth)
        .layer(from_fn({
            let db = state.db.clone();
            move |req, next| middleware::database_outage(db.clone(), req, next)
        }))
        .layer(from_fn(move |req, next| {
            middleware::refuse_cross_site(public_url.clone(), req, next)
        }))
        // Health checks sit outside the session layers: probes must not touch sessions.
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(state))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        // The path only: query strings may carry tokens.
                        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(CompressionLayer::new()),
        )
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers within two seconds.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}
