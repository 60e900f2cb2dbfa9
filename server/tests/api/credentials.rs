//! Registry credentials through the real server functions: add, list, update, delete; one per
//! registry host; write-only passwords sealed at rest (checked by opening them with the
//! server's key); tampering; and the leak test (a marker password appears nowhere it could be
//! read back: responses, pages, the database's bytes).

use app::api::credentials::{
    AddCredential, DeleteCredential, ListCredentials, ResolveImage, UpdateCredential,
};
use app::domain::credential::{CredentialPage, Resolution};
use app::server::{
    crypto::secrets::{self, OpenError},
    db::credentials,
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User, decode, error_body};
use crate::on_both;

/// The first page of `ann/web`'s credentials.
async fn list(ann: &User<'_>) -> CredentialPage {
    ann.fetch(list_of("ann", "web", None)).await
}

fn list_of(owner: &str, name: &str, after: Option<&str>) -> ListCredentials {
    ListCredentials {
        owner: owner.into(),
        name: name.into(),
        after: after.map(str::to_owned),
    }
}

/// ann with personal project `ann/web`.
async fn setup(app: &TestApp) -> User<'_> {
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    ann
}

/// A credential for `ann/web` of preset `registry` with `password`, the other fields blank
/// (`AddCredential { server: .., ..add("other", "pw") }` fills in more).
fn add(registry: &str, password: &str) -> AddCredential {
    AddCredential {
        owner: "ann".into(),
        name: "web".into(),
        registry: registry.into(),
        server: String::new(),
        username: String::new(),
        email: String::new(),
        password: password.into(),
        expires_on: String::new(),
    }
}

/// A change of credential `id` of `ann/web`.
fn update(id: &str, username: &str, password: &str) -> UpdateCredential {
    UpdateCredential {
        owner: "ann".into(),
        name: "web".into(),
        id: id.into(),
        username: username.into(),
        email: String::new(),
        password: password.into(),
        expires_on: String::new(),
    }
}

/// The stored password of credential `id`, opened with the server's key.
async fn stored_password(app: &TestApp, id: &str) -> String {
    let id = Uuid::parse_str(id).unwrap();
    let (project, sealed) = credentials::sealed(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    secrets::open(&[&app.state.key], &sealed, id, project)
        .unwrap()
        .expose_secret()
        .to_owned()
}

async fn add_list_update_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;

    ann.run(AddCredential {
        username: "ann".into(),
        email: "ann@example.com".into(),
        ..add("docker_hub", "hub-token-1")
    })
    .await;
    ann.run(AddCredential {
        username: "ann".into(),
        ..add("github", "ghp_x")
    })
    .await;

    let page = list(&ann).await;
    assert_eq!(page.items.len(), 2);
    // Sorted by server; no password, nothing derived from one.
    assert_eq!(page.items[0].server, "ghcr.io");
    assert_eq!(page.items[1].server, "https://index.docker.io/v1/");
    assert_eq!(page.items[1].registry_host, "docker.io");
    assert_eq!(page.items[1].added_by.as_deref(), Some("ann"));
    assert!(page.can_manage);
    let text = ann.json(list_of("ann", "web", None)).await.to_string();
    assert!(
        !text.contains("hub-token-1") && !text.contains("password"),
        "{text}"
    );
    let hub = page.items[1].id.clone();
    assert_eq!(stored_password(&app, &hub).await, "hub-token-1");

    // A blank password keeps the stored one.
    ann.run(update(&hub, "ann2", "")).await;
    assert_eq!(stored_password(&app, &hub).await, "hub-token-1");
    assert_eq!(list(&ann).await.items[1].username, "ann2");
    // A new one replaces it.
    ann.run(update(&hub, "ann2", "hub-token-2")).await;
    assert_eq!(stored_password(&app, &hub).await, "hub-token-2");

    ann.run(DeleteCredential {
        owner: "ann".into(),
        name: "web".into(),
        id: hub,
    })
    .await;
    assert_eq!(list(&ann).await.items.len(), 1);
    assert_eq!(app.count("registry_credential").await, 1);
    // Audited, never with the password.
    let details: Vec<String> = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select action || ' ' || details from audit_event where action like 'credential.%' order by id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(details.len(), 5, "{details:?}");
    assert!(
        details[3].contains("\"changed\":[\"password\"]"),
        "{}",
        details[3]
    );
    assert!(details.iter().all(|d| !d.contains("hub-token")));
}

async fn one_credential_per_registry_host(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    ann.run(add("docker_hub", "one")).await;
    let id = list(&ann).await.items[0].id.clone();

    // The same registry under another spelling.
    let again = ann
        .send(AddCredential {
            server: "Registry-1.Docker.IO:443/v2/".into(),
            ..add("other", "two")
        })
        .await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body = error_body(again).await;
    let message = body["detail"]["message"].as_str().unwrap();
    assert!(
        message.contains("docker.io") && message.contains(&id),
        "{message}"
    );
    assert_eq!(app.count("registry_credential").await, 1);
}

