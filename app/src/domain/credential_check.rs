//! Checking that a registry credential works: the steps a check reports (reach the registry,
//! TLS, sign in, pull an image), the status a stored credential keeps from its last check,
//! the registry's `WWW-Authenticate` challenge (RFC 7235, as Docker Hub, GHCR, GCR/Artifact
//! Registry, ACR, GitLab and Quay send it) and its error bodies.

use serde::{Deserialize, Serialize};

use crate::domain::credential::{ImageRef, parse_image_ref};

/// The overall time a check may take.
pub const CHECK_LIMIT_SECS: u64 = 10;

/// Longest text kept from a registry's answer (an error message, a reason).
pub const TEXT_MAX: usize = 300;

/// Form fields of a check.
pub mod field {
    /// An image to try pulling (`REPOSITORY[:TAG]`, optionally with the registry host).
    pub const IMAGE: &str = "image";
}

/// What a step of a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The host resolves to an allowed address and answers `/v2/`.
    Reach,
    /// The TLS handshake and certificate.
    Tls,
    /// The registry accepts the username and password (Basic, or a Bearer token from its realm).
    Auth,
    /// The credential may pull the image.
    Pull,
}

impl StepKind {
    /// Every kind, in the order of a check.
    pub const ALL: [Self; 4] = [Self::Reach, Self::Tls, Self::Auth, Self::Pull];

    /// The kind of its JSON name (`reach`, `tls`, `auth`, `pull`), for code that reads a
    /// report without serde (the browser's "Test connection").
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.wire() == name)
    }

    /// Its JSON name.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Reach => "reach",
            Self::Tls => "tls",
            Self::Auth => "auth",
            Self::Pull => "pull",
        }
    }

    /// The step's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reach => "Reach the registry",
            Self::Tls => "TLS",
            Self::Auth => "Sign in",
            Self::Pull => "Pull the image",
        }
    }
}

/// How a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// It worked.
    Passed,
    /// It failed; the check stops here.
    Failed,
    /// Not done (an earlier step failed, or it does not apply).
    Skipped,
}

/// One step of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStep {
    pub kind: StepKind,
    pub state: StepState,
    /// What happened, with the registry's own error text where it gave one.
    pub detail: String,
    /// How long it took, when it made a request.
    pub millis: Option<u32>,
}

/// Why a check failed, in a few words (the status column shows it before the detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The address is inside Berth's own network and not allowed.
    RefusedAddress,
    /// No DNS answer.
    UnknownHost,
    /// No TCP connection.
    CouldNotConnect,
    /// The TLS handshake or certificate failed.
    Tls,
    /// The registry refused the username and password.
    AuthRefused,
    /// The image does not exist (or the registry hides it).
    NotFound,
    /// The credential may not pull the image.
    Denied,
    /// The overall limit passed.
    TimedOut,
    /// Something else: not a registry, a server error.
    Unexpected,
}

impl Failure {
    /// Every failure.
    pub const ALL: [Self; 9] = [
        Self::RefusedAddress,
        Self::UnknownHost,
        Self::CouldNotConnect,
        Self::Tls,
        Self::AuthRefused,
        Self::NotFound,
        Self::Denied,
        Self::TimedOut,
        Self::Unexpected,
    ];

    /// The failure of its JSON name (see [`StepKind::from_wire`]).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.wire() == name)
    }

    /// Its JSON name.
    pub fn wire(self) -> &'static str {
        match self {
            Self::RefusedAddress => "refused_address",
            Self::UnknownHost => "unknown_host",
            Self::CouldNotConnect => "could_not_connect",
            Self::Tls => "tls",
            Self::AuthRefused => "auth_refused",
            Self::NotFound => "not_found",
            Self::Denied => "denied",
            Self::TimedOut => "timed_out",
            Self::Unexpected => "unexpected",
        }
    }

    /// The words the status shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::RefusedAddress => "address not allowed",
            Self::UnknownHost => "unknown host",
            Self::CouldNotConnect => "could not connect",
            Self::Tls => "TLS failed",
            Self::AuthRefused => "auth refused",
            Self::NotFound => "not found",
            Self::Denied => "denied",
            Self::TimedOut => "timed out",
            Self::Unexpected => "unexpected answer",
        }
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The registry's API address (`https://HOST/v2/`).
    pub target: String,
    /// The image tried, as `REPOSITORY[:TAG]`, when one was given.
    pub image: Option<String>,
    pub steps: Vec<CheckStep>,
    /// `None` when every step that ran passed.
    pub failure: Option<Failure>,
    /// One line: "OK" or the failure's label and the failed step's detail.
    pub summary: String,
    /// Total time taken.
    pub millis: u32,
}

