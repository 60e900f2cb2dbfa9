//! Registry credentials through the real server functions: add, list, update, delete; one per
//! registry host; write-only passwords sealed at rest (checked by opening them with the
//! server's key); tampering; and the leak test (a marker password appears nowhere it could be
//! read back: responses, pages, the database's bytes).

use app::server::{
    db::credentials,
    secrets::{self, OpenError},
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, error_body, ok};
use crate::on_both;

async fn list(app: &TestApp, cookie: &str) -> Value {
    let res = app
        .get("/api/list_credentials?owner=ann&name=web", Some(cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// ann with personal project `ann/web`.
async fn setup(app: &TestApp) -> String {
    let ann = app.sign_up("ann").await;
    ok(
        app,
        &ann,
        "create_project",
        &[
            ("owner", "ann"),
            ("name", "web"),
            ("description", ""),
            ("region", "local"),
        ],
    )
    .await;
    ann
}

async fn add(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut full = vec![("owner", "ann"), ("name", "web")];
    full.extend_from_slice(form);
    app.call("add_credential", &full, Some(cookie)).await
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

    let res = add(
        &app,
        &ann,
        &[
            ("registry", "docker_hub"),
            ("username", "ann"),
            ("email", "ann@example.com"),
            ("password", "hub-token-1"),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    ok(
        &app,
        &ann,
        "add_credential",
        &[
            ("owner", "ann"),
            ("name", "web"),
            ("registry", "github"),
            ("username", "ann"),
            ("password", "ghp_x"),
        ],
    )
    .await;

    let page = list(&app, &ann).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Sorted by server; no password, nothing derived from one.
    assert_eq!(items[0]["server"], "ghcr.io");
    assert_eq!(items[1]["server"], "https://index.docker.io/v1/");
    assert_eq!(items[1]["registry_host"], "docker.io");
    assert_eq!(items[1]["added_by"], "ann");
    assert_eq!(page["can_manage"], true);
    let text = page.to_string();
    assert!(
        !text.contains("hub-token-1") && !text.contains("password"),
        "{text}"
    );
    let hub = items[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(stored_password(&app, &hub).await, "hub-token-1");

    // A blank password keeps the stored one.
    ok(
        &app,
        &ann,
        "update_credential",
        &[
            ("owner", "ann"),
            ("name", "web"),
            ("id", &hub),
            ("username", "ann2"),
            ("email", ""),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(stored_password(&app, &hub).await, "hub-token-1");
    assert_eq!(list(&app, &ann).await["items"][1]["username"], "ann2");
    // A new one replaces it.
    ok(
        &app,
        &ann,
        "update_credential",
        &[
            ("owner", "ann"),
            ("name", "web"),
            ("id", &hub),
            ("username", "ann2"),
            ("password", "hub-token-2"),
        ],
    )
    .await;
    assert_eq!(stored_password(&app, &hub).await, "hub-token-2");

    ok(
        &app,
        &ann,
        "delete_credential",
        &[("owner", "ann"), ("name", "web"), ("id", &hub)],
    )
    .await;
    let after = list(&app, &ann).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 1);
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
    add(
        &app,
        &ann,
        &[("registry", "docker_hub"), ("password", "one")],
    )
    .await;
    let id = list(&app, &ann).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The same registry under another spelling.
    let again = add(
        &app,
        &ann,
        &[
            ("registry", "other"),
            ("server", "Registry-1.Docker.IO:443/v2/"),
            ("password", "two"),
        ],
    )
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

/// A form of `add_credential` beyond the project.
type Form<'a> = &'a [(&'a str, &'a str)];

async fn bad_input_is_explained_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;

    // (form, field at fault, words its message must contain)
    let cases: [(Form, &str, &str); 6] = [
        (
            &[
                ("registry", "other"),
                ("server", "123456789012.dkr.ecr.us-east-1.amazonaws.com"),
                ("password", "x"),
            ],
            "server",
            "expire within 12 hours",
        ),
        (
            &[
                ("registry", "google"),
                ("server", "gcr.io"),
                ("password", "{not json"),
            ],
            "password",
            "does not parse",
        ),
        (
            &[
                ("registry", "google"),
                ("server", "gcr.io"),
                ("password", "{\"type\":\"service_account\"}"),
            ],
            "password",
            "client_email, private_key",
        ),
        (
            &[
                ("registry", "other"),
                ("server", "user:pw@reg.example.com"),
                ("password", "x"),
            ],
            "server",
            "own fields",
        ),
        (
            &[
                ("registry", "other"),
                ("server", "reg.example.com"),
                ("email", "nope"),
                ("password", "x"),
            ],
            "email",
            "",
        ),
        (
            &[
                ("registry", "other"),
                ("server", "reg.example.com"),
                ("password", ""),
            ],
            "password",
            "Enter",
        ),
    ];
    for (form, field, words) in cases {
        let res = add(&app, &ann, form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        let body = error_body(res).await;
        let message = body["detail"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{form:?}: {body}"));
        assert!(message.contains(words), "{form:?}: {message}");
    }
    assert_eq!(app.count("registry_credential").await, 0);
    // A Google key that is whole is taken, with `_json_key` as the username.
    let key = r#"{"type":"service_account","client_email":"ci@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}"#;
    let res = add(
        &app,
        &ann,
        &[
            ("registry", "google"),
            ("server", "europe-west1-docker.pkg.dev"),
            ("password", key),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(list(&app, &ann).await["items"][0]["username"], "_json_key");
}

async fn a_ciphertext_moved_to_another_row_does_not_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    add(
        &app,
        &ann,
        &[("registry", "github"), ("password", "secret-a")],
    )
    .await;
    add(
        &app,
        &ann,
        &[("registry", "quay"), ("password", "secret-b")],
    )
    .await;
    let page = list(&app, &ann).await;
    let (a, b) = (
        Uuid::parse_str(page["items"][0]["id"].as_str().unwrap()).unwrap(),
        Uuid::parse_str(page["items"][1]["id"].as_str().unwrap()).unwrap(),
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
    add(&app, &ann, &[("registry", "github"), ("password", "x")]).await;
    let id = list(&app, &ann).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resolve = |image: &str| {
        let path = format!(
            "/api/resolve_image?owner=ann&name=web&image={}",
            urlencode(image)
        );
        let (app, ann) = (&app, ann.clone());
        async move { app.get(&path, Some(&ann)).await }
    };

    let ghcr: Value = resolve("ghcr.io/acme/shop:1.0").await.json().await.unwrap();
    let kcr: Value = resolve("localhost:5000/ann/web/cart")
        .await
        .json()
        .await
        .unwrap();
    let hub: Value = resolve("nginx").await.json().await.unwrap();
    let bad = resolve("ghcr.io/Acme/shop").await;

    assert_eq!(ghcr["kind"], "credential");
    assert_eq!(ghcr["id"], id.as_str());
    assert_eq!(ghcr["server"], "ghcr.io");
    assert_eq!(kcr["kind"], "kcr");
    assert_eq!(hub["kind"], "anonymous");
    assert_eq!(hub["docker_hub_limit"], true);
    assert_eq!(hub["image"]["repository"], "library/nginx");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(bad).await["detail"]["image"],
        "Repository: Use lowercase letters only."
    );
}

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
    add(
        &app,
        &ann,
        &[
            ("registry", "github"),
            ("username", "ann"),
            ("password", &marker),
        ],
    )
    .await;
    let id = list(&app, &ann).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &app,
        &ann,
        "update_credential",
        &[
            ("owner", "ann"),
            ("name", "web"),
            ("id", &id),
            ("username", "ann"),
            ("password", ""),
        ],
    )
    .await;

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
        let res = app.get(path, Some(&ann)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers = format!("{:?}", res.headers());
        let body = res.text().await.unwrap();
        assert!(!headers.contains(&marker), "{path}: marker in headers");
        assert!(!body.contains(&marker), "{path}: marker in body");
    }

    match backend {
        Backend::Sqlite => {
            // The database file and its write-ahead log, byte for byte.
            app.state.db.close().await;
            let file = app.db_url.trim_start_matches("sqlite://").to_owned();
            for path in [file.clone(), format!("{file}-wal")] {
                if let Ok(bytes) = std::fs::read(&path) {
                    assert!(
                        !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                        "marker in {path}"
                    );
                }
            }
        }
        Backend::Postgres => {
            let dump = std::process::Command::new("pg_dump")
                .arg(&app.db_url)
                .output()
                .expect("pg_dump runs");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            let text = String::from_utf8_lossy(&dump.stdout);
            assert!(
                text.contains("registry_credential"),
                "the dump has the table"
            );
            // bytea columns are dumped as hex: look for that spelling too.
            let hex: String = marker.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(!text.contains(&marker), "marker in pg_dump");
            assert!(!text.contains(&hex), "marker (as hex) in pg_dump");
        }
    }
}

async fn rotating_the_key_reseals_every_password(backend: Backend) {
    use app::server::{crypto::MasterKey, rotation};

    let app = TestApp::spawn(backend).await;
    let ann = setup(&app).await;
    add(
        &app,
        &ann,
        &[("registry", "github"), ("password", "pw-github")],
    )
    .await;
    add(&app, &ann, &[("registry", "quay"), ("password", "pw-quay")]).await;
    let new = MasterKey::from_hex(&"cd".repeat(32)).unwrap();
    let old = &*app.state.key;

    let first = rotation::rotate(&app.state.db, &[old], &new).await.unwrap();
    let again = rotation::rotate(&app.state.db, &[old], &new).await.unwrap();

    assert_eq!(
        (first.resealed, first.left, first.unreadable.len()),
        (2, 0, 0)
    );
    assert_eq!((again.resealed, again.left), (0, 0));
    for item in list(&app, &ann).await["items"].as_array().unwrap() {
        let id = Uuid::parse_str(item["id"].as_str().unwrap()).unwrap();
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
        .header("cookie", &ann)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .form(&[
            ("owner", "ann"),
            ("name", "web"),
            ("registry", "other"),
            ("server", "evil.test"),
            ("password", "x"),
        ])
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
        let server = format!("reg{i:02}.example.com");
        let res = add(
            &app,
            &ann,
            &[
                ("registry", "other"),
                ("server", &server),
                ("password", "pw"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // eve's project has a credential whose server sorts among ann's.
    let eve = app.sign_up("eve").await;
    ok(
        &app,
        &eve,
        "create_project",
        &[
            ("owner", "eve"),
            ("name", "secret"),
            ("description", ""),
            ("region", "local"),
        ],
    )
    .await;
    ok(
        &app,
        &eve,
        "add_credential",
        &[
            ("owner", "eve"),
            ("name", "secret"),
            ("registry", "other"),
            ("server", "reg25-secret.example.com"),
            ("password", "pw"),
        ],
    )
    .await;
    let eves: Value = app
        .get("/api/list_credentials?owner=eve&name=secret", Some(&eve))
        .await
        .json()
        .await
        .unwrap();
    let eves_id = eves["items"][0]["id"].as_str().unwrap().to_owned();

    let first = list(&app, &ann).await;
    let next = first["next"].as_str().unwrap().to_owned();
    let second: Value = app
        .get(
            &format!("/api/list_credentials?owner=ann&name=web&after={next}"),
            Some(&ann),
        )
        .await
        .json()
        .await
        .unwrap();
    let probe = app
        .get(
            &format!("/api/list_credentials?owner=ann&name=web&after={eves_id}"),
            Some(&ann),
        )
        .await;

    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    assert_eq!(first["items"][49]["server"], "reg49.example.com");
    let rest: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["server"].as_str().unwrap())
        .collect();
    assert_eq!(rest, ["reg50.example.com", "reg51.example.com"]);
    assert!(second["next"].is_null());
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
