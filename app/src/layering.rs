//! The import arrows `docs/ARCHITECTURE.md` promises, checked on the source: every path a file
//! names under `crate::` (in `use` trees and inline) is read and held against what the file's
//! layer may import. A layer that imports upward fails this test, naming the file and the path.

use std::path::{Path, PathBuf};

/// What a file may not import, by the layer its module path starts with: `(layer, forbidden
/// module path prefixes, why)`. The most specific layer (longest prefix) applies.
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "domain",
        &["server", "api", "components", "pages", "state", "app"],
        "domain imports nothing of Berth's but domain and error",
    ),
    (
        "error",
        &["server", "api", "components", "pages", "state", "app"],
        "error imports nothing of Berth's but domain",
    ),
    (
        "components",
        &["server", "pages"],
        "components reach the server only through api and domain::request",
    ),
    (
        "pages",
        &["server"],
        "pages reach the server only through api and domain::request",
    ),
    (
        "state",
        &["server", "pages", "components"],
        "state reads domain::request, not the server",
    ),
    (
        "api",
        &["pages", "components", "state"],
        "api is below the UI",
    ),
    (
        "server",
        &["api", "pages", "components", "state", "app"],
        "server code is below api and the UI",
    ),
    (
        "server::db",
        &[
            "api",
            "pages",
            "components",
            "state",
            "app",
            "server::cx",
            "server::rules",
            "server::http",
            "server::auth",
            "server::kcr",
            "server::outbound",
            "server::state",
        ],
        "db is storage: it imports domain, error, other db modules and crypto's sealed values",
    ),
    (
        "server::crypto",
        &[
            "api",
            "pages",
            "components",
            "state",
            "app",
            "server::cx",
            "server::rules",
            "server::http",
            "server::auth",
            "server::kcr",
            "server::outbound",
        ],
        "crypto sits under db",
    ),
    (
        "server::cx",
        &[
            "api",
            "pages",
            "components",
            "state",
            "app",
            "server::rules",
        ],
        "rules take a cx; cx never calls a rule",
    ),
    (
        "server::rules",
        &["api", "pages", "components", "state", "app", "server::http"],
        "rules do no cookie, header or request work (server::http is the request's)",
    ),
];

/// Every `crate::…` path named in `source` (comments removed), as module path segments.
fn crate_paths(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let (paths, used) = tree(after);
        out.extend(paths);
        rest = &after[used.max(1).min(after.len())..];
    }
    out
}

/// The paths of a use tree at the start of `text` (`a::b`, `a::{b, c::d}`), and how many
/// bytes it took.
fn tree(text: &str) -> (Vec<String>, usize) {
    let mut i = 0;
    let bytes = text.as_bytes();
    let mut prefix = String::new();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let segment = &text[start..i];
        if !segment.is_empty() {
            if !prefix.is_empty() {
                prefix.push_str("::");
            }
            prefix.push_str(segment);
        }
        if text[i..].starts_with("::{") {
            i += 3;
            let mut paths = Vec::new();
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    i += 1;
                    break;
                }
                let (inner, used) = tree(&text[i..]);
                for p in inner {
                    if p == "self" || p.is_empty() {
                        paths.push(prefix.clone());
                    } else {
                        paths.push(format!("{prefix}::{p}"));
                    }
                }
                i += used.max(1);
            }
            return (paths, i);
        }
        if text[i..].starts_with("::") {
            i += 2;
            continue;
        }
        return (vec![prefix], i);
    }
}

/// `app/src/server/rules/credentials.rs` → `server::rules::credentials`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

fn within(path: &str, prefix: &str) -> bool {
    path == prefix || path.starts_with(&format!("{prefix}::"))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The upward imports of the crate at `src`: "file imports path (why)".
fn violations(src: &Path) -> Vec<String> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.sort();
    let mut found = Vec::new();
    for file in all {
        let module = module_of(src, &file);
        let Some((layer, forbidden, why)) = RULES
            .iter()
            .filter(|(layer, _, _)| within(&module, layer))
            .max_by_key(|(layer, _, _)| layer.len())
        else {
            continue;
        };
        let source = std::fs::read_to_string(&file).expect("a source file");
        for path in crate_paths(&source) {
            // A module's own test fixture is no import of its production code.
            if path.starts_with("server::testing") {
                continue;
            }
            if let Some(bad) = forbidden.iter().find(|f| within(&path, f)) {
                found.push(format!(
                    "{module} ({layer}) imports crate::{path}: {why} [{bad}]"
                ));
            }
        }
    }
    found.dedup();
    found
}

#[test]
fn use_trees_are_read_whole() {
    let paths = crate_paths(
        "use crate::server::{\n    cx::Cx,\n    db::{self, users::User},\n};\n// crate::pages::x\nlet x = crate::domain::when::ago(1);",
    );
    assert_eq!(
        paths,
        [
            "server::cx::Cx",
            "server::db",
            "server::db::users::User",
            "domain::when::ago"
        ]
    );
}

#[test]
fn no_layer_imports_upward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "upward imports:\n{}", found.join("\n"));
}

#[test]
fn an_upward_import_is_found() {
    let dir = std::env::temp_dir().join(format!("berth-layering-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("server/rules")).unwrap();
    std::fs::write(
        dir.join("server/rules/x.rs"),
        "use crate::server::{db::users, http::request};\n",
    )
    .unwrap();
    let found = violations(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("crate::server::http::request"),
        "{found:?}"
    );
}
