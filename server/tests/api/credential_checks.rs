//! Credential checks against real registries: Debian's `docker-registry` with htpasswd (Basic)
//! and KCR behind Berth's own token service (Bearer). What each failure reads like, the
//! outbound refusals (loopback without the allowance, a name that resolves to 127.0.0.1, a
//! redirect and a token realm at the metadata address), the status a stored credential keeps
//! and its audit trail, and the background re-check across two replicas.

use app::api::{
    credential_checks::{CheckCredential, CheckTypedCredential},
    credentials::{AddCredential, ListCredentials, UpdateCredential},
};
use app::domain::{
    credential_check::{CheckReport, CheckStatus, Failure, StepKind, StepState},
    expiry::Expiry,
    secret::PasswordInput,
};
use app::server::rules::credential_checks::recheck_due;
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::Cli;
use crate::helpers::{
    Backend, TestApp, User,
    registry::{Registry, free_port, image, push},
};
use crate::kcr_tokens::{acme, app_with_kcr_and};
use crate::{on_both, on_sqlite};

const USER: &str = "puller";
const PASS: &str = "s3cret-pull-pass";
const ALLOW: &[&str] = &["--registry-allow-private"];

async fn add(user: &User<'_>, (owner, name): (&str, &str), server: &str, password: &str) -> String {
    user.fetch(AddCredential {
        owner: owner.into(),
        name: name.into(),
        registry: "other".into(),
        server: server.into(),
        username: USER.into(),
        email: String::new(),
        password: PasswordInput::from(password.to_owned()),
        expires_on: String::new(),
    })
    .await
}

async fn check(user: &User<'_>, (owner, name): (&str, &str), id: &str, image: &str) -> CheckReport {
    user.fetch(CheckCredential {
        owner: owner.into(),
        name: name.into(),
        id: id.into(),
        image: image.into(),
    })
    .await
}

/// Tries what the add form would hold for `server`, `username` and `password`.
async fn try_form(
    user: &User<'_>,
    (owner, name): (&str, &str),
    server: &str,
    (username, password): (&str, &str),
    image: &str,
) -> CheckReport {
    user.fetch(CheckTypedCredential {
        owner: owner.into(),
        name: name.into(),
        id: String::new(),
        registry: "other".into(),
        server: server.into(),
        username: username.into(),
        email: String::new(),
        password: PasswordInput::from(password.to_owned()),
        expires_on: String::new(),
        image: image.into(),
    })
    .await
}

fn states(report: &CheckReport) -> Vec<(StepKind, StepState)> {
    report.steps.iter().map(|s| (s.kind, s.state)).collect()
}

fn detail(report: &CheckReport, kind: StepKind) -> &str {
    &report
        .steps
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} step in {report:#?}"))
        .detail
}

async fn status(user: &User<'_>, (owner, name): (&str, &str)) -> Vec<CheckStatus> {
    user.fetch(ListCredentials {
        owner: owner.into(),
        name: name.into(),
        after: None,
    })
    .await
    .items
    .into_iter()
    .map(|c| c.status)
    .collect()
}

/// The ID of the one credential of `project`.
async fn add_id_of(user: &User<'_>, (owner, name): (&str, &str)) -> String {
    user.fetch(ListCredentials {
        owner: owner.into(),
        name: name.into(),
        after: None,
    })
    .await
    .items[0]
        .id
        .clone()
}

/// The `credential.status_changed` entries: (actor set, details).
async fn status_changes(app: &TestApp) -> Vec<(bool, serde_json::Value)> {
    let rows: Vec<(Option<uuid::Uuid>, String)> = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select actor_id, details from audit_event where action = 'credential.status_changed' order by id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    rows.into_iter()
        .map(|(actor, details)| (actor.is_some(), serde_json::from_str(&details).unwrap()))
        .collect()
}

use StepKind::{Auth, Pull, Reach, Tls};
use StepState::{Failed, Passed, Skipped};

