//! `User`: a signed-in test account that keeps its own session cookie, and typed calls of
//! server functions through their own argument structs (`CreateProject { .. }`), so renaming
//! an argument breaks the tests' build instead of silently sending a field nobody reads.

use app::api::{
    invitations::{AcceptInvitation, InviteOrgMember, InviteProjectMember, MyInvitations},
    orgs::CreateOrg,
    projects::CreateProject,
    tokens::{CreatePersonalToken, CreateProjectToken},
};
use app::domain::invitation::{InvitationTarget, InvitationView};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{Serialize, de::DeserializeOwned};
use server_fn::ServerFn;

use super::TestApp;

/// A server function's argument struct, sendable over HTTP as the browser sends it.
pub trait Call: ServerFn + Serialize {}
impl<F: ServerFn + Serialize> Call for F {}

/// A server-function call encoded and ready to send, for tables of calls.
pub struct Encoded {
    pub path: &'static str,
    query: String,
}

impl Encoded {
    /// `args` encoded the way `server_fn` decodes them (a query string or a form body).
    pub fn of<F: Call>(args: F) -> Self {
        Self {
            path: F::PATH,
            query: serde_qs::to_string(&args).unwrap(),
        }
    }

    /// The server function's name: its path without `/api/`.
    pub fn name(&self) -> &'static str {
        self.path.strip_prefix("/api/").unwrap_or(self.path)
    }

    /// The request to the server at `base` (GET with a query string or POST with a form
    /// body), without `Accept` or cookie: for tests about headers.
    pub fn request(&self, http: &reqwest::Client, base: &str) -> RequestBuilder {
        let url = format!("{base}{}", self.path);
        if method_of(self.path) == Method::GET {
            http.get(format!("{url}?{}", self.query))
        } else {
            http.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(self.query.clone())
        }
    }
}

impl TestApp {
    /// Calls server function `F` as the holder of `cookie` (anonymously without one); any
    /// status comes back.
    pub async fn send<F: Call>(&self, args: F, cookie: Option<&str>) -> Response {
        self.send_encoded(&Encoded::of(args), cookie).await
    }

    /// Sends an encoded call, asking for JSON as the hydrated app does.
    pub async fn send_encoded(&self, call: &Encoded, cookie: Option<&str>) -> Response {
        let mut req = call
            .request(&self.http, &self.base)
            .header("accept", "application/json");
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.unwrap()
    }

    /// Calls `F` with `Authorization: Bearer token` and no cookie, asking for JSON.
    pub async fn send_bearer<F: Call>(&self, args: F, token: &str) -> Response {
        self.send_encoded_bearer(&Encoded::of(args), token).await
    }

    /// Sends an encoded call with a bearer token.
    pub async fn send_encoded_bearer(&self, call: &Encoded, token: &str) -> Response {
        call.request(&self.http, &self.base)
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap()
    }

    /// The request of a call of `F`, to add headers to before sending (see [`Encoded::request`]).
    pub fn request<F: Call>(&self, args: F) -> RequestBuilder {
        Encoded::of(args).request(&self.http, &self.base)
    }
}

/// The method `server_fn` registered for `path`.
fn method_of(path: &str) -> Method {
    server_fn::axum::server_fn_paths()
        .find(|(p, _)| *p == path)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("no server function at {path}"))
}

/// Insists on 200 and decodes the body as `F`'s output.
pub async fn decode<F: Call>(res: Response) -> F::Output
where
    F::Output: DeserializeOwned,
{
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{}: {body}", F::PATH);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{}: {e}: {body}", F::PATH))
}

/// A signed-in account of a [`TestApp`].
#[derive(Clone)]
pub struct User<'a> {
    pub app: &'a TestApp,
    pub username: String,
    /// `berth_session=…`, as a `Cookie` header carries it.
    pub cookie: String,
}

impl std::fmt::Debug for User<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.username)
    }
}

impl<'a> User<'a> {
    /// Calls `F` with this user's session; any status comes back.
    pub async fn send<F: Call>(&self, args: F) -> Response {
        self.app.send(args, Some(&self.cookie)).await
    }

