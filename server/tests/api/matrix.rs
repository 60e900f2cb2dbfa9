//! The permission matrix: every server function × eight callers, with the exact status each
//! gets and whether the call changed anything (an audit event is written by every change and
//! by nothing else). Every server function the server registers must have a row here or be
//! listed in [`OWN_TESTS`]; a function added later without one fails
//! `every_server_function_has_a_row`. Each row names what every caller gets in an exhaustive
//! `match`, so a caller added later must be given a status in every row.

use std::collections::BTreeSet;

use app::api::{
    audit::{OrgAuditLog, ProjectAuditLog},
    credential_checks::{CheckCredential, CheckTypedCredential},
    credential_imports::{ConfirmCredentialImport, CredentialImport, PreviewCredentialImport},
    credentials::{
        AddCredential, AddEcrCredential, DeleteCredential, ListCredentials, ResolveImage,
        UpdateCredential, UpdateEcrCredential,
    },
    images::{DeleteImage, ListRepositories},
    invitations::{
        AcceptInvitation, DeclineInvitation, GetInvitation, InviteOrgMember, InviteProjectMember,
        MyInvitations, RevokeInvitation,
    },
    kcr::{PushTarget, RegistryTable},
    org_members::{ChangeOrgMemberRole, RemoveOrgMember},
    orgs::{CreateOrg, DeleteOrg, GetOrg, ListOrgs, ListRegions, SetOrgRegions, UpdateOrg},
    project_members::{ChangeProjectMemberRole, RemoveProjectMember},
    projects::{
        CreateProject, DeleteProject, GetProject, ListProjects, ProjectOwners, SetCurrentProject,
        UpdateProject,
    },
    pull_secrets::{ExportPullSecret, GetRegistryLogin, PullSecretPreview},
    tokens::{
        CreatePersonalToken, CreateProjectToken, ListPersonalTokens, ListProjectTokens,
        RevokePersonalToken, RevokeProjectToken, Whoami,
    },
};
use app::domain::token::Scope;
use app::server::db::{
    kcr_images,
    users::{self, NewUser},
};

use crate::helpers::{
    Backend, Encoded, TestApp, User, grant_org_role, grant_project_role,
    registry::{Registry, free_port},
};
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
/// `accounts.rs`, `sessions.rs` and `security.rs` test them, and `client.rs` the device login
/// (a code the device holds) and `revoke_this_token` (the calling token itself).
const OWN_TESTS: &[&str] = &[
    "current_user",
    "signup_status",
    "sign_up",
    "sign_in",
    "sign_out",
    "change_password",
    "device_request",
    "approve_device",
    "deny_device",
    "revoke_this_token",
];

/// One row: the status each caller gets, whether a success changes something (and so writes
/// one audit event), what to set up first, and the call (made from the caller and the ID
/// its setup made for it: see [`Setup`]).
struct Row {
    expect: fn(Caller) -> u16,
    changes: bool,
    setup: Setup,
    call: fn(Caller, &str) -> Encoded,
}

impl Row {
    /// The server function the row calls.
    fn name(&self) -> &'static str {
        (self.call)(Anonymous, "").name()
    }
}

// Who gets what: each caller's status, named in an exhaustive match, so a caller added
// later must be given a status everywhere.

/// Anyone signed in.
fn signed_in(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider | OrgMember | Viewer | Developer | ProjectAdmin | OrgAdmin | OrgOwner => 200,
    }
}

/// Members of the organization (and so everyone with a role in its projects).
fn org_members(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider => 404,
        OrgMember | Viewer | Developer | ProjectAdmin | OrgAdmin | OrgOwner => 200,
    }
}

/// Admins and owners of the organization; its other members are refused.
fn org_admins(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider => 404,
        OrgMember | Viewer | Developer | ProjectAdmin => 403,
        OrgAdmin | OrgOwner => 200,
    }
}

/// Owners of the organization only.
fn org_owners(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider => 404,
        OrgMember | Viewer | Developer | ProjectAdmin | OrgAdmin => 403,
        OrgOwner => 200,
    }
}

