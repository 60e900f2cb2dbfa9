//! `Application::build`: opens the database, runs migrations, loads the key, binds the listener
//! and assembles the router. `run_until_stopped` serves until SIGTERM or Ctrl-C, then drains.

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use app::server::{
    auth::session_store::DbStore,
    config::{FileConfig, ServeConfig},
    crypto::MasterKey,
    db::{Db, credential_imports, device_grants, invitations, kcr_images, throttle},
    http::host_check::AllowedHosts,
    kcr::signing::{KeyFiles, Signer},
    rules::{credential_checks, credential_sources, kcr_tokens},
    state::AppState,
};
use axum::serve::ListenerExt;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_sessions::ExpiredDeletion;

use crate::routes;

/// A Berth server, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    local_addr: SocketAddr,
    public_url: String,
    session_lifetime: time::Duration,
}

impl Application {
    /// Builds everything `berth serve` needs; any error is worth one line at start-up.
    pub async fn build(config: ServeConfig) -> anyhow::Result<Self> {
        config.check().map_err(anyhow::Error::msg)?;
        let file =
            FileConfig::load_or_default(config.config.as_deref()).map_err(anyhow::Error::msg)?;

        let url = config.common.database_url.expose_secret();
        let db = Db::connect(url, config.common.pool_settings()).await?;
        db.migrate().await?;
        let key = MasterKey::load_or_create(
            config.common.secret_key.as_ref(),
            &config.common.key_file_path(url),
        )
        .map_err(anyhow::Error::msg)?;

        let signer = Signer::load(KeyFiles::new(config.common.kcr_key_dir(url)))
            .map_err(anyhow::Error::msg)?;

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let public_url = config.public_url(local_addr);

        let state = AppState::build(&config, &file, db, key, signer, &public_url)
            .map_err(anyhow::Error::msg)?;
        let router = routes::router(
            state.clone(),
            &routes::RouterConfig {
                site_root: config.site_root.clone(),
                idle: time::Duration::minutes(i64::from(config.session_idle_minutes)),
                lifetime: time::Duration::hours(i64::from(config.session_lifetime_hours)),
                allowed_hosts: AllowedHosts::new(local_addr, &public_url, &config.allowed_hosts),
            },
        )?;
        tracing::info!(
            %local_addr,
            database = state.db.backend(),
            "berth ready"
        );
        Ok(Self {
            listener,
            router,
            state,
            local_addr,
            public_url,
            session_lifetime: time::Duration::hours(i64::from(config.session_lifetime_hours)),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL people reach this server at.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The shared state (tests read the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let housekeeping = tokio::spawn(housekeeping(self.state.db.clone(), self.session_lifetime));
        let rechecks = tokio::spawn(credential_rechecks(self.state.clone()));
        let refreshes = tokio::spawn(ecr_refreshes(self.state.clone()));
        let (stop_denials, stopping) = tokio::sync::watch::channel(false);
        let denials = tokio::spawn(kcr_denial_summaries(self.state.clone(), stopping));
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // TCP_NODELAY: without it a response written in more than one piece (a static file,
        // a streamed page) waits for the client's delayed ACK, 40 ms on Linux, whenever the
        // last piece is small (measured by `bench/run perf`: static files at 63 req/s on one
        // connection before, see bench/RESULTS.md).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server failed")?;
        housekeeping.abort();
        rechecks.abort();
        refreshes.abort();
        // What the open windows counted goes to the audit log before the pool closes (the
        // task finishes a write under way, then writes the rest).
        let _ = stop_denials.send(true);
        if let Err(err) = denials.await {
            tracing::warn!(error = %err, "the KCR denial writer ended badly");
        }
        self.state.db.close().await;
        tracing::info!("berth stopped");
        Ok(())
    }
}

/// Deletes expired sessions, finished throttle windows, expired invitations and device logins, every few
/// minutes.
async fn housekeeping(db: Db, session_lifetime: time::Duration) {
    let store = DbStore::new(&db, session_lifetime);
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "deleting expired sessions failed");
        }
        let day_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 86_400;
        if let Err(err) = throttle::purge_before(&db, day_ago).await {
            tracing::warn!(error = %err, "purging the sign-in throttle failed");
        }
        if let Err(err) = invitations::purge_expired(&db).await {
            tracing::warn!(error = %err, "purging expired invitations failed");
        }
        if let Err(err) = credential_imports::purge_expired(&db, day_ago + 86_400).await {
            tracing::warn!(error = %err, "purging expired credential imports failed");
        }
        if let Err(err) = device_grants::purge_expired(&db, day_ago + 86_400).await {
            tracing::warn!(error = %err, "purging expired device logins failed");
        }
        // The registry stops retrying a notification long before a week is over.
        if let Err(err) = kcr_images::purge_events_before(&db, day_ago - 6 * 86_400).await {
            tracing::warn!(error = %err, "purging applied KCR notification IDs failed");
        }
    }
}

/// Re-checks stored credentials in the background (`rules::credential_checks::recheck_due`):
/// a round every five minutes checks those not checked for `--credential-check-hours`, on
/// whichever replica holds the lease. Off with 0 hours.
async fn credential_rechecks(state: AppState) {
    if state.settings.credential_check_hours == 0 {
        return;
    }
    let holder = uuid::Uuid::now_v7().to_string();
    // The first round a minute after start: a restart loop does not become a check storm.
    let start = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(start, Duration::from_secs(300));
    loop {
        tick.tick().await;
        match credential_checks::recheck_due(&state, &holder).await {
            Ok(0) => {}
            Ok(checked) => tracing::info!(checked, "re-checked stored credentials"),
            Err(err) => tracing::warn!(error = %err, "the credential re-check failed"),
        }
    }
}

/// Refreshes the tokens of ECR credentials that are due (`rules::credential_sources`), in a
/// round every minute on whichever replica holds the lease. Always on: a credential that is
/// not refreshed stops working within 12 hours, whatever `--credential-check-hours` says.
async fn ecr_refreshes(state: AppState) {
    let holder = uuid::Uuid::now_v7().to_string();
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = state.clock.now();
        match credential_sources::refresh_due(&state, &holder, now).await {
            Ok(round) if round == Default::default() => {}
            Ok(round) => tracing::info!(
                stored = round.stored,
                failed = round.failed,
                lost = round.lost,
                "refreshed ECR tokens"
            ),
            Err(err) => tracing::warn!(error = %err, "the ECR token refresh failed"),
        }
    }
}

/// Writes the audit summaries of KCR denial windows as they close (`kcr::denials`), and all
/// of them once `stopping` turns true.
async fn kcr_denial_summaries(state: AppState, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            _ = stopping.changed() => true,
        };
        if let Err(err) = kcr_tokens::close_denials(&state, last).await {
            tracing::warn!(error = %err, "writing KCR denial summaries failed");
        }
        if last {
            return;
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
