//! The built site's files: pages name the content-hashed bundle and stylesheet; those are
//! served from their precompressed copies with a year-long `immutable` lifetime; every file
//! of the site root is served outside the session and database layers (they are served while the database is gone, and with a
//! session cookie they neither read nor renew it).

use reqwest::{StatusCode, header};

use crate::helpers::{Backend, TestApp};
use crate::on_both;

const BUNDLE: &str = "berth.0123456789abcdef";
const STYLESHEET: &str = "berth.fedcba9876543210.css";
/// Not brotli at all: served as is, it proves the precompressed file was sent (a response
/// compressed on the fly would decode to the original instead).
const BROTLI_COPY: &[u8] = b"precompressed wasm";

/// A site root as `cargo xtask site` leaves it, with a bench-style folder of plain files.
fn built_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join(format!("{BUNDLE}.js")), "export default 1;").unwrap();
    std::fs::write(pkg.join(format!("{BUNDLE}.wasm")), [0u8, 97, 115, 109, 1]).unwrap();
    std::fs::write(pkg.join(format!("{BUNDLE}.wasm.br")), BROTLI_COPY).unwrap();
    std::fs::write(pkg.join(STYLESHEET), "body{}").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    std::fs::create_dir(site.path().join("docs")).unwrap();
    std::fs::write(site.path().join("docs/page.html"), "<p>static</p>").unwrap();
    std::fs::write(
        site.path().join(".assets"),
        format!("bundle = {BUNDLE}\nstylesheet = {STYLESHEET}\n"),
    )
    .unwrap();
    site
}

async fn pages_name_the_hashed_bundle_and_stylesheet(backend: Backend) {
    let site = built_site();
    let app = TestApp::spawn_with(backend, &["--site-root", site.path().to_str().unwrap()]).await;

    let html = app.get("/login", None).await.text().await.unwrap();

    for path in [
        format!("/pkg/{BUNDLE}.js"),
        format!("/pkg/{BUNDLE}.wasm"),
        format!("/pkg/{STYLESHEET}"),
    ] {
        assert!(html.contains(&path), "{path} not in the page: {html}");
    }
    assert!(!html.contains("/pkg/berth.js") && !html.contains("/pkg/berth.css"));
}

async fn hashed_files_are_immutable_and_come_precompressed(backend: Backend) {
    let site = built_site();
    let app = TestApp::spawn_with(backend, &["--site-root", site.path().to_str().unwrap()]).await;
    let wasm = format!("/pkg/{BUNDLE}.wasm");

    let br = app
        .http
        .get(format!("{}{wasm}", app.base))
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();
    let plain = app.get(&wasm, None).await;
    let icon = app.get("/favicon.svg", None).await;

    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(
        br.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(br.bytes().await.unwrap(), BROTLI_COPY);
    // Without a `.gz` copy and without asking for br, the file itself.
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(
        plain.bytes().await.unwrap().as_ref(),
        [0u8, 97, 115, 109, 1]
    );
    // A fixed name is revalidated after an hour: `Last-Modified` makes that a 304.
    assert_eq!(
        icon.headers()[header::CACHE_CONTROL],
        "public, max-age=3600"
    );
    let modified = icon.headers()[header::LAST_MODIFIED].clone();
    let again = app
        .http
        .get(format!("{}/favicon.svg", app.base))
        .header(header::IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // The manifest is not a public file of its own.
    assert_eq!(
        app.get("/.assets", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn static_files_are_served_without_the_database(backend: Backend) {
    let site = built_site();
    let app = TestApp::spawn_with(backend, &["--site-root", site.path().to_str().unwrap()]).await;
    let ann = app.sign_up("ann").await;

    app.state.db.close().await;
    // Added while Berth runs (the benchmarks write their static twin so).
    std::fs::write(site.path().join("docs/late.html"), "<p>late</p>").unwrap();

    let page = ann.get("/account").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    for path in [
        format!("/pkg/{BUNDLE}.js"),
        format!("/pkg/{STYLESHEET}"),
        "/favicon.svg".to_owned(),
        "/docs/page.html".to_owned(),
        "/docs/late.html".to_owned(),
    ] {
        let res = ann.get(&path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get(header::SET_COOKIE).is_none(), "{path}");
    }
}

on_both!(
    pages_name_the_hashed_bundle_and_stylesheet,
    hashed_files_are_immutable_and_come_precompressed,
    static_files_are_served_without_the_database,
);
