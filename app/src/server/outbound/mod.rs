//! Berth calling hosts that people name (external registries and their token realms), without
//! becoming a way into its own network:
//!
//! - every host name is resolved by [`Resolver`], which refuses the whole answer when any
//!   address is loopback, link-local (169.254.169.254 included), private, shared (CGNAT),
//!   unique-local or otherwise not public, unless the [`Policy`] allows it;
//! - reqwest connects to the addresses that resolver returned and looks up nothing else (no
//!   second lookup for a DNS-rebinding answer to slip in); literal IP addresses, which reqwest
//!   connects to without asking a resolver, are checked by [`check_url`] and by the redirect
//!   policy before each request;
//! - at most five redirects, none to a refused literal address or another scheme; no proxy from
//!   the environment; bodies read with a cap ([`read_capped`]).
//!
//! Beside the client: `registry_check` (a credential tried against its registry) and
//! `docker_config` (reading a docker `config.json` people paste).

pub mod aws;
pub mod docker_config;
pub mod registry_check;

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses outside the public internet Berth may call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Loopback, private (RFC 1918), shared (RFC 6598) and unique-local addresses
    /// (`--registry-allow-private`: a registry on the same host or network). Link-local ones,
    /// where clouds answer metadata requests, need an explicit range in `allow`.
    pub allow_private: bool,
    /// Ranges allowed whatever they are (the config file's `registry_allow`).
    pub allow: Vec<IpNet>,
}

/// A call refused because of where it would go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The host as named.
    pub host: String,
    /// The address it stands for.
    pub addr: IpAddr,
    /// What kind of address that is ("loopback", "link-local", …).
    pub kind: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A name's address stays in the server's log: the page would otherwise answer "what
        // does this internal name resolve to" for anyone allowed to run a check.
        let names = if self.host == self.addr.to_string() {
            format!("{} is", self.host)
        } else {
            format!("{} resolves to", self.host)
        };
        write!(
            f,
            "{names} a {} address; Berth calls no address inside its own network unless the \
             operator allows it (--registry-allow-private, or registry_allow in the config file).",
            self.kind
        )
    }
}

impl std::error::Error for Refused {}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            let seg = v6.segments();
            // NAT64's local-use prefix (64:ff9b:1::/48) leads into some network's own.
            if seg[..3] == [0x64, 0xff9b, 1] {
                return Some("NAT64 local-use");
            }
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address inside.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return classify_v4(Ipv4Addr::from(
                    (u32::from(seg[6]) << 16) | u32::from(seg[7]),
                ));
            }
            if seg[0] == 0x2002 {
                return classify_v4(Ipv4Addr::from(
                    (u32::from(seg[1]) << 16) | u32::from(seg[2]),
                ));
            }
            classify_v6(v6)
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_link_local() => "link-local",
        _ if ip.is_private() => "private",
        (100, b, _) if (64..128).contains(&b) => "shared (carrier-grade NAT)",
        (0, _, _) => "\"this network\"",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "reserved",
        (198, 18 | 19, _) => "reserved",
        (a, _, _) if a >= 240 => "reserved",
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(match first {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_multicast() => "multicast",
        f if f & 0xffc0 == 0xfe80 => "link-local",
        f if f & 0xffc0 == 0xfec0 => "site-local",
        f if f & 0xfe00 == 0xfc00 => "unique-local",
        0x2001 if ip.segments()[1] == 0x0db8 => "reserved",
        // ::a.b.c.d (IPv4-compatible) and the rest of ::/8.
        0 => "reserved",
        _ => return None,
    })
}

impl Policy {
    /// Whether Berth may call `ip` (the host `host` resolved to).
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        let ip = ip.to_canonical();
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some("loopback" | "private" | "shared (carrier-grade NAT)" | "unique-local")
                if self.allow_private =>
            {
                Ok(())
            }
            Some(kind) => Err(Refused {
                host: host.to_owned(),
                addr: ip,
                kind,
            }),
        }
    }
}

/// Refuses a URL whose host is a literal address the policy does not allow (reqwest connects
/// to those without a lookup), and any scheme but http and https.
pub fn check_url(policy: &Policy, url: &reqwest::Url) -> Result<(), Refused> {
    // The URL parser has already normalised literals (`http://2130706433/` is 127.0.0.1).
    let host = url.host_str().unwrap_or_default();
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => policy.check(&ip.to_string(), ip),
        Err(_) => Ok(()),
    }
}

