//! A Berth server process under test: started from the release binary, waited on until
//! `/readyz` answers, its memory read from `/proc`, stopped or killed.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::{
    process::{Child, Command},
    time::Instant,
};

/// How to start Berth.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The `berth` binary.
    pub bin: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The master key, 64 hex digits.
    pub secret_key: String,
    /// The built site (`target/site` or a copy with benchmark files added).
    pub site_root: PathBuf,
    /// Database pool size.
    pub db_max_connections: u32,
    /// More `berth serve` arguments.
    pub extra_args: Vec<String>,
    /// Where the process's log (warnings and errors) goes, appended; a fault script provokes
    /// many (a database that went away), which would bury the report.
    pub log: PathBuf,
}

/// A running Berth process.
#[derive(Debug)]
pub struct Berth {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// How long from spawning the process to the first `200` from `/readyz`.
    pub start_to_ready: Duration,
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

impl Launch {
    /// Starts Berth on a free port and waits until it is ready (30 s at most).
    pub async fn start(&self) -> anyhow::Result<Berth> {
        self.start_on(free_addr()?).await
    }

    /// Starts Berth on `addr` and waits until it is ready.
    pub async fn start_on(&self, addr: SocketAddr) -> anyhow::Result<Berth> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let started = Instant::now();
        let child = Command::new(&self.bin)
            .arg("serve")
            .args(["--listen", &addr.to_string()])
            .args(["--database-url", &self.database_url])
            .args(["--secret-key", &self.secret_key])
            .args(["--site-root", &self.site_root.display().to_string()])
            .args(["--db-max-connections", &self.db_max_connections.to_string()])
            .args(["--login-max-attempts-per-account", "1000000"])
            .args(["--login-max-attempts-per-address", "1000000"])
            .args(&self.extra_args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.log)
                    .with_context(|| format!("opening {}", self.log.display()))?,
            )
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let mut berth = Berth {
            child,
            addr,
            start_to_ready: Duration::ZERO,
        };
        let url = format!("http://{addr}/readyz");
        loop {
            if let Ok(res) = http.get(&url).send().await
                && res.status().is_success()
            {
                berth.start_to_ready = started.elapsed();
                return Ok(berth);
            }
            if let Some(status) = berth.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                bail!(
                    "berth exited during start-up: {status}; the end of {}:\n{}",
                    self.log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("berth was not ready within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Resident set size now, in bytes.
    pub rss: u64,
    /// The highest resident set size so far, in bytes.
    pub peak: u64,
}

impl Berth {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let pid = self.child.id().context("the process has exited")?;
        read_memory(Path::new(&format!("/proc/{pid}/status")))
    }

    /// SIGKILL: no shutdown, no flush.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Stops the process (SIGKILL is fine for benchmarks: nothing is in flight).
    pub async fn stop(self) -> anyhow::Result<()> {
        self.kill9().await
    }
}

fn read_memory(status: &Path) -> anyhow::Result<Memory> {
    let text = std::fs::read_to_string(status)?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("{name} missing from {}", status.display()))?;
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .context("malformed line")?
            .parse()?;
        Ok(kb * 1024)
    };
    Ok(Memory {
        rss: field("VmRSS:")?,
        peak: field("VmHWM:")?,
    })
}
