//! `cargo xtask bundle`: the size of the hydrate bundle (wasm + JS) raw, gzip and brotli,
//! against `bench/bundle-budget.toml`. Fails when the brotli total is over the budget's
//! `limit`; reports how far it is from the `target`.

use std::{io::Write, path::Path};

use anyhow::{Context, bail};

/// Sizes of one file.
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn sizes(path: &Path) -> anyhow::Result<Sizes> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gzip = gz.finish()?.len();
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        w.write_all(&bytes)?;
    }
    Ok(Sizes {
        raw: bytes.len(),
        gzip,
        brotli: br.len(),
    })
}

/// Reads `key = NUMBER` from the budget file.
fn budget_value(text: &str, key: &str) -> anyhow::Result<usize> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .with_context(|| format!("`{key} = BYTES` missing from the budget file"))?
        .1
        .trim()
        .replace('_', "")
        .parse()
        .with_context(|| format!("`{key}` is not a number of bytes"))
}

/// Checks the bundle in `site/pkg` against `budget`.
pub fn check(site: &Path, budget: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(budget).with_context(|| format!("reading {}", budget.display()))?;
    let limit = budget_value(&text, "limit")?;
    let target = budget_value(&text, "target")?;
    let pkg = site.join("pkg");
    let mut total = Sizes {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip", "brotli"
    );
    let bundle = crate::assets::bundle_name(site)?;
    for name in [format!("{bundle}.wasm"), format!("{bundle}.js")] {
        let s = sizes(&pkg.join(&name))?;
        println!("{name:<28} {:>10} {:>10} {:>10}", s.raw, s.gzip, s.brotli);
        total.raw += s.raw;
        total.gzip += s.gzip;
        total.brotli += s.brotli;
    }
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "total", total.raw, total.gzip, total.brotli
    );
    let kb = |b: usize| b as f64 / 1024.0;
    if total.brotli > target {
        println!(
            "target {:.0} KB brotli: over by {:.0} KB ({:.0}%)",
            kb(target),
            kb(total.brotli - target),
            (total.brotli as f64 / target as f64 - 1.0) * 100.0
        );
    } else {
        println!("target {:.0} KB brotli: met", kb(target));
    }
    if total.brotli > limit {
        bail!(
            "the hydrate bundle is {:.1} KB brotli, over the budget's limit of {:.1} KB ({}): \
             shrink it, or raise the limit there with the reason",
            kb(total.brotli),
            kb(limit),
            budget.display()
        );
    }
    println!("limit {:.1} KB brotli: within", kb(limit));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::budget_value;

    #[test]
    fn reads_budget_values_and_refuses_missing_ones() {
        let text = "# comment\ntarget = 204_800 # 200 KB\nlimit=500000\n";
        assert_eq!(budget_value(text, "target").ok(), Some(204_800));
        assert_eq!(budget_value(text, "limit").ok(), Some(500_000));
        assert!(budget_value(text, "ceiling").is_err());
        assert!(budget_value("limit = lots", "limit").is_err());
    }
}
