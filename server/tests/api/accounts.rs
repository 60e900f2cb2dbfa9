//! Sign-up, sign-in and password change through the server-function endpoints.

use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestApp, error_body, session_cookie};
use crate::on_both;

async fn sign_up_creates_an_account_signs_it_in_and_makes_the_first_one_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let cookie = app.sign_up("ann").await;

    let me = app.whoami(&cookie).await.expect("signed in after sign-up");
    assert_eq!(me["username"], "ann");
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["display_name"], "User ann");
    assert_eq!(me["is_instance_admin"], true);
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());
}

async fn the_second_account_is_not_instance_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let cookie = app.sign_up("bob").await;

    assert_eq!(
        app.whoami(&cookie).await.unwrap()["is_instance_admin"],
        false
    );
}

async fn sign_up_with_bad_fields_names_each_field_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "not-an-email"),
                ("username", "Bad_Name"),
                ("display_name", ""),
                ("password", "short"),
            ],
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = error_body(res).await;
    assert_eq!(body["kind"], "invalid");
    for field in ["email", "username", "display_name", "password"] {
        assert!(
            body["detail"][field].is_string(),
            "no message for {field}: {body}"
        );
    }
    assert_eq!(app.count("app_user").await, 0);
    assert_eq!(app.count("namespace").await, 0);
}

async fn a_reserved_username_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "a@example.com"),
                ("username", "admin"),
                ("display_name", "A"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = error_body(res).await;
    assert!(
        body["detail"]["username"]
            .as_str()
            .unwrap()
            .contains("reserved")
    );
}

async fn a_password_equal_to_the_username_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "a@example.com"),
                ("username", "a-long-username"),
                ("display_name", "A"),
                ("password", "a-long-username"),
            ],
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(res).await["detail"]["password"].is_string());
}

async fn a_taken_username_or_email_is_a_conflict_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let same_name = app
        .call(
            "sign_up",
            &[
                ("email", "other@example.com"),
                ("username", "ann"),
                ("display_name", "Other"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    let same_email = app
        .call(
            "sign_up",
            &[
                ("email", "ANN@example.com"),
                ("username", "other"),
                ("display_name", "Other"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;

    assert_eq!(same_name.status(), StatusCode::CONFLICT);
    assert!(error_body(same_name).await["detail"]["fields"]["username"].is_string());
    assert_eq!(same_email.status(), StatusCode::CONFLICT);
    assert!(error_body(same_email).await["detail"]["fields"]["email"].is_string());
    assert_eq!(app.count("app_user").await, 1);
}

async fn concurrent_sign_ups_of_one_name_create_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let app = &app;
    let attempt = |email: &'static str| async move {
        app.call(
            "sign_up",
            &[
                ("email", email),
                ("username", "racer"),
                ("display_name", "Racer"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await
    };

    let (a, b) = tokio::join!(attempt("a@example.com"), attempt("b@example.com"));

    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(app.count("app_user").await, 1);
}

async fn sign_in_works_with_username_or_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let by_name = app.sign_in("ann", PASSWORD).await;
    let by_email = app.sign_in("Ann@Example.com", PASSWORD).await;

    assert_eq!(by_name.status(), StatusCode::OK);
    assert_eq!(by_name.headers()["location"], "/");
    let cookie = session_cookie(by_name.headers()).unwrap();
    assert_eq!(app.whoami(&cookie).await.unwrap()["username"], "ann");
    assert_eq!(by_email.status(), StatusCode::OK);
    let cookie = session_cookie(by_email.headers()).unwrap();
    assert_eq!(app.whoami(&cookie).await.unwrap()["username"], "ann");
}

async fn sign_in_follows_only_local_next_paths(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let local = app
        .call(
            "sign_in",
            &[
                ("login", "ann"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
            None,
        )
        .await;
    let remote = app
        .call(
            "sign_in",
            &[
                ("login", "ann"),
                ("password", PASSWORD),
                ("next", "//evil.test/"),
            ],
            None,
        )
        .await;

    assert_eq!(local.headers()["location"], "/account");
    assert_eq!(remote.headers()["location"], "/");
}

async fn a_wrong_password_or_unknown_account_gets_the_same_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let wrong = app.sign_in("ann", "not the password at all").await;
    let unknown = app.sign_in("nobody", PASSWORD).await;

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(wrong.headers()).is_none());
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(wrong).await, error_body(unknown).await);
}

async fn empty_sign_in_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.sign_in("", "").await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = error_body(res).await;
    assert!(body["detail"]["login"].is_string() && body["detail"]["password"].is_string());
}

async fn the_password_is_stored_only_as_an_argon2id_hash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let stored: String =
        app::on_db!(&app.state.db, pool => sqlx::query_scalar("select password_hash from app_user")
        .fetch_one(pool)
        .await)
        .unwrap();

    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(PASSWORD));
}

async fn changing_the_password_refuses_the_old_one_and_accepts_the_new(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;
    let new = "a brand new passphrase";

    let res = app
        .call(
            "change_password",
            &[("current_password", PASSWORD), ("new_password", new)],
            Some(&cookie),
        )
        .await;

    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(
        app.sign_in("ann", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.sign_in("ann", new).await.status(), StatusCode::OK);
}

async fn a_wrong_current_password_is_refused_on_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    let res = app
        .call(
            "change_password",
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", "a brand new passphrase"),
            ],
            Some(&cookie),
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(res).await["detail"]["current_password"].is_string());
    assert_eq!(app.sign_in("ann", PASSWORD).await.status(), StatusCode::OK);
}

async fn a_weak_new_password_is_refused_on_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    let res = app
        .call(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "ann@example.com"),
            ],
            Some(&cookie),
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(res).await["detail"]["new_password"].is_string());
}

async fn changing_the_password_needs_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .call(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn closed_sign_up_still_takes_the_first_account_but_no_other(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--allow-signup", "false"]).await;

    app.sign_up("admin-ann").await;
    let second = app
        .call(
            "sign_up",
            &[
                ("email", "bob@example.com"),
                ("username", "bob"),
                ("display_name", "Bob"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;

    assert_eq!(second.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("app_user").await, 1);
}

on_both!(
    sign_up_creates_an_account_signs_it_in_and_makes_the_first_one_admin,
    the_second_account_is_not_instance_admin,
    sign_up_with_bad_fields_names_each_field_and_stores_nothing,
    a_reserved_username_is_refused,
    a_password_equal_to_the_username_is_refused,
    a_taken_username_or_email_is_a_conflict_naming_the_field,
    concurrent_sign_ups_of_one_name_create_one_account,
    sign_in_works_with_username_or_email,
    sign_in_follows_only_local_next_paths,
    a_wrong_password_or_unknown_account_gets_the_same_401,
    empty_sign_in_fields_are_named,
    the_password_is_stored_only_as_an_argon2id_hash,
    changing_the_password_refuses_the_old_one_and_accepts_the_new,
    a_wrong_current_password_is_refused_on_its_field,
    a_weak_new_password_is_refused_on_its_field,
    changing_the_password_needs_a_session,
    closed_sign_up_still_takes_the_first_account_but_no_other,
);
