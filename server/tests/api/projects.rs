//! Organization members and projects: the rules beyond who may call what (the matrix has
//! that): the last owner, names and regions, cascading access, the current project, the
//! audit log's pages.

use app::api::{
    audit::{OrgAuditLog, ProjectAuditLog},
    invitations::{AcceptInvitation, InviteOrgMember, InviteProjectMember},
    org_members::{ChangeOrgMemberRole, RemoveOrgMember},
    orgs::{DeleteOrg, GetOrg, SetOrgRegions},
    project_members::ChangeProjectMemberRole,
    projects::{
        CreateProject, DeleteProject, GetProject, ListProjects, SetCurrentProject, UpdateProject,
    },
};
use app::domain::{
    audit::AuditPage,
    role::{OrgRole, ProjectRole},
};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, User, decode, error_body, invitation_link};
use crate::on_both;

/// ann owns `acme`; bob is a member.
async fn org_with_two(app: &TestApp) -> (User<'_>, User<'_>) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    ann.create_org("acme").await;
    // By email: the invitation waits for whoever has the address, and bob has it.
    ann.invite_to_org("acme", "bob@example.com", "member").await;
    // An email invitation is accepted through the link ann was given.
    let (id, token) = invitation_link(&ann, "acme", "bob@example.com").await;
    bob.run(AcceptInvitation { id, token }).await;
    (ann, bob)
}

/// Project `owner/name` described as "A project", in region `region`.
fn project(owner: &str, name: &str, region: &str) -> CreateProject {
    CreateProject {
        owner: owner.into(),
        name: name.into(),
        description: "A project".into(),
        region: region.into(),
    }
}

/// A change of `username`'s role in `acme`.
fn org_role(username: &str, role: &str) -> ChangeOrgMemberRole {
    ChangeOrgMemberRole {
        org: "acme".into(),
        username: username.into(),
        role: role.into(),
    }
}

fn remove_from_acme(username: &str) -> RemoveOrgMember {
    RemoveOrgMember {
        org: "acme".into(),
        username: username.into(),
    }
}

fn get_project(owner: &str, name: &str) -> GetProject {
    GetProject {
        owner: owner.into(),
        name: name.into(),
    }
}

fn delete_org(confirm: &str) -> DeleteOrg {
    DeleteOrg {
        org: "acme".into(),
        confirm: confirm.into(),
    }
}

/// A page of `acme/shop`'s audit log.
async fn shop_log(ann: &User<'_>, before: Option<String>, action: Option<&str>) -> AuditPage {
    ann.fetch(ProjectAuditLog {
        owner: "acme".into(),
        name: "shop".into(),
        before,
        action: action.map(str::to_owned),
    })
    .await
}

async fn the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _) = org_with_two(&app).await;

    let demote = ann.send(org_role("ann", "admin")).await;
    let remove = ann.send(remove_from_acme("ann")).await;

    for (name, res) in [("demote", demote), ("remove", remove)] {
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
    let org = ann
        .fetch(GetOrg {
            name: "acme".into(),
        })
        .await;
    let first = &org.members[0];
    assert_eq!(
        (
            first.username.as_str(),
            first.display_name.as_str(),
            first.role
        ),
        ("ann", "User ann", OrgRole::Owner)
    );
}

