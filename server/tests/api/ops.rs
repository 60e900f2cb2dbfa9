//! Health and readiness, server-rendered pages and their statuses.

use std::sync::Arc;

use app::api::projects::ListProjects;
use reqwest::StatusCode;
use tokio::{sync::Semaphore, task::JoinSet};

use crate::helpers::{Backend, TestApp};
use crate::on_both;

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let health = app.get("/healthz", None).await;
    let ready = app.get("/readyz", None).await;

    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(ready.status(), StatusCode::OK);
}

async fn readiness_fails_with_503_when_the_database_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    app.state.db.close().await;
    let ready = app.get("/readyz", None).await;

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

async fn pages_and_functions_say_503_when_the_database_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    app.state.db.close().await;

    // A browser gets a page that says what is wrong, not a bare 500.
    let page = app
        .http
        .get(format!("{}/projects", app.base))
        .header("accept", "text/html")
        .header("cookie", &ann.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()["retry-after"], "5");
    let text = page.text().await.unwrap();
    assert!(text.contains("cannot reach its database"), "{text}");
    // A client of the API gets the server-function error.
    let list = ann.send(ListProjects {}).await;
    assert_eq!(list.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = list.json().await.unwrap();
    assert_eq!(body["kind"], "unavailable", "{body}");
}

async fn the_sign_in_page_renders_its_labelled_form_on_the_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.get("/login", None).await;

    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<label for="field-login""#), "{html}");
    assert!(html.contains(r#"<label for="field-password""#));
    assert!(
        html.contains("/pkg/berth.js"),
        "hydration scripts are linked"
    );
}

async fn an_unknown_page_is_a_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.get("/no/such/page", None).await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

async fn the_account_page_sends_anonymous_visitors_to_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .http
        .get(format!("{}/account", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();

    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login?next=/account");
}

async fn the_account_page_shows_the_signed_in_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let html = ann.page("/account").await;

    assert!(html.contains("ann@example.com"));
    assert!(html.contains("Change password"));
}

/// Many page renders at once, signed in and not, each finishing with a whole document. (A
/// resource read from two `<Suspense>` boundaries used to leave some responses hanging
/// mid-body; the client's timeout turns such a stall into a failure here.)
async fn every_page_render_finishes_under_concurrent_load(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let pages = [
        ("/", false, StatusCode::OK),
        ("/", true, StatusCode::OK),
        ("/account", false, StatusCode::FOUND),
        ("/account", true, StatusCode::OK),
        ("/login", false, StatusCode::OK),
        ("/regions", true, StatusCode::OK),
    ];
    let limit = Arc::new(Semaphore::new(16));
    let mut renders = JoinSet::new();
    for i in 0..300 {
        let (path, signed_in, expected) = pages[i % pages.len()];
        let mut req = app
            .http
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html");
        if signed_in {
            req = req.header("cookie", &ann.cookie);
        }
        let limit = Arc::clone(&limit);
        renders.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
            let status = res.status();
            let body = res.text().await.unwrap_or_else(|e| panic!("{path}: {e}"));
            (path, signed_in, expected, status, body)
        });
    }

    let mut finished = 0;
    while let Some(render) = renders.join_next().await {
        let (path, signed_in, expected, status, body) = render.unwrap();
        assert_eq!(status, expected, "{path} (signed in: {signed_in})");
        if status == StatusCode::OK {
            assert!(
                body.contains("</html>"),
                "{path} (signed in: {signed_in}) ended early: …{}",
                &body[body.len().saturating_sub(200)..]
            );
        }
        finished += 1;
    }
    assert_eq!(finished, 300);
}

on_both!(
    every_page_render_finishes_under_concurrent_load,
    health_and_readiness_answer,
    readiness_fails_with_503_when_the_database_is_gone,
    pages_and_functions_say_503_when_the_database_is_gone,
    the_sign_in_page_renders_its_labelled_form_on_the_server,
    an_unknown_page_is_a_404,
    the_account_page_sends_anonymous_visitors_to_sign_in,
    the_account_page_shows_the_signed_in_user,
);
