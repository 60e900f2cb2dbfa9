//! Response headers that limit what a response can do in a browser: the Content-Security-Policy
//! (pages get one with the per-response nonce Leptos puts on its own scripts, everything else
//! a policy that allows nothing), `Cache-Control: no-store` on pages and server-function
//! answers (they carry account data), and HSTS on every response when Berth is served over
//! https.
//!
//! The page policy allows scripts only from this origin or with this response's nonce, so markup
//! that slipped into a page (an injected `<script>` or `onerror=`) does not run.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Where browsers send reports of what the policy blocked (logged by the server).
pub const REPORT_PATH: &str = "/csp-report";

/// The policy of an HTML page rendered with `nonce` on its scripts. `'wasm-unsafe-eval'` lets
/// the hydration bundle compile; it allows WebAssembly only, not `eval`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; \
         report-uri {REPORT_PATH}"
    )
}

/// The policy of anything that is not a rendered page (server-function answers, errors): a
/// browser that opens one directly runs and loads nothing from it.
pub const NON_PAGE_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Sets the page policy for the page being rendered, with the nonce Leptos generated for it.
/// Called from the render context of every page (and of server functions, where there is no
/// nonce and nothing happens).
pub fn set_page_policy() {
    use leptos::prelude::use_context;

    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = HeaderValue::from_str(&page_policy(&nonce))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The HSTS value: a year, this host only (a console often shares a parent domain with hosts
/// that are not https).
pub const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// Adds the headers every dynamic response needs unless the handler set its own: the
/// non-page CSP and `no-store`.
pub async fn dynamic_responses(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(NON_PAGE_POLICY));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Adds HSTS to every response, whatever answered it (pages, files, health checks, refusals
/// of the host check), when `https` is true.
pub async fn hsts(https: bool, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if https {
        res.headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_no_inline_script_without_the_nonce() {
        let policy = page_policy("abc123");
        let scripts = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap();
        assert!(scripts.contains("'nonce-abc123'"));
        assert!(!scripts.contains("unsafe-inline"));
        assert!(!scripts.contains("'unsafe-eval'"));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{directive}");
        }
    }
}
