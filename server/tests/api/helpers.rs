//! `TestApp`: spawns Berth on a fresh database (a temp SQLite file, or a fresh PostgreSQL
//! database) and calls it over HTTP; [`User`] is an account of it that keeps its own session
//! cookie. A cookie is a plain string, so a test can replay it against another instance or
//! after sign-out.

pub mod registry;
mod user;

pub use user::{Call, Encoded, User, decode};

use std::path::PathBuf;

use app::api::{
    auth::{SignIn, SignUp},
    orgs::GetOrg,
    projects::GetProject,
};
use clap::Parser;
use reqwest::{
    Response, StatusCode,
    header::{HeaderMap, HeaderValue},
};
use server::{
    cli::{Cli, Command},
    startup::Application,
};
use sqlx::Connection;
use tokio::sync::oneshot;
use uuid::Uuid;

/// `text` with its last character changed to another one (a typo that is surely one: the
/// replacement never equals what it replaces).
pub fn with_last_changed(text: &str) -> String {
    let last = text.chars().last().unwrap_or('x');
    let other = if last == 'x' { 'y' } else { 'x' };
    format!("{}{other}", &text[..text.len() - last.len_utf8()])
}

/// Server logs in test output when `BERTH_TEST_LOG` is set (e.g. `BERTH_TEST_LOG=debug`).
fn init_logs() {
    if let Ok(filter) = std::env::var("BERTH_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` on SQLite for each listed `async fn name(Backend)`: tests of
/// an outside system (a registry's TLS) where the database is not what they test.
#[macro_export]
macro_rules! on_sqlite {
    ($($test:ident),* $(,)?) => {
        mod sqlite_only {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
    };
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn name(Backend)`.
#[macro_export]
macro_rules! on_both {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The password every test account gets unless a test says otherwise.
pub const PASSWORD: &str = "correct horse battery staple";

fn postgres_admin_url() -> String {
    std::env::var("BERTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh, empty database of the given kind, as a URL.
pub async fn fresh_database(backend: Backend) -> (String, Option<PathBuf>) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("berth-test-{}", Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).unwrap();
            (format!("sqlite://{}/berth.db", dir.display()), Some(dir))
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("berth_test_{}", Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required: {e}"));
            sqlx::query(&format!("create database {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            (format!("{base}/{name}"), None)
        }
    }
}

/// One running Berth server.
pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub state: app::server::state::AppState,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    dir: Option<PathBuf>,
    /// The KCR signing key's folder (a temp dir unless the flags name one).
    pub kcr_key_dir: PathBuf,
    _kcr_dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Berth on a fresh database with default settings.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[]).await
    }

    /// Berth on a fresh database with extra `berth serve` flags.
    pub async fn spawn_with(backend: Backend, flags: &[&str]) -> Self {
        let (url, dir) = fresh_database(backend).await;
        let mut app = Self::spawn_on(&url, flags).await;
        app.dir = dir;
        app
    }

    /// A second instance on the same database as `self` (a replica).
    pub async fn replica(&self) -> Self {
        Self::spawn_on(&self.db_url, &[]).await
    }

    /// Berth on the database at `url` (which already exists or is created).
    pub async fn spawn_on(url: &str, flags: &[&str]) -> Self {
        init_logs();
        let key = "ab".repeat(32);
        let mut args = vec![
            "berth",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--secret-key",
            &key,
            "--db-max-connections",
            "4",
        ];
        args.extend_from_slice(flags);
        // The run's AWS emulator (scripts/aws-emulator), for ECR credentials.
        let aws = std::env::var("BERTH_TEST_AWS_URL").ok();
        if let Some(aws) = aws
            .as_deref()
            .filter(|_| !flags.contains(&"--aws-endpoint-url"))
        {
            args.extend(["--aws-endpoint-url", aws]);
        }
        // Never the default `./berth-data` beside the tests (PostgreSQL has no file to put
        // the signing key beside).
        let kcr_dir = (!flags.contains(&"--kcr-key-dir")).then(|| tempfile::tempdir().unwrap());
        let kcr_dir_text = kcr_dir
            .as_ref()
            .map(|d| d.path().to_str().unwrap().to_owned());
        if let Some(dir) = &kcr_dir_text {
            args.extend(["--kcr-key-dir", dir.as_str()]);
        }
        let Command::Serve(config) = Cli::try_parse_from(args).unwrap().command else {
            unreachable!()
        };
        let kcr_key_dir = config
            .common
            .kcr_key_dir(secrecy::ExposeSecret::expose_secret(
                &config.common.database_url,
            ));
        let application = Application::build(config).await.unwrap();
        let addr = application.local_addr();
        let state = application.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            application
                .run_until(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        // A stalled response fails its test instead of hanging the whole run.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            base: format!("http://{addr}"),
            db_url: url.to_owned(),
            state,
            http,
            shutdown: Some(tx),
            dir: None,
            kcr_key_dir,
            _kcr_dir: kcr_dir,
        }
    }

    /// GETs a path, optionally with a session cookie.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.unwrap()
    }

    /// Creates an account `username` (email `username@example.com`), signed in.
    pub async fn sign_up(&self, username: &str) -> User<'_> {
        self.sign_up_with(username, &format!("{username}@example.com"))
            .await
    }

    /// Creates an account `username` with `email`, signed in.
    pub async fn sign_up_with(&self, username: &str, email: &str) -> User<'_> {
        let res = self.send(sign_up_args(username, email), None).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        User {
            app: self,
            username: username.to_owned(),
            cookie: session_cookie(res.headers()).expect("sign-up sets a session cookie"),
        }
    }

    /// Signs in and returns the response (for status checks) — see [`session_cookie`].
    pub async fn sign_in(&self, login: &str, password: &str) -> Response {
        self.send(sign_in_args(login, password, None), None).await
    }

    /// `username` signed in again with [`PASSWORD`]: a second session of the same account.
    pub async fn session_of(&self, username: &str) -> User<'_> {
        let res = self.sign_in(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        User {
            app: self,
            username: username.to_owned(),
            cookie: session_cookie(res.headers()).expect("sign-in sets a session cookie"),
        }
    }

    /// The user a cookie belongs to (`None` when the session is not signed in).
    pub async fn whoami(&self, cookie: &str) -> Option<serde_json::Value> {
        let res = self.get("/api/current_user", Some(cookie)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        (!body.is_null()).then_some(body)
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("select count(*) from {table}");
        app::on_db!(&self.state.db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await)
            .unwrap()
    }

    /// The details of every audit event named `action`, oldest first.
    pub async fn audit_details(&self, action: &str) -> Vec<serde_json::Value> {
        let rows: Vec<String> = app::on_db!(&self.state.db, pool => sqlx::query_scalar(
            "select details from audit_event where action = $1 order by id"
        )
        .bind(action)
        .fetch_all(pool)
        .await)
        .unwrap();
        rows.iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `berth_session=VALUE` from a response's `Set-Cookie`, if it sets one with a value.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    set_cookie_line(headers).and_then(|line| {
        let pair = line.split(';').next()?.trim().to_owned();
        (pair.len() > "berth_session=".len()).then_some(pair)
    })
}

/// The whole `Set-Cookie` line of the session cookie.
pub fn set_cookie_line(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .find(|v| v.starts_with("berth_session="))
        .map(str::to_owned)
}

/// The JSON error body of a failed server function.
pub async fn error_body(res: Response) -> serde_json::Value {
    res.json().await.unwrap()
}

/// The arguments of a sign-in of `login` with `password`, going to `next` afterwards.
pub fn sign_in_args(login: &str, password: &str, next: Option<&str>) -> SignIn {
    SignIn {
        login: login.into(),
        password: password.into(),
        next: next.map(str::to_owned),
    }
}

/// The arguments of a sign-up of `username` with `email` and [`PASSWORD`].
pub fn sign_up_args(username: &str, email: &str) -> SignUp {
    SignUp {
        email: email.into(),
        username: username.into(),
        display_name: format!("User {username}"),
        password: PASSWORD.into(),
    }
}

/// Gives `username` `role` in organization `org` straight in the database (fixtures of tests
/// about something else; `join_org` is the real way).
pub async fn grant_org_role(app: &TestApp, org: &str, username: &str, role: &str) {
    app::on_db!(&app.state.db, pool => sqlx::query(
        "insert into org_member (org_id, user_id, role, created_at)
         select o.id, u.id, $3, $4 from organization o, app_user u where o.name = $1 and u.username = $2"
    )
    .bind(org)
    .bind(username)
    .bind(role)
    .bind(time::OffsetDateTime::now_utc())
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
}

/// Gives `username` `role` in project `owner/name` straight in the database.
pub async fn grant_project_role(
    app: &TestApp,
    (owner, name): (&str, &str),
    username: &str,
    role: &str,
) {
    app::on_db!(&app.state.db, pool => sqlx::query(
        "insert into project_member (project_id, user_id, role, created_at)
         select p.id, u.id, $4, $5 from project p, app_user u
         where p.owner_name = $1 and p.name = $2 and u.username = $3"
    )
    .bind(owner)
    .bind(name)
    .bind(username)
    .bind(role)
    .bind(time::OffsetDateTime::now_utc())
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
}

/// The `(id, token)` of the link of the pending email invitation to `invitee`, as `admin`
/// sees it on the page of `target` (`acme` or `acme/web`).
pub async fn invitation_link(admin: &User<'_>, target: &str, invitee: &str) -> (String, String) {
    let invitations = match target.split_once('/') {
        None => {
            admin
                .fetch(GetOrg {
                    name: target.into(),
                })
                .await
                .invitations
        }
        Some((owner, name)) => {
            admin
                .fetch(GetProject {
                    owner: owner.into(),
                    name: name.into(),
                })
                .await
                .invitations
        }
    };
    let link = invitations
        .into_iter()
        .find(|i| i.invitee == invitee)
        .unwrap_or_else(|| panic!("no invitation to {invitee} on {target}"))
        .link
        .expect("an email invitation has a link");
    let query = link.split_once("/invitation?").unwrap().1;
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    (param("id"), param("token"))
}

/// Insists that `marker` is nowhere in the database's bytes: the SQLite file and its
/// write-ahead log byte for byte (the pool is closed first), or a `pg_dump` (text and the hex
/// spelling of `bytea` columns).
pub async fn assert_not_stored(app: &TestApp, backend: Backend, marker: &str) {
    match backend {
        Backend::Sqlite => {
            app.state.db.close().await;
            let file = app.db_url.trim_start_matches("sqlite://").to_owned();
            for path in [file.clone(), format!("{file}-wal")] {
                if let Ok(bytes) = std::fs::read(&path) {
                    assert!(
                        !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                        "marker in {path}"
                    );
                }
            }
        }
        Backend::Postgres => {
            let dump = std::process::Command::new("pg_dump")
                .arg(&app.db_url)
                .output()
                .expect("pg_dump runs");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            let text = String::from_utf8_lossy(&dump.stdout);
            assert!(text.contains("audit_event"), "the dump has the tables");
            let hex: String = marker.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(!text.contains(marker), "marker in pg_dump");
            assert!(!text.contains(&hex), "marker (as hex) in pg_dump");
        }
    }
}