    /// Calls `F` and insists on 200.
    pub async fn run<F: Call>(&self, args: F) {
        let res = self.send(args).await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::OK,
            "{} as {}: {}",
            F::PATH,
            self.username,
            res.text().await.unwrap()
        );
    }

    /// Calls `F`, insists on 200 and returns its decoded output.
    pub async fn fetch<F: Call>(&self, args: F) -> F::Output
    where
        F::Output: DeserializeOwned,
    {
        decode::<F>(self.send(args).await).await
    }

    /// Calls `F`, insists on 200 and returns its output as JSON (to look at the wire shape).
    pub async fn json<F: Call>(&self, args: F) -> serde_json::Value {
        let res = self.send(args).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{}: {body}", F::PATH);
        serde_json::from_str(&body).unwrap()
    }

    /// GETs a page (or any path) with this user's session.
    pub async fn get(&self, path: &str) -> Response {
        self.app.get(path, Some(&self.cookie)).await
    }

    /// The HTML of page `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// This user as `current_user` reports them (`None` once the session has ended).
    pub async fn whoami(&self) -> Option<serde_json::Value> {
        self.app.whoami(&self.cookie).await
    }

    /// Creates organization `name` (display name `Name`), owned by this user.
    pub async fn create_org(&self, name: &str) {
        self.run(CreateOrg {
            name: name.into(),
            display_name: capitalised(name),
        })
        .await;
    }

    /// Creates project `owner/name` in region `local`.
    pub async fn create_project(&self, owner: &str, name: &str) {
        self.create_project_in(owner, name, "local").await;
    }

    /// Creates project `owner/name` in `region`.
    pub async fn create_project_in(&self, owner: &str, name: &str, region: &str) {
        self.run(CreateProject {
            owner: owner.into(),
            name: name.into(),
            description: String::new(),
            region: region.into(),
        })
        .await;
    }

    /// Invites `login` (username or email) to organization `org` with `role`.
    pub async fn invite_to_org(&self, org: &str, login: &str, role: &str) {
        self.run(InviteOrgMember {
            org: org.into(),
            login: login.into(),
            role: role.into(),
        })
        .await;
    }

    /// Invites `login` to project `owner/name` with `role`.
    pub async fn invite_to_project(&self, (owner, name): (&str, &str), login: &str, role: &str) {
        self.run(InviteProjectMember {
            owner: owner.into(),
            name: name.into(),
            login: login.into(),
            role: role.into(),
        })
        .await;
    }

    /// Makes a personal token with `scopes` expiring in `expires` (days, `never`, or blank for
    /// the default) and returns its text.
    pub async fn personal_token(&self, label: &str, scopes: &[&str], expires: &str) -> String {
        self.fetch(CreatePersonalToken {
            label: label.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_in_days: expires.into(),
        })
        .await
        .token
    }

    /// Makes a token of project `owner/name` with `scopes` (default expiry) and returns its text.
    pub async fn project_token(
        &self,
        (owner, name): (&str, &str),
        label: &str,
        scopes: &[&str],
    ) -> String {
        self.fetch(CreateProjectToken {
            owner: owner.into(),
            name: name.into(),
            label: label.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_in_days: String::new(),
        })
        .await
        .token
    }

    /// The ID of this user's pending invitation to `target` (`org` or `owner/project`).
    pub async fn invitation_id(&self, target: &str) -> String {
        let list = self.fetch(MyInvitations {}).await;
        list.iter()
            .find(|i| label(i) == target)
            .unwrap_or_else(|| panic!("no invitation of {self:?} to {target}"))
            .id
            .clone()
    }

    /// Accepts this user's invitation to `target`.
    pub async fn accept_invitation_to(&self, target: &str) {
        let id = self.invitation_id(target).await;
        self.run(AcceptInvitation {
            id,
            token: String::new(),
        })
        .await;
    }

    /// Joins organization `org` with `role` the only way there is: `admin` invites this user
    /// by username, this user accepts.
    pub async fn join_org(&self, admin: &User<'_>, org: &str, role: &str) {
        admin.invite_to_org(org, &self.username, role).await;
        self.accept_invitation_to(org).await;
    }

    /// Joins project `owner/name` with `role`: `admin` invites, this user accepts.
    pub async fn join_project(&self, admin: &User<'_>, project: (&str, &str), role: &str) {
        admin.invite_to_project(project, &self.username, role).await;
        self.accept_invitation_to(&format!("{}/{}", project.0, project.1))
            .await;
    }
}

/// `org` or `owner/project`, as [`User::invitation_id`] names an invitation's target.
fn label(invitation: &InvitationView) -> String {
    match &invitation.target {
        InvitationTarget::Org { name } => name.clone(),
        InvitationTarget::Project { owner, name } => format!("{owner}/{name}"),
    }
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
