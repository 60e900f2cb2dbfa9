//! The request context of every server function and rule, and the one place access is
//! decided: who is asking ([`Caller`]), the
//! shared state, the client address and, for an organization or a project, the access the
//! caller was checked for. Access is decided here and nowhere else: a rule receives an
//! [`OrgCx`] or [`ProjectCx`] only after the check passed. `audit` records a change with the
//! actor, the organization and project, and the client address filled in.
//!
//! A server function builds its context in one line (`Cx::project(&owner, &name, action)`);
//! a test or tool builds one for a user without a request ([`Cx::for_user`]).

use std::{net::IpAddr, ops::Deref};

use uuid::Uuid;

use crate::domain::{
    namespace::NamespaceName,
    org::OrgHeader,
    project::{ProjectHeader, ProjectName},
    role::{OrgAction, OrgRole, ProjectAction, ProjectRole},
};
use crate::error::AppError;
use crate::server::{
    audit, ctx,
    db::{
        Tx, org_members,
        orgs::{self, Org},
        projects::{self, Project},
        users::User,
    },
    state::AppState,
};

/// The 404 for an organization the caller cannot see (or that does not exist): no access at
/// all reads as "not there", so someone else's organization is not revealed.
pub fn org_not_found(name: &str) -> AppError {
    AppError::NotFound(format!("There is no organization \"{name}\" you can see."))
}

/// The 404 for a project the caller cannot see (or that does not exist).
pub fn project_not_found(owner: &str, name: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no project \"{owner}/{name}\" you can see."
    ))
}

/// Who is asking.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A signed-in browser session.
    Session(User),
}

impl Caller {
    /// The account behind the call.
    pub fn user(&self) -> &User {
        match self {
            Self::Session(user) => user,
        }
    }
}

/// A request by a signed-in caller.
#[derive(Clone, Debug)]
pub struct Cx {
    pub state: AppState,
    /// Who is asking.
    pub caller: Caller,
    /// Where the request came from (audited).
    pub address: IpAddr,
}

impl Cx {
    /// The caller of the server function being served, or 401.
    pub async fn signed_in() -> Result<Self, AppError> {
        let state = ctx::state()?;
        let (_, user) = ctx::require_user().await?;
        let address = ctx::client_addr(&state).await;
        Ok(Self::for_user(state, user, address))
    }

    /// A context for `user` without a request (rule tests, tools).
    pub fn for_user(state: AppState, user: User, address: IpAddr) -> Self {
        Self {
            state,
            caller: Caller::Session(user),
            address,
        }
    }

    /// The caller, checked for `action` on project `owner/name`: 404 when they cannot see it
    /// (or the names cannot name a project), 403 naming the role when theirs is too weak.
    pub async fn project(
        owner: &str,
        name: &str,
        action: ProjectAction,
    ) -> Result<ProjectCx, AppError> {
        Self::signed_in()
            .await?
            .in_project(owner, name, action)
            .await
    }

    /// The caller, checked for `action` in organization `name` (404 / 403 as for projects).
    pub async fn org(name: &str, action: OrgAction) -> Result<OrgCx, AppError> {
        Self::signed_in().await?.in_org(name, action).await
    }

    /// This caller, checked for `action` on project `owner/name`.
    pub async fn in_project(
        self,
        owner: &str,
        name: &str,
        action: ProjectAction,
    ) -> Result<ProjectCx, AppError> {
        let (Ok(owner), Ok(name)) = (NamespaceName::parse(owner), ProjectName::parse(name)) else {
            return Err(project_not_found(owner.trim(), name.trim()));
        };
        match projects::find_for_user(&self.state.db, owner.as_str(), name.as_str(), self.me().id)
            .await?
        {
            Some((project, Some(role))) if role.allows(action) => Ok(ProjectCx {
                cx: self,
                project,
                role,
            }),
            Some((_, Some(_))) => Err(AppError::Forbidden(action.forbidden_message())),
            _ => Err(project_not_found(owner.as_str(), name.as_str())),
        }
    }

