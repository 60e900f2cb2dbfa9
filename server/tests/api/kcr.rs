//! KCR push paths and the registry table, through the real pages and server functions.

use app::api::kcr::{PushTarget, RegistryTable};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, User};
use crate::on_both;

/// ann owns `acme` with projects `web` and `api` in `local`; bob views `web`; eve is outside.
async fn setup(app: &TestApp) -> (User<'_>, User<'_>, User<'_>) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    ann.create_org("acme").await;
    bob.join_org(&ann, "acme", "member").await;
    for name in ["web", "api"] {
        ann.create_project("acme", name).await;
    }
    bob.join_project(&ann, ("acme", "web"), "viewer").await;
    (ann, bob, eve)
}

async fn a_viewer_sees_the_commands_an_outsider_gets_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    let path = "/projects/acme/web/push-paths?image=team/cart&tag=1.2.3";

    let html = bob.page(path).await;
    let outsider = eve.get(path).await;

    assert!(html.contains("This project"));
    assert!(html.contains("Every project in acme"));
    assert!(html.contains("docker push localhost:5000/acme/web/team/cart:1.2.3"));
    // `acme/team/cart` would be project team's: the organization path takes one-part names.
    assert!(!html.contains("localhost:5000/acme/team/cart"));
    assert!(html.contains("have one-part names"), "{html}");
    let one_part = bob
        .page("/projects/acme/web/push-paths?image=cart&tag=1.2.3")
        .await;
    assert!(one_part.contains("docker push localhost:5000/acme/cart:1.2.3"));
    assert!(!one_part.contains("have one-part names"));
    // bob views web only: the organization's other project is not named to him.
    assert!(html.contains("can pull it: web."), "{html}");
    assert!(
        !html.contains("api, web"),
        "a project bob cannot see is named"
    );
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let target = bob
        .fetch(PushTarget {
            owner: "acme".into(),
            name: "web".into(),
        })
        .await;
    assert_eq!(target.target.host, "localhost:5000");
    assert_eq!(target.org_projects, ["web"]);
    let owner_view = ann
        .fetch(PushTarget {
            owner: "acme".into(),
            name: "web".into(),
        })
        .await;
    assert_eq!(owner_view.org_projects, ["api", "web"]);
}

async fn an_invalid_image_shows_what_is_wrong_and_no_commands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;

    let html = ann
        .page("/projects/acme/web/push-paths?image=Team/Cart&tag=1")
        .await;

    assert!(html.contains("Image: Use lowercase letters only."));
    assert!(!html.contains("docker push"));
}

async fn a_personal_project_has_only_its_own_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "blog").await;

    let html = ann.page("/projects/ann/blog/push-paths?image=site").await;

    assert!(html.contains("docker push localhost:5000/ann/blog/site:latest"));
    assert!(!html.contains("Every project in"));
}

async fn the_registry_table_lists_my_organizations_per_region(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;

    let rows = bob.fetch(RegistryTable {}).await;
    let none = eve.fetch(RegistryTable {}).await;
    let page = ann.page("/regions").await;

    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].region, "local");
    assert_eq!(rows[0].organization, "acme");
    assert_eq!(rows[0].registry, "localhost:5000/acme");
    assert_eq!(rows[0].organization_id.len(), 36);
    assert!(none.is_empty(), "{none:?}");
    assert!(page.contains("Container registry") && page.contains("localhost:5000/acme"));
}

on_both!(
    a_viewer_sees_the_commands_an_outsider_gets_404,
    an_invalid_image_shows_what_is_wrong_and_no_commands,
    a_personal_project_has_only_its_own_path,
    the_registry_table_lists_my_organizations_per_region,
);
