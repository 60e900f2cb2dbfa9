//! `/projects/{owner}/{project}/credentials/import`: moving existing docker logins in. Paste a
//! `config.json` (or, with JavaScript, choose the file), see what each entry would become (add,
//! already present, not importable and why), then confirm; nothing is stored before that, and
//! no password comes back to the page. `?draft=ID` shows a preview.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::credential_imports::{
    ConfirmCredentialImport, PreviewCredentialImport, credential_import,
};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    fields::TextAreaField,
    form::{FormError, field_error, form_error},
};
use crate::domain::credential_import::{
    ImportAction, ImportPage, ImportPreview, MAX_CONFIG_BYTES, field,
};
use crate::domain::when::short_utc;
use crate::state::params::use_project_params;

/// The import page.
#[component]
pub fn CredentialImportPage() -> impl IntoView {
    let project = use_project_params();
    let query = use_query_map();
    let page = Resource::new(
        move || (project.get(), query.with(|q| q.get("draft"))),
        |((owner, name), draft)| credential_import(owner, name, draft),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Import page /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Import(page: ImportPage) -> impl IntoView {
    let (owner, name) = (page.project.owner.clone(), page.project.name.clone());
    let back = format!("/projects/{owner}/{name}/credentials");
    view! {
        <ProjectArea project=page.project.clone() section=ProjectSection::Credentials page="Import">
            <h2 class="text-lg font-semibold">"Import from docker config.json"</h2>
            {match page.preview {
                Some(preview) => view! { <Preview owner name preview back /> }.into_any(),
                None => view! { <Paste owner name back /> }.into_any(),
            }}
        </ProjectArea>
    }
}

#[component]
fn Paste(owner: String, name: String, back: String) -> impl IntoView {
    let preview = ServerAction::<PreviewCredentialImport>::new();
    view! {
        <p class="mt-1 max-w-prose text-sm">
            "Paste the contents of " <code>"~/.docker/config.json"</code> " (or podman's "
            <code>"auth.json"</code>
            "). Berth shows what each login would become before anything is stored; nothing is kept until you confirm, and the passwords are never shown again."
        </p>
        <ActionForm action=preview attr:class="mt-4 max-w-2xl space-y-3" attr:novalidate=true>
            <FormError error=form_error(preview) />
            <input type="hidden" name="owner" value=owner />
            <input type="hidden" name="name" value=name />
            <TextAreaField
                label="config.json"
                name=field::CONFIG
                rows=12
                mono=true
                maxlength=MAX_CONFIG_BYTES as u32
                hint="At most 1024 KiB. Logins kept by a credential helper or store are listed, not imported."
                error=field_error(preview, field::CONFIG)
            />
            <ConfigFile />
            <div class="flex flex-wrap gap-2">
                <button type="submit" class="btn-primary">
                    "Preview"
                </button>
                <a href=back class="btn">
                    "Cancel"
                </a>
            </div>
        </ActionForm>
    }
}

/// "Choose file": reads a chosen file into the text area (JavaScript only; without it the
/// field is hidden and the text is pasted).
#[island]
fn ConfigFile() -> impl IntoView {
    let message = RwSignal::new(None::<String>);
    let on_change = move |event: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        browser::read(event, message);
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    view! {
        <div class="needs-js space-y-1">
            <label for="docker-config-file" class="block text-sm font-medium">
                "Or choose the file"
            </label>
            <input
                id="docker-config-file"
                type="file"
                accept=".json,application/json"
                class="block text-sm"
                on:change=on_change
            />
            {move || {
                message
                    .get()
                    .map(|m| {
                        view! {
                            <p role="status" class="text-xs">
                                {m}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlTextAreaElement};

    use crate::domain::credential_import::MAX_CONFIG_BYTES;

    /// The text area's id (`fields::FieldIds` of `field::CONFIG`).
    const CONFIG_ID: &str = "field-docker_config";

    /// Puts the chosen file's text into the text area.
    pub fn read(event: leptos::ev::Event, message: RwSignal<Option<String>>) {
        let Some(file) = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        if file.size() > MAX_CONFIG_BYTES as f64 {
            message.set(Some(format!(
                "{} is larger than {} KiB; a docker config.json is a few KiB.",
                file.name(),
                MAX_CONFIG_BYTES / 1024
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let area = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(CONFIG_ID))
                .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok());
            match (text.ok().and_then(|t| t.as_string()), area) {
                (Some(text), Some(area)) => {
                    area.set_value(&text);
                    message.set(Some(format!("Read {}.", file.name())));
                }
                _ => message.set(Some(format!("{} could not be read.", file.name()))),
            }
        });
    }
}

#[component]
fn Preview(owner: String, name: String, preview: ImportPreview, back: String) -> impl IntoView {
    let confirm = ServerAction::<ConfirmCredentialImport>::new();
    let (add, present) = preview.counts();
    let until = short_utc(&preview.expires_at);
    view! {
        <p class="mt-1 max-w-prose text-sm">
            {format!(
                "{add} to add, {present} already present, {} not importable. Nothing is stored until you import; this preview can be imported until {until}.",
                preview.rows.len() - add - present,
            )}
        </p>
        <table class="stack-table mt-4" id="import-preview">
            <thead>
                <tr>
                    <th scope="col">"Entry"</th>
                    <th scope="col">"Server"</th>
                    <th scope="col">"Username"</th>
                    <th scope="col">"What happens"</th>
                </tr>
            </thead>
            <tbody>
                {preview
                    .rows
                    .into_iter()
                    .map(|row| {
                        let (kind, what) = match row.action {
                            ImportAction::Add => ("add", "added".to_owned()),
                            ImportAction::Present { id } => {
                                (
                                    "present",
                                    format!(
                                        "already present ({id}): skipped or updated, as chosen below",
                                    ),
                                )
                            }
                            ImportAction::NotImportable { reason } => {
                                ("not-importable", format!("not importable: {reason}"))
                            }
                        };
                        view! {
                            <tr data-action=kind>
                                <td data-label="Entry" class="font-mono text-xs break-all">
                                    {row.entry}
                                </td>
                                <td data-label="Server" class="font-mono break-all">
                                    {row.server}
                                </td>
                                <td data-label="Username" class="break-all">
                                    {row.username}
                                </td>
                                <td data-label="What happens" class="text-sm">
                                    {what}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <ActionForm action=confirm attr:class="mt-6 max-w-md space-y-3">
            <FormError error=form_error(confirm) />
            <input type="hidden" name="owner" value=owner.clone() />
            <input type="hidden" name="name" value=name.clone() />
            <input type="hidden" name=field::DRAFT value=preview.draft.clone() />
            {(present > 0)
                .then(|| {
                    view! {
                        <fieldset class="space-y-1 text-sm">
                            <legend class="font-medium">"Credentials already present"</legend>
                            <label class="flex gap-2">
                                <input
                                    type="radio"
                                    name=field::EXISTING
                                    value="skip"
                                    checked=true
                                />
                                "Keep them (skip those entries)"
                            </label>
                            <label class="flex gap-2">
                                <input type="radio" name=field::EXISTING value="update" />
                                "Replace their username, email and password with the file's"
                            </label>
                        </fieldset>
                    }
                })}
            <div class="flex flex-wrap gap-2">
                <button type="submit" class="btn-primary" disabled=add + present == 0>
                    "Import"
                </button>
                <a href=format!("/projects/{owner}/{name}/credentials/import") class="btn">
                    "Start over"
                </a>
                <a href=back class="btn">
                    "Cancel"
                </a>
            </div>
        </ActionForm>
    }
}
