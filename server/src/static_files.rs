//! The built site as plain files: `/pkg/*` (the content-hashed bundle and stylesheet) and any
//! other file under the site root. They are served outside the session,
//! cross-site and database layers (a static request reads no session and never carries a
//! `Set-Cookie` that a shared cache could hand to someone else), from the `.br`/`.gz` copies
//! `cargo xtask site` wrote (nothing is compressed per request), with `Last-Modified` for
//! revalidation.

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{Next, from_fn},
    response::IntoResponse,
};
use tower::ServiceExt;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Written by `cargo xtask site` at the site root: the hashed names of the bundle and the
/// stylesheet. A dot-file, so it is not served as a public file.
const ASSETS_FILE: &str = ".assets";

/// A hashed name changes with the content: browsers and caches may keep it for good.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// Files under a fixed name (the icon, and the bundle of a site built without hashing): kept
/// an hour, then revalidated (`Last-Modified` answers 304 while unchanged).
const FOR_AN_HOUR: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// The bundle and stylesheet names of the built site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteAssets {
    /// The Leptos output name: the page loads `/pkg/{bundle}.js` and `/pkg/{bundle}.wasm`.
    pub bundle: String,
    /// The stylesheet's file name in `/pkg`.
    pub stylesheet: String,
    /// Whether the names carry a content hash (and so may be cached for good).
    pub hashed: bool,
}

impl SiteAssets {
    /// The names recorded in the site root's manifest; the plain names `OUTPUT_NAME.js` etc.
    /// when there is none (a site built before hashing, or none at all).
    pub fn read(site_root: &Path, output_name: &str) -> Self {
        let plain = Self {
            bundle: output_name.to_owned(),
            stylesheet: format!("{output_name}.css"),
            hashed: false,
        };
        let Ok(text) = std::fs::read_to_string(site_root.join(ASSETS_FILE)) else {
            return plain;
        };
        match Self::parse(&text, output_name) {
            Some(assets) => assets,
            None => {
                tracing::warn!(
                    manifest = %site_root.join(ASSETS_FILE).display(),
                    "the asset manifest is not what `cargo xtask site` writes: using plain names"
                );
                plain
            }
        }
    }

    /// `bundle = NAME` and `stylesheet = NAME` lines, each a name of this output in `/pkg`.
    fn parse(text: &str, output_name: &str) -> Option<Self> {
        let value = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        let (bundle, stylesheet) = (value("bundle")?, value("stylesheet")?);
        let ours = |name: &str| {
            name.starts_with(&format!("{output_name}."))
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        (ours(&bundle) && ours(&stylesheet) && stylesheet.ends_with(".css")).then_some(Self {
            bundle,
            stylesheet,
            hashed: true,
        })
    }
}

/// The site at `site_root` in front of `app`: `/pkg/*` from the bundle folder, any other path
/// from the site root when a file is there, and everything else (pages, server functions, the
/// 404 page) from `app`. Files are looked up on each request, so files added to the site root
/// while Berth runs are served too; paths with a dot-segment (`/.assets`, `/.git/…`) never are.
pub fn router(site_root: &Path, assets: &SiteAssets, app: Router) -> Router {
    if !site_root.is_dir() {
        tracing::warn!(site_root = %site_root.display(), "no site root: serving no static files");
    }
    let pkg = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let lifetime = if assets.hashed {
        IMMUTABLE
    } else {
        FOR_AN_HOUR
    };
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(app.clone());
    let public = Router::new()
        .fallback_service(files)
        // `app`'s responses carry their own (`no-store`); only files get the hour.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            FOR_AN_HOUR,
        ))
        .layer(from_fn(move |req: Request, next: Next| {
            let app = app.clone();
            async move {
                if has_dot_segment(req.uri().path()) {
                    app.oneshot(req).await.into_response()
                } else {
                    next.run(req).await
                }
            }
        }));
    Router::new()
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    lifetime,
                ))
                .service(pkg),
        )
        .merge(public)
}

/// Whether a path names something hidden (`/.assets`) or climbs (`/a/../b`).
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| segment.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_hidden() {
        for path in ["/.assets", "/a/.git/config", "/pkg/../x", "/."] {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in ["/", "/favicon.svg", "/pkg/berth.0123.js", "/docs/page.html"] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[test]
    fn the_manifest_names_hashed_files_of_this_output_only() {
        let ok = SiteAssets::parse(
            "bundle = berth.0123456789abcdef\nstylesheet = berth.fedcba9876543210.css\n",
            "berth",
        );
        assert_eq!(
            ok,
            Some(SiteAssets {
                bundle: "berth.0123456789abcdef".into(),
                stylesheet: "berth.fedcba9876543210.css".into(),
                hashed: true,
            })
        );
        for bad in [
            "bundle = berth.1\n",
            "bundle = other.1\nstylesheet = berth.2.css",
            "bundle = berth.1\nstylesheet = berth.2.js",
            "bundle = berth.1/../x\nstylesheet = berth.2.css",
            "bundle = berth.1\"><script>\nstylesheet = berth.2.css",
        ] {
            assert_eq!(SiteAssets::parse(bad, "berth"), None, "{bad}");
        }
    }
}
