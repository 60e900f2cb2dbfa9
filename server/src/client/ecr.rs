//! `berth docker add-ecr-credentials` and `update-ecr-credentials`: Amazon ECR credentials
//! from AWS keys. The keys come
//! from the flags or, as every AWS tool reads them, from `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; the secret never from a flag (the process
//! list would show it), but from the environment or `--aws-secret-access-key-stdin`.

use std::io::Read;

use clap::Args;

use super::{Session, credentials::ProjectArg, failure::Failure};

/// `add-ecr-credentials`.
#[derive(Debug, Args)]
pub struct AddEcrArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`.
    #[arg(long)]
    pub ecr_registry: String,
    /// The AWS access key ID.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub aws_access_key_id: String,
    /// Read the secret access key from stdin (default: `AWS_SECRET_ACCESS_KEY`).
    #[arg(long)]
    pub aws_secret_access_key_stdin: bool,
    /// A role to assume with the keys, `arn:aws:iam::ACCOUNT:role/NAME` (a registry in
    /// another account).
    #[arg(long, default_value = "")]
    pub role_arn: String,
    /// The external ID the role's trust policy asks for.
    #[arg(long, default_value = "", requires = "role_arn")]
    pub external_id: String,
}

/// `update-ecr-credentials`.
#[derive(Debug, Args)]
pub struct UpdateEcrArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The credentials' ID (`list-credentials` shows it).
    pub id: String,
    /// The AWS access key ID (the new one, when the key was rotated).
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub aws_access_key_id: String,
    /// Read the new secret access key from stdin (default: `AWS_SECRET_ACCESS_KEY`; neither
    /// keeps the stored secret, for the same key ID).
    #[arg(long)]
    pub aws_secret_access_key_stdin: bool,
    /// The role to assume with the keys (empty: none).
    #[arg(long, default_value = "")]
    pub role_arn: String,
    /// The external ID the role's trust policy asks for.
    #[arg(long, default_value = "", requires = "role_arn")]
    pub external_id: String,
}

/// The secret access key from stdin (with `from_stdin`) or `AWS_SECRET_ACCESS_KEY`; empty
/// when neither gives one.
fn secret_key(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text.trim().to_owned())
    } else {
        Ok(std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default())
    }
}

/// The server's field names as this command's flags and variables, in its messages.
fn flag_names(err: Failure) -> Failure {
    let message = err
        .message
        .lines()
        .map(|line| {
            for (field, flag) in [
                ("registry_host: ", "--ecr-registry: "),
                ("server: ", "--ecr-registry: "),
                ("aws_access_key_id: ", "--aws-access-key-id: "),
                ("aws_secret_access_key: ", "the secret access key: "),
                ("aws_session_token: ", "AWS_SESSION_TOKEN: "),
                ("aws_role_arn: ", "--role-arn: "),
                ("aws_external_id: ", "--external-id: "),
            ] {
                if let Some(rest) = line.strip_prefix(field) {
                    return format!("{flag}{rest}");
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Failure::new(err.exit, message)
}

pub async fn add(session: &Session, args: AddEcrArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let secret = secret_key(args.aws_secret_access_key_stdin)?;
    if secret.is_empty() {
        return Err(Failure::usage(
            "give the secret access key in AWS_SECRET_ACCESS_KEY or with --aws-secret-access-key-stdin",
        )
        .into());
    }
    let session_token = std::env::var("AWS_SESSION_TOKEN").unwrap_or_default();
    let id: String = session
        .api
        .post(
            "add_ecr_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("registry_host", args.ecr_registry.as_str()),
                ("aws_access_key_id", args.aws_access_key_id.as_str()),
                ("aws_secret_access_key", secret.as_str()),
                ("aws_session_token", session_token.as_str()),
                ("aws_role_arn", args.role_arn.as_str()),
                ("aws_external_id", args.external_id.as_str()),
            ],
        )
        .await
        .map_err(flag_names)?;
    println!("{id}");
    eprintln!(
        "Amazon ECR credentials added to {owner}/{name}: Berth renews their password before it expires."
    );
    Ok(())
}

pub async fn update(session: &Session, args: UpdateEcrArgs) -> anyhow::Result<()> {
    let (owner, name) = session.project(args.project.project.as_deref()).await?;
    let secret = secret_key(args.aws_secret_access_key_stdin)?;
    let session_token = if secret.is_empty() {
        String::new()
    } else {
        std::env::var("AWS_SESSION_TOKEN").unwrap_or_default()
    };
    session
        .api
        .post_unit(
            "update_ecr_credential",
            &[
                ("owner", owner.as_str()),
                ("name", name.as_str()),
                ("id", args.id.trim()),
                ("aws_access_key_id", args.aws_access_key_id.as_str()),
                ("aws_secret_access_key", secret.as_str()),
                ("aws_session_token", session_token.as_str()),
                ("aws_role_arn", args.role_arn.as_str()),
                ("aws_external_id", args.external_id.as_str()),
            ],
        )
        .await
        .map_err(flag_names)?;
    eprintln!(
        "Amazon ECR credentials {} of {owner}/{name} updated: a new password was minted with the new keys.",
        args.id.trim()
    );
    Ok(())
}
