//! A credential tried against its registry the way a puller uses it (Docker Registry HTTP API
//! v2 / OCI distribution): `GET /v2/`; follow the challenge (Basic: the same request with the
//! username and password; Bearer: a token from the realm, with `service` and
//! `scope=repository:IMAGE:pull`, then `/v2/` with it); with an image, `HEAD` its manifest
//! (Docker Hub does not count a `HEAD` as a pull) or `GET` its tag list. Each step is reported
//! with its time and the registry's own error text; the whole check stops at
//! [`CHECK_LIMIT_SECS`]. Every request goes through `outbound` (no internal addresses unless
//! allowed, capped bodies). Nothing here logs or returns the password or the token.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};

use crate::domain::{
    credential::ImageRef,
    credential_check::{
        CHECK_LIMIT_SECS, Challenge, CheckReport, CheckStep, Failure, StepKind, StepState, clip,
        image_label, parse_challenge, pull_allowance, registry_error_text,
    },
    registry::DOCKER_HUB_HOST,
};
use crate::server::outbound::{CallError, Outbound, Policy, check_url, read_capped};

/// Largest body read from a registry or token service.
const BODY_MAX: usize = 64 * 1024;

/// The manifest types a pull accepts.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// What to check.
pub struct Target<'a> {
    /// `https://HOST[:PORT]` or `http://…` (see [`api_base`]).
    pub base: String,
    pub username: &'a str,
    pub password: &'a str,
    /// An image to try pulling.
    pub image: Option<&'a ImageRef>,
}

/// The API address of a credential's registry: `http://` only when its server says so, and
/// Docker Hub's API host for `docker.io`.
pub fn api_base(server: &str, registry_host: &str) -> String {
    let plain = server.trim().to_ascii_lowercase().starts_with("http://");
    let host = if registry_host == DOCKER_HUB_HOST {
        "registry-1.docker.io"
    } else {
        registry_host
    };
    format!("{}://{host}", if plain { "http" } else { "https" })
}

/// Runs the check; never fails (a failure is in the report).
pub async fn run(outbound: &Outbound, target: &Target<'_>) -> CheckReport {
    let started = Instant::now();
    let mut run = Run {
        client: &outbound.open,
        policy: &outbound.open_policy,
        outbound,
        target,
        deadline: tokio::time::Instant::now() + Duration::from_secs(CHECK_LIMIT_SECS),
        steps: Vec::new(),
        failure: None,
        secrets: secrets_of(target),
    };
    run.all().await;
    let millis = millis_since(started);
    let mut report = CheckReport {
        target: format!("{}/v2/", target.base),
        image: target.image.map(image_label),
        steps: run.steps,
        failure: run.failure,
        summary: String::new(),
        millis,
    };
    report.summary = report
        .reason()
        .unwrap_or_else(|| format!("OK ({millis} ms)"));
    report
}

/// The texts a report must not repeat for `target`: its password and its Basic credentials,
/// whole and base64-encoded.
fn secrets_of(target: &Target<'_>) -> Vec<String> {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let pair = format!("{}:{}", target.username, target.password);
    [
        target.password.to_owned(),
        STANDARD.encode(&pair),
        STANDARD.encode(target.password),
    ]
    .into_iter()
    .filter(|s| s.len() >= 4)
    .collect()
}

/// `text` with every secret replaced by `[redacted]`.
/// `text` with every secret replaced, as sent and as a registry's words reach the report
/// (`clean`ed: a password with a line break or an invisible character in it is shown changed).
fn redact(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |text, secret| {
        let shown = crate::domain::credential_check::clean(secret);
        let text = text.replace(secret.as_str(), "[redacted]");
        if shown.trim().is_empty() || shown == *secret {
            text
        } else {
            text.replace(shown.as_str(), "[redacted]")
        }
    })
}

fn millis_since(start: Instant) -> u32 {
    u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// How later requests authenticate.
enum Auth {
    /// No credentials asked for.
    None,
    Basic,
    Bearer(String),
}

/// A request that did not get an answer.
enum NoAnswer {
    TimedOut,
    Call(CallError),
}

struct Run<'a> {
    /// The client and policy for the registry's own host.
    client: &'a reqwest::Client,
    policy: &'a Policy,
    /// Both, for any other host (a token realm).
    outbound: &'a Outbound,
    target: &'a Target<'a>,
    deadline: tokio::time::Instant,
    steps: Vec<CheckStep>,
    failure: Option<Failure>,
    /// What no report may repeat: the password, the Basic header's value, a realm's token (a
    /// registry or proxy that echoes the request would otherwise put them on a page).
    secrets: Vec<String>,
}

