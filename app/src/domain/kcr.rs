//! KCR push paths: the one place that builds `HOST/OWNER/PROJECT/IMAGE[:TAG]` (this project)
//! and `HOST/ORG/IMAGE[:TAG]` (every project of the organization), checks image names and tags
//! against the distribution reference grammar, and writes the ready-to-copy commands. The
//! push-paths page, the credentials resolver and (later) the CLI all use it.

use serde::{Deserialize, Serialize};

/// Longest repository path (everything after the host), as the distribution spec allows.
pub const NAME_MAX_LEN: usize = 255;
/// The tag used when none is given.
pub const DEFAULT_TAG: &str = "latest";

/// An image name: lowercase path components separated by `/`, each
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageName(String);

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag(String);

impl ImageName {
    /// Checks `input` (surrounding white space ignored) and says what is wrong in plain words.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter an image name, e.g. shopping-cart.".into());
        }
        if name.len() > NAME_MAX_LEN {
            return Err(format!("Use at most {NAME_MAX_LEN} characters."));
        }
        if name.contains(':') || name.contains('@') {
            return Err("Give the name without a tag or digest; the tag has its own field.".into());
        }
        for component in name.split('/') {
            check_component(component)?;
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name has one path component (the organization's shared images must).
    pub fn is_one_part(&self) -> bool {
        !self.0.contains('/')
    }
}

fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err(
            "Path components cannot be empty (no leading, trailing or double \"/\").".into(),
        );
    }
    if let Some(bad) = c.chars().find(|ch| {
        !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-'))
    }) {
        return Err(if bad.is_ascii_uppercase() {
            "Use lowercase letters only.".into()
        } else {
            format!("Use only lowercase letters, digits and the separators . _ __ - (not {bad:?}).")
        });
    }
    let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
    let (first, last) = (c.chars().next(), c.chars().last());
    if !first.is_some_and(alnum) || !last.is_some_and(alnum) {
        return Err(format!(
            "\"{c}\": each path component starts and ends with a letter or digit."
        ));
    }
    // Between alphanumeric runs: one '.', one or two '_', or any number of '-'.
    let bytes = c.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i] as char) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i] as char) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|ch| ch == '-');
        if !ok {
            return Err(format!(
                "\"{sep}\" cannot separate words; use one of . _ __ or hyphens."
            ));
        }
    }
    Ok(())
}

impl Tag {
    /// Checks `input`; an empty one means [`DEFAULT_TAG`].
    pub fn parse(input: &str) -> Result<Self, String> {
        let tag = input.trim();
        if tag.is_empty() {
            return Ok(Self(DEFAULT_TAG.into()));
        }
        if tag.len() > 128 {
            return Err("Use at most 128 characters.".into());
        }
        let word = |ch: char| ch.is_ascii_alphanumeric() || ch == '_';
        if !tag.chars().next().is_some_and(word) {
            return Err("Start with a letter, digit or underscore.".into());
        }
        if let Some(bad) = tag
            .chars()
            .find(|ch| !(word(*ch) || *ch == '.' || *ch == '-'))
        {
            return Err(format!(
                "Use only letters, digits, _ . and - (not {bad:?})."
            ));
        }
        Ok(Self(tag.to_owned()))
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a project's images go: its region's KCR host and its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushTarget {
    /// The KCR host of the project's region, `host[:port]`.
    pub host: String,
    /// The owning user or organization.
    pub owner: String,
    pub project: String,
    /// Whether the owner is an organization (only then is there an organization-wide path).
    pub owner_is_org: bool,
    /// The username the caller signs in to KCR with (`None` for a project token, which
    /// takes any).
    #[serde(default)]
    pub username: Option<String>,
}

/// Whether clients reach the KCR host `host` over plain HTTP: a loopback host is served
/// without TLS (`scripts/serve`, tests); any other over https.
pub fn serves_plain_http(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost" || name.starts_with("127.") || name == "::1"
}

/// Which images a path reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `HOST/OWNER/PROJECT/IMAGE`: this project only.
    Project,
    /// `HOST/ORG/IMAGE`: every project of the organization in the region.
    Org,
}

impl PushTarget {
    /// The repository (no tag) for `image` in `scope`; `None` for the organization scope of a
    /// personal project or of a name with a `/`, or when the path would exceed the
    /// distribution limit.
    pub fn repository(&self, scope: Scope, image: &ImageName) -> Option<String> {
        let path = match scope {
            Scope::Project => format!("{}/{}/{}", self.owner, self.project, image.as_str()),
            // `ORG/X/…` is project X's: the organization's own images have one-part names.
            Scope::Org if self.owner_is_org && image.is_one_part() => {
                format!("{}/{}", self.owner, image.as_str())
            }
            Scope::Org => return None,
        };
        (path.len() <= NAME_MAX_LEN).then(|| format!("{}/{path}", self.host))
    }

