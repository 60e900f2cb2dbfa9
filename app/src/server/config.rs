//! `Config`: every setting of a running Berth, read once in `main` from flags and `BERTH_*`
//! environment variables (clap), plus the optional `--config` file for structured settings.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::region::{Region, default_regions, is_host_port, is_region_name};
use crate::server::db::{PoolSettings, sqlite_path};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings shared by `berth serve` and `berth migrate`.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Database URL: `sqlite://PATH` (the file and its folder are created on first run) or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` for several replicas on one database.
    #[arg(
        long,
        env = "BERTH_DATABASE_URL",
        default_value = "sqlite://./berth-data/berth.db",
        hide_env_values = true
    )]
    pub database_url: SecretString,

    /// Most database connections per process.
    #[arg(long, env = "BERTH_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Database connections kept open while idle.
    #[arg(long, env = "BERTH_DB_MIN_CONNECTIONS", default_value_t = 1)]
    pub db_min_connections: u32,

    /// Seconds a request waits for a free database connection before it fails with 503.
    #[arg(long, env = "BERTH_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5)]
    pub db_acquire_timeout_secs: u64,

    /// The 256-bit master key for secrets at rest, as 64 hex digits. Give the same key to every
    /// replica. Without it, the key file is used (and created on first run).
    #[arg(long, env = "BERTH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<SecretString>,

    /// The master key file, created with mode 0600 on first run when missing. Default:
    /// `secret.key` beside the SQLite file, or `./berth-data/secret.key` with PostgreSQL.
    #[arg(long, env = "BERTH_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Folder of the KCR token signing key and certificates (created on first run). Give
    /// every replica the same files. Default: the master key file's folder.
    #[arg(long, env = "BERTH_KCR_KEY_DIR")]
    pub kcr_key_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "BERTH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Settings of `berth kcr rotate-signing-key`.
#[derive(Clone, Debug, clap::Args)]
pub struct RotateSigningKeyArgs {
    /// Where the key files are (and logging).
    #[command(flatten)]
    pub common: Config,

    /// Sign with the staged key from now on (after the registries were restarted with the
    /// bundle that trusts it).
    #[arg(long)]
    pub activate: bool,
}

/// Settings of `berth kcr registry-config`.
#[derive(Clone, Debug, clap::Args)]
pub struct RegistryConfigArgs {
    /// Storage, keys and logging (the master key derives the registry's upload secret).
    #[command(flatten)]
    pub common: Config,

    /// The region whose registry this is.
    #[arg(long)]
    pub region: String,

    /// The URL registry clients reach Berth at (the token realm is under it).
    #[arg(
        long,
        env = "BERTH_PUBLIC_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub public_url: String,

    /// The TOML file with the regions (as given to `berth serve`).
    #[arg(long, env = "BERTH_CONFIG")]
    pub config: Option<PathBuf>,

    /// Where the registry listens. Default: loopback for a local KCR host, every interface
    /// otherwise, on the host's port.
    #[arg(long)]
    pub listen: Option<String>,

    /// The registry's storage folder.
    #[arg(long, default_value = "./berth-data/registry")]
    pub storage: PathBuf,

    /// A TLS certificate for the registry to serve https with (with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The TLS certificate's private key.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Write the config to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Settings of `berth secrets rotate-key`.
#[derive(Clone, Debug, clap::Args)]
pub struct RotateKeyConfig {
    /// Storage, the current key and logging.
    #[command(flatten)]
    pub common: Config,

    /// The new master key, 64 hex digits.
    #[arg(long, env = "BERTH_NEW_SECRET_KEY", hide_env_values = true)]
    pub new_key: Option<SecretString>,

    /// A file with the new master key; created with mode 0600 when missing.
    #[arg(long, env = "BERTH_NEW_SECRET_KEY_FILE", conflicts_with = "new_key")]
    pub new_key_file: Option<PathBuf>,

    /// Older master keys that may still have sealed some rows (comma-separated hex).
    #[arg(
        long,
        env = "BERTH_PREVIOUS_SECRET_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub previous_keys: Vec<SecretString>,
}

/// Settings of `berth serve` only.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeConfig {
    /// Storage, keys and logging.
    #[command(flatten)]
    pub common: Config,

    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "BERTH_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The URL people reach Berth at, e.g. `https://berth.example.com`. Cookies are marked
    /// Secure when it is https. Default: `http://` + the listen address.
    #[arg(long, env = "BERTH_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// A TOML file with structured settings (regions).
    #[arg(long, env = "BERTH_CONFIG")]
    pub config: Option<PathBuf>,

    /// Whether anyone may create an account at /signup (`false` closes public sign-up; the
    /// very first account can always be created).
    #[arg(long, env = "BERTH_ALLOW_SIGNUP", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_signup: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "BERTH_SESSION_IDLE_MINUTES", default_value_t = 720)]
    pub session_idle_minutes: u32,

    /// Hours after sign-in after which a session ends however active it is.
    #[arg(long, env = "BERTH_SESSION_LIFETIME_HOURS", default_value_t = 168)]
    pub session_lifetime_hours: u32,

    /// Wrong passwords for one account from one client address in one throttle window; then
    /// that address gets 429 for that account (others still sign in).
    #[arg(
        long,
        env = "BERTH_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT",
        default_value_t = 5
    )]
    pub login_max_attempts_per_account: u32,

    /// Failed sign-ins from one client address in one throttle window, whatever the account.
    #[arg(
        long,
        env = "BERTH_LOGIN_MAX_ATTEMPTS_PER_ADDRESS",
        default_value_t = 50
    )]
    pub login_max_attempts_per_address: u32,

    /// Wrong passwords for one account from all addresses in one window after which its
    /// passwords are checked one at a time, `--login-slow-secs` apart (an attempt waits for
    /// its turn, up to three turns ahead, else 429; the account's known devices skip the queue).
    #[arg(long, env = "BERTH_LOGIN_SLOW_AFTER", default_value_t = 20)]
    pub login_slow_after: u32,

    /// Seconds between password checks on an account past `--login-slow-after`.
    #[arg(long, env = "BERTH_LOGIN_SLOW_SECS", default_value_t = 3)]
    pub login_slow_secs: u32,

    /// Length of a sign-in throttle window, in seconds.
    #[arg(long, env = "BERTH_LOGIN_WINDOW_SECS", default_value_t = 900)]
    pub login_window_secs: u32,

    /// Sign-up attempts from one client address in one sign-up window, then 429.
    #[arg(long, env = "BERTH_SIGNUP_MAX_PER_ADDRESS", default_value_t = 10)]
    pub signup_max_per_address: u32,

    /// Length of a sign-up throttle window, in seconds.
    #[arg(long, env = "BERTH_SIGNUP_WINDOW_SECS", default_value_t = 3600)]
    pub signup_window_secs: u32,

    /// Networks whose people sign up from one address (a company behind NAT), as CIDR ranges
    /// (comma-separated): each range shares `--signup-max-per-trusted-network` per window
    /// instead of the per-address limit.
    #[arg(long, env = "BERTH_SIGNUP_TRUSTED_NETWORKS", value_delimiter = ',')]
    pub signup_trusted_networks: Vec<ipnet::IpNet>,

    /// Sign-up attempts from one trusted network in one sign-up window, then 429.
    #[arg(
        long,
        env = "BERTH_SIGNUP_MAX_PER_TRUSTED_NETWORK",
        default_value_t = 500
    )]
    pub signup_max_per_trusted_network: u32,

    /// Password hashes computed at once (each takes ~19 MiB and tens of milliseconds of CPU);
    /// more wait briefly, then get 503. Default: the number of CPU cores.
    #[arg(long, env = "BERTH_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<u32>,

    /// Host names Berth answers to besides the public URL's (comma-separated); requests naming
    /// any other host get 421 (a DNS-rebinding defence). IP addresses Berth listens on, and
    /// `localhost` on a loopback or wildcard listener, are always answered.
    #[arg(long, env = "BERTH_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Take the client address from the last `X-Forwarded-For` entry (only behind one proxy
    /// that appends the address it saw).
    #[arg(long, env = "BERTH_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,

    /// Let credential checks call loopback, private (RFC 1918), shared and unique-local
    /// addresses (a registry on this host or network). Link-local addresses, cloud metadata
    /// among them, need a range in the config file's `registry_allow`.
    #[arg(long, env = "BERTH_REGISTRY_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub registry_allow_private: bool,

    /// A PEM file of CA certificates that credential checks trust besides the public web's
    /// and the system's (a registry signed by a company CA).
    #[arg(long, env = "BERTH_REGISTRY_CA_FILE")]
    pub registry_ca_file: Option<PathBuf>,

    /// Hours between background re-checks of each stored credential (0: none).
    #[arg(long, env = "BERTH_CREDENTIAL_CHECK_HOURS", default_value_t = 12)]
    pub credential_check_hours: u32,

    /// The one base URL Berth calls for every AWS service (STS, ECR) instead of AWS's own
    /// hosts: for AWS-compatible endpoints and for tests against an emulator. AWS's hosts are
    /// named from each ECR credential's region when unset.
    #[arg(long, env = "BERTH_AWS_ENDPOINT_URL")]
    pub aws_endpoint_url: Option<String>,

    /// Most AWS calls (token refreshes of ECR credentials) under way at once.
    #[arg(long, env = "BERTH_AWS_MAX_CONCURRENT_CALLS", default_value_t = 8)]
    pub aws_max_concurrent_calls: u32,

    /// Folder with the built site (`pkg/` with the wasm bundle and CSS, and public files).
    #[arg(long, env = "BERTH_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

