//! The CLI's own settings: `~/.config/berth/config.toml` (or `$XDG_CONFIG_HOME/berth/`),
//! readable by its owner only, written whole through a temporary file and a rename (a killed
//! write never leaves half a file). `BERTH_URL`, `BERTH_TOKEN` and `--project` override it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::failure::Failure;

/// What `berth login` and `berth config set` keep.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ClientConfig {
    /// The Berth server, e.g. `https://berth.example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The access token `berth login` received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whose token it is (the credential helper's username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The current project, `OWNER/PROJECT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The KCR hosts `berth auth container-registry configure` registered the helper for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kcr_hosts: Vec<String>,
    /// The server those hosts belong to: the helper gives out the token only for its own
    /// server's hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcr_url: Option<String>,
    /// The project whose stored registry credentials the helper hands out
    /// (`configure --project`), `OWNER/PROJECT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_project: Option<String>,
    /// Those credentials' registry hosts (canonical: `docker.io` for Docker Hub).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_hosts: Vec<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("username", &self.username)
            .field("project", &self.project)
            .field("kcr_hosts", &self.kcr_hosts)
            .field("kcr_url", &self.kcr_url)
            .field("credentials_project", &self.credentials_project)
            .field("credential_hosts", &self.credential_hosts)
            .finish()
    }
}

/// `$XDG_CONFIG_HOME/berth/config.toml`, else `$HOME/.config/berth/config.toml`.
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("berth").join("config.toml"));
    }
    Ok(home()?.join(".config").join("berth").join("config.toml"))
}

/// The home folder.
pub fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            Failure::usage("HOME is not set: cannot find the berth config folder").into()
        })
}

impl ClientConfig {
    /// The saved config (empty when there is none).
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(&path()?)
    }

    pub fn load_from(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{} is not a valid berth config", path.display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Saves the config, mode 0600, in a 0700 folder.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let path = path()?;
        let text = toml::to_string(self).context("cannot write the berth config")?;
        write_private(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename, mode 0600; the
/// folder is made (0700) when missing.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically(path, bytes, 0o600)
}

/// Writes `bytes` to `path` through a temporary file and a rename, with `mode`.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.as_os_str().is_empty() && !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}
