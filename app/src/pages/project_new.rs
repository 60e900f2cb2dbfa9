//! `/projects/new`: create a project under your account or an organization you administer.

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::projects::{CreateProject, project_owners};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    fields::Field,
    fields::{SelectField, TextAreaField},
    form::{FormError, SubmitButton, field_error, form_error, kept},
};
use crate::domain::project::{DESCRIPTION_MAX_CHARS, OwnerChoices};

/// The "create project" form.
#[component]
pub fn ProjectNewPage() -> impl IntoView {
    let action = ServerAction::<CreateProject>::new();
    let owners = Resource::new(|| (), |_| project_owners());
    view! {
        <PageTitle text="New project" />
        <Breadcrumbs trail=vec![
            ("Home".into(), Some("/".into())),
            ("Projects".into(), Some("/projects".into())),
            ("New".into(), None),
        ] />
        <h1 class="mt-2 text-2xl font-semibold">"New project"</h1>
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match owners.await {
                    Ok(owners) => view! { <NewProjectForm action owners /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewProjectForm(action: ServerAction<CreateProject>, owners: OwnerChoices) -> impl IntoView {
    // `?owner=acme` preselects an organization (the organization page links here); a form sent
    // back with an error keeps what was chosen.
    let query = use_query_map();
    let preselected = kept(action, "owner").or_else(|| query.read_untracked().get("owner"));
    let owner = preselected
        .filter(|o| owners.owners.iter().any(|c| c.name == *o))
        .or_else(|| owners.owners.first().map(|o| o.name.clone()))
        .unwrap_or_default();
    view! {
        <ActionForm action attr:class="mt-6 max-w-md space-y-4" attr:novalidate=true>
            <FormError error=form_error(action) />
            <OwnerAndRegion
                owners
                owner
                region=kept(action, "region")
                owner_error=field_error(action, "owner").get_untracked()
                region_error=field_error(action, "region").get_untracked()
            />
            <Field
                label="Project name"
                name="name"
                value=kept(action, "name").unwrap_or_default()
                hint="1–63 lowercase letters, digits and hyphens; part of image paths."
                error=field_error(action, "name")
            />
            <TextAreaField
                label="Description"
                name="description"
                value=kept(action, "description").unwrap_or_default()
                maxlength=DESCRIPTION_MAX_CHARS as u32
                error=field_error(action, "description")
            />
            <SubmitButton
                label="Create project"
                busy_label="Creating project…"
                pending=action.pending()
            />
        </ActionForm>
    }
}

/// The Owner and Region selects: an island, so the region list follows the chosen owner as
/// it changes. Without JavaScript it shows the first owner's regions and the server checks
/// the pair.
#[island]
fn OwnerAndRegion(
    owners: OwnerChoices,
    owner: String,
    region: Option<String>,
    owner_error: Option<String>,
    region_error: Option<String>,
) -> impl IntoView {
    let chosen = RwSignal::new(owner.clone());
    let owner_options: Vec<(String, String)> = owners
        .owners
        .iter()
        .map(|o| {
            let text = if o.is_org {
                format!("{} (organization)", o.name)
            } else {
                format!("{} (personal)", o.name)
            };
            (o.name.clone(), text)
        })
        .collect();
    let all = owners.owners.clone();
    let region_options = move || {
        let chosen = chosen.get();
        all.iter()
            .find(|o| o.name == chosen)
            .map(|o| {
                o.regions
                    .iter()
                    // People pick a region by where they push: its KCR host beside its name.
                    .map(|r| {
                        (
                            r.name.clone(),
                            format!("{} ({}) · pushes to {}", r.display_name, r.name, r.kcr_host),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    // Its own spacing: the form's `space-y-4` reaches the island, not the selects inside it.
    view! {
        <div class="space-y-4">
            <div on:change=move |ev| chosen.set(event_target_value(&ev))>
                <SelectField
                    label="Owner"
                    name="owner"
                    options=owner_options
                    selected=owner
                    error=Signal::stored(owner_error)
                />
            </div>
            {move || {
                view! {
                    <SelectField
                        label="Region"
                        name="region"
                        options=region_options()
                        selected=region.clone().unwrap_or_default()
                        error=Signal::stored(region_error.clone())
                    />
                }
            }}
        </div>
    }
}
