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
        &["server", "pages", "components", "api"],
        "state reads domain (domain::request), not the server",
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
            "server::db",
        ],
        "crypto sits under db (db stores its sealed values)",
    ),
    (
        "server::crypto::rotation",
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
        "rotation re-seals stored rows: above db, below what serves requests",
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

/// `source` without its comments and string literals (a `//` in a URL is no comment; a
/// path in a string is no import).
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '"' && !escaped {
                        break;
                    }
                    escaped = c == '\\' && !escaped;
                }
                out.push_str("\"\"");
            }
            c => out.push(c),
        }
    }
    out
}

/// Every path named under `crate::`, `super::` or `self::` in the file of module `module`
/// (comments and strings removed), as a module path from the crate's root.
fn crate_paths_in(module: &str, source: &str) -> Vec<String> {
    let code = code_only(source);
    let parts: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut out = Vec::new();
    for (anchor, base) in [
        ("crate::", String::new()),
        ("super::", parts[..parts.len().saturating_sub(1)].join("::")),
        ("self::", parts.join("::")),
    ] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(anchor) {
            let before = at.checked_sub(1).map(|i| rest.as_bytes()[i]);
            let boundary =
                before.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'_' && b != b':');
            let after = &rest[at + anchor.len()..];
            let (paths, used) = tree(after);
            if boundary {
                out.extend(paths.into_iter().filter(|p| !p.is_empty()).map(|p| {
                    if base.is_empty() {
                        p
                    } else {
                        format!("{base}::{p}")
                    }
                }));
            }
            rest = &after[used.max(1).min(after.len())..];
        }
    }
    out
}

/// The paths of a use tree at the start of `text` (`a::b`, `a::{b, c::d}`), and how many
/// bytes it took.
fn tree(text: &str) -> (Vec<String>, usize) {
    // `crate::{a, b::c}`: a group straight after the anchor.
    if text.starts_with('{') {
        let (paths, used) = tree(&format!("x::{text}"));
        return (
            paths
                .into_iter()
                .map(|p| p.strip_prefix("x::").unwrap_or_default().to_owned())
                .collect(),
            used.saturating_sub(3),
        );
    }
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
        for path in crate_paths_in(&module, &source) {
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
    let paths = crate_paths_in(
        "",
        "use crate::server::{\n    cx::Cx,\n    db::{self, users::User},\n};\n// crate::pages::x\nlet u = \"http://x/crate::api\";\nlet x = crate::domain::when::ago(1);\nuse crate::{server::http, error};",
    );
    assert_eq!(
        paths,
        [
            "server::cx::Cx",
            "server::db",
            "server::db::users::User",
            "domain::when::ago",
            "server::http",
            "error",
        ]
    );
}

#[test]
fn super_and_self_paths_are_read_from_the_module() {
    let paths = crate_paths_in(
        "server::rules::tokens",
        "use self::inner::X;\nfn f() { super::cx::Cx::any(); }",
    );
    assert_eq!(
        paths,
        [
            "server::rules::cx::Cx::any",
            "server::rules::tokens::inner::X"
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
