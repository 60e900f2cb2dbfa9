//! Which `Host` a request may name (DNS rebinding). A page on `evil.example` whose name the
//! attacker re-points at 127.0.0.1 can make a victim's browser talk to a Berth on that machine
//! as "its own" origin; the browser still sends `Host: evil.example`. Berth answers only to
//! the public URL's host, the names given with `--allowed-hosts`, `localhost` when it listens
//! on a loopback or wildcard address, and IP addresses it listens on. No rebinding can make a
//! browser send an IP address or `localhost` as the host of a foreign origin.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::Request,
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The hosts a running Berth answers to.
#[derive(Clone, Debug)]
pub struct AllowedHosts {
    names: Vec<String>,
    listen: IpAddr,
}

impl AllowedHosts {
    /// The hosts for a server listening on `listen`, reached at `public_url`, plus `extra`.
    pub fn new(listen: SocketAddr, public_url: &str, extra: &[String]) -> Self {
        let mut names: Vec<String> = extra.iter().filter_map(|h| hostname(h)).collect();
        if let Some(public) = public_url.split_once("://").and_then(|(_, rest)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            hostname(authority)
        }) {
            names.push(public);
        }
        let ip = listen.ip();
        if ip.is_loopback() || ip.is_unspecified() {
            names.push("localhost".into());
        }
        names.sort();
        names.dedup();
        Self { names, listen: ip }
    }

    /// Whether a request naming `host` (`name[:port]` or `[v6][:port]`) is answered.
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = hostname(host) else {
            return false;
        };
        match name.parse::<IpAddr>() {
            Ok(ip) => {
                self.listen.is_unspecified()
                    || ip == self.listen
                    || (ip.is_loopback() && self.listen.is_loopback())
            }
            Err(_) => self.names.contains(&name),
        }
    }
}

/// The lowercase host name of `name[:port]` / `[v6]:port`, without a trailing dot.
fn hostname(authority: &str) -> Option<String> {
    let authority = authority.trim();
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split_once(']')?.0
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Answers 421 to a request for a host Berth does not serve, naming the flag that allows it.
pub async fn refuse_unknown_host(
    allowed: std::sync::Arc<AllowedHosts>,
    req: Request,
    next: Next,
) -> Response {
    // A request without any host is not from a browser, so not a rebinding; a `Host` that is
    // not even text is refused.
    let host = match req.headers().get(header::HOST) {
        Some(value) => Some(value.to_str().unwrap_or("\u{fffd}").to_owned()),
        None => req.uri().authority().map(|a| a.to_string()),
    };
    if let Some(host) = host
        && !allowed.allows(&host)
    {
        tracing::warn!(%host, "request for a host Berth does not serve refused");
        let message = format!(
            "Berth does not answer to the host \"{}\". If this is the address people use, \
             start Berth with --public-url or --allowed-hosts naming it.\n",
            host.escape_default()
        );
        return (StatusCode::MISDIRECTED_REQUEST, message).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(listen: &str, public: &str, extra: &[&str]) -> AllowedHosts {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        AllowedHosts::new(listen.parse().unwrap(), public, &extra)
    }

    #[test]
    fn a_rebound_name_is_refused_on_loopback() {
        let h = hosts("127.0.0.1:3000", "http://127.0.0.1:3000", &[]);
        assert!(!h.allows("evil.example:3000"));
        assert!(!h.allows("evil.example"));
        assert!(!h.allows("localhost.evil.example:3000"));
        assert!(h.allows("127.0.0.1:3000"));
        assert!(h.allows("localhost:3000"));
        assert!(h.allows("LOCALHOST."));
        assert!(h.allows("[::1]:3000"));
    }

    #[test]
    fn the_public_name_and_allowed_names_pass() {
        let h = hosts(
            "10.0.0.5:8080",
            "https://Berth.Example.com/",
            &["berth.internal:8080"],
        );
        assert!(h.allows("berth.example.com"));
        assert!(h.allows("berth.example.com:443"));
        assert!(h.allows("berth.internal"));
        assert!(h.allows("10.0.0.5:8080"));
        assert!(!h.allows("10.0.0.6:8080"));
        assert!(!h.allows("localhost:8080"));
        assert!(!h.allows("other.example.com"));
    }

    #[test]
    fn a_wildcard_listener_answers_any_address_but_only_known_names() {
        let h = hosts("0.0.0.0:3000", "http://0.0.0.0:3000", &[]);
        assert!(h.allows("192.168.1.20:3000"));
        assert!(h.allows("localhost:3000"));
        assert!(!h.allows("evil.example:3000"));
    }
}
