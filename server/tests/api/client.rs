//! The client commands of the real `berth` binary against a real server, each run in a
//! temporary HOME: log in (device login approved by a session, `--with-token`), log out,
//! manage credentials with the Kalix commands (golden output), configure docker for KCR, and
//! the credential helper's protocol (exact JSON on stdin and stdout).

use std::{path::Path, process::Stdio, time::Duration};

use app::api::{
    credentials::ListCredentials,
    device::{ApproveDevice, DenyDevice, DeviceRequest},
    tokens::ListPersonalTokens,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{Backend, TestApp};
use crate::kcr_tokens::{acme, app_with_kcr};
use crate::on_both;

const KCR: &str = "kcr.local.test:5000";

/// A temporary HOME and the commands run in it.
pub struct Cli {
    pub home: tempfile::TempDir,
    pub base: String,
}

/// What a command did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn new(app: &TestApp) -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            base: app.base.clone(),
        }
    }

    /// `program` with this HOME and nothing of the test run's own settings.
    pub fn command(&self, program: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        for (key, _) in std::env::vars() {
            if key.starts_with("BERTH_") || key.starts_with("XDG_") || key == "DOCKER_CONFIG" {
                cmd.env_remove(key);
            }
        }
        cmd.env("HOME", self.home.path()).kill_on_drop(true);
        cmd
    }

    /// Runs `berth ARGS` with `stdin` (or none).
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        self.run_program(Path::new(env!("CARGO_BIN_EXE_berth")), args, stdin)
            .await
    }

    pub async fn run_program(&self, program: &Path, args: &[&str], stdin: Option<&str>) -> Out {
        let mut child = self
            .command(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.unwrap();
        }
        drop(input);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("the command finished within a minute")
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// `berth login --with-token` with `token`; insists it worked.
    pub async fn login(&self, token: &str) {
        let out = self
            .run(&["login", "--url", &self.base, "--with-token"], Some(token))
            .await;
        assert_eq!(out.code, 0, "{out:?}");
    }

    /// `berth auth container-registry install-helper` into `HOME/bin`; the folder.
    pub async fn install_helper(&self) -> std::path::PathBuf {
        let bin = self.home.path().join("bin");
        let dir = bin.to_str().unwrap();
        let out = self
            .run(
                &["auth", "container-registry", "install-helper", "--dir", dir],
                None,
            )
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        bin
    }

    /// `berth docker delete-credentials -p acme/shop ID [--yes]`.
    async fn delete(&self, id: &str, yes: bool) -> Out {
        let mut args = vec!["docker", "delete-credentials", "-p", "acme/shop", id];
        if yes {
            args.push("--yes");
        }
        self.run(&args, None).await
    }

    pub fn config_path(&self) -> std::path::PathBuf {
        self.home.path().join(".config/berth/config.toml")
    }

    pub fn config(&self) -> toml::Value {
        toml::from_str(&std::fs::read_to_string(self.config_path()).unwrap()).unwrap()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn credentials_are_managed_with_the_kalix_commands(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    let cli = Cli::new(&app);
    cli.login(&ann.personal_token("cli", &["credentials:write"], "").await)
        .await;
    let p = ["--project", "acme/shop"];

    let add = |server: &'static str, user: &'static str, email: &'static str| {
        let cli = &cli;
        async move {
            let mut args = vec!["docker", "add-credentials", "--project", "acme/shop"];
            if !server.is_empty() {
                args.extend(["--docker-server", server]);
            }
            args.extend(["--docker-username", user, "--docker-password-stdin"]);
            if !email.is_empty() {
                args.extend(["--docker-email", email]);
            }
            cli.run(&args, Some("s3cret-pass\n")).await
        }
    };
    let ghcr = add("ghcr.io", "octo", "").await;
    assert_eq!(ghcr.code, 0, "{ghcr:?}");
    let ghcr_id = ghcr.stdout.trim().to_owned();
    assert_eq!(ghcr_id.len(), 36, "the new ID on stdout: {ghcr:?}");
    let other = add("registry.example.com:5000", "ci-bot", "ci@example.com").await;
    assert_eq!(other.code, 0, "{other:?}");
    let other_id = other.stdout.trim().to_owned();

    // Golden: Kalix's columns, three spaces apart, sorted by server.
    let mut args = vec!["docker", "list-credentials"];
    args.extend(p);
    let list = cli.run(&args, None).await;
    assert_eq!(list.code, 0, "{list:?}");
    assert_eq!(
        list.stdout,
        format!(
            "ID                                     SERVER                      USERNAME   EMAIL\n\
             {ghcr_id}   ghcr.io                     octo\n\
             {other_id}   registry.example.com:5000   ci-bot     ci@example.com\n"
        )
    );
    // The stored password is the one given on stdin, without its line break.
    let stored = app::server::db::credentials::sealed(
        &app.state.db,
        uuid::Uuid::parse_str(&ghcr_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let opened = app::server::crypto::secrets::open(
        &[&app.state.key],
        &stored.1,
        uuid::Uuid::parse_str(&ghcr_id).unwrap(),
        stored.0,
    )
    .unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&opened), "s3cret-pass");

    // A second credential for a host is refused with the server's words, on the flag's name.
    let again = add("ghcr.io", "octo2", "").await;
    assert_eq!(again.code, 6, "{again:?}");
    assert!(
        again.stderr.contains("already has credentials for ghcr.io"),
        "{again:?}"
    );
    let bad = add("not a host", "x", "").await;
    assert_eq!(bad.code, 6, "{bad:?}");
    assert!(bad.stderr.contains("--docker-server: "), "{bad:?}");

    // JSON for scripts.
    let json = cli
        .run(
            &[
                "docker",
                "list-credentials",
                "-p",
                "acme/shop",
                "-o",
                "json",
            ],
            None,
        )
        .await;
    let items: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["email"], "ci@example.com");
    assert!(!json.stdout.contains("s3cret"), "never a password");

    // Update keeps what is not given.
    let up = cli
        .run(
            &[
                "docker",
                "update-credentials",
                "-p",
                "acme/shop",
                &other_id,
                "--docker-username",
                "deployer",
            ],
            None,
        )
        .await;
    assert_eq!(up.code, 0, "{up:?}");
    let page = ann
        .fetch(ListCredentials {
            owner: "acme".into(),
            name: "shop".into(),
            after: None,
        })
        .await;
    let changed = page.items.iter().find(|c| c.id == other_id).unwrap();
    assert_eq!(
        (changed.username.as_str(), changed.email.as_str()),
        ("deployer", "ci@example.com")
    );

    // Delete asks on a terminal; a script (no terminal), as in Kalix, deletes as asked,
    // without --yes, and the deletion is audited.
    let deleted = cli.delete(&ghcr_id, false).await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert!(
        deleted
            .stderr
            .contains(&format!("Credentials {ghcr_id} deleted from acme/shop.")),
        "{deleted:?}"
    );
    assert_eq!(app.audit_details("credential.deleted").await.len(), 1);
    let list = cli
        .run(&["docker", "list-credentials", "-p", "acme/shop"], None)
        .await;
    assert!(!list.stdout.contains(&ghcr_id), "{list:?}");
    assert!(list.stdout.contains(&other_id), "{list:?}");
    let gone = cli.delete(&ghcr_id, true).await;
    assert_eq!(gone.code, 5, "{gone:?}");
}

