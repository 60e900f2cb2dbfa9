//! Project names and descriptions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{
    invitation::PendingInvitation, namespace::check_label, region::Region, role::ProjectRole,
};
use crate::error::FieldErrors;

/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// A valid project name: the rule of every name in a path ([`check_label`]). Unique per owner;
/// unlike a namespace name, none is reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

impl ProjectName {
    /// Checks `input` (surrounding white space ignored) and says what is wrong in plain words.
    pub fn parse(input: &str) -> Result<Self, String> {
        check_label(input, "Enter a project name.").map(|name| Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProjectName> for String {
    fn from(value: ProjectName) -> Self {
        value.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The names of the project forms' fields: the page's inputs, the server functions'
/// arguments and the keys of their errors.
pub mod field {
    /// The owning user or organization.
    pub const OWNER: &str = "owner";
    /// The project's name (in the URL of an existing project).
    pub const NAME: &str = "name";
    /// A project's new name.
    pub const NEW_NAME: &str = "new_name";
    /// The description.
    pub const DESCRIPTION: &str = "description";
    /// The region.
    pub const REGION: &str = "region";
    /// The name typed again to confirm a deletion.
    pub const CONFIRM: &str = "confirm";
    /// `OWNER/NAME` of a project to make current.
    pub const PROJECT: &str = "project";
}

/// A project to create, read from the new-project form (whether the owner allows the region
/// is the server's to say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProjectForm {
    pub name: ProjectName,
    /// The description, trimmed.
    pub description: String,
    /// The region asked for.
    pub region: String,
}

impl NewProjectForm {
    /// Reads the form.
    pub fn parse(name: &str, description: &str, region: &str) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.check(field::NAME, ProjectName::parse(name));
        let description = errs.check(field::DESCRIPTION, parse_description(description));
        let region = region.trim();
        if region.is_empty() {
            errs.insert(field::REGION, "Choose a region.");
        }
        errs.finish()?;
        match (name, description) {
            (Some(name), Some(description)) => Ok(Self {
                name,
                description,
                region: region.to_owned(),
            }),
            _ => Err(FieldErrors::one(field::NAME, "The form is incomplete.")),
        }
    }
}

/// A project's new name and description, read from its settings form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectSettings {
    /// The name (possibly unchanged).
    pub name: ProjectName,
    /// The description, trimmed.
    pub description: String,
}

impl ProjectSettings {
    /// Reads the form.
    pub fn parse(new_name: &str, description: &str) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.check(field::NEW_NAME, ProjectName::parse(new_name));
        let description = errs.check(field::DESCRIPTION, parse_description(description));
        errs.finish()?;
        match (name, description) {
            (Some(name), Some(description)) => Ok(Self { name, description }),
            _ => Err(FieldErrors::one(field::NEW_NAME, "The form is incomplete.")),
        }
    }
}

/// Checks a project description: at most 500 characters, no control characters but newlines
/// and tabs, no text-direction marks. Returns it trimmed.
pub fn parse_description(input: &str) -> Result<String, String> {
    let text = input.trim();
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(format!("Use at most {DESCRIPTION_MAX_CHARS} characters."));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("Control characters are not allowed.".into());
    }
    if text.chars().any(crate::domain::account::is_bidi_control) {
        return Err(
            "Text-direction marks (like U+202E) are not allowed: they can make the text after them read backwards."
                .into(),
        );
    }
    Ok(text.to_owned())
}

/// A project in "my projects" and the header's switcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// The owning user or organization.
    pub owner: String,
    /// Whether the owner is an organization.
    pub owner_is_org: bool,
    pub name: String,
    pub description: String,
    /// Region name.
    pub region: String,
    /// The caller's effective role.
    pub role: ProjectRole,
    /// Whether this is the caller's current project.
    pub is_current: bool,
}

/// What every page of a project's area shows above its section: whose project, and what the
/// caller may do there (which decides the sections in its menu).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectHeader {
    /// The owning user or organization.
    pub owner: String,
    /// Whether the owner is an organization.
    pub owner_is_org: bool,
    pub name: String,
    /// The caller's effective role.
    pub my_role: ProjectRole,
}

/// A project member as the project page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectMemberView {
    pub username: String,
    pub display_name: String,
    /// Role in the project.
    pub role: ProjectRole,
}

/// The project page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    /// The owning user or organization.
    pub owner: String,
    /// Whether the owner is an organization.
    pub owner_is_org: bool,
    pub name: String,
    pub description: String,
    /// Region name, as stored.
    pub region_name: String,
    /// The region, if it is still configured.
    pub region: Option<Region>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// The caller's effective role.
    pub my_role: ProjectRole,
    /// Members with a project role (organization owners and admins are admins besides).
    pub members: Vec<ProjectMemberView>,
    /// Whether this is the caller's current project.
    pub is_current: bool,
    /// Pending invitations (project admins only; empty for others).
    pub invitations: Vec<PendingInvitation>,
    /// Credentials that need attention: expiring within 14 days or expired, or failing their
    /// last check (for those who may see credentials).
    #[serde(default)]
    pub credential_alerts: Vec<CredentialAlert>,
}

/// A credential the project page warns about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialAlert {
    /// Its server.
    pub server: String,
    /// What is wrong: "expires in 3 days (2026-12-03)", "failing: auth refused: …".
    pub problem: String,
}

impl ProjectView {
    /// The project area's header.
    pub fn header(&self) -> ProjectHeader {
        ProjectHeader {
            owner: self.owner.clone(),
            owner_is_org: self.owner_is_org,
            name: self.name.clone(),
            my_role: self.my_role,
        }
    }
}

/// An owner the caller may create projects under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChoice {
    /// Username or organization name.
    pub name: String,
    /// Whether it is an organization.
    pub is_org: bool,
    /// The regions it allows.
    pub regions: Vec<Region>,
}

/// Where the caller may create projects: their own account first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChoices {
    /// The choices.
    pub owners: Vec<OwnerChoice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_follow_the_rules() {
        let cases: &[(&str, bool)] = &[
            ("web", true),
            ("web-shop", true),
            ("a", true),
            ("9", true),
            ("api-v2", true),
            ("admin", true), // reserved words apply to namespaces, not projects
            ("a--b", true),
            (&"x".repeat(63), true),
            (" trimmed ", true),
            ("", false),
            (" ", false),
            (&"x".repeat(64), false),
            ("-web", false),
            ("web-", false),
            ("Web", false),
            ("web_shop", false),
            ("web.shop", false),
            ("web shop", false),
            ("wéb", false),
            ("web/shop", false),
            ("web\u{0}", false),
        ];
        for (input, ok) in cases {
            assert_eq!(ProjectName::parse(input).is_ok(), *ok, "{input:?}");
        }
    }

    #[test]
    fn descriptions_are_bounded_and_trimmed() {
        assert_eq!(
            parse_description("  hello\nworld  ").unwrap(),
            "hello\nworld"
        );
        assert!(parse_description(&"x".repeat(500)).is_ok());
        assert!(parse_description(&"x".repeat(501)).is_err());
        assert!(parse_description("bell\u{7}").is_err());
    }

    #[test]
    fn descriptions_refuse_text_direction_marks_but_keep_emoji_sequences() {
        for mark in ['\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}'] {
            let err = parse_description(&format!("pays {mark}0001 EUR")).unwrap_err();
            assert!(err.contains("direction"), "{mark:?}: {err}");
        }
        // A zero-width joiner is part of emoji like the technologist (U+1F9D1 U+200D U+1F4BB).
        assert!(parse_description("built by \u{1F9D1}\u{200D}\u{1F4BB}").is_ok());
    }
}
