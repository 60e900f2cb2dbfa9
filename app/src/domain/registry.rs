//! Registries as credentials name them: the canonical registry host a server string stands for
//! (one credential per project and host), the presets of the add form, and the checks that
//! refuse what cannot work (Amazon ECR) or would leak (a password inside the server URL).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// How Docker Hub is stored: the server string the Docker CLI itself writes.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";
/// Docker Hub's canonical host.
pub const DOCKER_HUB_HOST: &str = "docker.io";
/// Longest server string.
pub const SERVER_MAX_LEN: usize = 255;

const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The canonical host (`host[:port]`, lowercase, default port dropped, Docker Hub's aliases
/// folded into `docker.io`) of a server given as `[https://|http://]host[:port][/path]`.
/// The path (`/v1/`, `/v2/`, a namespace) does not change the host: registry logins are per
/// host, as in `~/.docker/config.json`.
pub fn canonical_host(server: &str) -> Result<String, String> {
    let input = server.trim();
    if input.is_empty() {
        return Err("Enter the registry's server, e.g. registry.example.com.".into());
    }
    if input.len() > SERVER_MAX_LEN {
        return Err(format!("Use at most {SERVER_MAX_LEN} characters."));
    }
    if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("The server cannot contain spaces or control characters.".into());
    }
    if input
        .chars()
        .any(crate::domain::account::is_invisible_or_bidi)
    {
        return Err(
            "The server cannot contain invisible or text-direction characters (like U+200B or U+202E)."
                .into(),
        );
    }
    let lower = input.to_ascii_lowercase();
    let (rest, default_port) = if let Some(rest) = lower.strip_prefix("https://") {
        (rest, "443")
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (rest, "80")
    } else if lower.contains("://") {
        return Err("Use https://, http:// or no scheme at all.".into());
    } else {
        (lower.as_str(), "443")
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "Put the username and password in their own fields, not in the server address.".into(),
        );
    }
    if rest.contains('?') || rest.contains('#') {
        return Err("The server cannot have a query (?) or fragment (#).".into());
    }
    let (host, port) = split_host_port(authority)?;
    let host = check_host(host)?;
    let port = match port {
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("\"{p}\" is not a port (1–65535)."))?;
            (n.to_string() != default_port && !(default_port == "80" && n == 443))
                .then(|| n.to_string())
        }
        None => None,
    };
    if DOCKER_HUB_ALIASES.contains(&host.as_str()) && port.is_none() {
        return Ok(DOCKER_HUB_HOST.into());
    }
    Ok(match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Splits `host[:port]`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.is_empty() {
        return Err("Enter a host name after the scheme.".into());
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or("An IPv6 address needs its closing \"]\".")?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("Put \":PORT\" after the \"]\".")?,
            ),
        };
        return Ok((&authority[..v6.len() + 2], port));
    }
    match authority.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => {
            Err("Write an IPv6 address in brackets, e.g. [2001:db8::1]:5000.".into())
        }
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

/// Checks a host: a bracketed IPv6 literal, an IPv4 address, or a DNS name.
fn check_host(host: &str) -> Result<String, String> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let addr: Ipv6Addr = inner
            .parse()
            .map_err(|_| format!("\"{inner}\" is not an IPv6 address."))?;
        return Ok(format!("[{addr}]"));
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let addr: Ipv4Addr = host
            .parse()
            .map_err(|_| format!("\"{host}\" is not an IPv4 address."))?;
        return Ok(addr.to_string());
    }
    if host.len() > 253 {
        return Err("A host name has at most 253 characters.".into());
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(format!(
                "\"{host}\" is not a host name (letters, digits and hyphens between dots)."
            ));
        }
    }
    Ok(host.to_owned())
}

/// Whether `host` (canonical) is an Amazon ECR registry (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`).
pub fn is_ecr(host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let tail_ok = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
    tail_ok && labels.len() >= 6 && labels[1] == "dkr" && labels[2].starts_with("ecr")
}

/// Why ECR is refused, in the add form's words.
pub const ECR_REFUSAL: &str = "Amazon ECR only issues passwords that expire within 12 hours, so a password stored here would stop working the same day. Add it with \u{201c}Add Amazon ECR credentials\u{201d} on the credentials page instead: Berth keeps AWS keys and renews the password itself.";

/// The registry picker of the add form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Docker Hub: no server field.
    DockerHub,
    /// Google Container Registry / Artifact Registry: a service-account JSON key.
    Google,
    /// Azure Container Registry: a registry name.
    Azure,
    /// GitHub Container Registry.
    Github,
    /// GitLab's registry.
    Gitlab,
    /// Quay.
    Quay,
    /// Any other registry.
    Other,
}

