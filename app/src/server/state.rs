//! `AppState`: what every request may use, built once at start-up and cloned cheaply.

use std::{sync::Arc, time::Duration};

use crate::domain::region::Region;
use crate::server::{
    auth::{
        bearer::Blocks,
        password::Passwords,
        throttle::{Limits, SignupLimits},
    },
    config::{FileConfig, ServeConfig},
    crypto::MasterKey,
    db::Db,
    kcr::signing::Signer,
    outbound,
};

/// Settings server functions read at run time.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether public sign-up is open (the first account can always be created).
    pub allow_signup: bool,
    /// Sign-in throttle limits.
    pub throttle: Limits,
    /// Sign-up throttle limits.
    pub signup_throttle: SignupLimits,
    /// Take the client address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// The public URL, without a trailing slash.
    pub public_url: String,
    /// The configured regions (the default set when the config file names none).
    pub regions: Vec<Region>,
    /// Where Berth reaches each region's registry, by region name.
    pub registry_urls: std::collections::BTreeMap<String, String>,
    /// Which addresses credential checks may call.
    pub outbound: Arc<crate::server::outbound::Policy>,
    /// Hours between background re-checks of a credential (0: none).
    pub credential_check_hours: u32,
    /// Most AWS calls at once (`--aws-max-concurrent-calls`).
    pub aws_max_concurrent_calls: usize,
}

impl Settings {
    /// Whether people reach Berth over https (cookies `Secure`, HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The configured region called `name`.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// Whether `host` (a canonical registry host) is one of the regions' KCR hosts: Berth's
    /// own registry, reached with access tokens, never with a stored credential.
    pub fn is_kcr_host(&self, host: &str) -> bool {
        self.kcr_hosts().any(|h| h == host)
    }

    /// Every region's KCR host, canonical (`domain::registry::canonical_host`).
    pub fn kcr_hosts(&self) -> impl Iterator<Item = String> + '_ {
        self.regions
            .iter()
            .filter_map(|r| crate::domain::registry::canonical_host(&r.kcr_host).ok())
    }
}

impl AppState {
    /// The state `config` and the config file `file` describe, around an open, migrated
    /// database, the master key and the KCR signer; `public_url` is where people reach Berth.
    /// `berth serve` and the rule tests' database fixture build it alike.
    pub fn build(
        config: &ServeConfig,
        file: &FileConfig,
        db: Db,
        key: MasterKey,
        signer: Signer,
        public_url: &str,
    ) -> Result<Self, String> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let policy = Arc::new(outbound::Policy {
            allow_private: config.registry_allow_private,
            allow: file.registry_allow(),
        });
        let roots = match &config.registry_ca_file {
            Some(path) => outbound::read_ca_file(path)?,
            None => Vec::new(),
        };
        let aws_endpoint = match &config.aws_endpoint_url {
            Some(url) => Some(check_aws_endpoint(url)?),
            None => None,
        };
        Ok(Self {
            outbound: outbound::Outbound::new(policy.clone(), Duration::from_secs(5), &roots)?,
            aws: outbound::aws::Aws::new(aws_endpoint, Duration::from_secs(20))?,
            clock: Clock::default(),
            db,
            key: Arc::new(key),
            bearer_blocks: Default::default(),
            kcr_denials: Default::default(),
            kcr: Arc::new(signer),
            passwords: Passwords::new(config.hash_concurrency.map_or(cores, |n| n as usize)),
            settings: Arc::new(Settings {
                allow_signup: config.allow_signup,
                throttle: Limits {
                    per_account_address: i64::from(config.login_max_attempts_per_account),
                    per_address: i64::from(config.login_max_attempts_per_address),
                    slow_after: i64::from(config.login_slow_after),
                    slow: Duration::from_secs(u64::from(config.login_slow_secs)),
                    window_secs: i64::from(config.login_window_secs),
                },
                signup_throttle: SignupLimits {
                    per_address: i64::from(config.signup_max_per_address),
                    trusted_networks: config.signup_trusted_networks.clone(),
                    per_trusted_network: i64::from(config.signup_max_per_trusted_network),
                    window_secs: i64::from(config.signup_window_secs),
                },
                trust_forwarded_for: config.trust_forwarded_for,
                public_url: public_url.to_owned(),
                regions: file.regions(),
                registry_urls: file.registry_urls(),
                outbound: policy,
                credential_check_hours: config.credential_check_hours,
                aws_max_concurrent_calls: config.aws_max_concurrent_calls as usize,
            }),
        })
    }
}

/// Shared state of a running server.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Storage.
    pub db: Db,
    /// Master key for secrets at rest.
    pub key: Arc<MasterKey>,
    /// The password-hashing gate.
    pub passwords: Passwords,
    /// Run-time settings.
    pub settings: Arc<Settings>,
    /// Client addresses refused bearer calls for now (`auth::bearer`).
    pub bearer_blocks: Arc<Blocks>,
    /// The key KCR tokens are signed with.
    pub kcr: Arc<Signer>,
    /// How Berth calls AWS (minting ECR tokens).
    pub aws: crate::server::outbound::aws::Aws,
    /// The time as minted credentials see it (their validity, refreshes, exports).
    pub clock: Clock,
    /// The clients of calls to hosts people name (`outbound`).
    pub outbound: crate::server::outbound::Outbound,
    /// Repeated KCR denials counted until their window closes (`kcr::denials`).
    pub kcr_denials: Arc<crate::server::kcr::denials::DenialLog>,
}

/// `--aws-endpoint-url`: an http(s) URL without credentials, query or fragment.
fn check_aws_endpoint(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("--aws-endpoint-url {url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err(format!(
            "--aws-endpoint-url {url:?}: use http(s)://HOST[:PORT][/PATH], without credentials or a query"
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The time as minted credentials see it: the system's. Tests move it (every clone of the
/// state shares the offset) to reach a token's refresh or expiry without waiting, and to
/// live before the fixed 2015 expiry of the AWS emulator's tokens.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Now.
    pub fn now(&self) -> time::OffsetDateTime {
        let offset = self.offset_secs.load(std::sync::atomic::Ordering::Relaxed);
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset)
    }

    /// Moves the clock so that it reads `at` now (for tests).
    pub fn set(&self, at: time::OffsetDateTime) {
        let offset = (at - time::OffsetDateTime::now_utc()).whole_seconds();
        self.offset_secs
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }
}
