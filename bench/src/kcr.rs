//! KCR: token issuance under load, and a 64 MiB push through Berth's token flow against the
//! same push to the same kind of registry with authentication off (Debian's `docker-registry`
//! and `skopeo`, both started here), measured in the same run.
//! - `/kcr/token` at 16 connections: p99 ≤ 5 ms and ≥ 2,000 tokens/s;
//! - push with tokens ≤ 1.2 × push without (median of alternating runs).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, ensure};
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::{process::Command, time::Instant};

use crate::{
    berth::free_addr,
    client::Client,
    fixture::{Backend, KEY_HEX},
    load::{self, Plan, Target},
    perf::Settings,
    report::{Report, at_least, at_most},
};

/// Size of the pushed image's one layer.
const LAYER_BYTES: usize = 64 * 1024 * 1024;
/// Pushes per side (the median is compared).
const PUSHES: usize = 3;

/// Runs the KCR benchmarks into `report`.
pub async fn run(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let site = settings.env.scratch.join("site");
    crate::fixture::copy_site(&settings.env.site_root, &site)?;
    let layout = settings.env.scratch.join("kcr-image");
    oci_image(&layout)?;
    for &backend in &settings.env.backends {
        one_backend(settings, &site, &layout, backend, report).await?;
    }
    Ok(())
}

async fn one_backend(
    settings: &Settings,
    site: &Path,
    layout: &Path,
    backend: Backend,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = backend.label();
    let scratch = settings
        .env
        .scratch
        .join(format!("kcr-{}", name.to_lowercase()));
    std::fs::create_dir_all(&scratch)?;
    let registry_addr = free_addr()?;
    let host = registry_addr.to_string();
    let config = scratch.join("berth.toml");
    std::fs::write(
        &config,
        format!("[[regions]]\nname = \"local\"\ndisplay_name = \"Local\"\nkcr_host = \"{host}\"\n"),
    )?;
    let key_dir = scratch.join("keys");
    let (db, mut launch) = settings.env.seeded(backend, settings.small, site).await?;
    launch.extra_args = vec![
        "--config".into(),
        config.display().to_string(),
        "--kcr-key-dir".into(),
        key_dir.display().to_string(),
    ];
    let berth = launch.start().await?;
    let client = Client::new(&berth.base())?;
    let cookie = client.sign_in("bench").await?;
    let token = client.personal_token(&cookie, "registry:push").await?;
    report.section(&format!("{name}: KCR"));

    // Token issuance: what docker asks before every push of a repository.
    let mut issue = Target::get(
        berth.addr,
        &format!("/kcr/token?service={host}&scope=repository:bench-org/web/app:pull,push"),
        None,
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("bench:{token}"));
    issue.headers = vec![("authorization", format!("Basic {basic}"))];
    let stats = load::run(&issue, Plan::closed(16, settings.seconds)).await;
    ensure!(
        stats.non_ok() == 0 && stats.failures == 0,
        "token: {stats:?}"
    );
    report.add(
        &format!("{name} /kcr/token, 16 conn: throughput"),
        format!("{:.0} tokens/s", stats.rps()),
        "—".into(),
        "≥ 2,000 tokens/s",
        at_least(stats.rps(), 2000.0, "tokens/s"),
    );
    report.add(
        &format!("{name} /kcr/token, 16 conn: latency"),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            stats.quantile_ms(0.5),
            stats.quantile_ms(0.99)
        ),
        "—".into(),
        "p99 ≤ 5 ms",
        at_most(stats.quantile_ms(0.99), 5.0, "ms"),
    );

    tag_pages(&berth, &db.url, &cookie, settings.seconds, name, report).await?;

    // The push: one registry configured by Berth, one with authentication off, same binary,
    // alternating, each run on empty storage (a registry that has the layer already would
    // skip its upload).
    let open_addr = free_addr()?.to_string();
    let mut timed = (Vec::new(), Vec::new());
    for i in 0..PUSHES {
        let with_auth = scratch.join(format!("registry-auth-{i}.yml"));
        let status = Command::new(&settings.env.berth)
            .args(["kcr", "registry-config", "--region", "local"])
            .args(["--config", &config.display().to_string()])
            .args(["--kcr-key-dir", &key_dir.display().to_string()])
            .args(["--secret-key", KEY_HEX])
            .args(["--database-url", &db.url])
            .args(["--public-url", &berth.base()])
            .args(["--listen", &host])
            .args([
                "--storage",
                &scratch
                    .join(format!("storage-auth-{i}"))
                    .display()
                    .to_string(),
            ])
            .args(["--output", &with_auth.display().to_string()])
            .status()
            .await?;
        ensure!(status.success(), "berth kcr registry-config failed");
        let without_auth = scratch.join(format!("registry-open-{i}.yml"));
        std::fs::write(
            &without_auth,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: \"{}\"\n  delete:\n    enabled: true\nhttp:\n  addr: \"{open_addr}\"\n",
                scratch.join(format!("storage-open-{i}")).display()
            ),
        )?;
        let tag = format!("run{i}");
        let open_registry = Registry::start(&without_auth, &open_addr).await?;
        let open = push(layout, &open_addr, &tag, None).await?;
        drop(open_registry);
        let auth_registry = Registry::start(&with_auth, &host).await?;
        let auth = push(layout, &host, &tag, Some(("bench", &token))).await?;
        drop(auth_registry);
        timed.0.push(auth);
        timed.1.push(open);
    }
    timed.0.sort();
    timed.1.sort();
    let (auth, open) = (timed.0[PUSHES / 2], timed.1[PUSHES / 2]);
    let ratio = auth.as_secs_f64() / open.as_secs_f64();
    report.add(
        &format!("{name} push of a 64 MiB image through Berth's tokens vs auth off"),
        format!("{:.0} ms ({ratio:.2}×)", auth.as_secs_f64() * 1000.0),
        format!("{:.0} ms without auth", open.as_secs_f64() * 1000.0),
        "≤ 1.2×",
        at_most(ratio, 1.2, "×"),
    );
    berth.stop().await?;
    db.remove().await?;
    Ok(())
}

