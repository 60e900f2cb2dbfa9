//! The command line: `berth serve`, `berth migrate`, `berth secrets`, `berth kcr`.

use app::server::config::{
    Config, RegistryConfigArgs, RotateKeyConfig, RotateSigningKeyArgs, ServeConfig,
};
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
    /// Rotate the token signing key in two steps: stage a new key (the bundle trusts it from
    /// now on; restart the registries), then `--activate` it (Berth signs with it; the old
    /// certificate stays trusted until tokens it signed have expired).
    RotateSigningKey(RotateSigningKeyArgs),
}

/// `berth secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every registry password under a new master key. Run it, then start Berth with
    /// the new key; keep the old key (as a previous key) until a run reports none left.
    RotateKey(RotateKeyConfig),
}
