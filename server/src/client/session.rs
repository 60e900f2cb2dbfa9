//! `berth login`, `logout`, `whoami`, `projects list` and `config`.

use std::{io::Read, time::Duration};

use app::domain::{project::ProjectSummary, token::Identity};
use clap::Args;
use serde::Deserialize;

use super::{
    ConfigCommand, Output, ProjectsCommand, Session, Target,
    api::{Api, parse_url},
    config::{self, ClientConfig},
    env_token,
    failure::{Failure, exit},
    split_project, table,
};

/// The scopes `berth login` asks for: what the CLI's commands use, but exporting pull
/// secrets (which reads passwords: ask for it with `--scopes` when a machine needs it).
pub const DEFAULT_SCOPES: &str = "projects:read credentials:write registry:push";

/// `berth login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub target: Target,
    /// Read an access token from stdin instead (for CI): `echo $TOKEN | berth login --with-token`.
    #[arg(long)]
    pub with_token: bool,
    /// The scopes to ask for, space-separated.
    #[arg(long, default_value = DEFAULT_SCOPES)]
    pub scopes: String,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

#[derive(Deserialize)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: u64,
    interval: u64,
}

#[derive(Deserialize)]
struct DeviceToken {
    access_token: String,
    username: String,
    token_name: String,
}

/// Logs in and saves the URL, the token and whose it is.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let mut saved = ClientConfig::load()?;
    let url = args
        .target
        .url
        .clone()
        .or_else(|| saved.url.clone())
        .ok_or_else(|| {
            Failure::usage("give the Berth server: berth login --url https://YOUR-BERTH")
        })?;
    let url = parse_url(&url)?;
    let (token, username, project) = if args.with_token {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let token = text.trim().to_owned();
        if token.is_empty() {
            return Err(Failure::usage(
                "--with-token reads the token from stdin, and stdin was empty",
            )
            .into());
        }
        let me: Identity = Api::new(&url, Some(token.clone()))?
            .get("whoami", &[])
            .await?;
        (token, me.username, me.project)
    } else {
        let (token, username) = device_login(&url, &args.scopes).await?;
        (token, Some(username), None)
    };
    if saved.url.as_deref() != Some(url.as_str()) {
        saved.kcr_hosts.clear();
        saved.kcr_url = None;
        saved.project = None;
        // Another server's project: its hosts must not be asked of this one.
        saved.credentials_project = None;
        saved.credential_hosts.clear();
    }
    saved.url = Some(url.clone());
    saved.token = Some(token);
    saved.username = username.clone();
    if project.is_some() {
        saved.project = project;
    }
    let path = saved.save()?;
    eprintln!(
        "Logged in to {url} as {}. Settings saved in {}.",
        username.as_deref().unwrap_or("a project token"),
        path.display()
    );
    Ok(())
}

async fn device_login(url: &str, scopes: &str) -> anyhow::Result<(String, String)> {
    let api = Api::new(url, None)?;
    let client_name = format!("berth CLI on {}", hostname());
    let (status, body) = api
        .post_raw(
            "/device/code",
            &[("client_name", client_name.as_str()), ("scope", scopes)],
        )
        .await?;
    if status != 200 {
        return Err(oauth_failure(status, &body).into());
    }
    let code: DeviceCode = serde_json::from_value(body).map_err(|_| {
        Failure::new(
            exit::UNAVAILABLE,
            format!("{url} did not answer a device login"),
        )
    })?;
    eprintln!(
        "To log in, open {} in a browser where you are signed in to Berth and enter the code\n\n    {}\n\nor open {}\nWaiting for approval (the code expires in {} minutes)...",
        code.verification_uri,
        code.user_code,
        code.verification_uri_complete,
        code.expires_in / 60
    );
    let mut interval = code.interval.max(1);
    let deadline = std::time::Instant::now() + Duration::from_secs(code.expires_in + 30);
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if std::time::Instant::now() > deadline {
            return Err(Failure::new(
                exit::UNAUTHENTICATED,
                "the login expired before it was approved; run berth login again",
            )
            .into());
        }
        let (status, body) = api
            .post_raw(
                "/device/token",
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", code.device_code.as_str()),
                ],
            )
            .await?;
        if status == 200 {
            let token: DeviceToken = serde_json::from_value(body).map_err(|_| {
                Failure::new(
                    exit::UNAVAILABLE,
                    "the server's token answer could not be read",
                )
            })?;
            eprintln!("Approved: token \"{}\".", token.token_name);
            return Ok((token.access_token, token.username));
        }
        match body.get("error").and_then(|e| e.as_str()) {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += 5,
            _ => return Err(oauth_failure(status, &body).into()),
        }
    }
}

fn oauth_failure(status: u16, body: &serde_json::Value) -> Failure {
    let code = body
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or("error");
    let text = body
        .get("error_description")
        .and_then(|e| e.as_str())
        .unwrap_or("the device login failed");
    let exit = match code {
        "access_denied" | "expired_token" | "invalid_grant" => exit::UNAUTHENTICATED,
        "invalid_scope" | "invalid_request" => exit::INVALID,
        _ if status >= 500 || status == 429 => exit::UNAVAILABLE,
        _ => exit::OTHER,
    };
    Failure::new(exit, format!("{text} ({code})"))
}

