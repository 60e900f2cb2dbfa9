//! Amazon ECR credentials: what a reader pays for a minted password, and one refresh round at
//! scale, against moto answering 12-hour tokens as AWS does (`scripts/aws-emulator
//! --token-hours 12`, whose URL `bench/run ecr` passes in `BERTH_TEST_AWS_URL`), every figure
//! and its floor measured in the same run:
//! - `docker-credential-berth get` (the real helper process: spawn, one call to Berth, exit)
//!   for an ECR host, 1,000 calls: p99 ≤ 20 ms, and within 1.2× of the same call for a static
//!   credential (calls alternate, so both see the same machine);
//! - the pull-secret export of a project with an ECR credential within 1.2× of one with a
//!   static credential (median of alternating exports; the hourly export limit bounds how
//!   many);
//! - 1,000 ECR credentials due at once: the round that refreshes them all ends within 60 s,
//!   with at most `--aws-max-concurrent-calls` (8) AWS calls at once.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, ensure};
use app::{
    on_db,
    server::db::{Db, PoolSettings},
};
use tokio::{io::AsyncWriteExt, process::Command, time::Instant};

use crate::{
    client::Client,
    fixture::{self, Backend},
    perf::Settings,
    report::{Report, at_most},
    seed,
};

/// ECR credentials due in the refresh round.
const REFRESHES: usize = 1_000;
/// AWS calls at once during the round (`--aws-max-concurrent-calls`).
const AWS_CALLS: usize = 8;
/// Helper calls per side.
const HELPER_CALLS: usize = 1_000;
/// Exports per side (each project may export 60 an hour).
const EXPORTS: usize = 25;
/// The ECR registry the helper is asked for.
const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
/// The static one.
const STATIC_HOST: &str = "registry.static.example";

/// Runs the ECR benchmarks into `report`.
pub async fn run(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let aws = std::env::var("BERTH_TEST_AWS_URL").context(
        "BERTH_TEST_AWS_URL is not set: run `bench/run ecr`, which starts moto with 12-hour tokens",
    )?;
    let site = settings.env.scratch.join("site");
    fixture::copy_site(&settings.env.site_root, &site)?;
    for &backend in &settings.env.backends {
        one_backend(settings, &site, &aws, backend, report).await?;
    }
    Ok(())
}

async fn one_backend(
    settings: &Settings,
    site: &Path,
    aws: &str,
    backend: Backend,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = backend.label();
    let (db, mut launch) = settings.env.seeded(backend, settings.small, site).await?;
    seed::ecr_credentials(&db.url, &fixture::key(), REFRESHES).await?;
    launch.extra_args.extend([
        "--aws-endpoint-url".into(),
        aws.to_owned(),
        "--aws-max-concurrent-calls".into(),
        AWS_CALLS.to_string(),
    ]);
    report.section(&format!("{name}: Amazon ECR"));

    // The round starts with the server (the loop's first tick); the clock runs from spawn.
    let seeded_at = time::OffsetDateTime::now_utc().unix_timestamp();
    let berth = launch.start().await?;
    let round = refresh_round(&db.url, seeded_at).await?;
    let round_secs = (berth.start_to_ready + round).as_secs_f64();
    report.add(
        &format!(
            "{name} refresh round of {REFRESHES} due ECR credentials, {AWS_CALLS} AWS calls at once"
        ),
        format!("{round_secs:.1} s"),
        "—".into(),
        "≤ 60 s",
        at_most(round_secs, 60.0, "s"),
    );

    let client = Client::new(&berth.base())?;
    let cookie = client.sign_in("bench").await?;
    let added = client
        .call(
            "add_ecr_credential",
            &[
                ("owner", "bench-org"),
                ("name", "svc-01"),
                ("registry_host", ECR_HOST),
                ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
                (
                    "aws_secret_access_key",
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                ),
            ],
            Some(&cookie),
        )
        .await?;
    ensure!(
        added.status().is_success(),
        "add_ecr_credential: {}",
        added.text().await?
    );
    let status = client
        .add_credential(&cookie, ("bench-org", "svc-02"), STATIC_HOST, "static pw")
        .await?;
    ensure!(status.is_success(), "add_credential: {status}");
    let token = client
        .personal_token_with(
            &cookie,
            &["projects:read", "credentials:read", "pull-secrets:export"],
        )
        .await?;

    let scratch = settings
        .env
        .scratch
        .join(format!("ecr-{}", name.to_lowercase()));
    let cli = |project: &str| Home::new(&settings.env.berth, &scratch.join(project));
    let ecr_home = cli("svc-01")?;
    let static_home = cli("svc-02")?;
    ecr_home
        .set_up(&berth.base(), &token, "bench-org/svc-01")
        .await?;
    static_home
        .set_up(&berth.base(), &token, "bench-org/svc-02")
        .await?;
    let (mut ecr, mut fixed) = (Vec::new(), Vec::new());
    for _ in 0..HELPER_CALLS {
        ecr.push(ecr_home.get(ECR_HOST).await?);
        fixed.push(static_home.get(STATIC_HOST).await?);
    }
    let (ecr, fixed) = (Quantiles::of(ecr), Quantiles::of(fixed));
    report.add(
        &format!("{name} docker-credential-berth get, ECR host ({HELPER_CALLS} calls)"),
        format!("p50 {:.1} ms, p99 {:.1} ms", ecr.p50, ecr.p99),
        "—".into(),
        "p99 ≤ 20 ms",
        at_most(ecr.p99, 20.0, "ms"),
    );
    let ratio = ecr.p99 / fixed.p99;
    report.add(
        &format!("{name} docker-credential-berth get, ECR vs static host: p99"),
        format!("{ratio:.2}× (p50 {:.2}×)", ecr.p50 / fixed.p50),
        format!("static p50 {:.1} ms, p99 {:.1} ms", fixed.p50, fixed.p99),
        "≤ 1.2×",
        at_most(ratio, 1.2, "×"),
    );

    let (mut ecr, mut fixed) = (Vec::new(), Vec::new());
    for _ in 0..EXPORTS {
        ecr.push(export(&client, &token, "svc-01").await?);
        fixed.push(export(&client, &token, "svc-02").await?);
    }
    let (ecr, fixed) = (Quantiles::of(ecr), Quantiles::of(fixed));
    let ratio = ecr.p50 / fixed.p50;
    report.add(
        &format!("{name} pull-secret export, ECR vs static credential ({EXPORTS} each): median"),
        format!("{:.1} ms ({ratio:.2}×)", ecr.p50),
        format!("{:.1} ms static", fixed.p50),
        "≤ 1.2×",
        at_most(ratio, 1.2, "×"),
    );
    berth.stop().await?;
    db.remove().await?;
    Ok(())
}

