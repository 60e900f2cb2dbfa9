//! Invitations: nobody joins an organization or a project without accepting; invitations
//! expire, can be declined and revoked, are answered only by their invitee, and an email
//! invitation tells nothing about which addresses have accounts.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, error_body, invitation_id, invitation_link, join_org, ok};
use crate::on_both;

async fn get_json(app: &TestApp, cookie: &str, path: &str) -> Value {
    let res = app.get(&format!("/api/{path}"), Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// ann owns `acme`; bob and eve have accounts of their own.
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
    (ann, bob, eve)
}

/// `admin` invites `login` to `acme` with `role`, and that must work.
async fn invite(app: &TestApp, admin: &str, login: &str, role: &str) {
    ok(
        app,
        admin,
        "invite_org_member",
        &[("org", "acme"), ("login", login), ("role", role)],
    )
    .await;
}

async fn audit_actions(app: &TestApp, ann: &str) -> Vec<String> {
    get_json(app, ann, "org_audit_log?org=acme").await["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_invitation_grants_nothing_until_it_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;

    invite(&app, &ann, "bob", "admin").await;

    // Invited, not yet a member: no access, not in bob's lists, but told on his pages.
    assert_eq!(
        get_json(&app, &bob, "list_orgs").await,
        serde_json::json!([])
    );
    let res = app.get("/api/get_org?name=acme", Some(&bob)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let home = app.get("/", Some(&bob)).await.text().await.unwrap();
    assert!(home.contains("Invitations"), "no badge: {home}");
    assert!(home.contains("Accept the invitation to acme"), "{home}");
    assert_eq!(app.whoami(&bob).await.unwrap()["pending_invitations"], 1);
    let pending = get_json(&app, &ann, "get_org?name=acme").await["invitations"].clone();
    assert_eq!(pending[0]["invitee"], "bob");
    assert_eq!(pending[0]["role"], "admin");

    let id = invitation_id(&app, &bob, "acme").await;
    ok(&app, &bob, "accept_invitation", &[("id", &id)]).await;

    assert_eq!(get_json(&app, &bob, "list_orgs").await[0]["role"], "admin");
    assert_eq!(
        get_json(&app, &bob, "my_invitations").await,
        serde_json::json!([])
    );
    assert_eq!(app.whoami(&bob).await.unwrap()["pending_invitations"], 0);
    assert_eq!(
        audit_actions(&app, &ann).await[..2],
        [
            "organization.invitation_accepted",
            "organization.member_invited"
        ]
    );
}

async fn declined_and_revoked_invitations_grant_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    for who in ["bob", "eve"] {
        invite(&app, &ann, who, "member").await;
    }
    let bobs = invitation_id(&app, &bob, "acme").await;
    let eves = invitation_id(&app, &eve, "acme").await;

    ok(&app, &bob, "decline_invitation", &[("id", &bobs)]).await;
    ok(&app, &ann, "revoke_invitation", &[("id", &eves)]).await;

    for (cookie, id) in [(&bob, &bobs), (&eve, &eves)] {
        let res = app
            .call("accept_invitation", &[("id", id)], Some(cookie))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            get_json(&app, cookie, "list_orgs").await,
            serde_json::json!([])
        );
    }
    assert_eq!(app.count("org_member").await, 1);
    assert_eq!(app.count("invitation").await, 0);
    let actions = audit_actions(&app, &ann).await;
    assert!(actions.contains(&"organization.invitation_declined".to_owned()));
    assert!(actions.contains(&"organization.invitation_revoked".to_owned()));
}

async fn only_the_invitee_can_answer_an_invitation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    invite(&app, &ann, "bob", "owner").await;
    let id = invitation_id(&app, &bob, "acme").await;

    let accept = app
        .call("accept_invitation", &[("id", &id)], Some(&eve))
        .await;
    let decline = app
        .call("decline_invitation", &[("id", &id)], Some(&eve))
        .await;
    let revoke = app
        .call("revoke_invitation", &[("id", &id)], Some(&eve))
        .await;

    for res in [accept, decline, revoke] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(
        get_json(&app, &eve, "list_orgs").await,
        serde_json::json!([])
    );
    assert_eq!(app.count("invitation").await, 1);
    assert_eq!(app.count("org_member").await, 1);
}

