//! `docker-credential-berth`: the docker credential-helper protocol, answered by the same
//! binary when it is called by that name (`berth auth container-registry install-helper`
//! links it). docker, podman and skopeo run it for the hosts `configure` put in `credHelpers`:
//!
//! - `get` (stdin: a server URL): for a KCR host, `{"ServerURL","Username","Secret"}` with the
//!   CLI's token (the username is the token's owner; a project token takes any); for a host
//!   of the project `configure --project` named, that project's stored credential for it (an
//!   Amazon ECR one's current token), from the server's `registry_login` when the token may
//!   export the project's pull secrets (else the server's refusal on stdout, exit 1); any
//!   other host: `credentials not found in native keychain` on stdout, exit 1;
//! - `store` and `erase` (a `docker login` / `docker logout`): accepted for KCR hosts and
//!   ignored (said on stderr: the token comes from `berth login`), refused for others;
//! - `list`: `{"HOST": "USERNAME"}` for every KCR host.

use std::io::Read;

use app::domain::{pull_secret::RegistryLogin, registry::canonical_host, token::Identity};

use super::{
    api::{Api, parse_url},
    config::ClientConfig,
    env_token,
    failure::{Failure, exit},
};

/// The helper's name (docker runs `docker-credential-` + the `credHelpers` value).
pub const NAME: &str = "docker-credential-berth";

