//! Reading a docker `config.json` (as `docker login`, podman and skopeo write it): each
//! `auths` entry with an `auth` (base64 of `user:password`) or a `username` and `password` is
//! a credential; everything else is listed with the reason it cannot be imported: identity
//! tokens, credential helpers (`credHelpers`), a credentials store (`credsStore`), Amazon ECR,
//! gcloud's hour-long access tokens, entries that are not registries. Errors never quote the
//! file (it holds passwords).

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Map, Value};

use crate::domain::{
    credential::{GOOGLE_USERNAME, check_email, check_registry_password, check_username},
    credential_import::MAX_CONFIG_BYTES,
    registry::{ECR_REFUSAL, canonical_host, check_google_key, is_ecr, is_google_host},
    secret::PasswordInput,
};

/// Most entries (`auths` and `credHelpers`) read from one file.
pub const MAX_ENTRIES: usize = 100;

/// One entry of the file.
#[derive(Debug)]
pub struct Entry {
    /// Where it is: `auths["ghcr.io"]`.
    pub entry: String,
    /// The key as written (the server), when the entry names one.
    pub server: String,
    /// Its canonical host, when it has one.
    pub registry_host: String,
    pub username: String,
    pub kind: Kind,
}

/// Whether an entry can be imported.
#[derive(Debug)]
pub enum Kind {
    /// A login: its email and password.
    Login {
        email: String,
        password: PasswordInput,
    },
    /// Why not.
    NotImportable(String),
}

/// The registries Berth serves itself (logins there are KCR's, not credentials).
pub struct Own<'a>(pub &'a [String]);

/// Reads `text`; the error says what is wrong with the file as a whole.
pub fn parse(text: &str, own: &Own<'_>) -> Result<Vec<Entry>, String> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "The file has {} KiB; a docker config.json is a few KiB, and Berth reads at most 1024 KiB.",
            text.len() / 1024
        ));
    }
    if text.trim().is_empty() {
        return Err("Paste the contents of ~/.docker/config.json, or choose the file.".into());
    }
    let json: Value = serde_json::from_str(text).map_err(|e| {
        // The position only: serde's message never quotes the input, and neither do we.
        format!(
            "This is not JSON (line {}, column {}); paste the whole config.json.",
            e.line(),
            e.column()
        )
    })?;
    let Some(top) = json.as_object() else {
        return Err("A config.json is a JSON object with \"auths\" in it.".into());
    };
    let auths = top.get("auths").and_then(Value::as_object);
    let helpers = top.get("credHelpers").and_then(Value::as_object);
    let store = top
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    if auths.is_none() && helpers.is_none() && store.is_none() {
        return Err("This file has no \"auths\": there are no registry logins in it.".into());
    }
    let entries_in_file = auths.map_or(0, Map::len) + helpers.map_or(0, Map::len);
    if entries_in_file > MAX_ENTRIES {
        return Err(format!(
            "The file has {entries_in_file} registry entries; Berth imports at most {MAX_ENTRIES} at a time."
        ));
    }
    let mut entries = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (key, value) in auths.into_iter().flatten() {
        let mut entry = login(key, value, store, own);
        if let Kind::Login { .. } = entry.kind {
            if let Some((_, first)) = seen.iter().find(|(host, _)| *host == entry.registry_host) {
                entry.kind =
                    Kind::NotImportable(format!("the same registry as auths[\"{first}\"] above"));
            } else {
                seen.push((entry.registry_host.clone(), key.clone()));
            }
        }
        entries.push(entry);
    }
    for (key, helper) in helpers.into_iter().flatten() {
        let helper = helper.as_str().unwrap_or_default();
        entries.push(Entry {
            entry: format!("credHelpers[\"{key}\"]"),
            server: key.clone(),
            registry_host: canonical_host(key).unwrap_or_default(),
            username: String::new(),
            kind: Kind::NotImportable(format!(
                "kept by the credential helper docker-credential-{helper}, not in this file; add it by hand"
            )),
        });
    }
    if let Some(store) = store
        && auths.is_none_or(Map::is_empty)
    {
        entries.push(Entry {
            entry: "credsStore".into(),
            server: String::new(),
            registry_host: String::new(),
            username: String::new(),
            kind: Kind::NotImportable(format!(
                "logins are kept in the credentials store docker-credential-{store}, not in this file"
            )),
        });
    }
    Ok(entries)
}