impl Preset {
    /// Every preset, in picker order.
    pub const ALL: [Self; 7] = [
        Self::DockerHub,
        Self::Google,
        Self::Azure,
        Self::Github,
        Self::Gitlab,
        Self::Quay,
        Self::Other,
    ];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DockerHub => "docker_hub",
            Self::Google => "google",
            Self::Azure => "azure",
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Quay => "quay",
            Self::Other => "other",
        }
    }

    /// The picker's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::DockerHub => "Docker Hub",
            Self::Google => "Google (GCR / Artifact Registry)",
            Self::Azure => "Azure Container Registry",
            Self::Github => "GitHub (ghcr.io)",
            Self::Gitlab => "GitLab (registry.gitlab.com)",
            Self::Quay => "Quay (quay.io)",
            Self::Other => "Other",
        }
    }

    /// Reads a form value.
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == input.trim())
            .ok_or_else(|| "Choose a registry.".to_owned())
    }

    /// The server string to store for what the form's Server field holds under this preset.
    pub fn server(self, input: &str) -> Result<String, String> {
        let input = input.trim();
        match self {
            Self::DockerHub => Ok(DOCKER_HUB_SERVER.into()),
            Self::Github => Ok("ghcr.io".into()),
            Self::Gitlab => Ok("registry.gitlab.com".into()),
            Self::Quay => Ok("quay.io".into()),
            Self::Azure => {
                let name = input
                    .strip_suffix(".azurecr.io")
                    .unwrap_or(input)
                    .to_ascii_lowercase();
                let ok = (5..=50).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
                if ok {
                    Ok(format!("{name}.azurecr.io"))
                } else {
                    Err("An Azure registry name has 5–50 letters and digits.".into())
                }
            }
            Self::Google => {
                let host = canonical_host(input)?;
                if is_google_host(&host) {
                    Ok(input.to_owned())
                } else {
                    Err("Use a GCR host (gcr.io, us.gcr.io, …) or an Artifact Registry host (REGION-docker.pkg.dev).".into())
                }
            }
            Self::Other => {
                let host = canonical_host(input)?;
                if is_ecr(&host) {
                    return Err(ECR_REFUSAL.into());
                }
                Ok(input.to_owned())
            }
        }
    }
}

/// Whether `host` (canonical) is a Google registry.
pub fn is_google_host(host: &str) -> bool {
    host == "gcr.io" || host.ends_with(".gcr.io") || host.ends_with("-docker.pkg.dev")
}

