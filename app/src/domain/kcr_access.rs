//! Who may pull, push and delete what in KCR, the built-in registry, and how a registry client
//! asks for it. Berth is the token service of a real registry (CNCF distribution): a client
//! asks for scopes like `repository:acme/shop/cart:pull,push`, Berth grants the actions the
//! caller may have, and the registry enforces what the signed token lists.
//!
//! Repository names under the KCR host:
//! - `OWNER/PROJECT/IMAGE`: one project's images. Pull with any role in the project, push as a
//!   developer or admin, delete as an admin.
//! - `ORG/IMAGE`: shared by the organization's projects in the region. Pull with a role in any
//!   of them (or as an organization owner or admin), push and delete as an owner or admin.
//!
//! A token adds its scopes on top: `registry:pull`, `registry:push` (which brings pull) and
//! `registry:delete`, or `all`. This module holds the rules as pure functions; the server
//! looks up the caller's roles and asks [`permitted`].

use serde::{Deserialize, Serialize};

use crate::domain::{
    kcr::NAME_MAX_LEN,
    role::{OrgAction, OrgRole, ProjectAction, ProjectRole},
    token::Scope,
};

/// Longest scope parameter read (a repository name is at most 255 characters).
pub const MAX_SCOPE_LEN: usize = 512;
/// Most scopes one token request may name.
pub const MAX_SCOPES: usize = 16;

/// An action on a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryAction {
    Pull,
    Push,
    Delete,
}

impl RegistryAction {
    /// Every action, in the order tokens list them.
    pub const ALL: [Self; 3] = [Self::Pull, Self::Push, Self::Delete];

    /// The action's name in scopes and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
            Self::Delete => "delete",
        }
    }

    /// What the action needs in a project.
    pub fn in_project(self) -> ProjectAction {
        match self {
            Self::Pull => ProjectAction::PullImages,
            Self::Push => ProjectAction::PushImages,
            Self::Delete => ProjectAction::DeleteImages,
        }
    }
}

/// What a token request names: `repository:NAME:ACTIONS` (the only kind Berth grants to
/// clients), or another resource type, which is answered with no actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestedScope {
    /// A repository and the actions asked for (`*` is all three).
    Repository {
        name: String,
        actions: Vec<RegistryAction>,
    },
    /// `registry:catalog:*` and the like: never granted to a client.
    Other {
        kind: String,
        name: String,
        actions: Vec<String>,
    },
}

impl RequestedScope {
    /// Reads one scope. A malformed one is an error (the token service answers 400), so is
    /// an unknown action on a repository.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.len() > MAX_SCOPE_LEN {
            return Err(format!(
                "A scope is at most {MAX_SCOPE_LEN} characters long."
            ));
        }
        let shape = || format!("\"{input}\" is not a scope; use repository:NAME:pull,push.");
        let (kind, rest) = input.split_once(':').ok_or_else(shape)?;
        let (name, actions) = rest.rsplit_once(':').ok_or_else(shape)?;
        if kind.is_empty() || name.is_empty() || actions.is_empty() {
            return Err(shape());
        }
        // `repository(plugin)`: a resource class the registry does not check; the name rules
        // are the same.
        let base_kind = kind.split_once('(').map_or(kind, |(k, _)| k);
        if base_kind != "repository" {
            return Ok(Self::Other {
                kind: kind.to_owned(),
                name: name.to_owned(),
                actions: actions.split(',').map(str::to_owned).collect(),
            });
        }
        check_repository(name).map_err(|e| format!("Repository \"{name}\": {e}"))?;
        let mut wanted = Vec::new();
        for action in actions.split(',') {
            match action {
                "*" => wanted.extend(RegistryAction::ALL),
                "pull" => wanted.push(RegistryAction::Pull),
                "push" => wanted.push(RegistryAction::Push),
                "delete" => wanted.push(RegistryAction::Delete),
                other => {
                    return Err(format!(
                        "\"{other}\" is not a registry action; use pull, push, delete or *."
                    ));
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        Ok(Self::Repository {
            name: name.to_owned(),
            actions: wanted,
        })
    }

    /// Reads every `scope` parameter of a request; a POST may hold several scopes in one
    /// parameter, separated by spaces.
    pub fn parse_all<'a>(params: impl IntoIterator<Item = &'a str>) -> Result<Vec<Self>, String> {
        let mut scopes = Vec::new();
        for param in params {
            for one in param.split(' ').filter(|s| !s.is_empty()) {
                if scopes.len() == MAX_SCOPES {
                    return Err(format!("Ask for at most {MAX_SCOPES} scopes at once."));
                }
                scopes.push(Self::parse(one)?);
            }
        }
        Ok(scopes)
    }
}

