//! Roles and the permission matrix: who may do what in an organization and in a project.
//! Every server function asks [`ProjectRole::allows`] / [`OrgRole::allows`]; hiding a button is
//! never the check.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Sees the organization; reaches its projects only through project roles.
    Member,
    /// Manages members (not owners), projects and regions; admin of every project.
    Admin,
    /// Everything, including owners and deleting the organization.
    Owner,
}

/// A role in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    /// Sees the project, its credentials (never a password) and push paths.
    Viewer,
    /// Also adds, updates and deletes registry credentials.
    Developer,
    /// Also manages members, renames and deletes the project.
    Admin,
}

/// Something a caller may want to do in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProjectAction {
    /// See the project and its push paths.
    View,
    /// See its registry credentials (never a password).
    ViewCredentials,
    /// Add, update or delete registry credentials.
    ManageCredentials,
    /// Add, change or remove project members.
    ManageMembers,
    /// Rename or delete the project; read its audit log.
    Administer,
    /// Pull the project's KCR images.
    PullImages,
    /// Push images to the project's KCR repositories.
    PushImages,
    /// Delete images (tags and manifests) from them.
    DeleteImages,
    /// Export the project's registry credentials, passwords included, as a pull secret.
    ExportPullSecrets,
}

/// Something a caller may want to do in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrgAction {
    /// See the organization and its members.
    View,
    /// Add, change or remove members who are not owners; read the audit log.
    ManageMembers,
    /// Create projects in the organization; change its allowed regions.
    ManageProjects,
    /// Grant or take the owner role; delete the organization.
    ManageOwners,
    /// Push and delete the organization's shared KCR images (`ORG/IMAGE`).
    ManageSharedImages,
}

impl ProjectRole {
    /// All roles, weakest first.
    pub const ALL: [Self; 3] = [Self::Viewer, Self::Developer, Self::Admin];

    /// Whether this role may do `action`.
    pub fn allows(self, action: ProjectAction) -> bool {
        self >= action.least_role()
    }

    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Developer => "developer",
            Self::Admin => "admin",
        }
    }

    /// Reads a stored or submitted role name.
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| "Choose admin, developer or viewer.".to_owned())
    }

    /// The project role an organization role brings with it, if any.
    pub fn from_org_role(role: OrgRole) -> Option<Self> {
        (role >= OrgRole::Admin).then_some(Self::Admin)
    }
}

impl ProjectAction {
    /// The weakest role that may do this.
    pub fn least_role(self) -> ProjectRole {
        match self {
            Self::View | Self::ViewCredentials | Self::PullImages => ProjectRole::Viewer,
            Self::ManageCredentials | Self::PushImages => ProjectRole::Developer,
            Self::ManageMembers
            | Self::Administer
            | Self::DeleteImages
            | Self::ExportPullSecrets => ProjectRole::Admin,
        }
    }

    /// The 403 message for a member whose role is too weak.
    pub fn forbidden_message(self) -> String {
        format!(
            "This needs the {} role in the project.",
            self.least_role().as_str()
        )
    }
}

impl OrgRole {
    /// All roles, weakest first.
    pub const ALL: [Self; 3] = [Self::Member, Self::Admin, Self::Owner];

    /// Whether this role may do `action`.
    pub fn allows(self, action: OrgAction) -> bool {
        self >= action.least_role()
    }

    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Reads a stored or submitted role name.
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| "Choose owner, admin or member.".to_owned())
    }
}

impl OrgAction {
    /// The weakest role that may do this.
    pub fn least_role(self) -> OrgRole {
        match self {
            Self::View => OrgRole::Member,
            Self::ManageMembers | Self::ManageProjects | Self::ManageSharedImages => OrgRole::Admin,
            Self::ManageOwners => OrgRole::Owner,
        }
    }

    /// The 403 message for a member whose role is too weak.
    pub fn forbidden_message(self) -> String {
        format!(
            "This needs the {} role in the organization.",
            self.least_role().as_str()
        )
    }
}

