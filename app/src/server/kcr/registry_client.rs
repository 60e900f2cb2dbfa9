//! Berth calling a region's registry itself, with a token it signs for itself (`sub` =
//! `berth`): reading a pushed manifest (for the image's size) and deleting one. Only Berth
//! gets such tokens; the token service never grants them to a client.

use std::{sync::OnceLock, time::Duration};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::{
    kcr::signing::{TOKEN_SECS, now_secs},
    rules::kcr_tokens::ISSUER,
    state::AppState,
};

/// The `sub` of Berth's own tokens (notifications of its own deletes carry it).
pub const BERTH_SUBJECT: &str = "berth";

/// How long Berth waits for the registry.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Largest manifest read.
const MAX_MANIFEST: usize = 4 * 1024 * 1024;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let builder = || {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
        };
        // A system store with no certificate rustls can read fails the build: the registry
        // (usually plain http on loopback, or a public certificate) does without it.
        builder()
            .build()
            .or_else(|_| builder().tls_built_in_native_certs(false).build())
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "no HTTP client for the KCR registry");
                reqwest::Client::new()
            })
    })
}

/// What went wrong talking to the registry, for the log and a 503.
fn unreachable(region: &str, err: impl std::fmt::Display) -> AppError {
    tracing::warn!(region, error = %err, "the KCR registry did not answer");
    AppError::Upstream(format!(
        "The registry of region {region} did not answer as expected; try again shortly."
    ))
}

/// A token for Berth itself on `repository` of `region`'s registry.
fn own_token(
    state: &AppState,
    region: &str,
    repository: &str,
    actions: &[&str],
) -> Result<String, AppError> {
    let host = state
        .settings
        .region(region)
        .map(|r| r.kcr_host.clone())
        .ok_or_else(|| AppError::NotFound(format!("There is no region \"{region}\".")))?;
    let now = now_secs();
    let claims = json!({
        "iss": ISSUER,
        "sub": BERTH_SUBJECT,
        "aud": host,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_SECS,
        "jti": Uuid::now_v7().simple().to_string(),
        "access": [{"type": "repository", "name": repository, "actions": actions}],
    });
    state.kcr.key().sign(&claims).map_err(|e| {
        tracing::error!(error = %e, "signing Berth's own KCR token failed");
        AppError::Internal
    })
}

fn base_url<'a>(state: &'a AppState, region: &str) -> Result<&'a str, AppError> {
    state
        .settings
        .registry_urls
        .get(region)
        .map(String::as_str)
        .ok_or_else(|| AppError::NotFound(format!("There is no region \"{region}\".")))
}

/// The size of the image `digest` in `repository` (config and layers; for an index, the sum
/// of its manifests' own sizes), or `None` when the registry could not say.
pub async fn image_size(
    state: &AppState,
    region: &str,
    repository: &str,
    digest: &str,
) -> Option<i64> {
    let manifest = match manifest(state, region, repository, digest).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(repository, digest, error = %e, "could not read a pushed manifest");
            return None;
        }
    };
    let sizes = |key: &str| -> i64 {
        manifest[key]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["size"].as_i64()).sum())
            .unwrap_or(0)
    };
    let config = manifest["config"]["size"].as_i64().unwrap_or(0);
    Some(config + sizes("layers") + sizes("manifests"))
}

async fn manifest(
    state: &AppState,
    region: &str,
    repository: &str,
    digest: &str,
) -> Result<Value, String> {
    let token = own_token(state, region, repository, &["pull"]).map_err(|e| e.to_string())?;
    let base = base_url(state, region).map_err(|e| e.to_string())?;
    let res = client()
        .get(format!("{base}/v2/{repository}/manifests/{digest}"))
        .bearer_auth(token)
        .header(
            reqwest::header::ACCEPT,
            crate::domain::images::MANIFEST_TYPES.join(", "),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("registry answered {}", res.status()));
    }
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > MAX_MANIFEST {
        return Err("manifest too large".into());
    }
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Deletes the manifest `digest` from `repository` (and so every tag on it). `Ok(false)` when
/// the registry no longer had it.
pub async fn delete_manifest(
    state: &AppState,
    region: &str,
    repository: &str,
    digest: &str,
) -> Result<bool, AppError> {
    let token = own_token(state, region, repository, &["delete"])?;
    let base = base_url(state, region)?;
    let res = client()
        .delete(format!("{base}/v2/{repository}/manifests/{digest}"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| unreachable(region, e))?;
    match res.status().as_u16() {
        200..=299 => Ok(true),
        404 => Ok(false),
        405 => Err(AppError::Upstream(
            "The registry refuses deletes: set storage.delete.enabled (berth kcr registry-config does).".into(),
        )),
        status => Err(unreachable(region, format!("registry answered {status}"))),
    }
}
