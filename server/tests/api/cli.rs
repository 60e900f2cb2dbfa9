//! The `berth` binary itself: start-up errors, `migrate`, the key file, graceful shutdown, and
//! that no password ever reaches its log output.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
};

use app::api::{
    auth::{SignIn, SignUp},
    credential_checks::CheckTypedCredential,
    credential_imports::PreviewCredentialImport,
    credentials::AddCredential,
    projects::CreateProject,
};
use base64::Engine;
use uuid::Uuid;

use crate::helpers::{Call, Encoded};

fn berth() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_berth"));
    // The environment of the test run must not leak settings into these checks.
    for (key, _) in std::env::vars() {
        if key.starts_with("BERTH_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-cli-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_bad_public_url_stops_start_up_with_one_clear_line() {
    let dir = temp_dir();

    let out = berth()
        .current_dir(&dir)
        .args([
            "serve",
            "--public-url",
            "ftp://example.com",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("berth: --public-url"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_unsupported_database_url_stops_start_up_naming_the_supported_ones() {
    let dir = temp_dir();

    let out = berth()
        .current_dir(&dir)
        .args([
            "serve",
            "--database-url",
            "mysql://x/y",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_config_file_stops_start_up_naming_the_file() {
    let dir = temp_dir();
    std::fs::write(dir.join("berth.toml"), "[[regions]]\nname = 'eu'\n").unwrap();

    let out = berth()
        .current_dir(&dir)
        .args(["serve", "--config", "berth.toml", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("berth.toml"), "{stderr}");
}

#[test]
fn migrate_creates_the_default_sqlite_database() {
    let dir = temp_dir();

    let out = berth().current_dir(&dir).arg("migrate").output().unwrap();

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("berth-data/berth.db").exists());
}

#[test]
fn serve_help_explains_every_option() {
    let out = berth().args(["serve", "--help"]).output().unwrap();

    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--database-url",
        "--listen",
        "--public-url",
        "--config",
        "--allow-signup",
        "--secret-key",
        "--log-format",
        "--db-max-connections",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

/// Starts `berth serve` in `dir`; returns the child, its URL (from its stdout) and a thread that
/// collects its log (stderr), drained as it comes so the child never blocks on a full pipe.
/// `extra` goes after the standard `serve` arguments.
fn start(
    dir: &std::path::Path,
    extra: &[&str],
) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    let mut child = berth()
        .current_dir(dir)
        .env("RUST_LOG", "debug")
        .args(["serve", "--listen", "127.0.0.1:0", "--site-root", "site"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "berth exited before it was ready"
        );
        if let Some(url) = line.trim().strip_prefix("Berth is running at ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
    });
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    (child, url, log)
}

/// Calls (POST) server function `F` of the `berth` at `url` through `http`, which keeps the
/// session cookie; whatever the answer, it is not looked at.
async fn post<F: Call>(http: &reqwest::Client, url: &str, args: F) {
    Encoded::of(args).request(http, url).send().await.unwrap();
}

#[tokio::test]
async fn passwords_never_reach_the_log_and_sigterm_stops_cleanly() {
    let dir = temp_dir();
    let (mut child, url, log) = start(&dir, &["--registry-allow-private"]);
    let marker = format!("marker-{}", Uuid::now_v7().simple());
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();

    post(
        &http,
        &url,
        SignUp {
            email: "ann@example.com".into(),
            username: "ann".into(),
            display_name: "Ann".into(),
            password: marker.as_str().into(),
        },
    )
    .await;
    // Registry passwords: one stored, one refused (a Google key that does not parse).
    post(
        &http,
        &url,
        CreateProject {
            owner: "ann".into(),
            name: "web".into(),
            description: String::new(),
            region: "local".into(),
        },
    )
    .await;
    for (registry, server, password) in [
        ("github", "", format!("{marker}-registry")),
        ("google", "gcr.io", format!("{{{marker}-json")),
    ] {
        post(
            &http,
            &url,
            AddCredential {
                owner: "ann".into(),
                name: "web".into(),
                registry: registry.into(),
                server: server.into(),
                username: String::new(),
                email: String::new(),
                password: password.as_str().into(),
                expires_on: String::new(),
            },
        )
        .await;
    }
    post(
        &http,
        &url,
        SignIn {
            login: "ann".into(),
            password: format!("{marker}-wrong").as_str().into(),
            next: None,
        },
    )
    .await;
    // A docker config.json pasted for import, whole and broken; and a password tried against
    // a registry that asks for Basic auth and refuses it.
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("ann:{marker}-auth"));
    for text in [
        format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{auth}"}}, "quay.io": {{"username": "a", "password": "{marker}-plain"}}}}}}"#
        ),
        format!(r#"{{"auths": {{"ghcr.io": {{"password": "{marker}-broken"#),
    ] {
        post(
            &http,
            &url,
            PreviewCredentialImport {
                owner: "ann".into(),
                name: "web".into(),
                docker_config: text,
            },
        )
        .await;
    }
    let registry = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let registry_host = registry.local_addr().unwrap().to_string();
    let (requests, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in registry.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let n = std::io::Read::read(&mut stream, &mut request).unwrap_or(0);
            let _ = requests.send(String::from_utf8_lossy(&request[..n]).to_lowercase());
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    post(
        &http,
        &url,
        CheckTypedCredential {
            owner: "ann".into(),
            name: "web".into(),
            id: String::new(),
            registry: "other".into(),
            server: format!("http://{registry_host}"),
            username: "ann".into(),
            email: String::new(),
            password: format!("{marker}-checked").as_str().into(),
            expires_on: String::new(),
            image: String::new(),
        },
    )
    .await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ann:{marker}-checked"));
    // The password did go out, to the registry and nowhere else.
    let signed_in = (0..2).any(|_| {
        received
            .recv_timeout(std::time::Duration::from_secs(10))
            .is_ok_and(|r| r.contains(&format!("authorization: basic {}", basic.to_lowercase())))
    });
    assert!(signed_in, "the check sent no Basic credentials");
    post(
        &http,
        &url,
        SignUp {
            email: "bad".into(),
            username: "Bad".into(),
            display_name: String::new(),
            password: format!("{marker}x").as_str().into(),
        },
    )
    .await;

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let stderr = log.join().unwrap();

    assert!(
        status.success(),
        "SIGTERM must end berth cleanly: {status}\n{stderr}"
    );
    assert!(
        stderr.contains("account created") && stderr.contains("credential added"),
        "debug log was captured:\n{stderr}"
    );
    assert!(
        stderr.contains("/api/preview_credential_import")
            && stderr.contains("/api/check_typed_credential"),
        "the import's previews and the check were logged:\n{stderr}"
    );
    assert!(
        !stderr.contains(&marker) && !stderr.contains(&auth) && !stderr.contains(&basic),
        "a password reached the log:\n{stderr}"
    );
    // The stored registry password moves to a new key.
    let rotated = berth()
        .current_dir(&dir)
        .args(["secrets", "rotate-key", "--new-key-file", "new.key"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(
        out.contains("re-sealed 1 registry password(s)") && out.contains("0 left"),
        "{out}"
    );
    let key = dir.join("berth-data/secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[tokio::test]
async fn json_log_format_writes_one_json_object_per_line() {
    let dir = temp_dir();
    let (mut child, url, log) = start(&dir, &["--log-format", "json"]);
    reqwest::get(format!("{url}/login")).await.unwrap();

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.wait().unwrap().success());
    let stderr = log.join().unwrap();

    assert!(stderr.lines().count() >= 2, "{stderr}");
    for line in stderr.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            value.get("level").is_some() && value.get("timestamp").is_some(),
            "{line}"
        );
    }
    assert!(stderr.contains("berth ready"));
}

#[tokio::test]
async fn tokens_never_reach_the_log_even_at_debug() {
    use app::api::tokens::{CreatePersonalToken, Whoami};

    let dir = temp_dir();
    let (mut child, url, log) = start(&dir, &[]);
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    post(
        &http,
        &url,
        SignUp {
            email: "ann@example.com".into(),
            username: "ann".into(),
            display_name: "Ann".into(),
            password: "a password that is long enough".into(),
        },
    )
    .await;
    let created: serde_json::Value = Encoded::of(CreatePersonalToken {
        label: "ci".into(),
        scopes: vec!["all".into()],
        expires_in_days: String::new(),
    })
    .request(&http, &url)
    .header("accept", "application/json")
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let cli = reqwest::Client::new();
    for presented in [token.clone(), crate::helpers::with_last_changed(&token)] {
        let res = Encoded::of(Whoami {})
            .request(&cli, &url)
            .header("authorization", format!("Bearer {presented}"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success() || res.status().as_u16() == 401);
    }

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap();
    let stderr = log.join().unwrap();

    assert!(
        stderr.contains("access token created") && stderr.contains("/api/whoami"),
        "debug log was captured:\n{stderr}"
    );
    // The random part, whether the token was good or mistyped.
    assert!(
        !stderr.contains(&token[10..40]),
        "a token reached the log:\n{stderr}"
    );
}

#[test]
fn kcr_registry_config_writes_a_private_config_and_the_bundle_it_trusts() {
    let dir = temp_dir();

    let out = berth()
        .current_dir(&dir)
        .args([
            "kcr",
            "registry-config",
            "--region",
            "local",
            "--output",
            "registry.yml",
        ])
        .output()
        .unwrap();

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(dir.join("registry.yml")).unwrap();
    assert!(
        config.contains("realm: \"http://127.0.0.1:3000/kcr/token\""),
        "{config}"
    );
    assert!(config.contains("service: \"localhost:5000\""), "{config}");
    let bundle = dir.join("berth-data/kcr-bundle.pem");
    assert!(
        config.contains(&format!("rootcertbundle: \"{}\"", bundle.display())),
        "{config}"
    );
    assert_eq!(
        std::fs::read_to_string(&bundle)
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        1
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&dir.join("registry.yml")),
        0o600,
        "it holds the secrets"
    );
    assert_eq!(mode(&dir.join("berth-data/kcr-signing.key")), 0o600);

    // A region that does not exist is named, with the ones that do.
    let out = berth()
        .current_dir(&dir)
        .args(["kcr", "registry-config", "--region", "mars"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("\"mars\"") && stderr.contains("local"),
        "{stderr}"
    );
}

#[test]
fn rotating_the_signing_key_stages_then_activates_and_keeps_the_old_certificate_trusted() {
    let dir = temp_dir();
    let run = |args: &[&str]| {
        let out = berth().current_dir(&dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let fails = |args: &[&str]| {
        let out = berth().current_dir(&dir).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let key = || std::fs::read(dir.join("berth-data/kcr-signing.key")).unwrap();
    let certs = || {
        std::fs::read_to_string(dir.join("berth-data/kcr-bundle.pem"))
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count()
    };
    run(&["kcr", "registry-config", "--region", "local"]);
    let old_key = key();
    let old_cert = std::fs::read_to_string(dir.join("berth-data/kcr-signing.crt")).unwrap();
    assert!(fails(&["kcr", "rotate-signing-key", "--activate"]).contains("no staged key"));

    let said = run(&["kcr", "rotate-signing-key"]);
    assert!(
        said.contains("Restart each registry") && said.contains("--activate"),
        "{said}"
    );
    assert_eq!(key(), old_key, "staged, not signing yet");
    assert_eq!(certs(), 2);

    run(&["kcr", "rotate-signing-key", "--activate"]);
    assert_ne!(key(), old_key);
    assert_eq!(certs(), 2);
    let bundle = std::fs::read_to_string(dir.join("berth-data/kcr-bundle.pem")).unwrap();
    assert!(
        bundle.contains(old_cert.trim()),
        "the old certificate is still trusted"
    );
}