impl CheckReport {
    /// Whether the credential worked.
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// The reason stored with a failing status: the label and the failed step's detail.
    pub fn reason(&self) -> Option<String> {
        let failure = self.failure?;
        let detail = self
            .steps
            .iter()
            .find(|s| s.state == StepState::Failed)
            .map(|s| s.detail.as_str())
            .unwrap_or_default();
        // "could not connect to …" needs no "could not connect: " before it.
        let text = if detail.starts_with(failure.label()) {
            detail.to_owned()
        } else {
            format!("{}: {detail}", failure.label())
        };
        Some(clip(&text, TEXT_MAX))
    }
}

/// A check made by a plain form post, kept for the page it is sent back to
/// (`server::http::check_result`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCheck {
    /// Which project's form or row it belongs to ([`kept_key`]).
    pub of: String,
    pub report: CheckReport,
    /// The form's non-secret fields.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// What a kept check belongs to: `what` (`add`, `edit:ID`, `row:ID`) of project `owner/name`
/// (a check kept on one project's page is never shown on another's).
pub fn kept_key(owner: &str, name: &str, what: &str) -> String {
    format!("{owner}/{name}:{what}")
}

/// The status a stored credential keeps from its last check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CheckStatus {
    /// Never checked (or changed since).
    Untested,
    /// The last check passed.
    Ok {
        /// When, RFC 3339.
        at: String,
    },
    /// The last check failed.
    Failing {
        /// Why ("auth refused: UNAUTHORIZED: …").
        reason: String,
        /// When, RFC 3339.
        at: String,
    },
}

impl CheckStatus {
    /// The stored word: `ok`, `failing`, or none.
    pub fn word(&self) -> Option<&'static str> {
        match self {
            Self::Untested => None,
            Self::Ok { .. } => Some("ok"),
            Self::Failing { .. } => Some("failing"),
        }
    }
}

/// How a registry asks for credentials (`WWW-Authenticate` on `/v2/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// Send the username and password on every request.
    Basic,
    /// Get a token from `realm` (with `service`, and a scope per repository), then send it.
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// The first challenge Berth can answer in a `WWW-Authenticate` value, if any.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (scheme, after) = rest
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((rest, ""));
        let (params, next) = auth_params(after.trim_start());
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => return Some(Challenge::Basic),
            "bearer" => {
                let get = |key: &str| {
                    params
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v.clone())
                };
                if let Some(realm) = get("realm").filter(|r| !r.is_empty()) {
                    return Some(Challenge::Bearer {
                        realm,
                        service: get("service").filter(|s| !s.is_empty()),
                    });
                }
            }
            _ => {}
        }
        rest = next.trim_start_matches([',', ' ', '\t']);
    }
    None
}

/// Reads `key=value` / `key="quoted"` pairs up to the start of the next challenge; answers
/// them and the rest of the header.
fn auth_params(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut params = Vec::new();
    loop {
        s = s.trim_start_matches([',', ' ', '\t']);
        let Some(eq) = s.find('=') else {
            return (params, s);
        };
        let key = s[..eq].trim();
        // A key with a space in it is the next challenge's scheme and its first key.
        if key.is_empty() || key.contains([' ', '\t', ',']) {
            return (params, s);
        }
        let after = &s[eq + 1..];
        let (value, rest) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        params.push((key.to_owned(), value));
        s = rest;
    }
}

/// The registry's own words from an error body: distribution's `{"errors": [{code, message}]}`,
/// or a token service's `{"details"|"error"|"message": …}`. Nothing else: a check may reach a
/// host that is no registry, and its pages are not for the report to show.
pub fn registry_error_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(errors) = json.get("errors").and_then(|e| e.as_array()) {
            let parts: Vec<String> = errors
                .iter()
                .take(3)
                .filter_map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
                    let message = e
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or_default();
                    match (code.is_empty(), message.is_empty()) {
                        (true, true) => None,
                        (false, true) => Some(code.to_owned()),
                        (true, false) => Some(message.to_owned()),
                        (false, false) => Some(format!("{code}: {message}")),
                    }
                })
                .collect();
            if !parts.is_empty() {
                return Some(clip(&parts.join("; "), TEXT_MAX));
            }
        }
        for key in ["details", "error_description", "error", "message"] {
            if let Some(s) = json
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
            {
                return Some(clip(s, TEXT_MAX));
            }
        }
    }
    None
}

/// The image a check tries on `registry_host`: blank for none; `REPOSITORY[:TAG|@DIGEST]` on
/// that registry, or a whole reference naming it (`ghcr.io/acme/app:1`).
pub fn parse_check_image(input: &str, registry_host: &str) -> Result<Option<ImageRef>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let names_host = input.split_once('/').is_some_and(|(first, _)| {
        first.contains('.') || first.contains(':') || first == "localhost"
    });
    let full = if names_host {
        input.to_owned()
    } else {
        format!("{registry_host}/{input}")
    };
    let image = parse_image_ref(&full)?;
    if image.host != registry_host {
        return Err(format!(
            "That image is on {}; these credentials are for {registry_host}.",
            image.host
        ));
    }
    Ok(Some(image))
}

