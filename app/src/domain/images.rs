//! KCR images as the Repositories page shows them: a project's repositories and its
//! organization's shared ones, and one repository's tags a page at a time.

use serde::{Deserialize, Serialize};

use crate::domain::project::ProjectHeader;

/// Tags per page.
pub const TAGS_PER_PAGE: usize = 50;

/// The manifest media types a notification reports for an image (blobs are left out).
pub const MANIFEST_TYPES: [&str; 5] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// Whether `media_type` is an image index (several platforms), not one image.
pub fn is_index(media_type: &str) -> bool {
    media_type.contains("index") || media_type.contains("manifest.list")
}

/// A repository in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryView {
    /// The path under the KCR host, e.g. `acme/shop/cart`.
    pub name: String,
    /// Whether it is the organization's shared repository (`ORG/IMAGE`).
    pub shared: bool,
    /// Tags in it.
    pub tags: i64,
    /// The newest push (Unix seconds).
    pub last_pushed_at: Option<i64>,
    /// Whether the caller may delete images in it.
    pub may_delete: bool,
}

/// A tag in a repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagView {
    pub tag: String,
    /// `sha256:…`.
    pub digest: String,
    /// Whether it is an index of several platforms.
    pub index: bool,
    /// The image's size in bytes (config and layers), when known.
    pub size: Option<i64>,
    /// When it was pushed (Unix seconds).
    pub pushed_at: i64,
    /// Who pushed it ("ann (token laptop)", "project token ci").
    pub pushed_by: Option<String>,
    /// When it was last pulled (Unix seconds).
    pub last_pulled_at: Option<i64>,
}

impl TagView {
    /// The short digest shown in lists: the first 12 hex digits.
    pub fn short_digest(&self) -> &str {
        let hex = self
            .digest
            .split_once(':')
            .map_or(&*self.digest, |(_, h)| h);
        hex.get(..12).unwrap_or(hex)
    }
}

/// One repository's tags, a page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPage {
    pub repository: RepositoryView,
    /// Up to [`TAGS_PER_PAGE`], newest push first.
    pub tags: Vec<TagView>,
    /// The cursor of the next (older) page.
    pub next: Option<String>,
}

/// The Repositories page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoriesPage {
    pub header: ProjectHeader,
    /// The KCR host of the project's region.
    pub host: String,
    pub repositories: Vec<RepositoryView>,
    /// The repository asked for, with a page of its tags.
    pub selected: Option<TagPage>,
}

/// What the caller may do with this project's images in KCR, when it is not everything: the
/// registry itself answers a refused push only "denied: requested access to the resource is
/// denied" (a client asking to pull and push gets a token for the pull, as the token spec
/// says), so the Repositories page and `berth images` say why.
pub fn access_note(header: &ProjectHeader) -> Option<String> {
    use crate::domain::role::ProjectRole;
    let project = format!("{}/{}", header.owner, header.name);
    match header.my_role {
        ProjectRole::Viewer => Some(format!(
            "You are a viewer of {project}: you can pull its images. Pushing needs the developer role and deleting the admin role; a project admin can change your role."
        )),
        ProjectRole::Developer => Some(format!(
            "You can pull and push the images of {project}; deleting them needs the admin role."
        )),
        ProjectRole::Admin => None,
    }
}

/// Field names of the delete form.
pub mod field {
    pub const REPOSITORY: &str = "repository";
    pub const DIGEST: &str = "digest";
}

/// A tag cursor: `PUSHED_AT:TAG` (a tag has no colon).
pub fn cursor(pushed_at: i64, tag: &str) -> String {
    format!("{pushed_at}:{tag}")
}

/// Reads a tag cursor.
pub fn parse_cursor(text: &str) -> Result<(i64, String), String> {
    let bad = || format!("\"{text}\" is not a page cursor.");
    let (at, tag) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    if tag.is_empty() || tag.trim() != tag {
        return Err(bad());
    }
    crate::domain::kcr::Tag::parse(tag).map_err(|_| bad())?;
    Ok((at, tag.to_owned()))
}

/// Checks a digest: `sha256:` and 64 lowercase hex digits.
pub fn check_digest(text: &str) -> Result<(), String> {
    let ok = text.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(format!("\"{text}\" is not an image digest (sha256:…)."))
    }
}

/// A size in bytes for people: `512 B`, `1.4 KiB`, `23.0 MiB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(parse_cursor(&cursor(17, "v1.2")), Ok((17, "v1.2".into())));
        for bad in [
            "",
            "17",
            "x:v1",
            "17:",
            "17:bad tag",
            "17:a:b",
            "17: v1",
            "17:v1\n",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert!(check_digest(&format!("sha256:{}", "a".repeat(64))).is_ok());
        for bad in [
            "",
            "sha256:",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha512:{}", "a".repeat(64)),
            &format!("sha256:{}", "a".repeat(63)),
        ] {
            assert!(check_digest(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_and_digests_read_well() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(64 * 1024 * 1024), "64.0 MiB");
        let tag = TagView {
            tag: "1".into(),
            digest: format!("sha256:{}", "0123456789abcdef".repeat(4)),
            index: false,
            size: None,
            pushed_at: 0,
            pushed_by: None,
            last_pulled_at: None,
        };
        assert_eq!(tag.short_digest(), "0123456789ab");
    }
}
