//! The rule tests' database fixture, in the style of crates.io's `TestApp::init().with_user()`:
//! a fresh database (a temporary SQLite file, or a PostgreSQL database cloned from a template
//! migrated once per test run), the same `AppState` `berth serve` builds around it, and
//! builders that hand a rule the same context a request builds:
//!
//! ```ignore
//! for db in TestDb::both().await {
//!     let cx = db.with_project("ann/web").await.as_admin().await;
//!     rules::credentials::add(&cx, new).await?;
//! }
//! ```
//!
//! Rules commit their own transactions, so every test gets a database of its own. PostgreSQL
//! is at `BERTH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! its databases are named `berth_test_rules_…` and the test script drops what is left.

use std::net::IpAddr;

use clap::Parser;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::domain::role::{OrgRole, ProjectAction, ProjectRole};
use crate::error::AppError;
use crate::server::{
    config::{FileConfig, ServeConfig},
    crypto::MasterKey,
    cx::{Cx, OrgCx, ProjectCx},
    db::{
        Db, PoolSettings,
        members::{self, Target},
        orgs::{self, Org},
        projects::{self, NewProject, Project},
        users::{self, NewUser, User},
    },
    kcr::signing::{KeyFiles, Signer},
    state::AppState,
};

/// The address rule tests act from.
pub const ADDRESS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

/// A small pool: one test's worth.
const POOL: PoolSettings = PoolSettings {
    max_connections: 4,
    min_connections: 0,
    acquire_timeout: std::time::Duration::from_secs(10),
};

/// A key for tests only.
const KEY: &str = "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: ServeConfig,
}

/// A fresh database and the state around it.
pub struct TestDb {
    /// What a rule reads through its context.
    pub state: AppState,
    /// "SQLite" or "PostgreSQL", for messages.
    pub backend: &'static str,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL template of this test run: migrated once, then cloned per test.
static TEMPLATE: OnceCell<Result<String, String>> = OnceCell::const_new();

fn postgres_admin_url() -> String {
    std::env::var("BERTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn database_url(admin: &str, name: &str) -> String {
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

async fn admin_execute(sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .map_err(|e| format!("PostgreSQL at BERTH_TEST_POSTGRES_URL: {e}"))?;
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    conn.close().await.ok();
    Ok(())
}

async fn template() -> Result<String, String> {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("berth_test_rules_tpl_{}", Uuid::now_v7().simple());
            admin_execute(&format!("create database {name}")).await?;
            let db = Db::connect(&database_url(&postgres_admin_url(), &name), POOL)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            db.close().await;
            Ok(name)
        })
        .await
        .clone()
}

impl TestDb {
    /// A fresh SQLite database.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}/berth.db", dir.path().display());
        let db = Db::connect(&url, POOL).await.expect("SQLite opens");
        db.migrate().await.expect("migrations apply");
        Self::around(db, &url, dir, "SQLite")
    }

    /// A fresh PostgreSQL database, cloned from the run's migrated template.
    pub async fn postgres() -> Self {
        let template = template().await.expect("the PostgreSQL template");
        let name = format!("berth_test_rules_{}", Uuid::now_v7().simple());
        admin_execute(&format!("create database {name} template {template}"))
            .await
            .expect("a database from the template");
        let url = database_url(&postgres_admin_url(), &name);
        let db = Db::connect(&url, POOL).await.expect("PostgreSQL opens");
        let dir = tempfile::tempdir().expect("a temporary folder");
        Self::around(db, &url, dir, "PostgreSQL")
    }

    /// One of each, for a test whose body runs on both.
    pub async fn both() -> [Self; 2] {
        [Self::sqlite().await, Self::postgres().await]
    }

    fn around(db: Db, url: &str, dir: tempfile::TempDir, backend: &'static str) -> Self {
        let keys = dir.path().join("kcr-keys");
        let args = Args::parse_from([
            "berth",
            "--database-url",
            url,
            "--secret-key",
            KEY,
            "--kcr-key-dir",
            &keys.display().to_string(),
        ]);
        let signer = Signer::load(KeyFiles::new(&keys)).expect("a KCR signing key");
        let key = MasterKey::from_hex(KEY).expect("the test key");
        let state = AppState::build(
            &args.serve,
            &FileConfig::default(),
            db,
            key,
            signer,
            "http://berth.test",
        )
        .expect("the state");
        Self {
            state,
            backend,
            _dir: dir,
        }
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("select count(*) from {table}");
        crate::on_db!(&self.state.db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await)
            .expect("a count")
    }

    /// The details of every audit entry named `action`, oldest first.
    pub async fn audit_details(&self, action: &str) -> Vec<serde_json::Value> {
        let rows: Vec<String> = crate::on_db!(&self.state.db, pool => sqlx::query_scalar(
            "select details from audit_event where action = $1 order by id"
        )
        .bind(action)
        .fetch_all(pool)
        .await)
        .expect("audit entries");
        rows.iter()
            .map(|d| serde_json::from_str(d).expect("JSON details"))
            .collect()
    }

    /// The account `name`, made if it is not there yet.
    pub async fn with_user(&self, name: &str) -> User {
        if let Some(id) = users::find_by_username(&self.state.db, name)
            .await
            .expect("a user look-up")
            && let Some(user) = users::find(&self.state.db, id).await.expect("a user")
        {
            return user;
        }
        let email = format!("{name}@example.com");
        users::create(
            &self.state.db,
            &NewUser {
                username: name,
                email: &email,
                display_name: name,
                // Not a hash any password matches: rule tests sign nobody in.
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$unused$unused",
            },
        )
        .await
        .expect("a new user")
    }

