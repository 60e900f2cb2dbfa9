//! Registry credentials as forms and pages see them: the field rules, the list rows (never a
//! password, nor anything derived from one), and which credential a pull of an image uses.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{
    account::Email,
    credential_check::CheckStatus,
    expiry::{Expiry, parse_expires_on},
    kcr::{ImageName, Tag},
    project::ProjectHeader,
    registry::{
        DOCKER_HUB_HOST, ECR_REFUSAL, Preset, canonical_host, check_google_key, is_ecr,
        is_google_host,
    },
    secret::PasswordInput,
};
use crate::error::FieldErrors;

/// Longest username.
pub const USERNAME_MAX_LEN: usize = 255;
/// Longest password (a Google JSON key is a few KiB).
pub const PASSWORD_MAX_LEN: usize = 64 * 1024;
/// Credentials per page of the list.
pub const PAGE_SIZE: usize = 50;

/// Where a page of the credential list continues: the sort key (server, ID) of the last row
/// shown, written as `HEX(server).ID` so it is opaque and URL-safe. It carries the key itself,
/// so reading a page never looks up a row a caller named (another project's, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialCursor {
    /// The server of the last row shown.
    pub server: String,
    /// The ID of the last row shown.
    pub id: Uuid,
}

impl CredentialCursor {
    /// The cursor as text.
    pub fn encode(&self) -> String {
        let hex: String = self.server.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.{}", self.id.simple())
    }