impl Run<'_> {
    fn step(&mut self, kind: StepKind, state: StepState, detail: String, millis: Option<u32>) {
        let detail = redact(&detail, &self.secrets);
        self.steps.push(CheckStep {
            kind,
            state,
            detail: clip(&detail, 2 * crate::domain::credential_check::TEXT_MAX),
            millis,
        });
    }

    fn pass(&mut self, kind: StepKind, detail: String, millis: Option<u32>) {
        self.step(kind, StepState::Passed, detail, millis);
    }

    fn fail(&mut self, kind: StepKind, failure: Failure, detail: String, millis: Option<u32>) {
        self.failure = Some(failure);
        self.step(kind, StepState::Failed, detail, millis);
    }

    /// Whether `url` is on the registry's own host (any port).
    fn on_registry(&self, url: &reqwest::Url) -> bool {
        reqwest::Url::parse(&self.target.base).is_ok_and(|base| base.host_str() == url.host_str())
    }

    /// Sends `req` to `url` within the deadline, after the literal-address check of the policy
    /// for that host.
    async fn send(
        &self,
        url: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<(reqwest::Response, u32), NoAnswer> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| NoAnswer::Call(CallError::Other(format!("{url}: {e}"))))?;
        let policy = if self.on_registry(&parsed) {
            self.policy
        } else {
            &self.outbound.strict_policy
        };
        check_url(policy, &parsed)
            .map_err(|r| NoAnswer::Call(CallError::Refused(r.to_string())))?;
        let start = Instant::now();
        match tokio::time::timeout_at(self.deadline, req.send()).await {
            Err(_) => Err(NoAnswer::TimedOut),
            Ok(Err(e)) => Err(NoAnswer::Call(CallError::of(&e))),
            Ok(Ok(res)) => Ok((res, millis_since(start))),
        }
    }

    /// Reads a body within the deadline (a registry that stalls mid-body is cut off).
    async fn body(&self, res: reqwest::Response) -> Vec<u8> {
        tokio::time::timeout_at(self.deadline, read_capped(res, BODY_MAX))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Records a request that got no answer as the failure of step `kind`.
    fn no_answer(&mut self, kind: StepKind, what: &str, err: NoAnswer) {
        let limit = format!("no answer from {what} within the {CHECK_LIMIT_SECS} s limit");
        let (failure, detail) = match err {
            NoAnswer::TimedOut => (Failure::TimedOut, limit),
            NoAnswer::Call(CallError::Refused(text)) => (Failure::RefusedAddress, text),
            NoAnswer::Call(CallError::NoAddress(text)) => (Failure::UnknownHost, text),
            NoAnswer::Call(CallError::Connect(text)) => (
                Failure::CouldNotConnect,
                format!("could not connect to {what}: {text}"),
            ),
            NoAnswer::Call(CallError::Tls { text, plain_http }) => {
                let detail = if plain_http {
                    format!(
                        "{what} answered plain HTTP, not TLS. If this registry really has no \
                         TLS, give its server as http://{}.",
                        host_of(what)
                    )
                } else {
                    format!("the TLS handshake with {what} failed: {text}")
                };
                // The connection was made: on the first request that is the Reach step.
                let kind = if kind == StepKind::Reach {
                    self.pass(kind, format!("connected to {what}"), None);
                    StepKind::Tls
                } else {
                    kind
                };
                self.fail(kind, Failure::Tls, detail, None);
                return;
            }
            NoAnswer::Call(CallError::Redirect(text)) => (
                Failure::Unexpected,
                format!("{what} redirected where Berth does not follow: {text}"),
            ),
            NoAnswer::Call(CallError::Other(text)) => {
                (Failure::Unexpected, format!("{what}: {text}"))
            }
        };
        self.fail(kind, failure, detail, None);
    }

    fn with_auth(&self, req: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
        match auth {
            Auth::None if self.target.username.is_empty() && self.target.password.is_empty() => req,
            Auth::None | Auth::Basic => {
                req.basic_auth(self.target.username, Some(self.target.password))
            }
            Auth::Bearer(token) => req.bearer_auth(token),
        }
    }

    async fn all(&mut self) {
        let base = self.target.base.clone();
        let v2 = format!("{base}/v2/");
        let Some(auth) = self.reach_and_sign_in(&v2).await else {
            return;
        };
        if let Some(image) = self.target.image {
            self.pull(&base, image, &auth).await;
        }
    }

    /// Steps 1–3; the way to authenticate later requests, or `None` after a failure.
    async fn reach_and_sign_in(&mut self, v2: &str) -> Option<Auth> {
        let (res, ms) = match self.send(v2, self.client.get(v2)).await {
            Ok(answer) => answer,
            Err(err) => {
                self.no_answer(StepKind::Reach, &host_of(v2), err);
                return None;
            }
        };
        let status = res.status();
        let challenge = res
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The address a public name resolved to helps ("from 140.82.112.33:443"), as does a
        // literal address (it repeats what was typed); what an internal name resolves to
        // (allowed by `--registry-allow-private`) stays in Berth.
        let literal = reqwest::Url::parse(v2)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
            .is_some_and(|h| h.parse::<std::net::IpAddr>().is_ok());
        let from = res
            .remote_addr()
            .filter(|a| {
                let ip = a.ip().to_canonical();
                literal
                    || (crate::server::outbound::classify(ip).is_none()
                        && !self.policy.allow.iter().any(|net| net.contains(&ip)))
            })
            .map(|a| format!(" from {a}"))
            .unwrap_or_default();
        let body = self.body(res).await;
        if status != StatusCode::OK && status != StatusCode::UNAUTHORIZED {
            let detail = if status == StatusCode::NOT_FOUND {
                format!(
                    "{v2} answered 404: this is not a registry's API (Docker Registry HTTP API v2)"
                )
            } else {
                format!("{v2} answered HTTP {}{}", status.as_u16(), said(&body))
            };
            self.fail(StepKind::Reach, Failure::Unexpected, detail, Some(ms));
            return None;
        }
        self.pass(
            StepKind::Reach,
            format!("HTTP {}{from}", status.as_u16()),
            Some(ms),
        );
        if v2.starts_with("https://") {
            self.pass(
                StepKind::Tls,
                format!("certificate valid for {}", host_of(v2)),
                None,
            );
        } else {
            self.step(
                StepKind::Tls,
                StepState::Skipped,
                "plain HTTP: the server is given as http://, so nothing is encrypted".into(),
                None,
            );
        }
        if status == StatusCode::OK {
            self.step(
                StepKind::Auth,
                StepState::Skipped,
                "the registry asks for no credentials at /v2/".into(),
                None,
            );
            return Some(Auth::None);
        }
        match challenge.as_deref().and_then(parse_challenge) {
            Some(Challenge::Basic) => self.basic(v2).await,
            Some(Challenge::Bearer { realm, service }) => {
                self.bearer(v2, &realm, service.as_deref()).await
            }
            None => {
                let detail = format!(
                    "the registry answered 401 without a challenge Berth can follow \
                     (WWW-Authenticate: {})",
                    challenge.as_deref().unwrap_or("none")
                );
                self.fail(StepKind::Auth, Failure::Unexpected, detail, None);
                None
            }
        }
    }

    /// `GET /v2/` with `auth`: its status, body and time, or `None` after recording why it
    /// got no answer.
    async fn signed_in_v2(&mut self, v2: &str, auth: &Auth) -> Option<(StatusCode, Vec<u8>, u32)> {
        let req = self.with_auth(self.client.get(v2), auth);
        match self.send(v2, req).await {
            Ok((res, ms)) => Some((res.status(), self.body(res).await, ms)),
            Err(err) => {
                self.no_answer(StepKind::Auth, &host_of(v2), err);
                None
            }
        }
    }

    async fn basic(&mut self, v2: &str) -> Option<Auth> {
        let (status, body, ms) = self.signed_in_v2(v2, &Auth::Basic).await?;
        match status {
            StatusCode::OK => {
                self.pass(StepKind::Auth, "accepted (Basic)".into(), Some(ms));
                Some(Auth::Basic)
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let detail = format!(
                    "the registry refused the username and password{}",
                    said(&body)
                );
                self.fail(StepKind::Auth, Failure::AuthRefused, detail, Some(ms));
                None
            }
            other => {
                let detail = format!("{v2} answered HTTP {}{}", other.as_u16(), said(&body));
                self.fail(StepKind::Auth, Failure::Unexpected, detail, Some(ms));
                None
            }
        }
    }

    async fn bearer(&mut self, v2: &str, realm: &str, service: Option<&str>) -> Option<Auth> {
        let Ok(mut url) = reqwest::Url::parse(realm).map_err(drop).and_then(|u| {
            matches!(u.scheme(), "http" | "https")
                .then_some(u)
                .ok_or(())
        }) else {
            let detail = format!("the registry's token realm {realm:?} is not an http(s) URL");
            self.fail(StepKind::Auth, Failure::Unexpected, detail, None);
            return None;
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if let Some(image) = self.target.image {
                query.append_pair("scope", &format!("repository:{}:pull", image.repository));
            }
        }
        let realm_host = host_of(url.as_str());
        if v2.starts_with("https://") && url.scheme() == "http" {
            let detail = format!(
                "the registry names a token service over plain HTTP ({realm_host}); Berth does not send the password there unencrypted"
            );
            self.fail(StepKind::Auth, Failure::Unexpected, detail, None);
            return None;
        }
        // Another host than the registry's is held to the strict policy.
        let client = if self.on_registry(&url) {
            self.client
        } else {
            &self.outbound.strict
        };
        let req = self.with_auth(client.get(url.clone()), &Auth::Basic);
        let (res, token_ms) = match self.send(url.as_str(), req).await {
            Ok(answer) => answer,
            Err(err) => {
                self.no_answer(
                    StepKind::Auth,
                    &format!("the token service {realm_host}"),
                    err,
                );
                return None;
            }
        };
        let status = res.status();
        let body = self.body(res).await;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let detail = format!(
                "the token service {realm_host} refused the username and password{}",
                said(&body)
            );
            self.fail(StepKind::Auth, Failure::AuthRefused, detail, Some(token_ms));
            return None;
        }
        let token = (status == StatusCode::OK)
            .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .flatten()
            .and_then(|json| {
                ["token", "access_token"]
                    .iter()
                    .find_map(|k| json.get(k).and_then(|t| t.as_str()).map(str::to_owned))
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            let detail = format!(
                "the token service {realm_host} answered HTTP {} without a token{}",
                status.as_u16(),
                said(&body)
            );
            self.fail(StepKind::Auth, Failure::Unexpected, detail, Some(token_ms));
            return None;
        };
        if token.len() >= 4 {
            self.secrets.push(token.clone());
        }
        let auth = Auth::Bearer(token);
        let (status, body, ms) = self.signed_in_v2(v2, &auth).await?;
        let total = Some(token_ms.saturating_add(ms));
        if status == StatusCode::OK {
            let detail = format!("accepted: a token from {realm_host} (Bearer)");
            self.pass(StepKind::Auth, detail, total);
            return Some(auth);
        }
        let detail = format!(
            "the registry did not take the token from {realm_host}: HTTP {}{}",
            status.as_u16(),
            said(&body)
        );
        self.fail(StepKind::Auth, Failure::AuthRefused, detail, total);
        None
    }

    /// Step 4: may the credential pull the image?
    async fn pull(&mut self, base: &str, image: &ImageRef, auth: &Auth) {
        let label = image_label(image);
        let tags_url = format!("{base}/v2/{}/tags/list", image.repository);
        let reference = image.digest.as_ref().or(image.tag.as_ref());
        let (url, req) = match reference {
            Some(r) => {
                let url = format!("{base}/v2/{}/manifests/{r}", image.repository);
                let req = self
                    .client
                    .head(&url)
                    .header(header::ACCEPT, MANIFEST_TYPES);
                (url, req)
            }
            None => (tags_url.clone(), self.client.get(&tags_url)),
        };
        let req = self.with_auth(req, auth);
        let (res, ms) = match self.send(&url, req).await {
            Ok(answer) => answer,
            Err(err) => {
                self.no_answer(StepKind::Pull, &host_of(&url), err);
                return;
            }
        };
        let status = res.status();
        let digest = res
            .headers()
            .get("docker-content-digest")
            .and_then(|d| d.to_str().ok())
            .map(|d| format!(" (manifest {})", clip(d, 80)))
            .unwrap_or_default();
        // Docker Hub says on a manifest `HEAD` (which it does not count as a pull) how many
        // pulls the account has left: people cannot see that anywhere else.
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok());
        let allowance = pull_allowance(header("ratelimit-limit"), header("ratelimit-remaining"))
            .map(|a| format!("; {}", clip(&a, 80)))
            .unwrap_or_default();
        let mut body = self.body(res).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            let detail = format!(
                "the registry refuses more requests for now (HTTP 429: a rate or pull limit){allowance}{}",
                said(&body)
            );
            self.fail(StepKind::Pull, Failure::Unexpected, detail, Some(ms));
            return;
        }
        if status.is_success() {
            let what = if reference.is_some() {
                format!("allowed to pull {label}{digest}{allowance}")
            } else {
                format!("allowed to list the tags of {label}{allowance}")
            };
            self.pass(StepKind::Pull, what, Some(ms));
            return;
        }
        // A HEAD answer has no body: the tag list says why in the registry's words.
        if reference.is_some() {
            let req = self.with_auth(self.client.get(&tags_url), auth);
            if let Ok((res, _)) = self.send(&tags_url, req).await {
                let listed = res.status().is_success();
                body = self.body(res).await;
                if listed && status == StatusCode::NOT_FOUND {
                    let detail =
                        format!("{label}: the repository exists, but not this tag or digest");
                    self.fail(StepKind::Pull, Failure::NotFound, detail, Some(ms));
                    return;
                }
            }
        }
        let (failure, detail) = match status {
            StatusCode::NOT_FOUND => (
                Failure::NotFound,
                format!(
                    "{label} is not there, or is hidden from these credentials{}",
                    said(&body)
                ),
            ),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (
                Failure::Denied,
                format!("these credentials may not pull {label}{}", said(&body)),
            ),
            other => (
                Failure::Unexpected,
                format!("{url} answered HTTP {}{}", other.as_u16(), said(&body)),
            ),
        };
        self.fail(StepKind::Pull, failure, detail, Some(ms));
    }
}

