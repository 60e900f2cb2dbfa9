//! Access tokens as text, and their scopes. A token is a recognisable prefix (`berth_pat_` for a
//! person's, `berth_prj_` for a project's), 30 base62 characters of randomness (178 bits) and a
//! 6-character base62 CRC32 of everything before it. The prefix lets secret scanners find a
//! leaked token; the checksum tells a typo from a revoked token without a database read.
//! Only a SHA-256 of the whole text is ever stored (on the server).

use serde::{Deserialize, Serialize};

use crate::domain::role::{OrgAction, ProjectAction};
use crate::error::FieldErrors;

/// Random characters in a token.
pub const RANDOM_LEN: usize = 30;
/// Checksum characters at its end.
const CHECKSUM_LEN: usize = 6;
/// The alphabet of the random part and the checksum.
pub(crate) const BASE62: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whose token it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A person's: never reaches further than their current roles.
    Personal,
    /// A project's, for CI: not tied to a person.
    Project,
}

impl TokenKind {
    /// The text every token of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Personal => "berth_pat_",
            Self::Project => "berth_prj_",
        }
    }
}

/// Why a text is not a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not shaped like a Berth token at all (prefix, length or characters).
    Malformed,
    /// Shaped like one, but the checksum does not match: mistyped or cut short.
    WrongChecksum,
}

impl TokenError {
    /// What a caller is told (401): which of the two, without a database read.
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => {
                "That is not a Berth access token: it starts with berth_pat_ or berth_prj_."
            }
            Self::WrongChecksum => {
                "That access token is not valid: its checksum does not match (mistyped or cut short?)."
            }
        }
    }
}

/// Writes a token of `kind` from 30 base62 characters drawn by the caller; `None` when
/// `random` is not exactly that.
pub fn encode(kind: TokenKind, random: &str) -> Option<String> {
    if random.len() != RANDOM_LEN || !random.bytes().all(|b| BASE62.contains(&b)) {
        return None;
    }
    let body = format!("{}{random}", kind.prefix());
    let checksum = checksum(&body);
    Some(body + &checksum)
}

/// Reads a presented token: its kind when it is well formed and its checksum matches.
pub fn parse(text: &str) -> Result<TokenKind, TokenError> {
    let kind = [TokenKind::Personal, TokenKind::Project]
        .into_iter()
        .find(|k| text.starts_with(k.prefix()))
        .ok_or(TokenError::Malformed)?;
    let rest = &text[kind.prefix().len()..];
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| BASE62.contains(&b)) {
        return Err(TokenError::Malformed);
    }
    let (body, sum) = text.split_at(text.len() - CHECKSUM_LEN);
    if checksum(body) == sum {
        Ok(kind)
    } else {
        Err(TokenError::WrongChecksum)
    }
}

/// CRC32 (IEEE) of `text` in 6 base62 digits, most significant first.
fn checksum(text: &str) -> String {
    let mut crc: u32 = !0;
    for byte in text.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut n = u64::from(!crc);
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

/// What a token may be used for. `All` is everything its holder's role allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// See projects and their settings.
    #[serde(rename = "projects:read")]
    ProjectsRead,
    /// List registry credentials (metadata only; never a password).
    #[serde(rename = "credentials:read")]
    CredentialsRead,
    /// Add, update and delete registry credentials.
    #[serde(rename = "credentials:write")]
    CredentialsWrite,
    /// Pull from the project's KCR repositories.
    #[serde(rename = "registry:pull")]
    RegistryPull,
    /// Push to them.
    #[serde(rename = "registry:push")]
    RegistryPush,
    /// Delete images from them.
    #[serde(rename = "registry:delete")]
    RegistryDelete,
    /// Export the project's credentials as pull secrets.
    #[serde(rename = "pull-secrets:export")]
    PullSecretsExport,
    /// Everything the role allows.
    #[serde(rename = "all")]
    All,
}

impl Scope {
    /// Every scope, in the order forms and the README list them.
    pub const ALL: [Self; 8] = [
        Self::ProjectsRead,
        Self::CredentialsRead,
        Self::CredentialsWrite,
        Self::RegistryPull,
        Self::RegistryPush,
        Self::RegistryDelete,
        Self::PullSecretsExport,
        Self::All,
    ];

