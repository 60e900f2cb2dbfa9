//! Invitations: nobody joins an organization or a project without accepting; invitations
//! expire, can be declined and revoked, are answered only by their invitee, and an email
//! invitation tells nothing about which addresses have accounts.

use app::api::{
    audit::OrgAuditLog,
    invitations::{
        AcceptInvitation, DeclineInvitation, GetInvitation, InviteOrgMember, MyInvitations,
        RevokeInvitation,
    },
    org_members::{ChangeOrgMemberRole, RemoveOrgMember},
    orgs::{GetOrg, ListOrgs},
    projects::GetProject,
};
use app::domain::role::{OrgRole, ProjectRole};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, User, error_body, invitation_link};
use crate::on_both;

/// ann owns `acme`; bob and eve have accounts of their own.
async fn setup(app: &TestApp) -> (User<'_>, User<'_>, User<'_>) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    ann.create_org("acme").await;
    (ann, bob, eve)
}

/// An invitation to `acme` of `login` (a username or an email address).
fn invitation(login: &str, role: &str) -> InviteOrgMember {
    InviteOrgMember {
        org: "acme".into(),
        login: login.into(),
        role: role.into(),
    }
}

/// The answer to invitation `id`, with the token of its link (empty without one).
fn accept(id: &str, token: &str) -> AcceptInvitation {
    AcceptInvitation {
        id: id.into(),
        token: token.into(),
    }
}

fn decline(id: &str) -> DeclineInvitation {
    DeclineInvitation {
        id: id.into(),
        token: String::new(),
    }
}

fn acme() -> GetOrg {
    GetOrg {
        name: "acme".into(),
    }
}

fn acme_web() -> GetProject {
    GetProject {
        owner: "acme".into(),
        name: "web".into(),
    }
}

/// The organizations `user` belongs to, as `(name, role)`.
async fn orgs_of(user: &User<'_>) -> Vec<(String, OrgRole)> {
    user.fetch(ListOrgs {})
        .await
        .into_iter()
        .map(|o| (o.name, o.role))
        .collect()
}

/// The pending invitations of `acme` as `user` sees them: (invitee, whether the link is shown).
async fn links(user: &User<'_>) -> Vec<(String, bool)> {
    user.fetch(acme())
        .await
        .invitations
        .into_iter()
        .map(|i| (i.invitee, i.link.is_some()))
        .collect()
}

/// `acme`'s audit log, newest first, as `(action, details)`.
async fn audit_log(ann: &User<'_>) -> Vec<(String, String)> {
    ann.fetch(OrgAuditLog {
        org: "acme".into(),
        before: None,
        action: None,
    })
    .await
    .entries
    .into_iter()
    .map(|e| (e.action, e.details))
    .collect()
}

async fn an_invitation_grants_nothing_until_it_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;

    ann.invite_to_org("acme", "bob", "admin").await;

    // Invited, not yet a member: no access, not in bob's lists, but told on his pages.
    assert!(orgs_of(&bob).await.is_empty());
    assert_eq!(bob.send(acme()).await.status(), StatusCode::NOT_FOUND);
    let home = bob.page("/").await;
    assert!(home.contains("Invitations"), "no badge: {home}");
    assert!(home.contains("Accept the invitation to acme"), "{home}");
    assert_eq!(bob.whoami().await.unwrap()["pending_invitations"], 1);
    let pending = ann.fetch(acme()).await.invitations;
    assert_eq!(pending[0].invitee, "bob");
    assert_eq!(pending[0].role, "admin");

    let id = bob.invitation_id("acme").await;
    bob.run(accept(&id, "")).await;

    assert_eq!(orgs_of(&bob).await, [("acme".into(), OrgRole::Admin)]);
    assert!(bob.fetch(MyInvitations {}).await.is_empty());
    assert_eq!(bob.whoami().await.unwrap()["pending_invitations"], 0);
    let actions: Vec<String> = audit_log(&ann).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        actions[..2],
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
        ann.invite_to_org("acme", who, "member").await;
    }
    let bobs = bob.invitation_id("acme").await;
    let eves = eve.invitation_id("acme").await;

    bob.run(decline(&bobs)).await;
    ann.run(RevokeInvitation { id: eves.clone() }).await;

    for (who, id) in [(&bob, &bobs), (&eve, &eves)] {
        let res = who.send(accept(id, "")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(orgs_of(who).await.is_empty());
    }
    assert_eq!(app.count("org_member").await, 1);
    assert_eq!(app.count("invitation").await, 0);
    let actions: Vec<String> = audit_log(&ann).await.into_iter().map(|e| e.0).collect();
    assert!(actions.contains(&"organization.invitation_declined".to_owned()));
    assert!(actions.contains(&"organization.invitation_revoked".to_owned()));
}

async fn only_the_invitee_can_answer_an_invitation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    ann.invite_to_org("acme", "bob", "owner").await;
    let id = bob.invitation_id("acme").await;

    let accept = eve.send(accept(&id, "")).await;
    let decline = eve.send(decline(&id)).await;
    let revoke = eve.send(RevokeInvitation { id }).await;

    for res in [accept, decline, revoke] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert!(orgs_of(&eve).await.is_empty());
    assert_eq!(app.count("invitation").await, 1);
    assert_eq!(app.count("org_member").await, 1);
}

