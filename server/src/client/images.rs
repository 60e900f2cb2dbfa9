//! `berth images list [REPOSITORY]`: what a project has in KCR (the console's Repositories
//! page): its repositories, or one repository's tags, and on stderr what the caller may do
//! there when it is not everything (a viewer's refused push is only "denied" in the registry's
//! words).

use app::domain::{
    images::{RepositoriesPage, access_note, human_size},
    when::rfc3339_secs,
};
use clap::{Args, Subcommand};

use super::{Output, Session, Target, credentials::ProjectArg, table};

/// `berth images ...`.
#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// The project's repositories (with its organization's shared ones), or with REPOSITORY
    /// that repository's tags, newest push first.
    List(ListArgs),
}

/// `images list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// A repository (`OWNER/PROJECT/IMAGE` or `ORG/IMAGE`) whose tags to list.
    pub repository: Option<String>,
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
}

pub async fn run(target: &Target, command: ImagesCommand) -> anyhow::Result<()> {
    let ImagesCommand::List(args) = command;
    let session = Session::open(target)?;
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let mut query = vec![("owner", owner.as_str()), ("name", name.as_str())];
    if let Some(repository) = &args.repository {
        query.push(("repository", repository.as_str()));
    }
    let page: RepositoriesPage = session.api.get("list_repositories", &query).await?;
    if let Some(note) = access_note(&page.header) {
        eprintln!("{note}");
    }
    match (args.output, &page.selected) {
        (Output::Json, _) => println!("{}", serde_json::to_string_pretty(&page)?),
        (Output::Table, Some(tags)) => {
            let rows: Vec<Vec<String>> = tags
                .tags
                .iter()
                .map(|t| {
                    vec![
                        t.tag.clone(),
                        t.digest.clone(),
                        t.size.map(human_size).unwrap_or_else(|| "-".into()),
                        rfc3339_secs(t.pushed_at),
                        t.pushed_by.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(&["TAG", "DIGEST", "SIZE", "PUSHED", "BY"], &rows)
            );
            if tags.next.is_some() {
                eprintln!("Newest 50 tags shown; the Repositories page pages through the rest.");
            }
        }
        (Output::Table, None) => {
            let rows: Vec<Vec<String>> = page
                .repositories
                .iter()
                .map(|r| {
                    vec![
                        format!("{}/{}", page.host, r.name),
                        r.tags.to_string(),
                        r.last_pushed_at
                            .map(rfc3339_secs)
                            .unwrap_or_else(|| "-".into()),
                        if r.shared { "organization" } else { "project" }.into(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(&["REPOSITORY", "TAGS", "LAST PUSHED", "OF"], &rows)
            );
            if rows.is_empty() {
                eprintln!(
                    "Nothing pushed to {owner}/{name} yet: `berth auth container-registry configure`, then push to {}/{owner}/{name}/IMAGE.",
                    page.host
                );
            }
        }
    }
    Ok(())
}
