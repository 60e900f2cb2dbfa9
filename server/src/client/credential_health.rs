//! `berth docker check-credentials` (try stored credentials against their registry, step by
//! step) and `berth docker import-credentials` (the logins of a docker config.json: a preview,
//! then the import once confirmed).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;

use app::domain::{
    credential_check::{CheckReport, StepState},
    credential_import::{ImportAction, ImportOutcome, ImportPreview},
};
use clap::Args;

use super::{
    Output, Session,
    credentials::ProjectArg,
    failure::{Failure, exit},
    table,
};

/// `check-credentials`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The credentials' ID (`berth docker list-credentials`).
    pub id: String,
    /// An image to try pulling, `REPOSITORY[:TAG]` (default: the last check's).
    #[arg(long, default_value = "")]
    pub image: String,
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
}

/// `import-credentials`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The docker config.json to read (`-` for stdin).
    #[arg(long, short = 'f')]
    pub file: PathBuf,
    /// Replace credentials the project already has for a registry (default: skip them).
    #[arg(long)]
    pub update_existing: bool,
    /// Show what would be imported, and import nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The steps of a report, one line each.
pub fn report_lines(report: &CheckReport) -> String {
    let mut out = String::new();
    for step in &report.steps {
        let mark = match step.state {
            StepState::Passed => "ok  ",
            StepState::Failed => "fail",
            StepState::Skipped => "skip",
        };
        let ms = step
            .millis
            .map(|m| format!(" ({m} ms)"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{mark} {}: {}{ms}\n",
            step.kind.label(),
            step.detail
        ));
    }
    out
}

pub async fn check(session: &Session, args: CheckArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let report: CheckReport = session
        .api
        .post(
            "check_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("id", args.id.trim()),
                ("image", args.image.as_str()),
            ],
        )
        .await?;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Table => print!("{}", report_lines(&report)),
    }
    match report.reason() {
        None => {
            eprintln!(
                "Credentials {} work ({} ms).",
                args.id.trim(),
                report.millis
            );
            Ok(())
        }
        Some(reason) => Err(Failure::new(exit::CHECK_FAILED, reason).into()),
    }
}

/// The preview as a table: ENTRY, SERVER, USERNAME, ACTION.
pub fn preview_table(preview: &ImportPreview) -> String {
    let rows: Vec<Vec<String>> = preview
        .rows
        .iter()
        .map(|r| {
            let action = match &r.action {
                ImportAction::Add => "add".to_owned(),
                ImportAction::Present { id } => format!("present ({id})"),
                ImportAction::NotImportable { reason } => format!("not importable: {reason}"),
            };
            vec![
                r.entry.clone(),
                r.server.clone(),
                r.username.clone(),
                action,
            ]
        })
        .collect();
    table::render(&["ENTRY", "SERVER", "USERNAME", "ACTION"], &rows)
}

fn read_file(path: &PathBuf) -> anyhow::Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| {
        Failure::new(exit::OTHER, format!("cannot read {}: {e}", path.display())).into()
    })
}

pub async fn import(session: &Session, args: ImportArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let text = read_file(&args.file)?;
    let preview: ImportPreview = session
        .api
        .post(
            "preview_credential_import",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("docker_config", text.as_str()),
            ],
        )
        .await
        .map_err(|f| {
            let message = f.message.replace("docker_config: ", "");
            Failure::new(f.exit, message)
        })?;
    drop(text);
    print!("{}", preview_table(&preview));
    let (add, present) = preview.counts();
    let changes = add + if args.update_existing { present } else { 0 };
    if args.dry_run {
        eprintln!("Dry run: nothing imported.");
        return Ok(());
    }
    if changes == 0 {
        eprintln!("Nothing to import into {owner}/{name}.");
        return Ok(());
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() || args.file.as_os_str() == "-" {
            return Err(Failure::usage(
                "refusing to import without confirmation: there is no terminal to ask on; pass --yes",
            )
            .into());
        }
        let present_note = match (present, args.update_existing) {
            (0, _) => String::new(),
            (n, true) => format!(", replacing {n} present"),
            (n, false) => format!(", skipping {n} present"),
        };
        eprint!("Import {add} new credentials into {owner}/{name}{present_note}? [y/N] ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
            return Err(Failure::new(exit::OTHER, "nothing imported").into());
        }
    }
    let outcome: ImportOutcome = session
        .api
        .post(
            "confirm_credential_import",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("draft", preview.draft.as_str()),
                (
                    "existing",
                    if args.update_existing {
                        "update"
                    } else {
                        "skip"
                    },
                ),
            ],
        )
        .await?;
    eprintln!(
        "Imported into {owner}/{name}: {} added, {} updated, {} skipped.",
        outcome.added.len(),
        outcome.updated.len(),
        outcome.skipped.len()
    );
    Ok(())
}
