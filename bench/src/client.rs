//! Calls Berth the way the hydrated app and the CLI do: server functions as form posts with
//! a JSON answer, the session in a cookie handled by hand (so it can be replayed elsewhere).

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Response, StatusCode};

/// The password of every account the benchmarks create.
pub const PASSWORD: &str = "bench password that is long enough";

/// A client of one Berth base URL.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A client of `base` (`http://127.0.0.1:PORT`) with a 10-second timeout.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    /// Posts server function `name` with a form body.
    pub async fn call(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Result<Response> {
        let mut req = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("accept", "application/json")
            .form(form);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await
    }

    /// Posts server function `name` with a form body and a bearer `token`.
    pub async fn call_with_token(
        &self,
        name: &str,
        form: &[(&str, &str)],
        token: &str,
    ) -> reqwest::Result<Response> {
        self.http
            .post(format!("{}/api/{name}", self.base))
            .header("accept", "application/json")
            .bearer_auth(token)
            .form(form)
            .send()
            .await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Result<Response> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await
    }

    /// Makes a personal token with one `scope` in the session `cookie`; returns its text.
    pub async fn personal_token(&self, cookie: &str, scope: &str) -> anyhow::Result<String> {
        self.personal_token_with(cookie, &[scope]).await
    }

    /// Makes a personal token with `scopes` in the session `cookie`; returns its text.
    pub async fn personal_token_with(
        &self,
        cookie: &str,
        scopes: &[&str],
    ) -> anyhow::Result<String> {
        let mut form = vec![("label", "bench")];
        form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
        let res = self
            .call("create_personal_token", &form, Some(cookie))
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        if status != StatusCode::OK {
            bail!("create_personal_token answered {status}: {body}");
        }
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the answer")
    }

    /// Signs in and returns the session cookie (`berth_session=…`).
    pub async fn sign_in(&self, login: &str) -> anyhow::Result<String> {
        let res = self
            .call("sign_in", &[("login", login), ("password", PASSWORD)], None)
            .await?;
        session_cookie(res).await
    }

    /// Adds a credential for `server` to `owner/project`; `Ok(true)` when Berth said it did.
    pub async fn add_credential(
        &self,
        cookie: &str,
        (owner, project): (&str, &str),
        server: &str,
        password: &str,
    ) -> reqwest::Result<StatusCode> {
        let res = self
            .call(
                "add_credential",
                &[
                    ("owner", owner),
                    ("name", project),
                    ("registry", "other"),
                    ("server", server),
                    ("username", "bench"),
                    ("password", password),
                ],
                Some(cookie),
            )
            .await?;
        Ok(res.status())
    }
}

async fn session_cookie(res: Response) -> anyhow::Result<String> {
    let status = res.status();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with("berth_session="))
        .and_then(|line| line.split(';').next())
        .map(str::to_owned);
    if status != StatusCode::OK {
        bail!("sign-in answered {status}: {}", res.text().await?);
    }
    cookie.context("no session cookie")
}
