//! `berth docker add-credentials | update-credentials | list-credentials | delete-credentials`:
//! the Kalix commands, on the current project (or `--project`).

use std::io::{BufRead, IsTerminal, Read, Write};

use app::domain::credential::{CredentialPage, CredentialView};
use clap::Args;

use super::{
    DockerCommand, Output, Session, Target, credential_health,
    failure::{Failure, exit},
    table,
};

/// The project flag every credential command takes.
#[derive(Debug, Clone, Args)]
pub struct ProjectArg {
    /// The project, `OWNER/PROJECT` (default: `berth config set project`'s).
    #[arg(long, short = 'p')]
    pub project: Option<String>,
}

/// `add-credentials`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The registry: `[https://]HOST[:PORT]`; empty or omitted is Docker Hub.
    #[arg(long, default_value = "")]
    pub docker_server: String,
    /// The username (Google: `_json_key`; Azure: the service principal's app ID).
    #[arg(long)]
    pub docker_username: String,
    /// The email (optional).
    #[arg(long, default_value = "")]
    pub docker_email: String,
    /// When the password (a token) stops working, `YYYY-MM-DD`: Berth warns 14 days ahead.
    #[arg(long, default_value = "")]
    pub expires_on: String,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Where the password comes from.
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct PasswordArgs {
    /// The password (visible to other users of this machine in the process list: prefer
    /// --docker-password-stdin).
    #[arg(long)]
    pub docker_password: Option<String>,
    /// Read the password from stdin (everything, without the final line break).
    #[arg(long)]
    pub docker_password_stdin: bool,
}

impl PasswordArgs {
    /// The password given, `None` when neither flag was.
    fn read(&self) -> anyhow::Result<Option<String>> {
        if self.docker_password_stdin {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            return Ok(Some(text.to_owned()));
        }
        Ok(self.docker_password.clone())
    }
}

/// `update-credentials`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The credentials' ID (`berth docker list-credentials`).
    pub id: String,
    /// New username (default: unchanged).
    #[arg(long)]
    pub docker_username: Option<String>,
    /// New email (default: unchanged; "" clears it).
    #[arg(long)]
    pub docker_email: Option<String>,
    /// New expiry date, `YYYY-MM-DD` (default: unchanged; "" clears it).
    #[arg(long)]
    pub expires_on: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `list-credentials`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
}

/// `delete-credentials`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The credentials' ID.
    pub id: String,
    /// Do not ask (on a terminal; without one nothing is asked).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The server's field names as this command's flags, in its messages.
fn flag_names(err: anyhow::Error) -> anyhow::Error {
    let Some(failure) = err.downcast_ref::<Failure>() else {
        return err;
    };
    let message = failure
        .message
        .lines()
        .map(|line| {
            for (field, flag) in [
                ("server: ", "--docker-server: "),
                ("username: ", "--docker-username: "),
                ("email: ", "--docker-email: "),
                ("password: ", "--docker-password: "),
                ("registry: ", "--docker-server: "),
                ("expires_on: ", "--expires-on: "),
            ] {
                if let Some(rest) = line.strip_prefix(field) {
                    return format!("{flag}{rest}");
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Failure::new(failure.exit, message).into()
}

pub async fn run(target: &Target, command: DockerCommand) -> anyhow::Result<()> {
    let session = Session::open(target)?;
    let result = match command {
        DockerCommand::AddCredentials(args) => add(&session, args).await,
        DockerCommand::AddEcrCredentials(args) => super::ecr::add(&session, args).await,
        DockerCommand::UpdateEcrCredentials(args) => super::ecr::update(&session, args).await,
        DockerCommand::UpdateCredentials(args) => update(&session, args).await,
        DockerCommand::ListCredentials(args) => list(&session, args).await,
        DockerCommand::DeleteCredentials(args) => delete(&session, args).await,
        DockerCommand::CheckCredentials(args) => credential_health::check(&session, args).await,
        DockerCommand::ImportCredentials(args) => credential_health::import(&session, args).await,
    };
    result.map_err(flag_names)
}

/// Every credential of the project, following the pages.
pub async fn all(
    session: &Session,
    owner: &str,
    name: &str,
) -> anyhow::Result<Vec<CredentialView>> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("owner", owner), ("name", name)];
        if let Some(a) = after.as_deref() {
            query.push(("after", a));
        }
        let page: CredentialPage = session.api.get("list_credentials", &query).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(items),
        }
    }
}

