//! Importing a docker config.json: the preview lists every entry with its fate and stores no
//! credential; only its maker sees or confirms it; confirming adds (and, when chosen, updates)
//! with one audit entry per credential, once; bad files are refused with the reason and change
//! nothing; no page or answer carries a password from the file.

use app::api::{
    credential_imports::{ConfirmCredentialImport, PreviewCredentialImport},
    credentials::{AddCredential, ListCredentials},
};
use app::domain::{
    credential_import::{ImportAction, ImportOutcome, ImportPreview},
    secret::PasswordInput,
};
use base64::Engine;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::helpers::{Backend, TestApp, User, error_body};
use crate::on_both;

const PROJECT: (&str, &str) = ("ann", "shop");

fn config() -> String {
    let auth = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    serde_json::json!({
        "auths": {
            "https://index.docker.io/v1/": {"auth": auth("ann:hub-secret-1"), "email": "ann@example.com"},
            "ghcr.io": {"username": "ann-bot", "password": "ghp_secret_2"},
            "quay.io": {"identitytoken": "refresh-secret-3"},
        },
        "credHelpers": {"gcr.io": "gcloud"},
    })
    .to_string()
}

fn preview_call(text: &str) -> PreviewCredentialImport {
    PreviewCredentialImport {
        owner: PROJECT.0.into(),
        name: PROJECT.1.into(),
        docker_config: text.into(),
    }
}

fn confirm_call(draft: &str, existing: &str) -> ConfirmCredentialImport {
    ConfirmCredentialImport {
        owner: PROJECT.0.into(),
        name: PROJECT.1.into(),
        draft: draft.into(),
        existing: existing.into(),
    }
}

/// `(entry, action kind)` of each row.
fn fates(preview: &ImportPreview) -> Vec<(String, &'static str)> {
    preview
        .rows
        .iter()
        .map(|r| {
            let kind = match r.action {
                ImportAction::Add => "add",
                ImportAction::Present { .. } => "present",
                ImportAction::NotImportable { .. } => "not importable",
            };
            (r.entry.clone(), kind)
        })
        .collect()
}