async fn refusals_have_their_own_exit_codes_and_messages(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, bob, ..] = acme(&app).await;
    let cli = Cli::new(&app);

    // Not logged in.
    let out = cli
        .run(&["docker", "list-credentials", "-p", "acme/shop"], None)
        .await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("berth login"), "{out:?}");

    // A viewer may list but not add: 403 naming the role.
    cli.login(
        &bob.personal_token("cli", &["credentials:write", "projects:read"], "")
            .await,
    )
    .await;
    let out = cli
        .run(
            &[
                "docker",
                "add-credentials",
                "-p",
                "acme/shop",
                "--docker-server",
                "ghcr.io",
                "--docker-username",
                "x",
                "--docker-password-stdin",
            ],
            Some("pw"),
        )
        .await;
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr
            .contains("This needs the developer role in the project."),
        "{out:?}"
    );
    assert_eq!(app.count("registry_credential").await, 0);

    // No project chosen: the only one is meant, and said; with two, none is guessed.
    let out = cli.run(&["docker", "list-credentials"], None).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stderr, "Project acme/shop (your only project).\n");
    ann.create_project("acme", "web").await;
    bob.join_project(&ann, ("acme", "web"), "viewer").await;
    let out = cli.run(&["docker", "list-credentials"], None).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("berth config set project"), "{out:?}");
    // A project that is not there for this caller: set refuses it.
    let out = cli
        .run(&["config", "set", "project", "acme/nope"], None)
        .await;
    assert_eq!(out.code, 5, "{out:?}");
    let out = cli
        .run(&["config", "set", "project", "acme/shop"], None)
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    let out = cli.run(&["docker", "list-credentials"], None).await;
    assert_eq!(out.code, 0, "{out:?}");

    // A server that is not there.
    let port = crate::helpers::registry::free_port();
    let out = Cli::new(&app)
        .run(
            &[
                "login",
                "--url",
                &format!("http://127.0.0.1:{port}"),
                "--with-token",
            ],
            Some("berth_pat_x"),
        )
        .await;
    assert_eq!(out.code, 7, "{out:?}");
    assert!(out.stderr.contains("cannot reach Berth"), "{out:?}");
}

