//! The `config.yml` of a region's registry (CNCF distribution 2.8 or 3.x), as
//! `berth kcr registry-config --region NAME` prints it: token authentication against this
//! Berth, deletes enabled (Berth deletes tags through the registry API), and the registry's own
//! settings (listen address, storage folder).

use std::path::PathBuf;

use uuid::Uuid;

use crate::domain::region::Region;
use crate::server::{
    crypto::MasterKey,
    kcr::{events, token_service},
    rules::kcr_tokens::ISSUER,
};

/// What the registry's config is made from.
#[derive(Clone, Debug)]
pub struct RegistrySetup {
    /// The region the registry serves (its KCR host is the token service name).
    pub region: Region,
    /// Berth's public URL (the token realm is under it).
    pub public_url: String,
    /// Where the registry listens, `host:port`.
    pub listen: String,
    /// The registry's storage folder.
    pub storage: PathBuf,
    /// The certificate bundle the registry trusts (`kcr-bundle.pem`).
    pub bundle: PathBuf,
    /// TLS certificate and key files, when the registry serves https itself.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Whether `kcr_host` names this machine (plain http is fine there; clients reach every other
/// host over https).
pub fn is_loopback(kcr_host: &str) -> bool {
    let host = kcr_host.rsplit_once(':').map_or(kcr_host, |(h, _)| h);
    host == "localhost" || host.starts_with("127.")
}

/// The address a registry for `kcr_host` listens on by default: loopback for a local host,
/// every interface otherwise; the host's port, or the one its clients use without one (80 on
/// loopback, 443 elsewhere) — the same place Berth calls it (`config::default_registry_url`).
pub fn default_listen(kcr_host: &str) -> String {
    let local = is_loopback(kcr_host);
    let port = match kcr_host.rsplit_once(':') {
        Some((_, p)) => p,
        None if local => "80",
        None => "443",
    };
    if local {
        format!("127.0.0.1:{port}")
    } else {
        format!(":{port}")
    }
}

/// A YAML double-quoted string (JSON strings are valid YAML).
fn q(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// The registry's `http.secret` (signs upload state): derived from the master key and the
/// region, so every replica of the registry gets the same one.
fn http_secret(key: &MasterKey, region: &str) -> String {
    key.token(&format!("kcr registry http secret {region}"), Uuid::nil())
}

/// The registry's `config.yml`.
pub fn render(setup: &RegistrySetup, key: &MasterKey) -> String {
    let realm = format!(
        "{}{}",
        setup.public_url.trim_end_matches('/'),
        token_service::PATH
    );
    let tls = match &setup.tls {
        Some((cert, key)) => format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            q(&cert.display().to_string()),
            q(&key.display().to_string())
        ),
        None => String::new(),
    };
    format!(
        "# The KCR registry of region {region}, written by `berth kcr registry-config`.
# Run it with: docker-registry serve THIS-FILE (Debian's package; `registry serve` elsewhere).
version: 0.1
log:
  level: info
  fields:
    service: kcr-{region}
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: {listen}
  secret: {secret}
  headers:
    X-Content-Type-Options: [nosniff]
{tls}auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {bundle}
notifications:
  endpoints:
    - name: berth
      url: {events}
      headers:
        Authorization: [{events_auth}]
      timeout: 5s
      threshold: 10
      backoff: 2s
      ignoredmediatypes:
        - application/octet-stream
",
        region = setup.region.name,
        storage = q(&setup.storage.display().to_string()),
        listen = q(&setup.listen),
        secret = q(&http_secret(key, &setup.region.name)),
        realm = q(&realm),
        service = q(&setup.region.kcr_host),
        issuer = q(ISSUER),
        bundle = q(&setup.bundle.display().to_string()),
        events = q(&format!(
            "{}{}",
            setup.public_url.trim_end_matches('/'),
            events::PATH.replace("{region}", &setup.region.name)
        )),
        events_auth = q(&format!(
            "Bearer {}",
            events::secret(key, &setup.region.name)
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> RegistrySetup {
        RegistrySetup {
            region: Region {
                name: "local".into(),
                display_name: "Local".into(),
                kcr_host: "localhost:5000".into(),
            },
            public_url: "http://127.0.0.1:3000/".into(),
            listen: default_listen("localhost:5000"),
            storage: "/srv/registry".into(),
            bundle: "/etc/berth/kcr-bundle.pem".into(),
            tls: None,
        }
    }

    #[test]
    fn the_config_points_token_auth_back_at_berth() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let text = render(&setup(), &key);
        for line in [
            "    realm: \"http://127.0.0.1:3000/kcr/token\"",
            "    service: \"localhost:5000\"",
            "    issuer: \"berth\"",
            "    rootcertbundle: \"/etc/berth/kcr-bundle.pem\"",
            "  addr: \"127.0.0.1:5000\"",
            "    rootdirectory: \"/srv/registry\"",
            "    enabled: true",
            "      url: \"http://127.0.0.1:3000/kcr/events/local\"",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        // The same key and region give the same upload secret (replicas agree); another
        // region gets its own.
        assert_eq!(text, render(&setup(), &key));
        let mut other = setup();
        other.region.name = "eu".into();
        assert_ne!(
            http_secret(&key, "local"),
            http_secret(&key, &other.region.name)
        );
        assert!(!text.contains("tls:"));
    }

    #[test]
    fn local_hosts_listen_on_loopback_and_others_everywhere() {
        assert_eq!(default_listen("localhost:5000"), "127.0.0.1:5000");
        assert_eq!(default_listen("127.0.0.1:5999"), "127.0.0.1:5999");
        assert_eq!(default_listen("kcr.example.com"), ":443");
        assert_eq!(default_listen("localhost"), "127.0.0.1:80");
        assert_eq!(default_listen("kcr.example.com:443"), ":443");
    }

    #[test]
    fn quoted_values_cannot_break_out_of_their_line() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let mut s = setup();
        s.storage = "/tmp/x\"\nauth: none".into();
        let text = render(&s, &key);
        assert!(!text.lines().any(|l| l == "auth: none"));
    }
}
