//! Importing the logins of a docker `config.json` as a project's credentials: the preview
//! (what each entry would become, and why some cannot), the choice for registries the project
//! already has credentials for, and the result. Nothing is stored until the preview is
//! confirmed; the passwords never come back to the browser.

use serde::{Deserialize, Serialize};

/// Largest `config.json` read (real ones are a few KiB).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// How long a preview can be confirmed.
pub const DRAFT_SECS: i64 = 15 * 60;

/// The import forms' fields.
pub mod field {
    /// The pasted (or uploaded) `config.json`. Never kept by a failed form post.
    pub const CONFIG: &str = "docker_config";
    /// The preview being confirmed.
    pub const DRAFT: &str = "draft";
    /// `skip` or `update`: what happens to registries already present.
    pub const EXISTING: &str = "existing";
}

/// What happens to a registry the project already has credentials for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    /// Keep the stored credentials.
    Skip,
    /// Replace their username, email and password with the file's.
    Update,
}

impl Existing {
    /// Reads the form's choice (blank: skip).
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" | "skip" => Ok(Self::Skip),
            "update" => Ok(Self::Update),
            other => Err(format!(
                "\"{other}\" is not a choice: credentials already present are either skipped (skip) or updated (update)."
            )),
        }
    }
}

/// What one entry of the file would become.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportAction {
    /// A new credential.
    Add,
    /// The project already has credentials for this registry: skipped or updated, as chosen.
    Present {
        /// Their ID.
        id: String,
    },
    /// Cannot be imported, and why.
    NotImportable { reason: String },
}

/// One row of the preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// Where it is in the file (`auths["ghcr.io"]`, `credHelpers["gcr.io"]`, `credsStore`).
    pub entry: String,
    /// The server as stored (empty when not importable for want of one).
    pub server: String,
    /// The registry host it stands for.
    pub registry_host: String,
    /// The username (never the password).
    pub username: String,
    pub action: ImportAction,
}

/// A preview waiting to be confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// The preview's ID, to confirm it with.
    pub draft: String,
    pub rows: Vec<ImportRow>,
    /// Until when it can be confirmed, RFC 3339.
    pub expires_at: String,
}

impl ImportPreview {
    /// How many rows would add and how many are already present.
    pub fn counts(&self) -> (usize, usize) {
        let add = self
            .rows
            .iter()
            .filter(|r| r.action == ImportAction::Add)
            .count();
        let present = self
            .rows
            .iter()
            .filter(|r| matches!(r.action, ImportAction::Present { .. }))
            .count();
        (add, present)
    }
}

/// The import page: the project, and the preview being confirmed, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPage {
    pub project: crate::domain::project::ProjectHeader,
    pub preview: Option<ImportPreview>,
}

/// What a confirmed import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    /// Servers added.
    pub added: Vec<String>,
    /// Servers updated.
    pub updated: Vec<String>,
    /// Servers skipped (present, and the choice was skip).
    pub skipped: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_for_present_credentials_is_read_strictly() {
        assert_eq!(Existing::parse(""), Ok(Existing::Skip));
        assert_eq!(Existing::parse("update"), Ok(Existing::Update));
        assert!(
            Existing::parse("replace")
                .unwrap_err()
                .contains("\"replace\"")
        );
    }
}
