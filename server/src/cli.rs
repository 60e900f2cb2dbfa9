//! The command line: `berth serve`, `berth migrate`, `berth secrets`, `berth kcr`.

use app::server::config::{Config, RegistryConfigArgs, RotateKeyConfig, ServeConfig};
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
    /// KCR, the built-in registry: its config and Berth's token signing key.
    #[command(subcommand)]
    Kcr(KcrCommand),
}

/// `berth kcr ...`.
#[derive(Debug, Subcommand)]
pub enum KcrCommand {
    /// Print the `config.yml` of a region's registry (CNCF distribution): token auth against
    /// this Berth, deletes enabled. Also refreshes the certificate bundle it trusts.
    RegistryConfig(RegistryConfigArgs),
    /// Sign tokens with a new key from now on. The old certificate stays in the bundle until
    /// tokens it signed have expired; restart the registry so that it reads the new bundle.
    RotateSigningKey(Config),
}

/// `berth secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every registry password under a new master key. Run it, then start Berth with
    /// the new key; keep the old key (as a previous key) until a run reports none left.
    RotateKey(RotateKeyConfig),
}