async fn with_token_saves_a_private_config_and_logout_revokes_the_token(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    let cli = Cli::new(&app);
    let token = ann.personal_token("ci", &["projects:read"], "").await;

    let bad = cli
        .run(
            &["login", "--url", &app.base, "--with-token"],
            Some("berth_pat_nope"),
        )
        .await;
    assert_eq!(bad.code, 3, "{bad:?}");
    assert!(!cli.config_path().exists(), "nothing saved on failure");

    cli.login(&format!("{token}\n")).await;
    assert_eq!(mode(&cli.config_path()), 0o600);
    assert_eq!(mode(cli.config_path().parent().unwrap()), 0o700);
    let config = cli.config();
    assert_eq!(config["token"].as_str(), Some(token.as_str()));
    assert_eq!(config["username"].as_str(), Some("ann"));
    assert_eq!(config["url"].as_str(), Some(app.base.as_str()));

    let me = cli.run(&["whoami"], None).await;
    assert_eq!((me.code, me.stdout.as_str()), (0, "ann\n"), "{me:?}");
    // In words: which token, when it expires, what it may do, where.
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(90)).date();
    assert_eq!(
        me.stderr
            .replace(&app.base, "URL")
            .replace("(in 90 days)", "(in 89 days)"),
        format!(
            "personal access token ci, expires {expiry} (in 89 days); scopes projects:read; at URL\n"
        ),
        "{me:?}"
    );
    let projects = cli.run(&["projects", "list"], None).await;
    assert_eq!(
        projects.stdout, "PROJECT     REGION   ROLE    CURRENT\nacme/shop   local    admin\n",
        "{projects:?}"
    );
    // No project named or configured: the only one is meant, and the command says so (the
    // token's scope then refuses the listing). The browser's current project (acme/shop, just
    // made) speaks only for a person at a terminal, never for a script like this.
    let implied = cli.run(&["docker", "list-credentials"], None).await;
    assert!(
        implied
            .stderr
            .starts_with("Project acme/shop (your only project)."),
        "{implied:?}"
    );
    assert_eq!(implied.code, 4, "{implied:?}");

    let out = cli.run(&["logout"], None).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(cli.config().get("token").is_none());
    let res = app
        .http
        .get(format!("{}/api/whoami", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the token is revoked");
    let tokens = ann.fetch(ListPersonalTokens {}).await.tokens;
    assert!(tokens.iter().all(|t| t.name != "ci"), "{tokens:?}");
}

/// Starts `berth login` (device login) and reads the user code it prints.
async fn start_device_login(cli: &Cli) -> (tokio::process::Child, String) {
    let mut child = cli
        .command(Path::new(env!("CARGO_BIN_EXE_berth")))
        .args(["login", "--url", &cli.base])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut code = None;
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        let word = line.trim();
        if word.len() == 9 && word.as_bytes()[4] == b'-' {
            code = Some(word.to_owned());
        }
        if line.starts_with("Waiting for approval") {
            break;
        }
    }
    // Keep draining stderr so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, code.expect("berth login prints a user code"))
}

