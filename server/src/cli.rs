//! The command line: the server's commands (`berth serve`, `migrate`, `secrets`, `kcr`) and
//! the client's (`berth login`, `docker ...`, `auth container-registry ...`, `pull-secret`; see
//! `client`).

use app::server::config::{
    Config, RegistryConfigArgs, RotateKeyConfig, RotateSigningKeyArgs, ServeConfig,
};
use clap::{Parser, Subcommand};

/// Berth: a self-hosted console for container registries.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None, after_help = EXIT_CODES)]
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
    /// The client commands.
    #[command(flatten)]
    Client(crate::client::ClientCommand),
}

/// The exit codes of the client commands, for `--help`.
pub const EXIT_CODES: &str = "Exit codes of the client commands: 0 done; 1 other failure; 2 wrong use (missing argument, no project chosen, no terminal to confirm on); 3 not logged in or token not valid; 4 role or scope does not allow it; 5 no such project or credential; 6 input refused (the message says why); 7 server unreachable, failing or asking to wait; 8 check-credentials found the credentials not working.";

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
