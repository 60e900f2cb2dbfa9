//! `berth auth container-registry configure | print | install-helper` (Kalix's commands) and
//! `berth pull-secret`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::domain::{
    kcr::{PushTargetView, RegistryRow},
    project::ProjectSummary,
    pull_secret::{ExportPreview, PullSecret},
    region::Region,
    registry::canonical_host,
    token::Identity,
};
use clap::{Args, Subcommand};

use super::{
    Session, Target,
    config::{self, write_atomically},
    credentials::ProjectArg,
    failure::Failure,
    helper, table,
};

/// `berth auth container-registry ...`.
#[derive(Debug, Subcommand)]
pub enum ContainerRegistryCommand {
    /// Make docker, podman and skopeo log in to every KCR host of your regions through
    /// `docker-credential-berth` (adds `credHelpers` to ~/.docker/config.json, keeping the
    /// rest, with a backup), then print the registry table. With `--project`, also every
    /// registry that project has credentials for: the helper hands out their passwords (an
    /// Amazon ECR one's current token) while your token may export the project's pull secrets.
    Configure {
        /// Also log in to this project's registries, `OWNER/PROJECT`.
        #[arg(long, short = 'p')]
        project: Option<String>,
    },
    /// Print the registry table: REGION, ORGANIZATION, ORGANIZATION ID, CONTAINER REGISTRY.
    Print,
    /// Put `docker-credential-berth` on the PATH: a link to this binary.
    InstallHelper {
        /// The folder for the link (default: ~/.local/bin).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// `berth pull-secret`.
#[derive(Debug, Args)]
pub struct PullSecretArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub project: ProjectArg,
    /// `dockerconfigjson` (an auth file for docker, podman, skopeo) or `k8s` (a Secret).
    #[arg(long, default_value = "dockerconfigjson")]
    pub format: String,
    /// The Kubernetes Secret's name (default OWNER-PROJECT-pull).
    #[arg(long, default_value = "")]
    pub name: String,
    /// How long the KCR login inside works: 30m, 1h, 12h, 7d (5 minutes to 30 days).
    #[arg(long, default_value = "1h")]
    pub kcr_ttl: String,
    /// Write the file here (mode 0600) instead of stdout.
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
}

pub async fn run(target: &Target, command: ContainerRegistryCommand) -> anyhow::Result<()> {
    match command {
        ContainerRegistryCommand::Print => {
            let session = Session::open(target)?;
            let (rows, _) = registry_rows(&session).await?;
            print!("{}", registry_table(&rows));
            Ok(())
        }
        ContainerRegistryCommand::Configure { project } => configure(target, project).await,
        ContainerRegistryCommand::InstallHelper { dir } => install_helper(dir),
    }
}

/// The registry table's rows and every KCR host the caller reaches (their organizations'
/// regions and their projects' regions; a project token, its project's).
async fn registry_rows(session: &Session) -> anyhow::Result<(Vec<RegistryRow>, Vec<String>)> {
    let me: Identity = session.api.get("whoami", &[]).await?;
    let mut hosts = Vec::new();
    let rows = if let Some(project) = me.project.filter(|_| me.username.is_none()) {
        let (owner, name) = super::split_project(&project)?;
        let target: PushTargetView = session
            .api
            .get(
                "push_target",
                &[("owner", owner.as_str()), ("name", name.as_str())],
            )
            .await?;
        hosts.push(target.region.kcr_host.clone());
        vec![RegistryRow {
            region: target.region.name.clone(),
            organization: owner.clone(),
            organization_id: "-".into(),
            registry: format!("{}/{owner}", target.region.kcr_host),
        }]
    } else {
        let mut rows: Vec<RegistryRow> = session.api.get("registry_table", &[]).await?;
        let regions: Vec<Region> = session.api.get("list_regions", &[]).await?;
        let projects: Vec<ProjectSummary> = session.api.get("list_projects", &[]).await?;
        for row in &rows {
            if let Some(r) = regions.iter().find(|r| r.name == row.region) {
                hosts.push(r.kcr_host.clone());
            }
        }
        for p in &projects {
            let Some(r) = regions.iter().find(|r| r.name == p.region) else {
                continue;
            };
            hosts.push(r.kcr_host.clone());
            // A personal account's own registry path, once per region.
            let registry = format!("{}/{}", r.kcr_host, p.owner);
            if !p.owner_is_org && !rows.iter().any(|row| row.registry == registry) {
                rows.push(RegistryRow {
                    region: r.name.clone(),
                    organization: format!("{} (personal)", p.owner),
                    organization_id: "-".into(),
                    registry,
                });
            }
        }
        rows
    };
    hosts.sort();
    hosts.dedup();
    Ok((rows, hosts))
}

/// The table `print` and `configure` show.
pub fn registry_table(rows: &[RegistryRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.region.clone(),
                r.organization.clone(),
                r.organization_id.clone(),
                r.registry.clone(),
            ]
        })
        .collect();
    table::render(
        &[
            "REGION",
            "ORGANIZATION",
            "ORGANIZATION ID",
            "CONTAINER REGISTRY",
        ],
        &rows,
    )
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path() -> anyhow::Result<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir).join("config.json")),
        None => Ok(config::home()?.join(".docker").join("config.json")),
    }
}

