//! `TestApp`: spawns Berth on a fresh database (a temp SQLite file, or a fresh PostgreSQL
//! database) and calls it over HTTP. Cookies are handled by hand so that a test can replay a
//! session cookie against another instance or after sign-out.

use std::path::PathBuf;

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
        let Command::Serve(config) = Cli::try_parse_from(args).unwrap().command else {
            unreachable!()
        };
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
        }
    }

    /// Calls server function `name` with a form body, as the hydrated app or a CLI does.
    pub async fn call(&self, name: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Response {
        let mut req = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("accept", "application/json")
            .form(form);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.unwrap()
    }

    /// GETs a path, optionally with a session cookie.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.unwrap()
    }

    /// Creates an account `username` (email `username@example.com`) and returns its session cookie.
    pub async fn sign_up(&self, username: &str) -> String {
        let email = format!("{username}@example.com");
        let res = self
            .call(
                "sign_up",
                &[
                    ("email", &email),
                    ("username", username),
                    ("display_name", &format!("User {username}")),
                    ("password", PASSWORD),
                ],
                None,
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        session_cookie(res.headers()).expect("sign-up sets a session cookie")
    }

    /// Signs in and returns the response (for status checks) — see [`session_cookie`].
    pub async fn sign_in(&self, login: &str, password: &str) -> Response {
        self.call("sign_in", &[("login", login), ("password", password)], None)
            .await
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

/// Calls server function `name` as the holder of `cookie` and insists on 200.
pub async fn ok(app: &TestApp, cookie: &str, name: &str, form: &[(&str, &str)]) {
    let res = app.call(name, form, Some(cookie)).await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "{name}: {}",
        res.text().await.unwrap()
    );
}

/// The JSON error body of a failed server function.
pub async fn error_body(res: Response) -> serde_json::Value {
    res.json().await.unwrap()
}
