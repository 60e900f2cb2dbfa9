//! `berth-bench`: Berth's benchmarks and fault scripts. Run them all with `bench/run`
//! (see bench/README.md); each subcommand also runs alone.

mod berth;
mod client;
mod ecr;
mod faults;
mod fixture;
mod kcr;
mod load;
mod perf;
mod pg_cluster;
mod report;
mod seed;

use std::{path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};

use crate::fixture::Backend;

#[derive(Parser)]
#[command(name = "berth-bench", about = "Benchmarks and fault scripts for Berth")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// The release `berth` binary.
    #[arg(long, default_value = "target/release/berth")]
    berth: PathBuf,
    /// The built site (`cargo xtask site`).
    #[arg(long, default_value = "target/site")]
    site_root: PathBuf,
    /// PostgreSQL server where fresh databases are created (and dropped).
    #[arg(
        long,
        env = "BERTH_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Databases to run on: sqlite, postgres or both.
    #[arg(long, default_value = "both", value_parser = ["sqlite", "postgres", "both"])]
    on: String,
    /// Where to write the table of figures (Markdown), besides stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Common {
    fn env(&self, scratch: PathBuf) -> fixture::Env {
        fixture::Env {
            berth: self.berth.clone(),
            site_root: self.site_root.clone(),
            scratch,
            postgres_url: self.postgres_url.clone(),
            backends: match self.on.as_str() {
                "sqlite" => vec![Backend::Sqlite],
                "postgres" => vec![Backend::Postgres],
                _ => vec![Backend::Sqlite, Backend::Postgres],
            },
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Fill an empty database (applies migrations first) for the benchmarks.
    Seed {
        /// `sqlite://PATH` or `postgres://…`.
        #[arg(long)]
        database_url: String,
        /// Projects in all.
        #[arg(long, default_value_t = 100_000)]
        projects: usize,
        /// Credentials in all.
        #[arg(long, default_value_t = 1_000_000)]
        credentials: usize,
    },
    /// Page, server function, scale, memory and start-up benchmarks.
    Perf {
        #[command(flatten)]
        common: Common,
        /// Seconds per load measurement.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Projects in the large database.
        #[arg(long, default_value_t = 100_000)]
        large_projects: usize,
        /// Credentials in the large database.
        #[arg(long, default_value_t = 1_000_000)]
        large_credentials: usize,
    },
    /// KCR: token issuance under load, and a 64 MiB push through Berth's tokens against the
    /// same push with the registry's authentication off.
    Kcr {
        #[command(flatten)]
        common: Common,
        /// Seconds per load measurement.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Amazon ECR: the credential helper and the export for a minted credential against a
    /// static one, and a refresh round of 1,000 (needs `BERTH_TEST_AWS_URL`: `bench/run ecr`).
    Ecr {
        #[command(flatten)]
        common: Common,
    },
    /// Fault scripts: kill -9 during writes, PostgreSQL restart, two replicas, soak.
    Faults {
        #[command(flatten)]
        common: Common,
        /// Length of the soak, in seconds.
        #[arg(long, default_value_t = 600)]
        soak_seconds: u64,
        /// Which scripts: all, kill, pg-restart, replicas, soak.
        #[arg(long, default_value = "all")]
        only: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut report = report::Report::default();
    // Fault scripts are checks: a failed one fails the command (CI runs them). Benchmarks
    // report a missed target and exit 0: their figures depend on the machine.
    let checks = matches!(cli.command, Command::Faults { .. });
    let (common, result, scratch) = match cli.command {
        Command::Seed {
            database_url,
            projects,
            credentials,
        } => {
            let size = seed::Size {
                projects,
                credentials,
            };
            return seed::seed(&database_url, &fixture::key(), size).await;
        }
        Command::Perf {
            common,
            seconds,
            large_projects,
            large_credentials,
        } => {
            let scratch = scratch()?;
            let settings = perf::Settings {
                env: common.env(scratch.clone()),
                seconds,
                small: seed::Size {
                    projects: 100,
                    credentials: 1_000,
                },
                large: seed::Size {
                    projects: large_projects,
                    credentials: large_credentials,
                },
            };
            let result = perf::run(&settings, &mut report).await;
            (common, result, scratch)
        }
        Command::Kcr { common, seconds } => {
            let scratch = scratch()?;
            let small = seed::Size {
                projects: 100,
                credentials: 1_000,
            };
            let settings = perf::Settings {
                env: common.env(scratch.clone()),
                seconds,
                small,
                large: small,
            };
            let result = kcr::run(&settings, &mut report).await;
            (common, result, scratch)
        }
        Command::Ecr { common } => {
            let scratch = scratch()?;
            let small = seed::Size {
                projects: 100,
                credentials: 1_000,
            };
            let settings = perf::Settings {
                env: common.env(scratch.clone()),
                seconds: 0,
                small,
                large: small,
            };
            let result = ecr::run(&settings, &mut report).await;
            (common, result, scratch)
        }
        Command::Faults {
            common,
            soak_seconds,
            only,
        } => {
            let scratch = scratch()?;
            let settings = faults::Settings {
                env: common.env(scratch.clone()),
                soak: Duration::from_secs(soak_seconds),
                only,
            };
            let result = faults::run(&settings, &mut report).await;
            (common, result, scratch)
        }
    };
    if let Some(out) = &common.out {
        std::fs::write(out, report.markdown())?;
    }
    let missed = report.missed();
    if !missed.is_empty() {
        println!("\nTargets missed or checks failed:");
        for line in &missed {
            println!("- {line}");
        }
    }
    if result.is_ok() && missed.is_empty() {
        std::fs::remove_dir_all(&scratch).ok();
    } else {
        println!("Berth's logs are kept in {}", scratch.display());
    }
    result?;
    anyhow::ensure!(
        !checks || missed.is_empty(),
        "{} fault check(s) failed",
        missed.len()
    );
    Ok(())
}

/// A new, private scratch folder (an unpredictable name, created here and nowhere before).
fn scratch() -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = std::env::temp_dir().join(format!(
        "berth-bench-{}-{:032x}",
        std::process::id(),
        rand::random::<u128>()
    ));
    std::fs::DirBuilder::new().mode(0o711).create(&dir)?;
    Ok(dir)
}
