//! The HTTP router: health checks, server functions, pages, static files, and the layers around
//! them (host check, size limit, security headers, sessions, cross-site refusal, request IDs,
//! tracing, compression). Static files (`static_files`) are served outside the session layers.

use std::{
    path::PathBuf,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicI64, AtomicU32, Ordering},
    },
    time::Duration,
};

use app::{
    app::{App, StylesheetHref, shell},
    server::{
        auth::{
            backend::Backend,
            bearer, device_login,
            session_store::{DbStore, SlidingStore},
        },
        http::{
            form_input, headers,
            host_check::{self, AllowedHosts},
            middleware, pull_secret_download, render_context,
        },
        kcr,
        state::AppState,
    },
};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::from_fn,
    response::IntoResponse,
    routing::{get, post},
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

use crate::static_files::{self, SiteAssets};

/// The name `cargo xtask site` gives the bundle and the stylesheet (before their hash).
const OUTPUT_NAME: &str = "berth";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The app's page routes, worked out once per process. Working them out renders the app with
/// resource loading suppressed by a process-wide flag; a page rendering meanwhile in another
/// router of the same process (tests start many) would wait forever on its resources
/// (leptos-rs/leptos#4773). Doing it once, before any router serves, rules that out.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: OnceLock<Vec<leptos_axum::AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// What the router needs besides the shared state.
pub struct RouterConfig {
    /// The built site: `pkg/` (bundle and CSS) and the public files.
    pub site_root: PathBuf,
    /// A session ends after this long without a request.
    pub idle: time::Duration,
    /// A session ends this long after sign-in, however active.
    pub lifetime: time::Duration,
    /// The hosts requests may name.
    pub allowed_hosts: AllowedHosts,
}

/// Everything Berth answers.
pub fn router(state: AppState, config: &RouterConfig) -> anyhow::Result<Router> {
    let assets = SiteAssets::read(&config.site_root, OUTPUT_NAME);
    let options = LeptosOptions::builder()
        .output_name(assets.bundle.as_str())
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let routes = route_list();
    let stylesheet = StylesheetHref(format!("/pkg/{}", assets.stylesheet));
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(stylesheet.clone());
            headers::set_page_policy();
            render_context::provide();
        }
    };
    let https = state.settings.is_https();

    let idle = config.idle;
    // Unchanged sessions are re-written at most every tenth of the idle time (and every minute
    // at most often), so reading pages does not write to the database on every request.
    let refresh = (idle / 10_i32).max(time::Duration::minutes(1)).min(idle);
    let store = SlidingStore::new(DbStore::new(&state.db, config.lifetime), refresh);
    let sessions = SessionManagerLayer::new(store)
        .with_name(bearer::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(https)
        .with_expiry(Expiry::OnInactivity(idle))
        .with_always_save(true);
    let auth = AuthManagerLayerBuilder::new(Backend::new(state.db.clone()), sessions).build();

    let public_url = state.settings.public_url.clone();
    let server_fns = {
        let context = context.clone();
        move |req: Request<Body>| handle_server_fns_with_context(context.clone(), req)
    };

    let dynamic = Router::new()
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .route(
            "/projects/{owner}/{name}/pull-secret/download",
            post({
                let state = state.clone();
                move |path, req| pull_secret_download::download(state.clone(), path, req)
            }),
        )
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        // Any other path is the app's "not found" page; files are the static router's alone.
        .fallback(leptos_axum::render_app_async_with_context(context, {
            let options = options.clone();
            move || shell(options.clone())
        }))
        .with_state(options)
        .layer(from_fn(middleware::server_fn_error_status))
        .layer(from_fn(move |req, next| {
            form_input::keep_failed_input(https, req, next)
        }))
        .layer(auth)
        .layer(from_fn(move |req, next| {
            middleware::refuse_cross_site(public_url.clone(), req, next)
        }))
        // Outside the cross-site check, which lets through what this authenticated by token
        // (a request with a token and a session cookie is refused here).
        .layer(from_fn({
            let state = state.clone();
            move |req, next| bearer::authenticate(state.clone(), req, next)
        }))
        // Around the token lookup and the sessions, both of which read the database.
        .layer(from_fn({
            let db = state.db.clone();
            move |req, next| middleware::database_outage(db.clone(), req, next)
        }))
        .layer(from_fn(headers::dynamic_responses))
        .layer(from_fn(|req: axum::extract::Request, next| {
            let limit = middleware::body_limit(req.uri().path());
            middleware::limit_body(limit, req, next)
        }))
        // Pages and JSON are compressed as they are made; static files come precompressed.
        .layer(CompressionLayer::new());

    let allowed_hosts = Arc::new(config.allowed_hosts.clone());
    Ok(static_files::router(&config.site_root, &assets, dynamic)
        .route(
            headers::REPORT_PATH,
            post({
                let budget = Arc::new(ReportBudget::default());
                move |body: Bytes| csp_report(budget.clone(), body)
            })
            .layer(DefaultBodyLimit::max(CSP_REPORT_MAX)),
        )
        // Registry clients and devices logging in: no sessions, no cross-site check (they send
        // no cookies), but the
        // database-outage answer and no-store like every dynamic response.
        .merge(
            kcr::router(state.clone())
                .merge(device_login::router(state.clone()))
                .layer(from_fn({
                    let db = state.db.clone();
                    move |req, next| middleware::database_outage(db.clone(), req, next)
                }))
                .layer(from_fn(headers::dynamic_responses)),
        )
        .layer(from_fn(move |req, next| {
            host_check::refuse_unknown_host(allowed_hosts.clone(), req, next)
        }))
        // Health checks sit outside the host check and the session layers: probes reach the
        // process by any address and must not touch sessions.
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
                .layer(from_fn(move |req, next| headers::hsts(https, req, next))),
        ))
}

