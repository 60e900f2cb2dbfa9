//! Cross-site request refusal, plain (JavaScript-free) form posts, security headers.

use app::api::{
    auth::{CurrentUser, SignOut, SignUp},
    orgs::CreateOrg,
};
use reqwest::StatusCode;

use crate::helpers::{
    Backend, PASSWORD, TestApp, error_body, set_cookie_line, sign_in_args, sign_up_args,
};
use crate::on_both;

async fn a_cross_site_form_post_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .request(sign_up_args("ann", "ann@example.com"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("app_user").await, 0);
}

async fn a_foreign_origin_without_fetch_metadata_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let res = app
        .request(SignOut {})
        .header("origin", "http://evil.test")
        .header("cookie", &ann.cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(ann.whoami().await.is_some(), "the session must survive");
}

async fn a_same_origin_plain_form_post_signs_in_and_redirects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let res = app
        .request(sign_in_args("ann", PASSWORD, None))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", format!("{}/login", app.base))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/");
}

async fn a_failed_plain_form_post_returns_to_the_form_showing_the_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let res = app
        .request(sign_in_args("ann", "wrong password!!", None))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("referer", format!("{}/login", app.base))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/login?", app.base)),
        "{location}"
    );
    let page = app
        .http
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("That email, username or password is not right."),
        "{page}"
    );
}

async fn responses_carry_a_request_id_and_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app.get("/login", None).await;

    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
}

async fn sign_in_never_sends_the_browser_to_another_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    for next in [
        "/\t/evil.example/x",
        "/\n/evil.example/x",
        "/\r\nLocation: http://evil.example",
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
    ] {
        let res = app
            .request(sign_in_args("ann", PASSWORD, Some(next)))
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();

        assert_eq!(res.status(), StatusCode::FOUND, "{next:?}");
        assert_eq!(res.headers()["location"], "/", "{next:?}");
    }
}

/// The nonce in a Content-Security-Policy header.
fn policy_nonce(policy: &str) -> String {
    let start = policy.find("'nonce-").unwrap() + "'nonce-".len();
    let end = policy[start..].find('\'').unwrap() + start;
    policy[start..end].to_owned()
}

async fn pages_allow_only_their_own_scripts_and_are_not_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let page = ann.get("/account").await;
    let again = ann.get("/account").await;
    let api = ann.send(CurrentUser {}).await;

    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = policy_nonce(&policy);
    let script_src = policy
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{policy}");
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_ne!(
        nonce,
        policy_nonce(again.headers()["content-security-policy"].to_str().unwrap()),
        "a nonce is used once"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{html}"
    );
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(!page_headers_have_hsts(&app).await);
}

async fn page_headers_have_hsts(app: &TestApp) -> bool {
    app.get("/login", None)
        .await
        .headers()
        .contains_key("strict-transport-security")
}

async fn an_https_public_url_turns_on_hsts_on_every_response(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--public-url", "https://berth.example.com"]).await;

    assert!(page_headers_have_hsts(&app).await);
    for path in [
        "/healthz",
        "/readyz",
        "/api/whoami",
        "/kcr/token",
        "/no-such-page",
    ] {
        let res = app.get(path, None).await;
        assert!(
            res.headers().contains_key("strict-transport-security"),
            "{path} answered {} without HSTS",
            res.status()
        );
    }
    let refused = app
        .http
        .get(format!("{}/login", app.base))
        .header("host", "elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 421);
    assert!(refused.headers().contains_key("strict-transport-security"));
}

async fn static_files_never_carry_a_session_cookie(backend: Backend) {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    std::fs::write(site.path().join("pkg/berth.css"), "body{}").unwrap();
    let app = TestApp::spawn_with(backend, &["--site-root", site.path().to_str().unwrap()]).await;
    let ann = app.sign_up("ann").await;

    let page = ann.get("/account").await;
    assert!(
        set_cookie_line(page.headers()).is_some(),
        "pages renew the cookie"
    );
    for path in ["/favicon.svg", "/pkg/berth.css"] {
        let res = ann.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
    }
}

async fn a_body_over_the_limit_is_refused_with_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let declared = raw_post(&app, "/api/sign_up", Body::Declared(10 * 1024 * 1024)).await;
    let streamed = raw_post(&app, "/api/sign_up", Body::Chunked(300 * 1024)).await;
    // A docker config.json import may send more (`credential_imports.rs` sends 1 MiB), but
    // not without end.
    let import = raw_post(
        &app,
        "/api/preview_credential_import",
        Body::Declared(5 * 1024 * 1024),
    )
    .await;

    for response in [declared, streamed, import] {
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(response.contains("\"kind\":\"too_large\""), "{response}");
    }
    assert_eq!(app.count("app_user").await, 0);
}

