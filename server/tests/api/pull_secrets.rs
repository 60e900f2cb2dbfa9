//! Pull secrets: who may export one, what is in it, what it leaves behind (audit, "last
//! exported", a pull-only KCR token that expires), and what a refused export leaves (nothing).

use app::api::{
    credentials::{AddCredential, ListCredentials},
    pull_secrets::ExportPullSecret,
    tokens::ListProjectTokens,
};
use app::domain::{pull_secret::PullSecret, secret::PasswordInput};
use base64::Engine;
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, User, error_body};
use crate::kcr_tokens::{acme, app_with_kcr};
use crate::on_both;

const KCR: &str = "kcr.local.test:5000";

fn export(format: &str, ttl: &str) -> ExportPullSecret {
    ExportPullSecret {
        owner: "acme".into(),
        name: "shop".into(),
        format: format.into(),
        kcr_ttl: ttl.into(),
        secret_name: String::new(),
    }
}

async fn add(ann: &User<'_>, server: &str, username: &str, password: &str) -> String {
    ann.fetch(AddCredential {
        owner: "acme".into(),
        name: "shop".into(),
        registry: "other".into(),
        server: server.into(),
        username: username.into(),
        email: "ops@example.com".into(),
        password: PasswordInput::from(password.to_owned()),
        expires_on: String::new(),
    })
    .await
}