    /// Reads a cursor made by [`CredentialCursor::encode`].
    pub fn parse(text: &str) -> Result<Self, String> {
        const BAD: &str = "That is not a position in this list; start from the first page.";
        let (hex, id) = text.split_once('.').ok_or(BAD)?;
        if hex.len() % 2 != 0 || hex.len() > 2 * 1024 {
            return Err(BAD.into());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("x"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| BAD)?;
        Ok(Self {
            server: String::from_utf8(bytes).map_err(|_| BAD)?,
            id: Uuid::try_parse(id).map_err(|_| BAD)?,
        })
    }
}

/// The names of the credential forms' fields: the page's inputs, the server functions'
/// arguments and the keys of their errors.
pub mod field {
    /// The registry preset.
    pub const REGISTRY: &str = "registry";
    /// The server, for presets without a fixed host.
    pub const SERVER: &str = "server";
    /// The registry username.
    pub const USERNAME: &str = "username";
    /// The registry email.
    pub const EMAIL: &str = "email";
    /// The password or token.
    pub const PASSWORD: &str = "password";
    /// The credential's ID.
    pub const ID: &str = "id";
    /// When the password stops working (`YYYY-MM-DD`, optional).
    pub const EXPIRES_ON: &str = crate::domain::expiry::FIELD;
}

/// A credential to add, read from the add form and checked.
#[derive(Clone, Debug)]
pub struct NewCredential {
    /// The server as given (or the preset's).
    pub server: String,
    /// Its canonical registry host.
    pub registry_host: String,
    /// Username (`_json_key` for Google).
    pub username: String,
    /// Email, or empty.
    pub email: String,
    /// The password or token.
    pub password: PasswordInput,
    /// When the password stops working, if known.
    pub expires_on: Option<time::Date>,
}

impl NewCredential {
    /// Reads the add form. The preset decides the server (and, for Google, the username and
    /// the shape of the password); Amazon ECR hosts are refused with the reason.
    pub fn parse(
        registry: &str,
        server: &str,
        username: &str,
        email: &str,
        password: PasswordInput,
        expires_on: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let expires_on = errs.check(field::EXPIRES_ON, parse_expires_on(expires_on));
        let preset = errs.check(field::REGISTRY, Preset::parse(registry));
        let server = preset.and_then(|p| errs.check(field::SERVER, p.server(server)));
        let host = server
            .as_deref()
            .and_then(|s| errs.check(field::SERVER, canonical_host(s)));
        if host.as_deref().is_some_and(is_ecr) {
            errs.insert(field::SERVER, ECR_REFUSAL);
        }
        let mut username = errs.check(field::USERNAME, check_username(username));
        let email = errs.check(field::EMAIL, check_email(email));
        let password_ok = errs
            .check(
                field::PASSWORD,
                check_registry_password(password.expose(), true),
            )
            .is_some();
        if password_ok && preset == Some(Preset::Google) {
            username = Some(GOOGLE_USERNAME.into());
            errs.check(field::PASSWORD, check_google_key(password.expose()));
        }
        errs.finish()?;
        match (server, host, username, email, expires_on) {
            (Some(server), Some(registry_host), Some(username), Some(email), Some(expires_on)) => {
                Ok(Self {
                    server,
                    registry_host,
                    username,
                    email,
                    password,
                    expires_on,
                })
            }
            _ => Err(FieldErrors::one(field::REGISTRY, "The form is incomplete.")),
        }
    }
}

/// A change to a credential, read from the edit form and checked. An empty password keeps
/// the stored one.
#[derive(Clone, Debug)]
pub struct CredentialChange {
    /// The new username.
    pub username: String,
    /// The new email, or empty.
    pub email: String,
    /// A new password, or empty to keep the stored one.
    pub password: PasswordInput,
    /// When the password stops working, if known.
    pub expires_on: Option<time::Date>,
}

impl CredentialChange {
    /// Reads the edit form for a credential of `registry_host` (a Google host keeps
    /// `_json_key` as its username and needs a JSON key as its password).
    pub fn parse(
        registry_host: &str,
        username: &str,
        email: &str,
        password: PasswordInput,
        expires_on: &str,
    ) -> Result<Self, FieldErrors> {
        let google = is_google_host(registry_host);
        let mut errs = FieldErrors::new();
        let expires_on = errs.check(field::EXPIRES_ON, parse_expires_on(expires_on));
        let username = errs.check(field::USERNAME, check_username(username));
        let email = errs.check(field::EMAIL, check_email(email));
        let password_ok = errs
            .check(
                field::PASSWORD,
                check_registry_password(password.expose(), false),
            )
            .is_some();
        if password_ok && google && !password.expose().is_empty() {
            errs.check(field::PASSWORD, check_google_key(password.expose()));
        }
        errs.finish()?;
        match (username, email, expires_on) {
            (Some(username), Some(email), Some(expires_on)) => Ok(Self {
                username: if google {
                    GOOGLE_USERNAME.into()
                } else {
                    username
                },
                email,
                password,
                expires_on,
            }),
            _ => Err(FieldErrors::one(field::USERNAME, "The form is incomplete.")),
        }
    }
}

/// The username Google registries take with a JSON key.
pub const GOOGLE_USERNAME: &str = "_json_key";

/// Checks a username: optional, at most 255 characters, no control characters.
pub fn check_username(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.chars().count() > USERNAME_MAX_LEN {
        return Err(format!("Use at most {USERNAME_MAX_LEN} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Control characters are not allowed.".into());
    }
    if name.chars().any(crate::domain::account::is_bidi_control) {
        return Err("Text-direction marks (like U+202E) are not allowed.".into());
    }
    Ok(name.to_owned())
}

/// Checks an email: optional; when given, a valid address.
pub fn check_email(input: &str) -> Result<String, String> {
    let email = input.trim();
    if email.is_empty() {
        return Ok(String::new());
    }
    Email::parse(email).map(|e| e.as_str().to_owned())
}

/// Checks a registry password: at most 64 KiB, no control characters but line breaks and tabs
/// (JSON keys have them). `required` when adding; when updating, empty means "keep".
pub fn check_registry_password(input: &str, required: bool) -> Result<(), String> {
    if input.is_empty() {
        return if required {
            Err("Enter the password or token.".into())
        } else {
            Ok(())
        };
    }
    if input.len() > PASSWORD_MAX_LEN {
        return Err("Use at most 64 KiB.".into());
    }
    if input
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("Control characters are not allowed.".into());
    }
    Ok(())
}

/// One credential in the list. There is no password here, nor a mask derived from one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    /// Credential ID (UUID).
    pub id: String,
    /// The server as given.
    pub server: String,
    /// The canonical registry host it stands for.
    pub registry_host: String,
    /// Username (may be empty).
    pub username: String,
    /// Email (may be empty).
    pub email: String,
    /// Who added it (current username), if the account still exists.
    pub added_by: Option<String>,
    /// When, RFC 3339.
    pub added_at: String,
    /// Who last changed it.
    pub updated_by: Option<String>,
    /// When, RFC 3339.
    pub updated_at: String,
    /// When it last went out in a pull secret, RFC 3339.
    #[serde(default)]
    pub last_exported_at: Option<String>,
    /// By whom ("ann", "ann (token ci)", "project token deploy").
    #[serde(default)]
    pub last_exported_by: Option<String>,
    /// What its last check found.
    pub status: CheckStatus,
    /// The image its checks try, if one was given.
    pub check_image: Option<String>,
    /// When the password stops working (`YYYY-MM-DD`), if known.
    pub expires_on: Option<String>,
    /// How far that is from today (UTC) when the list was read.
    pub expiry: Option<Expiry>,
    /// Where the password comes from, for one Berth mints (Amazon ECR); `None`: static.
    #[serde(default)]
    pub minted: Option<MintedView>,
}

