//! `berth`: parses the command line, sets up logging, runs the subcommand. Errors at start-up
//! are one line on stderr and exit code 1.

use app::server::db::Db;
use clap::Parser;
use secrecy::ExposeSecret;
use server::{
    cli::{Cli, Command, KcrCommand, SecretsCommand},
    client,
    startup::Application,
    telemetry,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Called as the docker credential helper (a link to this binary).
    let args: Vec<String> = std::env::args().collect();
    let called_as = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if called_as == client::helper::NAME {
        return std::process::ExitCode::from(client::helper::main(&args[1..]).await);
    }
    let cli = Cli::parse();
    if let Command::Client(command) = cli.command {
        return match client::run(command).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("berth: {err:#}");
                std::process::ExitCode::from(client::failure::exit_code(&err))
            }
        };
    }
    let format = match &cli.command {
        Command::Serve(c) => c.common.log_format,
        Command::Migrate(c) => c.log_format,
        Command::Secrets(SecretsCommand::RotateKey(c)) => c.common.log_format,
        Command::Kcr(KcrCommand::RegistryConfig(c)) => c.common.log_format,
        Command::Kcr(KcrCommand::RotateSigningKey(c)) => c.common.log_format,
        Command::Client(_) => unreachable!("client commands return above"),
    };
    telemetry::init(format);
    match run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("berth: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => {
            let app = Application::build(config).await?;
            println!("Berth is running at {}", app.public_url());
            app.run_until_stopped().await
        }
        Command::Migrate(config) => {
            let db =
                Db::connect(config.database_url.expose_secret(), config.pool_settings()).await?;
            db.migrate().await?;
            println!("migrations applied ({})", db.backend());
            db.close().await;
            Ok(())
        }
        Command::Secrets(SecretsCommand::RotateKey(config)) => rotate_key(config).await,
        Command::Kcr(KcrCommand::RegistryConfig(args)) => server::kcr::registry_config(args),
        Command::Kcr(KcrCommand::RotateSigningKey(args)) => server::kcr::rotate_signing_key(&args),
        Command::Client(command) => client::run(command).await,
    }
}

async fn rotate_key(config: app::server::config::RotateKeyConfig) -> anyhow::Result<()> {
    use app::server::crypto::{MasterKey, rotation};

    let url = config.common.database_url.expose_secret();
    let db = Db::connect(url, config.common.pool_settings()).await?;
    db.migrate().await?;
    let current = MasterKey::load_or_create(
        config.common.secret_key.as_ref(),
        &config.common.key_file_path(url),
    )
    .map_err(anyhow::Error::msg)?;
    let new = match (&config.new_key, &config.new_key_file) {
        (Some(key), _) => MasterKey::from_hex(key.expose_secret())
            .map_err(|e| anyhow::anyhow!("--new-key: {e}"))?,
        (None, Some(file)) => MasterKey::load_or_create(None, file).map_err(anyhow::Error::msg)?,
        (None, None) => anyhow::bail!("give the new key with --new-key or --new-key-file"),
    };
    let mut previous = Vec::new();
    for (i, key) in config.previous_keys.iter().enumerate() {
        previous.push(
            MasterKey::from_hex(key.expose_secret())
                .map_err(|e| anyhow::anyhow!("previous key {}: {e}", i + 1))?,
        );
    }
    let mut keys = vec![&current];
    keys.extend(previous.iter());
    let report = rotation::rotate(&db, &keys, &new).await?;
    db.close().await;
    println!(
        "re-sealed {} registry password(s) under key {}; {} left under other keys",
        report.resealed, report.new_key_id, report.left
    );
    println!(
        "KCR: the registries' notification and upload secrets come from the master key; once Berth runs with the new key, re-run `berth kcr registry-config` for each region and restart its registry (docker logins holding a KCR refresh token log in again)."
    );
    if !report.unreadable.is_empty() {
        anyhow::bail!(
            "{} row(s) open with none of the given keys (give the key that sealed them as a previous key): {:?}",
            report.unreadable.len(),
            report.unreadable
        );
    }
    Ok(())
}
