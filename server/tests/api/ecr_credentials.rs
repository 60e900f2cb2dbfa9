//! Amazon ECR credentials through the real server functions, against the run's AWS emulator
//! (moto, `scripts/aws-emulator`): added with AWS keys (refused on their field when they do not
//! fit), listed with the minted token's life, refreshed by the background round. The clock
//! lives in 2014: moto's tokens all expire at 2015-01-01.

use app::api::credentials::{AddEcrCredential, ListCredentials};
use app::server::rules::credential_sources;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::client::Cli;
use crate::helpers::{Backend, TestApp, error_body};
use crate::on_both;

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
}

on_both!(
    an_ecr_credential_is_minted_listed_and_refreshed,
    the_cli_adds_ecr_credentials_and_lists_their_password_life,
);