/// Waits until every seeded ECR credential has been refreshed (or has failed) since
/// `seeded_at`; how long that took from now. A failure is an error: the round must store.
async fn refresh_round(url: &str, seeded_at: i64) -> anyhow::Result<Duration> {
    let db = Db::connect(
        url,
        PoolSettings {
            max_connections: 1,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(30),
        },
    )
    .await?;
    let started = Instant::now();
    let result = loop {
        let (stored, failed): (i64, i64) = on_db!(&db, pool => sqlx::query_as(
            "select
                 coalesce(sum(case when token_refreshed_at >= $1 then 1 else 0 end), 0),
                 coalesce(sum(case when refresh_failures > 0 then 1 else 0 end), 0)
             from registry_credential where source = 'ecr'"
        )
        .bind(seeded_at)
        .fetch_one(pool)
        .await)?;
        if failed > 0 {
            let error: Option<String> = on_db!(&db, pool => sqlx::query_scalar(
                "select refresh_error from registry_credential where refresh_failures > 0 limit 1"
            )
            .fetch_one(pool)
            .await)?;
            break Err(anyhow::anyhow!(
                "{failed} ECR refreshes failed, e.g. {error:?}"
            ));
        }
        if stored as usize >= REFRESHES {
            break Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(180) {
            break Err(anyhow::anyhow!(
                "the refresh round had stored {stored} of {REFRESHES} tokens after 180 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    db.close().await;
    result
}

/// One export of `bench-org/PROJECT` with the token; its time in ms.
async fn export(client: &Client, token: &str, project: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let res = client
        .call_with_token(
            "export_pull_secret",
            &[("owner", "bench-org"), ("name", project)],
            token,
        )
        .await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(
        res.status().is_success(),
        "export of {project}: {}",
        res.text().await?
    );
    Ok(ms)
}

/// The 50th and 99th percentiles of some times, in ms.
struct Quantiles {
    p50: f64,
    p99: f64,
}

impl Quantiles {
    fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
        Self {
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}

/// A HOME where the CLI is logged in and the helper configured, as a CI machine would be.
struct Home {
    berth: PathBuf,
    dir: PathBuf,
}

impl Home {
    fn new(berth: &Path, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            berth: berth.to_path_buf(),
            dir: dir.to_path_buf(),
        })
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars() {
            if key.starts_with("BERTH_") || key.starts_with("XDG_") || key == "DOCKER_CONFIG" {
                cmd.env_remove(key);
            }
        }
        cmd.env("HOME", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `program ARGS` with `stdin`; its stdout, or an error with its output.
    async fn run(&self, program: &Path, args: &[&str], stdin: &str) -> anyhow::Result<String> {
        let mut child = self.command(program).args(args).spawn()?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).await?;
        }
        let out = child.wait_with_output().await?;
        ensure!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `berth login --with-token`, `configure --project`, `install-helper`.
    async fn set_up(&self, base: &str, token: &str, project: &str) -> anyhow::Result<()> {
        let berth = self.berth.clone();
        self.run(&berth, &["login", "--url", base, "--with-token"], token)
            .await?;
        self.run(
            &berth,
            &[
                "auth",
                "container-registry",
                "configure",
                "--project",
                project,
            ],
            "",
        )
        .await?;
        let bin = self.dir.join("bin").display().to_string();
        self.run(
            &berth,
            &[
                "auth",
                "container-registry",
                "install-helper",
                "--dir",
                &bin,
            ],
            "",
        )
        .await?;
        Ok(())
    }

    /// One `docker-credential-berth get` for `host`, checked; its time in ms.
    async fn get(&self, host: &str) -> anyhow::Result<f64> {
        let helper = self.dir.join("bin").join("docker-credential-berth");
        let started = Instant::now();
        let out = self.run(&helper, &["get"], host).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        ensure!(out.contains("\"Secret\":"), "get {host}: {out}");
        Ok(ms)
    }
}