/// `existing` (a docker config, or nothing) with `credHelpers` sending every host of `hosts`
/// to `berth`; every other key is kept as it was.
pub fn merge_cred_helpers(existing: Option<&str>, hosts: &[String]) -> anyhow::Result<String> {
    let mut doc: serde_json::Value = match existing.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => serde_json::from_str(text)
            .context("the docker config is not valid JSON; fix or move it, then run this again")?,
        None => serde_json::json!({}),
    };
    let Some(object) = doc.as_object_mut() else {
        anyhow::bail!(
            "the docker config is not a JSON object; fix or move it, then run this again"
        );
    };
    let helpers = object
        .entry("credHelpers")
        .or_insert_with(|| serde_json::json!({}));
    let Some(helpers) = helpers.as_object_mut() else {
        anyhow::bail!(
            "credHelpers in the docker config is not an object; fix it, then run this again"
        );
    };
    for host in hosts {
        let before = helpers.insert(host.clone(), serde_json::Value::String("berth".into()));
        if let Some(other) = before
            .as_ref()
            .and_then(|v| v.as_str())
            .filter(|v| *v != "berth")
        {
            eprintln!(
                "{host} logged in through docker-credential-{other}; now through docker-credential-berth."
            );
        }
    }
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// The `credHelpers` keys of a registry host: Docker Hub's is the legacy URL docker looks up
/// and `docker.io`, which podman and skopeo look up; any other is the bare host.
pub fn helper_keys(host: &str) -> Vec<String> {
    if host == app::domain::registry::DOCKER_HUB_HOST {
        vec![
            app::domain::registry::DOCKER_HUB_SERVER.to_owned(),
            host.to_owned(),
        ]
    } else {
        vec![host.to_owned()]
    }
}