async fn two_concurrent_demotions_of_the_last_two_owners_leave_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    ann.run(org_role("bob", "owner")).await;

    // Each owner demotes the other at the same moment; only one may win. The race is
    // repeated: a single round can miss the window in which two unguarded demotions overlap.
    for round in 0..25 {
        app::on_db!(&app.state.db, pool => sqlx::query("update org_member set role = 'owner'")
            .execute(pool)
            .await
            .map(drop))
        .unwrap();
        let (a, b) = tokio::join!(
            ann.send(org_role("bob", "member")),
            bob.send(org_role("ann", "member")),
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
    ann.run(org_role("bob", "admin")).await;
    app.sign_up("cid").await;

    let promote_self = bob.send(org_role("bob", "owner")).await;
    let demote_owner = bob.send(org_role("ann", "member")).await;
    let add_owner = bob
        .send(InviteOrgMember {
            org: "acme".into(),
            login: "cid".into(),
            role: "owner".into(),
        })
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
    let invite = |login: &str, role: &str| {
        ann.send(InviteOrgMember {
            org: "acme".into(),
            login: login.into(),
            role: role.into(),
        })
    };

    let unknown = invite("nobody", "member").await;
    let twice = invite("bob", "admin").await;
    let bad_role = invite("bob", "king").await;

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

    let created = ann.send(project("ann", "web", "local")).await;
    let duplicate = ann.send(project("ann", "web", "local")).await;
    let bad_name = ann.send(project("ann", "Web_Shop", "local")).await;
    let bad_region = ann.send(project("ann", "api", "mars")).await;
    let long_description = ann
        .send(CreateProject {
            description: "x".repeat(501),
            ..project("ann", "api", "local")
        })
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
    assert!(ann.fetch(ListProjects {}).await[0].is_current);
}

async fn someone_elses_personal_project_is_not_revealed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let eve = app.sign_up("eve").await;
    ann.create_project("ann", "web").await;

    let seen = eve.send(get_project("ann", "web")).await;
    let missing = eve.send(get_project("ann", "nope")).await;
    let under_ann = eve.send(project("ann", "evil", "local")).await;

    assert_eq!(seen.status(), StatusCode::NOT_FOUND);
    let (a, b) = (error_body(seen).await, error_body(missing).await);
    assert_eq!(a["detail"], "There is no project \"ann/web\" you can see.");
    assert_eq!(b["detail"], "There is no project \"ann/nope\" you can see.");
    assert_eq!(under_ann.status(), StatusCode::NOT_FOUND);
    assert!(eve.fetch(ListProjects {}).await.is_empty());
}

async fn leaving_an_org_ends_access_to_its_projects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    ann.run(project("acme", "web", "local")).await;
    bob.join_project(&ann, ("acme", "web"), "developer").await;
    assert_eq!(
        bob.fetch(ListProjects {}).await[0].role,
        ProjectRole::Developer
    );

    ann.run(remove_from_acme("bob")).await;

    assert!(bob.fetch(ListProjects {}).await.is_empty());
    let res = bob.send(get_project("acme", "web")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // An outsider invited by an owner joins the organization and the project with one
    // acceptance (the rules' tests cover who may).
    let cid = app.sign_up("cid").await;
    ann.run(InviteProjectMember {
        owner: "acme".into(),
        name: "web".into(),
        login: "cid".into(),
        role: "viewer".into(),
    })
    .await;
    let id = cid.invitation_id("acme/web").await;
    cid.run(AcceptInvitation {
        id,
        token: String::new(),
    })
    .await;
    assert_eq!(
        cid.fetch(get_project("acme", "web")).await.my_role,
        ProjectRole::Viewer
    );
    assert!(
        cid.send(GetOrg {
            name: "acme".into()
        })
        .await
        .status()
        .is_success()
    );
}

async fn regions_with_projects_stay_and_an_org_with_projects_cannot_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _) = org_with_two(&app).await;
    ann.run(project("acme", "web", "local")).await;

    let no_regions = ann
        .send(SetOrgRegions {
            org: "acme".into(),
            regions: Vec::new(),
        })
        .await;
    let delete = ann.send(delete_org("acme")).await;
    let wrong_confirm = ann.send(delete_org("acme-typo")).await;

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

    ann.run(DeleteProject {
        owner: "acme".into(),
        name: "web".into(),
        confirm: "web".into(),
    })
    .await;
    ann.run(delete_org("acme")).await;

    assert_eq!(app.count("organization").await, 0);
    assert_eq!(app.count("org_member").await, 0);
    // The name is free again.
    ann.create_org("acme").await;
}

async fn the_current_project_is_remembered_across_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    ann.create_project("ann", "api").await;

    ann.run(SetCurrentProject {
        project: "ann/api".into(),
    })
    .await;
    let again = app.session_of("ann").await;

    let current: Vec<String> = again
        .fetch(ListProjects {})
        .await
        .into_iter()
        .filter(|p| p.is_current)
        .map(|p| p.name)
        .collect();
    assert_eq!(current, ["api"]);
}

