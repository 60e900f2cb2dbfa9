//! A PostgreSQL cluster of the fault scripts' own: made with the installed `initdb` in a
//! temporary folder, on a free loopback port, stopped and started at will, removed afterwards.
//! The PostgreSQL restart script runs against it, so it never stops a server that anything
//! else (the HTTP tests, a developer's databases) is using.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use tokio::process::Command;

/// A throwaway cluster (`fsync=off`: its data is worth nothing). It listens on 127.0.0.1 with
/// a password of its own (scram), so nobody else on the machine gets a superuser of it.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
    password: String,
}

/// The newest installed PostgreSQL's `bin` folder (Debian: `/usr/lib/postgresql/N/bin`).
fn installed_bin() -> anyhow::Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no PostgreSQL server installed under /usr/lib/postgresql")?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .context("no initdb under /usr/lib/postgresql/*/bin")
}

/// Runs `program` with `args`, as the `postgres` user when this process is root (PostgreSQL
/// refuses to run as root).
async fn run(program: &Path, args: &[&str]) -> anyhow::Result<()> {
    let root = is_root();
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", program.display()))?;
    ensure!(
        out.status.success(),
        "{} {}: {}\n{}",
        program.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Cluster {
    /// Makes and starts a cluster in a fresh folder under `scratch`.
    pub async fn create(scratch: &Path) -> anyhow::Result<Self> {
        let bin = installed_bin()?;
        let dir = scratch.join(format!("pg-{:032x}", rand::random::<u128>()));
        std::fs::create_dir(&dir)?;
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&dir)
                .status()
                .await?;
            ensure!(status.success(), "chown postgres {}", dir.display());
        }
        let port = crate::berth::free_addr()?.port();
        let data = dir.join("data");
        let password = format!("{:032x}", rand::random::<u128>());
        let pwfile = dir.join("password");
        std::fs::write(&pwfile, &password)?;
        if is_root() {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(&pwfile)
                .status()
                .await?;
            ensure!(status.success(), "chown postgres {}", pwfile.display());
        }
        run(
            &bin.join("initdb"),
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "--no-sync",
            ],
        )
        .await?;
        std::fs::remove_file(&pwfile)?;
        let cluster = Self {
            bin,
            dir,
            port,
            password,
        };
        cluster.start().await?;
        Ok(cluster)
    }

    /// Its `postgres` database, as the `postgres` user.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// Starts the server and waits until it accepts connections.
    pub async fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.display()
        );
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.dir.join("data").display().to_string(),
                "-l",
                &self.dir.join("log").display().to_string(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        )
        .await
    }

    /// Stops the server (fast: connections are cut, as when a database host goes away).
    pub async fn stop(&self) -> anyhow::Result<()> {
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.dir.join("data").display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
        .await
    }

    /// Stops it and removes its folder.
    pub async fn remove(self) -> anyhow::Result<()> {
        self.stop().await.ok();
        std::fs::remove_dir_all(&self.dir).ok();
        Ok(())
    }
}