/// Revokes the saved token and forgets it.
pub async fn logout(target: &Target) -> anyhow::Result<()> {
    let mut saved = ClientConfig::load()?;
    let Some(token) = saved.token.clone() else {
        eprintln!("Not logged in: nothing to do.");
        return Ok(());
    };
    let url = target
        .url
        .clone()
        .or_else(|| saved.url.clone())
        .unwrap_or_default();
    let api = Api::new(&url, Some(token))?;
    match api.post_unit("revoke_this_token", &[]).await {
        Ok(()) => eprintln!("The token is revoked."),
        // Already revoked or expired: forgetting it is all that is left.
        Err(f) if f.exit == exit::UNAUTHENTICATED => eprintln!("The token was no longer valid."),
        Err(f) => return Err(f.into()),
    }
    saved.token = None;
    saved.username = None;
    let path = saved.save()?;
    eprintln!("Logged out of {url} ({} updated).", path.display());
    if env_token().is_some() {
        eprintln!("Note: BERTH_TOKEN is still set in this shell.");
    }
    Ok(())
}

/// Prints who the token acts as.
pub async fn whoami(target: &Target) -> anyhow::Result<()> {
    let session = Session::open(target)?;
    let me: Identity = session.api.get("whoami", &[]).await?;
    let who = match (&me.username, &me.project) {
        (Some(user), _) => user.clone(),
        (None, Some(project)) => format!("project {project}"),
        (None, None) => "-".into(),
    };
    println!("{who}");
    eprintln!("{}", identity_words(&me, &session.api.base));
    Ok(())
}

/// What `whoami` tells a person about the token it acts with, in words: "personal access
/// token ci-laptop, expires 2027-03-07 (in 90 days); scopes projects:read; at URL".
pub fn identity_words(me: &Identity, base: &str) -> String {
    let kind = match me.kind.as_str() {
        "personal_token" => "personal access token",
        "project_token" => "project access token",
        "session" => "browser session",
        other => other,
    };
    let name = me
        .token_name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let of = me
        .project
        .as_deref()
        .map(|p| format!(" of {p}"))
        .unwrap_or_default();
    let expires = match me.expires_at.as_deref() {
        None => "never expires".to_owned(),
        Some(at) => {
            match time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339) {
                Ok(when) => {
                    let days = (when - time::OffsetDateTime::now_utc()).whole_days();
                    let date = when.date();
                    match days {
                        d if d < 0 => format!("expired on {date}"),
                        0 => format!("expires {date} (today)"),
                        1 => format!("expires {date} (tomorrow)"),
                        d => format!("expires {date} (in {d} days)"),
                    }
                }
                Err(_) => format!("expires {at}"),
            }
        }
    };
    let scopes: Vec<&str> = me.scopes.iter().map(|s| s.as_str()).collect();
    format!(
        "{kind}{name}{of}, {expires}; scopes {}; at {base}",
        scopes.join(" ")
    )
}

/// `berth projects list`.
pub async fn projects(target: &Target, command: ProjectsCommand) -> anyhow::Result<()> {
    let ProjectsCommand::List { output } = command;
    let session = Session::open(target)?;
    let projects: Vec<ProjectSummary> = session.api.get("list_projects", &[]).await?;
    let current = session.config.project.clone();
    match output {
        Output::Json => {
            let list: Vec<serde_json::Value> = projects
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "project": format!("{}/{}", p.owner, p.name),
                        "region": p.region,
                        "role": p.role.as_str(),
                        "description": p.description,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        Output::Table => {
            let rows: Vec<Vec<String>> = projects
                .iter()
                .map(|p| {
                    let full = format!("{}/{}", p.owner, p.name);
                    let mark = if current.as_deref() == Some(full.as_str()) {
                        "*"
                    } else {
                        ""
                    };
                    vec![full, p.region.clone(), p.role.as_str().into(), mark.into()]
                })
                .collect();
            print!(
                "{}",
                table::render(&["PROJECT", "REGION", "ROLE", "CURRENT"], &rows)
            );
        }
    }
    Ok(())
}

/// `berth config set|show`.
pub async fn config(target: &Target, command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Show => {
            let saved = ClientConfig::load()?;
            println!("file      {}", config::path()?.display());
            println!("url       {}", saved.url.as_deref().unwrap_or("-"));
            println!("username  {}", saved.username.as_deref().unwrap_or("-"));
            println!(
                "token     {}",
                if saved.token.is_some() { "saved" } else { "-" }
            );
            println!("project   {}", saved.project.as_deref().unwrap_or("-"));
            println!(
                "kcr hosts {}{}",
                if saved.kcr_hosts.is_empty() {
                    "-".into()
                } else {
                    saved.kcr_hosts.join(" ")
                },
                saved
                    .kcr_url
                    .as_deref()
                    .map(|u| format!(" (of {u})"))
                    .unwrap_or_default()
            );
            Ok(())
        }
        ConfigCommand::Set { key, value } => match key.as_str() {
            "project" => {
                let (owner, name) = split_project(&value)?;
                let session = Session::open(target)?;
                // The project must exist for this caller: a typo fails now, not later.
                let _: serde_json::Value = session
                    .api
                    .get(
                        "get_project",
                        &[("owner", owner.as_str()), ("name", name.as_str())],
                    )
                    .await?;
                let mut saved = session.config;
                saved.project = Some(format!("{owner}/{name}"));
                saved.save()?;
                eprintln!("The current project is {owner}/{name}.");
                Ok(())
            }
            "url" => {
                let mut saved = ClientConfig::load()?;
                saved.url = Some(parse_url(&value)?);
                saved.save()?;
                Ok(())
            }
            other => Err(Failure::usage(format!(
                "there is no setting \"{other}\"; the settings are project and url"
            ))
            .into()),
        },
    }
}
