//! `AppState`: what every request may use, built once at start-up and cloned cheaply.

use std::sync::Arc;

use crate::domain::region::Region;
use crate::server::{
    auth::{
        bearer::Blocks,
        password::Passwords,
        throttle::{Limits, SignupLimits},
    },
    crypto::MasterKey,
    db::Db,
    kcr::signing::Signer,
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
}

impl Settings {
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
    /// The clients of calls to hosts people name (`outbound`).
    pub outbound: crate::server::outbound::Outbound,
    /// Repeated KCR denials counted until their window closes (`kcr::denials`).
    pub kcr_denials: Arc<crate::server::kcr::denials::DenialLog>,
}