/// Checks a repository name against the distribution grammar: lowercase path components
/// separated by `/`, at most 255 characters in all.
pub fn check_repository(name: &str) -> Result<(), String> {
    if name.trim() != name {
        return Err("no spaces or line breaks around the name.".into());
    }
    if name.len() > NAME_MAX_LEN {
        return Err(format!("use at most {NAME_MAX_LEN} characters."));
    }
    crate::domain::kcr::ImageName::parse(name).map(drop)
}

/// What a repository name points at, once the server has looked its first components up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepoKind {
    /// `OWNER/PROJECT/IMAGE` of an existing project in the requested region.
    Project,
    /// `ORG/IMAGE` of an organization that may use the region.
    OrgShared,
    /// Anything else: nobody gets any action on it.
    Nothing,
}

/// The caller's standing toward one repository, as the server found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub kind: RepoKind,
    /// For a project repository: the caller's effective role in the project (a project
    /// token: [`crate::domain::role::ProjectRole::Developer`] in its own project only).
    pub project_role: Option<ProjectRole>,
    /// For a shared repository: the caller's role in the organization.
    pub org_role: Option<OrgRole>,
    /// For a shared repository: whether the caller has a role in one of the organization's
    /// projects in the region.
    pub in_org_project: bool,
}

impl Standing {
    /// No standing at all (an unknown repository, or a caller with no role).
    pub const NONE: Self = Self {
        kind: RepoKind::Nothing,
        project_role: None,
        org_role: None,
        in_org_project: false,
    };

    /// Whether the caller has any role where the repository lives (denials are audited only
    /// then: a stranger must not be able to write into another organization's log).
    pub fn is_member(&self) -> bool {
        match self.kind {
            RepoKind::Project => self.project_role.is_some(),
            RepoKind::OrgShared => self.org_role.is_some() || self.in_org_project,
            RepoKind::Nothing => false,
        }
    }
}

/// The organization action pushing or deleting a shared image needs.
fn org_action(action: RegistryAction) -> Option<OrgAction> {
    match action {
        RegistryAction::Pull => None,
        RegistryAction::Push | RegistryAction::Delete => Some(OrgAction::ManageSharedImages),
    }
}

/// The scope a token needs for `action`.
pub fn scope_for(action: RegistryAction) -> Scope {
    Scope::for_project(action.in_project())
}

/// Whether a caller with `standing`, holding a token with `scopes` (`None` for no token
/// limit), may do `action`.
pub fn permitted(standing: &Standing, scopes: Option<&[Scope]>, action: RegistryAction) -> bool {
    let role_allows = match standing.kind {
        RepoKind::Project => standing
            .project_role
            .is_some_and(|r| r.allows(action.in_project())),
        RepoKind::OrgShared => match org_action(action) {
            None => {
                standing.in_org_project
                    || standing
                        .org_role
                        .is_some_and(|r| r.allows(OrgAction::ManageSharedImages))
            }
            Some(needed) => standing.org_role.is_some_and(|r| r.allows(needed)),
        },
        RepoKind::Nothing => false,
    };
    role_allows && scopes.is_none_or(|s| scope_for(action).granted_by(s))
}

/// The actions of `wanted` that `standing` and `scopes` allow, in order.
pub fn grant(
    standing: &Standing,
    scopes: Option<&[Scope]>,
    wanted: &[RegistryAction],
) -> Vec<RegistryAction> {
    wanted
        .iter()
        .copied()
        .filter(|a| permitted(standing, scopes, *a))
        .collect()
}