/// One `auths` entry.
fn login(key: &str, value: &Value, store: Option<&str>, own: &Own<'_>) -> Entry {
    let mut entry = Entry {
        entry: format!("auths[\"{key}\"]"),
        server: key.to_owned(),
        registry_host: String::new(),
        username: String::new(),
        kind: Kind::NotImportable(String::new()),
    };
    let not = |entry: Entry, reason: String| Entry {
        kind: Kind::NotImportable(reason),
        ..entry
    };
    let host = match canonical_host(key) {
        Ok(host) => host,
        Err(e) => return not(entry, format!("not a registry address: {e}")),
    };
    entry.registry_host = host.clone();
    if own.0.contains(&host) {
        return not(
            entry,
            "Berth's own registry (KCR): pulls from it need no stored credentials".into(),
        );
    }
    if is_ecr(&host) {
        return not(entry, ECR_REFUSAL.into());
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if !field("identitytoken").is_empty() {
        return not(
            entry,
            "signed in with an identity token (OAuth), which is not a password a pull can use; add a token by hand".into(),
        );
    }
    let (username, password) = match field("auth") {
        auth if !auth.is_empty() => {
            let decoded = B64
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|d| d.split_once(':')) {
                Some((user, password)) => (user.to_owned(), password.to_owned()),
                None => {
                    return not(
                        entry,
                        "its \"auth\" is not base64 of username:password".into(),
                    );
                }
            }
        }
        _ => (field("username"), field("password")),
    };
    if password.is_empty() {
        let reason = match store {
            Some(store) => {
                format!("kept in the credentials store docker-credential-{store}, not in this file")
            }
            None => "holds no username and password".into(),
        };
        return not(entry, reason);
    }
    if username == "oauth2accesstoken" {
        return not(
            entry,
            "a gcloud access token, which expires within an hour; use a service account's JSON key"
                .into(),
        );
    }
    let username = match check_username(&username) {
        Ok(u) => u,
        Err(e) => return not(entry, format!("username: {e}")),
    };
    entry.username = username.clone();
    if let Err(e) = check_registry_password(&password, true) {
        return not(entry, format!("password: {e}"));
    }
    if is_google_host(&host)
        && (username != GOOGLE_USERNAME || check_google_key(&password).is_err())
    {
        return not(
            entry,
            "Google registries take _json_key with a service account's JSON key".into(),
        );
    }
    let email = check_email(&field("email")).unwrap_or_default();
    Entry {
        kind: Kind::Login {
            email,
            password: PasswordInput::from(password),
        },
        ..entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match &e.kind {
                Kind::Login { email, password } => format!(
                    "{} | {} | {} | login {} {email}",
                    e.entry,
                    e.registry_host,
                    e.username,
                    password.expose().len()
                ),
                Kind::NotImportable(reason) => {
                    format!(
                        "{} | {} | {} | no: {reason}",
                        e.entry, e.registry_host, e.username
                    )
                }
            })
            .collect()
    }

    #[test]
    fn every_kind_of_entry_is_read_or_refused_with_its_reason() {
        let auth = |s: &str| B64.encode(s);
        let text = serde_json::json!({
            "auths": {
                "https://index.docker.io/v1/": {"auth": auth("ann:hub-token"), "email": "ann@example.com"},
                "ghcr.io": {"username": "ann", "password": "ghp_secret"},
                "docker.io": {"auth": auth("bob:other")},
                "quay.io": {"identitytoken": "refresh"},
                "registry.example.com:5000": {},
                "123456789012.dkr.ecr.us-east-1.amazonaws.com": {"auth": auth("AWS:x")},
                "gcr.io": {"auth": auth("oauth2accesstoken:ya29.x")},
                "kcr.berth.test": {"auth": auth("ann:berth_pat_x")},
                "bad host!": {"auth": auth("a:b")},
                "broken.example": {"auth": "%%%"},
            },
            "credHelpers": {"europe-docker.pkg.dev": "gcloud"},
        })
        .to_string();
        let own = ["kcr.berth.test".to_owned()];
        let entries = parse(&text, &Own(&own)).unwrap();
        assert_eq!(
            summary(&entries),
            [
                "auths[\"123456789012.dkr.ecr.us-east-1.amazonaws.com\"] | 123456789012.dkr.ecr.us-east-1.amazonaws.com |  | no: Amazon ECR only issues passwords that expire within 12 hours, so a password stored here would stop working the same day. Add it with \u{201c}Add Amazon ECR credentials\u{201d} on the credentials page instead: Berth keeps AWS keys and renews the password itself.",
                "auths[\"bad host!\"] |  |  | no: not a registry address: The server cannot contain spaces or control characters.",
                "auths[\"broken.example\"] | broken.example |  | no: its \"auth\" is not base64 of username:password",
                "auths[\"docker.io\"] | docker.io | bob | login 5 ",
                "auths[\"gcr.io\"] | gcr.io |  | no: a gcloud access token, which expires within an hour; use a service account's JSON key",
                "auths[\"ghcr.io\"] | ghcr.io | ann | login 10 ",
                "auths[\"https://index.docker.io/v1/\"] | docker.io | ann | no: the same registry as auths[\"docker.io\"] above",
                "auths[\"kcr.berth.test\"] | kcr.berth.test |  | no: Berth's own registry (KCR): pulls from it need no stored credentials",
                "auths[\"quay.io\"] | quay.io |  | no: signed in with an identity token (OAuth), which is not a password a pull can use; add a token by hand",
                "auths[\"registry.example.com:5000\"] | registry.example.com:5000 |  | no: holds no username and password",
                "credHelpers[\"europe-docker.pkg.dev\"] | europe-docker.pkg.dev |  | no: kept by the credential helper docker-credential-gcloud, not in this file; add it by hand",
            ]
        );
    }

    #[test]
    fn a_credentials_store_and_bad_files_are_explained_without_quoting_them() {
        let entries = parse(
            r#"{"auths": {"ghcr.io": {}}, "credsStore": "desktop"}"#,
            &Own(&[]),
        )
        .unwrap();
        assert_eq!(
            summary(&entries),
            [
                "auths[\"ghcr.io\"] | ghcr.io |  | no: kept in the credentials store docker-credential-desktop, not in this file"
            ]
        );
        let entries = parse(r#"{"credsStore": "osxkeychain"}"#, &Own(&[])).unwrap();
        assert_eq!(
            summary(&entries),
            [
                "credsStore |  |  | no: logins are kept in the credentials store docker-credential-osxkeychain, not in this file"
            ]
        );
        let err = parse(r#"{"auths": {"ghcr.io": {"password": "hunter2"#, &Own(&[])).unwrap_err();
        assert_eq!(
            err,
            "This is not JSON (line 1, column 43); paste the whole config.json."
        );
        assert!(!err.contains("hunter2"));
        assert_eq!(
            parse("{}", &Own(&[])).unwrap_err(),
            "This file has no \"auths\": there are no registry logins in it."
        );
        assert_eq!(
            parse("[1]", &Own(&[])).unwrap_err(),
            "A config.json is a JSON object with \"auths\" in it."
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_ENTRIES)
            .map(|i| (format!("r{i}.example"), serde_json::json!({})))
            .collect();
        let many = serde_json::json!({ "auths": many }).to_string();
        assert_eq!(
            parse(&many, &Own(&[])).unwrap_err(),
            "The file has 101 registry entries; Berth imports at most 100 at a time."
        );
        let big = format!(
            r#"{{"auths": {{}}, "x": "{}"}}"#,
            "a".repeat(MAX_CONFIG_BYTES)
        );
        assert!(
            parse(&big, &Own(&[]))
                .unwrap_err()
                .contains("at most 1024 KiB")
        );
    }
}
