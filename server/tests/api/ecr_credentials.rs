//! Amazon ECR credentials through the real server functions, against the run's AWS emulator
//! (moto, `scripts/aws-emulator`): added with AWS keys (refused on their field when they do not
//! fit), listed with the minted token's life, refreshed by the background round. The clock
//! lives in 2014: moto's tokens all expire at 2015-01-01.

use app::api::{
    credentials::{AddEcrCredential, ListCredentials},
    pull_secrets::ExportPullSecret,
};
use app::server::rules::credential_sources;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::client::Cli;
use crate::helpers::{
    Backend, TestApp, error_body,
    registry::{self, Registry},
};
use crate::{on_both, on_sqlite};

const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn add(server: &str, key_id: &str) -> AddEcrCredential {
    AddEcrCredential {
        owner: "ann".into(),
        name: "web".into(),
        registry_host: server.into(),
        aws_access_key_id: key_id.into(),
        aws_secret_access_key: SECRET.into(),
        aws_session_token: "".into(),
        aws_role_arn: String::new(),
        aws_external_id: String::new(),
    }
}

fn list() -> ListCredentials {
    ListCredentials {
        owner: "ann".into(),
        name: "web".into(),
        after: None,
    }
}

async fn an_ecr_credential_is_minted_listed_and_refreshed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.state.clock.set(datetime!(2014-12-31 12:00 UTC));
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;

    // Not an ECR host, and a key ID of the wrong shape: both said, nothing stored.
    let res = ann.send(add("ghcr.io", "AKIA")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = error_body(res).await.to_string();
    assert!(body.contains("not an Amazon ECR registry"), "{body}");
    assert!(body.contains("16 to 128 letters and digits"), "{body}");
    assert!(ann.fetch(list()).await.items.is_empty());

    // A secret no other text contains: it must appear nowhere it could be read back, nor
    // may the password minted from it.
    let marker = format!("leak-{}", uuid::Uuid::now_v7().simple());
    ann.run(AddEcrCredential {
        aws_secret_access_key: marker.as_str().into(),
        ..add(&format!("https://{HOST}"), "AKIAIOSFODNN7EXAMPLE")
    })
    .await;
    for path in [
        "/projects/ann/web/credentials",
        "/projects/ann/web/audit",
        "/api/list_credentials?owner=ann&name=web",
        "/api/project_audit_log?owner=ann&name=web",
    ] {
        let res = ann.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains(&marker), "{path}: the secret in the body");
        assert!(
            !body.contains("auth-token"),
            "{path}: the password in the body"
        );
    }
    let page = ann.fetch(list()).await;
    let item = &page.items[0];
    assert_eq!(
        (item.registry_host.as_str(), item.username.as_str()),
        (HOST, "AWS")
    );
    let minted = item.minted.clone().expect("an ECR credential says so");
    assert_eq!(minted.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        minted.token_expires_at.as_deref(),
        Some("2015-01-01T00:00:00Z")
    );
    // The moved clock goes on ticking: minted within seconds of noon.
    let refreshed = minted.token_refreshed_at.clone().unwrap_or_default();
    assert!(refreshed.starts_with("2014-12-31T12:00:0"), "{refreshed}");
    assert_eq!(minted.refresh_error, None);

    // A second one for the same registry is refused before AWS is asked.
    let res = ann.send(add(HOST, "AKIAIOSFODNN7EXAMPLE")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Nine hours on, the background round mints a new token.
    app.state.clock.set(datetime!(2014-12-31 21:00 UTC));
    let round = credential_sources::refresh_due(&app.state, "test", app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(round.stored, 1, "{round:?}");
    let minted = ann.fetch(list()).await.items[0].minted.clone().unwrap();
    let refreshed = minted.token_refreshed_at.clone().unwrap_or_default();
    assert!(refreshed.starts_with("2014-12-31T21:00:0"), "{refreshed}");
    // Last: on SQLite this closes the pool to read the file.
    crate::helpers::assert_not_stored(&app, backend, &marker).await;
    crate::helpers::assert_not_stored(&app, backend, "123456789012-auth-token").await;
}

async fn the_cli_adds_ecr_credentials_and_lists_their_password_life(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.state.clock.set(datetime!(2014-12-31 12:00 UTC));
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let cli = Cli::new(&app);
    cli.login(&ann.personal_token("cli", &["credentials:write"], "").await)
        .await;
    let add = |registry: &'static str| {
        let cli = &cli;
        async move {
            let args = [
                "docker",
                "add-ecr-credentials",
                "-p",
                "ann/web",
                "--ecr-registry",
                registry,
                "--aws-access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
                "--aws-secret-access-key-stdin",
            ];
            cli.run(&args, Some(&format!("{SECRET}\n"))).await
        }
    };

    // The server's field names come back as the command's flags.
    let refused = add("ghcr.io").await;
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("--ecr-registry: ghcr.io is not an Amazon ECR registry"),
        "{refused:?}"
    );

    let added = add(HOST).await;
    assert_eq!(added.code, 0, "{added:?}");
    let id = added.stdout.trim().to_owned();
    assert_eq!(id.len(), 36, "the new ID on stdout: {added:?}");

    let list = cli
        .run(
            &["docker", "list-credentials", "-p", "ann/web", "-o", "json"],
            None,
        )
        .await;
    assert_eq!(list.code, 0, "{list:?}");
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["source"], "ecr");
    assert_eq!(list[0]["aws_access_key_id"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(list[0]["token_expires_at"], "2015-01-01T00:00:00Z");
    assert_eq!(list[0]["refresh_error"], serde_json::Value::Null);
    assert!(!list.to_string().contains(SECRET));

    // A rotated key: a new key ID needs its secret (said with the command's words), then
    // replaces the old one.
    let update = |key_id: &'static str, secret: Option<&'static str>| {
        let (cli, id) = (&cli, id.clone());
        async move {
            let mut args = vec![
                "docker",
                "update-ecr-credentials",
                "-p",
                "ann/web",
                id.as_str(),
                "--aws-access-key-id",
                key_id,
            ];
            if secret.is_some() {
                args.push("--aws-secret-access-key-stdin");
            }
            cli.run(&args, secret).await
        }
    };
    let refused = update("AKIAI44QH8DHBEXAMPLE", None).await;
    assert_eq!(refused.code, 6, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("the secret access key: A new key ID comes with its own secret"),
        "{refused:?}"
    );
    let updated = update(
        "AKIAI44QH8DHBEXAMPLE",
        Some("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n"),
    )
    .await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let list = cli
        .run(
            &["docker", "list-credentials", "-p", "ann/web", "-o", "json"],
            None,
        )
        .await;
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list[0]["aws_access_key_id"], "AKIAI44QH8DHBEXAMPLE");
}