/// docker's words for a host the helper knows nothing about.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The host of a server URL as docker passes it (`https://HOST/v1/`, `HOST`, `HOST:PORT`).
pub fn host_of(server_url: &str) -> String {
    let text = server_url.trim();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    text.split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Runs the helper with its arguments (without argv[0]); the process exit code.
pub async fn main(args: &[String]) -> u8 {
    let action = args.first().map(String::as_str).unwrap_or_default();
    let mut input = String::new();
    if matches!(action, "get" | "store" | "erase")
        && std::io::stdin().read_to_string(&mut input).is_err()
    {
        println!("cannot read stdin");
        return 1;
    }
    let config = match ClientConfig::load() {
        Ok(c) => c,
        Err(err) => {
            println!("{err:#}");
            return 1;
        }
    };
    // The hosts `configure` saved belong to one server; they are answered only while that is
    // the server in use (BERTH_URL, else the saved one), so no token reaches another's registry.
    let server = std::env::var("BERTH_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| config.url.clone());
    let normalized = |u: &Option<String>| u.as_deref().and_then(|u| parse_url(u).ok());
    let bound =
        normalized(&config.kcr_url).is_some() && normalized(&config.kcr_url) == normalized(&server);
    let hosts: &[String] = if bound { &config.kcr_hosts } else { &[] };
    let is_kcr = |host: &str| hosts.iter().any(|h| h.eq_ignore_ascii_case(host));
    // A stored credential's host (canonical, so that Docker Hub's spellings are one).
    let stored_host = |host: &str| {
        let canonical = canonical_host(host).ok()?;
        let project = config.credentials_project.as_deref().filter(|_| bound)?;
        config
            .credential_hosts
            .contains(&canonical)
            .then(|| (canonical, project.to_owned()))
    };
    match action {
        "get" => {
            let host = host_of(&input);
            let stored = if is_kcr(&host) {
                None
            } else {
                match stored_host(input.trim()) {
                    Some(found) => Some(found),
                    None => {
                        println!("{NOT_FOUND}");
                        return 1;
                    }
                }
            };
            let saved = config
                .token
                .clone()
                .filter(|_| normalized(&config.url) == normalized(&config.kcr_url));
            let Some(token) = env_token().or(saved) else {
                println!("not logged in to Berth: run `berth login`");
                return 1;
            };
            let (username, secret) = match stored {
                Some((host, project)) => {
                    match stored_login(server.as_deref(), &token, &project, &host).await {
                        Ok(login) => (login.username.clone(), login.secret.clone()),
                        // Gone from the project: docker goes on without a login (a public
                        // image still pulls).
                        Err(err)
                            if err
                                .downcast_ref::<Failure>()
                                .is_some_and(|f| f.exit == exit::NOT_FOUND) =>
                        {
                            println!("{NOT_FOUND}");
                            return 1;
                        }
                        Err(err) => {
                            println!("berth: {err:#}");
                            return 1;
                        }
                    }
                }
                None => {
                    let Some(username) = username_for(&config, &token).await else {
                        println!("cannot tell whose token this is: run `berth login` again");
                        return 1;
                    };
                    (username, token)
                }
            };
            // In the protocol's order (docker's own helpers write these fields so).
            #[derive(serde::Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct Credentials<'a> {
                #[serde(rename = "ServerURL")]
                server_url: &'a str,
                username: &'a str,
                secret: &'a str,
            }
            let answer = Credentials {
                server_url: input.trim(),
                username: &username,
                secret: &secret,
            };
            println!("{}", serde_json::to_string(&answer).unwrap_or_default());
            0
        }
        "store" => {
            let server = serde_json::from_str::<serde_json::Value>(&input)
                .ok()
                .and_then(|v| {
                    v.get("ServerURL")
                        .and_then(|s| s.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            let host = host_of(&server);
            if let Some((host, project)) = stored_host(&server) {
                println!(
                    "berth: the login to {host} is {project}'s registry credential in Berth: change it there (`berth docker update-credentials`, or `update-ecr-credentials` for Amazon ECR); nothing stored"
                );
                return 1;
            }
            if is_kcr(&host) {
                eprintln!(
                    "berth: {host} is KCR: its login is your berth token (`berth login`); nothing stored"
                );
                0
            } else {
                println!("berth stores no credentials for {host}: it answers for KCR hosts only");
                1
            }
        }
        "erase" => {
            let host = host_of(&input);
            if is_kcr(&host) {
                eprintln!(
                    "berth: {host} is KCR: nothing stored to erase (`berth logout` revokes the token)"
                );
                0
            } else {
                println!("{NOT_FOUND}");
                1
            }
        }
        "list" => {
            let username = config.username.clone().unwrap_or_else(|| "berth".into());
            let map: serde_json::Map<String, serde_json::Value> = hosts
                .iter()
                .map(|h| (h.clone(), serde_json::Value::String(username.clone())))
                .collect();
            println!("{}", serde_json::Value::Object(map));
            0
        }
        "version" => {
            println!("{NAME} (berth {})", env!("CARGO_PKG_VERSION"));
            0
        }
        _ => {
            eprintln!(
                "Usage: {NAME} <get|store|erase|list|version>\nThe docker credential helper of Berth's KCR; run `berth auth container-registry configure` to use it."
            );
            2
        }
    }
}

/// `project`'s stored login for `host`, from the server.
async fn stored_login(
    server: Option<&str>,
    token: &str,
    project: &str,
    host: &str,
) -> anyhow::Result<RegistryLogin> {
    let server = server.ok_or_else(|| anyhow::anyhow!("no Berth server: run `berth login`"))?;
    let (owner, name) = super::split_project(project)?;
    let login = Api::new(server, Some(token.to_owned()))?
        .post(
            "registry_login",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("server", host),
            ],
        )
        .await?;
    Ok(login)
}

/// The username to send with `token`: the saved one for the saved token, any for a project
/// token, else the owner `whoami` names.
async fn username_for(config: &ClientConfig, token: &str) -> Option<String> {
    if config.token.as_deref() == Some(token)
        && let Some(name) = &config.username
    {
        return Some(name.clone());
    }
    if token.starts_with("berth_prj_") {
        return Some("berth".into());
    }
    let url = std::env::var("BERTH_URL")
        .ok()
        .or_else(|| config.url.clone())?;
    let me: Identity = Api::new(&url, Some(token.to_owned()))
        .ok()?
        .get("whoami", &[])
        .await
        .ok()?;
    me.username
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_every_form_docker_passes() {
        assert_eq!(host_of("localhost:5000"), "localhost:5000");
        assert_eq!(host_of("https://KCR.example.com/v1/\n"), "kcr.example.com");
        assert_eq!(host_of("http://127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