    /// The scope's name as stored, shown and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProjectsRead => "projects:read",
            Self::CredentialsRead => "credentials:read",
            Self::CredentialsWrite => "credentials:write",
            Self::RegistryPull => "registry:pull",
            Self::RegistryPush => "registry:push",
            Self::RegistryDelete => "registry:delete",
            Self::PullSecretsExport => "pull-secrets:export",
            Self::All => "all",
        }
    }

    /// What the scope allows, as the token forms explain it.
    pub fn description(self) -> &'static str {
        match self {
            Self::ProjectsRead => "See organizations, projects and push paths.",
            Self::CredentialsRead => "List registry credentials (never a password).",
            Self::CredentialsWrite => {
                "Add, update and delete registry credentials (and list them)."
            }
            Self::RegistryPull => "Pull images from KCR.",
            Self::RegistryPush => "Push images to KCR (and pull).",
            Self::RegistryDelete => "Delete images from KCR.",
            Self::PullSecretsExport => {
                "Export registry credentials, passwords included, as pull secrets (people also need the admin role)."
            }
            Self::All => "Everything the role allows, now and as Berth grows.",
        }
    }

    /// Reads a scope name.
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "\"{input}\" is not a scope; choose from {}.",
                    names.join(", ")
                )
            })
    }

    /// The scope a token needs for `action` in a project: reading has a scope of its own,
    /// members and settings need `all`.
    pub fn for_project(action: ProjectAction) -> Self {
        match action {
            ProjectAction::View => Self::ProjectsRead,
            ProjectAction::ViewCredentials => Self::CredentialsRead,
            ProjectAction::ManageCredentials => Self::CredentialsWrite,
            ProjectAction::PullImages => Self::RegistryPull,
            ProjectAction::PushImages => Self::RegistryPush,
            ProjectAction::DeleteImages => Self::RegistryDelete,
            ProjectAction::ExportPullSecrets => Self::PullSecretsExport,
            ProjectAction::ManageMembers | ProjectAction::Administer => Self::All,
        }
    }

    /// The scope a token needs for `action` in an organization.
    pub fn for_org(action: OrgAction) -> Self {
        match action {
            OrgAction::View => Self::ProjectsRead,
            OrgAction::ManageMembers | OrgAction::ManageProjects | OrgAction::ManageOwners => {
                Self::All
            }
            // Push and delete alike: the registry checks each action's own scope
            // (`kcr_access::scope_for`).
            OrgAction::ManageSharedImages => Self::RegistryPush,
        }
    }

    /// Whether a token holding `granted` may use this scope.
    pub fn granted_by(self, granted: &[Scope]) -> bool {
        granted
            .iter()
            .any(|g| *g == self || *g == Self::All || g.implies(self))
    }

    /// Scopes that come with this one: writing credentials needs to see them, pushing needs
    /// to pull (a push mounts and checks layers).
    fn implies(self, other: Self) -> bool {
        matches!(
            (self, other),
            (Self::CredentialsWrite, Self::CredentialsRead)
                | (Self::RegistryPush, Self::RegistryPull)
        )
    }
}

/// Field names of the token forms.
pub mod field {
    /// The token's name (`label` on the wire: `name` is the project's).
    pub const NAME: &str = "label";
    /// Its scopes (checkboxes named `scopes[]`).
    pub const SCOPES: &str = "scopes";
    /// Days until it expires, or `never`.
    pub const EXPIRES: &str = "expires_in_days";
    /// A token's ID (revoke).
    pub const ID: &str = "id";
}

/// Days a token lives unless told otherwise.
pub const DEFAULT_DAYS: u32 = 90;
/// The longest expiry that can be chosen (beyond it: no expiry, with a warning).
pub const MAX_DAYS: u32 = 365;
/// The expiries the forms offer, in days.
pub const EXPIRY_CHOICES: [u32; 6] = [7, 30, 60, 90, 180, 365];
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 64;
/// Live tokens one owner (a person or a project) may hold.
pub const MAX_LIVE_TOKENS: i64 = 100;
/// The value of the expiry field that means "never expires".
pub const NEVER: &str = "never";

/// A validated request for a new token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// What the holder calls it (unique among the owner's live tokens).
    pub name: String,
    /// Sorted, without repeats; `[All]` alone when `all` was chosen.
    pub scopes: Vec<Scope>,
    /// Days until it expires; `None` never.
    pub expires_in_days: Option<u32>,
}

impl NewToken {
    /// Reads the token form: a name, at least one scope, an expiry in days (1 to 365, blank
    /// for the default 90) or `never`.
    pub fn parse(name: &str, scopes: &[String], expires: &str) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.check(field::NAME, parse_name(name));
        let scopes = errs.check(field::SCOPES, parse_scopes(scopes));
        let expires_in_days = errs.check(field::EXPIRES, parse_expiry(expires));
        errs.finish()?;
        match (name, scopes, expires_in_days) {
            (Some(name), Some(scopes), Some(expires_in_days)) => Ok(Self {
                name,
                scopes,
                expires_in_days,
            }),
            _ => Err(FieldErrors::one(field::NAME, "The form is incomplete.")),
        }
    }
}

fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Name the token after where it is used, e.g. \"CI deploy\".".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "A token name is at most {MAX_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A token name cannot hold control characters or line breaks.".into());
    }
    if name
        .chars()
        .any(crate::domain::account::is_invisible_or_bidi)
    {
        return Err(
            "A token name cannot hold invisible or text-direction characters (like U+200B or U+202E)."
                .into(),
        );
    }
    Ok(name.to_owned())
}

fn parse_scopes(input: &[String]) -> Result<Vec<Scope>, String> {
    let mut scopes = input
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    if scopes.is_empty() {
        return Err("Choose at least one scope.".into());
    }
    if scopes.contains(&Scope::All) {
        return Ok(vec![Scope::All]);
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

fn parse_expiry(input: &str) -> Result<Option<u32>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(Some(DEFAULT_DAYS));
    }
    if input == NEVER {
        return Ok(None);
    }
    match input.parse::<u32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!(
            "Choose an expiry from 1 to {MAX_DAYS} days, or \"{NEVER}\"."
        )),
    }
}

/// Writes scopes as stored: their names, space-separated.
pub fn scopes_to_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads stored scopes (names that are not scopes, from a later version, are skipped).
pub fn scopes_from_text(text: &str) -> Vec<Scope> {
    text.split_whitespace()
        .filter_map(|s| Scope::parse(s).ok())
        .collect()
}

/// A token as lists show it: never its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// Token ID (UUIDv7).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// Who made it, if the account still exists.
    pub created_by: Option<String>,
    /// When it expires, RFC 3339 UTC; `None` never.
    pub expires_at: Option<String>,
    /// Whether that time has passed.
    pub expired: bool,
    /// When it was last used (to the minute), RFC 3339 UTC.
    pub last_used_at: Option<String>,
    /// From which client address.
    pub last_used_addr: Option<String>,
    /// Made for a pull secret (its KCR entry: pull only, short-lived).
    #[serde(default)]
    pub pull_secret: bool,
}

/// A token just made: the only time its text is given out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    /// Token ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The token itself.
    pub token: String,
    /// When it expires, RFC 3339 UTC; `None` never.
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// A tokens page: the live tokens of a person or a project, newest first, and the one just
/// made (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    /// Live (not revoked) tokens, expired ones included.
    pub tokens: Vec<TokenView>,
    /// The token made by the form post that led here, if any (its only showing).
    pub created: Option<CreatedToken>,
    /// The project, for a project's tokens.
    pub project: Option<crate::domain::project::ProjectHeader>,
}