/// The registry hosts of `OWNER/PROJECT`'s stored credentials, canonical (Berth's own KCR
/// hosts left out: those log in with the Berth token). Read from what an export would hold,
/// so the same access that lets the helper hand them out lets `configure` find them.
async fn credential_hosts(
    session: &Session,
    owner: &str,
    name: &str,
    kcr_hosts: &[String],
) -> anyhow::Result<Vec<String>> {
    let preview: ExportPreview = session
        .api
        .get("pull_secret_preview", &[("owner", owner), ("name", name)])
        .await?;
    let mut hosts: Vec<String> = preview
        .credentials
        .iter()
        .filter_map(|(server, _)| canonical_host(server).ok())
        .filter(|h| !kcr_hosts.iter().any(|k| k.eq_ignore_ascii_case(h)))
        .collect();
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

async fn configure(target: &Target, project: Option<String>) -> anyhow::Result<()> {
    let session = Session::open(target)?;
    let (rows, hosts) = registry_rows(&session).await?;
    let credentials = match project.as_deref() {
        Some(flag) => {
            let (owner, name) = session.project(Some(flag)).await?;
            let found = credential_hosts(&session, &owner, &name, &hosts).await?;
            Some((format!("{owner}/{name}"), found))
        }
        None => None,
    };
    if hosts.is_empty() && credentials.as_ref().is_none_or(|(_, c)| c.is_empty()) {
        return Err(Failure::usage(
            "you are in no project or organization with a region yet: nothing to configure",
        )
        .into());
    }
    let path = docker_config_path()?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut keys = hosts.clone();
    if let Some((_, found)) = &credentials {
        keys.extend(found.iter().flat_map(|h| helper_keys(h)));
    }
    let merged = merge_cred_helpers(existing.as_deref(), &keys)?;
    let mode = file_mode(&path).unwrap_or(0o600);
    if let Some(text) = &existing {
        let backup = path.with_extension("json.bak");
        write_atomically(&backup, text.as_bytes(), mode)?;
        eprintln!("Backup of the previous file: {}", backup.display());
    }
    write_atomically(&path, merged.as_bytes(), mode)?;
    let mut saved = session.config.clone();
    saved.kcr_hosts = hosts.clone();
    saved.kcr_url = Some(session.api.base.clone());
    match &credentials {
        Some((project, found)) => {
            saved.credentials_project = Some(project.clone());
            saved.credential_hosts = found.clone();
        }
        // Set up against another server before: that server's project is not this one's.
        None if session.config.kcr_url.as_deref() != Some(session.api.base.as_str()) => {
            saved.credentials_project = None;
            saved.credential_hosts.clear();
        }
        None => {}
    }
    saved.save()?;
    let mut reached = Vec::new();
    if !hosts.is_empty() {
        reached.push(hosts.join(", "));
    }
    if let Some((project, found)) = &credentials
        && !found.is_empty()
    {
        reached.push(format!("{} with {project}'s credentials", found.join(", ")));
    }
    eprintln!(
        "Wrote {}: docker, podman and skopeo log in to {} through docker-credential-berth.",
        path.display(),
        reached.join(", and to ")
    );
    eprintln!(
        "Wrote {}: the helper answers for those hosts with your berth login.",
        config::path()?.display()
    );
    match &credentials {
        Some((project, found)) if found.is_empty() => eprintln!(
            "{project} has no registry credentials yet: run this again after adding some."
        ),
        Some((project, _)) => eprintln!(
            "The helper hands out {project}'s registry passwords (an Amazon ECR one's current token) while your token may export its pull secrets (pull-secrets:export, held by a project admin or a project token)."
        ),
        None => {}
    }
    if which("docker-credential-berth").is_none() {
        eprintln!(
            "Run `berth auth container-registry install-helper` to put docker-credential-berth on the PATH."
        );
    }
    print!("{}", registry_table(&rows));
    Ok(())
}

fn file_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Where `name` is on the PATH.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn install_helper(dir: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = match dir {
        Some(d) => d,
        None => config::home()?.join(".local").join("bin"),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let link = dir.join(helper::NAME);
    let tmp = dir.join(format!(".{}.{}", helper::NAME, std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&exe, &tmp)
        .with_context(|| format!("cannot make a link in {}", dir.display()))?;
    #[cfg(not(unix))]
    std::fs::copy(&exe, &tmp).with_context(|| format!("cannot copy to {}", dir.display()))?;
    std::fs::rename(&tmp, &link).with_context(|| format!("cannot write {}", link.display()))?;
    eprintln!("{} -> {}", link.display(), exe.display());
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == dir));
    if !on_path {
        eprintln!(
            "Note: {} is not on your PATH; add it, or docker will not find the helper.",
            dir.display()
        );
    }
    Ok(())
}

/// `berth pull-secret`.
pub async fn pull_secret(args: PullSecretArgs) -> anyhow::Result<()> {
    let session = Session::open(&args.target)?;
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let secret: PullSecret = session
        .api
        .post(
            "export_pull_secret",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("format", args.format.as_str()),
                ("kcr_ttl", args.kcr_ttl.as_str()),
                ("secret_name", args.name.as_str()),
            ],
        )
        .await
        .map_err(|f| {
            // The server's field names as this command's flags.
            let message = f
                .message
                .replace("secret_name: ", "--name: ")
                .replace("kcr_ttl: ", "--kcr-ttl: ")
                .replace("format: ", "--format: ");
            Failure::new(f.exit, message)
        })?;
    match &args.file {
        Some(path) => {
            config::write_private(path, secret.content.as_bytes())?;
            eprintln!("Wrote {}.", path.display());
        }
        None => print!("{}", secret.content),
    }
    eprintln!(
        "Pull secret of {owner}/{name}: {} registry credential(s){}.",
        secret.credential_ids.len(),
        secret
            .kcr_host
            .as_ref()
            .map(|h| format!(
                " and a pull-only login for {h} until {}",
                secret.kcr_expires_at
            ))
            .unwrap_or_default()
    );
    Ok(())
}