    /// A context for `user` as a request from a browser session builds it.
    pub fn cx(&self, user: &User) -> Cx {
        Cx::for_user(self.state.clone(), user.clone(), ADDRESS)
    }

    /// Organization `name` owned by `owner` (made if need be), in region `local`.
    pub async fn with_org(&self, name: &str, owner: &str) -> Org {
        let owner = self.with_user(owner).await;
        if let Some((org, _)) = orgs::find_for_user(&self.state.db, name, owner.id)
            .await
            .expect("an organization look-up")
        {
            return org;
        }
        let mut tx = self.state.db.begin().await.expect("a transaction");
        let org = orgs::create(&mut tx, name, name, owner.id, &["local".to_owned()])
            .await
            .expect("a new organization");
        tx.commit().await.expect("commit");
        org
    }

    /// Project `path` (`OWNER/NAME`) in region `local`: personal when OWNER is not an
    /// organization made by [`TestDb::with_org`] (its account is made if need be).
    pub async fn with_project(&self, path: &str) -> ProjectFixture<'_> {
        let (owner, name) = path.split_once('/').expect("OWNER/NAME");
        let org = orgs::find_for_user(&self.state.db, owner, Uuid::nil())
            .await
            .expect("an organization look-up")
            .map(|(org, _)| org);
        let admin = match &org {
            Some(org) => {
                let first = members::list(&self.state.db, Target::Org(org.id))
                    .await
                    .expect("the organization's members")
                    .into_iter()
                    .next()
                    .expect("an owner");
                users::find(&self.state.db, first.user_id)
                    .await
                    .expect("a user")
                    .expect("the owner's account")
            }
            None => self.with_user(owner).await,
        };
        let project = match projects::find(&self.state.db, owner, name)
            .await
            .expect("a project look-up")
        {
            Some(p) => p,
            None => {
                let mut tx = self.state.db.begin().await.expect("a transaction");
                let p = projects::create(
                    &mut tx,
                    &NewProject {
                        owner_name: owner,
                        org_id: org.as_ref().map(|o| o.id),
                        name,
                        description: "",
                        region: "local",
                    },
                )
                .await
                .expect("a new project");
                tx.commit().await.expect("commit");
                p
            }
        };
        ProjectFixture {
            db: self,
            project,
            admin,
        }
    }
}

/// A project made by [`TestDb::with_project`], and the people in it.
pub struct ProjectFixture<'a> {
    db: &'a TestDb,
    /// The project.
    pub project: Project,
    /// Its owner (personal) or its organization's first owner.
    pub admin: User,
}

impl ProjectFixture<'_> {
    /// The context of its admin, checked for [`ProjectAction::Administer`] (what every
    /// rule's own check needs at most).
    pub async fn as_admin(&self) -> ProjectCx {
        self.cx(&self.admin, ProjectAction::Administer)
            .await
            .expect("the admin passes")
    }

    /// Account `name` with `role` in the project (made and added if need be).
    pub async fn member(&self, name: &str, role: ProjectRole) -> User {
        let user = self.db.with_user(name).await;
        let mut tx = self.db.state.db.begin().await.expect("a transaction");
        if let Some(org) = self.project.org_id {
            members::add(&mut tx, Target::Org(org), user.id, OrgRole::Member)
                .await
                .expect("an organization member");
        }
        members::add(&mut tx, Target::Project(self.project.id), user.id, role)
            .await
            .expect("a project member");
        members::set_role(&mut tx, Target::Project(self.project.id), user.id, role)
            .await
            .expect("the role");
        tx.commit().await.expect("commit");
        user
    }

    /// The context `user`'s request for `action` on this project builds: the 404 or 403 a
    /// request would get, or the checked context.
    pub async fn cx(&self, user: &User, action: ProjectAction) -> Result<ProjectCx, AppError> {
        self.db
            .cx(user)
            .in_project(&self.project.owner_name, &self.project.name, action)
            .await
    }

    /// `name`'s context, with `role`, checked for `action`.
    pub async fn as_member(
        &self,
        name: &str,
        role: ProjectRole,
        action: ProjectAction,
    ) -> Result<ProjectCx, AppError> {
        let user = self.member(name, role).await;
        self.cx(&user, action).await
    }
}

impl TestDb {
    /// Account `name` with `role` in organization `org` (made and added if need be).
    pub async fn org_member(&self, org: &Org, name: &str, role: OrgRole) -> User {
        let user = self.with_user(name).await;
        let mut tx = self.state.db.begin().await.expect("a transaction");
        members::add(&mut tx, Target::Org(org.id), user.id, role)
            .await
            .expect("an organization member");
        members::set_role(&mut tx, Target::Org(org.id), user.id, role)
            .await
            .expect("the role");
        tx.commit().await.expect("commit");
        user
    }

    /// The context of `owner` in organization `name`, checked for `action`.
    pub async fn org_cx(
        &self,
        name: &str,
        user: &User,
        action: crate::domain::role::OrgAction,
    ) -> Result<OrgCx, AppError> {
        self.cx(user).in_org(name, action).await
    }
}