async fn a_device_login_is_approved_or_denied_by_a_signed_in_person(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, bob, ..] = acme(&app).await;

    let cli = Cli::new(&app);
    let (child, code) = start_device_login(&cli).await;
    // Someone else's code is no code for bob to see twice: he may look, but ann approves.
    let res = app
        .http
        .get(format!(
            "{}/api/device_request?code={}",
            app.base,
            code.to_lowercase()
        ))
        .header("cookie", &bob.cookie)
        .send()
        .await
        .unwrap();
    let seen: serde_json::Value = res.json().await.unwrap();
    assert_eq!(seen["user_code"], code.as_str());
    assert!(
        seen["client_name"]
            .as_str()
            .unwrap()
            .starts_with("berth CLI on "),
        "{seen}"
    );
    ann.run(ApproveDevice { code: code.clone() }).await;
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let config = cli.config();
    assert_eq!(config["username"].as_str(), Some("ann"));
    let token = config["token"].as_str().unwrap().to_owned();
    let tokens = ann.fetch(ListPersonalTokens {}).await.tokens;
    let made = tokens
        .iter()
        .find(|t| t.name.starts_with("berth CLI on "))
        .unwrap();
    assert_eq!(
        made.scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        "projects:read credentials:write registry:push",
        "exporting passwords is asked for by name, never by default"
    );
    let me = cli.run(&["whoami"], None).await;
    assert_eq!(me.stdout, "ann\n", "{me:?}");
    assert!(token.starts_with("berth_pat_"));
    // The grant is used up: approving it again finds nothing.
    let again = ann.send(ApproveDevice { code: code.clone() }).await;
    assert_eq!(again.status(), 422);
    assert_eq!(app.count("device_grant").await, 0);

    // A denied login gets nothing.
    let cli2 = Cli::new(&app);
    let (child, code) = start_device_login(&cli2).await;
    ann.run(DenyDevice { code }).await;
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(!cli2.config_path().exists());
    assert_eq!(ann.fetch(ListPersonalTokens {}).await.tokens.len(), 1);
}

