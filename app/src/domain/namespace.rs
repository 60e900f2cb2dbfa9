//! Namespace names: the one global name space shared by usernames and organizations, because both
//! appear as the first segment of a KCR image path (`HOST/NAME/...`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest namespace name (a DNS label's limit, so names fit anywhere a host label does).
pub const MAX_LEN: usize = 63;

/// Names that would collide with routes, registry conventions or people's expectations.
pub const RESERVED: &[&str] = &[
    "about",
    "account",
    "admin",
    "administrator",
    "api",
    "assets",
    "auth",
    "berth",
    "docs",
    "healthz",
    "help",
    "kcr",
    "library",
    "login",
    "logout",
    "me",
    "new",
    "null",
    "org",
    "orgs",
    "organization",
    "organizations",
    "pkg",
    "project",
    "projects",
    "readyz",
    "regions",
    "registry",
    "root",
    "settings",
    "signup",
    "static",
    "support",
    "system",
    "token",
    "undefined",
    "user",
    "users",
    "v1",
    "v2",
    "www",
];

/// The rule every name in a path follows (usernames, organizations, projects): 1–63 of
/// `[a-z0-9-]`, no leading or trailing hyphen, so a name fits a KCR path and a DNS label.
/// Returns the trimmed name, or what is wrong in plain words (`empty` when there is nothing).
pub fn check_label<'a>(input: &'a str, empty: &str) -> Result<&'a str, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(empty.into());
    }
    if name.len() > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(if bad.is_ascii_uppercase() {
            "Use lowercase letters only.".into()
        } else {
            format!("Use only lowercase letters, digits and hyphens (not {bad:?}).")
        });
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("Start and end with a letter or digit, not a hyphen.".into());
    }
    Ok(name)
}

/// A valid namespace name: 1–63 of `[a-z0-9-]`, no leading or trailing hyphen, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamespaceName(String);

impl NamespaceName {
    /// Checks `input` (surrounding white space is ignored) and says what is wrong in plain words.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = check_label(input, "Enter a name.")?;
        if RESERVED.contains(&name) {
            return Err(format!("\"{name}\" is reserved; choose another name."));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NamespaceName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NamespaceName> for String {
    fn from(value: NamespaceName) -> Self {
        value.0
    }
}

impl fmt::Display for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_namespace_rules() {
        let cases: &[(&str, bool)] = &[
            ("a", true),
            ("acme", true),
            ("acme-corp", true),
            ("a1-b2-c3", true),
            ("0", true),
            ("123", true),
            ("a--b", true),
            (&"a".repeat(63), true),
            ("  padded  ", true),
            ("", false),
            ("   ", false),
            (&"a".repeat(64), false),
            ("-acme", false),
            ("acme-", false),
            ("-", false),
            ("Acme", false),
            ("acme_corp", false),
            ("acme.corp", false),
            ("acme corp", false),
            ("acmé", false),
            ("acme/x", false),
            ("admin", false),
            ("library", false),
            ("api", false),
        ];
        for (input, ok) in cases {
            assert_eq!(NamespaceName::parse(input).is_ok(), *ok, "{input:?}");
        }
    }

    #[test]
    fn reserved_words_say_they_are_reserved() {
        for word in RESERVED {
            let err = NamespaceName::parse(word).unwrap_err();
            assert!(err.contains("reserved"), "{word}: {err}");
        }
    }

    #[test]
    fn uppercase_gets_its_own_message() {
        assert_eq!(
            NamespaceName::parse("Acme").unwrap_err(),
            "Use lowercase letters only."
        );
    }

    #[test]
    fn surrounding_space_is_trimmed() {
        assert_eq!(NamespaceName::parse(" acme ").unwrap().as_str(), "acme");
    }

    #[test]
    fn deserializing_checks_the_rules() {
        assert!(serde_json::from_str::<NamespaceName>("\"ok-name\"").is_ok());
        assert!(serde_json::from_str::<NamespaceName>("\"Bad\"").is_err());
    }
}