async fn a_basic_auth_registry_is_checked_step_by_step(backend: Backend) {
    let registry = Registry::start_basic(USER, PASS).await;
    let (_img, layout, digest) = image("1", b"checked\n");
    let pushed = push(&layout, "1", &registry.host, "team/app", (USER, PASS)).await;
    assert!(pushed.ok, "{pushed:?}\n{}", registry.log());

    let app = TestApp::spawn_with(backend, ALLOW).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let project = ("ann", "shop");
    let server = format!("http://{}", registry.host);
    let id = add(&ann, project, &server, PASS).await;
    assert_eq!(status(&ann, project).await, [CheckStatus::Untested]);

    // The right password and an image that is there: every step passes.
    let ok = check(&ann, project, &id, "team/app:1").await;
    assert!(ok.ok(), "{ok:#?}");
    assert_eq!(
        states(&ok),
        [
            (Reach, Passed),
            (Tls, Skipped),
            (Auth, Passed),
            (Pull, Passed)
        ]
    );
    assert_eq!(detail(&ok, Auth), "accepted (Basic)");
    assert_eq!(
        detail(&ok, Pull),
        format!("allowed to pull team/app:1 (manifest {digest})")
    );
    assert!(
        ok.steps
            .iter()
            .all(|s| s.state != Passed || s.kind == Tls || s.millis.is_some())
    );
    assert_eq!(ok.target, format!("{server}/v2/"));
    assert_eq!(
        detail(&ok, Reach),
        format!("HTTP 401 from {}", registry.host),
        "a literal address is named"
    );
    // What an internal name resolves to is not told, even where it may be called.
    let port = registry.host.rsplit(':').next().unwrap();
    let by_name = try_form(
        &ann,
        project,
        &format!("http://localhost:{port}"),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(states(&by_name)[0], (Reach, Passed), "{by_name:#?}");
    assert_eq!(detail(&by_name, Reach), "HTTP 401");
    let listed = status(&ann, project).await;
    assert!(
        matches!(&listed[..], [CheckStatus::Ok { at }] if !at.is_empty()),
        "{listed:?}"
    );

    // Checked again without an image: the last check's image is tried; no status change.
    let again = check(&ann, project, &id, "").await;
    assert_eq!(again.image.as_deref(), Some("team/app:1"));
    assert!(again.ok());
    assert_eq!(status_changes(&app).await.len(), 1);

    // An image that is not there.
    let missing = check(&ann, project, &id, "team/nope:1").await;
    assert_eq!(missing.failure, Some(Failure::NotFound), "{missing:#?}");
    assert_eq!(states(&missing)[3], (Pull, Failed));
    assert!(
        detail(&missing, Pull).contains("NAME_UNKNOWN"),
        "the registry's own words: {missing:#?}"
    );

    // A changed password makes the credential untested; a wrong one is refused.
    ann.run(UpdateCredential {
        owner: "ann".into(),
        name: "shop".into(),
        id: id.clone(),
        username: USER.into(),
        email: String::new(),
        password: PasswordInput::from("wrong-password".to_owned()),
        expires_on: String::new(),
    })
    .await;
    assert_eq!(status(&ann, project).await, [CheckStatus::Untested]);
    let refused = check(&ann, project, &id, "").await;
    assert_eq!(refused.failure, Some(Failure::AuthRefused), "{refused:#?}");
    assert_eq!(
        states(&refused),
        [(Reach, Passed), (Tls, Skipped), (Auth, Failed)]
    );
    assert!(
        detail(&refused, Auth).contains("UNAUTHORIZED"),
        "{refused:#?}"
    );
    let listed = status(&ann, project).await;
    let [CheckStatus::Failing { reason, .. }] = &listed[..] else {
        panic!("{listed:?}")
    };
    assert!(
        reason.starts_with("auth refused: the registry refused the username and password"),
        "{reason}"
    );
    // untested → ok, ok → failing (not found), failing → failing after the change (untested),
    // each by a person.
    let changes = status_changes(&app).await;
    let moves: Vec<(&str, &str)> = changes
        .iter()
        .map(|(_, d)| (d["before"].as_str().unwrap(), d["after"].as_str().unwrap()))
        .collect();
    assert_eq!(
        moves,
        [
            ("untested", "ok"),
            ("ok", "failing"),
            ("untested", "failing")
        ]
    );
    assert!(changes.iter().all(|(person, _)| *person));
    assert!(
        !serde_json::to_string(&changes.iter().map(|c| &c.1).collect::<Vec<_>>())
            .unwrap()
            .contains("wrong-password")
    );

    // TLS to the plain-HTTP port is explained; a closed port cannot be reached. Trying a form
    // stores nothing.
    let rows = app.count("registry_credential").await;
    let tls = try_form(
        &ann,
        project,
        &format!("https://{}", registry.host),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(tls.failure, Some(Failure::Tls), "{tls:#?}");
    assert_eq!(states(&tls), [(Reach, Passed), (Tls, Failed)]);
    assert_eq!(
        detail(&tls, Tls),
        format!(
            "{0} answered plain HTTP, not TLS. If this registry really has no TLS, give its server as http://{0}.",
            registry.host
        )
    );
    let closed = format!("127.0.0.1:{}", free_port());
    let unreachable = try_form(&ann, project, &format!("http://{closed}"), (USER, PASS), "").await;
    assert_eq!(
        unreachable.failure,
        Some(Failure::CouldNotConnect),
        "{unreachable:#?}"
    );
    assert_eq!(states(&unreachable), [(Reach, Failed)]);
    assert!(detail(&unreachable, Reach).starts_with(&format!("could not connect to {closed}: ")));
    let typed_ok = try_form(&ann, project, &server, (USER, PASS), "team/app").await;
    assert!(typed_ok.ok(), "{typed_ok:#?}");
    assert_eq!(
        detail(&typed_ok, Pull),
        "allowed to list the tags of team/app"
    );
    assert_eq!(app.count("registry_credential").await, rows);
    assert_eq!(status_changes(&app).await.len(), 3);
}

async fn kcr_is_checked_through_its_token_service(backend: Backend) {
    let host = format!("127.0.0.1:{}", free_port());
    let (app, _config) = app_with_kcr_and(backend, &host, ALLOW).await;
    let registry = Registry::start(&app, &host).await;
    let [ann, _bob, dave, _olga, _carl] = acme(&app).await;
    let token = dave.personal_token("pull", &["registry:push"], "").await;
    let (_img, layout, _digest) = image("1", b"kcr\n");
    let pushed = push(&layout, "1", &host, "acme/shop/cart", ("dave", &token)).await;
    assert!(pushed.ok, "{pushed:?}\n{}", registry.log());
    let project = ("acme", "shop");
    let server = format!("http://{host}");
    let realm = app.base.trim_start_matches("http://").to_owned();

    let ok = try_form(&ann, project, &server, ("dave", &token), "acme/shop/cart:1").await;
    assert!(ok.ok(), "{ok:#?}");
    assert_eq!(
        detail(&ok, Auth),
        format!("accepted: a token from {realm} (Bearer)")
    );
    assert!(detail(&ok, Pull).starts_with("allowed to pull acme/shop/cart:1 (manifest sha256:"));

    // Berth grants no pull outside dave's projects: the registry says no.
    let denied = try_form(
        &ann,
        project,
        &server,
        ("dave", &token),
        "other/place/app:1",
    )
    .await;
    assert_eq!(denied.failure, Some(Failure::Denied), "{denied:#?}");
    assert!(
        detail(&denied, Pull).contains("UNAUTHORIZED"),
        "{denied:#?}"
    );
    // Inside them, a repository that is not there.
    let missing = try_form(&ann, project, &server, ("dave", &token), "acme/shop/nope").await;
    assert_eq!(missing.failure, Some(Failure::NotFound), "{missing:#?}");
    // A token Berth does not know: its token service refuses it, in its own words.
    let fake = format!("berth_pat_{}", "a".repeat(36));
    let refused = try_form(&ann, project, &server, ("dave", &fake), "").await;
    assert_eq!(refused.failure, Some(Failure::AuthRefused), "{refused:#?}");
    assert!(
        detail(&refused, Auth).starts_with(&format!(
            "the token service {realm} refused the username and password"
        )),
        "{refused:#?}"
    );
}

/// A one-line HTTP server on loopback answering every request with `response`; counts them.
async fn answering(
    response: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (addr.to_string(), seen)
}

/// A check the add form asks for, as a raw answer (the limits answer 429, not a report).
fn typed(owner: &str, name: &str) -> CheckTypedCredential {
    CheckTypedCredential {
        owner: owner.into(),
        name: name.into(),
        id: String::new(),
        registry: "other".into(),
        server: "http://127.0.0.1:9".into(),
        username: USER.into(),
        email: String::new(),
        password: PasswordInput::from(PASS.to_owned()),
        expires_on: String::new(),
        image: String::new(),
    }
}

/// Checks make outbound calls: 30 per project and 60 per person in ten minutes, whichever
/// comes first; a limit reached by one person leaves another's checks alone.
async fn checks_are_limited_per_project_and_per_person(backend: Backend) {
    use app::server::rules::credential_checks::{CHECKS_PER_PERSON, CHECKS_PER_WINDOW};
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    for project in ["shop", "web", "api"] {
        ann.create_project("ann", project).await;
    }
    bob.create_project("bob", "shop").await;
    let refused = |res: reqwest::Response| async move {
        assert_eq!(res.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=600).contains(&wait), "Retry-After {wait}");
    };

    for n in 0..CHECKS_PER_WINDOW {
        let res = ann.send(typed("ann", "shop")).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "check {n} of shop");
    }
    refused(ann.send(typed("ann", "shop")).await).await;
    // The project's limit is the project's: ann's next project still checks, up to her own.
    for n in CHECKS_PER_WINDOW..CHECKS_PER_PERSON {
        let res = ann.send(typed("ann", "web")).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "check {n}, in web");
    }
    refused(ann.send(typed("ann", "api")).await).await;
    // Another person is not held by ann's count.
    let report: CheckReport = bob.fetch(typed("bob", "shop")).await;
    assert_eq!(report.failure, Some(Failure::RefusedAddress), "{report:#?}");
}

