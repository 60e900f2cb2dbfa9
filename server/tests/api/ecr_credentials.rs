//! Amazon ECR credentials through the real server functions, against the run's AWS emulator
//! (moto, `scripts/aws-emulator`): added with AWS keys (refused on their field when they do not
//! fit), listed with the minted token's life, refreshed by the background round. The clock
//! lives in 2014: moto's tokens all expire at 2015-01-01.

use app::api::credentials::{AddEcrCredential, ListCredentials};
use app::server::rules::credential_sources;
use reqwest::StatusCode;
use time::macros::datetime;

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
    assert_eq!(
        minted.token_refreshed_at.as_deref(),
        Some("2014-12-31T12:00:00Z")
    );
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
    assert_eq!(
        minted.token_refreshed_at.as_deref(),
        Some("2014-12-31T21:00:00Z")
    );
    // Last: on SQLite this closes the pool to read the file.
    crate::helpers::assert_not_stored(&app, backend, &marker).await;
    crate::helpers::assert_not_stored(&app, backend, "123456789012-auth-token").await;
}

on_both!(an_ecr_credential_is_minted_listed_and_refreshed);
