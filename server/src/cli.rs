//! The command line: `berth serve`, `berth migrate`.

use app::server::config::{Config, RotateKeyConfig, ServeConfig};
use clap::{Parser, Subcommand};

/// Berth: a self-hosted console for container registries.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web console (applies pending migrations first).
    Serve(ServeConfig),
    /// Apply pending database migrations, then exit.
    Migrate(Config),
    /// Manage the keys that seal registry passwords.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

/// `berth secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every registry password under a new master key. Run it, then start Berth with
    /// the new key; keep the old key (as a previous key) until a run reports none left.
    RotateKey(RotateKeyConfig),
}