async fn internal_addresses_are_refused_unless_allowed(backend: Backend) {
    let registry = Registry::start_basic(USER, PASS).await;
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let project = ("ann", "shop");

    let literal = try_form(
        &ann,
        project,
        &format!("http://{}", registry.host),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(
        literal.failure,
        Some(Failure::RefusedAddress),
        "{literal:#?}"
    );
    assert_eq!(states(&literal), [(Reach, Failed)]);
    assert_eq!(
        detail(&literal, Reach),
        "127.0.0.1 is a loopback address; Berth calls no address inside its own network unless the operator allows it (--registry-allow-private, or registry_allow in the config file)."
    );
    let port = registry.host.rsplit_once(':').unwrap().1;
    let named = try_form(
        &ann,
        project,
        &format!("http://localhost:{port}"),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(named.failure, Some(Failure::RefusedAddress), "{named:#?}");
    // The name's address is not told (it stays in the server's log).
    assert_eq!(
        detail(&named, Reach),
        "localhost resolves to a loopback address; Berth calls no address inside its own network unless the operator allows it (--registry-allow-private, or registry_allow in the config file)."
    );

    // Allowed to call loopback, Berth still follows no redirect to the metadata address, nor
    // fetches a token there.
    let allowed = TestApp::spawn_with(backend, ALLOW).await;
    let ann = allowed.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let (redirecting, seen) = answering(
        "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    let redirected = try_form(
        &ann,
        project,
        &format!("http://{redirecting}"),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(
        redirected.failure,
        Some(Failure::RefusedAddress),
        "{redirected:#?}"
    );
    assert!(detail(&redirected, Reach).starts_with("169.254.169.254 is a link-local address"));
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    let (realm_there, _) = answering(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://169.254.169.254/token\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    let realm = try_form(
        &ann,
        project,
        &format!("http://{realm_there}"),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(realm.failure, Some(Failure::RefusedAddress), "{realm:#?}");
    assert_eq!(
        states(&realm),
        [(Reach, Passed), (Tls, Skipped), (Auth, Failed)]
    );
    // The allowance is for the registry's own host: a token realm elsewhere inside the
    // network (here a name for loopback) is held to the strict policy.
    let realm_port = free_port();
    let realm_header: &'static str = Box::leak(
        format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://localhost:{realm_port}/token\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let (realm_elsewhere, _) = answering(realm_header).await;
    let inside = try_form(
        &ann,
        project,
        &format!("http://{realm_elsewhere}"),
        (USER, PASS),
        "",
    )
    .await;
    assert_eq!(inside.failure, Some(Failure::RefusedAddress), "{inside:#?}");
    assert!(
        detail(&inside, Auth).starts_with("localhost resolves to "),
        "{inside:#?}"
    );

    // A registry that echoes the request back: the report never repeats the password.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).replace(['\r', '\n', '"'], " ");
            let body = format!(
                r#"{{"errors":[{{"code":"UNAUTHORIZED","message":"you sent {request}"}}]}}"#
            );
            let response = format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    let echoed = try_form(&ann, project, &format!("http://{echo}"), (USER, PASS), "").await;
    assert_eq!(echoed.failure, Some(Failure::AuthRefused), "{echoed:#?}");
    let text = serde_json::to_string(&echoed).unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    assert!(text.contains("Basic [redacted]"), "{text}");
    assert!(!text.contains(PASS) && !text.contains(&basic), "{text}");

    // And the loopback registry itself now answers.
    let fine = try_form(
        &ann,
        project,
        &format!("http://{}", registry.host),
        (USER, PASS),
        "",
    )
    .await;
    assert!(fine.ok(), "{fine:#?}");
}

async fn the_background_recheck_runs_once_across_two_replicas(backend: Backend) {
    let registry = Registry::start_basic(USER, PASS).await;
    let flags = ["--registry-allow-private", "--credential-check-hours", "1"];
    let first = TestApp::spawn_with(backend, &flags).await;
    let second = TestApp::spawn_on(&first.db_url, &flags).await;
    let ann = first.sign_up("ann").await;
    let server = format!("http://{}", registry.host);
    for (name, password) in [
        ("one", PASS),
        ("two", PASS),
        ("three", "wrong"),
        ("four", PASS),
    ] {
        ann.create_project("ann", name).await;
        add(&ann, ("ann", name), &server, password).await;
    }
    // One sealed under a key this server does not hold (a rotation under way elsewhere).
    let four: String = add_id_of(&ann, ("ann", "four")).await;
    app::on_db!(&first.state.db, pool => sqlx::query("update registry_credential set key_id = 'retired' where id = $1")
        .bind(uuid::Uuid::parse_str(&four).unwrap())
        .execute(pool)
        .await
        .map(drop))
    .unwrap();

    let (a, b) = tokio::join!(
        recheck_due(&first.state, "first"),
        recheck_due(&second.state, "second")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 4, "each credential checked once: {a} + {b}");
    assert!(a == 0 || b == 0, "one replica did the round: {a} + {b}");
    let changes = status_changes(&first).await;
    assert_eq!(changes.len(), 4);
    assert!(
        changes
            .iter()
            .all(|(person, d)| !person && d["by"] == "background re-check")
    );
    let mut after: Vec<&str> = changes
        .iter()
        .map(|(_, d)| d["after"].as_str().unwrap())
        .collect();
    after.sort_unstable();
    assert_eq!(after, ["failing", "failing", "ok", "ok"]);
    // The audit page names who did it: Berth, not a deleted account from 0.0.0.0.
    let page = ann
        .get("/projects/ann/three/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Berth, scheduled check"), "{page}");
    assert!(!page.contains("(deleted account)") && !page.contains("0.0.0.0"));
    // Nothing is due again for an hour.
    assert_eq!(recheck_due(&second.state, "second").await.unwrap(), 0);
    assert_eq!(recheck_due(&first.state, "first").await.unwrap(), 0);
    assert!(matches!(
        &status(&ann, ("ann", "three")).await[..],
        [CheckStatus::Failing { reason, .. }] if reason.starts_with("auth refused")
    ));
    assert!(matches!(
        &status(&ann, ("ann", "four")).await[..],
        [CheckStatus::Failing { reason, .. }] if reason.contains("sealed under a key this server does not hold")
    ));
}

async fn expiry_dates_warn_from_fourteen_days_ahead(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let today = time::OffsetDateTime::now_utc().date();
    let day = |n: i64| {
        let d = today + time::Duration::days(n);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    for (host, days) in [
        ("in15.example", 15),
        ("in14.example", 14),
        ("today.example", 0),
        ("ago1.example", -1),
    ] {
        ann.run(AddCredential {
            owner: "ann".into(),
            name: "shop".into(),
            registry: "other".into(),
            server: host.into(),
            username: "u".into(),
            email: String::new(),
            password: PasswordInput::from("p".to_owned()),
            expires_on: day(days),
        })
        .await;
    }
    let list = ann
        .fetch(ListCredentials {
            owner: "ann".into(),
            name: "shop".into(),
            after: None,
        })
        .await;
    let seen: Vec<(String, Option<Expiry>)> = list
        .items
        .iter()
        .map(|c| (c.server.clone(), c.expiry))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "ago1.example".to_owned(),
                Some(Expiry::Expired { days_ago: 1 })
            ),
            (
                "in14.example".to_owned(),
                Some(Expiry::Soon { days_left: 14 })
            ),
            (
                "in15.example".to_owned(),
                Some(Expiry::Later { days_left: 15 })
            ),
            (
                "today.example".to_owned(),
                Some(Expiry::Soon { days_left: 0 })
            ),
        ]
    );
    assert_eq!(list.items[2].expires_on.as_deref(), Some(day(15).as_str()));

    // Both pages warn about the three within fourteen days, not the fifteenth.
    let warned = |html: &str, id: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        let items = scraper::Selector::parse(&format!("#{id} li")).unwrap();
        doc.select(&items)
            .map(|li| li.text().collect::<String>())
            .collect()
    };
    let credentials = warned(
        &ann.page("/projects/ann/shop/credentials").await,
        "expiry-warnings",
    );
    assert_eq!(
        credentials,
        [
            format!(
                "Credentials for ago1.example: expired yesterday ({}).",
                day(-1)
            ),
            format!(
                "Credentials for in14.example: expires in 14 days ({}).",
                day(14)
            ),
            format!("Credentials for today.example: expires today ({}).", day(0)),
        ]
    );
    let overview = warned(&ann.page("/projects/ann/shop").await, "credential-alerts");
    assert_eq!(
        overview,
        [
            format!("ago1.example: expired yesterday ({})", day(-1)),
            format!("in14.example: expires in 14 days ({})", day(14)),
            format!("today.example: expires today ({})", day(0)),
        ]
    );

    // An update sends the date back to keep it; blank, it goes.
    let id = list.items[2].id.clone();
    let update = |expires_on: String| UpdateCredential {
        owner: "ann".into(),
        name: "shop".into(),
        id: id.clone(),
        username: "u2".into(),
        email: String::new(),
        password: PasswordInput::default(),
        expires_on,
    };
    let date_of = |items: Vec<app::domain::credential::CredentialView>| {
        items.into_iter().find(|c| c.id == id).unwrap().expires_on
    };
    let list_call = || ListCredentials {
        owner: "ann".into(),
        name: "shop".into(),
        after: None,
    };
    ann.run(update(day(15))).await;
    assert_eq!(date_of(ann.fetch(list_call()).await.items), Some(day(15)));
    ann.run(update(String::new())).await;
    assert_eq!(date_of(ann.fetch(list_call()).await.items), None);

    // A date that is not one is refused and stores nothing.
    let res = ann
        .send(AddCredential {
            owner: "ann".into(),
            name: "shop".into(),
            registry: "other".into(),
            server: "bad.example".into(),
            username: "u".into(),
            email: String::new(),
            password: PasswordInput::from("p".to_owned()),
            expires_on: "2027-02-30".into(),
        })
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("2027-02-30 is not a day of the calendar.")
    );
    assert_eq!(app.count("registry_credential").await, 4);
}