/// The stored password of the project's credential for `host`, opened.
async fn password_of(app: &TestApp, user: &User<'_>, host: &str) -> String {
    let list = user
        .fetch(ListCredentials {
            owner: PROJECT.0.into(),
            name: PROJECT.1.into(),
            after: None,
        })
        .await;
    let c = list.items.iter().find(|c| c.registry_host == host).unwrap();
    let id = uuid::Uuid::parse_str(&c.id).unwrap();
    let (project, sealed) = app::server::db::credentials::sealed(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    app::server::crypto::secrets::open(&[&app.state.key], &sealed, id, project)
        .unwrap()
        .expose_secret()
        .to_owned()
}

async fn a_previewed_import_is_confirmed_once_by_its_maker(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let dave = app.sign_up("dave").await;
    dave.join_project(&ann, PROJECT, "developer").await;
    let present: String = ann
        .fetch(AddCredential {
            owner: "ann".into(),
            name: "shop".into(),
            registry: "github".into(),
            server: String::new(),
            username: "old".into(),
            email: String::new(),
            password: PasswordInput::from("old-password".to_owned()),
            expires_on: String::new(),
        })
        .await;
    let (rows, audits) = (
        app.count("registry_credential").await,
        app.count("audit_event").await,
    );

    let res = ann.send(preview_call(&config())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    for secret in ["hub-secret-1", "ghp_secret_2", "refresh-secret-3"] {
        assert!(!body.contains(secret), "the preview answer holds {secret}");
    }
    let preview: ImportPreview = serde_json::from_str(&body).unwrap();
    assert_eq!(
        fates(&preview),
        [
            ("auths[\"ghcr.io\"]".to_owned(), "present"),
            ("auths[\"https://index.docker.io/v1/\"]".to_owned(), "add"),
            ("auths[\"quay.io\"]".to_owned(), "not importable"),
            ("credHelpers[\"gcr.io\"]".to_owned(), "not importable"),
        ]
    );
    assert_eq!(
        preview.rows[0].action,
        ImportAction::Present {
            id: present.clone()
        }
    );
    assert_eq!(preview.rows[1].username, "ann");
    // Nothing stored but the sealed draft, and nothing audited.
    assert_eq!(app.count("registry_credential").await, rows);
    assert_eq!(app.count("audit_event").await, audits);
    assert_eq!(app.count("credential_import").await, 1);
    let sealed: Vec<u8> = app::on_db!(&app.state.db, pool => sqlx::query_scalar("select sealed from credential_import")
        .fetch_one(pool)
        .await)
    .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("hub-secret-1"));

    // The preview page lists the rows, without a password.
    let page = ann
        .page(&format!(
            "/projects/ann/shop/credentials/import?draft={}",
            preview.draft
        ))
        .await;
    assert!(
        page.contains("already present (")
            && page.contains("not importable: signed in with an identity token")
    );
    assert!(!page.contains("hub-secret-1") && !page.contains("ghp_secret_2"));

    // Another developer of the project cannot see or confirm ann's draft.
    let res = dave.send(confirm_call(&preview.draft, "update")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = dave
        .get(&format!(
            "/projects/ann/shop/credentials/import?draft={}",
            preview.draft
        ))
        .await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("registry_credential").await, rows);

    // Confirmed (present ones skipped): one credential added, one audit entry; only once.
    let outcome: ImportOutcome = ann.fetch(confirm_call(&preview.draft, "skip")).await;
    assert_eq!(outcome.added, ["https://index.docker.io/v1/"]);
    assert_eq!(outcome.skipped, ["ghcr.io"]);
    assert!(outcome.updated.is_empty());
    assert_eq!(app.count("registry_credential").await, rows + 1);
    let added = app.audit_details("credential.added").await;
    assert_eq!(added.len(), 2, "the setup's and the import's");
    assert_eq!(added[1]["imported"], true);
    assert_eq!(added[1]["after"]["username"], "ann");
    assert_eq!(password_of(&app, &ann, "docker.io").await, "hub-secret-1");
    assert_eq!(password_of(&app, &ann, "ghcr.io").await, "old-password");
    let again = ann.send(confirm_call(&preview.draft, "skip")).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(
        error_body(again)
            .await
            .to_string()
            .contains("preview the file again")
    );
    assert_eq!(app.count("credential_import").await, 0);

    // Previewed again and confirmed with "update": the present ones take the file's login.
    let preview: ImportPreview = ann.fetch(preview_call(&config())).await;
    assert_eq!(fates(&preview)[1].1, "present", "docker.io is present now");
    let outcome: ImportOutcome = ann.fetch(confirm_call(&preview.draft, "update")).await;
    assert_eq!(outcome.updated, ["ghcr.io", "https://index.docker.io/v1/"]);
    assert_eq!(password_of(&app, &ann, "ghcr.io").await, "ghp_secret_2");
    let updated = app.audit_details("credential.updated").await;
    assert_eq!(updated.len(), 2);
    assert!(updated.iter().all(|e| e["imported"] == true));
    assert_eq!(updated[0]["before"]["username"], "old");
    assert_eq!(updated[0]["after"]["username"], "ann-bot");
    let text = serde_json::to_string(&updated).unwrap();
    assert!(!text.contains("ghp_secret_2") && !text.contains("old-password"));
}

async fn bad_files_are_refused_with_the_reason_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    let cases = [
        (
            r#"{"auths": {"ghcr.io": {"password": "p4ss"#.to_owned(),
            "This is not JSON (line 1, column 40); paste the whole config.json.",
        ),
        (
            r#"{"HttpHeaders": {}}"#.to_owned(),
            "This file has no \"auths\": there are no registry logins in it.",
        ),
        (
            format!(r#"{{"auths": {{}}, "pad": "{}"}}"#, "a".repeat(1024 * 1024)),
            "The file has 1024 KiB; a docker config.json is a few KiB, and Berth reads at most 1024 KiB.",
        ),
    ];
    for (text, message) in cases {
        let res = ann.send(preview_call(&text)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let body = error_body(res).await.to_string();
        assert!(body.contains(&message.replace('"', "\\\"")), "{body}");
        assert!(!body.contains("p4ss"));
    }
    // (Far beyond the limit the body is not even read: `security.rs`.)
    // An unknown draft and a bad choice.
    let res = ann
        .send(confirm_call("01934f7e-0000-7000-8000-000000000000", "skip"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let preview: ImportPreview = ann.fetch(preview_call(&config())).await;
    let res = ann.send(confirm_call(&preview.draft, "overwrite")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("registry_credential").await, 0);
    assert_eq!(app.count("credential_import").await, 1);
}

async fn an_import_stops_at_the_projects_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "shop").await;
    for i in 0..99 {
        ann.run(AddCredential {
            owner: "ann".into(),
            name: "shop".into(),
            registry: "other".into(),
            server: format!("r{i}.example"),
            username: "u".into(),
            email: String::new(),
            password: PasswordInput::from("p".to_owned()),
            expires_on: String::new(),
        })
        .await;
    }
    let preview: ImportPreview = ann.fetch(preview_call(&config())).await;
    let res = ann.send(confirm_call(&preview.draft, "skip")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        error_body(res)
            .await
            .to_string()
            .contains("This project has 99 credentials; a project may have at most 100.")
    );
    assert_eq!(app.count("registry_credential").await, 99);
    // The refused confirmation left the preview in place.
    assert_eq!(app.count("credential_import").await, 1);
}

on_both!(
    an_import_stops_at_the_projects_limit,
    a_previewed_import_is_confirmed_once_by_its_maker,
    bad_files_are_refused_with_the_reason_and_change_nothing,
);
