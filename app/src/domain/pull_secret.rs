//! Pull secrets: what an export asks for (format, the life of its KCR entry, a Kubernetes
//! name) and what it gives. The rule that builds one is `server::rules::pull_secrets`.

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

/// Shortest life of a pull secret's KCR entry, in seconds.
pub const MIN_KCR_TTL_SECS: i64 = 5 * 60;
/// Longest: a month. A longer-lived pull secret is a project token.
pub const MAX_KCR_TTL_SECS: i64 = 30 * 86_400;
/// The default: an hour, enough for a deploy.
pub const DEFAULT_KCR_TTL_SECS: i64 = 3_600;
/// A credential exported this recently gets a warning before it is deleted.
pub const RECENT_EXPORT_SECS: i64 = 30 * 86_400;

/// Field names of the export form and the server function's arguments.
pub mod field {
    pub const FORMAT: &str = "format";
    pub const KCR_TTL: &str = "kcr_ttl";
    pub const SECRET_NAME: &str = "secret_name";
}

/// The file an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A `.dockerconfigjson` (docker's, podman's and skopeo's auth file).
    Dockerconfigjson,
    /// A Kubernetes `Secret` of type `kubernetes.io/dockerconfigjson`.
    K8s,
}

impl Format {
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" | "dockerconfigjson" => Ok(Self::Dockerconfigjson),
            "k8s" | "kubernetes" => Ok(Self::K8s),
            other => Err(format!(
                "\"{other}\" is not a pull secret format; choose dockerconfigjson or k8s."
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dockerconfigjson => "dockerconfigjson",
            Self::K8s => "k8s",
        }
    }
}

/// Reads a duration like `90s`, `30m`, `1h` or `7d` (blank: an hour), between five minutes
/// and thirty days; seconds.
pub fn parse_ttl(input: &str) -> Result<i64, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(DEFAULT_KCR_TTL_SECS);
    }
    let bad =
        || format!("\"{input}\" is not a duration; write a number and a unit: 30m, 1h, 12h or 7d.");
    let split = input.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = input.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(unit_secs).ok_or_else(bad)?;
    if !(MIN_KCR_TTL_SECS..=MAX_KCR_TTL_SECS).contains(&secs) {
        return Err(format!(
            "The KCR entry lives between 5 minutes and 30 days; \"{input}\" is outside that."
        ));
    }
    Ok(secs)
}

/// Reads a Kubernetes object name (RFC 1123 subdomain: lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit, at most 253 characters). Blank: `None`.
pub fn parse_secret_name(input: &str) -> Result<Option<String>, String> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.len() > 253
        || !name.chars().all(ok_char)
        || !ends_ok(name.chars().next())
        || !ends_ok(name.chars().last())
    {
        return Err(format!(
            "\"{name}\" is not a Kubernetes name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters."
        ));
    }
    Ok(Some(name.to_owned()))
}

/// The default Secret name of a project: `OWNER-PROJECT-pull`, lowercased, with every
/// character Kubernetes refuses turned into `-`.
pub fn default_secret_name(owner: &str, project: &str) -> String {
    let raw = format!("{owner}-{project}-pull").to_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(253);
    name.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// Why the console's download was refused, as the code its redirect carries back to the
/// confirm page (`?error=CODE`): a code, not the message, so a link cannot put words of its
/// own on that page.
pub fn download_error_code(err: &crate::error::AppError) -> &'static str {
    use crate::error::AppError;
    match err {
        AppError::Invalid(fields) if fields.get(field::FORMAT).is_some() => "format",
        AppError::Invalid(fields) if fields.get(field::KCR_TTL).is_some() => "kcr_ttl",
        AppError::Invalid(fields) if fields.get(field::SECRET_NAME).is_some() => "secret_name",
        AppError::Forbidden(_) | AppError::NotFound(_) => "forbidden",
        AppError::TooManyRequests { .. } => "throttled",
        AppError::Conflict { .. } => "sealed",
        _ => "failed",
    }
}

/// The message the confirm page shows for a [`download_error_code`] (any other text: a
/// generic one).
pub fn download_error_message(code: &str) -> &'static str {
    match code {
        "format" => "Choose a format: a Kubernetes Secret or an auth file.",
        "kcr_ttl" => "The KCR login lives between 5 minutes and 30 days.",
        "secret_name" => {
            "A Kubernetes name is lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."
        }
        "forbidden" => "Only the project's admins may download its pull secret.",
        "throttled" => {
            "This project has exported too many pull secrets in the last hour; try again later."
        }
        "sealed" => {
            "A stored password is sealed under a key this server does not hold (a key rotation is under way?); nothing was exported."
        }
        _ => "The download failed; nothing was exported.",
    }
}

/// An export request, read from the form or the CLI's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRequest {
    pub format: Format,
    pub kcr_ttl_secs: i64,
    /// The Kubernetes name (`None`: the project's default).
    pub secret_name: Option<String>,
}

impl ExportRequest {
    pub fn parse(format: &str, kcr_ttl: &str, secret_name: &str) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let format = errs.check(field::FORMAT, Format::parse(format));
        let ttl = errs.check(field::KCR_TTL, parse_ttl(kcr_ttl));
        let name = errs.check(field::SECRET_NAME, parse_secret_name(secret_name));
        errs.finish()?;
        match (format, ttl, name) {
            (Some(format), Some(kcr_ttl_secs), Some(secret_name)) => Ok(Self {
                format,
                kcr_ttl_secs,
                secret_name,
            }),
            _ => Err(FieldErrors::one(field::FORMAT, "The form is incomplete.")),
        }
    }
}

