//! The audit log as pages show it.

use serde::{Deserialize, Serialize};

use crate::domain::{org::OrgHeader, project::ProjectHeader};

/// Entries per page of the audit log.
pub const PAGE_SIZE: usize = 50;

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Event ID; also the cursor for the next page.
    pub id: String,
    /// When, as RFC 3339 UTC.
    pub at: String,
    /// Who, if the account still exists.
    pub actor: Option<String>,
    /// Berth itself made the change (no person, no token: a scheduled check).
    #[serde(default)]
    pub by_berth: bool,
    /// A person made it whose account is gone (with a token of theirs or not).
    #[serde(default)]
    pub actor_gone: bool,
    /// The access token the change was made with, by name.
    pub token: Option<String>,
    /// What happened, e.g. `project.member_added`.
    pub action: String,
    /// What it happened to.
    pub target: String,
    /// Before/after of non-secret fields, as JSON text.
    pub details: String,
    /// The client address.
    pub client_addr: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Up to [`PAGE_SIZE`] entries.
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
    /// Whose log it is.
    pub of: AuditOf,
}

/// Whose audit log a page is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOf {
    /// An organization's, with its projects' changes.
    Org(OrgHeader),
    /// One project's.
    Project(ProjectHeader),
}

/// Who made an entry, in words: "ann", "ann by token ci", "project token ci", "Berth,
/// scheduled check", or "(deleted account)".
pub fn who(entry: &AuditEntry) -> String {
    match (&entry.actor, &entry.token) {
        (Some(actor), Some(token)) => format!("{actor} by token {token}"),
        (Some(actor), None) => actor.clone(),
        (None, Some(token)) if entry.actor_gone => format!("(deleted account) by token {token}"),
        (None, Some(token)) => format!("project token {token}"),
        (None, None) if entry.by_berth && entry.action == "credential.status_changed" => {
            "Berth, scheduled check".into()
        }
        (None, None) if entry.by_berth => "Berth".into(),
        (None, None) => "(deleted account)".into(),
    }
}

/// An entry's details (JSON text) as lines a person reads: `label: value` for each field,
/// nested fields as `field name value, …`, lists joined by commas, underscores as spaces.
/// Text that is not a JSON object is shown as it is.
pub fn describe(details: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(details)
    else {
        return if details.trim().is_empty() {
            Vec::new()
        } else {
            vec![(String::new(), details.to_owned())]
        };
    };
    fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (words(k), value(v)))
        .collect()
}

fn words(key: &str) -> String {
    key.replace('_', " ")
}

fn value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "none".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        // Text that could pass for more fields ("ci, password changed") is quoted.
        Value::String(s) if s.contains([',', ':', '(', ')', '"']) => format!("\u{201c}{s}\u{201d}"),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => items.iter().map(value).collect::<Vec<_>>().join(", "),
        Value::Object(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::Object(_) => format!("{} ({})", words(k), value(v)),
                _ => format!("{} {}", words(k), value(v)),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_words() {
        let details = r#"{"after": {"server": "ghcr.io", "username": "ci", "email": "", "expires_on": null}, "changed": ["username", "password"], "imported": true}"#;
        assert_eq!(
            describe(details),
            [
                (
                    "after".to_owned(),
                    "email (empty), server ghcr.io, username ci".to_owned()
                ),
                ("changed".to_owned(), "username, password".to_owned()),
                ("imported".to_owned(), "yes".to_owned()),
            ]
        );
        assert_eq!(describe("{}"), []);
        assert_eq!(
            describe(r#"{"after": {"username": "ci, password changed"}}"#)[0].1,
            "username \u{201c}ci, password changed\u{201d}"
        );
        assert_eq!(
            describe("not json"),
            [(String::new(), "not json".to_owned())]
        );
    }

    #[test]
    fn berth_itself_is_named_and_a_deleted_account_is_told_apart() {
        let entry = |by_berth: bool, action: &str| AuditEntry {
            id: String::new(),
            at: String::new(),
            actor: None,
            by_berth,
            actor_gone: false,
            token: None,
            action: action.into(),
            target: String::new(),
            details: String::new(),
            client_addr: None,
        };
        assert_eq!(
            who(&entry(true, "credential.status_changed")),
            "Berth, scheduled check"
        );
        assert_eq!(who(&entry(true, "kcr.pushed")), "Berth");
        assert_eq!(who(&entry(false, "project.created")), "(deleted account)");
    }
}
