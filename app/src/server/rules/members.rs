//! Members of organizations and projects, as one model: change a role, remove (or leave).
//! People join by invitation (`invitations`). A [`Place`] is an organization or a project the
//! caller was checked for; each rule here is written once for both.
//!
//! A place may have a *guarded* role ([`MemberRole::GUARDED`], an organization's owner): only
//! its holders give, change or take it, and the last one can neither be demoted nor removed
//! nor leave. An organization's changes run under its lock and read the roles again there, so
//! two concurrent demotions of the last two owners cannot both pass. A project has no guarded
//! role and takes no lock, but reads the caller's effective role again inside the transaction;
//! it never loses its last admin this way: a personal project's owner and an organization's
//! owners and admins are admins of its projects whatever its member list says.

use uuid::Uuid;

use crate::domain::{
    role::{MemberRole, OrgAction, OrgRole, ProjectAction, ProjectRole},
    token::Scope,
};
use crate::error::AppError;
use crate::server::{
    cx::{Cx, OrgCx, ProjectCx, missing_scope},
    db::{
        Tx, invitations,
        members::{self, Target},
        projects,
    },
};

/// An organization or a project the caller was checked for: what the membership rules need
/// to know of it.
pub trait Place: std::ops::Deref<Target = Cx> + Sized + Send + Sync {
    /// Its roles.
    type Role: MemberRole;
    /// `"organization"` or `"project"`, in messages and audit actions.
    const NOUN: &'static str;
    /// Where someone who left goes.
    const AFTER_LEAVING: &'static str;

    /// The caller's role here, as checked.
    fn role(&self) -> Self::Role;
    /// Its members' table and key.
    fn target(&self) -> Target;
    /// Its members page.
    fn members_path(&self) -> String;
    /// Takes its lock in `tx`, if it has one (an organization), and reads the caller's role
    /// again there; `None` when they have none any more.
    fn lock_and_reread(
        &self,
        tx: &mut Tx,
    ) -> impl Future<Output = Result<Option<Self::Role>, AppError>> + Send;
    /// Whether the caller, with `role`, manages members here (with `guarded`, the guarded
    /// role too), by role and by their token's scope: the 403 naming the role or the scope
    /// needed when not (or when the caller has no role any more).
    fn manages(&self, role: Option<Self::Role>, guarded: bool) -> Result<(), AppError>;
    /// Records `action` on `target` in its log.
    fn record(
        &self,
        tx: &mut Tx,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> impl Future<Output = Result<(), AppError>> + Send;
}

impl Place for OrgCx {
    type Role = OrgRole;
    const NOUN: &'static str = "organization";
    const AFTER_LEAVING: &'static str = "/";

    fn role(&self) -> OrgRole {
        self.role
    }

    fn target(&self) -> Target {
        Target::Org(self.org.id)
    }

    fn members_path(&self) -> String {
        OrgCx::members_path(self)
    }

    async fn lock_and_reread(&self, tx: &mut Tx) -> Result<Option<OrgRole>, AppError> {
        self.lock(tx).await?;
        Ok(members::role_of(tx, self.target(), self.me()?.id).await?)
    }

    fn manages(&self, role: Option<OrgRole>, guarded: bool) -> Result<(), AppError> {
        let action = if guarded {
            OrgAction::ManageOwners
        } else {
            OrgAction::ManageMembers
        };
        if !role.is_some_and(|r| r.allows(action)) {
            return Err(AppError::Forbidden(action.forbidden_message()));
        }
        let scope = Scope::for_org(action);
        if !self.caller.grants(scope) {
            return Err(missing_scope(scope));
        }
        Ok(())
    }

    async fn record(
        &self,
        tx: &mut Tx,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        self.audit(tx, action, target, details).await
    }
}

impl Place for ProjectCx {
    type Role = ProjectRole;
    const NOUN: &'static str = "project";
    const AFTER_LEAVING: &'static str = "/projects";

    fn role(&self) -> ProjectRole {
        self.role
    }

    fn target(&self) -> Target {
        Target::Project(self.project.id)
    }

    fn members_path(&self) -> String {
        ProjectCx::members_path(self)
    }

    /// A project takes no lock (it has no guarded role); the caller's role is read again as
    /// their effective one (organization owners and admins are project admins).
    async fn lock_and_reread(&self, tx: &mut Tx) -> Result<Option<ProjectRole>, AppError> {
        Ok(projects::role_in(tx, self.project.id, self.me()?.id).await?)
    }

