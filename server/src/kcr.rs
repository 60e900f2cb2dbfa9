//! `berth kcr registry-config` and `berth kcr rotate-signing-key`: the files a region's
//! registry needs, and a new signing key.

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::server::{
    config::{Config, FileConfig, RegistryConfigArgs, RotateSigningKeyArgs},
    crypto::MasterKey,
    kcr::{
        registry_config::{self, RegistrySetup},
        signing::KeyFiles,
    },
};
use secrecy::ExposeSecret;

fn key_files(config: &Config) -> KeyFiles {
    KeyFiles::new(config.kcr_key_dir(config.database_url.expose_secret()))
}

/// An absolute path for the registry's config (it runs from another folder).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// Prints (or writes) the registry config of `--region`, and refreshes the bundle it trusts.
pub fn registry_config(args: RegistryConfigArgs) -> anyhow::Result<()> {
    let file = FileConfig::load_or_default(args.config.as_deref()).map_err(anyhow::Error::msg)?;
    let regions = file.regions();
    let Some(region) = regions.iter().find(|r| r.name == args.region).cloned() else {
        let names: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
        anyhow::bail!(
            "there is no region {:?}; the regions are: {}",
            args.region,
            names.join(", ")
        );
    };
    if !(args.public_url.starts_with("http://") || args.public_url.starts_with("https://")) {
        anyhow::bail!(
            "--public-url {:?} must start with http:// or https://",
            args.public_url
        );
    }
    let url = args.common.database_url.expose_secret();
    let key = MasterKey::load_or_create(
        args.common.secret_key.as_ref(),
        &args.common.key_file_path(url),
    )
    .map_err(anyhow::Error::msg)?;
    let files = key_files(&args.common);
    files.load_or_create().map_err(anyhow::Error::msg)?;
    let bundle = files.bundle().map_err(anyhow::Error::msg)?;
    std::fs::write(files.bundle_path(), bundle)
        .with_context(|| format!("cannot write {}", files.bundle_path().display()))?;

    let setup = RegistrySetup {
        listen: args
            .listen
            .clone()
            .unwrap_or_else(|| registry_config::default_listen(&region.kcr_host)),
        region,
        public_url: args.public_url.clone(),
        storage: absolute(&args.storage)?,
        bundle: absolute(&files.bundle_path())?,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some((absolute(cert)?, absolute(key)?)),
            _ => None,
        },
    };
    if setup.tls.is_none() && !registry_config::is_loopback(&setup.region.kcr_host) {
        eprintln!(
            "berth: note: clients reach {} over https; give --tls-cert and --tls-key, or put a TLS proxy in front of the registry",
            setup.region.kcr_host
        );
    }
    let text = registry_config::render(&setup, &key);
    match &args.output {
        Some(path) => write_private(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Writes `text` to `path` readable by its owner only: the config holds the notification
/// secret and the upload secret.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

/// Stages a new signing key, or activates the staged one.
pub fn rotate_signing_key(args: &RotateSigningKeyArgs) -> anyhow::Result<()> {
    let files = key_files(&args.common);
    // A rotation on a fresh folder creates the first key first.
    files.load_or_create().map_err(anyhow::Error::msg)?;
    if args.activate {
        files.activate().map_err(anyhow::Error::msg)?;
        println!(
            "Berth signs KCR tokens with the new key from now on (running servers pick it up by the next token). The old certificate stays in {} until its tokens have expired (minutes).",
            files.bundle_path().display()
        );
    } else {
        files.rotate().map_err(anyhow::Error::msg)?;
        println!(
            "A new KCR signing key is staged; {} now trusts it beside the current one.\n\
             1. Restart each registry, so it reads the bundle (or run `berth kcr registry-config` where the registry runs elsewhere and copy the bundle).\n\
             2. Then run `berth kcr rotate-signing-key --activate`.",
            files.bundle_path().display()
        );
    }
    Ok(())
}
