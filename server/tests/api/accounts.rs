//! Sign-up, sign-in and password change through the server-function endpoints.

use app::api::auth::{ChangePassword, SignIn, SignUp};
use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestApp, error_body, session_cookie, sign_up_args};
use crate::on_both;

async fn sign_up_creates_an_account_signs_it_in_and_makes_the_first_one_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let ann = app.sign_up("ann").await;

    let me = ann.whoami().await.expect("signed in after sign-up");
    assert_eq!(me["username"], "ann");
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["display_name"], "User ann");
    assert_eq!(me["is_instance_admin"], true);
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());
}

async fn the_second_account_is_not_instance_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let bob = app.sign_up("bob").await;

    assert_eq!(bob.whoami().await.unwrap()["is_instance_admin"], false);
}

async fn sign_up_with_bad_fields_names_each_field_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .send(
            SignUp {
                email: "not-an-email".into(),
                username: "Bad_Name".into(),
                display_name: "Ann\u{202E}gnp".into(),
                password: "short".into(),
            },
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

async fn a_blank_display_name_means_the_username(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut args = sign_up_args("ann", "ann@example.com");
    args.display_name = "  ".into();

    let res = app.send(args, None).await;

    assert_eq!(res.status(), StatusCode::OK);
    let name: (String,) = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select display_name from app_user where username = 'ann'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(name.0, "ann");
}

async fn a_reserved_username_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .send(
            SignUp {
                email: "a@example.com".into(),
                username: "admin".into(),
                display_name: "A".into(),
                password: PASSWORD.into(),
            },
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
        .send(
            SignUp {
                email: "a@example.com".into(),
                username: "a-long-username".into(),
                display_name: "A".into(),
                password: "a-long-username".into(),
            },
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
        .send(sign_up_args("ann", "other@example.com"), None)
        .await;
    let same_email = app
        .send(sign_up_args("other", "ANN@example.com"), None)
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
    let attempt =
        |email: &'static str| async move { app.send(sign_up_args("racer", email), None).await };

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
    let sign_in_then = |next: &str| SignIn {
        login: "ann".into(),
        password: PASSWORD.into(),
        next: Some(next.into()),
    };

    let local = app.send(sign_in_then("/account"), None).await;
    let remote = app.send(sign_in_then("//evil.test/"), None).await;

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
    let ann = app.sign_up("ann").await;
    let new = "a brand new passphrase";

    ann.run(ChangePassword {
        current_password: PASSWORD.into(),
        new_password: new.into(),
    })
    .await;

    assert_eq!(
        app.sign_in("ann", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.sign_in("ann", new).await.status(), StatusCode::OK);
}

async fn a_wrong_current_password_is_refused_on_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let res = ann
        .send(ChangePassword {
            current_password: "wrong wrong wrong".into(),
            new_password: "a brand new passphrase".into(),
        })
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(res).await["detail"]["current_password"].is_string());
    assert_eq!(app.sign_in("ann", PASSWORD).await.status(), StatusCode::OK);
}

async fn a_weak_new_password_is_refused_on_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let res = ann
        .send(ChangePassword {
            current_password: PASSWORD.into(),
            new_password: "ann@example.com".into(),
        })
        .await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(res).await["detail"]["new_password"].is_string());
}

async fn changing_the_password_needs_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .send(
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "a brand new passphrase".into(),
            },
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn closed_sign_up_still_takes_the_first_account_but_no_other(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--allow-signup", "false"]).await;

    app.sign_up("admin-ann").await;
    let second = app.send(sign_up_args("bob", "bob@example.com"), None).await;

    assert_eq!(second.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("app_user").await, 1);
}

on_both!(
    sign_up_creates_an_account_signs_it_in_and_makes_the_first_one_admin,
    the_second_account_is_not_instance_admin,
    sign_up_with_bad_fields_names_each_field_and_stores_nothing,
    a_blank_display_name_means_the_username,
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
