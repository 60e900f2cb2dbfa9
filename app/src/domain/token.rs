//! Access tokens as text, and their scopes. A token is a recognisable prefix (`berth_pat_` for a
//! person's, `berth_prj_` for a project's), 30 base62 characters of randomness (178 bits) and a
//! 6-character base62 CRC32 of everything before it. The prefix lets secret scanners find a
//! leaked token; the checksum tells a typo from a revoked token without a database read.
//! Only a SHA-256 of the whole text is ever stored (on the server).

use serde::{Deserialize, Serialize};

/// Random characters in a token.
pub const RANDOM_LEN: usize = 30;
/// Checksum characters at its end.
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

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

    /// Whether a token holding `granted` may use this scope.
    pub fn granted_by(self, granted: &[Scope]) -> bool {
        granted.iter().any(|g| *g == self || *g == Self::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!Scope::RegistryPush.granted_by(&[]));
        let err = Scope::parse("admin").unwrap_err();
        assert!(err.contains("credentials:read"), "{err}");
    }
}