    /// This caller, checked for `action` in organization `name`.
    pub async fn in_org(self, name: &str, action: OrgAction) -> Result<OrgCx, AppError> {
        let Ok(name) = NamespaceName::parse(name) else {
            return Err(org_not_found(name.trim()));
        };
        match orgs::find_for_user(&self.state.db, name.as_str(), self.me().id).await? {
            Some((org, Some(role))) if role.allows(action) => Ok(OrgCx {
                cx: self,
                org,
                role,
            }),
            Some((_, Some(_))) => Err(AppError::Forbidden(action.forbidden_message())),
            _ => Err(org_not_found(name.as_str())),
        }
    }

    /// The calling account.
    pub fn me(&self) -> &User {
        self.caller.user()
    }

    /// Records `action` on `target` inside `tx`, by this caller from this address, in the log
    /// of `org` and `project` (either may be `None`).
    pub async fn audit(
        &self,
        tx: &mut Tx,
        (org, project): (Option<Uuid>, Option<Uuid>),
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        audit::record(
            tx,
            self.address,
            audit::Event {
                actor: Some(self.me().id),
                org_id: org,
                project_id: project,
                action,
                target,
                details,
            },
        )
        .await
        .map_err(AppError::from)
    }
}

/// A caller checked for an action on a project.
#[derive(Debug)]
pub struct ProjectCx {
    /// The caller.
    pub cx: Cx,
    pub project: Project,
    /// The caller's effective role in it.
    pub role: ProjectRole,
}

impl Deref for ProjectCx {
    type Target = Cx;

    fn deref(&self) -> &Cx {
        &self.cx
    }
}

impl ProjectCx {
    /// Records `action` on `target` in the project's log (and its organization's).
    pub async fn audit(
        &self,
        tx: &mut Tx,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        self.cx
            .audit(
                tx,
                (self.project.org_id, Some(self.project.id)),
                action,
                target,
                details,
            )
            .await
    }

    /// The project area's header.
    pub fn header(&self) -> ProjectHeader {
        ProjectHeader {
            owner: self.project.owner_name.clone(),
            owner_is_org: self.project.org_id.is_some(),
            name: self.project.name.clone(),
            my_role: self.role,
        }
    }

    /// The project's page.
    pub fn path(&self) -> String {
        format!(
            "/projects/{}/{}",
            self.project.owner_name, self.project.name
        )
    }

    /// The project's members page.
    pub fn members_path(&self) -> String {
        format!("{}/members", self.path())
    }
}

/// A caller checked for an action in an organization.
#[derive(Debug)]
pub struct OrgCx {
    /// The caller.
    pub cx: Cx,
    /// The organization.
    pub org: Org,
    /// The caller's role in it.
    pub role: OrgRole,
}

impl Deref for OrgCx {
    type Target = Cx;

    fn deref(&self) -> &Cx {
        &self.cx
    }
}

impl OrgCx {
    /// Records `action` on `target` in the organization's log.
    pub async fn audit(
        &self,
        tx: &mut Tx,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        self.cx
            .audit(tx, (Some(self.org.id), None), action, target, details)
            .await
    }

    /// The organization area's header.
    pub fn header(&self) -> OrgHeader {
        OrgHeader {
            name: self.org.name.clone(),
            display_name: self.org.display_name.clone(),
            my_role: self.role,
        }
    }

    /// The organization's page.
    pub fn path(&self) -> String {
        format!("/orgs/{}", self.org.name)
    }

    /// The organization's members page.
    pub fn members_path(&self) -> String {
        format!("{}/members", self.path())
    }

    /// Takes the organization's lock in `tx` (changes of one organization run one after the
    /// other, so a rule checked inside holds at commit); 404 when it is gone meanwhile.
    pub async fn lock(&self, tx: &mut Tx) -> Result<(), AppError> {
        if org_members::lock(tx, self.org.id).await? {
            Ok(())
        } else {
            Err(org_not_found(&self.org.name))
        }
    }
}
