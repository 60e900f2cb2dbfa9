//! The two AWS calls that keep an Amazon ECR credential alive: STS `AssumeRole` (when the
//! credential names a role) and ECR `GetAuthorizationToken`, signed with [`sigv4`].
//!
//! Only AWS's own endpoints are called, named from a region that [`crate::domain::ecr`] checked,
//! or the one endpoint the operator sets (`--aws-endpoint-url`, for AWS-compatible endpoints
//! and the tests' emulator). No redirects are followed; answers are read with a cap. An error
//! carries AWS's own code and message, which never hold the secret key.

pub mod sigv4;

#[cfg(test)]
mod emulator_tests;

use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;

pub use sigv4::Keys;

/// The largest answer read from AWS (an authorization token is about 2 KB).
const MAX_ANSWER: usize = 64 * 1024;

/// How Berth reaches AWS.
#[derive(Clone, Debug)]
pub struct Aws {
    http: reqwest::Client,
    /// `--aws-endpoint-url`: every service at this one base URL instead of AWS's hosts.
    endpoint: Option<String>,
}

/// Why a call failed, as AWS said it or as close as Berth can tell.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    /// AWS's error code (`AccessDenied`, `InvalidClientTokenId`, `ExpiredToken`, …), or
    /// Berth's own for what AWS did not answer (`Unreachable`, `BadAnswer`).
    pub code: String,
    /// AWS's message, or what went wrong.
    pub message: String,
}

/// Longest message kept from AWS.
const MESSAGE_MAX: usize = 300;

impl AwsError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(64)
                .collect(),
            message: clean_message(&message.into()),
        }
    }

    /// The same error with every occurrence of `secret` blanked out of its message.
    fn without(mut self, secret: Option<&SecretString>) -> Self {
        if let Some(secret) = secret.map(|s| s.expose_secret()).filter(|s| !s.is_empty()) {
            self.message = self.message.replace(secret, "[redacted]");
        }
        self
    }
}

/// AWS's message as Berth keeps and shows it: its first line, without the canonical request
/// or string to sign some services echo after a signature mismatch (they hold the signed
/// headers, the session token among them), at most [`MESSAGE_MAX`] characters.
fn clean_message(message: &str) -> String {
    let mut text = message.lines().next().unwrap_or_default();
    for echo in [
        "The Canonical String",
        "The String-to-Sign",
        "Canonical String",
    ] {
        if let Some(at) = text.find(echo) {
            text = &text[..at];
        }
    }
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MESSAGE_MAX)
        .collect()
}

/// A role session's keys from STS, and when they stop working.
#[derive(Clone, Debug)]
pub struct RoleSession {
    /// Temporary keys (with a session token).
    pub keys: Keys,
    /// When they expire.
    pub expires_at: OffsetDateTime,
}

/// What ECR's `GetAuthorizationToken` answers: a docker login good until `expires_at`.
#[derive(Clone, Debug)]
pub struct EcrToken {
    /// Always `AWS`.
    pub username: String,
    /// The registry password.
    pub password: SecretString,
    /// When ECR stops taking it (12 hours after it was made).
    pub expires_at: OffsetDateTime,
    /// The registry the token is for, e.g. `https://123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
    pub proxy_endpoint: String,
}

/// A role to assume before asking ECR.
#[derive(Clone, Copy, Debug)]
pub struct Role<'a> {
    /// `arn:aws:iam::ACCOUNT:role/NAME`.
    pub arn: &'a str,
    /// The external ID the role's trust policy asks for, if any.
    pub external_id: Option<&'a str>,
    /// Shown in the account's CloudTrail as who assumed the role.
    pub session_name: &'a str,
}