/// Who is calling, as `whoami` tells a CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `session`, `personal_token` or `project_token`.
    pub kind: String,
    /// The account behind a session or personal token.
    pub username: Option<String>,
    /// The project of a project token, as `owner/name`.
    pub project: Option<String>,
    /// The token's name.
    pub token_name: Option<String>,
    /// What the caller may use (`all` for a session).
    pub scopes: Vec<Scope>,
    /// When the token expires, RFC 3339 UTC.
    pub expires_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_refuse_invisible_and_text_direction_characters() {
        for name in ["ci\u{202E}yolped", "c\u{200B}i", "\u{2066}deploy"] {
            assert!(parse_name(name).is_err(), "{name:?}");
        }
        assert_eq!(parse_name(" CI deploy ").unwrap(), "CI deploy");
    }

    const RANDOM: &str = "abcdefghijABCDEFGHIJ0123456789";

    #[test]
    fn a_token_reads_back_as_its_kind() {
        for kind in [TokenKind::Personal, TokenKind::Project] {
            let token = encode(kind, RANDOM).unwrap();
            assert!(token.starts_with(kind.prefix()), "{token}");
            assert_eq!(token.len(), kind.prefix().len() + RANDOM_LEN + CHECKSUM_LEN);
            assert_eq!(parse(&token), Ok(kind));
        }
    }

    #[test]
    fn a_typo_anywhere_is_a_wrong_checksum() {
        let token = encode(TokenKind::Personal, RANDOM).unwrap();
        for i in TokenKind::Personal.prefix().len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(parse(&typo), Err(TokenError::WrongChecksum), "{typo}");
        }
        // The same random part under the other prefix is not the same token.
        let swapped = token.replacen("berth_pat_", "berth_prj_", 1);
        assert_eq!(parse(&swapped), Err(TokenError::WrongChecksum));
    }

    #[test]
    fn anything_not_shaped_like_a_token_is_malformed() {
        let token = encode(TokenKind::Project, RANDOM).unwrap();
        for bad in [
            "",
            "berth_pat_",
            "ghp_abcdefghijABCDEFGHIJ0123456789abcdef",
            &token[..token.len() - 1],
            &format!("{token}0"),
            &token.replacen('a', "-", 1),
            &format!(" {token}"),
        ] {
            assert_eq!(parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
        assert_eq!(encode(TokenKind::Project, "short"), None);
        assert_eq!(encode(TokenKind::Project, &"é".repeat(15)), None);
    }

    #[test]
    fn the_checksum_is_crc32_in_base62() {
        // The CRC32 check value: CRC32("123456789") = 0xCBF43926 = 3421780262, "3jZRME" in base62.
        assert_eq!(checksum("123456789"), "3jZRME");
    }

    #[test]
    fn scopes_read_back_and_all_grants_every_scope() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Ok(scope));
            assert_eq!(
                serde_json::to_string(&scope).unwrap(),
                format!("\"{}\"", scope.as_str())
            );
            assert!(scope.granted_by(&[Scope::All]));
            assert!(scope.granted_by(&[scope]));
        }
        assert!(!Scope::CredentialsWrite.granted_by(&[Scope::CredentialsRead]));
        assert!(Scope::CredentialsRead.granted_by(&[Scope::CredentialsWrite]));
        assert!(Scope::RegistryPull.granted_by(&[Scope::RegistryPush]));
        assert!(!Scope::RegistryDelete.granted_by(&[Scope::RegistryPush]));
        assert!(!Scope::RegistryPush.granted_by(&[]));
        let err = Scope::parse("admin").unwrap_err();
        assert!(err.contains("credentials:read"), "{err}");
    }

    #[test]
    fn the_token_form_reads_name_scopes_and_expiry() {
        let scopes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ok = NewToken::parse(
            "  CI deploy ",
            &scopes(&["credentials:write", "projects:read", "projects:read"]),
            "",
        )
        .unwrap();
        assert_eq!(ok.name, "CI deploy");
        assert_eq!(
            ok.scopes,
            vec![Scope::ProjectsRead, Scope::CredentialsWrite]
        );
        assert_eq!(ok.expires_in_days, Some(DEFAULT_DAYS));
        let all = NewToken::parse("x", &scopes(&["registry:pull", "all"]), "never").unwrap();
        assert_eq!(all.scopes, vec![Scope::All]);
        assert_eq!(all.expires_in_days, None);
        assert_eq!(
            NewToken::parse("x", &scopes(&["all"]), "365")
                .unwrap()
                .expires_in_days,
            Some(365)
        );

        let errs = NewToken::parse(" ", &[], "366").unwrap_err();
        assert!(errs.get(field::NAME).is_some());
        assert_eq!(
            errs.get(field::SCOPES).unwrap(),
            "Choose at least one scope."
        );
        assert!(errs.get(field::EXPIRES).unwrap().contains("1 to 365"));
        for bad in ["0", "-1", "soon", "90.5"] {
            let errs = NewToken::parse("x", &scopes(&["all"]), bad).unwrap_err();
            assert!(errs.get(field::EXPIRES).is_some(), "{bad}");
        }
        let errs = NewToken::parse("a\nb", &scopes(&["root"]), "").unwrap_err();
        assert!(errs.get(field::NAME).unwrap().contains("control"));
        assert!(errs.get(field::SCOPES).unwrap().contains("\"root\""));
        assert!(NewToken::parse(&"n".repeat(65), &scopes(&["all"]), "").is_err());
        assert!(NewToken::parse(&"n".repeat(64), &scopes(&["all"]), "").is_ok());
    }

    #[test]
    fn scopes_round_trip_through_their_stored_text() {
        let scopes = vec![Scope::CredentialsRead, Scope::RegistryPush];
        let text = scopes_to_text(&scopes);
        assert_eq!(text, "credentials:read registry:push");
        assert_eq!(scopes_from_text(&text), scopes);
        assert_eq!(scopes_from_text("all future:thing"), vec![Scope::All]);
    }

    #[test]
    fn a_created_token_does_not_show_its_text_in_debug() {
        let created = CreatedToken {
            id: "1".into(),
            name: "ci".into(),
            token: encode(TokenKind::Project, RANDOM).unwrap(),
            expires_at: None,
        };
        assert!(!format!("{created:?}").contains(RANDOM));
    }
}