async fn bad_input_is_explained_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    let on = |registry: &str, server: &str, password: &str| AddCredential {
        server: server.into(),
        ..add(registry, password)
    };

    // (call, field at fault, words its message must contain)
    let cases = [
        (
            on("other", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "x"),
            "server",
            "expire within 12 hours",
        ),
        (
            on("google", "gcr.io", "{not json"),
            "password",
            "does not parse",
        ),
        (
            on("google", "gcr.io", "{\"type\":\"service_account\"}"),
            "password",
            "client_email, private_key",
        ),
        (
            on("other", "user:pw@reg.example.com", "x"),
            "server",
            "own fields",
        ),
        (
            AddCredential {
                email: "nope".into(),
                ..on("other", "reg.example.com", "x")
            },
            "email",
            "",
        ),
        (on("other", "reg.example.com", ""), "password", "Enter"),
    ];
    for (call, field, words) in cases {
        let server = call.server.clone();
        let res = ann.send(call).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{server}");
        let body = error_body(res).await;
        let message = body["detail"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{server}: {body}"));
        assert!(message.contains(words), "{server}: {message}");
    }
    assert_eq!(app.count("registry_credential").await, 0);
    // A Google key that is whole is taken, with `_json_key` as the username.
    let key = r#"{"type":"service_account","client_email":"ci@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}"#;
    ann.run(on("google", "europe-west1-docker.pkg.dev", key))
        .await;
    assert_eq!(list(&ann).await.items[0].username, "_json_key");
}

async fn a_ciphertext_moved_to_another_row_does_not_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    ann.run(add("github", "secret-a")).await;
    ann.run(add("quay", "secret-b")).await;
    let page = list(&ann).await;
    let (a, b) = (
        Uuid::parse_str(&page.items[0].id).unwrap(),
        Uuid::parse_str(&page.items[1].id).unwrap(),
    );

    app::on_db!(&app.state.db, pool => sqlx::query(
        "update registry_credential set
            password_ciphertext = (select password_ciphertext from registry_credential where id = $1),
            password_nonce = (select password_nonce from registry_credential where id = $1)
         where id = $2"
    )
    .bind(a)
    .bind(b)
    .execute(pool)
    .await
    .map(drop))
    .unwrap();

    let (project, sealed) = credentials::sealed(&app.state.db, b)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        secrets::open(&[&app.state.key], &sealed, b, project).unwrap_err(),
        OpenError::Tampered
    );
    let (project, sealed) = credentials::sealed(&app.state.db, a)
        .await
        .unwrap()
        .unwrap();
    assert!(secrets::open(&[&app.state.key], &sealed, a, project).is_ok());
}

async fn the_image_field_names_the_credential_a_pull_uses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    ann.run(add("github", "x")).await;
    let id = list(&ann).await.items[0].id.clone();
    let resolve = |image: &str| {
        ann.send(ResolveImage {
            owner: "ann".into(),
            name: "web".into(),
            image: image.into(),
        })
    };

    let ghcr = decode::<ResolveImage>(resolve("ghcr.io/acme/shop:1.0").await).await;
    let kcr = decode::<ResolveImage>(resolve("localhost:5000/ann/web/cart").await).await;
    let hub = decode::<ResolveImage>(resolve("nginx").await).await;
    let bad = resolve("ghcr.io/Acme/shop").await;

    let Resolution::Credential {
        id: ghcr_id,
        server,
        ..
    } = ghcr
    else {
        panic!("{ghcr:?}")
    };
    assert_eq!((ghcr_id, server.as_str()), (id, "ghcr.io"));
    assert!(matches!(kcr, Resolution::Kcr { .. }), "{kcr:?}");
    let Resolution::Anonymous {
        image,
        docker_hub_limit,
    } = hub
    else {
        panic!("{hub:?}")
    };
    assert!(docker_hub_limit);
    assert_eq!(image.repository, "library/nginx");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(bad).await["detail"]["image"],
        "Repository: Use lowercase letters only."
    );
}