/// The resolver of outbound calls: the system's lookup, then the policy over every address.
#[derive(Debug)]
struct Resolver {
    policy: Arc<Policy>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Boxed as themselves (not a box in a box), so `CallError::of` finds them.
            type Boxed = Box<dyn std::error::Error + Send + Sync>;
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(NoAddress(host.clone(), e.to_string())) as Boxed)?
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(NoAddress(host, "no addresses".into())) as Boxed);
            }
            // One refused address refuses the name: a name that mixes public and internal
            // addresses is a rebinding trick or a mistake either way.
            for addr in &addrs {
                policy.check(&host, addr.ip()).map_err(|r| {
                    tracing::warn!(host = %r.host, address = %r.addr, kind = r.kind, "outbound call refused");
                    Box::new(r) as Boxed
                })?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A host name with no address.
#[derive(Debug)]
pub struct NoAddress(pub String, pub String);

impl std::fmt::Display for NoAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} has no address ({})", self.0, self.1)
    }
}

impl std::error::Error for NoAddress {}

/// An error in a redirect.
#[derive(Debug)]
struct BadRedirect(String);

impl std::fmt::Display for BadRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRedirect {}

/// Most redirects followed.
pub const MAX_REDIRECTS: usize = 5;

/// The clients of outbound calls: `open` under the operator's policy, for the registry a
/// credential names (the host the operator may have allowed), and `strict` without the
/// `--registry-allow-private` allowance (only `registry_allow` ranges), for every other host a
/// registry's answer points at (a token realm). `open` follows no redirect to another host: a
/// registry's answer cannot lead it anywhere the allowance was not meant for.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub open: reqwest::Client,
    pub open_policy: Arc<Policy>,
    pub strict: reqwest::Client,
    pub strict_policy: Arc<Policy>,
}

impl Outbound {
    /// Both clients for `policy`. Fails only when the TLS backend cannot start; never falls
    /// back to a client without these checks.
    pub fn new(
        policy: Arc<Policy>,
        connect_timeout: Duration,
        roots: &[reqwest::Certificate],
    ) -> Result<Self, String> {
        let strict_policy = Arc::new(Policy {
            allow_private: false,
            allow: policy.allow.clone(),
        });
        Ok(Self {
            open: client(policy.clone(), connect_timeout, true, roots)?,
            open_policy: policy,
            strict: client(strict_policy.clone(), connect_timeout, false, roots)?,
            strict_policy,
        })
    }
}

/// The CA certificates of the PEM file at `path` (`--registry-ca-file`); an unreadable file
/// or one without a certificate stops start-up with the reason.
pub fn read_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("--registry-ca-file {}: {e}", path.display()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!(
            "--registry-ca-file {}: not PEM certificates ({e})",
            path.display()
        )
    })?;
    if roots.is_empty() {
        return Err(format!(
            "--registry-ca-file {}: holds no certificate (PEM, -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(roots)
}

/// A client for outbound calls under `policy`; with `same_host`, redirects stay on the host.
fn client(
    policy: Arc<Policy>,
    connect_timeout: Duration,
    same_host: bool,
    roots: &[reqwest::Certificate],
) -> Result<reqwest::Client, String> {
    let redirects = policy.clone();
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            let text = format!("more than {MAX_REDIRECTS} redirects");
            return attempt.error(BadRedirect(text));
        }
        if !matches!(attempt.url().scheme(), "http" | "https") {
            let text = format!("a redirect to a {} URL", attempt.url().scheme());
            return attempt.error(BadRedirect(text));
        }
        // reqwest keeps `Authorization` on a redirect to the same host and port: never let
        // that carry it from https to plain http.
        let from_https = attempt.previous().iter().any(|u| u.scheme() == "https");
        if from_https && attempt.url().scheme() == "http" {
            let text = "a redirect from https to plain http".to_owned();
            return attempt.error(BadRedirect(text));
        }
        if let Err(refused) = check_url(&redirects, attempt.url()) {
            return attempt.error(refused);
        }
        if same_host
            && attempt
                .previous()
                .first()
                .is_some_and(|first| first.host_str() != attempt.url().host_str())
        {
            let text = format!(
                "a redirect to another host ({})",
                attempt.url().host_str().unwrap_or_default()
            );
            return attempt.error(BadRedirect(text));
        }
        attempt.follow()
    });
    let mut builder = reqwest::Client::builder();
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder
        .dns_resolver(Arc::new(Resolver { policy }))
        .no_proxy()
        .redirect(redirect)
        .connect_timeout(connect_timeout)
        .user_agent(concat!("Berth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the outbound HTTP client: {e}"))
}

/// Reads at most `max` bytes of `res`'s body (the rest is dropped with the connection).
pub async fn read_capped(
    mut res: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        let room = max - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= max {
            break;
        }
    }
    Ok(body)
}

/// Why an outbound call failed, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The policy refused the address.
    Refused(String),
    /// The name did not resolve.
    NoAddress(String),
    /// No TCP connection (refused, unreachable, timed out connecting).
    Connect(String),
    /// TLS failed; `plain_http` when the server answered plain HTTP.
    Tls { text: String, plain_http: bool },
    /// A redirect Berth does not follow.
    Redirect(String),
    /// Anything else on the way.
    Other(String),
}