    /// skopeo needs no Docker daemon: the image comes from an OCI layout or podman/buildah's
    /// storage (a daemon only if there is one), the login from `--dest-creds` or an auth file.
    fn skopeo(&self, image: &str, tag: &str, remote: &str) -> String {
        let (tls, login_tls) = if serves_plain_http(&self.host) {
            (" --dest-tls-verify=false", " --tls-verify=false")
        } else {
            ("", "")
        };
        let user = self.username.as_deref().unwrap_or("ci");
        let creds = format!("{tls} --dest-creds \"{user}:$BERTH_TOKEN\"");
        let layout = image.replace('/', "-");
        let host = &self.host;
        [
            "# BERTH_TOKEN: an access token with registry:push".to_owned(),
            "# from an OCI layout (buildah push, kaniko, podman save --format oci-dir)".to_owned(),
            format!("skopeo copy{creds} oci:./{layout}:{tag} docker://{remote}"),
            String::new(),
            "# from podman's or buildah's local storage".to_owned(),
            format!(
                "skopeo copy{creds} containers-storage:localhost/{image}:{tag} docker://{remote}"
            ),
            String::new(),
            "# or sign in once (kept in the auth file; --authfile FILE picks another)".to_owned(),
            format!(
                "echo \"$BERTH_TOKEN\" | skopeo login{login_tls} -u {user} --password-stdin {host}"
            ),
            format!("skopeo copy{tls} docker-daemon:{image}:{tag} docker://{remote}"),
        ]
        .join("\n")
    }

    /// Every ready-to-copy command for `image:tag` in `scope`.
    pub fn commands(&self, scope: Scope, image: &ImageName, tag: &Tag) -> Option<Commands> {
        let repo = self.repository(scope, image)?;
        let (local, tag) = (format!("{}:{}", image.as_str(), tag.as_str()), tag.as_str());
        let remote = format!("{repo}:{tag}");
        let (namespace, base) = repo.rsplit_once('/').unwrap_or((&repo, ""));
        let user_path = namespace.split_once('/').map_or("", |(_, rest)| rest);
        let base_image = image.as_str().rsplit('/').next().unwrap_or(base);
        Some(Commands {
            docker: format!("docker tag {local} {remote}\ndocker push {remote}"),
            podman: format!("podman push {local} {remote}"),
            skopeo: self.skopeo(image.as_str(), tag, &remote),
            maven: format!(
                "<properties>\n  <dockerImage>{repo}</dockerImage>\n  <dockerTag>{tag}</dockerTag>\n</properties>"
            ),
            sbt: format!(
                "// build.sbt\ndockerRepository := Some(\"{host}\")\ndockerUsername := Some(\"{user_path}\")\nDocker / packageName := \"{base_image}\"\nDocker / version := \"{tag}\"\n\n// then\nsbt Docker/publish",
                host = self.host,
            ),
            npm: format!("\"config\": {{\n  \"dockerImage\": \"{remote}\"\n}}"),
            cred_helper: format!(
                "{{\n  \"credHelpers\": {{\n    \"{}\": \"berth\"\n  }}\n}}",
                self.host
            ),
        })
    }
}

/// What the push-paths page needs to know about a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushTargetView {
    /// Host, owner and project.
    pub target: PushTarget,
    /// The project's region.
    pub region: crate::domain::region::Region,
    /// For an organization's project: the organization's projects in the same region, which
    /// can all pull the organization-wide path.
    pub org_projects: Vec<String>,
    /// The caller's effective role in the project.
    pub my_role: crate::domain::role::ProjectRole,
}

impl PushTargetView {
    /// The project area's header.
    pub fn header(&self) -> crate::domain::project::ProjectHeader {
        crate::domain::project::ProjectHeader {
            owner: self.target.owner.clone(),
            owner_is_org: self.target.owner_is_org,
            name: self.target.project.clone(),
            my_role: self.my_role,
        }
    }
}