/// Anyone with a role in the project; the organization's other members do not see it.
fn project_members(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider | OrgMember => 404,
        Viewer | Developer | ProjectAdmin | OrgAdmin | OrgOwner => 200,
    }
}

/// Admins of the project, and the organization's admins and owners.
fn project_admins(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider | OrgMember => 404,
        Viewer | Developer => 403,
        ProjectAdmin | OrgAdmin | OrgOwner => 200,
    }
}

/// Developers and admins of the project, and the organization's admins and owners.
fn developers(c: Caller) -> u16 {
    match c {
        Anonymous => 401,
        Outsider | OrgMember => 404,
        Viewer => 403,
        Developer | ProjectAdmin | OrgAdmin | OrgOwner => 200,
    }
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
    /// A personal token `mine` of every caller.
    OwnTokens,
    /// Tokens `t0`..`t7` of `acme/web`, one per caller.
    ProjectTokens,
    /// The registry of `eu` running, and in Berth's list an image of `acme/web/app` per
    /// caller (tag `t0`..`t7`; the digests are not in the registry, which answers a delete
    /// of them with 404).
    Images,
}

fn target(c: Caller) -> String {
    format!("target{}", c.index())
}

const ROWS: &[Row] = &[
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(ListRegions {}),
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(ListOrgs {}),
    },
    Row {
        expect: signed_in,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            Encoded::of(CreateOrg {
                name: format!("new{}", c.index()),
                display_name: "New".into(),
            })
        },
    },
    Row {
        expect: org_members,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(GetOrg {
                name: "acme".into(),
            })
        },
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::Accounts,
        call: |c, _| {
            Encoded::of(InviteOrgMember {
                org: "acme".into(),
                login: target(c),
                role: "member".into(),
            })
        },
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::OrgMembers,
        call: |c, _| {
            Encoded::of(ChangeOrgMemberRole {
                org: "acme".into(),
                username: target(c),
                role: "admin".into(),
            })
        },
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::OrgMembers,
        call: |c, _| {
            Encoded::of(RemoveOrgMember {
                org: "acme".into(),
                username: target(c),
            })
        },
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::None,
        // The organization starts with both regions; each success flips `us` off or on.
        call: |c, _| {
            let mut regions = vec!["eu".to_owned()];
            if c == OrgOwner {
                regions.push("us".to_owned());
            }
            Encoded::of(SetOrgRegions {
                org: "acme".into(),
                regions,
            })
        },
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::None,
        // A different name per caller, so that every success changes it.
        call: |c, _| {
            Encoded::of(UpdateOrg {
                org: "acme".into(),
                display_name: format!("Acme as seen by {c:?}"),
            })
        },
    },
    Row {
        expect: org_owners,
        changes: true,
        setup: Setup::SpareOrg,
        call: |_, _| {
            Encoded::of(DeleteOrg {
                org: "spare".into(),
                confirm: "spare".into(),
            })
        },
    },
    Row {
        expect: org_admins,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(OrgAuditLog {
                org: "acme".into(),
                before: None,
                action: None,
            })
        },
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(ListProjects {}),
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(ProjectOwners {}),
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            Encoded::of(CreateProject {
                owner: "acme".into(),
                name: format!("p{}", c.index()),
                description: String::new(),
                region: "eu".into(),
            })
        },
    },
    Row {
        expect: project_members,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(GetProject {
                owner: "acme".into(),
                name: "web".into(),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            Encoded::of(UpdateProject {
                owner: "acme".into(),
                name: "web".into(),
                new_name: "web".into(),
                description: format!("changed by caller {}", c.index()),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::DoomedProjects,
        call: |c, _| {
            let name = format!("doomed{}", c.index());
            Encoded::of(DeleteProject {
                owner: "acme".into(),
                confirm: name.clone(),
                name,
            })
        },
    },
    Row {
        // A preference of the caller, not a change of the project: not audited.
        expect: project_members,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(SetCurrentProject {
                project: "acme/web".into(),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(ProjectAuditLog {
                owner: "acme".into(),
                name: "web".into(),
                before: None,
                action: None,
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::OrgMembers,
        call: |c, _| {
            Encoded::of(InviteProjectMember {
                owner: "acme".into(),
                name: "web".into(),
                login: target(c),
                role: "viewer".into(),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::ProjectViewers,
        call: |c, _| {
            Encoded::of(ChangeProjectMemberRole {
                owner: "acme".into(),
                name: "web".into(),
                username: target(c),
                role: "developer".into(),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::ProjectViewers,
        call: |c, _| {
            Encoded::of(RemoveProjectMember {
                owner: "acme".into(),
                name: "web".into(),
                username: target(c),
            })
        },
    },
];

// Appended rows: KCR push paths (issue 5).
const KCR_ROWS: &[Row] = &[
    Row {
        expect: project_members,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(PushTarget {
                owner: "acme".into(),
                name: "web".into(),
            })
        },
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(RegistryTable {}),
    },
];

// Appended rows: registry credentials (issue 4). `own` is the caller's own credential of
// `acme/web` (see `Setup::Credentials`).
const CREDENTIAL_ROWS: &[Row] = &[
    Row {
        expect: project_members,
        changes: false,
        setup: Setup::Credentials,
        call: |_, _| {
            Encoded::of(ListCredentials {
                owner: "acme".into(),
                name: "web".into(),
                after: None,
            })
        },
    },
    Row {
        expect: developers,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            Encoded::of(AddCredential {
                owner: "acme".into(),
                name: "web".into(),
                registry: "other".into(),
                server: format!("new{}.example.com", c.index()),
                username: "ci".into(),
                email: String::new(),
                password: "pw".into(),
                expires_on: String::new(),
            })
        },
    },
    Row {
        expect: developers,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            Encoded::of(AddEcrCredential {
                owner: "acme".into(),
                name: "web".into(),
                registry_host: format!("12345678901{}.dkr.ecr.eu-west-1.amazonaws.com", c.index()),
                aws_access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                aws_session_token: "".into(),
                aws_role_arn: String::new(),
                aws_external_id: String::new(),
            })
        },
    },
    // New AWS keys for a credential that holds a password: refused once access is granted
    // (a 409, nothing changed, no call to AWS).
    Row {
        expect: developers_reach_conflict,
        changes: false,
        setup: Setup::Credentials,
        call: |_, own| {
            Encoded::of(UpdateEcrCredential {
                owner: "acme".into(),
                name: "web".into(),
                id: own.into(),
                aws_access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                aws_session_token: "".into(),
                aws_role_arn: String::new(),
                aws_external_id: String::new(),
            })
        },
    },
    Row {
        expect: developers,
        changes: true,
        setup: Setup::Credentials,
        call: |_, own| {
            Encoded::of(UpdateCredential {
                owner: "acme".into(),
                name: "web".into(),
                id: own.into(),
                username: "changed".into(),
                email: String::new(),
                password: "new password".into(),
                expires_on: String::new(),
            })
        },
    },
    Row {
        expect: developers,
        changes: true,
        setup: Setup::Credentials,
        call: |_, own| {
            Encoded::of(DeleteCredential {
                owner: "acme".into(),
                name: "web".into(),
                id: own.into(),
            })
        },
    },
    Row {
        expect: project_members,
        changes: false,
        setup: Setup::Credentials,
        call: |_, _| {
            Encoded::of(ResolveImage {
                owner: "acme".into(),
                name: "web".into(),
                image: "reg0.example.com/app".into(),
            })
        },
    },
];

// Appended rows: invitations (issue 10). `own` is the invitation the row's setup made for
// this caller: to `target{i}` (revoke) or to the caller themselves (accept, decline).
const INVITATION_ROWS: &[Row] = &[
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(MyInvitations {}),
    },
    Row {
        expect: org_admins,
        changes: true,
        setup: Setup::TargetInvitations,
        call: |_, own| Encoded::of(RevokeInvitation { id: own.into() }),
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::OwnInvitations,
        call: |_, own| {
            Encoded::of(GetInvitation {
                id: own.into(),
                token: String::new(),
            })
        },
    },
    Row {
        expect: signed_in,
        changes: true,
        setup: Setup::OwnInvitations,
        call: |_, own| {
            Encoded::of(AcceptInvitation {
                id: own.into(),
                token: String::new(),
            })
        },
    },
    Row {
        expect: signed_in,
        changes: true,
        setup: Setup::OwnInvitations,
        call: |_, own| {
            Encoded::of(DeclineInvitation {
                id: own.into(),
                token: String::new(),
            })
        },
    },
];

fn token_args(label: String) -> (String, Vec<String>, String) {
    (label, vec!["projects:read".into()], String::new())
}

// Appended rows: access tokens (issue 13). `own` is the caller's own token (revoke).
const TOKEN_ROWS: &[Row] = &[
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(Whoami {}),
    },
    Row {
        expect: signed_in,
        changes: false,
        setup: Setup::None,
        call: |_, _| Encoded::of(ListPersonalTokens {}),
    },
    Row {
        expect: signed_in,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            let (label, scopes, expires_in_days) = token_args(format!("new{}", c.index()));
            Encoded::of(CreatePersonalToken {
                label,
                scopes,
                expires_in_days,
            })
        },
    },
    Row {
        expect: signed_in,
        changes: true,
        setup: Setup::OwnTokens,
        call: |_, own| Encoded::of(RevokePersonalToken { id: own.into() }),
    },
    Row {
        expect: project_admins,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(ListProjectTokens {
                owner: "acme".into(),
                name: "web".into(),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::None,
        call: |c, _| {
            let (label, scopes, expires_in_days) = token_args(format!("new{}", c.index()));
            Encoded::of(CreateProjectToken {
                owner: "acme".into(),
                name: "web".into(),
                label,
                scopes,
                expires_in_days,
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::ProjectTokens,
        call: |_, own| {
            Encoded::of(RevokeProjectToken {
                owner: "acme".into(),
                name: "web".into(),
                id: own.into(),
            })
        },
    },
];

/// Every row.
// Appended rows: KCR images (issue 14).
const IMAGE_ROWS: &[Row] = &[
    Row {
        expect: project_members,
        changes: false,
        setup: Setup::Images,
        call: |_, _| {
            Encoded::of(ListRepositories {
                owner: "acme".into(),
                name: "web".into(),
                repository: Some("acme/web/app".into()),
                after: None,
            })
        },
    },
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::Images,
        call: |_, own| {
            Encoded::of(DeleteImage {
                owner: "acme".into(),
                name: "web".into(),
                repository: "acme/web/app".into(),
                digest: own.into(),
            })
        },
    },
];

// Appended rows: pull secrets (issue 15). Each export writes its audit event.
const PULL_SECRET_ROWS: &[Row] = &[
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::Credentials,
        call: |_, _| {
            Encoded::of(ExportPullSecret {
                owner: "acme".into(),
                name: "web".into(),
                format: "k8s".into(),
                kcr_ttl: "1h".into(),
                secret_name: String::new(),
            })
        },
    },
    // The credential helper's login: one credential's password, audited like an export.
    Row {
        expect: project_admins,
        changes: true,
        setup: Setup::Credentials,
        call: |c, _| {
            Encoded::of(GetRegistryLogin {
                owner: "acme".into(),
                name: "web".into(),
                server: format!("reg{}.example.com", c.index()),
            })
        },
    },
    Row {
        expect: project_admins,
        changes: false,
        setup: Setup::Credentials,
        call: |_, _| {
            Encoded::of(PullSecretPreview {
                owner: "acme".into(),
                name: "web".into(),
            })
        },
    },
];

/// Developers and up pass the access check and reach the rule, which refuses (a 409).
fn developers_reach_conflict(c: Caller) -> u16 {
    match developers(c) {
        200 => 409,
        refused => refused,
    }
}

/// Developers and up pass the access check and reach the input's own rule (a 422).
fn developers_reach_input(c: Caller) -> u16 {
    match developers(c) {
        200 => 422,
        refused => refused,
    }
}

// Appended rows: credential checks (issue 16). A stored credential is checked with an image
// that does not parse (a 422 once access is granted: no outbound call to `reg*.example.com`);
// a typed one at a loopback address, which Berth refuses to call without the allowance (a
// 200 report, and nothing stored).
const CHECK_ROWS: &[Row] = &[
    Row {
        expect: developers_reach_input,
        changes: false,
        setup: Setup::Credentials,
        call: |_, own| {
            Encoded::of(CheckCredential {
                owner: "acme".into(),
                name: "web".into(),
                id: own.into(),
                image: "Not An Image!".into(),
            })
        },
    },
    Row {
        expect: developers,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(CheckTypedCredential {
                owner: "acme".into(),
                name: "web".into(),
                id: String::new(),
                registry: "other".into(),
                server: "http://127.0.0.1:1".into(),
                username: "ci".into(),
                email: String::new(),
                password: "pw".into(),
                expires_on: String::new(),
                image: String::new(),
            })
        },
    },
];

// Appended rows: docker config.json import (issue 16). Previews store a draft, not audited;
// the confirmation with a choice that does not read is a 422 once access is granted.
const IMPORT_ROWS: &[Row] = &[
    Row {
        expect: developers,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(PreviewCredentialImport {
                owner: "acme".into(),
                name: "web".into(),
                docker_config: r#"{"auths": {"ghcr.io": {"username": "u", "password": "p"}}}"#
                    .into(),
            })
        },
    },
    Row {
        expect: developers,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(CredentialImport {
                owner: "acme".into(),
                name: "web".into(),
                draft: None,
            })
        },
    },
    Row {
        expect: developers_reach_input,
        changes: false,
        setup: Setup::None,
        call: |_, _| {
            Encoded::of(ConfirmCredentialImport {
                owner: "acme".into(),
                name: "web".into(),
                draft: "01934f7e-0000-7000-8000-000000000000".into(),
                existing: "overwrite".into(),
            })
        },
    },
];

fn rows() -> impl Iterator<Item = &'static Row> {
    ROWS.iter()
        .chain(KCR_ROWS)
        .chain(CREDENTIAL_ROWS)
        .chain(INVITATION_ROWS)
        .chain(TOKEN_ROWS)
        .chain(IMAGE_ROWS)
        .chain(PULL_SECRET_ROWS)
        .chain(CHECK_ROWS)
        .chain(IMPORT_ROWS)
}

/// What a token needs to call a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Any token (and any session).
    Nothing,
    /// A browser session: every token is refused.
    Session,
    /// The scope, checked first: a token without it gets 403 whatever it could see.
    Entry(Scope),
    /// The scope, checked once access is: what the caller cannot see stays a 404.
    Access(Scope),
}

/// The need of every function; a function added later must be named here.
fn need(name: &str) -> Need {
    use Need::*;
    match name {
        "whoami" => Nothing,
        "list_personal_tokens"
        | "create_personal_token"
        | "revoke_personal_token"
        | "list_project_tokens"
        | "create_project_token"
        | "revoke_project_token"
        | "my_invitations"
        | "get_invitation"
        | "accept_invitation"
        | "decline_invitation"
        | "set_current_project" => Session,
        "list_regions" | "list_orgs" | "list_projects" | "project_owners" | "registry_table" => {
            Entry(Scope::ProjectsRead)
        }
        "create_org"
        | "create_project"
        | "remove_org_member"
        | "remove_project_member"
        | "revoke_invitation" => Entry(Scope::All),
        "get_org" | "get_project" | "push_target" => Access(Scope::ProjectsRead),
        "list_credentials" | "resolve_image" => Access(Scope::CredentialsRead),
        "list_repositories" => Access(Scope::RegistryPull),
        "delete_image" => Access(Scope::RegistryDelete),
        "export_pull_secret" | "pull_secret_preview" | "registry_login" => {
            Access(Scope::PullSecretsExport)
        }
        "add_credential"
        | "add_ecr_credential"
        | "update_ecr_credential"
        | "update_credential"
        | "delete_credential"
        | "check_credential"
        | "check_typed_credential"
        | "preview_credential_import"
        | "credential_import"
        | "confirm_credential_import" => Access(Scope::CredentialsWrite),
        "invite_org_member"
        | "change_org_member_role"
        | "set_org_regions"
        | "update_org"
        | "delete_org"
        | "org_audit_log"
        | "invite_project_member"
        | "change_project_member_role"
        | "update_project"
        | "delete_project"
        | "project_audit_log" => Access(Scope::All),
        other => panic!("{other}: say what a token needs for it in `need`"),
    }
}

/// What a token of `acme/web` with the scope it needs gets, called with the arguments of
/// [`Anonymous`] (a caller that never calls with a token, so those arguments are free).
fn project_token(name: &str) -> u16 {
    match name {
        "whoami"
        | "get_project"
        | "push_target"
        | "list_credentials"
        | "resolve_image"
        | "add_credential"
        | "add_ecr_credential"
        | "update_credential"
        | "delete_credential"
        | "list_repositories"
        | "check_typed_credential"
        | "preview_credential_import"
        | "credential_import" => 200,
        "check_credential" | "confirm_credential_import" => 422,
        "update_ecr_credential" => 409,
        // The one thing a project token may do beyond a developer: its scope gates it.
        "export_pull_secret" | "pull_secret_preview" | "registry_login" => 200,
        // `doomed0` is another project.
        "delete_project" => 404,
        _ => 403,
    }
}

const REGIONS: &str = r#"
[[regions]]
name = "eu"
display_name = "Europe"
kcr_host = "kcr.eu.example.com"
registry_url = "http://127.0.0.1:PORT"

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
    /// Per caller: the session cookie (none for [`Anonymous`]).
    cookies: Vec<Option<String>>,
    /// Per caller: the ID a row's call gets as `own`.
    own: Vec<String>,
    _config: tempfile::TempDir,
    /// Where `eu`'s registry listens when a row starts it.
    registry_at: String,
    registry: Option<Registry>,
}

impl Fixture {
    async fn new(backend: Backend) -> Self {
        let config = tempfile::tempdir().unwrap();
        let path = config.path().join("berth.toml");
        let registry_at = format!("127.0.0.1:{}", free_port());
        let port = registry_at.rsplit_once(':').unwrap().1.to_owned();
        std::fs::write(&path, REGIONS.replace("PORT", &port)).unwrap();
        let app = TestApp::spawn_with(backend, &["--config", path.to_str().unwrap()]).await;
        // Before the AWS emulator's tokens expire (2015-01-01), so ECR credentials can be added.
        app.state
            .clock
            .set(time::macros::datetime!(2014-12-31 12:00 UTC));
        let mut cookies = Vec::new();
        for caller in CALLERS {
            cookies.push(match caller.username() {
                Some(name) => Some(app.sign_up(name).await.cookie),
                None => None,
            });
        }
        let fx = Self {
            app,
            cookies,
            own: Vec::new(),
            _config: config,
            registry_at,
            registry: None,
        };
        fx.org("acme").await;
        fx.owner().create_project_in("acme", "web", "eu").await;
        fx.project_roles("web").await;
        fx
    }

    fn cookie(&self, caller: Caller) -> Option<&str> {
        self.cookies[caller.index()].as_deref()
    }

    /// The organization owner, who sets everything up.
    fn owner(&self) -> User<'_> {
        User {
            app: &self.app,
            username: "olive".into(),
            cookie: self.cookie(OrgOwner).unwrap().to_owned(),
        }
    }

    /// Creates organization `org` with the standard organization roles.
    async fn org(&self, org: &str) {
        self.owner().create_org(org).await;
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
                    self.owner().invite_to_org("acme", &name, "member").await;
                    self.own.push(self.invitation_of(&name).await);
                }
            }
        }
        if setup == Setup::DoomedProjects {
            for caller in CALLERS {
                let name = format!("doomed{}", caller.index());
                self.owner().create_project_in("acme", &name, "eu").await;
                self.project_roles(&name).await;
            }
        }
        if setup == Setup::SpareOrg {
            self.org("spare").await;
        }
        if setup == Setup::Credentials {
            let owner = self.owner();
            for caller in CALLERS {
                owner
                    .run(AddCredential {
                        owner: "acme".into(),
                        name: "web".into(),
                        registry: "other".into(),
                        server: format!("reg{}.example.com", caller.index()),
                        username: String::new(),
                        email: String::new(),
                        password: "pw".into(),
                        expires_on: String::new(),
                    })
                    .await;
            }
            let list = owner
                .fetch(ListCredentials {
                    owner: "acme".into(),
                    name: "web".into(),
                    after: None,
                })
                .await;
            let own = list.items.into_iter().map(|c| c.id).collect();
            self.own = own;
            assert_eq!(self.own.len(), CALLERS.len());
        }
        if setup == Setup::OwnTokens {
            for caller in CALLERS {
                let Some(name) = caller.username() else {
                    self.own.push(uuid::Uuid::nil().to_string());
                    continue;
                };
                let user = self.user(caller, name);
                user.personal_token("mine", &["projects:read"], "").await;
                let list = user.fetch(ListPersonalTokens {}).await;
                self.own.push(list.tokens[0].id.clone());
            }
        }
        if setup == Setup::ProjectTokens {
            let owner = self.owner();
            for caller in CALLERS {
                owner
                    .project_token(
                        ("acme", "web"),
                        &format!("t{}", caller.index()),
                        &["projects:read"],
                    )
                    .await;
            }
            let list = owner
                .fetch(ListProjectTokens {
                    owner: "acme".into(),
                    name: "web".into(),
                })
                .await;
            // Newest first: t7 .. t0.
            self.own = list.tokens.into_iter().rev().map(|t| t.id).collect();
            assert_eq!(self.own.len(), CALLERS.len());
        }
        if setup == Setup::Images {
            self.registry = Some(Registry::start_at(&self.app, "eu", &self.registry_at).await);
            let web = app::server::db::projects::find(&self.app.state.db, "acme", "web")
                .await
                .unwrap()
                .unwrap();
            let mut tx = self.app.state.db.begin().await.unwrap();
            let repository = kcr_images::repository_id(
                &mut tx,
                &kcr_images::NewRepository {
                    region: "eu",
                    name: "acme/web/app",
                    owner_name: "acme",
                    project_id: Some(web.id),
                },
                1,
            )
            .await
            .unwrap();
            for caller in CALLERS {
                let digest = format!("sha256:{}", format!("{:x}", caller.index()).repeat(64));
                kcr_images::put_tag(
                    &mut tx,
                    &kcr_images::Pushed {
                        repository,
                        tag: &format!("t{}", caller.index()),
                        digest: &digest,
                        media_type: "application/vnd.oci.image.manifest.v1+json",
                        size: Some(1),
                        at: 1,
                        by: None,
                        token: None,
                    },
                )
                .await
                .unwrap();
                self.own.push(digest);
            }
            tx.commit().await.unwrap();
        }
        if setup == Setup::OwnInvitations {
            // guild's owner is an account of its own, so olive is invited like everyone.
            let gus = self.app.sign_up("gus").await;
            gus.create_org("guild").await;
            for caller in CALLERS {
                let Some(name) = caller.username() else {
                    self.own.push(uuid::Uuid::nil().to_string());
                    continue;
                };
                gus.invite_to_org("guild", name, "member").await;
                let id = self.invitation_of(name).await;
                self.own.push(id);
            }
        }
    }

    /// `caller` as a signed-in [`User`].
    fn user(&self, caller: Caller, name: &str) -> User<'_> {
        User {
            app: &self.app,
            username: name.into(),
            cookie: self.cookie(caller).unwrap().to_owned(),
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
            let own = fx.own.get(caller.index()).cloned().unwrap_or_default();
            let call = (row.call)(caller, &own);
            let res = fx.app.send_encoded(&call, fx.cookie(caller)).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let expected = (row.expect)(caller);
            if status != expected {
                failures.push(format!(
                    "{} as {caller:?}: expected {expected}, got {status}: {body}",
                    row.name()
                ));
                continue;
            }
            let written = fx.app.count("audit_event").await - before;
            let should = i64::from(row.changes && status == 200);
            if written != should {
                failures.push(format!(
                    "{} as {caller:?}: {written} audit events, expected {should}",
                    row.name()
                ));
            }
            // Refusals say why in words a person can act on.
            if status == 403 {
                assert!(body.contains("needs the"), "{}: {body}", row.name());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The second dimension: every function called with a personal token that lacks the scope it
/// needs (403, or the 404 of what the caller cannot see), then with one that has it (what the
/// caller's role allows, as in the session matrix), and with a project token of `acme/web`.
async fn every_token_gets_what_its_scope_and_role_allow(backend: Backend) {
    let mut failures = Vec::new();
    for row in rows() {
        let name = row.name();
        let need = need(name);
        let mut fx = Fixture::new(backend).await;
        fx.prepare(row.setup).await;
        let (right, wrong) = match need {
            Need::Nothing | Need::Session | Need::Entry(Scope::All) | Need::Access(Scope::All) => {
                ("all", Some("credentials:write"))
            }
            Need::Entry(Scope::ProjectsRead) | Need::Access(Scope::ProjectsRead) => {
                ("projects:read", Some("credentials:write"))
            }
            Need::Entry(scope) | Need::Access(scope) => (scope.as_str(), Some("projects:read")),
        };
        let wrong = if need == Need::Nothing || right == "all" && need == Need::Session {
            None
        } else {
            wrong
        };
        let owner = fx.owner();
        let project = owner
            .project_token(("acme", "web"), "matrix", &[right])
            .await;
        // The project token first, with the arguments no person uses.
        let call = (row.call)(Anonymous, fx.own.first().map_or("", |s| s.as_str()));
        let before = fx.app.count("audit_event").await;
        let res = fx.app.send_encoded_bearer(&call, &project).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        if status != project_token(name) {
            failures.push(format!(
                "{name} by project token: expected {}, got {status}: {body}",
                project_token(name)
            ));
        } else if fx.app.count("audit_event").await - before
            != i64::from(row.changes && status == 200)
        {
            failures.push(format!(
                "{name} by project token: wrong number of audit events"
            ));
        }
        for caller in CALLERS {
            let Some(username) = caller.username() else {
                continue;
            };
            let user = fx.user(caller, username);
            let granted = user.personal_token("granted", &[right], "").await;
            let lacking = match wrong {
                Some(scope) => Some(user.personal_token("lacking", &[scope], "").await),
                None => None,
            };
            let own = fx.own.get(caller.index()).cloned().unwrap_or_default();
            let call = (row.call)(caller, &own);
            let by_role = (row.expect)(caller);
            let lacking_expect = match need {
                Need::Access(_) if by_role == 404 => 404,
                _ => 403,
            };
            let granted_expect = match need {
                Need::Session => 403,
                _ => by_role,
            };
            for (token, expected, which) in [
                (lacking.as_deref(), lacking_expect, "lacking"),
                (Some(granted.as_str()), granted_expect, "granted"),
            ] {
                let Some(token) = token else {
                    continue;
                };
                let before = fx.app.count("audit_event").await;
                let res = fx.app.send_encoded_bearer(&call, token).await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                if status != expected {
                    failures.push(format!(
                        "{name} as {caller:?} with a token {which} the scope: expected {expected}, got {status}: {body}"
                    ));
                    continue;
                }
                let written = fx.app.count("audit_event").await - before;
                if written != i64::from(row.changes && status == 200) {
                    failures.push(format!(
                        "{name} as {caller:?} ({which}): {written} audit events"
                    ));
                }
                if status == 403
                    && !["needs the", "lacks the", "cannot", "reaches only"]
                        .iter()
                        .any(|words| body.contains(words))
                {
                    failures.push(format!("{name} as {caller:?} ({which}): 403 says {body}"));
                }
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
        .map(Row::name)
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
    every_token_gets_what_its_scope_and_role_allow,
    every_server_function_has_a_row,
);