/// What an organization's roles and a project's have in common: one membership model
/// (`server::rules::members`, `components::members`) serves both.
pub trait MemberRole: Copy + Eq + Ord + fmt::Display + Send + Sync + 'static {
    /// All roles, weakest first.
    const ROLES: &'static [Self];
    /// The role that only its holders give, change or take away, and of which one must always
    /// remain: an organization's owner. A project has none (its organization's owners and
    /// admins, or its personal owner, are its admins whatever its member list says).
    const GUARDED: Option<Self>;
    /// The role an invitation offers unless another is chosen.
    const INVITE_DEFAULT: Self;
    /// The role's name as stored and shown.
    fn name(self) -> &'static str;
    /// Reads a stored or submitted role name.
    fn read(input: &str) -> Result<Self, String>;
}

impl MemberRole for OrgRole {
    const ROLES: &'static [Self] = &Self::ALL;
    const GUARDED: Option<Self> = Some(Self::Owner);
    const INVITE_DEFAULT: Self = Self::Member;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn read(input: &str) -> Result<Self, String> {
        Self::parse(input)
    }
}

impl MemberRole for ProjectRole {
    const ROLES: &'static [Self] = &Self::ALL;
    const GUARDED: Option<Self> = None;
    const INVITE_DEFAULT: Self = Self::Viewer;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn read(input: &str) -> Result<Self, String> {
        Self::parse(input)
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectAction as A;
    use ProjectRole as R;

    #[test]
    fn the_project_matrix_is_the_one_in_the_design() {
        // (role, view, manage credentials, manage members, administer)
        let table = [
            (R::Viewer, true, false, false, false),
            (R::Developer, true, true, false, false),
            (R::Admin, true, true, true, true),
        ];
        for (role, view, creds, members, admin) in table {
            assert_eq!(role.allows(A::View), view, "{role} view");
            assert_eq!(
                role.allows(A::ViewCredentials),
                view,
                "{role} see credentials"
            );
            assert_eq!(
                role.allows(A::ManageCredentials),
                creds,
                "{role} credentials"
            );
            assert_eq!(role.allows(A::ManageMembers), members, "{role} members");
            assert_eq!(role.allows(A::Administer), admin, "{role} administer");
        }
    }

    #[test]
    fn the_organization_matrix_is_the_one_in_the_design() {
        use OrgAction as O;
        use OrgRole as G;
        let table = [
            (G::Member, true, false, false, false),
            (G::Admin, true, true, true, false),
            (G::Owner, true, true, true, true),
        ];
        for (role, view, members, projects, owners) in table {
            assert_eq!(role.allows(O::View), view, "{role} view");
            assert_eq!(role.allows(O::ManageMembers), members, "{role} members");
            assert_eq!(role.allows(O::ManageProjects), projects, "{role} projects");
            assert_eq!(role.allows(O::ManageOwners), owners, "{role} owners");
        }
    }

    #[test]
    fn org_owners_and_admins_are_admins_of_every_project_and_members_nothing() {
        assert_eq!(R::from_org_role(OrgRole::Owner), Some(R::Admin));
        assert_eq!(R::from_org_role(OrgRole::Admin), Some(R::Admin));
        assert_eq!(R::from_org_role(OrgRole::Member), None);
    }

    #[test]
    fn forbidden_messages_name_the_role_needed() {
        assert_eq!(
            A::ManageCredentials.forbidden_message(),
            "This needs the developer role in the project."
        );
        assert!(
            OrgAction::ManageOwners
                .forbidden_message()
                .contains("owner")
        );
    }

    #[test]
    fn role_names_round_trip_and_unknown_names_are_refused() {
        for role in R::ALL {
            assert_eq!(R::parse(role.as_str()), Ok(role));
        }
        for role in OrgRole::ALL {
            assert_eq!(OrgRole::parse(role.as_str()), Ok(role));
        }
        assert!(R::parse("owner").is_err());
        assert!(OrgRole::parse("viewer").is_err());
    }
}
