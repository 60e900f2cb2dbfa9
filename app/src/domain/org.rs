//! Organizations as pages and lists see them.

use serde::{Deserialize, Serialize};

use crate::domain::{
    account::DisplayName, invitation::PendingInvitation, namespace::NamespaceName, region::Region,
    role::OrgRole,
};
use crate::error::FieldErrors;

/// The names of the organization forms' fields: the page's inputs, the server functions'
/// arguments and the keys of their errors.
pub mod field {
    /// The organization's name (of a new one).
    pub const NAME: &str = "name";
    /// The name shown to people.
    pub const DISPLAY_NAME: &str = "display_name";
    /// The organization (of an existing one).
    pub const ORG: &str = "org";
    /// The regions it allows.
    pub const REGIONS: &str = "regions";
    /// The name typed again to confirm a deletion.
    pub const CONFIRM: &str = "confirm";
    /// A member's username.
    pub const USERNAME: &str = "username";
    /// A role.
    pub const ROLE: &str = "role";
}

/// An organization to create, read from its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrgForm {
    /// Its name (a namespace name, shared with users).
    pub name: NamespaceName,
    /// The name shown to people.
    pub display_name: DisplayName,
}

impl NewOrgForm {
    /// Reads the form.
    pub fn parse(name: &str, display_name: &str) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.check(field::NAME, NamespaceName::parse(name));
        let display_name = DisplayName::parse_or(display_name, name.as_ref())
            .and_then(|d| errs.check(field::DISPLAY_NAME, d));
        errs.finish()?;
        match (name, display_name) {
            (Some(name), Some(display_name)) => Ok(Self { name, display_name }),
            _ => Err(FieldErrors::one(field::NAME, "The form is incomplete.")),
        }
    }
}

/// What every page of an organization's area shows above its section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgHeader {
    /// Namespace name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The caller's role.
    pub my_role: OrgRole,
}

/// An organization in "my organizations".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    /// Namespace name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The caller's role.
    pub role: OrgRole,
}

/// A member as the organization page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMemberView {
    pub username: String,
    pub display_name: String,
    /// Role in the organization.
    pub role: OrgRole,
}

/// The organization page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    /// Namespace name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The caller's role.
    pub my_role: OrgRole,
    /// Members, owners first.
    pub members: Vec<OrgMemberView>,
    /// Regions its projects may live in.
    pub regions: Vec<Region>,
    /// Pending invitations (admins and owners only; empty for others).
    pub invitations: Vec<PendingInvitation>,
}

impl OrgView {
    /// The organization area's header.
    pub fn header(&self) -> OrgHeader {
        OrgHeader {
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            my_role: self.my_role,
        }
    }
}
