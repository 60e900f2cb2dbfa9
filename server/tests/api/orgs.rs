//! Regions and organizations: create, list, view; who sees what.

use app::api::{
    auth::SignUp,
    orgs::{CreateOrg, GetOrg, ListOrgs, ListRegions, UpdateOrg},
};
use app::domain::role::OrgRole;
use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestApp, User, error_body};
use crate::on_both;

/// The arguments that create organization `name` with display name "The `name` team".
fn team(name: &str) -> CreateOrg {
    CreateOrg {
        name: name.into(),
        display_name: format!("The {name} team"),
    }
}

async fn regions_default_to_the_local_registry_and_need_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let anonymous = app.send(ListRegions {}, None).await;
    let regions = ann.json(ListRegions {}).await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        regions,
        serde_json::json!([{ "name": "local", "display_name": "Local", "kcr_host": "localhost:5000" }])
    );
}

async fn creating_an_org_makes_the_caller_owner_and_redirects_to_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let res = ann.send(team("acme")).await;

    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let listed = ann.json(ListOrgs {}).await;
    assert_eq!(
        listed,
        serde_json::json!([{ "name": "acme", "display_name": "The acme team", "role": "owner" }])
    );
    let org = ann
        .fetch(GetOrg {
            name: "acme".into(),
        })
        .await;
    assert_eq!(org.my_role, OrgRole::Owner);
    assert_eq!(org.members[0].username, "ann");
    assert_eq!(org.regions[0].name, "local");
}

async fn creating_an_org_is_audited_in_the_same_transaction(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    ann.run(team("acme")).await;

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
    let ann = app.sign_up("ann").await;
    ann.run(team("acme")).await;

    let same_as_user = ann.send(team("ann")).await;
    let same_as_org = ann.send(team("acme")).await;

    assert_eq!(same_as_user.status(), StatusCode::CONFLICT);
    assert!(error_body(same_as_user).await["detail"]["fields"]["name"].is_string());
    assert_eq!(same_as_org.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("organization").await, 1);
    assert_eq!(app.count("audit_event").await, 1);
}

async fn a_username_taken_by_an_org_cannot_sign_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.run(team("acme")).await;

    let res = app
        .send(
            SignUp {
                email: "acme@example.com".into(),
                username: "acme".into(),
                display_name: "Not the org".into(),
                password: PASSWORD.into(),
            },
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn bad_org_names_are_refused_on_their_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    for bad in ["Acme", "-acme", "admin", "a_b", ""] {
        let res = ann.send(team(bad)).await;
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
    owner.run(team("acme")).await;

    let hidden = outsider
        .send(GetOrg {
            name: "acme".into(),
        })
        .await;
    let missing = outsider
        .send(GetOrg {
            name: "nope".into(),
        })
        .await;
    let anonymous = app
        .send(
            GetOrg {
                name: "acme".into(),
            },
            None,
        )
        .await;
    let create_anonymous = app
        .send(
            CreateOrg {
                name: "x".into(),
                display_name: "X".into(),
            },
            None,
        )
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
    let listed = outsider.json(ListOrgs {}).await;
    assert_eq!(listed, serde_json::json!([]));
}

async fn the_org_page_is_a_404_page_for_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.sign_up("ann").await;
    let outsider = app.sign_up("eve").await;
    owner.run(team("acme")).await;

    let page = outsider.get("/orgs/acme").await;
    let own = owner.page("/orgs/acme").await;

    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(own.contains("The acme team"));
}

/// The organization acme's display name, as `user` sees it.
async fn shown(user: &User<'_>) -> String {
    user.fetch(GetOrg {
        name: "acme".into(),
    })
    .await
    .display_name
}

async fn display_names_are_optional_and_admins_rename_the_org(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    ann.run(CreateOrg {
        name: "acme".into(),
        display_name: "   ".into(),
    })
    .await;
    bob.join_org(&ann, "acme", "member").await;
    let rename = |display_name: &str| UpdateOrg {
        org: "acme".into(),
        display_name: display_name.into(),
    };

    // Blank at creation means the organization's name.
    assert_eq!(shown(&ann).await, "acme");
    ann.run(rename("  Acme Corp ")).await;
    assert_eq!(shown(&bob).await, "Acme Corp");

    // Bad input is named and changes nothing; a member may not rename.
    let bad = ann.send(rename("Acme\u{202E}pr0C")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_body(bad).await["detail"]["display_name"].is_string());
    let refused = bob.send(rename("Bob's")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(shown(&ann).await, "Acme Corp");

    // Blank again means the name; every rename is in the log, before and after.
    ann.run(rename("")).await;
    assert_eq!(shown(&ann).await, "acme");
    let renames: Vec<(String,)> = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select details from audit_event where action = 'organization.renamed' order by id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let renames: Vec<serde_json::Value> = renames
        .iter()
        .map(|(d,)| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(renames.len(), 2);
    assert_eq!(renames[0]["before"]["display_name"], "acme");
    assert_eq!(renames[0]["after"]["display_name"], "Acme Corp");
    assert_eq!(renames[1]["after"]["display_name"], "acme");
}

on_both!(
    display_names_are_optional_and_admins_rename_the_org,
    regions_default_to_the_local_registry_and_need_a_session,
    creating_an_org_makes_the_caller_owner_and_redirects_to_it,
    creating_an_org_is_audited_in_the_same_transaction,
    an_org_name_taken_by_a_user_or_org_is_a_conflict,
    a_username_taken_by_an_org_cannot_sign_up,
    bad_org_names_are_refused_on_their_field,
    outsiders_get_404_for_an_org_and_anonymous_callers_401,
    the_org_page_is_a_404_page_for_outsiders,
);