/// What the download page shows before an export: what would go out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportPreview {
    pub project: crate::domain::project::ProjectHeader,
    /// Server and username of every credential that goes out.
    pub credentials: Vec<(String, String)>,
    /// Servers of stored credentials that stay out: Berth's own KCR hosts (stored before they
    /// were refused), whose place the pull-only KCR login takes.
    pub left_out: Vec<String>,
    /// The KCR host of the project's region.
    pub kcr_host: Option<String>,
    /// The Kubernetes name used when none is given.
    pub default_secret_name: String,
    /// The Amazon ECR credentials among them, each with when its current password ends
    /// (RFC 3339; an export refreshes one with less than an hour left).
    #[serde(default)]
    pub ecr_expires_at: Vec<(String, String)>,
}

/// An exported pull secret. `content` holds registry passwords in the clear: it is answered
/// `no-store`, never logged, and its `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSecret {
    /// What to save it as (`OWNER-PROJECT-pull.json` or `.yaml`).
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// The file.
    pub content: String,
    /// The credentials inside, by ID.
    pub credential_ids: Vec<String>,
    /// The KCR host the pull-only entry is for (`None` when the region has none).
    pub kcr_host: Option<String>,
    /// When that entry stops working, RFC 3339.
    pub kcr_expires_at: String,
    /// The Amazon ECR entries, each with when its 12-hour password stops working (RFC 3339):
    /// the file must be exported again before then (Berth refreshes the password itself).
    #[serde(default)]
    pub ecr_expires_at: Vec<(String, String)>,
}

impl std::fmt::Debug for PullSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullSecret")
            .field("file_name", &self.file_name)
            .field("credential_ids", &self.credential_ids)
            .field("kcr_host", &self.kcr_host)
            .field("kcr_expires_at", &self.kcr_expires_at)
            .field("ecr_expires_at", &self.ecr_expires_at)
            .finish_non_exhaustive()
    }
}

/// One registry's login, as `docker-credential-berth get` hands it to docker, podman and
/// skopeo: the project's stored credential for that host (for Amazon ECR, the current token).
/// `secret` is the password in the clear: answered `no-store`, never logged, left out of
/// `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryLogin {
    /// The registry host it is for (canonical: `docker.io` for Docker Hub).
    pub registry_host: String,
    pub username: String,
    pub secret: String,
    /// When an Amazon ECR password stops working (RFC 3339); `None` for a stored password.
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("registry_host", &self.registry_host)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_unit_and_stay_in_range() {
        assert_eq!(parse_ttl(""), Ok(3_600));
        assert_eq!(parse_ttl("1h"), Ok(3_600));
        assert_eq!(parse_ttl(" 30m "), Ok(1_800));
        assert_eq!(parse_ttl("7d"), Ok(7 * 86_400));
        assert_eq!(parse_ttl("300s"), Ok(300));
        assert_eq!(parse_ttl("30d"), Ok(30 * 86_400));
        for bad in [
            "1",
            "h",
            "1x",
            "-1h",
            "1.5h",
            "1h30m",
            "99999999999999999999d",
        ] {
            let err = parse_ttl(bad).unwrap_err();
            assert!(err.contains("not a duration"), "{bad}: {err}");
        }
        for out in ["4m", "299s", "31d"] {
            let err = parse_ttl(out).unwrap_err();
            assert!(
                err.contains("between 5 minutes and 30 days"),
                "{out}: {err}"
            );
        }
    }

    #[test]
    fn kubernetes_names_follow_rfc_1123() {
        assert_eq!(parse_secret_name(""), Ok(None));
        assert_eq!(parse_secret_name("web-pull"), Ok(Some("web-pull".into())));
        assert_eq!(parse_secret_name("a.b-1"), Ok(Some("a.b-1".into())));
        for bad in ["Web", "-web", "web-", "we_b", "we b", &"a".repeat(254)] {
            assert!(parse_secret_name(bad).is_err(), "{bad}");
        }
        assert_eq!(default_secret_name("Acme", "web_app"), "acme-web-app-pull");
        assert!(parse_secret_name(&default_secret_name("_x_", "y")).is_ok());
    }

    #[test]
    fn formats_and_their_errors() {
        assert_eq!(Format::parse(""), Ok(Format::Dockerconfigjson));
        assert_eq!(Format::parse("k8s"), Ok(Format::K8s));
        assert!(
            Format::parse("yaml")
                .unwrap_err()
                .contains("dockerconfigjson or k8s")
        );
        let err = ExportRequest::parse("x", "1y", "X").unwrap_err();
        assert_eq!(err.len(), 3);
    }

    #[test]
    fn debug_never_shows_the_file() {
        let secret = PullSecret {
            file_name: "f.json".into(),
            content_type: "application/json".into(),
            content: "hunter2".into(),
            credential_ids: vec![],
            kcr_host: None,
            kcr_expires_at: String::new(),
            ecr_expires_at: vec![],
        };
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