impl CallError {
    /// Classifies a reqwest error by what is in its chain of causes.
    pub fn of(err: &reqwest::Error) -> Self {
        let mut chain: Vec<String> = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut io_kind = None;
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<Refused>() {
                return Self::Refused(refused.to_string());
            }
            if let Some(none) = e.downcast_ref::<NoAddress>() {
                return Self::NoAddress(none.to_string());
            }
            if let Some(bad) = e.downcast_ref::<BadRedirect>() {
                return Self::Redirect(bad.0.clone());
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                io_kind.get_or_insert(io.kind());
            }
            let text = e.to_string();
            if chain.last() != Some(&text) {
                chain.push(text);
            }
            source = e.source();
        }
        // The innermost cause says the most ("Connection refused (os error 111)").
        let inner = chain.last().cloned().unwrap_or_default();
        let all = chain.join(": ").to_ascii_lowercase();
        let tls = all.contains("tls")
            || all.contains("certificate")
            || all.contains("handshake")
            || all.contains("invalidcontenttype")
            || all.contains("corrupt message");
        if tls {
            let plain_http = all.contains("invalidcontenttype")
                || all.contains("corrupt message")
                || all.contains("wrong version number");
            return Self::Tls {
                text: inner,
                plain_http,
            };
        }
        if err.is_connect() || io_kind.is_some() {
            return Self::Connect(inner);
        }
        if err.is_redirect() {
            return Self::Redirect(inner);
        }
        Self::Other(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_missing_or_not_pem_stops_start_up_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("berth-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = read_ca_file(&dir.join("none.pem")).unwrap_err();
        assert!(
            missing.contains("none.pem") && missing.contains("No such file"),
            "{missing}"
        );
        let text = dir.join("notes.pem");
        std::fs::write(&text, "just some text\n").unwrap();
        let empty = read_ca_file(&text).unwrap_err();
        assert!(empty.contains("holds no certificate"), "{empty}");
        std::fs::remove_dir_all(&dir).ok();
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_by_default() {
        let policy = Policy::default();
        for (addr, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("fd00::1", "unique-local"),
            ("fc00::1", "unique-local"),
            ("0.0.0.0", "\"this network\""),
            ("::", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:7f00:1::", "loopback"),
            ("::127.0.0.1", "reserved"),
            ("64:ff9b:1::a00:1", "NAT64 local-use"),
        ] {
            let refused = policy.check("h", ip(addr)).unwrap_err();
            assert_eq!(refused.kind, kind, "{addr}");
        }
        for public in ["1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            policy.check("h", ip(public)).unwrap();
        }
    }

    #[test]
    fn the_allowance_opens_private_ranges_but_not_link_local() {
        let policy = Policy {
            allow_private: true,
            allow: vec![],
        };
        for addr in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "192.168.0.9",
            "fd12::1",
            "100.64.1.1",
        ] {
            policy.check("h", ip(addr)).unwrap();
        }
        for addr in ["169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"] {
            assert!(policy.check("h", ip(addr)).is_err(), "{addr}");
        }
    }

    #[test]
    fn an_allowed_range_opens_exactly_that_range() {
        let policy = Policy {
            allow_private: false,
            allow: vec![
                "10.20.0.0/16".parse().unwrap(),
                "169.254.0.0/16".parse().unwrap(),
            ],
        };
        policy.check("h", ip("10.20.3.4")).unwrap();
        policy.check("h", ip("::ffff:10.20.3.4")).unwrap();
        policy.check("h", ip("169.254.169.254")).unwrap();
        assert_eq!(
            policy.check("h", ip("10.21.0.1")).unwrap_err().kind,
            "private"
        );
        assert!(policy.check("h", ip("127.0.0.1")).is_err());
    }

    #[test]
    fn literal_urls_are_checked_and_names_are_left_to_the_resolver() {
        let policy = Policy::default();
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let refused =
            check_url(&policy, &url("http://169.254.169.254/latest/meta-data")).unwrap_err();
        assert_eq!(refused.kind, "link-local");
        assert_eq!(
            refused.to_string(),
            "169.254.169.254 is a link-local address; Berth calls no address inside its own network unless the operator allows it (--registry-allow-private, or registry_allow in the config file)."
        );
        assert!(check_url(&policy, &url("https://[::1]:5000/v2/")).is_err());
        // A name is refused without saying what it resolves to.
        let named = policy
            .check("db.internal", ip("10.1.2.3"))
            .unwrap_err()
            .to_string();
        assert!(
            named.starts_with("db.internal resolves to a private address; ")
                && !named.contains("10.1.2.3"),
            "{named}"
        );
        check_url(&policy, &url("https://registry.example/v2/")).unwrap();
        check_url(&policy, &url("https://8.8.8.8/v2/")).unwrap();
    }
}