/// One row of the registry table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryRow {
    /// Region name.
    pub region: String,
    pub organization: String,
    pub organization_id: String,
    /// `HOST/ORG`.
    pub registry: String,
}

/// The commands and snippets for one image reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commands {
    /// `docker tag` then `docker push`.
    pub docker: String,
    /// `podman push`.
    pub podman: String,
    /// `skopeo copy` from an OCI layout, containers-storage or a Docker daemon.
    pub skopeo: String,
    /// The pom.xml properties.
    pub maven: String,
    /// sbt-native-packager settings and the publish command.
    pub sbt: String,
    /// The package.json `config` entry.
    pub npm: String,
    /// The `~/.docker/config.json` credential-helper fragment.
    pub cred_helper: String,
}

impl Commands {
    /// The title of every block, in page order.
    pub const TITLES: [&'static str; 7] = [
        "Docker",
        "Podman",
        "Skopeo",
        "Maven (pom.xml)",
        "sbt",
        "npm (package.json)",
        "Credential helper (~/.docker/config.json)",
    ];

    /// `(title, text)` of every block, in page order.
    pub fn blocks(&self) -> [(&'static str, &str); 7] {
        let texts = [
            &self.docker,
            &self.podman,
            &self.skopeo,
            &self.maven,
            &self.sbt,
            &self.npm,
            &self.cred_helper,
        ];
        let mut i = 0;
        texts.map(|t| {
            let pair = (Self::TITLES[i], t.as_str());
            i += 1;
            pair
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(owner_is_org: bool, host: &str) -> PushTarget {
        PushTarget {
            host: host.into(),
            owner: if owner_is_org { "acme" } else { "ann" }.into(),
            project: "shop".into(),
            owner_is_org,
            username: Some("ann".into()),
        }
    }

    fn image(s: &str) -> ImageName {
        ImageName::parse(s).unwrap()
    }

    #[test]
    fn organization_projects_have_both_paths_personal_ones_only_their_own() {
        let org = target(true, "kcr.us-east-1.example.com");
        let personal = target(false, "kcr.eu.example.com");
        let cart = image("cart");

        assert_eq!(
            org.repository(Scope::Project, &cart).unwrap(),
            "kcr.us-east-1.example.com/acme/shop/cart"
        );
        assert_eq!(
            org.repository(Scope::Org, &cart).unwrap(),
            "kcr.us-east-1.example.com/acme/cart"
        );
        assert_eq!(
            personal.repository(Scope::Project, &cart).unwrap(),
            "kcr.eu.example.com/ann/shop/cart"
        );
        assert_eq!(personal.repository(Scope::Org, &cart), None);
        // `acme/base/debian` would be project base's: shared names have one part.
        assert_eq!(org.repository(Scope::Org, &image("base/debian")), None);
        assert!(
            org.repository(Scope::Project, &image("base/debian"))
                .is_some()
        );
    }

    #[test]
    fn every_region_host_and_a_port_are_kept_as_given() {
        for host in [
            "localhost:5000",
            "kcr.gcp-us-east1.kalix.io",
            "10.0.0.7:443",
        ] {
            let t = target(true, host);
            assert_eq!(
                t.repository(Scope::Project, &image("a/b")).unwrap(),
                format!("{host}/acme/shop/a/b")
            );
        }
    }

    #[test]
    fn commands_carry_the_tag_or_latest() {
        let t = target(true, "localhost:5000");
        let tagged = t
            .commands(
                Scope::Project,
                &image("cart"),
                &Tag::parse("1.2.3").unwrap(),
            )
            .unwrap();
        let untagged = t
            .commands(Scope::Org, &image("cart"), &Tag::parse("").unwrap())
            .unwrap();

        assert_eq!(
            tagged.docker,
            "docker tag cart:1.2.3 localhost:5000/acme/shop/cart:1.2.3\ndocker push localhost:5000/acme/shop/cart:1.2.3"
        );
        assert_eq!(
            tagged
                .skopeo
                .lines()
                .filter(|l| l.starts_with("skopeo") || l.starts_with("echo"))
                .collect::<Vec<_>>(),
            [
                "skopeo copy --dest-tls-verify=false --dest-creds \"ann:$BERTH_TOKEN\" oci:./cart:1.2.3 docker://localhost:5000/acme/shop/cart:1.2.3",
                "skopeo copy --dest-tls-verify=false --dest-creds \"ann:$BERTH_TOKEN\" containers-storage:localhost/cart:1.2.3 docker://localhost:5000/acme/shop/cart:1.2.3",
                "echo \"$BERTH_TOKEN\" | skopeo login --tls-verify=false -u ann --password-stdin localhost:5000",
                "skopeo copy --dest-tls-verify=false docker-daemon:cart:1.2.3 docker://localhost:5000/acme/shop/cart:1.2.3",
            ]
        );
        // An https host needs no TLS flags; a project token signs in with any name.
        let https = PushTarget {
            username: None,
            ..target(true, "kcr.example.com")
        };
        let skopeo = https
            .commands(
                Scope::Project,
                &image("shop/api"),
                &Tag::parse("v2").unwrap(),
            )
            .unwrap()
            .skopeo;
        assert!(!skopeo.contains("tls-verify"), "{skopeo}");
        assert!(
            skopeo.contains("--dest-creds \"ci:$BERTH_TOKEN\" oci:./shop-api:v2 "),
            "{skopeo}"
        );
        assert!(serves_plain_http("127.0.0.1:5000") && serves_plain_http("[::1]:5000"));
        assert!(!serves_plain_http("kcr.example.com") && !serves_plain_http("10.0.0.7:443"));
        assert_eq!(
            untagged.podman,
            "podman push cart:latest localhost:5000/acme/cart:latest"
        );
        assert!(
            tagged
                .sbt
                .contains("dockerRepository := Some(\"localhost:5000\")")
        );
        assert!(tagged.sbt.contains("dockerUsername := Some(\"acme/shop\")"));
        assert!(untagged.sbt.contains("dockerUsername := Some(\"acme\")"));
        assert!(
            tagged
                .maven
                .contains("<dockerImage>localhost:5000/acme/shop/cart</dockerImage>")
        );
        assert!(
            tagged
                .npm
                .contains("\"dockerImage\": \"localhost:5000/acme/shop/cart:1.2.3\"")
        );
        assert!(tagged.cred_helper.contains("\"localhost:5000\": \"berth\""));
    }

    #[test]
    fn a_path_over_the_distribution_limit_is_refused() {
        let t = target(true, "h");
        // "acme/" + 250 = 255 characters fits; "acme/shop/" + 250 does not.
        let long = image(&"a".repeat(250));
        assert!(t.repository(Scope::Org, &long).is_some());
        assert!(t.repository(Scope::Project, &long).is_none());
        assert!(t.repository(Scope::Org, &image(&"a".repeat(251))).is_none());
    }

    #[test]
    fn image_names_follow_the_reference_grammar() {
        let cases: &[(&str, bool)] = &[
            ("cart", true),
            ("shopping-cart", true),
            ("shopping--cart", true),
            ("a.b", true),
            ("a_b", true),
            ("a__b", true),
            ("team/cart", true),
            ("a/b/c/d", true),
            ("x9", true),
            ("9", true),
            (" cart ", true),
            ("", false),
            ("Cart", false),
            ("cart:1.0", false),
            ("cart@sha256:abc", false),
            ("/cart", false),
            ("cart/", false),
            ("a//b", false),
            ("-cart", false),
            ("cart-", false),
            ("a___b", false),
            ("a..b", false),
            ("a._b", false),
            ("ca rt", false),
            ("cärt", false),
            (&"a".repeat(256), false),
        ];
        for (input, ok) in cases {
            assert_eq!(ImageName::parse(input).is_ok(), *ok, "{input:?}");
        }
    }

    #[test]
    fn tags_follow_the_reference_grammar() {
        let cases: &[(&str, bool)] = &[
            ("latest", true),
            ("1.2.3", true),
            ("v1", true),
            ("_x", true),
            ("RC-1", true),
            ("", true),
            (&"a".repeat(128), true),
            (&"a".repeat(129), false),
            (".x", false),
            ("-x", false),
            ("a:b", false),
            ("a/b", false),
        ];
        for (input, ok) in cases {
            assert_eq!(Tag::parse(input).is_ok(), *ok, "{input:?}");
        }
        assert_eq!(Tag::parse(" ").unwrap().as_str(), "latest");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            ImageName::parse("Cart").unwrap_err(),
            "Use lowercase letters only."
        );
        assert!(ImageName::parse("a//b").unwrap_err().contains("empty"));
        assert!(ImageName::parse("a..b").unwrap_err().contains("\"..\""));
    }
}