/// An Amazon ECR credential's source and the token minted from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedView {
    /// The AWS access key ID (not a secret).
    pub access_key_id: String,
    /// The role assumed with it, if any.
    pub role_arn: Option<String>,
    /// The external ID the role's trust policy asks for (not a secret: AWS says so).
    #[serde(default)]
    pub external_id: Option<String>,
    /// When the current token expires, RFC 3339.
    pub token_expires_at: Option<String>,
    /// When it was minted, RFC 3339.
    pub token_refreshed_at: Option<String>,
    /// Why the last refresh failed (AWS's code and message), while it keeps failing.
    pub refresh_error: Option<String>,
}

/// A page of the credential list, sorted by server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialPage {
    /// Up to [`PAGE_SIZE`] credentials.
    pub items: Vec<CredentialView>,
    /// The cursor of the next page.
    pub next: Option<String>,
    /// Whether the caller may add, update and delete.
    pub can_manage: bool,
    /// Whether the caller may export them as a pull secret.
    #[serde(default)]
    pub can_export: bool,
    /// The project they belong to.
    pub project: ProjectHeader,
}

/// An image reference split the way a pull reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Canonical registry host (`docker.io` when none is given).
    pub host: String,
    /// Repository path (`library/NAME` for a single-component Docker Hub name).
    pub repository: String,
    /// Tag, if given.
    pub tag: Option<String>,
    /// Digest, if given.
    pub digest: Option<String>,
}

/// Parses `[HOST[:PORT]/]PATH[:TAG][@DIGEST]` by the distribution reference rules: the first
/// component is a host when it has a `.` or a `:`, or is `localhost`.
pub fn parse_image_ref(input: &str) -> Result<ImageRef, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter an image, e.g. ghcr.io/acme/shop:1.0.".into());
    }
    if input.len() > 512 {
        return Err("An image reference has at most 512 characters.".into());
    }
    let (rest, digest) = match input.split_once('@') {
        Some((rest, digest)) => {
            let (algo, hex) = digest
                .split_once(':')
                .ok_or("A digest looks like sha256:<64 hex digits>.")?;
            let ok = !algo.is_empty()
                && algo.chars().all(|c| {
                    c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '+'
                        || c == '.'
                        || c == '-'
                        || c == '_'
                })
                && hex.len() >= 32
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            if !ok {
                return Err("A digest looks like sha256:<64 lowercase hex digits>.".into());
            }
            (rest, Some(digest.to_owned()))
        }
        None => (input, None),
    };
    let (host_part, path_and_tag) = match rest.split_once('/') {
        Some((first, more))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), more)
        }
        _ => (None, rest),
    };
    // A ':' after the last '/' starts the tag.
    let (path, tag) = match path_and_tag.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') => (path, Some(tag)),
        _ => (path_and_tag, None),
    };
    let host = match host_part {
        Some(h) => canonical_host(h).map_err(|e| format!("Registry host: {e}"))?,
        None => DOCKER_HUB_HOST.to_owned(),
    };
    let name = ImageName::parse(path).map_err(|e| format!("Repository: {e}"))?;
    let repository = if host == DOCKER_HUB_HOST && !name.as_str().contains('/') {
        format!("library/{}", name.as_str())
    } else {
        name.as_str().to_owned()
    };
    let tag = match tag {
        Some("") => return Err("Tag: enter a tag after the \":\".".into()),
        Some(t) => Some(
            Tag::parse(t)
                .map_err(|e| format!("Tag: {e}"))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    Ok(ImageRef {
        host,
        repository,
        tag,
        digest,
    })
}

/// Which credential a pull of an image uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// A stored credential of this project.
    Credential {
        /// The image as parsed.
        image: ImageRef,
        /// Its ID.
        id: String,
        /// Its server.
        server: String,
    },
    /// The built-in registry: Berth signs the pull in itself.
    Kcr {
        /// The image as parsed.
        image: ImageRef,
    },
    /// No credential: the pull is anonymous.
    Anonymous {
        /// The image as parsed.
        image: ImageRef,
        /// Docker Hub limits anonymous pulls; say so.
        docker_hub_limit: bool,
    },
}