/// The Repositories page's tag list of a repository with 10,000 tags (first page, and a page
/// 5,000 tags deep) against one with 10 tags, at one connection.
async fn tag_pages(
    berth: &crate::berth::Berth,
    database_url: &str,
    cookie: &str,
    seconds: u64,
    name: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    crate::seed::kcr_tags(database_url, "bench-org/web/many", 10_000).await?;
    crate::seed::kcr_tags(database_url, "bench-org/web/few", 10).await?;
    let path = |repo: &str, after: Option<&str>| {
        let mut p = format!("/api/list_repositories?owner=bench-org&name=web&repository={repo}");
        if let Some(after) = after {
            p.push_str(&format!("&after={after}"));
        }
        p
    };
    let plan = Plan::closed(1, seconds);
    let few = load::run(
        &Target::get(berth.addr, &path("bench-org/web/few", None), Some(cookie)),
        plan,
    )
    .await;
    let first = load::run(
        &Target::get(berth.addr, &path("bench-org/web/many", None), Some(cookie)),
        plan,
    )
    .await;
    // 5,000 tags deep: the cursor of tag v4999 (pushed at 1_700_004_999).
    let deep_path = path("bench-org/web/many", Some("1700004999%3Av4999"));
    let deep = load::run(&Target::get(berth.addr, &deep_path, Some(cookie)), plan).await;
    for (what, stats) in [("few", &few), ("first", &first), ("deep", &deep)] {
        ensure!(
            stats.non_ok() == 0 && stats.failures == 0,
            "tag page {what}: {stats:?}"
        );
    }
    for (what, stats) in [("first page", &first), ("page 5,000 tags deep", &deep)] {
        let ratio = stats.quantile_ms(0.99) / few.quantile_ms(0.99);
        report.add(
            &format!("{name} tags of a 10,000-tag repository, {what}, 1 conn: p99 vs 10 tags"),
            format!("{:.2} ms ({ratio:.2}×)", stats.quantile_ms(0.99)),
            format!("{:.2} ms with 10 tags", few.quantile_ms(0.99)),
            "≤ 1.5×",
            at_most(ratio, 1.5, "×"),
        );
    }
    Ok(())
}

/// A registry process, killed when dropped.
struct Registry {
    _child: tokio::process::Child,
}

impl Registry {
    async fn start(config: &Path, addr: &str) -> anyhow::Result<Self> {
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("docker-registry (scripts/setup installs it)")?;
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(format!("http://{addr}/v2/")).send().await.is_err() {
            ensure!(
                started.elapsed() < Duration::from_secs(10),
                "the registry did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { _child: child })
    }
}

/// Pushes the layout to `host/bench-org/web/app:tag`; how long it took.
async fn push(
    layout: &Path,
    host: &str,
    tag: &str,
    creds: Option<(&str, &str)>,
) -> anyhow::Result<Duration> {
    let auth = std::env::temp_dir().join(format!("berth-bench-auth-{}.json", std::process::id()));
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--preserve-digests",
    ])
    .env("REGISTRY_AUTH_FILE", &auth)
    .stdout(Stdio::null());
    if let Some((user, token)) = creds {
        cmd.args(["--dest-creds", &format!("{user}:{token}")]);
    }
    cmd.arg(format!("oci:{}", layout.display()))
        .arg(format!("docker://{host}/bench-org/web/app:{tag}"));
    let started = Instant::now();
    let out = cmd
        .output()
        .await
        .context("skopeo (scripts/setup installs it)")?;
    let took = started.elapsed();
    ensure!(
        out.status.success(),
        "skopeo push to {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(took)
}

/// An OCI layout with one image whose layer is 64 MiB of incompressible bytes.
fn oci_image(dir: &Path) -> anyhow::Result<PathBuf> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let put = |bytes: &[u8]| -> anyhow::Result<(String, usize)> {
        let hex = format!("{:x}", Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes)?;
        Ok((format!("sha256:{hex}"), bytes.len()))
    };
    // A counter through SHA-256: random-looking, so nothing compresses it on the way.
    let mut layer = Vec::with_capacity(LAYER_BYTES);
    let mut n = 0u64;
    while layer.len() < LAYER_BYTES {
        layer.extend_from_slice(&Sha256::digest(n.to_le_bytes()));
        n += 1;
    }
    let (layer_digest, layer_size) = put(&layer)?;
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    });
    let (config_digest, config_size) = put(config.to_string().as_bytes())?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}],
    });
    let (manifest_digest, manifest_size) = put(manifest.to_string().as_bytes())?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest_size}],
    });
    std::fs::write(dir.join("index.json"), index.to_string())?;
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(dir.to_path_buf())
}