/// The password moto issues for account 123456789012.
const MOTO_PASSWORD: &str = "123456789012-auth-token";

/// Copies `host/repo:tag` into a temp OCI layout (a pull) with `args` naming the login.
async fn pull(host: &str, repo: &str, args: &[&str]) -> registry::Skopeo {
    let out = tempfile::tempdir().unwrap();
    let mut all = vec!["copy", "--src-tls-verify=false"];
    all.extend_from_slice(args);
    let source = format!("docker://{host}/{repo}:v1");
    let dest = format!("oci:{}", out.path().join("pulled").display());
    all.extend_from_slice(&[source.as_str(), dest.as_str()]);
    registry::skopeo(&all).await
}

/// The minted token works at a registry: `docker-registry` holds moto's password in its
/// htpasswd, and both the credential helper's answer and an exported auth file pull from it.
/// skopeo resolves the ECR host name itself, so the login the helper and the export give for
/// the ECR host is used at the registry's loopback address (`--src-creds`, and the auth file
/// with its key rewritten). Outside systems, so on one database.
async fn the_helper_and_an_export_pull_with_the_minted_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.state.clock.set(datetime!(2014-12-31 12:00 UTC));
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let mut registry = Registry::start_basic("AWS", MOTO_PASSWORD).await;
    let (_dir, layout, _) = registry::image("v1", b"from ecr");
    let pushed = registry::push(
        &layout,
        "v1",
        &registry.host,
        "team/app",
        ("AWS", MOTO_PASSWORD),
    )
    .await;
    assert!(pushed.ok, "{pushed:?}");
    ann.run(add(HOST, "AKIAIOSFODNN7EXAMPLE")).await;

    // configure --project puts the project's registries in docker's credHelpers.
    let cli = Cli::new(&app);
    let scopes = ["projects:read", "credentials:read", "pull-secrets:export"];
    cli.login(&ann.personal_token("ci", &scopes, "").await)
        .await;
    let out = cli
        .run(
            &[
                "auth",
                "container-registry",
                "configure",
                "--project",
                "ann/web",
            ],
            None,
        )
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "log in to localhost:5000, and to {HOST} with ann/web's credentials through docker-credential-berth."
        )),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("while your token may export its pull secrets"),
        "{out:?}"
    );
    let docker: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cli.home.path().join(".docker/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(docker["credHelpers"][HOST], "berth", "{docker}");

    // The helper answers the kept token in docker's protocol, for every spelling of the host.
    let helper = cli.install_helper().await.join("docker-credential-berth");
    let get = cli
        .run_program(&helper, &["get"], Some(&format!("{HOST}\n")))
        .await;
    assert_eq!(
        (get.code, get.stdout.as_str()),
        (
            0,
            format!(
                "{{\"ServerURL\":\"{HOST}\",\"Username\":\"AWS\",\"Secret\":\"{MOTO_PASSWORD}\"}}\n"
            )
            .as_str()
        ),
        "{get:?}"
    );
    let https = cli
        .run_program(&helper, &["get"], Some(&format!("https://{HOST}/v2/")))
        .await;
    assert_eq!(https.code, 0, "{https:?}");
    let answer: serde_json::Value = serde_json::from_str(&get.stdout).unwrap();
    let creds = format!(
        "{}:{}",
        answer["Username"].as_str().unwrap(),
        answer["Secret"].as_str().unwrap()
    );
    let pulled = pull(&registry.host, "team/app", &["--src-creds", &creds]).await;
    assert!(
        pulled.ok,
        "the helper's login pulls: {pulled:?}\n{}",
        registry.log()
    );
    let audit = app.audit_details("credential.handed_out").await;
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["server"], HOST);
    assert!(!audit[0].to_string().contains(MOTO_PASSWORD));

    // A docker login to that host is not kept by the helper: Berth holds that login.
    let store = cli
        .run_program(
            &helper,
            &["store"],
            Some(&format!(
                r#"{{"ServerURL":"{HOST}","Username":"AWS","Secret":"typed"}}"#
            )),
        )
        .await;
    assert_eq!(store.code, 1, "{store:?}");
    assert!(store.stdout.contains("change it there"), "{store:?}");

    // Another server in use (BERTH_URL): the helper answers for none of this server's hosts,
    // so neither the token nor the question leaves for it.
    let mut elsewhere = cli.command(&helper);
    elsewhere
        .arg("get")
        .env("BERTH_URL", "http://127.0.0.1:9")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = elsewhere.spawn().unwrap();
    use tokio::io::AsyncWriteExt;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(HOST.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (Some(1), "credentials not found in native keychain\n")
    );

    // configure --project needs the access the helper needs.
    let reader = Cli::new(&app);
    let read_only = ["projects:read", "credentials:read"];
    reader
        .login(&ann.personal_token("reader", &read_only, "").await)
        .await;
    let out = reader
        .run(
            &[
                "auth",
                "container-registry",
                "configure",
                "--project",
                "ann/web",
            ],
            None,
        )
        .await;
    assert_eq!(out.code, 4, "{out:?}");
    // A token that may no longer export the project's secrets (logged in again with one that
    // cannot) gets the server's refusal, and no secret.
    cli.login(&ann.personal_token("reader2", &read_only, "").await)
        .await;
    let refused = cli.run_program(&helper, &["get"], Some(HOST)).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.starts_with("berth: "), "{refused:?}");
    assert!(
        refused.stdout.contains("pull-secrets:export"),
        "{refused:?}"
    );
    assert!(!refused.stdout.contains(MOTO_PASSWORD), "{refused:?}");

    // The exported auth file's ECR entry, at the registry's address, pulls too.
    let secret = ann
        .fetch(ExportPullSecret {
            owner: "ann".into(),
            name: "web".into(),
            format: String::new(),
            kcr_ttl: String::new(),
            secret_name: String::new(),
        })
        .await;
    let mut file: serde_json::Value = serde_json::from_str(&secret.content).unwrap();
    let entry = file["auths"][HOST].clone();
    assert_eq!(entry["username"], "AWS");
    assert_eq!(entry["password"], MOTO_PASSWORD);
    let auths = file["auths"].as_object_mut().unwrap();
    auths.remove(HOST);
    auths.insert(registry.host.clone(), entry);
    let dir = tempfile::tempdir().unwrap();
    let authfile = dir.path().join("auth.json");
    std::fs::write(&authfile, file.to_string()).unwrap();
    let pulled = pull(
        &registry.host,
        "team/app",
        &["--src-authfile", authfile.to_str().unwrap()],
    )
    .await;
    assert!(pulled.ok, "the export's login pulls: {pulled:?}");
    assert!(registry.is_running());
}

on_both!(
    an_ecr_credential_is_minted_listed_and_refreshed,
    the_cli_adds_ecr_credentials_and_lists_their_password_life,
);

on_sqlite!(the_helper_and_an_export_pull_with_the_minted_token);