/// The Docker Hub warning for anonymous pulls.
pub const DOCKER_HUB_LIMIT: &str = "Anonymous pulls from Docker Hub are limited to 100 per 6 hours per IP address, shared by everyone behind the same address. Add Docker Hub credentials to lift the limit.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_junk_is_refused() {
        let cursor = CredentialCursor {
            server: "https://ghcr.io/ä b".into(),
            id: Uuid::now_v7(),
        };
        assert_eq!(CredentialCursor::parse(&cursor.encode()).unwrap(), cursor);
        for junk in [
            "",
            "abc",
            "zz.0190",
            "6.00000000-0000-0000-0000-000000000000",
            "ff.not-a-uuid",
        ] {
            assert!(CredentialCursor::parse(junk).is_err(), "{junk:?}");
        }
    }

    fn parsed(input: &str) -> (String, String, Option<String>) {
        let r = parse_image_ref(input).unwrap();
        (r.host, r.repository, r.tag)
    }

    #[test]
    fn references_resolve_to_hosts_and_repositories() {
        let s = |v: &str| v.to_owned();
        assert_eq!(parsed("nginx"), (s("docker.io"), s("library/nginx"), None));
        assert_eq!(
            parsed("nginx:1.25"),
            (s("docker.io"), s("library/nginx"), Some(s("1.25")))
        );
        assert_eq!(parsed("acme/shop"), (s("docker.io"), s("acme/shop"), None));
        assert_eq!(
            parsed("docker.io/nginx"),
            (s("docker.io"), s("library/nginx"), None)
        );
        assert_eq!(
            parsed("index.docker.io/acme/shop"),
            (s("docker.io"), s("acme/shop"), None)
        );
        assert_eq!(
            parsed("ghcr.io/acme/shop:v1"),
            (s("ghcr.io"), s("acme/shop"), Some(s("v1")))
        );
        assert_eq!(
            parsed("localhost:5000/acme/web/cart"),
            (s("localhost:5000"), s("acme/web/cart"), None)
        );
        assert_eq!(parsed("localhost/cart"), (s("localhost"), s("cart"), None));
        assert_eq!(
            parsed("Registry.Example.com:443/a/b:t"),
            (s("registry.example.com"), s("a/b"), Some(s("t")))
        );
        assert_eq!(parsed("[::1]:5000/a"), (s("[::1]:5000"), s("a"), None));
        let digest = format!("ghcr.io/a/b@sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_image_ref(&digest).unwrap().digest.unwrap(),
            format!("sha256:{}", "a".repeat(64))
        );
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        assert_eq!(
            parse_image_ref("ghcr.io/Acme/shop").unwrap_err(),
            "Repository: Use lowercase letters only."
        );
        assert!(parse_image_ref("").is_err());
        assert!(parse_image_ref("shop:").unwrap_err().starts_with("Tag:"));
        assert!(parse_image_ref("shop:-x").unwrap_err().starts_with("Tag:"));
        assert!(parse_image_ref("shop@md5").unwrap_err().contains("digest"));
        assert!(
            parse_image_ref("bad_host.io:99999/x")
                .unwrap_err()
                .starts_with("Registry host:")
        );
        assert!(parse_image_ref("a//b").is_err());
    }

    #[test]
    fn field_rules() {
        assert!(check_username(&"u".repeat(255)).is_ok());
        assert!(check_username(&"u".repeat(256)).is_err());
        assert!(check_username("a\u{7}b").is_err());
        assert_eq!(check_email("").unwrap(), "");
        assert!(check_email("not-an-email").is_err());
        assert!(check_registry_password("", true).is_err());
        assert!(check_registry_password("", false).is_ok());
        assert!(check_registry_password("{\n \"a\": 1\n}", true).is_ok());
        assert!(check_registry_password("a\u{0}b", true).is_err());
        assert!(check_registry_password(&"p".repeat(64 * 1024 + 1), true).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn the_reference_parser_never_panics(input in ".{0,600}") {
                let _ = parse_image_ref(&input);
                let _ = check_registry_password(&input, true);
                let _ = check_username(&input);
            }
        }
    }
}