async fn pull_tokens(app: &TestApp) -> i64 {
    app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "select count(*) from access_token where pull_secret and revoked_at is null"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn an_admin_exports_every_credential_and_a_pull_only_kcr_login(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    let ghcr = add(&ann, "ghcr.io", "octo", "pa:ss wörd\"").await;
    let other = add(&ann, "registry.example.com:5000", "ci", "hunter2").await;

    let res = ann.send(export("", "")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let secret: PullSecret = res.json().await.unwrap();
    assert_eq!(secret.file_name, "acme-shop-pull.json");
    assert_eq!(secret.kcr_host.as_deref(), Some(KCR));
    let mut ids = secret.credential_ids.clone();
    ids.sort();
    let mut want = vec![ghcr.clone(), other.clone()];
    want.sort();
    assert_eq!(ids, want);

    let config: serde_json::Value = serde_json::from_str(&secret.content).unwrap();
    let auths = config["auths"].as_object().unwrap();
    assert_eq!(auths.len(), 3, "{config}");
    assert_eq!(auths["ghcr.io"]["username"], "octo");
    assert_eq!(auths["ghcr.io"]["password"], "pa:ss wörd\"");
    assert_eq!(auths["ghcr.io"]["email"], "ops@example.com");
    let auth = base64::engine::general_purpose::STANDARD
        .decode(auths["ghcr.io"]["auth"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(auth).unwrap(), "octo:pa:ss wörd\"");
    assert_eq!(auths["registry.example.com:5000"]["password"], "hunter2");

    // The KCR login is a project token that pulls and nothing else, and expires.
    let kcr_secret = auths[KCR]["password"].as_str().unwrap();
    assert!(kcr_secret.starts_with("berth_prj_"), "{kcr_secret}");
    let tokens = ann
        .fetch(ListProjectTokens {
            owner: "acme".into(),
            name: "shop".into(),
        })
        .await
        .tokens;
    let kcr = tokens.iter().find(|t| t.pull_secret).unwrap();
    assert_eq!(
        kcr.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ["registry:pull"]
    );
    let expires = time::OffsetDateTime::parse(
        kcr.expires_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = (expires - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((3_500..=3_600).contains(&left), "{left}");
    let res = app
        .http
        .get(format!("{}/api/whoami", app.base))
        .bearer_auth(kcr_secret)
        .send()
        .await
        .unwrap();
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["scopes"], serde_json::json!(["registry:pull"]));

    // Audited with what went out; each credential says when and by whom.
    let audit = app.audit_details("pull_secret.exported").await;
    assert_eq!(audit.len(), 1);
    let mut listed: Vec<String> = audit[0]["credential_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, want);
    assert_eq!(audit[0]["kcr"]["host"], KCR);
    assert!(!audit[0].to_string().contains("hunter2"));
    let page = ann
        .fetch(ListCredentials {
            owner: "acme".into(),
            name: "shop".into(),
            after: None,
        })
        .await;
    assert!(page.can_export);
    for c in &page.items {
        assert!(c.last_exported_at.is_some(), "{c:?}");
        assert_eq!(c.last_exported_by.as_deref(), Some("ann"));
    }

    // Kubernetes: a Secret whose data is the same kind of file.
    let res = ann
        .send(ExportPullSecret {
            secret_name: "web-pull".into(),
            ..export("k8s", "30m")
        })
        .await;
    let secret: PullSecret = res.json().await.unwrap();
    assert_eq!(secret.file_name, "web-pull.yaml");
    let yaml = &secret.content;
    assert!(yaml.contains("kind: Secret\n"), "{yaml}");
    assert!(yaml.contains("  name: \"web-pull\"\n"), "{yaml}");
    assert!(
        yaml.contains("type: kubernetes.io/dockerconfigjson\n"),
        "{yaml}"
    );
    let data = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix(".dockerconfigjson: "))
        .unwrap();
    let inner = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let inner: serde_json::Value = serde_json::from_slice(&inner).unwrap();
    assert_eq!(
        inner["auths"]["registry.example.com:5000"]["password"],
        "hunter2"
    );

    // An expired pull-secret token is revoked at the next export.
    assert_eq!(pull_tokens(&app).await, 2);
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update access_token set expires_at = 1 where pull_secret"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    ann.run(export("", "")).await;
    assert_eq!(pull_tokens(&app).await, 1);
}

async fn only_admins_and_scoped_tokens_export_and_refusals_change_nothing(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, bob, dave, ..] = acme(&app).await;
    add(&ann, "ghcr.io", "octo", "hunter2").await;

    let bearer = |token: String, call: ExportPullSecret| {
        let app = &app;
        async move { app.send_bearer(call, &token).await }
    };
    // People: admins only, by session or by a token with the scope.
    let res = dave.send(export("", "")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        error_body(res)
            .await
            .to_string()
            .contains("needs the admin role"),
    );
    assert_eq!(
        bob.send(export("", "")).await.status(),
        StatusCode::FORBIDDEN
    );
    let no_scope = ann.personal_token("cli", &["credentials:write"], "").await;
    let res = bearer(no_scope, export("", "")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        error_body(res)
            .await
            .to_string()
            .contains("pull-secrets:export")
    );
    let scoped = ann
        .personal_token("deploy", &["pull-secrets:export"], "")
        .await;
    assert_eq!(
        bearer(scoped, export("", "")).await.status(),
        StatusCode::OK
    );

    // Project tokens: the scope is enough (a deploy pipeline), nothing less.
    let ci = ann
        .project_token(
            ("acme", "shop"),
            "ci",
            &["credentials:write", "registry:push"],
        )
        .await;
    assert_eq!(
        bearer(ci, export("", "")).await.status(),
        StatusCode::FORBIDDEN
    );
    let all = ann.project_token(("acme", "shop"), "old", &["all"]).await;
    assert_eq!(
        bearer(all, export("", "")).await.status(),
        StatusCode::FORBIDDEN,
        "a project token's `all` never included reading passwords"
    );
    let deploy = ann
        .project_token(("acme", "shop"), "deploy", &["pull-secrets:export"])
        .await;
    let res = bearer(deploy.clone(), export("", "")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let audit = app.audit_details("pull_secret.exported").await;
    assert_eq!(audit.len(), 2);
    let by: String = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select last_exported_by from registry_credential"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(by, "project token deploy");

    // The KCR token a token's export made dies with that token.
    let live_kcr = || async {
        app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
            "select count(*) from access_token t join access_token p on p.id = t.made_by_token
             where t.revoked_at is null and p.name = 'deploy' and p.kind = 'project'"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    assert_eq!(live_kcr().await, 1);
    let id = ann
        .fetch(ListProjectTokens {
            owner: "acme".into(),
            name: "shop".into(),
        })
        .await
        .tokens
        .into_iter()
        .find(|t| t.name == "deploy")
        .unwrap()
        .id;
    ann.run(app::api::tokens::RevokeProjectToken {
        owner: "acme".into(),
        name: "shop".into(),
        id,
    })
    .await;
    assert_eq!(live_kcr().await, 0);

    // Bad input: a clear error per field, and nothing written.
    let tokens_before = app.count("access_token").await;
    let res = ann
        .send(ExportPullSecret {
            secret_name: "Not_A_Name".into(),
            ..export("yaml", "2y")
        })
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = error_body(res).await.to_string();
    for field in ["format", "kcr_ttl", "secret_name"] {
        assert!(body.contains(field), "{field}: {body}");
    }
    assert_eq!(app.count("access_token").await, tokens_before);
    assert_eq!(app.audit_details("pull_secret.exported").await.len(), 2);

    // Another organization's admin sees no such project.
    let eve = app.sign_up("eve").await;
    eve.create_org("evil").await;
    assert_eq!(
        eve.send(export("", "")).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn exports_are_throttled_per_project(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    for _ in 0..app::server::rules::pull_secrets::EXPORTS_PER_HOUR {
        ann.run(export("", "")).await;
    }
    let res = ann.send(export("", "")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

async fn the_console_downloads_a_pull_secret_after_a_confirm_step(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, _bob, dave, ..] = acme(&app).await;
    add(&ann, "ghcr.io", "octo", "hunter2").await;

    let page = ann.page("/projects/acme/shop/pull-secret").await;
    assert!(page.contains("Download pull secret"), "{page}");
    assert!(page.contains("ghcr.io"));
    assert!(
        !page.contains("hunter2"),
        "the confirm page holds no password"
    );
    let credentials = ann.page("/projects/acme/shop/credentials").await;
    assert!(credentials.contains("/projects/acme/shop/pull-secret"));
    let dev_page = dave.page("/projects/acme/shop/credentials").await;
    assert!(!dev_page.contains("/pull-secret"), "no link for developers");

    let download = |cookie: &str, form: &[(&str, &str)]| {
        app.http
            .post(format!(
                "{}/projects/acme/shop/pull-secret/download",
                app.base
            ))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
    };
    let res = download(&ann.cookie, &[("format", "k8s"), ("kcr_ttl", "1h")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"acme-shop-pull.yaml\""
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.text().await.unwrap().contains("kind: Secret"));
    assert_eq!(app.audit_details("pull_secret.exported").await.len(), 1);

    // Refused: back to the confirm page with the reason; nothing exported.
    let res = download(&dave.cookie, &[("format", "k8s")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/projects/acme/shop/pull-secret?error="),
        "{location}"
    );
    let res = download(&ann.cookie, &[("kcr_ttl", "1y")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = ann.page(res.headers()["location"].to_str().unwrap()).await;
    assert!(
        back.contains("The KCR login lives between 5 minutes and 30 days."),
        "{back}"
    );
    // The page shows its own words for a code, never text from the link.
    let forged = ann
        .page("/projects/acme/shop/pull-secret?error=Call+0800+now")
        .await;
    assert!(!forged.contains("0800"), "{forged}");
    assert!(forged.contains("The download failed"), "{forged}");
    // A cross-site form post is refused before anything happens.
    let res = app
        .http
        .post(format!(
            "{}/projects/acme/shop/pull-secret/download",
            app.base
        ))
        .header("cookie", &ann.cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("format", "k8s")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audit_details("pull_secret.exported").await.len(), 1);

    // A credential exported lately gets a warning before it is deleted.
    let id = ann
        .fetch(ListCredentials {
            owner: "acme".into(),
            name: "shop".into(),
            after: None,
        })
        .await
        .items[0]
        .id
        .clone();
    let confirm = ann
        .page(&format!("/projects/acme/shop/credentials?delete={id}"))
        .await;
    assert!(confirm.contains("went out in a pull secret"), "{confirm}");
    assert!(confirm.contains("by ann"), "{confirm}");
}

async fn a_kcr_host_is_never_stored_and_never_exported_as_a_credential(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    let add_kcr = |server: &'static str| AddCredential {
        owner: "acme".into(),
        name: "shop".into(),
        registry: "other".into(),
        server: server.into(),
        username: "ann".into(),
        email: String::new(),
        password: PasswordInput::from("berth_pat_x".to_owned()),
        expires_on: String::new(),
    };
    for server in [KCR, "KCR.local.test:5000", "https://kcr.local.test:5000/"] {
        let res = ann.send(add_kcr(server)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{server}");
        let body = error_body(res).await;
        let message = body["detail"]["server"].as_str().unwrap_or_default();
        assert!(
            message.contains("Berth's own registry") && message.contains("Access tokens"),
            "{server}: {body}"
        );
    }
    assert_eq!(app.count("registry_credential").await, 0);

    // One stored before the refusal (made here by moving a credential onto the KCR host) can
    // be neither updated nor exported; the pull-only KCR login takes its place.
    let id = add(&ann, "ghcr.io", "octo", "old-kcr-password").await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update registry_credential set server = $1, registry_host = $1"
    )
    .bind(KCR)
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let res = ann
        .send(app::api::credentials::UpdateCredential {
            owner: "acme".into(),
            name: "shop".into(),
            id: id.clone(),
            username: "ann".into(),
            email: String::new(),
            password: PasswordInput::from("berth_pat_y".to_owned()),
            expires_on: String::new(),
        })
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let preview = ann
        .fetch(app::api::pull_secrets::PullSecretPreview {
            owner: "acme".into(),
            name: "shop".into(),
        })
        .await;
    assert!(preview.credentials.is_empty(), "{:?}", preview.credentials);
    assert_eq!(preview.left_out, [KCR]);
    let secret: PullSecret = ann.send(export("", "")).await.json().await.unwrap();
    assert!(secret.credential_ids.is_empty());
    assert!(!secret.content.contains("old-kcr-password"));
    let config: serde_json::Value = serde_json::from_str(&secret.content).unwrap();
    assert_eq!(
        config["auths"][KCR]["username"], "berth-pull-secret",
        "{config}"
    );
}

on_both!(
    a_kcr_host_is_never_stored_and_never_exported_as_a_credential,
    an_admin_exports_every_credential_and_a_pull_only_kcr_login,
    only_admins_and_scoped_tokens_export_and_refusals_change_nothing,
    exports_are_throttled_per_project,
    the_console_downloads_a_pull_secret_after_a_confirm_step,
);