/// Largest CSP report read.
const CSP_REPORT_MAX: usize = 16 * 1024;

/// Most CSP reports logged per minute; anyone may post them, so the log must not be theirs to
/// flood.
const CSP_REPORTS_PER_MINUTE: u32 = 20;

/// Counts reports per minute so that only the first few of each minute are logged.
#[derive(Default)]
struct ReportBudget {
    minute: AtomicI64,
    logged: AtomicU32,
    dropped: AtomicU32,
}

impl ReportBudget {
    /// Whether this report may be logged; at the turn of a minute, says how many were not.
    fn take(&self) -> bool {
        let minute = time::OffsetDateTime::now_utc().unix_timestamp() / 60;
        if self.minute.swap(minute, Ordering::Relaxed) != minute {
            self.logged.store(0, Ordering::Relaxed);
            let dropped = self.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "content security policy reports not logged (too many)"
                );
            }
        }
        let ok = self.logged.fetch_add(1, Ordering::Relaxed) < CSP_REPORTS_PER_MINUTE;
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// Logs a report of something the page policy blocked: a sign of injected markup, or of a
/// page that needs the policy changed. Only the directive, the blocked source and the page's
/// path are logged (a query string may carry a token), as quoted, escaped strings (a report
/// is anyone's text: it must not forge log lines), and at most a few per minute.
async fn csp_report(budget: Arc<ReportBudget>, body: Bytes) -> StatusCode {
    if !budget.take() {
        return StatusCode::NO_CONTENT;
    }
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let report = report.get("csp-report").unwrap_or(&report);
    let field = |name: &str| {
        let value = report.get(name).and_then(|v| v.as_str()).unwrap_or("-");
        value.chars().take(200).collect::<String>()
    };
    let page = field("document-uri");
    let page = page.split(['?', '#']).next().unwrap_or_default().to_owned();
    tracing::warn!(
        directive = ?field("violated-directive"),
        blocked = ?field("blocked-uri"),
        page = ?page,
        "content security policy violation reported"
    );
    StatusCode::NO_CONTENT
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_csp_reports_of_a_minute_are_logged() {
        let budget = ReportBudget::default();

        let logged = (0..CSP_REPORTS_PER_MINUTE + 5)
            .filter(|_| budget.take())
            .count();

        assert_eq!(logged, CSP_REPORTS_PER_MINUTE as usize);
        assert_eq!(budget.dropped.load(Ordering::Relaxed), 5);
    }
}