async fn renaming_keeps_members_and_the_audit_log_pages_by_fifty(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    ann.run(project("acme", "web", "local")).await;
    bob.join_project(&ann, ("acme", "web"), "developer").await;
    for i in 0..30 {
        let role = if i % 2 == 0 { "viewer" } else { "developer" };
        ann.run(ChangeProjectMemberRole {
            owner: "acme".into(),
            name: "web".into(),
            username: "bob".into(),
            role: role.into(),
        })
        .await;
    }
    let update = |new_name: &str, description: String| UpdateProject {
        owner: "acme".into(),
        name: "web".into(),
        new_name: new_name.into(),
        description,
    };
    for i in 0..30 {
        ann.run(update("web", format!("take {i}"))).await;
    }
    ann.run(update("shop", "renamed".into())).await;

    let project = ann.fetch(get_project("acme", "shop")).await;
    assert_eq!(project.members[0].username, "bob");
    // 1 created + 1 invited + 1 accepted + 30 role changes + 31 updates = 64 events.
    let first = shop_log(&ann, None, None).await;
    assert_eq!(first.entries.len(), 50);
    assert_eq!(first.entries[0].action, "project.updated");
    assert_eq!(first.entries[0].actor.as_deref(), Some("ann"));
    let second = shop_log(&ann, first.next.clone(), None).await;
    assert_eq!(second.entries.len(), 14);
    assert!(second.next.is_none());
    assert_eq!(second.entries[13].action, "project.created");
    let filtered = shop_log(&ann, None, Some("project.invitation_accepted")).await;
    assert_eq!(filtered.entries.len(), 1);
    assert_eq!(filtered.entries[0].actor.as_deref(), Some("bob"));
    // The organization's log holds its projects' changes as well as its own.
    let org_log = |before: Option<&str>| {
        ann.send(OrgAuditLog {
            org: "acme".into(),
            before: before.map(str::to_owned),
            action: None,
        })
    };
    let whole = decode::<OrgAuditLog>(org_log(None).await).await;
    assert_eq!(whole.entries.len(), 50);
    let bad_cursor = org_log(Some("nonsense")).await;
    assert_eq!(bad_cursor.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_project_page_is_read_only_for_viewers_and_hidden_from_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob) = org_with_two(&app).await;
    let eve = app.sign_up("eve").await;
    ann.run(project("acme", "web", "local")).await;
    bob.join_project(&ann, ("acme", "web"), "viewer").await;

    let admin_members = ann.page("/projects/acme/web/members").await;
    let admin_settings = ann.page("/projects/acme/web/settings").await;
    let viewer_overview = bob.page("/projects/acme/web").await;
    let viewer_members = bob.page("/projects/acme/web/members").await;
    let viewer_settings = bob.get("/projects/acme/web/settings").await;
    let outsider = eve.get("/projects/acme/web").await;

    assert!(admin_members.contains("Send invitation"));
    assert!(admin_settings.contains("Delete project"));
    assert!(viewer_overview.contains("You have the viewer role"));
    assert!(viewer_members.contains(r#"<td data-label="Username" class="font-mono">bob</td>"#));
    assert!(!viewer_members.contains("Send invitation"));
    // The viewer's menu has no Settings or Audit log, and the page itself refuses them.
    for section in [
        "/projects/acme/web/settings\"",
        "/projects/acme/web/audit\"",
    ] {
        assert!(admin_members.contains(section), "{section}");
        assert!(!viewer_overview.contains(section), "{section}");
    }
    assert_eq!(viewer_settings.status(), StatusCode::FORBIDDEN);
    assert!(
        !viewer_settings
            .text()
            .await
            .unwrap()
            .contains("Delete project")
    );
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    assert!(
        outsider
            .text()
            .await
            .unwrap()
            .contains("There is no project")
    );
    let list = bob.page("/projects").await;
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
