//! Content-hashed asset names and precompressed copies, written at build time so the server
//! serves every asset as a plain file with a year-long `immutable` cache lifetime and never
//! compresses per request.
//!
//! `pkg/berth.js` and `pkg/berth.wasm` become `pkg/berth.HASH.js` and `pkg/berth.HASH.wasm`
//! (one hash over both: the JS glue and its wasm change together, and Leptos' hydration
//! script names both from one output name); `pkg/berth.css` becomes `pkg/berth.HASH.css`.
//! The names are recorded in `ASSETS_FILE` at the site root, which the server reads at start.

use std::{io::Write, path::Path};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The manifest the server reads (see `app::server::assets`). A dot-file: never served.
pub const ASSETS_FILE: &str = ".assets";

/// Renames the bundle and the stylesheet in `pkg` to content-hashed names, writes `.br` and
/// `.gz` copies of them and of the compressible public files at the top of `site`, and
/// records the names in `site/.assets`.
pub fn finish(site: &Path, output_name: &str) -> anyhow::Result<()> {
    let pkg = site.join("pkg");
    let js = pkg.join(format!("{output_name}.js"));
    let wasm = pkg.join(format!("{output_name}.wasm"));
    let css = pkg.join(format!("{output_name}.css"));

    let bundle = format!(
        "{output_name}.{}",
        short_hash(&[&std::fs::read(&js)?, &std::fs::read(&wasm)?])
    );
    let stylesheet = format!("{output_name}.{}.css", short_hash(&[&std::fs::read(&css)?]));
    let renamed = [
        (js, pkg.join(format!("{bundle}.js"))),
        (wasm, pkg.join(format!("{bundle}.wasm"))),
        (css, pkg.join(&stylesheet)),
    ];
    for (from, to) in &renamed {
        std::fs::rename(from, to)
            .with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
        precompress(to)?;
    }
    for entry in std::fs::read_dir(site)? {
        let path = entry?.path();
        let text = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "svg" | "txt" | "json" | "xml" | "webmanifest"));
        if path.is_file() && text {
            precompress(&path)?;
        }
    }
    std::fs::write(
        site.join(ASSETS_FILE),
        format!("bundle = {bundle}\nstylesheet = {stylesheet}\n"),
    )?;
    eprintln!("site: assets {bundle}.{{js,wasm}}, {stylesheet}");
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of `parts`, in order.
fn short_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `FILE.br` (brotli, best) and `FILE.gz` (gzip, best) beside `path`.
fn precompress(path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("an asset name is not UTF-8")?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        w.write_all(&bytes)?;
    }
    std::fs::write(path.with_file_name(format!("{name}.br")), br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    std::fs::write(path.with_file_name(format!("{name}.gz")), gz.finish()?)?;
    Ok(())
}

/// The hashed bundle name (`berth.HASH`) recorded in `site/.assets`.
pub fn bundle_name(site: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(site.join(ASSETS_FILE)).with_context(|| {
        format!(
            "reading {}/{ASSETS_FILE}: run `cargo xtask site` first",
            site.display()
        )
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix("bundle = "))
        .map(|s| s.trim().to_owned())
        .context("no `bundle = ` line in the asset manifest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_name_content_and_change_with_it() {
        let a = short_hash(&[b"js", b"wasm"]);
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, short_hash(&[b"js", b"wasm!"]));
        assert_eq!(a, short_hash(&[b"js", b"wasm"]));
    }

    #[test]
    fn finish_renames_precompresses_and_records() {
        let dir = std::env::temp_dir().join(format!("xtask-assets-{}", std::process::id()));
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("b.js"), "export default 1;").unwrap();
        std::fs::write(pkg.join("b.wasm"), [0u8, 97, 115, 109]).unwrap();
        std::fs::write(pkg.join("b.css"), "body{color:red}").unwrap();
        std::fs::write(dir.join("icon.svg"), "<svg/>").unwrap();

        finish(&dir, "b").unwrap();

        let bundle = bundle_name(&dir).unwrap();
        assert!(bundle.starts_with("b.") && bundle.len() == 18, "{bundle}");
        for ext in ["js", "wasm", "js.br", "js.gz", "wasm.br", "wasm.gz"] {
            assert!(
                pkg.join(format!("{bundle}.{ext}")).is_file(),
                "{bundle}.{ext}"
            );
        }
        assert!(!pkg.join("b.js").exists() && !pkg.join("b.css").exists());
        assert!(dir.join("icon.svg.br").is_file() && dir.join("icon.svg.gz").is_file());
        let manifest = std::fs::read_to_string(dir.join(ASSETS_FILE)).unwrap();
        let css = manifest
            .lines()
            .find_map(|l| l.strip_prefix("stylesheet = "))
            .unwrap();
        assert!(pkg.join(css).is_file(), "{manifest}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
