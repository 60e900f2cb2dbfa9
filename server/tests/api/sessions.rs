//! Sessions: stored in the database, shared by replicas, ended by sign-out and password change,
//! throttled sign-in counted across replicas, cookies with the right attributes.

use app::api::auth::{ChangePassword, CurrentUser, SignOut};
use reqwest::{Response, StatusCode};
use sha2::Digest;

use crate::helpers::{
    Backend, Call, PASSWORD, TestApp, session_cookie, set_cookie_line, sign_in_args, sign_up_args,
};
use crate::on_both;

/// Calls server function `F` as if from `address` (the server trusts `X-Forwarded-For` in
/// these tests), as the holder of `cookie` if there is one; any status comes back.
async fn send_from<F: Call>(
    app: &TestApp,
    args: F,
    address: &str,
    cookie: Option<&str>,
) -> Response {
    let mut req = app
        .request(args)
        .header("accept", "application/json")
        .header("x-forwarded-for", address);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.send().await.unwrap()
}

async fn a_session_from_one_instance_works_on_another(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;

    let ann = a.sign_up("ann").await;

    assert_eq!(b.whoami(&ann.cookie).await.unwrap()["username"], "ann");
}

async fn signing_out_on_one_instance_ends_the_session_on_both(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;
    let ann = a.sign_up("ann").await;

    let res = ann.send(SignOut {}).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert!(ann.whoami().await.is_none());
    assert!(b.whoami(&ann.cookie).await.is_none());
    assert_eq!(a.count("user_session").await, 0);
}

async fn sign_in_issues_a_new_session_id_even_over_an_existing_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.sign_up("ann").await;

    let res = first.send(sign_in_args("ann", PASSWORD, None)).await;

    let second = session_cookie(res.headers()).unwrap();
    assert_ne!(first.cookie, second);
    assert!(
        first.whoami().await.is_none(),
        "the old session ID must be dead"
    );
    assert!(app.whoami(&second).await.is_some());
}

