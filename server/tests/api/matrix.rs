//! The permission matrix: every server function × eight callers, with the exact status each
//! gets and whether the call changed anything (an audit event is written by every change and
//! by nothing else). Every server function the server registers must have a row here or be
//! listed in [`OWN_TESTS`]; a function added later without one fails
//! `every_server_function_has_a_row`.

use std::collections::BTreeSet;

use app::server::db::users::{self, NewUser};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, grant_org_role, grant_project_role, ok};
use crate::on_both;

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Outsider,
    OrgMember,
    Viewer,
    Developer,
    ProjectAdmin,
    OrgAdmin,
    OrgOwner,
}

use Caller::*;

const CALLERS: [Caller; 8] = [
    Anonymous,
    Outsider,
    OrgMember,
    Viewer,
    Developer,
    ProjectAdmin,
    OrgAdmin,
    OrgOwner,
];

impl Caller {
    fn username(self) -> Option<&'static str> {
        Some(match self {
            Anonymous => return None,
            Outsider => "otto",
            OrgMember => "mona",
            Viewer => "vera",
            Developer => "dave",
            ProjectAdmin => "pat",
            OrgAdmin => "adam",
            OrgOwner => "olive",
        })
    }

    fn index(self) -> usize {
        CALLERS.iter().position(|c| *c == self).unwrap()
    }
}

/// Functions whose callers are not organization or project roles (accounts and sessions);
/// `accounts.rs`, `sessions.rs` and `security.rs` test them.
const OWN_TESTS: &[&str] = &[
    "current_user",
    "signup_status",
    "sign_up",
    "sign_in",
    "sign_out",
    "change_password",
];

/// How a row's call is made for one caller.
enum Call {
    Get(String),
    Post(&'static str, Vec<(&'static str, String)>),
}

/// One row: the function, its expected status per caller (in [`CALLERS`] order), whether a
/// success changes something (and so writes one audit event), and what to set up first.
struct Row {
    name: &'static str,
    expect: [u16; 8],
    changes: bool,
    setup: Setup,
    call: fn(Caller) -> Call,
}

/// What a row needs besides the standard organization and project.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    None,
    /// Accounts `target0`..`target7`, in no organization.
    Accounts,
    /// Accounts `target0`..`target7`, members of the organization.
    OrgMembers,
    /// Accounts `target0`..`target7`, viewers of the project.
    ProjectViewers,
    /// Projects `doomed0`..`doomed7` with the same project roles as `web`.
    DoomedProjects,
    /// An organization `spare` with the same organization roles as `acme`, no projects.
    SpareOrg,
    /// Credentials `reg0.example.com`..`reg7.example.com` in `acme/web`, one per caller.
    Credentials,
    /// Accounts `target0`..`target7`, each invited to `acme` by its owner.
    TargetInvitations,
    /// Organization `guild` of another owner, and an invitation to it for every caller.
    OwnInvitations,
}

fn target(c: Caller) -> String {
    format!("target{}", c.index())
}

fn post(name: &'static str, form: &[(&'static str, &str)]) -> Call {
    Call::Post(
        name,
        form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    )
}