async fn add(session: &Session, args: AddArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let Some(password) = args.password.read()? else {
        return Err(Failure::usage(
            "give the password with --docker-password-stdin (or --docker-password)",
        )
        .into());
    };
    if args.password.docker_password.is_some() {
        eprintln!(
            "berth: note: a password on the command line is visible in the process list; prefer --docker-password-stdin"
        );
    }
    let server = args.docker_server.trim();
    let registry = if server.is_empty() {
        "docker_hub"
    } else {
        "other"
    };
    let id: String = session
        .api
        .post(
            "add_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("registry", registry),
                ("server", server),
                ("username", args.docker_username.as_str()),
                ("email", args.docker_email.as_str()),
                ("password", password.as_str()),
                ("expires_on", args.expires_on.as_str()),
            ],
        )
        .await?;
    println!("{id}");
    eprintln!("Credentials added to {owner}/{name}.");
    Ok(())
}

async fn update(session: &Session, args: UpdateArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let id = args.id.trim();
    let current = all(session, &owner, &name)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            Failure::new(
                exit::NOT_FOUND,
                format!("{owner}/{name} has no credentials with ID {id}"),
            )
        })?;
    let password = args.password.read()?.unwrap_or_default();
    if args.docker_username.is_none()
        && args.docker_email.is_none()
        && args.expires_on.is_none()
        && password.is_empty()
    {
        return Err(Failure::usage(
            "nothing to change: give --docker-username, --docker-email, --expires-on or a password",
        )
        .into());
    }
    let username = args.docker_username.unwrap_or(current.username);
    let email = args.docker_email.unwrap_or(current.email);
    let expires_on = args
        .expires_on
        .unwrap_or_else(|| current.expires_on.unwrap_or_default());
    session
        .api
        .post_unit(
            "update_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("id", id),
                ("username", username.as_str()),
                ("email", email.as_str()),
                ("password", password.as_str()),
                ("expires_on", expires_on.as_str()),
            ],
        )
        .await?;
    eprintln!("Credentials {id} ({}) updated.", current.server);
    Ok(())
}

/// The table `list-credentials` prints.
pub fn credentials_table(items: &[CredentialView]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.server.clone(),
                c.username.clone(),
                c.email.clone(),
            ]
        })
        .collect();
    table::render(&["ID", "SERVER", "USERNAME", "EMAIL"], &rows)
}

async fn list(session: &Session, args: ListArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let items = all(session, &owner, &name).await?;
    match args.output {
        Output::Table => print!("{}", credentials_table(&items)),
        Output::Json => {
            let list: Vec<serde_json::Value> = items
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "server": c.server,
                        "registry_host": c.registry_host,
                        "username": c.username,
                        "email": c.email,
                        "added_at": c.added_at,
                        "updated_at": c.updated_at,
                        "last_exported_at": c.last_exported_at,
                        "last_exported_by": c.last_exported_by,
                        "expires_on": c.expires_on,
                        "expiry": c.expiry,
                        "status": c.status,
                        "check_image": c.check_image,
                        "source": if c.minted.is_some() { "ecr" } else { "static" },
                        "aws_access_key_id": c.minted.as_ref().map(|m| &m.access_key_id),
                        "aws_role_arn": c.minted.as_ref().and_then(|m| m.role_arn.as_ref()),
                        "token_expires_at": c.minted.as_ref().and_then(|m| m.token_expires_at.as_ref()),
                        "token_refreshed_at": c.minted.as_ref().and_then(|m| m.token_refreshed_at.as_ref()),
                        "refresh_error": c.minted.as_ref().and_then(|m| m.refresh_error.as_ref()),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    Ok(())
}

async fn delete(session: &Session, args: DeleteArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let id = args.id.trim();
    // On a terminal a person is asked; a script (no terminal: Kalix's scripts call
    // `docker delete-credentials ID` as it is) deletes as asked, audited as always.
    if !args.yes && std::io::stdin().is_terminal() {
        let server = all(session, &owner, &name)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| c.server)
            .ok_or_else(|| {
                Failure::new(
                    exit::NOT_FOUND,
                    format!("{owner}/{name} has no credentials with ID {id}"),
                )
            })?;
        eprint!(
            "Delete the credentials for {server} ({id}) from {owner}/{name}? Pulls from it will fail. [y/N] "
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
            return Err(Failure::new(exit::OTHER, "not deleted").into());
        }
    }
    session
        .api
        .post_unit(
            "delete_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("id", id),
            ],
        )
        .await?;
    eprintln!("Credentials {id} deleted from {owner}/{name}.");
    Ok(())
}
