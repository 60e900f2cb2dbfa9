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
    token::Scope,
};
use crate::error::AppError;
use crate::server::{
    audit,
    auth::bearer::{Holder, TokenCaller},
    db::{
        Tx, org_changes,
        orgs::{self, Org},
        projects::{self, Project},
        users::User,
    },
    http::request,
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

/// The 403 for a project token calling something outside its project.
fn project_token_only() -> AppError {
    AppError::Forbidden(
        "A project token reaches only its own project's credentials and push paths.".into(),
    )
}

/// Who is asking.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A signed-in browser session.
    Session(User),
    /// An access token (`auth::bearer`): a person's, within its scopes and their current
    /// roles, or a project's, within its scopes and that project.
    Token(TokenCaller),
}

impl Caller {
    /// The account behind the call: the session's, or a personal token's owner.
    pub fn user(&self) -> Option<&User> {
        match self {
            Self::Session(user) => Some(user),
            Self::Token(token) => match &token.holder {
                Holder::Person(user) => Some(user),
                Holder::Project(_) => None,
            },
        }
    }

    /// The token, when the call came with one.
    pub fn token(&self) -> Option<&TokenCaller> {
        match self {
            Self::Session(_) => None,
            Self::Token(token) => Some(token),
        }
    }

    /// Whether the caller may use `scope` (a session may use every scope its roles allow).
    pub fn grants(&self, scope: Scope) -> bool {
        self.token().is_none_or(|t| t.grants(scope))
    }

    /// How lists name this caller: "ann", "ann (token ci)" or "project token deploy".
    pub fn label(&self) -> String {
        match (self.user(), self.token()) {
            (Some(user), None) => user.username.clone(),
            (Some(user), Some(token)) => format!("{} (token {})", user.username, token.name),
            (None, Some(token)) => format!("project token {}", token.name),
            (None, None) => "nobody".into(),
        }
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.user(), self.token()) {
            (Some(user), None) => write!(f, "user {}", user.id),
            (Some(user), Some(token)) => write!(f, "user {} by token {}", user.id, token.id),
            (None, Some(token)) => write!(f, "project token {}", token.id),
            (None, None) => f.write_str("nobody"),
        }
    }
}

/// The role a project token acts with in its project, whatever its scopes: it may read and
/// change what a developer may, and never manage members, settings or the project itself.
pub const PROJECT_TOKEN_ROLE: ProjectRole = ProjectRole::Developer;

/// What a project token may do beyond [`PROJECT_TOKEN_ROLE`]: export pull secrets, which its
/// scope (`pull-secrets:export`, never implied but by `all`) gates on its own. A deploy
/// pipeline needs the secret; it never needs an admin's other powers.
fn token_may(action: ProjectAction) -> bool {
    action == ProjectAction::ExportPullSecrets
}

/// Whether `caller`, holding `role` in a project, may do `action` there (scopes aside).
fn allows(caller: &Caller, role: ProjectRole, action: ProjectAction) -> bool {
    role.allows(action) || (caller.user().is_none() && token_may(action))
}

