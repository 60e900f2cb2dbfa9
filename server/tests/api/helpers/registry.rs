//! A real registry for the KCR tests: Debian's `docker-registry` (CNCF distribution) on a free
//! loopback port, configured by Berth's own `registry-config` renderer to trust the test
//! server's signing key, and `skopeo` to push and pull. Both must be installed
//! (`scripts/setup` does it); a missing one fails the test rather than skipping it.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use app::server::kcr::registry_config::{self, RegistrySetup};
use sha2::{Digest, Sha256};

use super::TestApp;

/// A free loopback port (bound and released: the registry takes it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running registry, stopped when dropped.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    child: tokio::process::Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry at `host` (a free `127.0.0.1:PORT`) whose tokens come from `app`'s
    /// region `local` (whose KCR host must be `host`).
    pub async fn start(app: &TestApp, host: &str) -> Self {
        let region = app
            .state
            .settings
            .regions
            .iter()
            .find(|r| r.kcr_host == host)
            .expect("a region whose KCR host is the registry's")
            .name
            .clone();
        Self::start_at(app, &region, host).await
    }

    /// Starts the registry of `app`'s region `region` listening at `listen` (a free
    /// `127.0.0.1:PORT`, the region's `registry_url` when its KCR host is another name).
    pub async fn start_at(app: &TestApp, region: &str, listen: &str) -> Self {
        let host = listen;
        let dir = tempfile::tempdir().unwrap();
        let region = app
            .state
            .settings
            .region(region)
            .expect("the region exists")
            .clone();
        let setup = RegistrySetup {
            region,
            public_url: app.base.clone(),
            listen: host.to_owned(),
            storage: dir.path().join("storage"),
            bundle: app.kcr_key_dir.join("kcr-bundle.pem"),
            tls: None,
        };
        let config = dir.path().join("config.yml");
        std::fs::write(&config, registry_config::render(&setup, &app.state.key)).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = tokio::process::Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("docker-registry is installed (scripts/setup --test installs it)");
        let registry = Self {
            host: host.to_owned(),
            child,
            dir,
        };
        registry.wait_until_up().await;
        registry
    }

    /// Starts a registry of its own (not KCR) on a free loopback port that takes `user` with
    /// `password` by Basic auth (htpasswd, bcrypt), as many self-hosted registries do.
    pub async fn start_basic(user: &str, password: &str) -> Self {
        let host = format!("127.0.0.1:{}", free_port());
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        let hash = bcrypt::hash(password, 4).unwrap();
        std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\nauth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            dir.path().join("storage").display(),
            htpasswd.display()
        );
        let path = dir.path().join("config.yml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = tokio::process::Command::new("docker-registry")
            .arg("serve")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("docker-registry is installed (scripts/setup --test installs it)");
        let registry = Self { host, child, dir };
        registry.wait_until_up_with("Basic").await;
        registry
    }

    /// Starts a registry of its own with Basic authentication, served over TLS with the
    /// certificate `cert_pem` (and its key): a registry behind a company CA.
    pub async fn start_basic_tls(
        user: &str,
        password: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Self {
        let host = format!("127.0.0.1:{}", free_port());
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        let hash = bcrypt::hash(password, 4).unwrap();
        std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
        let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\n  tls:\n    certificate: {}\n    key: {}\n\
             auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            dir.path().join("storage").display(),
            cert.display(),
            key.display(),
            htpasswd.display()
        );
        let path = dir.path().join("config.yml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = tokio::process::Command::new("docker-registry")
            .arg("serve")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("docker-registry is installed (scripts/setup --test installs it)");
        let registry = Self { host, child, dir };
        // Up once it accepts connections (its certificate is checked by the test itself).
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&registry.host).await.is_ok() {
                return registry;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the registry did not come up:\n{}", registry.log());
    }

    async fn wait_until_up(&self) {
        self.wait_until_up_with("/kcr/token").await;
    }

    /// Waits for the registry's 401 on `/v2/`, whose challenge must contain `challenge`.
    async fn wait_until_up_with(&self, challenge_part: &str) {
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(res) = http.get(format!("http://{}/v2/", self.host)).send().await {
                assert_eq!(res.status(), 401, "the registry asks for credentials");
                let challenge = res.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert!(challenge.contains(challenge_part), "{challenge}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the registry did not come up:\n{}", self.log());
    }

    /// What the registry logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Whether the registry process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

/// An OCI image layout in `dir` with one image, tagged `tag`, whose single layer holds
/// `hello.txt` with `content`. Returns the manifest's digest.
pub fn oci_image(dir: &Path, tag: &str, content: &[u8]) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let mut layer = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    layer
        .append_data(&mut header, "hello.txt", content)
        .unwrap();
    let layer = layer.into_inner().unwrap();
    let (layer_digest, layer_size) = put(&layer);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    });
    let (config_digest, config_size) = put(config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer_size,
        }],
    });
    let (manifest_digest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    manifest_digest
}

/// What a `skopeo` run did.
#[derive(Debug)]
pub struct Skopeo {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `skopeo` with `args`, with no stored credentials and no system policy in the way.
pub async fn skopeo(args: &[&str]) -> Skopeo {
    let auth = std::env::temp_dir().join(format!("berth-skopeo-{}.json", uuid::Uuid::now_v7()));
    let out = tokio::process::Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .env("REGISTRY_AUTH_FILE", &auth)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("skopeo is installed (scripts/setup --test installs it)");
    Skopeo {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Pushes the one image of the OCI layout `layout` to `host/repo:tag` as `creds`.
pub async fn push(layout: &Path, tag: &str, host: &str, repo: &str, creds: (&str, &str)) -> Skopeo {
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--preserve-digests",
        "--dest-creds",
        &format!("{}:{}", creds.0, creds.1),
        &format!("oci:{}", layout.display()),
        &format!("docker://{host}/{repo}:{tag}"),
    ])
    .await
}

/// Reads `host/repo:tag`'s manifest and config (a pull) as `creds`.
pub async fn inspect(host: &str, repo: &str, tag: &str, creds: (&str, &str)) -> Skopeo {
    skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        &format!("{}:{}", creds.0, creds.1),
        &format!("docker://{host}/{repo}:{tag}"),
    ])
    .await
}

/// A temp folder holding an OCI layout of a small image tagged `tag`; the manifest digest.
pub fn image(tag: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let digest = oci_image(&layout, tag, content);
    (dir, layout, digest)
}
