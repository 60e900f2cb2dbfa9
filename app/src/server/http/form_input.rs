//! What a person typed survives a failed plain form post. Pages are server-rendered and forms
//! are plain posts (islands), so a refused form comes back as a new page; without this it
//! would come back empty. When a form post to a server function fails (the 303 back to the
//! form), its fields go into a short-lived cookie, and the form shown by that redirect (the
//! URL names the function in `__path`) fills its fields from it.
//!
//! Never kept: any field whose name says password, token or secret. The cookie is HttpOnly,
//! lives a minute, holds the fields of one form, and is used only on the page the failed post
//! was sent back to. Its values are the person's own input and reach the page only through
//! escaped attribute values and text.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use server_fn::error::SERVER_FN_ERROR_HEADER;

use crate::domain::request::KeptForm;
use crate::server::http::middleware::body_limit;

/// The cookie's name.
pub const COOKIE: &str = "berth_form";

/// Largest cookie written (browsers keep about 4 KB per cookie); larger input is not kept.
const MAX_COOKIE: usize = 3 * 1024;

/// How long the input is kept: long enough for the redirect it rides on.
const LIFETIME_SECS: u32 = 60;

/// Keeps the fields of a plain form post to `/api/*` that fails (see the module docs).
pub async fn keep_failed_input(https: bool, req: Request, next: Next) -> Response {
    if !is_plain_form_post(&req) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, body_limit(&path)).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let mut res = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let failed_back_to_form =
        res.status() == StatusCode::SEE_OTHER && res.headers().contains_key(SERVER_FN_ERROR_HEADER);
    if failed_back_to_form
        && let Some(value) = cookie_value(&path, &bytes)
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{COOKIE}={value}; Path=/; Max-Age={LIFETIME_SECS}; HttpOnly; SameSite=Lax{}",
            if https { "; Secure" } else { "" }
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

/// A form post from a page (not a JSON call of a client).
fn is_plain_form_post(req: &Request) -> bool {
    let header_has = |name: header::HeaderName, text: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(text))
    };
    req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && header_has(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        && !header_has(header::ACCEPT, "application/json")
}

/// Whether a field's value must never be kept: secrets by name, and a pasted docker
/// config.json (`credential_import::field::CONFIG`), which is full of them.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name == crate::domain::credential_import::field::CONFIG {
        return true;
    }
    ["password", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

/// `fn=PATH&NAME=VALUE…` (form-encoded, so cookie-safe) without secret fields; `None` when
/// it would be too large to keep.
fn cookie_value(path: &str, body: &[u8]) -> Option<String> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("fn", path);
    for (name, value) in form_urlencoded::parse(body) {
        if !is_secret(&name) && name != "fn" {
            out.append_pair(&name, &value);
        }
    }
    let value = out.finish();
    (value.len() <= MAX_COOKIE).then_some(value)
}

/// The fields a failed plain post kept, when `parts` is the request of the page it was sent
/// back to (its URL names the function in `__path`).
pub fn kept_form(parts: &axum::http::request::Parts) -> Option<KeptForm> {
    let fn_path = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "__path")
            .map(|(_, v)| v.into_owned())
    })?;
    let cookie = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))?
        .to_owned();
    read(&cookie).filter(|kept| kept.fn_path == fn_path)
}

/// A cookie value's function path and fields.
fn read(cookie: &str) -> Option<KeptForm> {
    let mut pairs = form_urlencoded::parse(cookie.as_bytes());
    let (key, fn_path) = pairs.next()?;
    (key == "fn").then(|| KeptForm {
        fn_path: fn_path.into_owned(),
        fields: pairs
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_kept_and_the_rest_is_found_again() {
        let body = b"email=ann%40example.com&username=Bad+Name&password=hunter2hunter2\
&current_password=x&token=t&new_secret=s&docker_config=%7B%22auths%22&display_name=%3Cb%3E%3B%22";
        let value = cookie_value("/api/sign_up", body).unwrap();
        for leaked in ["hunter2", "current_password", "token", "secret", "auths"] {
            assert!(!value.contains(leaked), "{leaked} in {value}");
        }
        assert!(
            !value.contains([';', ' ', '"', ',']),
            "not cookie-safe: {value}"
        );
        let kept = read(&value).unwrap();
        assert_eq!(
            kept.get("/api/sign_up", "email").as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(
            kept.get("/api/sign_up", "display_name").as_deref(),
            Some("<b>;\"")
        );
        assert_eq!(kept.get("/api/sign_up", "password"), None);
        // Another form's page does not take them.
        assert_eq!(kept.get("/api/sign_in", "email"), None);
    }

    #[test]
    fn large_input_is_not_kept() {
        let body = format!("description={}", "x".repeat(MAX_COOKIE));
        assert_eq!(cookie_value("/api/create_project", body.as_bytes()), None);
    }
}
