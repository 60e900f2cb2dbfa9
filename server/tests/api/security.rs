//! Cross-site request refusal, plain (JavaScript-free) form posts, security headers.

use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::on_both;

async fn a_cross_site_form_post_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .http
        .post(format!("{}/api/sign_up", app.base))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .form(&[
            ("email", "ann@example.com"),
            ("username", "ann"),
            ("display_name", "Ann"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("app_user").await, 0);
}

async fn a_foreign_origin_without_fetch_metadata_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    let res = app
        .http
        .post(format!("{}/api/sign_out", app.base))
        .header("origin", "http://evil.test")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        app.whoami(&cookie).await.is_some(),
        "the session must survive"
    );
}

async fn a_same_origin_plain_form_post_signs_in_and_redirects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let res = app
        .http
        .post(format!("{}/api/sign_in", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", format!("{}/login", app.base))
        .form(&[("login", "ann"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/");
}

async fn a_failed_plain_form_post_returns_to_the_form_showing_the_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let res = app
        .http
        .post(format!("{}/api/sign_in", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("referer", format!("{}/login", app.base))
        .form(&[("login", "ann"), ("password", "wrong password!!")])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/login?", app.base)),
        "{location}"
    );
    let page = app
        .http
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("That email, username or password is not right."),
        "{page}"
    );
}

async fn responses_carry_a_request_id_and_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.get("/login", None).await;

    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
}

on_both!(
    a_cross_site_form_post_is_refused_and_changes_nothing,
    a_foreign_origin_without_fetch_metadata_is_refused,
    a_same_origin_plain_form_post_signs_in_and_redirects,
    a_failed_plain_form_post_returns_to_the_form_showing_the_error,
    responses_carry_a_request_id_and_security_headers,
);