/// Splits a repository name into the owner and what follows it: `acme/shop/cart` is owner
/// `acme`, then `shop` and `cart`.
pub fn split_repository(name: &str) -> (&str, Vec<&str>) {
    let mut parts = name.split('/');
    let owner = parts.next().unwrap_or_default();
    (owner, parts.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegistryAction::*;

    #[test]
    fn scopes_are_read_as_distribution_writes_them() {
        assert_eq!(
            RequestedScope::parse("repository:acme/shop/cart:pull,push"),
            Ok(RequestedScope::Repository {
                name: "acme/shop/cart".into(),
                actions: vec![Pull, Push],
            })
        );
        assert_eq!(
            RequestedScope::parse("repository:acme/cart:*"),
            Ok(RequestedScope::Repository {
                name: "acme/cart".into(),
                actions: vec![Pull, Push, Delete],
            })
        );
        assert_eq!(
            RequestedScope::parse("repository(plugin):acme/cart:push,pull,pull"),
            Ok(RequestedScope::Repository {
                name: "acme/cart".into(),
                actions: vec![Pull, Push],
            })
        );
        assert!(matches!(
            RequestedScope::parse("registry:catalog:*"),
            Ok(RequestedScope::Other { kind, .. }) if kind == "registry"
        ));
    }

    #[test]
    fn bad_scopes_are_refused_with_a_reason() {
        for (bad, says) in [
            ("", "is not a scope"),
            ("repository", "is not a scope"),
            ("repository:acme", "is not a scope"),
            ("repository::pull", "is not a scope"),
            ("repository:acme/cart:", "is not a scope"),
            ("repository:Acme/cart:pull", "lowercase"),
            ("repository:acme//cart:pull", "empty"),
            (
                "repository:acme/cart:pull,steal",
                "\"steal\" is not a registry action",
            ),
        ] {
            let err = RequestedScope::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
        let long = format!("repository:{}:pull", "a".repeat(600));
        assert!(
            RequestedScope::parse(&long)
                .unwrap_err()
                .contains("at most")
        );
        let many = vec!["repository:a/b:pull"; MAX_SCOPES + 1].join(" ");
        assert!(RequestedScope::parse_all([many.as_str()]).is_err());
        assert_eq!(
            RequestedScope::parse_all(["repository:a/b:pull repository:a/c:push", "  "])
                .unwrap()
                .len(),
            2
        );
    }

    fn project(role: Option<ProjectRole>) -> Standing {
        Standing {
            kind: RepoKind::Project,
            project_role: role,
            ..Standing::NONE
        }
    }

    fn shared(org_role: Option<OrgRole>, in_org_project: bool) -> Standing {
        Standing {
            kind: RepoKind::OrgShared,
            org_role,
            in_org_project,
            ..Standing::NONE
        }
    }

    fn may(standing: Standing) -> Vec<RegistryAction> {
        grant(&standing, None, &RegistryAction::ALL)
    }

    /// The rule table of the README, one row per caller.
    #[test]
    fn roles_decide_the_actions() {
        use ProjectRole as P;
        assert_eq!(may(project(Some(P::Viewer))), [Pull]);
        assert_eq!(may(project(Some(P::Developer))), [Pull, Push]);
        assert_eq!(may(project(Some(P::Admin))), [Pull, Push, Delete]);
        assert_eq!(may(project(None)), []);

        assert_eq!(may(shared(None, true)), [Pull]);
        assert_eq!(may(shared(Some(OrgRole::Member), true)), [Pull]);
        assert_eq!(may(shared(Some(OrgRole::Member), false)), []);
        assert_eq!(
            may(shared(Some(OrgRole::Admin), false)),
            [Pull, Push, Delete]
        );
        assert_eq!(
            may(shared(Some(OrgRole::Owner), true)),
            [Pull, Push, Delete]
        );
        assert_eq!(may(shared(None, false)), []);

        let nothing = Standing {
            project_role: Some(P::Admin),
            org_role: Some(OrgRole::Owner),
            in_org_project: true,
            ..Standing::NONE
        };
        assert_eq!(may(nothing), []);
    }

    #[test]
    fn a_token_gets_what_its_scopes_and_the_role_both_allow() {
        let admin = project(Some(ProjectRole::Admin));
        let pull_only = [Scope::RegistryPull];
        assert_eq!(
            grant(&admin, Some(&pull_only), &RegistryAction::ALL),
            [Pull]
        );
        // Push brings pull; delete is separate.
        let push = [Scope::RegistryPush];
        assert_eq!(
            grant(&admin, Some(&push), &RegistryAction::ALL),
            [Pull, Push]
        );
        let delete = [Scope::RegistryDelete];
        assert_eq!(grant(&admin, Some(&delete), &RegistryAction::ALL), [Delete]);
        assert_eq!(
            grant(&admin, Some(&[Scope::All]), &RegistryAction::ALL),
            [Pull, Push, Delete]
        );
        assert_eq!(
            grant(
                &admin,
                Some(&[Scope::CredentialsWrite]),
                &RegistryAction::ALL
            ),
            []
        );
        // The scope never lifts the role.
        let viewer = project(Some(ProjectRole::Viewer));
        assert_eq!(
            grant(&viewer, Some(&[Scope::All]), &RegistryAction::ALL),
            [Pull]
        );
    }

    #[test]
    fn membership_is_a_role_where_the_repository_lives() {
        assert!(project(Some(ProjectRole::Viewer)).is_member());
        assert!(!project(None).is_member());
        assert!(shared(None, true).is_member());
        assert!(shared(Some(OrgRole::Member), false).is_member());
        assert!(!shared(None, false).is_member());
        assert!(!Standing::NONE.is_member());
    }

    #[test]
    fn names_split_into_owner_and_rest() {
        assert_eq!(
            split_repository("acme/shop/cart"),
            ("acme", vec!["shop", "cart"])
        );
        assert_eq!(split_repository("acme"), ("acme", vec![]));
    }
}
