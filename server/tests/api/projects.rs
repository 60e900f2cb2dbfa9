//! Organization members and projects: the rules beyond who may call what (the matrix has
//! that): the last owner, names and regions, cascading access, the current project, the
//! audit log's pages.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, PASSWORD, TestApp, error_body, invitation_link, join_project, ok, session_cookie,
};
use crate::on_both;

async fn get_json(app: &TestApp, cookie: &str, path: &str) -> Value {
    let res = app.get(&format!("/api/{path}"), Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// ann owns `acme`; bob is a member.
async fn org_with_two(app: &TestApp) -> (String, String) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    ok(
        app,
        &ann,
        "create_org",
        &[("name", "acme"), ("display_name", "Acme")],
    )
    .await;
    // By email: the invitation waits for whoever has the address, and bob has it.
    ok(
        app,
        &ann,
        "invite_org_member",
        &[
            ("org", "acme"),
            ("login", "bob@example.com"),
            ("role", "member"),
        ],
    )
    .await;
    // An email invitation is accepted through the link ann was given.
    let (id, token) = invitation_link(app, &ann, "get_org?name=acme", "bob@example.com").await;
    ok(
        app,
        &bob,
        "accept_invitation",
        &[("id", &id), ("token", &token)],
    )
    .await;
    (ann, bob)
}

async fn create_project(app: &TestApp, cookie: &str, owner: &str, name: &str) -> reqwest::Response {
    app.call(
        "create_project",
        &[
            ("owner", owner),
            ("name", name),
            ("description", "A project"),
            ("region", "local"),
        ],
        Some(cookie),
    )
    .await
}

async fn the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _) = org_with_two(&app).await;

    for (name, form) in [
        (
            "change_org_member_role",
            vec![("org", "acme"), ("username", "ann"), ("role", "admin")],
        ),
        (
            "remove_org_member",
            vec![("org", "acme"), ("username", "ann")],
        ),
    ] {
        let res = app.call(name, &form, Some(&ann)).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{name}");
        let body = error_body(res).await;
        assert!(
            body["detail"]["message"]
                .as_str()
                .unwrap()
                .contains("at least one owner"),
            "{body}"
        );
    }
    let org = get_json(&app, &ann, "get_org?name=acme").await;
    assert_eq!(
        org["members"][0],
        json!({"username": "ann", "display_name": "User ann", "role": "owner"})
    );
}

async fn two_concurrent_demotions_of_the_last_two_owners_leave_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    ok(
        &app,
        &ann,
        "change_org_member_role",
        &[("org", "acme"), ("username", "bob"), ("role", "owner")],
    )
    .await;

    // Each owner demotes the other at the same moment; only one may win. The race is
    // repeated: a single round can miss the window in which two unguarded demotions overlap.
    for round in 0..25 {
        app::on_db!(&app.state.db, pool => sqlx::query("update org_member set role = 'owner'")
            .execute(pool)
            .await
            .map(drop))
        .unwrap();
        let (a, b) = tokio::join!(
            app.call(
                "change_org_member_role",
                &[("org", "acme"), ("username", "bob"), ("role", "member")],
                Some(&ann)
            ),
            app.call(
                "change_org_member_role",
                &[("org", "acme"), ("username", "ann"), ("role", "member")],
                Some(&bob)
            ),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        // The loser either sees the last-owner conflict or, demoted first, no longer has the role.
        assert!(
            statuses == [200, 403] || statuses == [200, 409],
            "round {round}: {statuses:?}"
        );
        let owners: i64 = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
            "select count(*) from org_member where role = 'owner'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(owners, 1, "round {round}");
    }
}

async fn only_owners_touch_the_owner_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    ok(
        &app,
        &ann,
        "change_org_member_role",
        &[("org", "acme"), ("username", "bob"), ("role", "admin")],
    )
    .await;
    app.sign_up("cid").await;

    let promote_self = app
        .call(
            "change_org_member_role",
            &[("org", "acme"), ("username", "bob"), ("role", "owner")],
            Some(&bob),
        )
        .await;
    let demote_owner = app
        .call(
            "change_org_member_role",
            &[("org", "acme"), ("username", "ann"), ("role", "member")],
            Some(&bob),
        )
        .await;
    let add_owner = app
        .call(
            "invite_org_member",
            &[("org", "acme"), ("login", "cid"), ("role", "owner")],
            Some(&bob),
        )
        .await;

    for res in [promote_self, demote_owner, add_owner] {
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let body = error_body(res).await;
        assert_eq!(
            body["detail"],
            "This needs the owner role in the organization."
        );
    }
}

async fn inviting_a_member_says_what_is_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _) = org_with_two(&app).await;

    let unknown = app
        .call(
            "invite_org_member",
            &[("org", "acme"), ("login", "nobody"), ("role", "member")],
            Some(&ann),
        )
        .await;
    let twice = app
        .call(
            "invite_org_member",
            &[("org", "acme"), ("login", "bob"), ("role", "admin")],
            Some(&ann),
        )
        .await;
    let bad_role = app
        .call(
            "invite_org_member",
            &[("org", "acme"), ("login", "bob"), ("role", "king")],
            Some(&ann),
        )
        .await;

    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(unknown).await["detail"]["login"],
        "No account has the username \"nobody\"."
    );
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert_eq!(bad_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(bad_role).await["detail"]["role"],
        "Choose owner, admin or member."
    );
    assert_eq!(app.count("org_member").await, 2);
    assert_eq!(app.count("invitation").await, 0);
}