async fn the_cli_checks_and_imports_credentials(backend: Backend) {
    let registry = Registry::start_basic(USER, PASS).await;
    let (_img, layout, _digest) = image("1", b"cli\n");
    assert!(
        push(&layout, "1", &registry.host, "team/app", (USER, PASS))
            .await
            .ok
    );
    let app = TestApp::spawn_with(backend, ALLOW).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let cli = Cli::new(&app);
    cli.login(
        &ann.personal_token("cli", &["credentials:write", "projects:read"], "")
            .await,
    )
    .await;
    let p = ["--project", "ann/shop"];
    let server = format!("http://{}", registry.host);

    // Imported from a config.json: the preview's table, then the import.
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    let config = serde_json::json!({
        "auths": {
            &server: {"auth": auth},
            "quay.io": {"identitytoken": "t"},
        }
    })
    .to_string();
    let file = cli.home.path().join("config.json");
    std::fs::write(&file, &config).unwrap();
    let file = file.to_str().unwrap();
    let mut args = vec!["docker", "import-credentials", "--file", file];
    args.extend(p);
    let refused = cli.run(&args, None).await;
    assert_eq!(refused.code, 2, "no terminal, no --yes: {refused:?}");
    assert_eq!(app.count("registry_credential").await, 0);
    args.push("--yes");
    let imported = cli.run(&args, None).await;
    assert_eq!(imported.code, 0, "{imported:?}");
    let width = format!("auths[\"{server}\"]").len().max("ENTRY".len());
    let server_width = server.len();
    assert_eq!(
        imported.stdout,
        format!(
            "{:<width$}   {:<server_width$}   USERNAME   ACTION\n\
             {:<width$}   {server}   {USER}     add\n\
             {:<width$}   {:<server_width$}   {:<8}   not importable: signed in with an identity token (OAuth), which is not a password a pull can use; add a token by hand\n",
            "ENTRY",
            "SERVER",
            format!("auths[\"{server}\"]"),
            "auths[\"quay.io\"]",
            "quay.io",
            "",
        )
    );
    assert!(
        imported
            .stderr
            .contains("Imported into ann/shop: 1 added, 0 updated, 0 skipped.")
    );

    // Listed as JSON with its status; checked step by step.
    let mut args = vec!["docker", "list-credentials", "-o", "json"];
    args.extend(p);
    let listed: serde_json::Value =
        serde_json::from_str(&cli.run(&args, None).await.stdout).unwrap();
    assert_eq!(listed[0]["status"]["state"], "untested");
    assert_eq!(listed[0]["expires_on"], serde_json::Value::Null);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let mut args = vec!["docker", "check-credentials", &id, "--image", "team/app:1"];
    args.extend(p);
    let checked = cli.run(&args, None).await;
    assert_eq!(checked.code, 0, "{checked:?}");
    let lines: Vec<String> = checked
        .stdout
        .lines()
        .map(|l| l.split(" (").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        lines,
        [
            format!("ok   Reach the registry: HTTP 401 from {}", registry.host),
            "skip TLS: plain HTTP: the server is given as http://, so nothing is encrypted"
                .to_owned(),
            "ok   Sign in: accepted".to_owned(),
            "ok   Pull the image: allowed to pull team/app:1".to_owned(),
        ]
    );
    let mut args = vec!["docker", "check-credentials", &id, "--image", "team/none:1"];
    args.extend(p);
    let failing = cli.run(&args, None).await;
    assert_eq!(failing.code, 8, "{failing:?}");
    assert!(
        failing
            .stderr
            .contains("not found: team/none:1 is not there"),
        "{failing:?}"
    );

    // An expiry date from the command line, in the JSON list.
    let mut args = vec![
        "docker",
        "update-credentials",
        &id,
        "--expires-on",
        "2031-01-31",
    ];
    args.extend(p);
    let updated = cli.run(&args, None).await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let mut args = vec!["docker", "list-credentials", "-o", "json"];
    args.extend(p);
    let listed: serde_json::Value =
        serde_json::from_str(&cli.run(&args, None).await.stdout).unwrap();
    assert_eq!(listed[0]["expires_on"], "2031-01-31");
    assert_eq!(listed[0]["expiry"]["state"], "later");
    assert_eq!(listed[0]["username"], USER, "the rest kept");
    let mut args = vec![
        "docker",
        "update-credentials",
        &id,
        "--expires-on",
        "31.01.2031",
    ];
    args.extend(p);
    let bad = cli.run(&args, None).await;
    assert_eq!(bad.code, 6, "{bad:?}");
    assert!(bad.stderr.contains("--expires-on: "), "{bad:?}");
}