impl Aws {
    /// A client with `timeout` for a whole call. `endpoint` replaces AWS's hosts.
    pub fn new(endpoint: Option<String>, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("Berth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the AWS HTTP client: {e}"))?;
        let endpoint = endpoint.map(|e| e.trim_end_matches('/').to_owned());
        Ok(Self { http, endpoint })
    }

    /// The base URL of `service` (`sts`, `ecr`) in `region`.
    fn base(&self, service: &str, region: &str) -> String {
        if let Some(endpoint) = &self.endpoint {
            return endpoint.clone();
        }
        let host = if service == "ecr" {
            format!("api.ecr.{region}")
        } else {
            format!("{service}.{region}")
        };
        let domain = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://{host}.{domain}")
    }

    /// Signs and sends a POST to `service` in `region`; answers the status and body.
    async fn post(
        &self,
        keys: &Keys,
        service: &str,
        region: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), AwsError> {
        let base = self.base(service, region);
        let url = reqwest::Url::parse(&format!("{base}/"))
            .map_err(|e| AwsError::new("BadEndpoint", format!("{base}: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(AwsError::new("BadEndpoint", format!("{base} has no host"))),
        };
        let request = sigv4::Request {
            method: "POST",
            host: &host,
            path: url.path(),
            query: &[],
            headers,
            body,
        };
        let scope = sigv4::Scope { region, service };
        let signed = sigv4::sign(keys, scope, &request, OffsetDateTime::now_utc());
        let mut call = self.http.post(url.clone()).body(body.to_vec());
        for (name, value) in headers
            .iter()
            .copied()
            .chain(signed.iter().map(|(n, v)| (*n, v.as_str())))
        {
            call = call.header(name, value);
        }
        let res = call.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else {
                "could not be reached"
            };
            AwsError::new("Unreachable", format!("{base} {what}"))
        })?;
        let status = res.status();
        let body = super::read_capped(res, MAX_ANSWER)
            .await
            .map_err(|_| AwsError::new("Unreachable", format!("{base} broke off its answer")))?;
        Ok((status, body))
    }

    /// STS `AssumeRole`: temporary keys of `role`, asked for with `keys`, for an hour.
    pub async fn assume_role(
        &self,
        keys: &Keys,
        region: &str,
        role: Role<'_>,
    ) -> Result<RoleSession, AwsError> {
        let mut form = vec![
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", role.arn),
            ("RoleSessionName", role.session_name),
            ("DurationSeconds", "3600"),
        ];
        if let Some(external_id) = role.external_id {
            form.push(("ExternalId", external_id));
        }
        let body = form
            .iter()
            .map(|(name, value)| format!("{name}={}", sigv4::uri_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let (status, answer) = self
            .post(keys, "sts", region, &headers, body.as_bytes())
            .await?;
        let answer = String::from_utf8_lossy(&answer);
        if !status.is_success() {
            return Err(error_of(answer.as_bytes(), status).without(keys.session_token.as_ref()));
        }
        let field = |tag: &str| {
            xml_text(&answer, tag)
                .ok_or_else(|| AwsError::new("BadAnswer", format!("STS answered without {tag}")))
        };
        let expiration = field("Expiration")?;
        let expires_at =
            OffsetDateTime::parse(&expiration, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AwsError::new("BadAnswer", "STS answered an unreadable Expiration"))?;
        Ok(RoleSession {
            keys: Keys {
                access_key_id: field("AccessKeyId")?,
                secret_access_key: SecretString::from(field("SecretAccessKey")?),
                session_token: Some(SecretString::from(field("SessionToken")?)),
            },
            expires_at,
        })
    }

    /// ECR `GetAuthorizationToken` in `region` with `keys`.
    pub async fn ecr_token(&self, keys: &Keys, region: &str) -> Result<EcrToken, AwsError> {
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            (
                "x-amz-target",
                "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            ),
        ];
        let (status, answer) = self.post(keys, "ecr", region, &headers, b"{}").await?;
        if !status.is_success() {
            return Err(error_of(&answer, status).without(keys.session_token.as_ref()));
        }
        read_ecr_token(&answer)
    }
}

/// Reads `GetAuthorizationToken`'s answer.
fn read_ecr_token(answer: &[u8]) -> Result<EcrToken, AwsError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        authorization_data: Vec<Data>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        authorization_token: String,
        expires_at: f64,
        proxy_endpoint: String,
    }
    let bad = |what: &str| AwsError::new("BadAnswer", format!("ECR answered {what}"));
    let answer: Answer =
        serde_json::from_slice(answer).map_err(|_| bad("something other than a token"))?;
    let data = answer
        .authorization_data
        .into_iter()
        .next()
        .ok_or_else(|| bad("no authorization data"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data.authorization_token.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| bad("a token that is not base64 text"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| bad("a token without a user name"))?;
    let expires_at = OffsetDateTime::from_unix_timestamp(data.expires_at.floor() as i64)
        .map_err(|_| bad("an unreadable expiry"))?;
    Ok(EcrToken {
        username: username.to_owned(),
        password: SecretString::from(password.to_owned()),
        expires_at,
        proxy_endpoint: data.proxy_endpoint,
    })
}

/// The code and message of an error answer, in either protocol: a JSON one (ECR) has
/// `__type` as `…#CodeName` or `CodeName:…` and `message` or `Message`; an XML one (STS, and
/// the authentication errors of every service) has `<Code>` and `<Message>`.
fn error_of(answer: &[u8], status: reqwest::StatusCode) -> AwsError {
    let text = String::from_utf8_lossy(answer);
    if let Some(code) = xml_text(&text, "Code") {
        let message = xml_text(&text, "Message").unwrap_or_else(|| status.to_string());
        return AwsError::new(&code, message);
    }
    let value: serde_json::Value = serde_json::from_slice(answer).unwrap_or_default();
    let code = value
        .get("__type")
        .and_then(|t| t.as_str())
        .map(|t| t.rsplit('#').next().unwrap_or(t))
        .map(|t| t.split(':').next().unwrap_or(t))
        .filter(|t| !t.is_empty());
    let message = ["message", "Message"]
        .iter()
        .find_map(|key| value.get(*key).and_then(|m| m.as_str()))
        .map(str::to_owned)
        .unwrap_or_else(|| status.to_string());
    match code {
        Some(code) => AwsError::new(code, message),
        None => AwsError::new("HttpError", format!("AWS answered {status}")),
    }
}

/// The text of the first `<tag>…</tag>` in a flat AWS XML answer, entities decoded.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn endpoints_are_aws_own_hosts_unless_overridden() {
        let aws = Aws::new(None, Duration::from_secs(5)).unwrap();
        assert_eq!(
            aws.base("ecr", "eu-west-1"),
            "https://api.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            aws.base("sts", "us-east-2"),
            "https://sts.us-east-2.amazonaws.com"
        );
        assert_eq!(
            aws.base("sts", "cn-north-1"),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
        let local = Aws::new(
            Some("http://127.0.0.1:4566/".into()),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(local.base("ecr", "eu-west-1"), "http://127.0.0.1:4566");
    }

    #[test]
    fn an_ecr_answer_is_read_into_user_password_and_expiry() {
        let answer = br#"{"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldDp3aXRoOmNvbG9ucw==","expiresAt":1.7652E9,"proxyEndpoint":"https://1.dkr.ecr.eu-west-1.amazonaws.com"}]}"#;
        let token = read_ecr_token(answer).unwrap();
        assert_eq!(token.username, "AWS");
        assert_eq!(token.password.expose_secret(), "secret:with:colons");
        assert_eq!(token.expires_at.unix_timestamp(), 1_765_200_000);
        let err = read_ecr_token(br#"{"authorizationData":[]}"#).unwrap_err();
        assert_eq!(err.code, "BadAnswer");
        let err = read_ecr_token(
            br#"{"authorizationData":[{"authorizationToken":"bm9jb2xvbg==","expiresAt":1,"proxyEndpoint":""}]}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("without a user name"), "{err}");
    }

    #[test]
    fn messages_are_one_short_line_without_what_aws_echoes_of_the_request() {
        let echo = "The request signature we calculated does not match the signature you provided. \
                    The Canonical String for this request should have been\n'POST\n/\n\n\
                    x-amz-security-token:SESSION-TOKEN-MARKER\n'";
        let err = AwsError::new("InvalidSignatureException", echo);
        assert_eq!(
            err.message,
            "The request signature we calculated does not match the signature you provided."
        );
        let long = AwsError::new("X", "a".repeat(5_000));
        assert_eq!(long.message.len(), MESSAGE_MAX);
        let token = SecretString::from("tok-123");
        let err = AwsError::new("ExpiredToken", "token tok-123 expired").without(Some(&token));
        assert_eq!(err.message, "token [redacted] expired");
        assert_eq!(AwsError::new("Bad<b>Code</b>", "").code, "BadbCodeb");
    }

    #[test]
    fn aws_error_codes_are_read_from_both_protocols() {
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                   <Message>User: x is not authorized to perform: sts:AssumeRole &amp; more</Message>\
                   </Error></ErrorResponse>";
        let err = error_of(xml.as_bytes(), reqwest::StatusCode::FORBIDDEN);
        assert_eq!(err.code, "AccessDenied");
        assert!(err.message.ends_with("sts:AssumeRole & more"), "{err}");
        let json = br#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
        let err = error_of(json, reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "UnrecognizedClientException");
        let json = br#"{"__type":"InvalidSignatureException:","Message":"Signature expired"}"#;
        let err = error_of(json, reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidSignatureException", "Signature expired")
        );
        let err = error_of(
            b"<html>proxy error</html>",
            reqwest::StatusCode::BAD_GATEWAY,
        );
        assert_eq!(err.code, "HttpError");
        assert!(err.message.contains("502"), "{err}");
    }
}