const ROWS: &[Row] = &[
    Row {
        name: "list_regions",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("list_regions".into()),
    },
    Row {
        name: "list_orgs",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("list_orgs".into()),
    },
    Row {
        name: "create_org",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: true,
        setup: Setup::None,
        call: |c| {
            let name = format!("new{}", c.index());
            post("create_org", &[("name", &name), ("display_name", "New")])
        },
    },
    Row {
        name: "get_org",
        expect: [401, 404, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("get_org?name=acme".into()),
    },
    Row {
        name: "invite_org_member",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::Accounts,
        call: |c| {
            post(
                "invite_org_member",
                &[("org", "acme"), ("login", &target(c)), ("role", "member")],
            )
        },
    },
    Row {
        name: "change_org_member_role",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::OrgMembers,
        call: |c| {
            post(
                "change_org_member_role",
                &[("org", "acme"), ("username", &target(c)), ("role", "admin")],
            )
        },
    },
    Row {
        name: "remove_org_member",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::OrgMembers,
        call: |c| {
            post(
                "remove_org_member",
                &[("org", "acme"), ("username", &target(c))],
            )
        },
    },
    Row {
        name: "set_org_regions",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::None,
        // The organization starts with both regions; each success flips `us` off or on.
        call: |c| {
            let mut form = vec![("org", "acme".to_owned()), ("regions[]", "eu".to_owned())];
            if c == OrgOwner {
                form.push(("regions[]", "us".to_owned()));
            }
            Call::Post("set_org_regions", form)
        },
    },
    Row {
        name: "delete_org",
        expect: [401, 404, 403, 403, 403, 403, 403, 200],
        changes: true,
        setup: Setup::SpareOrg,
        call: |_| post("delete_org", &[("org", "spare"), ("confirm", "spare")]),
    },
    Row {
        name: "org_audit_log",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("org_audit_log?org=acme".into()),
    },
    Row {
        name: "list_projects",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("list_projects".into()),
    },
    Row {
        name: "project_owners",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("project_owners".into()),
    },
    Row {
        name: "create_project",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::None,
        call: |c| {
            let name = format!("p{}", c.index());
            post(
                "create_project",
                &[
                    ("owner", "acme"),
                    ("name", &name),
                    ("description", ""),
                    ("region", "eu"),
                ],
            )
        },
    },
    Row {
        name: "get_project",
        expect: [401, 404, 404, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("get_project?owner=acme&name=web".into()),
    },
    Row {
        name: "update_project",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: true,
        setup: Setup::None,
        call: |c| {
            let description = format!("changed by caller {}", c.index());
            post(
                "update_project",
                &[
                    ("owner", "acme"),
                    ("name", "web"),
                    ("new_name", "web"),
                    ("description", &description),
                ],
            )
        },
    },
    Row {
        name: "delete_project",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: true,
        setup: Setup::DoomedProjects,
        call: |c| {
            let name = format!("doomed{}", c.index());
            post(
                "delete_project",
                &[("owner", "acme"), ("name", &name), ("confirm", &name)],
            )
        },
    },
    Row {
        name: "set_current_project",
        // A preference of the caller, not a change of the project: not audited.
        expect: [401, 404, 404, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| post("set_current_project", &[("project", "acme/web")]),
    },
    Row {
        name: "project_audit_log",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("project_audit_log?owner=acme&name=web".into()),
    },
    Row {
        name: "invite_project_member",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: true,
        setup: Setup::OrgMembers,
        call: |c| {
            post(
                "invite_project_member",
                &[
                    ("owner", "acme"),
                    ("name", "web"),
                    ("login", &target(c)),
                    ("role", "viewer"),
                ],
            )
        },
    },
    Row {
        name: "change_project_member_role",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: true,
        setup: Setup::ProjectViewers,
        call: |c| {
            post(
                "change_project_member_role",
                &[
                    ("owner", "acme"),
                    ("name", "web"),
                    ("username", &target(c)),
                    ("role", "developer"),
                ],
            )
        },
    },
    Row {
        name: "remove_project_member",
        expect: [401, 404, 404, 403, 403, 200, 200, 200],
        changes: true,
        setup: Setup::ProjectViewers,
        call: |c| {
            post(
                "remove_project_member",
                &[("owner", "acme"), ("name", "web"), ("username", &target(c))],
            )
        },
    },
];

// Appended rows: KCR push paths (issue 5).
const KCR_ROWS: &[Row] = &[
    Row {
        name: "push_target",
        expect: [401, 404, 404, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("push_target?owner=acme&name=web".into()),
    },
    Row {
        name: "registry_table",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("registry_table".into()),
    },
];

// Appended rows: registry credentials (issue 4). `{own}` stands for the caller's own
// credential of `acme/web` (see `Setup::Credentials`).
const CREDENTIAL_ROWS: &[Row] = &[
    Row {
        name: "list_credentials",
        expect: [401, 404, 404, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::Credentials,
        call: |_| Call::Get("list_credentials?owner=acme&name=web".into()),
    },
    Row {
        name: "add_credential",
        expect: [401, 404, 404, 403, 200, 200, 200, 200],
        changes: true,
        setup: Setup::None,
        call: |c| {
            let server = format!("new{}.example.com", c.index());
            post(
                "add_credential",
                &[
                    ("owner", "acme"),
                    ("name", "web"),
                    ("registry", "other"),
                    ("server", &server),
                    ("username", "ci"),
                    ("password", "pw"),
                ],
            )
        },
    },
    Row {
        name: "update_credential",
        expect: [401, 404, 404, 403, 200, 200, 200, 200],
        changes: true,
        setup: Setup::Credentials,
        call: |_| {
            post(
                "update_credential",
                &[
                    ("owner", "acme"),
                    ("name", "web"),
                    ("id", "{own}"),
                    ("username", "changed"),
                    ("password", "new password"),
                ],
            )
        },
    },
    Row {
        name: "delete_credential",
        expect: [401, 404, 404, 403, 200, 200, 200, 200],
        changes: true,
        setup: Setup::Credentials,
        call: |_| {
            post(
                "delete_credential",
                &[("owner", "acme"), ("name", "web"), ("id", "{own}")],
            )
        },
    },
    Row {
        name: "resolve_image",
        expect: [401, 404, 404, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::Credentials,
        call: |_| Call::Get("resolve_image?owner=acme&name=web&image=reg0.example.com/app".into()),
    },
];

// Appended rows: invitations (issue 10). `{own}` stands for the invitation the row's setup
// made for this caller: to `target{i}` (revoke) or to the caller themselves (accept, decline).
const INVITATION_ROWS: &[Row] = &[
    Row {
        name: "my_invitations",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::None,
        call: |_| Call::Get("my_invitations".into()),
    },
    Row {
        name: "revoke_invitation",
        expect: [401, 404, 403, 403, 403, 403, 200, 200],
        changes: true,
        setup: Setup::TargetInvitations,
        call: |_| post("revoke_invitation", &[("id", "{own}")]),
    },
    Row {
        name: "get_invitation",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: false,
        setup: Setup::OwnInvitations,
        call: |_| Call::Get("get_invitation?id={own}&token=".into()),
    },
    Row {
        name: "accept_invitation",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: true,
        setup: Setup::OwnInvitations,
        call: |_| post("accept_invitation", &[("id", "{own}")]),
    },
    Row {
        name: "decline_invitation",
        expect: [401, 200, 200, 200, 200, 200, 200, 200],
        changes: true,
        setup: Setup::OwnInvitations,
        call: |_| post("decline_invitation", &[("id", "{own}")]),
    },
];

/// Every row.
fn rows() -> impl Iterator<Item = &'static Row> {
    ROWS.iter()
        .chain(KCR_ROWS)
        .chain(CREDENTIAL_ROWS)
        .chain(INVITATION_ROWS)
}

const REGIONS: &str = r#"
[[regions]]
name = "eu"
display_name = "Europe"
kcr_host = "kcr.eu.example.com"

[[regions]]
name = "us"
display_name = "United States"
kcr_host = "kcr.us.example.com"
"#;

/// An instance with organization `acme` (owner olive, admin adam, members mona, vera, dave and
/// pat) and its project `acme/web` in `eu` (viewer vera, developer dave, admin pat); otto
/// belongs to nothing.
struct Fixture {
    app: TestApp,
    cookies: Vec<Option<String>>,
    /// Per caller: the ID `{own}` stands for.
    own: Vec<String>,
    _config: tempfile::TempDir,
}

impl Fixture {
    async fn new(backend: Backend) -> Self {
        let config = tempfile::tempdir().unwrap();
        let path = config.path().join("berth.toml");
        std::fs::write(&path, REGIONS).unwrap();
        let app = TestApp::spawn_with(backend, &["--config", path.to_str().unwrap()]).await;
        let mut cookies = Vec::new();
        for caller in CALLERS {
            cookies.push(match caller.username() {
                Some(name) => Some(app.sign_up(name).await),
                None => None,
            });
        }
        let fx = Self {
            app,
            cookies,
            own: Vec::new(),
            _config: config,
        };
        fx.org("acme").await;
        fx.owner_ok(
            "create_project",
            &[
                ("owner", "acme"),
                ("name", "web"),
                ("description", "The shop"),
                ("region", "eu"),
            ],
        )
        .await;
        fx.project_roles("web").await;
        fx
    }

    fn cookie(&self, caller: Caller) -> Option<&str> {
        self.cookies[caller.index()].as_deref()
    }

    /// A call as the organization owner that must succeed.
    async fn owner_ok(&self, name: &str, form: &[(&str, &str)]) {
        let res = self.app.call(name, form, self.cookie(OrgOwner)).await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::OK,
            "{name}: {}",
            res.text().await.unwrap()
        );
    }

    /// Creates organization `org` with the standard organization roles.
    async fn org(&self, org: &str) {
        self.owner_ok("create_org", &[("name", org), ("display_name", org)])
            .await;
        for (who, role) in [
            ("adam", "admin"),
            ("mona", "member"),
            ("vera", "member"),
            ("dave", "member"),
            ("pat", "member"),
        ] {
            grant_org_role(&self.app, org, who, role).await;
        }
    }

    /// Gives `acme/project` the standard project roles.
    async fn project_roles(&self, project: &str) {
        for (who, role) in [("vera", "viewer"), ("dave", "developer"), ("pat", "admin")] {
            grant_project_role(&self.app, ("acme", project), who, role).await;
        }
    }

    async fn prepare(&mut self, setup: Setup) {
        if matches!(
            setup,
            Setup::Accounts | Setup::OrgMembers | Setup::ProjectViewers | Setup::TargetInvitations
        ) {
            for caller in CALLERS {
                let name = target(caller);
                let email = format!("{name}@example.com");
                users::create(
                    &self.app.state.db,
                    &NewUser {
                        username: &name,
                        email: &email,
                        display_name: &name,
                        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$unused$unused",
                    },
                )
                .await
                .unwrap();
                if matches!(setup, Setup::OrgMembers | Setup::ProjectViewers) {
                    grant_org_role(&self.app, "acme", &name, "member").await;
                }
                if setup == Setup::ProjectViewers {
                    grant_project_role(&self.app, ("acme", "web"), &name, "viewer").await;
                }
                if setup == Setup::TargetInvitations {
                    self.owner_ok(
                        "invite_org_member",
                        &[("org", "acme"), ("login", &name), ("role", "member")],
                    )
                    .await;
                    self.own.push(self.invitation_of(&name).await);
                }
            }
        }
        if setup == Setup::DoomedProjects {
            for caller in CALLERS {
                let name = format!("doomed{}", caller.index());
                self.owner_ok(
                    "create_project",
                    &[
                        ("owner", "acme"),
                        ("name", &name),
                        ("description", ""),
                        ("region", "eu"),
                    ],
                )
                .await;
                self.project_roles(&name).await;
            }
        }
        if setup == Setup::SpareOrg {
            self.org("spare").await;
        }
        if setup == Setup::Credentials {
            for caller in CALLERS {
                let server = format!("reg{}.example.com", caller.index());
                self.owner_ok(
                    "add_credential",
                    &[
                        ("owner", "acme"),
                        ("name", "web"),
                        ("registry", "other"),
                        ("server", &server),
                        ("password", "pw"),
                    ],
                )
                .await;
            }
            let list: serde_json::Value = self
                .app
                .get(
                    "/api/list_credentials?owner=acme&name=web",
                    self.cookie(OrgOwner),
                )
                .await
                .json()
                .await
                .unwrap();
            self.own = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(self.own.len(), CALLERS.len());
        }
        if setup == Setup::OwnInvitations {
            // guild's owner is an account of its own, so olive is invited like everyone.
            let gus = self.app.sign_up("gus").await;
            ok(
                &self.app,
                &gus,
                "create_org",
                &[("name", "guild"), ("display_name", "Guild")],
            )
            .await;
            for caller in CALLERS {
                let Some(name) = caller.username() else {
                    self.own.push(uuid::Uuid::nil().to_string());
                    continue;
                };
                ok(
                    &self.app,
                    &gus,
                    "invite_org_member",
                    &[("org", "guild"), ("login", name), ("role", "member")],
                )
                .await;
                self.own.push(self.invitation_of(name).await);
            }
        }
    }

    /// The ID of the pending invitation of `username`.
    async fn invitation_of(&self, username: &str) -> String {
        let id = app::on_db!(&self.app.state.db, pool => sqlx::query_scalar::<_, uuid::Uuid>(
            "select i.id from invitation i join app_user u on u.id = i.invitee_user_id
             where u.username = $1"
        )
        .bind(username)
        .fetch_one(pool)
        .await)
        .unwrap();
        id.to_string()
    }
}

async fn every_role_gets_exactly_what_the_matrix_says(backend: Backend) {
    let mut failures = Vec::new();
    for row in rows() {
        let mut fx = Fixture::new(backend).await;
        fx.prepare(row.setup).await;
        for caller in CALLERS {
            let before = fx.app.count("audit_event").await;
            let res = match (row.call)(caller) {
                Call::Get(path) => {
                    let own = fx.own.get(caller.index()).cloned().unwrap_or_default();
                    let path = path.replace("{own}", &own);
                    fx.app.get(&format!("/api/{path}"), fx.cookie(caller)).await
                }
                Call::Post(name, form) => {
                    let own = fx.own.get(caller.index()).cloned().unwrap_or_default();
                    let form: Vec<(&str, &str)> = form
                        .iter()
                        .map(|(k, v)| {
                            (
                                *k,
                                if v == "{own}" {
                                    own.as_str()
                                } else {
                                    v.as_str()
                                },
                            )
                        })
                        .collect();
                    fx.app.call(name, &form, fx.cookie(caller)).await
                }
            };
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let expected = row.expect[caller.index()];
            if status != expected {
                failures.push(format!(
                    "{} as {caller:?}: expected {expected}, got {status}: {body}",
                    row.name
                ));
                continue;
            }
            let written = fx.app.count("audit_event").await - before;
            let should = i64::from(row.changes && status == 200);
            if written != should {
                failures.push(format!(
                    "{} as {caller:?}: {written} audit events, expected {should}",
                    row.name
                ));
            }
            // Refusals say why in words a person can act on.
            if status == 403 {
                assert!(body.contains("needs the"), "{}: {body}", row.name);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn every_server_function_has_a_row(_backend: Backend) {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/api/").map(str::to_owned))
        .collect();
    let covered: BTreeSet<String> = rows()
        .map(|r| r.name)
        .chain(OWN_TESTS.iter().copied())
        .map(str::to_owned)
        .collect();
    let missing: Vec<_> = registered.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "server functions without a row in the permission matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for functions that do not exist: {stale:?}"
    );
    // Each function once.
    assert_eq!(covered.len(), rows().count() + OWN_TESTS.len());
}

on_both!(
    every_role_gets_exactly_what_the_matrix_says,
    every_server_function_has_a_row,
);
