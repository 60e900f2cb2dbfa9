//! KCR push paths and the registry table, through the real pages and server functions.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, join_org, join_project, ok};
use crate::on_both;

/// ann owns `acme` with projects `web` and `api` in `local`; bob views `web`; eve is outside.
async fn setup(app: &TestApp) -> (String, String, String) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    ok(
        app,
        &ann,
        "create_org",
        &[("name", "acme"), ("display_name", "Acme")],
    )
    .await;
    join_org(app, &ann, "acme", "bob", &bob, "member").await;
    for name in ["web", "api"] {
        ok(
            app,
            &ann,
            "create_project",
            &[
                ("owner", "acme"),
                ("name", name),
                ("description", ""),
                ("region", "local"),
            ],
        )
        .await;
    }
    join_project(app, &ann, ("acme", "web"), "bob", &bob, "viewer").await;
    (ann, bob, eve)
}

async fn a_viewer_sees_the_commands_an_outsider_gets_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    let path = "/projects/acme/web/push-paths?image=team/cart&tag=1.2.3";

    let viewer = app.get(path, Some(&bob)).await;
    let outsider = app.get(path, Some(&eve)).await;

    assert_eq!(viewer.status(), StatusCode::OK);
    let html = viewer.text().await.unwrap();
    assert!(html.contains("This project"));
    assert!(html.contains("Every project in acme"));
    assert!(html.contains("docker push localhost:5000/acme/web/team/cart:1.2.3"));
    assert!(html.contains("docker push localhost:5000/acme/team/cart:1.2.3"));
    // bob views web only: the organization's other project is not named to him.
    assert!(html.contains("can pull it: web."), "{html}");
    assert!(
        !html.contains("api, web"),
        "a project bob cannot see is named"
    );
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let target: serde_json::Value = app
        .get("/api/push_target?owner=acme&name=web", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(target["target"]["host"], "localhost:5000");
    assert_eq!(target["org_projects"], serde_json::json!(["web"]));
    let owner_view: serde_json::Value = app
        .get("/api/push_target?owner=acme&name=web", Some(&ann))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        owner_view["org_projects"],
        serde_json::json!(["api", "web"])
    );
}

async fn an_invalid_image_shows_what_is_wrong_and_no_commands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;

    let html = app
        .get(
            "/projects/acme/web/push-paths?image=Team/Cart&tag=1",
            Some(&ann),
        )
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("Image: Use lowercase letters only."));
    assert!(!html.contains("docker push"));
}

async fn a_personal_project_has_only_its_own_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ok(
        &app,
        &ann,
        "create_project",
        &[
            ("owner", "ann"),
            ("name", "blog"),
            ("description", ""),
            ("region", "local"),
        ],
    )
    .await;

    let html = app
        .get("/projects/ann/blog/push-paths?image=site", Some(&ann))
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("docker push localhost:5000/ann/blog/site:latest"));
    assert!(!html.contains("Every project in"));
}

async fn the_registry_table_lists_my_organizations_per_region(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;

    let rows: serde_json::Value = app
        .get("/api/registry_table", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    let none: serde_json::Value = app
        .get("/api/registry_table", Some(&eve))
        .await
        .json()
        .await
        .unwrap();
    let page = app.get("/regions", Some(&ann)).await.text().await.unwrap();

    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["region"], "local");
    assert_eq!(rows[0]["organization"], "acme");
    assert_eq!(rows[0]["registry"], "localhost:5000/acme");
    assert_eq!(rows[0]["organization_id"].as_str().unwrap().len(), 36);
    assert_eq!(none, serde_json::json!([]));
    assert!(page.contains("CONTAINER REGISTRY") && page.contains("localhost:5000/acme"));
}

on_both!(
    a_viewer_sees_the_commands_an_outsider_gets_404,
    an_invalid_image_shows_what_is_wrong_and_no_commands,
    a_personal_project_has_only_its_own_path,
    the_registry_table_lists_my_organizations_per_region,
);
