//! `/projects/{owner}/{project}/pull-secret`: the confirm step of "Download pull secret"
//! (project admins). It says what goes out (every registry credential of the project, with
//! its password, and a pull-only KCR login that expires), lets the admin choose the format and
//! the KCR login's life, and posts to `server::http::pull_secret_download`, which answers the file.
//! A refused download comes back here with a code in `?error=`, shown as its message.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::pull_secrets::pull_secret_preview;
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    fields::{Field, SelectField},
};
use crate::domain::pull_secret::{ExportPreview, download_error_message, field};
use crate::domain::when::short_utc;
use crate::state::params::use_project_params;

/// The download page.
#[component]
pub fn PullSecretPage() -> impl IntoView {
    let project = use_project_params();
    let preview = Resource::new(
        move || project.get(),
        |(owner, name)| pull_secret_preview(owner, name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(preview) => view! { <Confirm preview /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Confirm(preview: ExportPreview) -> impl IntoView {
    let query = use_query_map();
    let error = query.with_untracked(|q| q.get("error").map(|c| download_error_message(&c)));
    let full = format!("{}/{}", preview.project.owner, preview.project.name);
    let action = format!("/projects/{full}/pull-secret/download");
    let count = preview.credentials.len();
    let formats = vec![
        ("k8s".to_owned(), "Kubernetes Secret (YAML)".to_owned()),
        (
            "dockerconfigjson".to_owned(),
            "Auth file (.dockerconfigjson: docker, podman, skopeo)".to_owned(),
        ),
    ];
    let ttls = [
        ("30m", "30 minutes"),
        ("1h", "1 hour"),
        ("12h", "12 hours"),
        ("7d", "7 days"),
        ("30d", "30 days"),
    ]
    .iter()
    .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
    .collect();
    view! {
        <ProjectArea
            project=preview.project.clone()
            section=ProjectSection::Credentials
            page="Pull secret"
        >
            <h2 class="text-lg font-semibold">"Download pull secret"</h2>
            <p class="mt-1 max-w-prose text-sm">
                "A file a cluster or pipeline pulls this project's images with. It holds the "
                <strong>"passwords"</strong> " of "
                {match count {
                    0 => "no registry credentials (there are none yet)".to_owned(),
                    1 => "1 registry credential".to_owned(),
                    n => format!("{n} registry credentials"),
                }} " in the clear"
                {preview
                    .kcr_host
                    .as_ref()
                    .map(|h| {
                        format!(
                            ", and a pull-only login for KCR ({h}) that stops working when it expires",
                        )
                    })}
                ". Anyone holding it can pull as those accounts: keep it out of chat, tickets and repositories."
            </p>
            {(count > 0)
                .then(|| {
                    view! {
                        <ul class="mt-3 list-disc pl-6 text-sm">
                            {preview
                                .credentials
                                .iter()
                                .map(|(server, username)| {
                                    view! {
                                        <li>
                                            <span class="font-mono break-all">{server.clone()}</span>
                                            " as "
                                            <span class="break-all">{username.clone()}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {(!preview.ecr_expires_at.is_empty())
                .then(|| {
                    let ends = preview
                        .ecr_expires_at
                        .iter()
                        .map(|(server, at)| format!("{server} at {}", short_utc(at)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <p class="mt-3 max-w-prose text-sm">
                            "Amazon ECR passwords last 12 hours. Berth renews them, but the file keeps the one it was exported with (one with less than an hour left is renewed first): "
                            <span class="break-all">{ends}</span>
                            ". Export again before then; a Kubernetes Secret says when in its berth/ecr-expires-at annotation."
                        </p>
                    }
                })}
            {(!preview.left_out.is_empty())
                .then(|| {
                    view! {
                        <p class="mt-3 max-w-prose text-sm">
                            "Not in the file: the stored credentials for "
                            <span class="font-mono break-all">{preview.left_out.join(", ")}</span>
                            ", Berth's own registry (KCR), which takes the pull-only KCR login instead. Delete them under Credentials."
                        </p>
                    }
                })}
            <p class="mt-3 max-w-prose text-sm text-slate-600 dark:text-slate-400">
                "The download is recorded in the audit log with the credentials it held, and each credential shows when it was last exported."
            </p>
            {error
                .map(|e| {
                    view! {
                        <p
                            role="alert"
                            class="mt-4 max-w-prose text-sm text-red-700 dark:text-red-400"
                        >
                            {e}
                        </p>
                    }
                })}
            <form method="post" action=action class="mt-6 max-w-md space-y-3">
                <SelectField
                    label="Format"
                    name=field::FORMAT
                    options=formats
                    selected="k8s"
                    error=Signal::derive(|| None::<String>)
                />
                <SelectField
                    label="KCR login expires after"
                    name=field::KCR_TTL
                    options=ttls
                    selected="1h"
                    error=Signal::derive(|| None::<String>)
                />
                <Field
                    label="Secret name"
                    name=field::SECRET_NAME
                    optional=true
                    value=preview.default_secret_name.clone()
                    hint="The Kubernetes Secret's name (lowercase letters, digits, - and .); also the file's name."
                    error=Signal::derive(|| None::<String>)
                />
                <div class="flex flex-wrap gap-2 pt-2">
                    <button type="submit" class="btn-primary">
                        "Download pull secret"
                    </button>
                    <a href=format!("/projects/{full}/credentials") class="btn">
                        "Cancel"
                    </a>
                </div>
            </form>
        </ProjectArea>
    }
}