async fn an_email_invitation_says_the_same_whether_or_not_the_address_has_an_account(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;

    let known = app
        .call(
            "invite_org_member",
            &[
                ("org", "acme"),
                ("login", "bob@example.com"),
                ("role", "member"),
            ],
            Some(&ann),
        )
        .await;
    let unknown = app
        .call(
            "invite_org_member",
            &[
                ("org", "acme"),
                ("login", "newcomer@example.com"),
                ("role", "member"),
            ],
            Some(&ann),
        )
        .await;

    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    // The invitation waits for whoever signs up with that address, and the link ann passes on.
    let newcomer = app.sign_up("newcomer").await;
    let (id, token) =
        invitation_link(&app, &ann, "get_org?name=acme", "newcomer@example.com").await;
    ok(
        &app,
        &newcomer,
        "accept_invitation",
        &[("id", &id), ("token", &token)],
    )
    .await;
    assert_eq!(
        get_json(&app, &newcomer, "list_orgs").await[0]["name"],
        "acme"
    );
    // A username is public anyway (it is an image path segment): an unknown one is named.
    let nobody = app
        .call(
            "invite_org_member",
            &[("org", "acme"), ("login", "nobody"), ("role", "member")],
            Some(&ann),
        )
        .await;
    assert_eq!(nobody.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_invitation_expires_after_seven_days(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    invite(&app, &ann, "bob", "member").await;
    let id = invitation_id(&app, &bob, "acme").await;
    let expires: i64 = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select expires_at from invitation"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let week = time::OffsetDateTime::now_utc().unix_timestamp() + 7 * 86_400;
    assert!((week - 60..=week).contains(&expires), "{expires} vs {week}");

    // A week later.
    app::on_db!(&app.state.db, pool => sqlx::query("update invitation set expires_at = $1")
        .bind(time::OffsetDateTime::now_utc().unix_timestamp() - 1)
        .execute(pool)
        .await
        .map(drop))
    .unwrap();

    assert_eq!(
        get_json(&app, &bob, "my_invitations").await,
        serde_json::json!([])
    );
    let res = app
        .call("accept_invitation", &[("id", &id)], Some(&bob))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("org_member").await, 1);
    // An expired invitation does not block a new one.
    invite(&app, &ann, "bob", "member").await;
}

async fn a_pending_invitation_is_not_made_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;
    let attempt = || {
        app.call(
            "invite_org_member",
            &[("org", "acme"), ("login", "bob"), ("role", "member")],
            Some(&ann),
        )
    };

    assert_eq!(attempt().await.status(), StatusCode::OK);
    let again = attempt().await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        error_body(again).await["detail"]["fields"]["login"]
            .as_str()
            .unwrap()
            .contains("pending invitation")
    );
    assert_eq!(app.count("invitation").await, 1);
}

async fn an_organizations_project_takes_only_its_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    ok(
        &app,
        &ann,
        "create_project",
        &[
            ("owner", "acme"),
            ("name", "web"),
            ("description", ""),
            ("region", "local"),
        ],
    )
    .await;
    // By email the project invitation is made (the answer must not tell who has the address);
    // accepting it needs membership of the organization first.
    ok(
        &app,
        &ann,
        "invite_project_member",
        &[
            ("owner", "acme"),
            ("name", "web"),
            ("login", "eve@example.com"),
            ("role", "developer"),
        ],
    )
    .await;
    let (id, token) = invitation_link(
        &app,
        &ann,
        "get_project?owner=acme&name=web",
        "eve@example.com",
    )
    .await;
    let form = [("id", id.as_str()), ("token", token.as_str())];

    let early = app.call("accept_invitation", &form, Some(&eve)).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.get("/api/get_project?owner=acme&name=web", Some(&eve))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    join_org(&app, &ann, "acme", "eve", &eve, "member").await;
    ok(&app, &eve, "accept_invitation", &form).await;
    assert_eq!(
        get_json(&app, &eve, "get_project?owner=acme&name=web").await["my_role"],
        "developer"
    );
    // By username, a non-member is refused at once.
    let res = app
        .call(
            "invite_project_member",
            &[
                ("owner", "acme"),
                ("name", "web"),
                ("login", "bob"),
                ("role", "viewer"),
            ],
            Some(&ann),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    drop(bob);
}

async fn an_email_invitation_is_accepted_only_through_its_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;
    invite(&app, &ann, "newhire@example.com", "admin").await;
    // Berth does not prove addresses: anyone may sign up with the invited one.
    let claimer = app.sign_up_with("mallory", "newhire@example.com").await;
    let id = invitation_id(&app, &claimer, "acme").await;
    let (link_id, token) =
        invitation_link(&app, &ann, "get_org?name=acme", "newhire@example.com").await;
    assert_eq!(id, link_id);

    let bare = app
        .call("accept_invitation", &[("id", &id)], Some(&claimer))
        .await;
    let forged = app
        .call(
            "accept_invitation",
            &[("id", &id), ("token", &"0".repeat(64))],
            Some(&claimer),
        )
        .await;
    let peek = app
        .get(
            &format!("/api/get_invitation?id={id}&token={}", "0".repeat(64)),
            Some(&claimer),
        )
        .await;

    let void = app
        .call("decline_invitation", &[("id", &id)], Some(&claimer))
        .await;

    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        void.status(),
        StatusCode::FORBIDDEN,
        "declined without the link"
    );
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("org_member").await, 1);
    // The link shows the invitation, and accepts it.
    let shown = get_json(
        &app,
        &claimer,
        &format!("get_invitation?id={id}&token={token}"),
    )
    .await;
    assert_eq!(shown["role"], "admin");
    let page = app
        .get(
            &format!("/invitation?id={id}&token={token}"),
            Some(&claimer),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("invites you to join the") && page.contains("name=\"token\""),
        "{page}"
    );
    ok(
        &app,
        &claimer,
        "accept_invitation",
        &[("id", &id), ("token", &token)],
    )
    .await;
    assert_eq!(app.count("org_member").await, 2);
}

