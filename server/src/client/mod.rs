//! The client commands of `berth`: log in to a Berth server, manage a project's registry
//! credentials, configure docker, podman and skopeo for KCR, list what is in KCR, and export
//! pull secrets. The
//! same binary is the docker credential helper when called as `docker-credential-berth`
//! (`helper`). Data goes to stdout, progress and messages to stderr; exit codes are in
//! `failure::exit`.

pub mod api;
pub mod config;
pub mod credential_health;
pub mod credentials;
pub mod ecr;
pub mod failure;
pub mod helper;
pub mod images;
pub mod registry;
pub mod session;
pub mod table;

use clap::{Args, Subcommand, ValueEnum};

use self::{
    api::Api,
    config::ClientConfig,
    failure::{Failure, exit},
};

/// Where to reach Berth (every client command).
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The Berth server (default: the one `berth login` used).
    #[arg(long, env = "BERTH_URL", global = true)]
    pub url: Option<String>,
}

/// `-o table|json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

/// `berth projects ...`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List the projects you can see (the current one marked with *).
    List {
        #[arg(short, long, value_enum, default_value_t)]
        output: Output,
    },
}

/// `berth config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set a setting: `project OWNER/PROJECT` (the project commands act on) or `url URL`.
    Set {
        /// `project` or `url`.
        key: String,
        value: String,
    },
    /// Print the settings (never the token) and where they are kept.
    Show,
}

/// `berth docker ...`: a project's registry credentials (Kalix's `docker` commands).
#[derive(Debug, Subcommand)]
pub enum DockerCommand {
    /// Add credentials for a registry (one per registry host).
    AddCredentials(credentials::AddArgs),
    /// Add Amazon ECR credentials: AWS keys (and a role) from which Berth gets the registry's
    /// 12-hour password and renews it.
    AddEcrCredentials(ecr::AddEcrArgs),
    /// Change the username, email or password of credentials.
    UpdateCredentials(credentials::UpdateArgs),
    /// Give Amazon ECR credentials new AWS keys (a rotated key) or another role.
    UpdateEcrCredentials(ecr::UpdateEcrArgs),
    /// List the project's credentials: ID, SERVER, USERNAME, EMAIL (never a password).
    ListCredentials(credentials::ListArgs),
    /// Delete credentials (asks first unless --yes).
    DeleteCredentials(credentials::DeleteArgs),
    /// Try credentials against their registry (reach, TLS, sign in, pull an image); exit 8
    /// when they do not work.
    CheckCredentials(credential_health::CheckArgs),
    /// Import the logins of a docker config.json (shows what it would do, asks first unless
    /// --yes).
    ImportCredentials(credential_health::ImportArgs),
}

/// `berth auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// KCR, the built-in registry: docker, podman and skopeo log in through `berth`.
    #[command(subcommand)]
    ContainerRegistry(registry::ContainerRegistryCommand),
}

/// Runs a client command; the error's [`Failure`] says the exit code.
pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Login(args) => session::login(args).await,
        ClientCommand::Logout(target) => session::logout(&target).await,
        ClientCommand::Whoami(target) => session::whoami(&target).await,
        ClientCommand::Projects { target, command } => session::projects(&target, command).await,
        ClientCommand::Config { target, command } => session::config(&target, command).await,
        ClientCommand::Docker { target, command } => credentials::run(&target, command).await,
        ClientCommand::Auth {
            target,
            command: AuthCommand::ContainerRegistry(command),
        } => registry::run(&target, command).await,
        ClientCommand::PullSecret(args) => registry::pull_secret(args).await,
        ClientCommand::Images { target, command } => images::run(&target, command).await,
    }
}