async fn projects_follow_the_name_and_region_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let created = create_project(&app, &ann, "ann", "web").await;
    let duplicate = create_project(&app, &ann, "ann", "web").await;
    let bad_name = create_project(&app, &ann, "ann", "Web_Shop").await;
    let bad_region = app
        .call(
            "create_project",
            &[
                ("owner", "ann"),
                ("name", "api"),
                ("description", ""),
                ("region", "mars"),
            ],
            Some(&ann),
        )
        .await;
    let long_description = app
        .call(
            "create_project",
            &[
                ("owner", "ann"),
                ("name", "api"),
                ("description", &"x".repeat(501)),
                ("region", "local"),
            ],
            Some(&ann),
        )
        .await;

    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    assert_eq!(
        error_body(duplicate).await["detail"]["fields"]["name"],
        "ann already has a project called \"web\"."
    );
    assert_eq!(bad_name.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(bad_name).await["detail"]["name"],
        "Use lowercase letters only."
    );
    assert_eq!(bad_region.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_body(bad_region).await["detail"]["region"]
            .as_str()
            .unwrap()
            .contains("\"mars\" is not a region ann allows")
    );
    assert_eq!(long_description.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("project").await, 1);
    // The first project became the current one.
    let list = get_json(&app, &ann, "list_projects").await;
    assert_eq!(list[0]["is_current"], true);
}

async fn someone_elses_personal_project_is_not_revealed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let eve = app.sign_up("eve").await;
    create_project(&app, &ann, "ann", "web").await;

    let seen = app
        .get("/api/get_project?owner=ann&name=web", Some(&eve))
        .await;
    let missing = app
        .get("/api/get_project?owner=ann&name=nope", Some(&eve))
        .await;
    let under_ann = create_project(&app, &eve, "ann", "evil").await;

    assert_eq!(seen.status(), StatusCode::NOT_FOUND);
    let (a, b) = (error_body(seen).await, error_body(missing).await);
    assert_eq!(a["detail"], "There is no project \"ann/web\" you can see.");
    assert_eq!(b["detail"], "There is no project \"ann/nope\" you can see.");
    assert_eq!(under_ann.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_json(&app, &eve, "list_projects").await, json!([]));
}

async fn leaving_an_org_ends_access_to_its_projects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    assert_eq!(
        create_project(&app, &ann, "acme", "web").await.status(),
        StatusCode::OK
    );
    join_project(&app, &ann, ("acme", "web"), "bob", &bob, "developer").await;
    assert_eq!(
        get_json(&app, &bob, "list_projects").await[0]["role"],
        "developer"
    );

    ok(
        &app,
        &ann,
        "remove_org_member",
        &[("org", "acme"), ("username", "bob")],
    )
    .await;

    assert_eq!(get_json(&app, &bob, "list_projects").await, json!([]));
    let res = app
        .get("/api/get_project?owner=acme&name=web", Some(&bob))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Only members of the organization join its projects.
    let outsider = app.sign_up("cid").await;
    drop(outsider);
    let res = app
        .call(
            "invite_project_member",
            &[
                ("owner", "acme"),
                ("name", "web"),
                ("login", "cid"),
                ("role", "viewer"),
            ],
            Some(&ann),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_body(res).await["detail"]["login"]
            .as_str()
            .unwrap()
            .contains("not a member of acme")
    );
}

async fn regions_with_projects_stay_and_an_org_with_projects_cannot_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _) = org_with_two(&app).await;
    create_project(&app, &ann, "acme", "web").await;

    let no_regions = app
        .call("set_org_regions", &[("org", "acme")], Some(&ann))
        .await;
    let delete = app
        .call(
            "delete_org",
            &[("org", "acme"), ("confirm", "acme")],
            Some(&ann),
        )
        .await;
    let wrong_confirm = app
        .call(
            "delete_org",
            &[("org", "acme"), ("confirm", "acme-typo")],
            Some(&ann),
        )
        .await;

    assert!(
        [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::BAD_REQUEST].contains(&no_regions.status()),
        "{}",
        no_regions.status()
    );
    assert_eq!(delete.status(), StatusCode::CONFLICT);
    assert!(
        error_body(delete).await["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("still has 1 project(s): web")
    );
    assert_eq!(wrong_confirm.status(), StatusCode::UNPROCESSABLE_ENTITY);

    ok(
        &app,
        &ann,
        "delete_project",
        &[("owner", "acme"), ("name", "web"), ("confirm", "web")],
    )
    .await;
    ok(
        &app,
        &ann,
        "delete_org",
        &[("org", "acme"), ("confirm", "acme")],
    )
    .await;

    assert_eq!(app.count("organization").await, 0);
    assert_eq!(app.count("org_member").await, 0);
    // The name is free again.
    ok(
        &app,
        &ann,
        "create_org",
        &[("name", "acme"), ("display_name", "Acme again")],
    )
    .await;
}