/// How a report names an image: `REPOSITORY`, `REPOSITORY:TAG` or `REPOSITORY@DIGEST`.
pub fn image_label(image: &ImageRef) -> String {
    match (&image.digest, &image.tag) {
        (Some(digest), _) => format!("{}@{digest}", image.repository),
        (None, Some(tag)) => format!("{}:{tag}", image.repository),
        (None, None) => image.repository.clone(),
    }
}

/// `text` with control characters replaced by spaces and invisible and text-direction
/// characters dropped: what [`clip`] shows of it (before trimming and cutting).
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !crate::domain::account::is_invisible_or_bidi(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` with control characters replaced, invisible and text-direction characters dropped
/// (a registry's words must not reorder the page around them), and at most `max` characters
/// (an ellipsis marks a cut).
pub fn clip(text: &str, max: usize) -> String {
    let clean = clean(text);
    let clean = clean.trim();
    if clean.chars().count() <= max {
        return clean.to_owned();
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The pull allowance a registry states in its `ratelimit-limit` and `ratelimit-remaining`
/// headers (Docker Hub: `100;w=21600` and `76;w=21600`, pulls per window of seconds), in
/// words: "76 of 100 pulls left in this 6-hour window". `None` when either is missing or
/// unreadable.
pub fn pull_allowance(limit: Option<&str>, remaining: Option<&str>) -> Option<String> {
    // `N` or `N;w=SECONDS` (draft-ietf-httpapi-ratelimit-headers, as Docker Hub sends it).
    fn read(value: &str) -> Option<(u64, Option<u64>)> {
        let mut parts = value.split(';').map(str::trim);
        let count = parts.next()?.parse().ok()?;
        let window = parts
            .find_map(|p| p.strip_prefix("w="))
            .and_then(|w| w.parse().ok());
        Some((count, window))
    }
    let (limit, window) = read(limit?)?;
    let (remaining, remaining_window) = read(remaining?)?;
    let window = match window.or(remaining_window) {
        Some(secs) if secs > 0 && secs % 3_600 == 0 => {
            format!(" in this {}-hour window", secs / 3_600)
        }
        Some(secs) if secs > 0 => format!(" in this {secs}-second window"),
        _ => String::new(),
    };
    Some(format!("{remaining} of {limit} pulls left{window}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hubs_pull_allowance_is_read_from_its_headers() {
        assert_eq!(
            pull_allowance(Some("100;w=21600"), Some("76;w=21600")).as_deref(),
            Some("76 of 100 pulls left in this 6-hour window")
        );
        assert_eq!(
            pull_allowance(Some("200"), Some("0")).as_deref(),
            Some("0 of 200 pulls left")
        );
        assert_eq!(
            pull_allowance(Some("10; w=90"), Some("3")).as_deref(),
            Some("3 of 10 pulls left in this 90-second window")
        );
        for (limit, remaining) in [
            (None, Some("1")),
            (Some("100;w=21600"), None),
            (Some("lots"), Some("1")),
            (Some("100"), Some("-1")),
        ] {
            assert_eq!(
                pull_allowance(limit, remaining),
                None,
                "{limit:?} {remaining:?}"
            );
        }
    }

    #[test]
    fn clipped_registry_text_loses_direction_marks_and_invisible_characters() {
        assert_eq!(
            clip("denied \u{202E}gnp.exe\u{202C} for\u{200B} you\u{7}", 100),
            "denied gnp.exe for you"
        );
    }

    fn bearer(realm: &str, service: Option<&str>) -> Option<Challenge> {
        Some(Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
        })
    }

    #[test]
    fn the_big_registries_challenges_are_understood() {
        let cases = [
            // Docker Hub
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#,
                bearer("https://auth.docker.io/token", Some("registry.docker.io")),
            ),
            // GHCR
            (
                r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
                bearer("https://ghcr.io/token", Some("ghcr.io")),
            ),
            // GCR and Artifact Registry
            (
                r#"Bearer realm="https://europe-docker.pkg.dev/v2/token",service="europe-docker.pkg.dev""#,
                bearer(
                    "https://europe-docker.pkg.dev/v2/token",
                    Some("europe-docker.pkg.dev"),
                ),
            ),
            // ACR
            (
                r#"Bearer realm="https://acme.azurecr.io/oauth2/token",service="acme.azurecr.io""#,
                bearer(
                    "https://acme.azurecr.io/oauth2/token",
                    Some("acme.azurecr.io"),
                ),
            ),
            // GitLab
            (
                r#"Bearer realm="https://gitlab.com/jwt/auth",service="container_registry""#,
                bearer("https://gitlab.com/jwt/auth", Some("container_registry")),
            ),
            // Quay, with spaces after the commas
            (
                r#"Bearer realm="https://quay.io/v2/auth", service="quay.io""#,
                bearer("https://quay.io/v2/auth", Some("quay.io")),
            ),
            // Distribution with htpasswd
            (r#"Basic realm="Registry Realm""#, Some(Challenge::Basic)),
            // Scheme case, a token68-free Basic, no service
            ("basic", Some(Challenge::Basic)),
            (
                r#"BEARER realm="https://r.example/t""#,
                bearer("https://r.example/t", None),
            ),
            // Two challenges: the first Berth understands wins
            (
                r#"Negotiate abc, Bearer realm="https://r.example/t",service="r""#,
                bearer("https://r.example/t", Some("r")),
            ),
            (
                r#"Digest realm="x", nonce="y", Basic realm="z""#,
                Some(Challenge::Basic),
            ),
            // Escapes inside a quoted value
            (
                r#"Bearer realm="https://r.example/t?a=\"b\"",service="s""#,
                bearer(r#"https://r.example/t?a="b""#, Some("s")),
            ),
            // A Bearer challenge without a realm cannot be followed
            (r#"Bearer service="s""#, None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(parse_challenge(header), want, "{header}");
        }
    }

    #[test]
    fn error_bodies_give_the_registrys_own_words() {
        assert_eq!(
            registry_error_text(
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#
            )
            .as_deref(),
            Some("UNAUTHORIZED: authentication required")
        );
        assert_eq!(
            registry_error_text(br#"{"details":"incorrect username or password"}"#).as_deref(),
            Some("incorrect username or password")
        );
        assert_eq!(registry_error_text(b"\n  internal page text\nmore"), None);
        assert_eq!(
            registry_error_text(br#"{"message": "bad\u001b[0m"}"#).as_deref(),
            Some("bad [0m")
        );
        assert_eq!(registry_error_text(b"<html><body>502</body></html>"), None);
        assert_eq!(registry_error_text(b"{}"), None);
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(1000));
        let text = registry_error_text(long.as_bytes()).unwrap();
        assert_eq!(text.chars().count(), TEXT_MAX);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn the_wire_names_are_serdes() {
        for kind in StepKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.wire());
            assert_eq!(StepKind::from_wire(kind.wire()), Some(kind));
        }
        for failure in Failure::ALL {
            assert_eq!(serde_json::to_value(failure).unwrap(), failure.wire());
            assert_eq!(Failure::from_wire(failure.wire()), Some(failure));
        }
        assert_eq!(StepKind::from_wire("nope"), None);
    }

    #[test]
    fn a_check_image_is_on_the_credentials_registry() {
        let label = |input: &str, host: &str| {
            parse_check_image(input, host).map(|i| i.map(|i| image_label(&i)))
        };
        assert_eq!(label("  ", "ghcr.io"), Ok(None));
        assert_eq!(
            label("acme/app:1.0", "ghcr.io"),
            Ok(Some("acme/app:1.0".into()))
        );
        assert_eq!(
            label("ghcr.io/acme/app", "ghcr.io"),
            Ok(Some("acme/app".into()))
        );
        assert_eq!(
            label("nginx", "docker.io"),
            Ok(Some("library/nginx".into()))
        );
        assert_eq!(
            label("index.docker.io/library/nginx:1", "docker.io"),
            Ok(Some("library/nginx:1".into()))
        );
        assert_eq!(
            label(
                "127.0.0.1:5000/a/b@sha256:0123456789abcdef0123456789abcdef",
                "127.0.0.1:5000"
            ),
            Ok(Some("a/b@sha256:0123456789abcdef0123456789abcdef".into()))
        );
        assert_eq!(
            label("quay.io/acme/app", "ghcr.io"),
            Err("That image is on quay.io; these credentials are for ghcr.io.".into())
        );
        assert!(
            label("Acme/App", "ghcr.io")
                .unwrap_err()
                .starts_with("Repository:")
        );
    }

    #[test]
    fn a_report_reason_names_the_failure_and_the_failed_step() {
        let report = CheckReport {
            target: "https://r.example/v2/".into(),
            image: None,
            steps: vec![
                CheckStep {
                    kind: StepKind::Reach,
                    state: StepState::Passed,
                    detail: "HTTP 401".into(),
                    millis: Some(3),
                },
                CheckStep {
                    kind: StepKind::Auth,
                    state: StepState::Failed,
                    detail: "UNAUTHORIZED: bad".into(),
                    millis: Some(4),
                },
            ],
            failure: Some(Failure::AuthRefused),
            summary: String::new(),
            millis: 7,
        };
        assert!(!report.ok());
        assert_eq!(
            report.reason().as_deref(),
            Some("auth refused: UNAUTHORIZED: bad")
        );
    }
}
