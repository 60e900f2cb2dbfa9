//! Calls to a Berth server: its server functions (`/api/NAME`: GET with a query string, POST
//! with a form) with `Authorization: Bearer`, and the device-login endpoints. Errors become a
//! [`Failure`] whose message a person can act on.

use std::time::Duration;

use app::error::AppError;
use serde::de::DeserializeOwned;

use super::failure::{Failure, exit};

/// A Berth server, and the token to call it with.
pub struct Api {
    pub base: String,
    token: Option<String>,
    http: reqwest::Client,
}

/// Reads a server URL: `https://`, or `http://` to this machine only (a token must not cross
/// a network in the clear); no trailing slash.
pub fn parse_url(url: &str) -> Result<String, Failure> {
    let url = url.trim().trim_end_matches('/');
    let not_url = || {
        Failure::usage(format!(
            "\"{url}\" is not a Berth URL: give it as https://HOST (or http://127.0.0.1:PORT)"
        ))
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| not_url())?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        "http" if parsed.host().is_some() => Err(Failure::usage(format!(
            "{url} is plain http to another machine: the token would cross the network in the clear; use https"
        ))),
        _ => Err(not_url()),
    }
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Result<Self, Failure> {
        let base = parse_url(base)?;
        // Plain http is for this machine only (see `parse_url`) and nothing is redirected, so
        // such a client never needs the system's CA certificates: not reading them saves the
        // credential helper, run before every pull, a few milliseconds per run.
        let tls = !base
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        let mut builder = reqwest::Client::builder().tls_built_in_root_certs(tls);
        if !tls {
            // Loopback: a proxy from the environment would see the token in the clear.
            builder = builder.no_proxy();
        }
        let http = builder
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("berth-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::new(exit::OTHER, format!("cannot start an HTTP client: {e}")))?;
        Ok(Self { base, token, http })
    }

    fn unreachable(&self, err: &reqwest::Error) -> Failure {
        let why = if err.is_timeout() {
            "it did not answer within 30 seconds".to_owned()
        } else if err.is_connect() {
            "the connection was refused or the host is unknown".to_owned()
        } else {
            err.to_string()
        };
        Failure::new(
            exit::UNAVAILABLE,
            format!("cannot reach Berth at {}: {why}", self.base),
        )
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    /// Calls a GET server function.
    pub async fn get<T: DeserializeOwned>(
        &self,
        name: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let req = self
            .http
            .get(format!("{}/api/{name}", self.base))
            .query(query)
            .header(reqwest::header::ACCEPT, "application/json");
        self.send(self.authorize(req)).await
    }

    /// Calls a POST server function with form arguments.
    pub async fn post<T: DeserializeOwned>(
        &self,
        name: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let req = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .form(form)
            .header(reqwest::header::ACCEPT, "application/json");
        self.send(self.authorize(req)).await
    }

    /// Calls a POST server function that answers nothing worth reading (a redirect for
    /// browsers).
    pub async fn post_unit(&self, name: &str, form: &[(&str, &str)]) -> Result<(), Failure> {
        self.post::<serde_json::Value>(name, form).await.map(drop)
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, Failure> {
        let res = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() || status.is_redirection() {
            if bytes.is_empty() || status.is_redirection() {
                return serde_json::from_slice(b"null")
                    .map_err(|_| self.unexpected(status.as_u16()));
            }
            return serde_json::from_slice(&bytes).map_err(|_| self.unexpected(status.as_u16()));
        }
        Err(self.refused(status.as_u16(), &bytes))
    }

    fn unexpected(&self, status: u16) -> Failure {
        Failure::new(
            exit::UNAVAILABLE,
            format!(
                "{} answered {status} with something that is not Berth's answer: is this a Berth server?",
                self.base
            ),
        )
    }

    /// The failure for an error answer.
    pub fn refused(&self, status: u16, body: &[u8]) -> Failure {
        let message = match serde_json::from_slice::<AppError>(body) {
            Ok(AppError::Invalid(fields)) => {
                let mut lines: Vec<String> = fields
                    .iter()
                    .map(|(field, message)| format!("{field}: {message}"))
                    .collect();
                lines.sort();
                lines.join("\n")
            }
            Ok(err) => err.to_string(),
            Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
        };
        let (code, message) = match status {
            401 => (
                exit::UNAUTHENTICATED,
                format!(
                    "{message}\nLog in with `berth login` (or give a valid token in BERTH_TOKEN)."
                ),
            ),
            403 => (exit::FORBIDDEN, message),
            404 => (exit::NOT_FOUND, message),
            400 | 409 | 413 | 422 => (exit::INVALID, message),
            _ => (
                exit::UNAVAILABLE,
                format!("Berth answered {status}: {message}"),
            ),
        };
        Failure::new(code, message)
    }

    /// Posts a form to a non-API path (the device-login endpoints): the status and the JSON.
    pub async fn post_raw(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, serde_json::Value), Failure> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(|e| self.unreachable(&e))?;
        let json = serde_json::from_slice(&bytes).map_err(|_| self.unexpected(status))?;
        Ok((status, json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_over_https_or_to_this_machine_only() {
        for ok in [
            "https://berth.example.com",
            "https://berth.example.com:8443/",
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert!(parse_url(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_url("https://b.example.com/").unwrap(),
            "https://b.example.com"
        );
        let err = parse_url("http://berth.example.com").unwrap_err();
        assert!(err.message.contains("in the clear"), "{err}");
        for bad in ["berth.example.com", "ftp://x", "", "http://"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
