//! Invitations as forms and pages see them: whom an admin invites (a username or an email
//! address), what the invitee sees, what admins see pending.

use serde::{Deserialize, Serialize};

use crate::domain::{account::Email, namespace::NamespaceName};
use crate::error::FieldErrors;

/// The names of the invitation forms' fields: the page's inputs, the server functions'
/// arguments and the keys of their errors.
pub mod field {
    /// Whom to invite: a username or an email address.
    pub const LOGIN: &str = "login";
    /// The role the invitation grants.
    pub const ROLE: &str = "role";
    /// An invitation's ID.
    pub const ID: &str = "id";
    /// The proof of an email invitation's link.
    pub const TOKEN: &str = "token";
}

/// An invitation to make, read from an invite form: whom, and with which role (`R` is
/// `OrgRole` or `ProjectRole`, read by `parse_role`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteForm<R> {
    /// Whom to invite.
    pub invitee: Invitee,
    /// The role to grant.
    pub role: R,
}

impl<R> InviteForm<R> {
    /// Reads the form.
    pub fn parse(
        login: &str,
        role: &str,
        parse_role: impl FnOnce(&str) -> Result<R, String>,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let invitee = errs.check(field::LOGIN, Invitee::parse(login));
        let role = errs.check(field::ROLE, parse_role(role));
        errs.finish()?;
        match (invitee, role) {
            (Some(invitee), Some(role)) => Ok(Self { invitee, role }),
            _ => Err(FieldErrors::one(field::LOGIN, "The form is incomplete.")),
        }
    }
}

/// Days an invitation stays open.
pub const INVITATION_DAYS: i64 = 7;

/// Whom an invitation is for: an account by its (public) username, or an email address that
/// may or may not have an account yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invitee {
    /// An existing account's username.
    Username(NamespaceName),
    /// An email address; whoever has or signs up with it may accept.
    Email(Email),
}

impl Invitee {
    /// Reads what an admin typed: an email address when it has an `@`, else a username.
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("Enter a username or an email address.".into());
        }
        if input.contains('@') {
            Email::parse(input).map(Self::Email)
        } else {
            // Usernames are lowercase; `Ann` means `ann`.
            NamespaceName::parse(&input.to_lowercase()).map(Self::Username)
        }
    }

    /// The invitee as the admin named them.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Username(name) => name.as_str(),
            Self::Email(email) => email.as_str(),
        }
    }
}

/// What an invitation is to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationTarget {
    /// An organization, by name.
    Org {
        /// The organization's name.
        name: String,
    },
    /// A project, as `owner` / `name`.
    Project {
        /// The owning user or organization.
        owner: String,
        /// The project's name.
        name: String,
    },
}

impl InvitationTarget {
    /// The target as people read it: `acme` or `acme/web`.
    pub fn label(&self) -> String {
        match self {
            Self::Org { name } => name.clone(),
            Self::Project { owner, name } => format!("{owner}/{name}"),
        }
    }

    /// The kind, in words.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Org { .. } => "organization",
            Self::Project { .. } => "project",
        }
    }
}

/// An invitation as its invitee sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    /// What it is to.
    pub target: InvitationTarget,
    /// The role it grants.
    pub role: String,
    /// Who invited, if that account still exists.
    pub invited_by: Option<String>,
    /// When it expires, RFC 3339 UTC.
    pub expires_at: String,
    /// An invitation to an email address is accepted only through the link its admin was
    /// given (an email address in Berth is not proven to be its owner's).
    pub needs_link: bool,
    /// For an organization's project the invitee is not yet in: the organization accepting
    /// also joins (as a member), in the same step.
    #[serde(default)]
    pub joins_org: Option<String>,
}

/// A pending invitation as the admins of its organization or project see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: String,
    /// The invitee as they were named: a username or an email address.
    pub invitee: String,
    /// The role it grants.
    pub role: String,
    /// Who invited, if that account still exists.
    pub invited_by: Option<String>,
    /// When it expires, RFC 3339 UTC.
    pub expires_at: String,
    /// For an invitation to an email address: the link to pass on to its invitee, who
    /// accepts through it.
    pub link: Option<String>,
}

/// What the link of an email invitation is made for (the purpose its token is bound to).
pub const LINK_PURPOSE: &str = "invitation-link";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_at_sign_makes_an_email_invitation_and_anything_else_a_username() {
        assert_eq!(
            Invitee::parse(" Ann@Example.com ").unwrap(),
            Invitee::Email(Email::parse("ann@example.com").unwrap())
        );
        assert_eq!(Invitee::parse("Ann").unwrap().as_str(), "ann");
        assert!(matches!(Invitee::parse("ann"), Ok(Invitee::Username(_))));
    }

    #[test]
    fn blank_and_malformed_invitees_are_explained() {
        assert!(
            Invitee::parse("  ")
                .unwrap_err()
                .contains("username or an email")
        );
        assert!(Invitee::parse("ann@").is_err());
        assert!(Invitee::parse("Not A Name").is_err());
        assert!(Invitee::parse("</title><script>").is_err());
    }
}