async fn an_invitation_holds_only_while_its_sender_may_invite(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    join_org(&app, &ann, "acme", "bob", &bob, "admin").await;
    invite(&app, &bob, "eve", "admin").await;
    let id = invitation_id(&app, &eve, "acme").await;

    // bob is demoted before eve answers.
    ok(
        &app,
        &ann,
        "change_org_member_role",
        &[("org", "acme"), ("username", "bob"), ("role", "member")],
    )
    .await;
    let res = app
        .call("accept_invitation", &[("id", &id)], Some(&eve))
        .await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        error_body(res).await["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("no longer holds")
    );
    assert_eq!(
        get_json(&app, &eve, "list_orgs").await,
        serde_json::json!([])
    );
}

async fn leaving_takes_pending_invitations_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    join_org(&app, &ann, "acme", "bob", &bob, "admin").await;
    invite(&app, &bob, "eve", "member").await;
    invite(&app, &ann, "bob@example.com", "owner").await;
    assert_eq!(app.count("invitation").await, 2);

    ok(
        &app,
        &ann,
        "remove_org_member",
        &[("org", "acme"), ("username", "bob")],
    )
    .await;

    assert_eq!(app.count("invitation").await, 0);
}

async fn accepting_as_a_member_already_keeps_the_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    join_org(&app, &ann, "acme", "bob", &bob, "admin").await;
    // An email invitation cannot tell whether its address is a member's.
    invite(&app, &ann, "bob@example.com", "member").await;
    let (id, token) = invitation_link(&app, &ann, "get_org?name=acme", "bob@example.com").await;

    ok(
        &app,
        &bob,
        "accept_invitation",
        &[("id", &id), ("token", &token)],
    )
    .await;

    assert_eq!(get_json(&app, &bob, "list_orgs").await[0]["role"], "admin");
    assert_eq!(app.count("invitation").await, 0);
    let log = get_json(&app, &ann, "org_audit_log?org=acme").await;
    assert!(
        log["entries"][0]["details"]
            .as_str()
            .unwrap()
            .contains("already a member"),
        "{log}"
    );
}

async fn only_those_who_may_invite_owners_see_an_owner_invitations_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    join_org(&app, &ann, "acme", "bob", &bob, "admin").await;

    invite(&app, &ann, "boss@example.com", "owner").await;
    invite(&app, &ann, "staff@example.com", "member").await;

    let links = |view: Value| -> Vec<(String, bool)> {
        view["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["invitee"].as_str().unwrap().to_owned(),
                    i["link"].is_string(),
                )
            })
            .collect()
    };
    let as_owner = links(get_json(&app, &ann, "get_org?name=acme").await);
    let as_admin = links(get_json(&app, &bob, "get_org?name=acme").await);
    assert!(
        as_owner.contains(&("boss@example.com".into(), true)),
        "{as_owner:?}"
    );
    // An admin could accept an owner invitation under a second account with that address.
    assert!(
        as_admin.contains(&("boss@example.com".into(), false)),
        "{as_admin:?}"
    );
    assert!(
        as_admin.contains(&("staff@example.com".into(), true)),
        "{as_admin:?}"
    );
}

on_both!(
    an_email_invitation_is_accepted_only_through_its_link,
    an_invitation_holds_only_while_its_sender_may_invite,
    leaving_takes_pending_invitations_both_ways,
    accepting_as_a_member_already_keeps_the_role,
    only_those_who_may_invite_owners_see_an_owner_invitations_link,
    an_invitation_grants_nothing_until_it_is_accepted,
    declined_and_revoked_invitations_grant_nothing,
    only_the_invitee_can_answer_an_invitation,
    an_email_invitation_says_the_same_whether_or_not_the_address_has_an_account,
    an_invitation_expires_after_seven_days,
    a_pending_invitation_is_not_made_twice,
    an_organizations_project_takes_only_its_members,
);