async fn changing_the_password_ends_other_sessions_but_keeps_this_one(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica().await;
    let here = a.sign_up("ann").await;
    let elsewhere = b.session_of("ann").await;

    let res = here
        .send(ChangePassword {
            current_password: PASSWORD.into(),
            new_password: "a brand new passphrase".into(),
        })
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let here_now = session_cookie(res.headers()).expect("a fresh cookie for this session");
    assert_eq!(a.whoami(&here_now).await.unwrap()["username"], "ann");
    assert!(elsewhere.whoami().await.is_none());
    assert!(a.whoami(&elsewhere.cookie).await.is_none());
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

/// Signs in as if from `address` (the server trusts `X-Forwarded-For` in these tests).
async fn sign_in_from(app: &TestApp, login: &str, password: &str, address: &str) -> StatusCode {
    send_from(app, sign_in_args(login, password, None), address, None)
        .await
        .status()
}

async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--trust-forwarded-for", "true"]).await;
    app.sign_up("ann").await;

    let mut stranger = Vec::new();
    for _ in 0..8 {
        stranger.push(sign_in_from(&app, "ann", "wrong password!!", "203.0.113.7").await);
    }

    // The guessing address is stopped for this account ...
    assert_eq!(stranger[4], StatusCode::UNAUTHORIZED);
    assert_eq!(stranger[5], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        sign_in_from(&app, "ann", PASSWORD, "203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ... and ann, from where she has not been failing, signs in.
    assert_eq!(
        sign_in_from(&app, "ann", PASSWORD, "198.51.100.2").await,
        StatusCode::OK
    );
}

async fn username_and_email_count_against_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    for login in ["ann", "ANN@example.com", "ann", "ann@example.com", "Ann"] {
        assert_eq!(
            app.sign_in(login, "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    // Five guesses in all, however the account was named: the sixth waits.
    assert_eq!(
        app.sign_in("ann@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_login_without_an_account_is_answered_like_one_with(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();

    for _ in 0..6 {
        known.push(app.sign_in("ann", "wrong password!!").await.status());
        unknown.push(app.sign_in("ghost", "wrong password!!").await.status());
    }

    assert_eq!(known, unknown);
    assert_eq!(unknown[5], StatusCode::TOO_MANY_REQUESTS);
}

async fn an_account_under_attack_from_everywhere_is_slowed_not_locked(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            "--trust-forwarded-for",
            "true",
            "--login-slow-after",
            "3",
            "--login-slow-secs",
            "1",
        ],
    )
    .await;
    app.sign_up("ann").await;
    for i in 1..=4 {
        sign_in_from(&app, "ann", "wrong password!!", &format!("203.0.113.{i}")).await;
    }

    // Twelve guesses at once, each from an address of its own: the account's passwords are
    // checked one per second, at most three turns ahead; the rest are turned away.
    let guesses = (10..22).map(|i| {
        let app = &app;
        async move { sign_in_from(app, "ann", "wrong password!!", &format!("203.0.113.{i}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();

    assert_eq!(checked + refused, 12, "{answers:?}");
    assert!((1..=5).contains(&checked), "{answers:?}");
    // ann, from her own address, gets in by waiting her turn (Retry-After says how long).
    let started = std::time::Instant::now();
    let mut signed_in = false;
    for _ in 0..10 {
        let res = send_from(
            &app,
            sign_in_args("ann", PASSWORD, None),
            "198.51.100.2",
            None,
        )
        .await;
        if res.status() == StatusCode::OK {
            signed_in = true;
            break;
        }
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait <= 5, "{wait}");
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert!(signed_in, "locked out");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

/// The `berth_device=…` pair a response sets, if any.
fn device_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("berth_device="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

async fn the_owners_own_browser_skips_the_queue_of_an_attacked_account(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            "--trust-forwarded-for",
            "true",
            "--login-slow-after",
            "3",
            "--login-slow-secs",
            "2",
        ],
    )
    .await;
    app.sign_up("ann").await;
    let signed_in = app.sign_in("ann", PASSWORD).await;
    let device = device_cookie(&signed_in).expect("a device cookie at sign-in");
    for i in 1..=4 {
        sign_in_from(&app, "ann", "wrong password!!", &format!("203.0.113.{i}")).await;
    }
    // The attacker fills every turn of the next six seconds.
    let guesses = (10..16).map(|i| {
        let app = &app;
        async move { sign_in_from(app, "ann", "wrong password!!", &format!("203.0.113.{i}")).await }
    });
    let sign_in_as_ann = |cookie: Option<String>| {
        let app = &app;
        async move {
            send_from(
                app,
                sign_in_args("ann", PASSWORD, None),
                "198.51.100.2",
                cookie.as_deref(),
            )
            .await
            .status()
        }
    };
    let (_, stranger, (known, took)) = tokio::join!(
        futures_util::future::join_all(guesses),
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            sign_in_as_ann(None).await
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            let started = std::time::Instant::now();
            (sign_in_as_ann(Some(device)).await, started.elapsed())
        },
    );

    assert_eq!(
        stranger,
        StatusCode::TOO_MANY_REQUESTS,
        "the queue was not full"
    );
    assert_eq!(known, StatusCode::OK);
    assert!(
        took < std::time::Duration::from_millis(1500),
        "the known device queued: {took:?}"
    );
}

async fn a_client_cannot_choose_its_address_behind_a_proxy(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--trust-forwarded-for", "true"]).await;
    app.sign_up("ann").await;

    // The proxy appends what it saw (203.0.113.7) after whatever the client claimed.
    for _ in 0..8 {
        sign_in_from(&app, "ann", "wrong password!!", "198.51.100.2, 203.0.113.7").await;
    }

    assert_eq!(
        sign_in_from(&app, "ann", PASSWORD, "198.51.100.2").await,
        StatusCode::OK
    );
}

async fn an_overlong_login_is_refused_before_it_is_counted(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.sign_in(&"x".repeat(10_000), "wrong password!!").await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("login_throttle").await, 0);
}

async fn sign_up_is_throttled_per_address(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            "--trust-forwarded-for",
            "true",
            "--signup-max-per-address",
            "2",
        ],
    )
    .await;
    let sign_up_from = |name: &'static str, address: &'static str| {
        let app = &app;
        async move {
            let email = format!("{name}@example.com");
            send_from(app, sign_up_args(name, &email), address, None).await
        }
    };

    assert_eq!(
        sign_up_from("a1", "203.0.113.9").await.status(),
        StatusCode::OK
    );
    // A taken email counts as much as a new account: probing addresses costs attempts.
    let probe = sign_up_from("a1", "203.0.113.9").await;
    assert_eq!(probe.status(), StatusCode::CONFLICT);
    assert!(!probe.text().await.unwrap().contains("exists"));
    let third = sign_up_from("a3", "203.0.113.9").await;

    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(
        sign_up_from("b1", "198.51.100.4").await.status(),
        StatusCode::OK
    );
    assert_eq!(app.count("app_user").await, 2);
}

async fn a_trusted_network_signs_up_past_the_per_address_limit_within_its_own(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            "--trust-forwarded-for",
            "true",
            "--signup-max-per-address",
            "1",
            "--signup-trusted-networks",
            "10.20.0.0/16,2001:db8::/32",
            "--signup-max-per-trusted-network",
            "3",
        ],
    )
    .await;
    let sign_up_from = |name: &'static str, address: &'static str| {
        let app = &app;
        async move {
            let email = format!("{name}@example.com");
            send_from(app, sign_up_args(name, &email), address, None)
                .await
                .status()
        }
    };

    // One office address (and another in the same network) share the network's three.
    assert_eq!(sign_up_from("o1", "10.20.0.1").await, StatusCode::OK);
    assert_eq!(sign_up_from("o2", "10.20.0.1").await, StatusCode::OK);
    assert_eq!(sign_up_from("o3", "10.20.7.7").await, StatusCode::OK);
    assert_eq!(
        sign_up_from("o4", "10.20.0.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Anywhere else the per-address limit holds.
    assert_eq!(sign_up_from("x1", "203.0.113.9").await, StatusCode::OK);
    assert_eq!(
        sign_up_from("x2", "203.0.113.9").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.count("app_user").await, 4);
}

async fn sessions_are_stored_under_a_hash_of_their_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let value = ann
        .cookie
        .strip_prefix("berth_session=")
        .unwrap()
        .to_owned();

    let stored: Vec<(String, String)> = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select id_hash, data from user_session"
    )
    .fetch_all(pool)
    .await)
    .unwrap();

    assert_eq!(stored.len(), 1);
    let (hash, data) = &stored[0];
    let expected: String = sha2::Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hash, &expected);
    assert!(!hash.contains(&value) && !data.contains(&value));
    // What the table holds does not sign anyone in.
    assert!(app.whoami(&format!("berth_session={hash}")).await.is_none());
}

async fn a_session_ends_after_its_lifetime_however_active(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--session-lifetime-hours", "24"]).await;
    let ann = app.sign_up("ann").await;
    assert!(ann.whoami().await.is_some());

    // Signed in 25 hours ago, active ever since.
    let then = time::OffsetDateTime::now_utc().unix_timestamp() - 25 * 3600;
    app::on_db!(&app.state.db, pool => sqlx::query("update user_session set created_at = $1")
        .bind(then)
        .execute(pool)
        .await
        .map(drop))
    .unwrap();

    assert!(ann.whoami().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_and_its_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let db = dir.join("berth.db");
    let app = TestApp::spawn_on(&format!("sqlite://{}", db.display()), &[]).await;
    app.sign_up("ann").await;

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "folder");
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        assert!(file.exists(), "{}", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_planted_beside_the_database_is_not_followed() {
    use std::os::unix::fs::PermissionsExt;

    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("victim");
    std::fs::write(&victim, "not Berth's").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = root.path().join("berth.db");
    std::os::unix::fs::symlink(&victim, root.path().join("berth.db-wal")).unwrap();
    let args = [
        "berth",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &format!("sqlite://{}", db.display()),
        "--secret-key",
        &"ab".repeat(32),
    ];
    let server::cli::Command::Serve(config) =
        <server::cli::Cli as clap::Parser>::try_parse_from(args)
            .unwrap()
            .command
    else {
        unreachable!()
    };

    let err = match server::startup::Application::build(config).await {
        Ok(_) => panic!("started beside a planted link"),
        Err(err) => err.to_string(),
    };

    assert!(err.contains("berth.db-wal"), "{err}");
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

async fn the_session_cookie_is_http_only_and_same_site_lax(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.send(sign_up_args("ann", "ann@example.com"), None).await;

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

    let res = app.send(sign_up_args("ann", "ann@example.com"), None).await;

    assert!(set_cookie_line(res.headers()).unwrap().contains("Secure"));
}

async fn reading_pages_does_not_write_the_session_on_every_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let expiry = || async {
        app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
            "select cast(expires_at as text) from user_session"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    let before = expiry().await;

    let res = ann.send(CurrentUser {}).await;
    ann.get("/account").await;

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
    a_stranger_cannot_lock_the_owner_out,
    username_and_email_count_against_one_account,
    a_login_without_an_account_is_answered_like_one_with,
    an_account_under_attack_from_everywhere_is_slowed_not_locked,
    a_client_cannot_choose_its_address_behind_a_proxy,
    the_owners_own_browser_skips_the_queue_of_an_attacked_account,
    an_overlong_login_is_refused_before_it_is_counted,
    sign_up_is_throttled_per_address,
    a_trusted_network_signs_up_past_the_per_address_limit_within_its_own,
    sessions_are_stored_under_a_hash_of_their_id,
    a_session_ends_after_its_lifetime_however_active,
);
