//! Organizations as pages and lists see them.

use serde::{Deserialize, Serialize};

use crate::domain::{invitation::PendingInvitation, region::Region, role::OrgRole};

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
    /// Username.
    pub username: String,
    /// Display name.
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
