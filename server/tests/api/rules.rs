//! The rules called directly, without HTTP: a `Cx` for a user, checked into a project, handed
//! to `server::rules::*` with input already read into domain types.

use app::domain::{
    credential::{CredentialChange, NewCredential},
    role::ProjectAction,
    secret::PasswordInput,
};
use app::error::AppError;
use app::server::{
    crypto::secrets,
    cx::{Cx, ProjectCx},
    db::{
        projects::{self, NewProject},
        users::{self, NewUser, User},
    },
    rules::credentials,
};

use crate::helpers::{Backend, TestApp, grant_project_role};
use crate::on_both;

/// An account `name`, made straight in the database.
async fn user(app: &TestApp, name: &str) -> User {
    let email = format!("{name}@example.com");
    users::create(
        &app.state.db,
        &NewUser {
            username: name,
            email: &email,
            display_name: name,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$unused$unused",
        },
    )
    .await
    .unwrap()
}

/// `owner`'s personal project `name`.
async fn project(app: &TestApp, owner: &User, name: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    projects::create(
        &mut tx,
        &NewProject {
            owner_name: &owner.username,
            org_id: None,
            name,
            description: "",
            region: "local",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn cx(app: &TestApp, user: &User) -> Cx {
    Cx::for_user(
        app.state.clone(),
        user.clone(),
        "192.0.2.1".parse().unwrap(),
    )
}

async fn in_project(
    app: &TestApp,
    user: &User,
    path: (&str, &str),
    action: ProjectAction,
) -> ProjectCx {
    cx(app, user)
        .in_project(path.0, path.1, action)
        .await
        .unwrap()
}

fn hub(username: &str, password: &str) -> NewCredential {
    NewCredential::parse(
        "docker_hub",
        "",
        username,
        "",
        PasswordInput::from(password),
        "",
    )
    .unwrap()
}

async fn adding_seals_the_password_and_audits_without_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = user(&app, "ann").await;
    project(&app, &ann, "web").await;
    let pcx = in_project(&app, &ann, ("ann", "web"), ProjectAction::ManageCredentials).await;

    let id = credentials::add(&pcx, hub("ann", "s3cret-token"))
        .await
        .unwrap();

    let page = credentials::list(&pcx, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, id.to_string());
    let (project, sealed) = app::server::db::credentials::sealed(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    let opened = secrets::open(&[&app.state.key], &sealed, id, project).unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&opened),
        "s3cret-token"
    );
    let details: String = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select details from audit_event where action = 'credential.added'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert!(
        details.contains("docker.io") && !details.contains("s3cret"),
        "{details}"
    );
}

async fn a_second_credential_for_one_host_conflicts_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = user(&app, "ann").await;
    project(&app, &ann, "web").await;
    let pcx = in_project(&app, &ann, ("ann", "web"), ProjectAction::ManageCredentials).await;
    let first = credentials::add(&pcx, hub("ann", "one")).await.unwrap();
    let other_spelling = NewCredential::parse(
        "other",
        "https://index.docker.io/v1/",
        "ann",
        "",
        "two".into(),
        "",
    )
    .unwrap();

    let err = credentials::add(&pcx, other_spelling).await.unwrap_err();

    assert_eq!(err.status(), 409);
    assert!(err.to_string().contains(&first.to_string()), "{err}");
    assert_eq!(app.count("registry_credential").await, 1);
    assert_eq!(app.count("audit_event").await, 1);
}

async fn a_blank_password_keeps_the_stored_one_and_delete_audits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = user(&app, "ann").await;
    project(&app, &ann, "web").await;
    let pcx = in_project(&app, &ann, ("ann", "web"), ProjectAction::ManageCredentials).await;
    let id = credentials::add(&pcx, hub("ann", "keep-me")).await.unwrap();

    let change =
        CredentialChange::parse("docker.io", "bob", "bob@example.com", "".into(), "").unwrap();
    credentials::update(&pcx, id, change).await.unwrap();

    let (project, sealed) = app::server::db::credentials::sealed(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    let opened = secrets::open(&[&app.state.key], &sealed, id, project).unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&opened), "keep-me");
    assert_eq!(
        credentials::list(&pcx, None).await.unwrap().items[0].username,
        "bob"
    );
    credentials::delete(&pcx, id).await.unwrap();
    assert_eq!(app.count("registry_credential").await, 0);
    assert_eq!(app.count("audit_event").await, 3);
}

async fn a_project_context_reaches_only_its_own_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = user(&app, "ann").await;
    let eve = user(&app, "eve").await;
    project(&app, &ann, "web").await;
    project(&app, &eve, "web").await;
    let anns = in_project(&app, &ann, ("ann", "web"), ProjectAction::ManageCredentials).await;
    let eves = in_project(&app, &eve, ("eve", "web"), ProjectAction::ManageCredentials).await;
    let id = credentials::add(&anns, hub("ann", "x")).await.unwrap();

    let err = credentials::delete(&eves, id).await.unwrap_err();

    assert_eq!(err.status(), 404);
    assert_eq!(app.count("registry_credential").await, 1);
}

async fn only_developers_and_admins_get_a_context_that_manages_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = user(&app, "ann").await;
    let vic = user(&app, "vic").await;
    let eve = user(&app, "eve").await;
    project(&app, &ann, "web").await;
    grant_project_role(&app, ("ann", "web"), "vic", "viewer").await;

    let viewer = cx(&app, &vic)
        .in_project("ann", "web", ProjectAction::ManageCredentials)
        .await
        .unwrap_err();
    let outsider = cx(&app, &eve)
        .in_project("ann", "web", ProjectAction::View)
        .await
        .unwrap_err();
    let nonsense = cx(&app, &ann)
        .in_project("Not A Name", "web", ProjectAction::View)
        .await
        .unwrap_err();

    assert!(matches!(viewer, AppError::Forbidden(m) if m.contains("developer")));
    assert_eq!(outsider.status(), 404);
    assert_eq!(nonsense.status(), 404);
}

on_both!(
    adding_seals_the_password_and_audits_without_it,
    a_second_credential_for_one_host_conflicts_and_stores_nothing,
    a_blank_password_keeps_the_stored_one_and_delete_audits,
    a_project_context_reaches_only_its_own_credentials,
    only_developers_and_admins_get_a_context_that_manages_credentials,
);