/// A region from the config file: where projects live and which KCR host serves them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// Short name, e.g. `us-east-1`.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The KCR host (`host[:port]`) of this region.
    pub kcr_host: String,
    /// The URL Berth reaches the region's registry at (reading manifests, deleting images).
    /// Default: `http://` + the KCR host on a loopback host, else `https://` + it.
    #[serde(default)]
    pub registry_url: Option<String>,
}

/// The `--config` file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Regions offered to projects.
    #[serde(default)]
    pub regions: Vec<RegionConfig>,
    /// Address ranges (CIDR) credential checks may call although they are not public, e.g.
    /// `["10.20.0.0/16"]` for a registry inside the network.
    #[serde(default)]
    pub registry_allow: Vec<String>,
}

impl FileConfig {
    /// Reads and checks the file; the error is one line naming the file and the problem.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let parsed: Self = toml::from_str(&text).map_err(|e| {
            format!(
                "config file {}: {}",
                path.display(),
                e.message().replace('\n', " ")
            )
        })?;
        parsed
            .check()
            .map_err(|e| format!("config file {}: {e}", path.display()))?;
        Ok(parsed)
    }

    /// The file at `path` when one is given, else the defaults (no file at all).
    pub fn load_or_default(path: Option<&Path>) -> Result<Self, String> {
        path.map(Self::load)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The regions to offer: the file's, or the default set when it names none.
    pub fn regions(&self) -> Vec<Region> {
        if self.regions.is_empty() {
            return default_regions();
        }
        self.regions
            .iter()
            .map(|r| Region {
                name: r.name.clone(),
                display_name: r.display_name.clone(),
                kcr_host: r.kcr_host.to_lowercase(),
            })
            .collect()
    }

    /// The URL Berth reaches each region's registry at, by region name.
    pub fn registry_urls(&self) -> std::collections::BTreeMap<String, String> {
        self.regions()
            .into_iter()
            .map(|r| {
                let configured = self
                    .regions
                    .iter()
                    .find(|c| c.name == r.name)
                    .and_then(|c| c.registry_url.clone());
                let url = configured.unwrap_or_else(|| default_registry_url(&r.kcr_host));
                (r.name, url.trim_end_matches('/').to_owned())
            })
            .collect()
    }

    /// The `registry_allow` ranges (checked at load).
    pub fn registry_allow(&self) -> Vec<ipnet::IpNet> {
        self.registry_allow
            .iter()
            .filter_map(|r| r.trim().parse().ok())
            .collect()
    }

    fn check(&self) -> Result<(), String> {
        if let Some(bad) = self
            .registry_allow
            .iter()
            .find(|r| r.trim().parse::<ipnet::IpNet>().is_err())
        {
            return Err(format!(
                "registry_allow entry {bad:?} is not an address range like \"10.20.0.0/16\""
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut hosts = std::collections::BTreeSet::new();
        for region in &self.regions {
            if !is_region_name(&region.name) {
                return Err(format!(
                    "region name {:?} must be lowercase letters, digits and hyphens",
                    region.name
                ));
            }
            if !seen.insert(region.name.as_str()) {
                return Err(format!("region {:?} is listed twice", region.name));
            }
            if !is_host_port(&region.kcr_host) {
                return Err(format!(
                    "region {:?}: kcr_host {:?} is not a host[:port]",
                    region.name, region.kcr_host
                ));
            }
            // The host is the registry's token service name: it must name one region.
            if !hosts.insert(region.kcr_host.to_lowercase()) {
                return Err(format!(
                    "region {:?}: kcr_host {:?} is another region's too; each region has its own registry",
                    region.name, region.kcr_host
                ));
            }
            if let Some(url) = &region.registry_url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(format!(
                    "region {:?}: registry_url {url:?} must start with http:// or https://",
                    region.name
                ));
            }
        }
        Ok(())
    }
}

/// Where Berth reaches a registry whose KCR host is `kcr_host` unless told otherwise: plain
/// http on a loopback host (Debian's registry on this machine), https elsewhere.
pub fn default_registry_url(kcr_host: &str) -> String {
    if crate::domain::kcr::serves_plain_http(kcr_host) {
        format!("http://{kcr_host}")
    } else {
        format!("https://{kcr_host}")
    }
}

impl Config {
    /// Pool sizes and timeouts.
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_max_connections.max(1),
            min_connections: self.db_min_connections.min(self.db_max_connections),
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout_secs.max(1)),
        }
    }

    /// The folder of the KCR signing key and certificates.
    pub fn kcr_key_dir(&self, database_url: &str) -> PathBuf {
        if let Some(dir) = &self.kcr_key_dir {
            return dir.clone();
        }
        self.key_file_path(database_url)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Where the key file lives when `BERTH_SECRET_KEY` is not given.
    pub fn key_file_path(&self, database_url: &str) -> PathBuf {
        if let Some(path) = &self.secret_key_file {
            return path.clone();
        }
        let dir = sqlite_path(database_url)
            .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("./berth-data"));
        dir.join("secret.key")
    }
}

