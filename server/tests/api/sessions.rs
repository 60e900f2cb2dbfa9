//! Sessions: stored in the database, shared by replicas, ended by sign-out and password change,
//! throttled sign-in counted across replicas, cookies with the right attributes.

use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestApp, session_cookie, set_cookie_line};
use crate::on_both;

async fn a_session_from_one_instance_works_on_another(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;

    let cookie = a.sign_up("ann").await;

    assert_eq!(b.whoami(&cookie).await.unwrap()["username"], "ann");
}

async fn signing_out_on_one_instance_ends_the_session_on_both(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;
    let cookie = a.sign_up("ann").await;

    let res = a.call("sign_out", &[], Some(&cookie)).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert!(a.whoami(&cookie).await.is_none());
    assert!(b.whoami(&cookie).await.is_none());
    assert_eq!(a.count("user_session").await, 0);
}

async fn sign_in_issues_a_new_session_id_even_over_an_existing_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.sign_up("ann").await;

    let res = app
        .call(
            "sign_in",
            &[("login", "ann"), ("password", PASSWORD)],
            Some(&first),
        )
        .await;

    let second = session_cookie(res.headers()).unwrap();
    assert_ne!(first, second);
    assert!(
        app.whoami(&first).await.is_none(),
        "the old session ID must be dead"
    );
    assert!(app.whoami(&second).await.is_some());
}

async fn changing_the_password_ends_other_sessions_but_keeps_this_one(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;
    let here = a.sign_up("ann").await;
    let elsewhere = session_cookie(b.sign_in("ann", PASSWORD).await.headers()).unwrap();

    let res = a
        .call(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
            Some(&here),
        )
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let here_now = session_cookie(res.headers()).expect("a fresh cookie for this session");
    assert_eq!(a.whoami(&here_now).await.unwrap()["username"], "ann");
    assert!(b.whoami(&elsewhere).await.is_none());
    assert!(a.whoami(&elsewhere).await.is_none());
}

async fn repeated_wrong_passwords_are_throttled_across_replicas(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;
    a.sign_up("ann").await;

    // Five attempts per account per window (the default), alternating between replicas.
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            app.sign_in("ann", "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = b.sign_in("ann", PASSWORD).await;

    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(session_cookie(blocked.headers()).is_none());
}

async fn a_successful_sign_in_resets_the_account_counter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    for _ in 0..4 {
        app.sign_in("ann", "wrong password!!").await;
    }
    assert_eq!(app.sign_in("ann", PASSWORD).await.status(), StatusCode::OK);
    for _ in 0..4 {
        app.sign_in("ann", "wrong password!!").await;
    }

    assert_eq!(app.sign_in("ann", PASSWORD).await.status(), StatusCode::OK);
}

async fn the_address_limit_stops_guessing_across_many_accounts(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--login-max-attempts-per-address", "3"]).await;
    app.sign_up("ann").await;

    for name in ["x1", "x2", "x3"] {
        assert_eq!(
            app.sign_in(name, "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    assert_eq!(
        app.sign_in("ann", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn the_session_cookie_is_http_only_and_same_site_lax(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "ann@example.com"),
                ("username", "ann"),
                ("display_name", "Ann"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;

    let line = set_cookie_line(res.headers()).unwrap();
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Lax"), "{line}");
    assert!(
        !line.contains("Secure"),
        "plain http must not mark cookies Secure: {line}"
    );
    assert!(line.contains("Max-Age="), "{line}");
}

async fn the_session_cookie_is_secure_behind_an_https_public_url(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--public-url", "https://berth.example.com"]).await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "ann@example.com"),
                ("username", "ann"),
                ("display_name", "Ann"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;

    assert!(set_cookie_line(res.headers()).unwrap().contains("Secure"));
}

async fn reading_pages_does_not_write_the_session_on_every_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;
    let expiry = || async {
        app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
            "select cast(expiry_date as text) from user_session"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    let before = expiry().await;

    let res = app.get("/api/current_user", Some(&cookie)).await;
    app.get("/account", Some(&cookie)).await;

    assert_eq!(expiry().await, before, "an unchanged session was rewritten");
    // The browser's cookie still slides: every response renews its Max-Age.
    assert!(set_cookie_line(res.headers()).unwrap().contains("Max-Age="));
}

async fn anonymous_visits_create_no_session_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    app.get("/", None).await;
    app.get("/login", None).await;
    app.sign_in("nobody", "wrong password!!").await;

    assert_eq!(app.count("user_session").await, 0);
}

on_both!(
    a_session_from_one_instance_works_on_another,
    signing_out_on_one_instance_ends_the_session_on_both,
    sign_in_issues_a_new_session_id_even_over_an_existing_session,
    changing_the_password_ends_other_sessions_but_keeps_this_one,
    repeated_wrong_passwords_are_throttled_across_replicas,
    a_successful_sign_in_resets_the_account_counter,
    the_address_limit_stops_guessing_across_many_accounts,
    the_session_cookie_is_http_only_and_same_site_lax,
    the_session_cookie_is_secure_behind_an_https_public_url,
    reading_pages_does_not_write_the_session_on_every_request,
    anonymous_visits_create_no_session_rows,
);
