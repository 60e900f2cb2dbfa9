//! `cargo xtask site [--dev]`: builds the browser side into `target/site`:
//! the hydrate crate for wasm32, wasm-bindgen (as a library, so no CLI to install), wasm-opt
//! from npm's binaryen (release only; Debian's binaryen breaks hydration), Tailwind from npm,
//! and the files of `public/`; then content-hashed names and precompressed copies (`assets`).
//! `cargo xtask bundle`: checks the built bundle's size against `bench/bundle-budget.toml`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, bail};

mod assets;
mod bundle;

const OUTPUT_NAME: &str = "berth";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("site") => site(args.iter().any(|a| a == "--dev")),
        Some("bundle") => {
            let root = root();
            bundle::check(
                &target_dir(&root).join("site"),
                &root.join("bench/bundle-budget.toml"),
            )
        }
        _ => bail!("usage: cargo xtask site [--dev] | cargo xtask bundle"),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn site(dev: bool) -> anyhow::Result<()> {
    let root = root();
    let target = target_dir(&root);
    // Where Berth will look for it (`--site-root`), when said; else `target/site`.
    let site = std::env::var_os("BERTH_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("site"));
    let pkg = site.join("pkg");
    // A fresh `pkg`: hashed names of earlier builds must not pile up (or be served).
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg)?;
    }
    std::fs::create_dir_all(&pkg)?;
    let profile = if dev { "dev" } else { "wasm-release" };
    let profile_dir = if dev { "debug" } else { "wasm-release" };

    let started = Instant::now();
    // `BERTH_SITE_TARGET_DIR` builds the bundle in a target folder of its own, so that it can
    // build beside the server (`scripts/serve`: two cargo runs on one folder wait for each
    // other's lock).
    let wasm_target = std::env::var_os("BERTH_SITE_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.clone());
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args([
                "build",
                "-p",
                "frontend",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["--profile", profile])
            .arg("--target-dir")
            .arg(&wasm_target),
    )?;
    let wasm = wasm_target
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join("frontend.wasm");
    eprintln!("site: wasm built in {:.1?}", started.elapsed());

    let started = Instant::now();
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .out_name(OUTPUT_NAME)
        .debug(dev)
        .keep_debug(dev)
        .generate(&pkg)
        .context("wasm-bindgen")?;
    // Leptos' hydration script loads `{output_name}.wasm`.
    let out = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(pkg.join(format!("{OUTPUT_NAME}_bg.wasm")), &out)?;
    eprintln!("site: wasm-bindgen in {:.1?}", started.elapsed());

    let bin = root.join("node_modules").join(".bin");
    if !dev {
        let started = Instant::now();
        run(Command::new(bin.join("wasm-opt"))
            .arg("-Oz")
            .arg("--enable-bulk-memory")
            .arg("--enable-nontrapping-float-to-int")
            .arg("--enable-sign-ext")
            .arg("--enable-mutable-globals")
            .arg("--enable-reference-types")
            .arg(&out)
            .arg("-o")
            .arg(&out))?;
        eprintln!("site: wasm-opt in {:.1?}", started.elapsed());
    }

    let started = Instant::now();
    let mut tailwind = Command::new(bin.join("tailwindcss"));
    tailwind
        .current_dir(&root)
        .args(["-i", "style/main.css", "-o"])
        .arg(pkg.join(format!("{OUTPUT_NAME}.css")));
    if !dev {
        tailwind.arg("--minify");
    }
    run(&mut tailwind)?;
    eprintln!("site: css in {:.1?}", started.elapsed());

    copy_dir(&root.join("public"), &site)?;
    assets::finish(&site, OUTPUT_NAME)?;
    eprintln!("site: ready in {}", site.display());
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}