/// How [`raw_post`] sends its body.
enum Body {
    /// A `Content-Length` of this many bytes, and none of them sent.
    Declared(usize),
    /// This many bytes, chunked (no `Content-Length`).
    Chunked(usize),
}

/// A raw HTTP/1.1 POST (reqwest fails the call when the server answers before the body is
/// sent); returns the response as text.
async fn raw_post(app: &TestApp, path: &str, body: Body) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let framing = match body {
        Body::Declared(size) => format!("Content-Length: {size}"),
        Body::Chunked(_) => "Transfer-Encoding: chunked".to_owned(),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    if let Body::Chunked(size) = body {
        let chunk = vec![b'x'; 16 * 1024];
        let mut frames = Vec::new();
        for _ in 0..size.div_ceil(chunk.len()) {
            frames.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            frames.extend_from_slice(&chunk);
            frames.extend_from_slice(b"\r\n");
        }
        frames.extend_from_slice(b"0\r\n\r\n");
        // The server may refuse and close before it has read everything.
        let _ = stream.write_all(&frames).await;
    }
    // A server that waits for the whole declared body would never answer: give up after a while.
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
    String::from_utf8_lossy(&response).into_owned()
}

async fn a_request_for_another_host_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--allowed-hosts", "berth.test"]).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let with_host = |path: &'static str, host: String| {
        let app = &app;
        async move {
            app.http
                .get(format!("{}{path}", app.base))
                .header("host", host)
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    assert_eq!(
        with_host("/", format!("evil.example:{port}")).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    assert_eq!(
        with_host("/api/current_user", "evil.example".into()).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    assert_eq!(
        with_host("/", format!("localhost:{port}")).await,
        StatusCode::OK
    );
    assert_eq!(
        with_host("/", format!("berth.test:{port}")).await,
        StatusCode::OK
    );
    assert_eq!(
        with_host("/", format!("127.0.0.1:{port}")).await,
        StatusCode::OK
    );
    // Probes reach the process by any name.
    assert_eq!(
        with_host("/healthz", "10.1.2.3:9".into()).await,
        StatusCode::OK
    );
}

async fn names_that_hide_or_reverse_text_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .send(
            SignUp {
                email: "ann@example.com".into(),
                username: "ann".into(),
                display_name: "Ann\u{202E}nimda".into(),
                password: PASSWORD.into(),
            },
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ann = app.sign_up("ann").await;
    let org = ann
        .send(CreateOrg {
            name: "acme".into(),
            display_name: "Ac\u{200B}me".into(),
        })
        .await;

    assert_eq!(org.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_body(org).await["detail"]["display_name"]
            .as_str()
            .unwrap()
            .contains("U+200B")
    );
}

async fn an_overlong_password_is_refused_before_it_is_hashed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ann").await;

    let res = app.sign_in("ann", &"x".repeat(100_000)).await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_body(res).await["detail"]["password"]
            .as_str()
            .unwrap()
            .contains("1024")
    );
}

on_both!(
    sign_in_never_sends_the_browser_to_another_site,
    pages_allow_only_their_own_scripts_and_are_not_cached,
    an_https_public_url_turns_on_hsts_on_every_response,
    static_files_never_carry_a_session_cookie,
    a_body_over_the_limit_is_refused_with_413,
    a_request_for_another_host_is_refused,
    names_that_hide_or_reverse_text_are_refused,
    an_overlong_password_is_refused_before_it_is_hashed,
    a_cross_site_form_post_is_refused_and_changes_nothing,
    a_foreign_origin_without_fetch_metadata_is_refused,
    a_same_origin_plain_form_post_signs_in_and_redirects,
    a_failed_plain_form_post_returns_to_the_form_showing_the_error,
    responses_carry_a_request_id_and_security_headers,
);
