//! Regions and organizations: create, list, view; who sees what.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, error_body};
use crate::on_both;

async fn create_org(app: &TestApp, cookie: &str, name: &str) -> reqwest::Response {
    app.call(
        "create_org",
        &[
            ("name", name),
            ("display_name", &format!("The {name} team")),
        ],
        Some(cookie),
    )
    .await
}

async fn regions_default_to_the_local_registry_and_need_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    let anonymous = app.get("/api/list_regions", None).await;
    let signed_in = app.get("/api/list_regions", Some(&cookie)).await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let regions: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(
        regions,
        serde_json::json!([{ "name": "local", "display_name": "Local", "kcr_host": "localhost:5000" }])
    );
}

async fn creating_an_org_makes_the_caller_owner_and_redirects_to_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    let res = create_org(&app, &cookie, "acme").await;

    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let listed: serde_json::Value = app
        .get("/api/list_orgs", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{ "name": "acme", "display_name": "The acme team", "role": "owner" }])
    );
    let org: serde_json::Value = app
        .get("/api/get_org?name=acme", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["my_role"], "owner");
    assert_eq!(org["members"][0]["username"], "ann");
    assert_eq!(org["regions"][0]["name"], "local");
}

async fn creating_an_org_is_audited_in_the_same_transaction(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    create_org(&app, &cookie, "acme").await;

    let (action, target): (String, String) = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select action, target from audit_event"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        (action.as_str(), target.as_str()),
        ("organization.created", "acme")
    );
}

async fn an_org_name_taken_by_a_user_or_org_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;
    create_org(&app, &cookie, "acme").await;

    let same_as_user = create_org(&app, &cookie, "ann").await;
    let same_as_org = create_org(&app, &cookie, "acme").await;

    assert_eq!(same_as_user.status(), StatusCode::CONFLICT);
    assert!(error_body(same_as_user).await["detail"]["fields"]["name"].is_string());
    assert_eq!(same_as_org.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("organization").await, 1);
    assert_eq!(app.count("audit_event").await, 1);
}

async fn a_username_taken_by_an_org_cannot_sign_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;
    create_org(&app, &cookie, "acme").await;

    let res = app
        .call(
            "sign_up",
            &[
                ("email", "acme@example.com"),
                ("username", "acme"),
                ("display_name", "Not the org"),
                ("password", crate::helpers::PASSWORD),
            ],
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn bad_org_names_are_refused_on_their_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = app.sign_up("ann").await;

    for bad in ["Acme", "-acme", "admin", "a_b", ""] {
        let res = create_org(&app, &cookie, bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(
            error_body(res).await["detail"]["name"].is_string(),
            "{bad:?}"
        );
    }
    assert_eq!(app.count("organization").await, 0);
}

async fn outsiders_get_404_for_an_org_and_anonymous_callers_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.sign_up("ann").await;
    let outsider = app.sign_up("eve").await;
    create_org(&app, &owner, "acme").await;

    let hidden = app.get("/api/get_org?name=acme", Some(&outsider)).await;
    let missing = app.get("/api/get_org?name=nope", Some(&outsider)).await;
    let anonymous = app.get("/api/get_org?name=acme", None).await;
    let create_anonymous = app
        .call("create_org", &[("name", "x"), ("display_name", "X")], None)
        .await;

    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        error_body(hidden).await["detail"]
            .as_str()
            .map(|s| s.contains("acme")),
        Some(true)
    );
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(create_anonymous.status(), StatusCode::UNAUTHORIZED);
    let listed: serde_json::Value = app
        .get("/api/list_orgs", Some(&outsider))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, serde_json::json!([]));
}

async fn the_org_page_is_a_404_page_for_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.sign_up("ann").await;
    let outsider = app.sign_up("eve").await;
    create_org(&app, &owner, "acme").await;

    let page = app.get("/orgs/acme", Some(&outsider)).await;
    let own = app.get("/orgs/acme", Some(&owner)).await;

    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert_eq!(own.status(), StatusCode::OK);
    assert!(own.text().await.unwrap().contains("The acme team"));
}

on_both!(
    regions_default_to_the_local_registry_and_need_a_session,
    creating_an_org_makes_the_caller_owner_and_redirects_to_it,
    creating_an_org_is_audited_in_the_same_transaction,
    an_org_name_taken_by_a_user_or_org_is_a_conflict,
    a_username_taken_by_an_org_cannot_sign_up,
    bad_org_names_are_refused_on_their_field,
    outsiders_get_404_for_an_org_and_anonymous_callers_401,
    the_org_page_is_a_404_page_for_outsiders,
);