/// `s` percent-encoded for a query string.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The leak test: a unique marker password, then every page and read function; the marker
/// must appear in no response (body or header) and nowhere in the database's bytes.
async fn a_password_never_comes_back_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    let marker = format!("leak-marker-{}", Uuid::now_v7().simple());
    ann.run(AddCredential {
        username: "ann".into(),
        ..add("github", &marker)
    })
    .await;
    let id = list(&ann).await.items[0].id.clone();
    ann.run(update(&id, "ann", "")).await;

    let paths = [
        "/".to_owned(),
        "/projects".into(),
        "/projects/ann/web".into(),
        "/projects/ann/web/credentials".into(),
        format!(
            "/projects/ann/web/credentials?image={}",
            urlencode("ghcr.io/a/b")
        ),
        "/projects/ann/web/push-paths?image=x".into(),
        "/projects/ann/web/audit".into(),
        "/regions".into(),
        "/account".into(),
        "/api/list_credentials?owner=ann&name=web".into(),
        "/api/resolve_image?owner=ann&name=web&image=ghcr.io/a/b".into(),
        "/api/get_project?owner=ann&name=web".into(),
        "/api/project_audit_log?owner=ann&name=web".into(),
        "/api/list_projects".into(),
        "/api/current_user".into(),
        "/api/push_target?owner=ann&name=web".into(),
    ];
    for path in &paths {
        let res = ann.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers = format!("{:?}", res.headers());
        let body = res.text().await.unwrap();
        assert!(!headers.contains(&marker), "{path}: marker in headers");
        assert!(!body.contains(&marker), "{path}: marker in body");
    }

    crate::helpers::assert_not_stored(&app, backend, &marker).await;
}

async fn rotating_the_key_reseals_every_password(backend: Backend) {
    use app::server::{crypto::MasterKey, crypto::rotation};

    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    ann.run(add("github", "pw-github")).await;
    ann.run(add("quay", "pw-quay")).await;
    let new = MasterKey::from_hex(&"cd".repeat(32)).unwrap();
    let old = &*app.state.key;

    let first = rotation::rotate(&app.state.db, &[old], &new).await.unwrap();
    let again = rotation::rotate(&app.state.db, &[old], &new).await.unwrap();

    assert_eq!(
        (first.resealed, first.left, first.unreadable.len()),
        (2, 0, 0)
    );
    assert_eq!((again.resealed, again.left), (0, 0));
    for item in list(&ann).await.items {
        let id = Uuid::parse_str(&item.id).unwrap();
        let (project, sealed) = credentials::sealed(&app.state.db, id)
            .await
            .unwrap()
            .unwrap();
        let opened = secrets::open(&[&new], &sealed, id, project).unwrap();
        assert!(opened.expose_secret().starts_with("pw-"));
        assert!(matches!(
            secrets::open(&[old], &sealed, id, project),
            Err(OpenError::UnknownKey(_))
        ));
    }
    // Without the key that sealed them, rows are reported, not lost.
    let stranger = MasterKey::from_hex(&"ef".repeat(32)).unwrap();
    let newest = MasterKey::from_hex(&"01".repeat(32)).unwrap();
    let stuck = rotation::rotate(&app.state.db, &[&stranger], &newest)
        .await
        .unwrap();
    assert_eq!(
        (stuck.resealed, stuck.unreadable.len(), stuck.left),
        (0, 2, 2)
    );
}

/// A signed-in victim's browser, lured to another site, cannot add credentials.
async fn a_cross_site_post_cannot_add_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;

    let res = app
        .http
        .post(format!("{}/api/add_credential", app.base))
        .header("cookie", &ann.cookie)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .body(
            serde_qs::to_string(&AddCredential {
                server: "evil.test".into(),
                ..add("other", "x")
            })
            .unwrap(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("registry_credential").await, 0);
}

async fn pages_follow_the_server_order_and_a_cursor_reads_no_other_project(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    for i in 0..52 {
        ann.run(AddCredential {
            server: format!("reg{i:02}.example.com"),
            ..add("other", "pw")
        })
        .await;
    }
    // eve's project has a credential whose server sorts among ann's.
    let eve = app.sign_up("eve").await;
    eve.create_project("eve", "secret").await;
    eve.run(AddCredential {
        owner: "eve".into(),
        name: "secret".into(),
        server: "reg25-secret.example.com".into(),
        ..add("other", "pw")
    })
    .await;
    let eves_id = eve.fetch(list_of("eve", "secret", None)).await.items[0]
        .id
        .clone();

    let first = list(&ann).await;
    let next = first.next.clone().unwrap();
    let second = ann.fetch(list_of("ann", "web", Some(&next))).await;
    let probe = ann.send(list_of("ann", "web", Some(&eves_id))).await;

    assert_eq!(first.items.len(), 50);
    assert_eq!(first.items[49].server, "reg49.example.com");
    let rest: Vec<&str> = second.items.iter().map(|c| c.server.as_str()).collect();
    assert_eq!(rest, ["reg50.example.com", "reg51.example.com"]);
    assert!(second.next.is_none());
    // Another project's credential ID positions nothing, so it reveals nothing.
    assert_eq!(probe.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!probe.text().await.unwrap().contains("reg2"));
}

on_both!(
    pages_follow_the_server_order_and_a_cursor_reads_no_other_project,
    a_cross_site_post_cannot_add_credentials,
    rotating_the_key_reseals_every_password,
    add_list_update_delete,
    one_credential_per_registry_host,
    bad_input_is_explained_and_stores_nothing,
    a_ciphertext_moved_to_another_row_does_not_open,
    the_image_field_names_the_credential_a_pull_uses,
    a_password_never_comes_back_out,
);
