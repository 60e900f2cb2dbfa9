//! Device login (RFC 8628): the short code a person types at `/activate`, the name a device
//! gives itself, and what the approval page shows.

use serde::{Deserialize, Serialize};

use crate::domain::token::Scope;

/// Letters of a user code: no vowels (no words), none that read alike.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Letters in a user code (20^8: 2.6 × 10^10 codes).
pub const USER_CODE_LEN: usize = 8;
/// How long a device login waits for its approval.
pub const LIFETIME_SECS: i64 = 600;
/// The least seconds between two polls.
pub const POLL_INTERVAL_SECS: i64 = 5;
/// Longest device name.
pub const MAX_CLIENT_NAME_CHARS: usize = 80;
/// Days the token a device login makes lives.
pub const TOKEN_DAYS: i64 = 90;

/// Field names of the activation forms.
pub mod field {
    pub const CODE: &str = "code";
}

/// Reads a typed user code: case, spaces and dashes do not matter. `None` when it cannot be
/// one (wrong length or letters): no lookup needed.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// A user code as shown: `BCDF-GHJK`.
pub fn display_user_code(code: &str) -> String {
    match code.len() {
        USER_CODE_LEN => format!("{}-{}", &code[..4], &code[4..]),
        _ => code.to_owned(),
    }
}

/// Reads the name a device gives itself (it names the token: "berth CLI on build-7").
pub fn parse_client_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("A device login needs a client_name (it names the token).".into());
    }
    if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        return Err(format!(
            "client_name is at most {MAX_CLIENT_NAME_CHARS} characters."
        ));
    }
    // Printable ASCII only: a device names itself, and the approval page shows that name;
    // no direction marks, invisible or look-alike characters to dress it up.
    if !name.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return Err("client_name is printable ASCII only.".into());
    }
    Ok(name.to_owned())
}

/// Reads the space-separated scopes a device asks for (at least one; `all` alone).
pub fn parse_scopes(input: &str) -> Result<Vec<Scope>, String> {
    let mut scopes = input
        .split_whitespace()
        .map(Scope::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if scopes.is_empty() {
        return Err("A device login asks for at least one scope.".into());
    }
    if scopes.contains(&Scope::All) {
        return Err(
            "A device login names the scopes it needs; `all` is for tokens made in the console."
                .into(),
        );
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// What the approval page shows about a pending device login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRequestView {
    /// The code, as shown (`BCDF-GHJK`).
    pub user_code: String,
    /// The device's own name for itself.
    pub client_name: String,
    /// The scopes the token will hold.
    pub scopes: Vec<Scope>,
    /// The address the request came from.
    pub requested_addr: String,
    /// The address of the person looking (the page warns when the two differ).
    pub your_addr: String,
    /// When, RFC 3339.
    pub requested_at: String,
    /// When the request lapses, RFC 3339.
    pub expires_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_user_code("bcdf-ghjk"), Some("BCDFGHJK".into()));
        assert_eq!(normalize_user_code(" BCDF GHJK "), Some("BCDFGHJK".into()));
        assert_eq!(normalize_user_code("BCDF-GHJ"), None);
        assert_eq!(
            normalize_user_code("ABCD-EFGH"),
            None,
            "vowels are never drawn"
        );
        assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
    }

    #[test]
    fn client_names_and_scopes_are_checked() {
        assert_eq!(
            parse_client_name(" berth CLI on a "),
            Ok("berth CLI on a".into())
        );
        assert!(parse_client_name("").is_err());
        assert!(parse_client_name("a\nb").is_err());
        assert!(parse_client_name("berth CLI on \u{202e}evil").is_err());
        assert!(parse_client_name("berth\u{200b}CLI").is_err());
        assert!(parse_client_name(&"x".repeat(81)).is_err());
        assert_eq!(
            parse_scopes("registry:pull projects:read registry:pull"),
            Ok(vec![Scope::ProjectsRead, Scope::RegistryPull])
        );
        assert!(
            parse_scopes("all projects:read")
                .unwrap_err()
                .contains("`all`")
        );
        assert!(parse_scopes("").is_err());
        assert!(parse_scopes("root").unwrap_err().contains("not a scope"));
    }
}