/// Checks a Google service-account key: JSON with `type`, `client_email` and `private_key`.
pub fn check_google_key(password: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(password).map_err(|_| {
        "Paste the service account's JSON key (it does not parse as JSON).".to_owned()
    })?;
    let missing: Vec<&str> = ["type", "client_email", "private_key"]
        .into_iter()
        .filter(|k| {
            value
                .get(k)
                .and_then(serde_json::Value::as_str)
                .is_none_or(str::is_empty)
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "The JSON key lacks {}; download the key of the service account again.",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_refuses_text_direction_and_invisible_characters() {
        for server in ["registry.example.com/\u{202E}moc", "ghcr\u{200B}.io"] {
            assert!(canonical_host(server).is_err(), "{server:?}");
        }
    }

    #[test]
    fn canonical_hosts() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("https://index.docker.io/v1/", Ok("docker.io")),
            ("index.docker.io", Ok("docker.io")),
            ("docker.io", Ok("docker.io")),
            ("registry-1.docker.io", Ok("docker.io")),
            ("https://registry-1.docker.io/v2/", Ok("docker.io")),
            ("DOCKER.IO", Ok("docker.io")),
            ("docker.io:443", Ok("docker.io")),
            ("docker.io:5000", Ok("docker.io:5000")),
            ("ghcr.io", Ok("ghcr.io")),
            ("https://ghcr.io/", Ok("ghcr.io")),
            ("GHCR.IO/", Ok("ghcr.io")),
            ("registry.example.com/v2/", Ok("registry.example.com")),
            ("registry.example.com:443", Ok("registry.example.com")),
            (
                "https://registry.example.com:443/v1/",
                Ok("registry.example.com"),
            ),
            ("http://registry.example.com:80", Ok("registry.example.com")),
            (
                "http://registry.example.com:8080",
                Ok("registry.example.com:8080"),
            ),
            ("registry.example.com:5000", Ok("registry.example.com:5000")),
            ("registry.example.com.", Ok("registry.example.com")),
            (
                "registry.gitlab.com/group/project",
                Ok("registry.gitlab.com"),
            ),
            ("localhost:5000", Ok("localhost:5000")),
            ("10.0.0.7:5000", Ok("10.0.0.7:5000")),
            ("10.0.0.7", Ok("10.0.0.7")),
            ("[::1]:5000", Ok("[::1]:5000")),
            ("[2001:DB8::1]", Ok("[2001:db8::1]")),
            (
                "https://[2001:db8:0:0:0:0:0:1]:443/v2/",
                Ok("[2001:db8::1]"),
            ),
            ("us-docker.pkg.dev", Ok("us-docker.pkg.dev")),
            ("", Err(())),
            ("   ", Err(())),
            ("ftp://registry.example.com", Err(())),
            ("user:secret@registry.example.com", Err(())),
            ("https://user@registry.example.com", Err(())),
            ("registry.example.com:0", Err(())),
            ("registry.example.com:70000", Err(())),
            ("registry.example.com:abc", Err(())),
            ("reg istry.example.com", Err(())),
            ("-bad.example.com", Err(())),
            ("bad_host.example.com", Err(())),
            ("2001:db8::1", Err(())),
            ("[2001:db8::zz]", Err(())),
            ("[::1", Err(())),
            ("999.1.1.1", Err(())),
            ("registry.example.com/?x=1", Err(())),
            ("https://", Err(())),
        ];
        for (input, expected) in cases {
            let got = canonical_host(input);
            match expected {
                Ok(host) => assert_eq!(got.as_deref(), Ok(*host), "{input:?}"),
                Err(()) => assert!(got.is_err(), "{input:?} gave {got:?}"),
            }
        }
    }

    #[test]
    fn ecr_hosts_are_recognised_and_refused() {
        assert!(is_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com"));
        assert!(is_ecr("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"));
        assert!(is_ecr("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"));
        assert!(!is_ecr("public.ecr.aws"));
        assert!(!is_ecr("amazonaws.com"));
        let refused = Preset::Other.server("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(refused, Err(ECR_REFUSAL.to_owned()));
    }

    #[test]
    fn presets_store_their_servers() {
        assert_eq!(
            Preset::DockerHub.server("ignored").unwrap(),
            DOCKER_HUB_SERVER
        );
        assert_eq!(Preset::Github.server("").unwrap(), "ghcr.io");
        assert_eq!(
            Preset::Azure.server("MyRegistry1").unwrap(),
            "myregistry1.azurecr.io"
        );
        assert_eq!(
            Preset::Azure.server("myregistry1.azurecr.io").unwrap(),
            "myregistry1.azurecr.io"
        );
        assert!(Preset::Azure.server("ab").is_err());
        assert!(Preset::Azure.server("my-registry").is_err());
        assert_eq!(Preset::Google.server("eu.gcr.io").unwrap(), "eu.gcr.io");
        assert_eq!(
            Preset::Google
                .server("europe-west1-docker.pkg.dev")
                .unwrap(),
            "europe-west1-docker.pkg.dev"
        );
        assert!(Preset::Google.server("ghcr.io").is_err());
        assert_eq!(Preset::parse("quay"), Ok(Preset::Quay));
        assert!(Preset::parse("ecr").is_err());
    }

    #[test]
    fn google_keys_must_parse_and_carry_the_service_account_fields() {
        let good = r#"{"type":"service_account","client_email":"ci@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"}"#;
        assert_eq!(check_google_key(good), Ok(()));
        assert!(
            check_google_key("not json")
                .unwrap_err()
                .contains("does not parse")
        );
        let partial = r#"{"type":"service_account","client_email":"x@y"}"#;
        assert!(
            check_google_key(partial)
                .unwrap_err()
                .contains("private_key")
        );
        assert!(
            check_google_key("[]")
                .unwrap_err()
                .contains("type, client_email, private_key")
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn parsers_never_panic(input in ".{0,300}") {
                let _ = canonical_host(&input);
                let _ = check_google_key(&input);
                for preset in Preset::ALL {
                    let _ = preset.server(&input);
                }
            }

            #[test]
            fn canonicalisation_is_idempotent(input in "(https?://)?[a-zA-Z0-9.\\-]{1,40}(:[0-9]{1,5})?(/[a-z0-9/]{0,10})?") {
                if let Ok(host) = canonical_host(&input) {
                    prop_assert_eq!(canonical_host(&host), Ok(host.clone()));
                }
            }
        }
    }
}