impl ServeConfig {
    /// The public URL without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Checks what clap cannot; the error is one line.
    pub fn check(&self) -> Result<(), String> {
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "--public-url {url:?} must start with http:// or https://"
            ));
        }
        if self.session_idle_minutes == 0 {
            return Err("--session-idle-minutes must be at least 1".into());
        }
        if self.session_lifetime_hours == 0 {
            return Err("--session-lifetime-hours must be at least 1".into());
        }
        if self.login_window_secs == 0
            || self.login_max_attempts_per_account == 0
            || self.login_max_attempts_per_address == 0
        {
            return Err("the sign-in throttle needs a window and at least one attempt".into());
        }
        if let Some(net) = self.signup_trusted_networks.iter().find(|n| {
            n.prefix_len() == 0
                || matches!(n, ipnet::IpNet::V6(v6) if v6.addr().to_ipv4_mapped().is_some())
        }) {
            return Err(format!(
                "--signup-trusted-networks {net}: name a network (not every address), IPv4 ranges as IPv4 (10.20.0.0/16, not ::ffff:…)"
            ));
        }
        if self.signup_window_secs == 0
            || self.signup_max_per_address == 0
            || self.signup_max_per_trusted_network == 0
        {
            return Err("the sign-up throttle needs a window and at least one attempt".into());
        }
        if self.hash_concurrency == Some(0) {
            return Err("--hash-concurrency must be at least 1".into());
        }
        if let Some(bad) = self
            .allowed_hosts
            .iter()
            .find(|h| h.trim().is_empty() || h.contains(['/', ' ', '@']))
        {
            return Err(format!(
                "--allowed-hosts entry {bad:?} must be a host name, as in berth.example.com"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_listed_twice_is_refused() {
        let file: FileConfig = toml::from_str(
            "[[regions]]\nname='eu'\ndisplay_name='EU'\nkcr_host='kcr.eu.example'\n\
             [[regions]]\nname='eu'\ndisplay_name='EU 2'\nkcr_host='kcr2.eu.example'\n",
        )
        .unwrap();
        assert!(file.check().unwrap_err().contains("twice"));
    }

    #[test]
    fn two_regions_cannot_share_a_registry_and_urls_default_by_host() {
        let file: FileConfig = toml::from_str(
            "[[regions]]\nname='eu'\ndisplay_name='EU'\nkcr_host='kcr.example'\n\
             [[regions]]\nname='us'\ndisplay_name='US'\nkcr_host='KCR.example'\n",
        )
        .unwrap();
        assert!(file.check().unwrap_err().contains("another region's"));
        let file: FileConfig = toml::from_str(
            "[[regions]]\nname='eu'\ndisplay_name='EU'\nkcr_host='kcr.example'\n\
             [[regions]]\nname='lo'\ndisplay_name='Lo'\nkcr_host='localhost:5000'\n\
             [[regions]]\nname='in'\ndisplay_name='In'\nkcr_host='kcr.in'\nregistry_url='http://10.0.0.5:5000/'\n",
        )
        .unwrap();
        file.check().unwrap();
        let urls = file.registry_urls();
        assert_eq!(urls["eu"], "https://kcr.example");
        assert_eq!(urls["lo"], "http://localhost:5000");
        assert_eq!(urls["in"], "http://10.0.0.5:5000");
    }

    #[test]
    fn registry_allow_takes_address_ranges_only() {
        let file: FileConfig =
            toml::from_str("registry_allow = ['10.20.0.0/16', 'fd00::/8']").unwrap();
        file.check().unwrap();
        assert_eq!(file.registry_allow().len(), 2);
        let file: FileConfig = toml::from_str("registry_allow = ['10.20.0.0']").unwrap();
        assert_eq!(
            file.check().unwrap_err(),
            "registry_allow entry \"10.20.0.0\" is not an address range like \"10.20.0.0/16\""
        );
    }

    #[test]
    fn unknown_keys_in_the_config_file_are_refused() {
        assert!(toml::from_str::<FileConfig>("regoins = []").is_err());
    }

    #[test]
    fn without_regions_the_default_set_is_offered() {
        assert_eq!(FileConfig::default().regions(), default_regions());
    }
}