/// The 403 for a token without `scope`.
pub fn missing_scope(scope: Scope) -> AppError {
    AppError::Forbidden(format!(
        "This access token lacks the {} scope.",
        scope.as_str()
    ))
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
    /// The caller of the server function being served, by session or token: 401 without one.
    pub async fn any() -> Result<Self, AppError> {
        let state = request::state()?;
        let address = request::client_addr(&state).await;
        let caller = match request::bearer() {
            Some(token) => Caller::Token(token),
            None => Caller::Session(request::require_user().await?.1),
        };
        Ok(Self {
            state,
            caller,
            address,
        })
    }

    /// A person calling, by session or by a personal token granting `scope`: 403 for a token
    /// without it and for project tokens (they reach their project's functions only).
    pub async fn signed_in(scope: Scope) -> Result<Self, AppError> {
        let cx = Self::any().await?;
        cx.person(scope)?;
        Ok(cx)
    }

    /// A person calling from a browser session: 403 for any token. For what a leaked token
    /// must never do (make more tokens, change the password) and for what is a browser's
    /// (invitations by their link, the current project).
    pub async fn session() -> Result<Self, AppError> {
        let cx = Self::any().await?;
        if cx.caller.token().is_some() {
            return Err(AppError::Forbidden(
                "Access tokens cannot do this: sign in to Berth in a browser.".into(),
            ));
        }
        Ok(cx)
    }

    /// 403 unless the caller is a person granting `scope`.
    fn person(&self, scope: Scope) -> Result<(), AppError> {
        if self.caller.user().is_none() {
            return Err(project_token_only());
        }
        if !self.caller.grants(scope) {
            return Err(missing_scope(scope));
        }
        Ok(())
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
    /// (or the names cannot name a project), 403 naming the role when theirs is too weak, or
    /// the scope when their token lacks it.
    pub async fn project(
        owner: &str,
        name: &str,
        action: ProjectAction,
    ) -> Result<ProjectCx, AppError> {
        Self::any().await?.in_project(owner, name, action).await
    }

    /// The caller, checked for `action` in organization `name` (404 / 403 as for projects).
    pub async fn org(name: &str, action: OrgAction) -> Result<OrgCx, AppError> {
        Self::any().await?.in_org(name, action).await
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
        let not_found = || project_not_found(owner.as_str(), name.as_str());
        let found = match (self.caller.user(), self.caller.token()) {
            (Some(user), _) => {
                projects::find_for_user(&self.state.db, owner.as_str(), name.as_str(), user.id)
                    .await?
            }
            // A project token sees its own project, with the role of a project token.
            (None, Some(token)) => projects::find(&self.state.db, owner.as_str(), name.as_str())
                .await?
                .filter(|p| matches!(token.holder, Holder::Project(id) if id == p.id))
                .map(|p| (p, Some(PROJECT_TOKEN_ROLE))),
            (None, None) => None,
        };
        let (project, role) = match found {
            Some((project, Some(role))) => (project, role),
            _ => return Err(not_found()),
        };
        if !allows(&self.caller, role, action) {
            return Err(match self.caller.user() {
                Some(_) => AppError::Forbidden(action.forbidden_message()),
                None => AppError::Forbidden(
                    "A project token cannot do this: it needs a person with the admin role.".into(),
                ),
            });
        }
        let scope = Scope::for_project(action);
        if !self.caller.grants(scope) {
            return Err(missing_scope(scope));
        }
        Ok(ProjectCx {
            cx: self,
            project,
            role,
        })
    }

    /// This caller, checked for `action` in organization `name`.
    pub async fn in_org(self, name: &str, action: OrgAction) -> Result<OrgCx, AppError> {
        let Ok(name) = NamespaceName::parse(name) else {
            return Err(org_not_found(name.trim()));
        };
        let Some(user) = self.caller.user() else {
            return Err(project_token_only());
        };
        let (org, role) = match orgs::find_for_user(&self.state.db, name.as_str(), user.id).await? {
            Some((org, Some(role))) => (org, role),
            _ => return Err(org_not_found(name.as_str())),
        };
        if !role.allows(action) {
            return Err(AppError::Forbidden(action.forbidden_message()));
        }
        let scope = Scope::for_org(action);
        if !self.caller.grants(scope) {
            return Err(missing_scope(scope));
        }
        Ok(OrgCx {
            cx: self,
            org,
            role,
        })
    }

    /// The calling account: 403 for a project token (it acts for a project, not a person;
    /// the functions that reach a rule asking this refuse project tokens before).
    pub fn me(&self) -> Result<&User, AppError> {
        self.caller.user().ok_or_else(project_token_only)
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
                actor: self.caller.user().map(|u| u.id),
                token: self.caller.token().map(|t| (t.id, t.name.as_str())),
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
    /// Whether this caller may also do `action` here (role and token scope).
    pub fn may(&self, action: ProjectAction) -> bool {
        allows(&self.caller, self.role, action) && self.caller.grants(Scope::for_project(action))
    }

    /// Whether this caller may delete the organization's shared KCR images (`ORG/IMAGE`):
    /// an owner or admin of the project's organization, by session or by a personal token
    /// granting `registry:delete` (a project token never may).
    pub async fn may_delete_shared_images(&self) -> Result<bool, AppError> {
        let (Some(user), Some(_)) = (self.caller.user(), self.project.org_id) else {
            return Ok(false);
        };
        if !self.caller.grants(Scope::RegistryDelete) {
            return Ok(false);
        }
        let role = orgs::find_for_user(&self.state.db, &self.project.owner_name, user.id)
            .await?
            .and_then(|(_, role)| role);
        Ok(role.is_some_and(|r| r.allows(OrgAction::ManageSharedImages)))
    }

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
    /// Whether this caller may also do `action` here (role and token scope).
    pub fn may(&self, action: OrgAction) -> bool {
        self.role.allows(action) && self.caller.grants(Scope::for_org(action))
    }

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
        if org_changes::lock(tx, self.org.id).await? {
            Ok(())
        } else {
            Err(org_not_found(&self.org.name))
        }
    }
}