async fn an_email_invitation_says_the_same_whether_or_not_the_address_has_an_account(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;

    let known = ann.send(invitation("bob@example.com", "member")).await;
    let unknown = ann.send(invitation("newcomer@example.com", "member")).await;

    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    // The invitation waits for whoever signs up with that address, and the link ann passes on.
    let newcomer = app.sign_up("newcomer").await;
    let (id, token) = invitation_link(&ann, "acme", "newcomer@example.com").await;
    newcomer.run(accept(&id, &token)).await;
    assert_eq!(orgs_of(&newcomer).await[0].0, "acme");
    // A username is public anyway (it is an image path segment): an unknown one is named.
    let nobody = ann.send(invitation("nobody", "member")).await;
    assert_eq!(nobody.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_invitation_expires_after_seven_days(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    ann.invite_to_org("acme", "bob", "member").await;
    let id = bob.invitation_id("acme").await;
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

    assert!(bob.fetch(MyInvitations {}).await.is_empty());
    let res = bob.send(accept(&id, "")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("org_member").await, 1);
    // An expired invitation does not block a new one.
    ann.invite_to_org("acme", "bob", "member").await;
}

async fn a_pending_invitation_is_not_made_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;

    assert_eq!(
        ann.send(invitation("bob", "member")).await.status(),
        StatusCode::OK
    );
    let again = ann.send(invitation("bob", "member")).await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        error_body(again).await["detail"]["fields"]["login"]
            .as_str()
            .unwrap()
            .contains("pending invitation")
    );
    assert_eq!(app.count("invitation").await, 1);
}

async fn an_organizations_project_takes_an_outsider_with_one_acceptance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    ann.create_project("acme", "web").await;
    // By email (the answer must not tell who has the address) and by username: accepting
    // joins the organization and the project at once.
    ann.invite_to_project(("acme", "web"), "eve@example.com", "developer")
        .await;
    let (id, token) = invitation_link(&ann, "acme/web", "eve@example.com").await;
    eve.run(accept(&id, &token)).await;
    assert_eq!(eve.fetch(acme_web()).await.my_role, ProjectRole::Developer);
    assert!(
        orgs_of(&eve)
            .await
            .contains(&("acme".into(), OrgRole::Member))
    );

    ann.invite_to_project(("acme", "web"), &bob.username, "viewer")
        .await;
    let id = bob.invitation_id("acme/web").await;
    bob.run(accept(&id, "")).await;
    assert_eq!(bob.fetch(acme_web()).await.my_role, ProjectRole::Viewer);
}

async fn an_email_invitation_is_accepted_only_through_its_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _) = setup(&app).await;
    ann.invite_to_org("acme", "newhire@example.com", "admin")
        .await;
    // Berth does not prove addresses: anyone may sign up with the invited one.
    let claimer = app.sign_up_with("mallory", "newhire@example.com").await;
    let id = claimer.invitation_id("acme").await;
    let (link_id, token) = invitation_link(&ann, "acme", "newhire@example.com").await;
    assert_eq!(id, link_id);
    let forged_token = "0".repeat(64);

    let bare = claimer.send(accept(&id, "")).await;
    let forged = claimer.send(accept(&id, &forged_token)).await;
    let peek = claimer
        .send(GetInvitation {
            id: id.clone(),
            token: forged_token,
        })
        .await;
    let void = claimer.send(decline(&id)).await;

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
    let shown = claimer
        .fetch(GetInvitation {
            id: id.clone(),
            token: token.clone(),
        })
        .await;
    assert_eq!(shown.role, "admin");
    let page = claimer
        .page(&format!("/invitation?id={id}&token={token}"))
        .await;
    assert!(
        page.contains("invites you to join the") && page.contains("name=\"token\""),
        "{page}"
    );
    claimer.run(accept(&id, &token)).await;
    assert_eq!(app.count("org_member").await, 2);
}

async fn an_invitation_holds_only_while_its_sender_may_invite(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, eve) = setup(&app).await;
    bob.join_org(&ann, "acme", "admin").await;
    bob.invite_to_org("acme", "eve", "admin").await;
    let id = eve.invitation_id("acme").await;

    // bob is demoted before eve answers.
    ann.run(ChangeOrgMemberRole {
        org: "acme".into(),
        username: "bob".into(),
        role: "member".into(),
    })
    .await;
    let res = eve.send(accept(&id, "")).await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        error_body(res).await["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("no longer holds")
    );
    assert!(orgs_of(&eve).await.is_empty());
}

async fn leaving_takes_pending_invitations_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    bob.join_org(&ann, "acme", "admin").await;
    bob.invite_to_org("acme", "eve", "member").await;
    ann.invite_to_org("acme", "bob@example.com", "owner").await;
    assert_eq!(app.count("invitation").await, 2);

    ann.run(RemoveOrgMember {
        org: "acme".into(),
        username: "bob".into(),
    })
    .await;

    assert_eq!(app.count("invitation").await, 0);
}

async fn accepting_as_a_member_already_keeps_the_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    bob.join_org(&ann, "acme", "admin").await;
    // An email invitation cannot tell whether its address is a member's.
    ann.invite_to_org("acme", "bob@example.com", "member").await;
    let (id, token) = invitation_link(&ann, "acme", "bob@example.com").await;

    bob.run(accept(&id, &token)).await;

    assert_eq!(orgs_of(&bob).await, [("acme".into(), OrgRole::Admin)]);
    assert_eq!(app.count("invitation").await, 0);
    let log = audit_log(&ann).await;
    assert!(log[0].1.contains("already a member"), "{log:?}");
}

async fn only_those_who_may_invite_owners_see_an_owner_invitations_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, _) = setup(&app).await;
    bob.join_org(&ann, "acme", "admin").await;

    ann.invite_to_org("acme", "boss@example.com", "owner").await;
    ann.invite_to_org("acme", "staff@example.com", "member")
        .await;

    let as_owner = links(&ann).await;
    let as_admin = links(&bob).await;
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
    an_organizations_project_takes_an_outsider_with_one_acceptance,
);