    fn manages(&self, role: Option<ProjectRole>, _guarded: bool) -> Result<(), AppError> {
        let action = ProjectAction::ManageMembers;
        if !role.is_some_and(|r| r.allows(action)) {
            return Err(AppError::Forbidden(action.forbidden_message()));
        }
        let scope = Scope::for_project(action);
        if !self.caller.grants(scope) {
            return Err(missing_scope(scope));
        }
        Ok(())
    }

    async fn record(
        &self,
        tx: &mut Tx,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        self.audit(tx, action, target, details).await
    }
}

/// Gives the member `username` of `place` the role `role`.
#[tracing::instrument(skip_all, fields(place = P::NOUN, target = ?place.target()), err)]
pub async fn change_role<P: Place>(
    place: &P,
    username: &str,
    role: P::Role,
) -> Result<(), AppError> {
    let username = username.trim();
    let member = member_named(place, username).await?;
    let mut tx = place.state.db.begin().await?;
    // Read again under the lock: roles may have changed since the check.
    let my_role = place.lock_and_reread(&mut tx).await?;
    let Some(current) = members::role_of::<P::Role>(&mut tx, place.target(), member).await? else {
        return Err(not_a_member::<P>(username));
    };
    place.manages(my_role, false)?;
    let guarded = P::Role::GUARDED;
    if guarded.is_some_and(|g| current == g || role == g) {
        place.manages(my_role, true)?;
    }
    if current == role {
        return Ok(());
    }
    if guarded == Some(current) && members::count_with(&mut tx, place.target(), current).await? <= 1
    {
        return Err(last_guarded::<P>("role", current));
    }
    members::set_role(&mut tx, place.target(), member, role).await?;
    let details = serde_json::json!({
        "before": { "role": current.name() },
        "after": { "role": role.name() },
    });
    let action = format!("{}.member_role_changed", P::NOUN);
    place.record(&mut tx, &action, username, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes `username` from `place` (checked only for seeing it: those who manage its members
/// remove anyone, anyone in it may leave); their pending invitations there go with them (and,
/// for an organization, their roles in its projects). Returns where to go next.
#[tracing::instrument(skip_all, fields(place = P::NOUN, target = ?place.target(), member = %username), err)]
pub async fn remove<P: Place>(place: &P, username: &str) -> Result<String, AppError> {
    let username = username.trim();
    let leaving = username == place.me()?.username;
    if !leaving {
        place.manages(Some(place.role()), false)?;
    }
    let member = member_named(place, username).await?;
    let mut tx = place.state.db.begin().await?;
    let my_role = place.lock_and_reread(&mut tx).await?;
    let Some(current) = members::role_of::<P::Role>(&mut tx, place.target(), member).await? else {
        return Err(not_a_member::<P>(username));
    };
    // One leaving is the member read above: their role is there.
    if !leaving {
        place.manages(my_role, false)?;
    }
    if P::Role::GUARDED == Some(current) {
        if !leaving {
            place.manages(my_role, true)?;
        }
        if members::count_with(&mut tx, place.target(), current).await? <= 1 {
            return Err(last_guarded::<P>("username", current));
        }
    }
    members::remove(&mut tx, place.target(), member).await?;
    invitations::delete_involving(&mut tx, place.target(), member).await?;
    let action = if leaving {
        "member_left"
    } else {
        "member_removed"
    };
    let details = serde_json::json!({ "before": { "role": current.name() } });
    let action = format!("{}.{action}", P::NOUN);
    place.record(&mut tx, &action, username, details).await?;
    tx.commit().await?;
    Ok(if leaving {
        P::AFTER_LEAVING.to_owned()
    } else {
        place.members_path()
    })
}

/// The ID of the member of `place` called `username`, or a 404 naming them.
async fn member_named<P: Place>(place: &P, username: &str) -> Result<Uuid, AppError> {
    members::list(&place.state.db, place.target())
        .await?
        .into_iter()
        .find(|m| m.username == username)
        .map(|m| m.user_id)
        .ok_or_else(|| not_a_member::<P>(username))
}

fn not_a_member<P: Place>(username: &str) -> AppError {
    AppError::NotFound(format!(
        "\"{username}\" is not a member of this {}.",
        P::NOUN
    ))
}

/// The 409 for taking the last holder of the guarded role away.
fn last_guarded<P: Place>(field: &str, role: P::Role) -> AppError {
    AppError::conflict(
        field,
        format!(
            "An {} needs at least one {role}: make another member an {role} first.",
            P::NOUN
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{
        auth::bearer::{Holder, TokenCaller},
        cx::Caller,
        db::invitations::{Invitee, NewInvitation},
        testing::{ADDRESS, TestDb},
    };

    /// `user`'s context as a personal token holding only `scopes` builds it.
    fn token_cx(db: &TestDb, user: &crate::server::db::users::User, scopes: Vec<Scope>) -> Cx {
        Cx {
            state: db.state.clone(),
            caller: Caller::Token(TokenCaller {
                id: Uuid::now_v7(),
                name: "read only".into(),
                scopes,
                expires_at: None,
                holder: Holder::Person(user.clone()),
            }),
            address: ADDRESS,
        }
    }

    async fn org_role(db: &TestDb, org: Uuid, user: Uuid) -> Option<OrgRole> {
        let mut tx = db.state.db.begin().await.unwrap();
        members::role_of(&mut tx, Target::Org(org), user)
            .await
            .unwrap()
    }

    async fn project_role(db: &TestDb, project: Uuid, user: Uuid) -> Option<ProjectRole> {
        let mut tx = db.state.db.begin().await.unwrap();
        members::role_of(&mut tx, Target::Project(project), user)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn only_owners_touch_owners_and_the_last_owner_stays() {
        for db in TestDb::both().await {
            let acme = db.with_org("acme", "ann").await;
            let ann = db.with_user("ann").await;
            let bob = db.org_member(&acme, "bob", OrgRole::Admin).await;
            let carl = db.org_member(&acme, "carl", OrgRole::Member).await;
            let as_bob = db
                .org_cx("acme", &bob, OrgAction::ManageMembers)
                .await
                .unwrap();
            let as_ann = db
                .org_cx("acme", &ann, OrgAction::ManageMembers)
                .await
                .unwrap();

            // An admin manages members and admins, never owners.
            let err = change_role(&as_bob, "ann", OrgRole::Member)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{}: {err}", db.backend);
            let err = change_role(&as_bob, "carl", OrgRole::Owner)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("owner role"), "{err}");
            let err = remove(&as_bob, "ann").await.unwrap_err();
            assert_eq!(err.status(), 403, "{err}");
            change_role(&as_bob, "carl", OrgRole::Admin).await.unwrap();
            assert_eq!(org_role(&db, acme.id, carl.id).await, Some(OrgRole::Admin));

            // The only owner can neither step down nor leave.
            let err = change_role(&as_ann, "ann", OrgRole::Admin)
                .await
                .unwrap_err();
            assert!(
                err.field("role")
                    .is_some_and(|m| m.contains("at least one owner")),
                "{err}"
            );
            let err = remove(&as_ann, "ann").await.unwrap_err();
            assert!(err.field("username").is_some(), "{err}");
            assert_eq!(org_role(&db, acme.id, ann.id).await, Some(OrgRole::Owner));

            // With a second owner she may leave, and goes home.
            change_role(&as_ann, "carl", OrgRole::Owner).await.unwrap();
            assert_eq!(remove(&as_ann, "ann").await.unwrap(), "/");
            assert_eq!(org_role(&db, acme.id, ann.id).await, None);
            let changed = db.audit_details("organization.member_role_changed").await;
            assert_eq!(changed.len(), 2, "{changed:?}");
            assert_eq!(db.audit_details("organization.member_left").await.len(), 1);

            // A role read under the lock wins over the one checked: ann's context is stale.
            let err = change_role(&as_ann, "bob", OrgRole::Member)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{err}");
            assert_eq!(org_role(&db, acme.id, bob.id).await, Some(OrgRole::Admin));
        }
    }

    #[tokio::test]
    async fn leaving_an_organization_ends_its_project_roles_and_invitations() {
        for db in TestDb::both().await {
            let acme = db.with_org("acme", "ann").await;
            let web = db.with_project("acme/web").await;
            let bob = web.member("bob", ProjectRole::Developer).await;
            db.org_member(&acme, "bob", OrgRole::Admin).await;
            let dave = db.with_user("dave").await;
            let mut tx = db.state.db.begin().await.unwrap();
            invitations::create(
                &mut tx,
                &NewInvitation {
                    target: Target::Project(web.project.id),
                    invitee: &Invitee::User(dave.id),
                    role: "viewer",
                    by: bob.id,
                    expires_at: time::OffsetDateTime::now_utc().unix_timestamp() + 86_400,
                },
            )
            .await
            .unwrap()
            .unwrap();
            tx.commit().await.unwrap();
            assert_eq!(db.count("invitation").await, 1);

            let ann = db.with_user("ann").await;
            let as_ann = db.org_cx("acme", &ann, OrgAction::View).await.unwrap();
            assert_eq!(
                remove(&as_ann, " bob ").await.unwrap(),
                "/orgs/acme/members"
            );

            assert_eq!(org_role(&db, acme.id, bob.id).await, None, "{}", db.backend);
            assert_eq!(project_role(&db, web.project.id, bob.id).await, None);
            assert_eq!(db.count("invitation").await, 0);
            let removed = db.audit_details("organization.member_removed").await;
            assert_eq!(removed[0]["before"]["role"], "admin", "{removed:?}");
            let err = remove(&as_ann, "bob").await.unwrap_err();
            assert_eq!(
                err.to_string(),
                "\"bob\" is not a member of this organization."
            );
        }
    }

    #[tokio::test]
    async fn project_members_change_roles_leave_and_are_removed_by_admins_only() {
        for db in TestDb::both().await {
            let web = db.with_project("ann/web").await;
            let bob = web.member("bob", ProjectRole::Developer).await;
            web.member("carl", ProjectRole::Viewer).await;
            let as_ann = web.as_admin().await;

            change_role(&as_ann, "bob", ProjectRole::Viewer)
                .await
                .unwrap();
            assert_eq!(
                project_role(&db, web.project.id, bob.id).await,
                Some(ProjectRole::Viewer),
                "{}",
                db.backend
            );
            let changed = db.audit_details("project.member_role_changed").await;
            assert_eq!(changed[0]["before"]["role"], "developer", "{changed:?}");
            assert_eq!(changed[0]["after"]["role"], "viewer");

            // A viewer removes nobody but themselves.
            let as_bob = web.cx(&bob, ProjectAction::View).await.unwrap();
            let err = remove(&as_bob, "carl").await.unwrap_err();
            assert_eq!(err.status(), 403, "{err}");
            let err = change_role(&as_bob, "carl", ProjectRole::Admin)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{err}");
            assert_eq!(remove(&as_bob, "bob").await.unwrap(), "/projects");
            assert_eq!(project_role(&db, web.project.id, bob.id).await, None);
            assert_eq!(db.audit_details("project.member_left").await.len(), 1);

            assert_eq!(
                remove(&as_ann, "carl").await.unwrap(),
                "/projects/ann/web/members"
            );
            let err = change_role(&as_ann, "carl", ProjectRole::Admin)
                .await
                .unwrap_err();
            assert_eq!(err.to_string(), "\"carl\" is not a member of this project.");
        }
    }

    #[tokio::test]
    async fn a_token_without_the_all_scope_removes_nobody_whatever_its_owners_role() {
        for db in TestDb::both().await {
            let acme = db.with_org("acme", "ann").await;
            let web = db.with_project("acme/web").await;
            let carl = web.member("carl", ProjectRole::Viewer).await;
            let ann = db.with_user("ann").await;
            let read_only = || token_cx(&db, &ann, vec![Scope::ProjectsRead]);

            // The place is visible to the token (it reads projects)...
            let org = read_only().in_org("acme", OrgAction::View).await.unwrap();
            let project = read_only()
                .in_project("acme", "web", ProjectAction::View)
                .await
                .unwrap();
            // ...but an owner's token that only reads manages no member.
            let err = remove(&org, "carl").await.unwrap_err();
            assert!(err.to_string().contains("scope"), "{}: {err}", db.backend);
            let err = remove(&project, "carl").await.unwrap_err();
            assert!(err.to_string().contains("scope"), "{err}");
            let err = change_role(&project, "carl", ProjectRole::Admin)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("scope"), "{err}");
            assert_eq!(
                project_role(&db, web.project.id, carl.id).await,
                Some(ProjectRole::Viewer)
            );
            assert_eq!(org_role(&db, acme.id, carl.id).await, Some(OrgRole::Member));

            // With every scope, the same owner does.
            let all = token_cx(&db, &ann, vec![Scope::All]);
            let project = all
                .in_project("acme", "web", ProjectAction::View)
                .await
                .unwrap();
            assert_eq!(
                remove(&project, "carl").await.unwrap(),
                "/projects/acme/web/members"
            );
        }
    }

    #[tokio::test]
    async fn a_project_admin_demoted_meanwhile_changes_nothing() {
        for db in TestDb::both().await {
            let web = db.with_project("ann/web").await;
            let bob = web.member("bob", ProjectRole::Admin).await;
            let carl = web.member("carl", ProjectRole::Viewer).await;
            let as_bob = web.cx(&bob, ProjectAction::ManageMembers).await.unwrap();
            // Ann demotes Bob after his request was checked.
            change_role(&web.as_admin().await, "bob", ProjectRole::Viewer)
                .await
                .unwrap();

            let err = change_role(&as_bob, "carl", ProjectRole::Admin)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{}: {err}", db.backend);
            assert_eq!(
                project_role(&db, web.project.id, carl.id).await,
                Some(ProjectRole::Viewer)
            );
        }
    }
}