async fn the_current_project_is_remembered_across_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    create_project(&app, &ann, "ann", "web").await;
    create_project(&app, &ann, "ann", "api").await;

    ok(&app, &ann, "set_current_project", &[("project", "ann/api")]).await;
    let again = session_cookie(app.sign_in("ann", PASSWORD).await.headers()).unwrap();

    let list = get_json(&app, &again, "list_projects").await;
    let current: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_current"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(current, ["api"]);
}

async fn renaming_keeps_members_and_the_audit_log_pages_by_fifty(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    create_project(&app, &ann, "acme", "web").await;
    join_project(&app, &ann, ("acme", "web"), "bob", &bob, "developer").await;
    for i in 0..30 {
        let role = if i % 2 == 0 { "viewer" } else { "developer" };
        ok(
            &app,
            &ann,
            "change_project_member_role",
            &[
                ("owner", "acme"),
                ("name", "web"),
                ("username", "bob"),
                ("role", role),
            ],
        )
        .await;
    }
    for i in 0..30 {
        let description = format!("take {i}");
        ok(
            &app,
            &ann,
            "update_project",
            &[
                ("owner", "acme"),
                ("name", "web"),
                ("new_name", "web"),
                ("description", &description),
            ],
        )
        .await;
    }
    ok(
        &app,
        &ann,
        "update_project",
        &[
            ("owner", "acme"),
            ("name", "web"),
            ("new_name", "shop"),
            ("description", "renamed"),
        ],
    )
    .await;

    let project = get_json(&app, &ann, "get_project?owner=acme&name=shop").await;
    assert_eq!(project["members"][0]["username"], "bob");
    // 1 created + 1 invited + 1 accepted + 30 role changes + 31 updates = 64 events.
    let first = get_json(&app, &ann, "project_audit_log?owner=acme&name=shop").await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    assert_eq!(first["entries"][0]["action"], "project.updated");
    assert_eq!(first["entries"][0]["actor"], "ann");
    let next = first["next"].as_str().unwrap();
    let second = get_json(
        &app,
        &ann,
        &format!("project_audit_log?owner=acme&name=shop&before={next}"),
    )
    .await;
    assert_eq!(second["entries"].as_array().unwrap().len(), 14);
    assert!(second["next"].is_null());
    assert_eq!(second["entries"][13]["action"], "project.created");
    let filtered = get_json(
        &app,
        &ann,
        "project_audit_log?owner=acme&name=shop&action=project.invitation_accepted",
    )
    .await;
    assert_eq!(filtered["entries"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["entries"][0]["actor"], "bob");
    // The organization's log holds its projects' changes as well as its own.
    let org_log = get_json(&app, &ann, "org_audit_log?org=acme").await;
    assert_eq!(org_log["entries"].as_array().unwrap().len(), 50);
    let bad_cursor = app
        .get("/api/org_audit_log?org=acme&before=nonsense", Some(&ann))
        .await;
    assert_eq!(bad_cursor.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_project_page_is_read_only_for_viewers_and_hidden_from_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    let eve = app.sign_up("eve").await;
    create_project(&app, &ann, "acme", "web").await;
    join_project(&app, &ann, ("acme", "web"), "bob", &bob, "viewer").await;

    let as_admin = app
        .get("/projects/acme/web", Some(&ann))
        .await
        .text()
        .await
        .unwrap();
    let as_viewer = app
        .get("/projects/acme/web", Some(&bob))
        .await
        .text()
        .await
        .unwrap();
    let outsider = app.get("/projects/acme/web", Some(&eve)).await;

    assert!(as_admin.contains("Send invitation") && as_admin.contains("Delete project"));
    assert!(as_viewer.contains("You have the viewer role"));
    assert!(!as_viewer.contains("Send invitation") && !as_viewer.contains("Delete project"));
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    assert!(
        outsider
            .text()
            .await
            .unwrap()
            .contains("There is no project")
    );
    let list = app.get("/projects", Some(&bob)).await.text().await.unwrap();
    assert!(list.contains("/projects/acme/web"));
}

on_both!(
    the_project_page_is_read_only_for_viewers_and_hidden_from_outsiders,
    the_last_owner_can_be_neither_demoted_nor_removed_nor_leave,
    two_concurrent_demotions_of_the_last_two_owners_leave_one,
    only_owners_touch_the_owner_role,
    inviting_a_member_says_what_is_wrong,
    projects_follow_the_name_and_region_rules,
    someone_elses_personal_project_is_not_revealed,
    leaving_an_org_ends_access_to_its_projects,
    regions_with_projects_stay_and_an_org_with_projects_cannot_be_deleted,
    the_current_project_is_remembered_across_sessions,
    renaming_keeps_members_and_the_audit_log_pages_by_fifty,
);