/// The client commands, as `berth` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in to a Berth server: approve this device in the browser, or --with-token.
    Login(session::LoginArgs),
    /// Revoke the token `berth login` received and forget it.
    Logout(Target),
    /// Who the token acts as, and with which scopes.
    Whoami(Target),
    /// Projects you can see.
    Projects {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: ProjectsCommand,
    },
    /// The CLI's settings (~/.config/berth/config.toml).
    Config {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// A project's registry credentials.
    Docker {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: DockerCommand,
    },
    /// Registry logins.
    Auth {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Export a project's pull secret: its registry credentials (passwords included) and a
    /// pull-only KCR login, as a .dockerconfigjson or a Kubernetes Secret.
    PullSecret(registry::PullSecretArgs),
    /// What a project has in KCR: its repositories and their tags.
    Images {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: images::ImagesCommand,
    },
}

/// The saved config with the environment's overrides, and a client for its server.
pub struct Session {
    pub config: ClientConfig,
    pub api: Api,
}

impl Session {
    /// A client for `target` with the saved token (or `BERTH_TOKEN`); not logged in is a
    /// failure that says how to log in.
    pub fn open(target: &Target) -> anyhow::Result<Self> {
        let config = ClientConfig::load()?;
        let url = target
            .url
            .clone()
            .or_else(|| config.url.clone())
            .ok_or_else(|| {
                Failure::new(
                    exit::UNAUTHENTICATED,
                    "not logged in: run `berth login --url https://YOUR-BERTH` (or set BERTH_URL and BERTH_TOKEN)",
                )
            })?;
        let url = api::parse_url(&url)?;
        // The saved token is for the saved server only: it never goes to another one.
        let same_server = config
            .url
            .as_deref()
            .is_some_and(|saved| api::parse_url(saved).ok() == api::parse_url(&url).ok());
        let saved_token = config.token.clone().filter(|_| same_server);
        let token = env_token().or(saved_token).ok_or_else(|| {
            Failure::new(
                exit::UNAUTHENTICATED,
                format!(
                    "not logged in to {url}: run `berth login --url {url}` (or set BERTH_TOKEN)"
                ),
            )
        })?;
        let api = Api::new(&url, Some(token))?;
        Ok(Self { config, api })
    }

    /// The project to act on: `--project`, else `BERTH_PROJECT`, else the config's, else a
    /// project token's own.
    pub async fn project(&self, flag: Option<&str>) -> anyhow::Result<(String, String)> {
        let chosen = flag
            .map(str::to_owned)
            .or_else(|| {
                std::env::var("BERTH_PROJECT")
                    .ok()
                    .filter(|p| !p.is_empty())
            })
            .or_else(|| self.config.project.clone());
        let chosen = match chosen {
            Some(p) => p,
            None => self.implied_project().await?,
        };
        split_project(&chosen).map_err(Into::into)
    }

    /// The project a command means when none was named: a project token's own; else, for a
    /// person at a terminal, the project chosen as current in the browser; else the only one
    /// the person has. Said on stderr, so that nobody is surprised where a change went.
    async fn implied_project(&self) -> anyhow::Result<String> {
        let me: app::domain::token::Identity = self.api.get("whoami", &[]).await?;
        if let Some(project) = me.project {
            return Ok(project);
        }
        let none = || {
            Failure::usage(
                "no project chosen: give --project OWNER/PROJECT or run `berth config set project OWNER/PROJECT`",
            )
        };
        let projects: Vec<app::domain::project::ProjectSummary> = self
            .api
            .get("list_projects", &[])
            .await
            .map_err(|_| none())?;
        let name = |p: &app::domain::project::ProjectSummary| format!("{}/{}", p.owner, p.name);
        // The browser's choice moves as the person clicks around: it speaks for a person at a
        // terminal (who reads the line below), never for a script.
        let at_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        if let Some(current) = projects.iter().find(|p| p.is_current && at_terminal) {
            eprintln!(
                "Project {} (your current project in the browser; --project or `berth config set project` picks another).",
                name(current)
            );
            return Ok(name(current));
        }
        match projects.as_slice() {
            [only] => {
                eprintln!("Project {} (your only project).", name(only));
                Ok(name(only))
            }
            [] => Err(
                Failure::usage("you have no project yet: create one in the browser first").into(),
            ),
            _ => Err(none().into()),
        }
    }
}

/// `OWNER/PROJECT` in two.
pub fn split_project(text: &str) -> Result<(String, String), Failure> {
    match text.trim().split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((owner.to_owned(), name.to_owned()))
        }
        _ => Err(Failure::usage(format!(
            "\"{text}\" is not a project: write it as OWNER/PROJECT"
        ))),
    }
}

/// `BERTH_TOKEN`, when set.
pub fn env_token() -> Option<String> {
    std::env::var("BERTH_TOKEN")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}