/// A CA of a company's own, and a certificate for `127.0.0.1` and `localhost` it signed:
/// (CA PEM, certificate PEM, key PEM).
fn company_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Example Corp Internal CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

async fn a_registry_behind_a_company_ca_is_trusted_with_the_ca_file(backend: Backend) {
    let (ca, cert, key) = company_ca();
    let registry = Registry::start_basic_tls(USER, PASS, &cert, &key).await;
    let server = format!("https://{}", registry.host);

    // Without the CA the certificate is not trusted, and the report says it is TLS.
    let plain = TestApp::spawn_with(backend, ALLOW).await;
    let ann = plain.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let untrusted = try_form(&ann, ("ann", "shop"), &server, (USER, PASS), "").await;
    assert_eq!(untrusted.failure, Some(Failure::Tls), "{untrusted:#?}");
    assert_eq!(
        states(&untrusted)[..2],
        [(Reach, Passed), (Tls, Failed)],
        "{untrusted:#?}"
    );
    assert!(
        detail(&untrusted, Tls).contains("UnknownIssuer"),
        "{untrusted:#?}"
    );

    // With --registry-ca-file every step passes.
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let trusting = TestApp::spawn_with(
        backend,
        &[
            "--registry-allow-private",
            "--registry-ca-file",
            ca_file.to_str().unwrap(),
        ],
    )
    .await;
    let ann = trusting.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let ok = try_form(&ann, ("ann", "shop"), &server, (USER, PASS), "").await;
    assert!(ok.ok(), "{ok:#?}\n{}", registry.log());
    assert_eq!(
        states(&ok),
        [(Reach, Passed), (Tls, Passed), (Auth, Passed)],
        "{ok:#?}"
    );
    assert_eq!(
        detail(&ok, Tls),
        format!("certificate valid for {}", registry.host)
    );
}

on_sqlite!(a_registry_behind_a_company_ca_is_trusted_with_the_ca_file);

on_both!(
    checks_are_limited_per_project_and_per_person,
    the_cli_checks_and_imports_credentials,
    expiry_dates_warn_from_fourteen_days_ahead,
    a_basic_auth_registry_is_checked_step_by_step,
    kcr_is_checked_through_its_token_service,
    internal_addresses_are_refused_unless_allowed,
    the_background_recheck_runs_once_across_two_replicas,
);