async fn the_device_endpoints_speak_rfc_8628(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, bob, _dave, _olga, carl] = acme(&app).await;
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let res = app
                .http
                .post(format!("{}{path}", app.base))
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = post(
        "/device/code",
        vec![
            ("client_name", "tests".into()),
            ("scope", "projects:root".into()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = post(
        "/device/code",
        vec![("client_name", "tests".into()), ("scope", "all".into())],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = post(
        "/device/code",
        vec![
            ("client_name", "berth CLI on \u{202e}txt.exe".into()),
            ("scope", "projects:read".into()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "no direction marks in a name a person is shown"
    );
    let (status, body) = post(
        "/device/code",
        vec![
            ("client_name", "tests".into()),
            ("scope", "projects:read".into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let body_code = body["user_code"].as_str().unwrap().to_owned();
    assert_eq!(body["interval"], 5);
    assert_eq!(body["expires_in"], 600);
    assert_eq!(
        body["verification_uri"].as_str(),
        Some(format!("{}/activate", app.base).as_str())
    );
    let device_code = body["device_code"].as_str().unwrap().to_owned();
    let stored: Vec<u8> = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select device_code_hash from device_grant"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_ne!(stored, device_code.as_bytes(), "only a hash is stored");

    let poll = |code: String| {
        post(
            "/device/token",
            vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code".into(),
                ),
                ("device_code", code),
            ],
        )
    };
    let (status, body) = poll(device_code.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (_, body) = poll(device_code.clone()).await;
    assert_eq!(body["error"], "slow_down", "polled within the interval");
    let (_, body) = poll("x".repeat(32)).await;
    assert_eq!(body["error"], "invalid_grant");

    // Wrong codes typed by a person are limited; past the limit even the right code gets 429
    // (a guesser learns nothing), and the refusals are not counted.
    let user_code = body_code.clone();
    let wrong = || ApproveDevice {
        code: "BCDF-GHJK".into(),
    };
    for _ in 0..10 {
        assert_eq!(ann.send(wrong()).await.status(), 422);
    }
    assert_eq!(ann.send(wrong()).await.status(), 429);
    let res = ann
        .send(DeviceRequest {
            code: user_code.clone(),
        })
        .await;
    assert_eq!(res.status(), 429, "the right code is not looked up");
    let res = ann
        .send(ApproveDevice {
            code: user_code.clone(),
        })
        .await;
    assert_eq!(res.status(), 429, "nor approved");
    let attempts: i64 = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select attempts from login_throttle where key like 'device-code:%'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(attempts, 10, "refused guesses are not counted");
    // A second account from the same address gets the address's remaining ten, no more.
    for _ in 0..10 {
        assert_eq!(bob.send(wrong()).await.status(), 422);
    }
    assert_eq!(carl.send(wrong()).await.status(), 429, "per address too");
    let pending: bool = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select approved_by is null from device_grant"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert!(pending, "nothing was approved");

    // Expired: the device is told so, and the grant is gone.
    app::on_db!(&app.state.db, pool => sqlx::query("update device_grant set expires_at = 1")
        .execute(pool)
        .await
        .map(drop))
    .unwrap();
    let (_, body) = poll(device_code).await;
    assert_eq!(body["error"], "expired_token");
    assert_eq!(app.count("device_grant").await, 0);
}

async fn configure_merges_into_the_docker_config_and_the_helper_answers_for_kcr(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, KCR).await;
    let [ann, ..] = acme(&app).await;
    let cli = Cli::new(&app);
    let token = ann.personal_token("cli", &["projects:read"], "").await;
    cli.login(&token).await;

    let print = cli
        .run(&["auth", "container-registry", "print"], None)
        .await;
    let org_id = app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, uuid::Uuid>(
        "select id from organization where name = 'acme'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        print.stdout,
        format!(
            "REGION   ORGANIZATION   ORGANIZATION ID                        CONTAINER REGISTRY\n\
             local    acme           {org_id}   {KCR}/acme\n"
        ),
        "{print:?}"
    );

    // An existing docker config: every other key stays, a backup keeps the old file.
    let docker = cli.home.path().join(".docker");
    std::fs::create_dir_all(&docker).unwrap();
    let before = r#"{"auths":{"ghcr.io":{"auth":"eDp5"}},"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"},"x-unknown":[1,2]}"#;
    std::fs::write(docker.join("config.json"), before).unwrap();
    let out = cli
        .run(&["auth", "container-registry", "configure"], None)
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, print.stdout, "configure prints the same table");
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(docker.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(
        after,
        serde_json::json!({
            "auths": {"ghcr.io": {"auth": "eDp5"}},
            "credsStore": "desktop",
            "credHelpers": {"gcr.io": "gcloud", KCR: "berth"},
            "x-unknown": [1, 2],
        })
    );
    assert_eq!(
        std::fs::read_to_string(docker.join("config.json.bak")).unwrap(),
        before
    );
    // Broken JSON is left alone, with a message.
    std::fs::write(docker.join("config.json"), "{oops").unwrap();
    let out = cli
        .run(&["auth", "container-registry", "configure"], None)
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("not valid JSON"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(docker.join("config.json")).unwrap(),
        "{oops"
    );

    // The helper: a link to the same binary, dispatched on its name.
    let helper = cli.install_helper().await.join("docker-credential-berth");
    let get = cli
        .run_program(&helper, &["get"], Some(&format!("{KCR}\n")))
        .await;
    assert_eq!(get.code, 0, "{get:?}");
    assert_eq!(
        get.stdout,
        format!("{{\"ServerURL\":\"{KCR}\",\"Username\":\"ann\",\"Secret\":\"{token}\"}}\n")
    );
    let https = cli
        .run_program(&helper, &["get"], Some(&format!("https://{KCR}/v2/")))
        .await;
    assert_eq!(https.code, 0, "{https:?}");
    let other = cli.run_program(&helper, &["get"], Some("ghcr.io")).await;
    assert_eq!(
        (other.code, other.stdout.as_str()),
        (1, "credentials not found in native keychain\n")
    );
    let store = cli
        .run_program(
            &helper,
            &["store"],
            Some(&format!(
                r#"{{"ServerURL":"{KCR}","Username":"ann","Secret":"typed"}}"#
            )),
        )
        .await;
    assert_eq!((store.code, store.stdout.as_str()), (0, ""), "{store:?}");
    assert!(store.stderr.contains("nothing stored"), "{store:?}");
    let store_other = cli
        .run_program(
            &helper,
            &["store"],
            Some(r#"{"ServerURL":"ghcr.io","Username":"a","Secret":"b"}"#),
        )
        .await;
    assert_eq!(store_other.code, 1, "{store_other:?}");
    let erase = cli.run_program(&helper, &["erase"], Some(KCR)).await;
    assert_eq!(erase.code, 0, "{erase:?}");
    let list = cli.run_program(&helper, &["list"], None).await;
    assert_eq!(list.stdout, format!("{{\"{KCR}\":\"ann\"}}\n"));

    // The token goes to no other server: not by --url, not to KCR hosts of another server.
    let elsewhere = "http://127.0.0.1:9";
    let out = cli.run(&["whoami", "--url", elsewhere], None).await;
    assert_eq!(
        out.code, 3,
        "the saved token stays with its server: {out:?}"
    );
    let out = cli.run(&["config", "set", "url", elsewhere], None).await;
    assert_eq!(out.code, 0, "{out:?}");
    let get = cli.run_program(&helper, &["get"], Some(KCR)).await;
    assert_eq!(
        (get.code, get.stdout.as_str()),
        (1, "credentials not found in native keychain\n"),
        "the hosts belong to the server they were configured from"
    );
    let out = cli
        .run(&["whoami", "--url", "http://berth.example.com"], None)
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("in the clear"), "{out:?}");

    // Someone with personal projects only sees their own registry path, and configure says
    // what it wrote where.
    let dora = app.sign_up("dora").await;
    dora.create_project("dora", "blog").await;
    let solo = Cli::new(&app);
    solo.login(&dora.personal_token("cli", &["projects:read"], "").await)
        .await;
    let out = solo
        .run(&["auth", "container-registry", "configure"], None)
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "REGION   ORGANIZATION      ORGANIZATION ID   CONTAINER REGISTRY\n\
             local    dora (personal)   -                 {KCR}/dora\n"
        ),
        "{out:?}"
    );
    let home = solo.home.path().display().to_string();
    assert_eq!(
        out.stderr.replace(&home, "HOME"),
        format!(
            "Wrote HOME/.docker/config.json: docker, podman and skopeo log in to {KCR} through docker-credential-berth.\n\
             Wrote HOME/.config/berth/config.toml: the helper answers for those hosts with your berth login.\n\
             Run `berth auth container-registry install-helper` to put docker-credential-berth on the PATH.\n"
        ),
        "{out:?}"
    );
}

on_both!(
    credentials_are_managed_with_the_kalix_commands,
    refusals_have_their_own_exit_codes_and_messages,
    with_token_saves_a_private_config_and_logout_revokes_the_token,
    a_device_login_is_approved_or_denied_by_a_signed_in_person,
    the_device_endpoints_speak_rfc_8628,
    configure_merges_into_the_docker_config_and_the_helper_answers_for_kcr,
);
