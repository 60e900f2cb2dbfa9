//! Regions: where projects live, each with the host of its KCR (the built-in registry).

use serde::{Deserialize, Serialize};

/// A region offered to projects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Short name, e.g. `us-east-1` (lowercase letters, digits, hyphens).
    pub name: String,
    /// Name shown to people, e.g. "US East".
    pub display_name: String,
    /// The KCR host of this region, `host[:port]`.
    pub kcr_host: String,
}

/// The regions of an instance whose config file names none: one region served by a registry on
/// this machine (Debian's `docker-registry` listens on port 5000).
pub fn default_regions() -> Vec<Region> {
    vec![Region {
        name: "local".into(),
        display_name: "Local".into(),
        kcr_host: "localhost:5000".into(),
    }]
}

/// Whether `name` is a valid region name: 1–63 of `[a-z0-9-]`, no leading or trailing hyphen.
pub fn is_region_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `value` is `host` or `host:port`: DNS labels (letters, digits, hyphens), port 1–65535.
pub fn is_host_port(value: &str) -> bool {
    let (host, port) = match value.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (value, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_with_and_without_ports_are_accepted() {
        for ok in [
            "kcr.us-east-1.example.com",
            "localhost",
            "registry:5000",
            "a.b:65535",
        ] {
            assert!(is_host_port(ok), "{ok}");
        }
        for bad in [
            "",
            ":5000",
            "a:0",
            "a:65536",
            "a:x",
            "-a.com",
            "a..b",
            "https://a",
            "a/b",
        ] {
            assert!(!is_host_port(bad), "{bad}");
        }
    }

    #[test]
    fn region_names_are_lowercase_labels() {
        assert!(is_region_name("us-east-1"));
        assert!(!is_region_name("US"));
        assert!(!is_region_name("-eu"));
        assert!(!is_region_name(""));
    }

    #[test]
    fn the_default_set_is_valid() {
        for region in default_regions() {
            assert!(is_region_name(&region.name) && is_host_port(&region.kcr_host));
        }
    }
}