/// `: TEXT` with the registry's own words from `body`, or nothing.
fn said(body: &[u8]) -> String {
    registry_error_text(body)
        .map(|t| format!(": {t}"))
        .unwrap_or_default()
}

/// `HOST[:PORT]` of a URL (the URL itself when it has none).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_redacted_as_the_report_shows_it_too() {
        let secrets = vec!["pa\u{200B}ss\nword-1".to_owned()];
        // What a registry echoed, after `registry_error_text` cleaned it.
        let shown = crate::domain::credential_check::clip("denied: pa\u{200B}ss\nword-1", 200);
        assert_eq!(shown, "denied: pass word-1");
        assert_eq!(redact(&shown, &secrets), "denied: [redacted]");
    }

    #[test]
    fn reports_never_repeat_the_password_or_the_basic_header() {
        let target = Target {
            base: String::new(),
            username: "ann",
            password: "hunter2-secret",
            image: None,
        };
        let secrets = secrets_of(&target);
        let echoed =
            "UNAUTHORIZED: Authorization: Basic YW5uOmh1bnRlcjItc2VjcmV0 for hunter2-secret";
        assert_eq!(
            redact(echoed, &secrets),
            "UNAUTHORIZED: Authorization: Basic [redacted] for [redacted]"
        );
    }

    #[test]
    fn the_api_base_follows_the_server_and_docker_hub() {
        assert_eq!(
            api_base("https://index.docker.io/v1/", "docker.io"),
            "https://registry-1.docker.io"
        );
        assert_eq!(api_base("ghcr.io", "ghcr.io"), "https://ghcr.io");
        assert_eq!(
            api_base("HTTP://127.0.0.1:5000", "127.0.0.1:5000"),
            "http://127.0.0.1:5000"
        );
        assert_eq!(host_of("https://ghcr.io/token?x=1"), "ghcr.io");
        assert_eq!(host_of("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    }
}
