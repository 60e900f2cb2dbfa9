//! A credential check made by a plain form post (no JavaScript) is shown on the page that post
//! is sent back to: the report and the form's non-secret fields ride a one-minute HttpOnly
//! cookie on the redirect, and the page reads it when its URL says `checked=1`. Hydrated pages
//! call the check and show the report in place; they never use this.
//!
//! The cookie holds no password (the fields kept are named in [`KEPT_FIELDS`]) and only text
//! the page shows escaped; a forged one can only show its own maker something odd.

use crate::domain::credential_check::{CheckReport, KeptCheck};
use crate::server::http::request;
use axum::http::{HeaderValue, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};

/// The cookie's name.
pub const COOKIE: &str = "berth_check";

/// The only form fields kept with a report.
pub const KEPT_FIELDS: [&str; 6] = [
    "registry",
    "server",
    "username",
    "email",
    "expires_on",
    "image",
];

/// Largest cookie value written; a larger report is not kept (the status column still shows
/// a stored check).
const MAX_COOKIE: usize = 3800;

/// Keeps `report` for the page the plain post is sent back to.
pub fn keep(of: &str, report: &CheckReport, fields: &[(&str, &str)], https: bool) {
    let kept = KeptCheck {
        of: of.to_owned(),
        report: report.clone(),
        fields: fields
            .iter()
            .filter(|(k, _)| KEPT_FIELDS.contains(k))
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let Ok(json) = serde_json::to_vec(&kept) else {
        return;
    };
    let value = B64.encode(json);
    if value.len() > MAX_COOKIE {
        return;
    }
    let cookie = format!(
        "{COOKIE}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax{}",
        if https { "; Secure" } else { "" }
    );
    request::set_cookie(HeaderValue::from_str(&cookie).ok());
}

/// The check kept for the page `parts` asks for, when it was sent back with `checked=1`.
pub fn kept(parts: &axum::http::request::Parts) -> Option<KeptCheck> {
    let sent_back = parts.uri.query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "checked" && v == "1")
    });
    if !sent_back {
        return None;
    }
    let value = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))?;
    decode(value)
}

fn decode(value: &str) -> Option<KeptCheck> {
    serde_json::from_slice(&B64.decode(value).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::credential_check::{CheckStep, StepKind, StepState};

    #[test]
    fn a_kept_check_reads_back_and_bad_cookies_read_as_none() {
        let kept = KeptCheck {
            of: "add".into(),
            report: CheckReport {
                target: "https://r.example/v2/".into(),
                image: None,
                steps: vec![CheckStep {
                    kind: StepKind::Reach,
                    state: StepState::Passed,
                    detail: "HTTP 401 \"<b>\"".into(),
                    millis: Some(3),
                }],
                failure: None,
                summary: "OK".into(),
                millis: 3,
            },
            fields: BTreeMap::from([("server".into(), "r.example".into())]),
        };
        let value = B64.encode(serde_json::to_vec(&kept).unwrap());
        assert!(!value.contains([';', ' ', '"', ',', '=']));
        assert_eq!(decode(&value), Some(kept));
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&B64.encode(b"{}")), None);
    }
}
