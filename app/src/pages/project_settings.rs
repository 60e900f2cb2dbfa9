//! `/projects/{owner}/{project}/settings`: rename the project, change its description, delete
//! it (admins; the menu shows the section to them only and the server checks regardless).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::projects::{DeleteProject, UpdateProject, get_project};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    fields::{Field, TextAreaField},
    form::{FormError, SubmitButton, field_error, form_error},
};
use crate::domain::{
    project::{DESCRIPTION_MAX_CHARS, ProjectView, field},
    role::ProjectAction,
};
use crate::error::AppError;
use crate::state::params::use_project_params;

/// The actions of the page, created inside the routes so a JavaScript-free post's error
/// reaches its form.
#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateProject>,
    delete: ServerAction<DeleteProject>,
}

/// The project's settings page.
#[component]
pub fn ProjectSettingsPage() -> impl IntoView {
    let path = use_project_params();
    let actions = Actions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let project = Resource::new(move || path.get(), |(owner, name)| get_project(owner, name));
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) if !p.my_role.allows(ProjectAction::Administer) => {
                        let error = AppError::Forbidden(
                            ProjectAction::Administer.forbidden_message(),
                        );
                        view! { <ErrorNotice error /> }.into_any()
                    }
                    Ok(p) => view! { <Settings p actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Settings(p: ProjectView, actions: Actions) -> impl IntoView {
    let header = p.header();
    let (owner_a, name_a) = (p.owner.clone(), p.name.clone());
    let (owner_b, name_b, name_c) = (p.owner.clone(), p.name.clone(), p.name.clone());
    view! {
        <ProjectArea project=header section=ProjectSection::Settings>
            <section aria-labelledby="settings-heading">
                <h2 id="settings-heading" class="text-lg font-semibold">
                    "Settings"
                </h2>
                <ActionForm
                    action=actions.update
                    attr:class="mt-4 max-w-md space-y-3"
                    attr:novalidate=true
                >
                    <FormError error=form_error(actions.update) />
                    <input type="hidden" name="owner" value=owner_a />
                    <input type="hidden" name="name" value=name_a />
                    <Field
                        label="Project name"
                        name=field::NEW_NAME
                        value=p.name.clone()
                        error=field_error(actions.update, field::NEW_NAME)
                    />
                    <TextAreaField
                        label="Description"
                        name=field::DESCRIPTION
                        value=p.description.clone()
                        maxlength=DESCRIPTION_MAX_CHARS as u32
                        error=field_error(actions.update, field::DESCRIPTION)
                    />
                    <SubmitButton
                        label="Save"
                        busy_label="Saving…"
                        pending=actions.update.pending()
                    />
                </ActionForm>
                <ActionForm
                    action=actions.delete
                    attr:class="mt-8 max-w-md space-y-3 rounded-md border border-red-300 p-4 dark:border-red-800"
                    attr:novalidate=true
                >
                    <h3 class="font-medium text-red-700 dark:text-red-300">
                        "Delete this project"
                    </h3>
                    <p class="text-sm">
                        "Its members and settings are deleted with it. Type "
                        <span class="font-mono">{name_c}</span> " to confirm."
                    </p>
                    <FormError error=form_error(actions.delete) />
                    <input type="hidden" name="owner" value=owner_b />
                    <input type="hidden" name="name" value=name_b />
                    <Field
                        label="Confirm project name"
                        name="confirm"
                        error=field_error(actions.delete, "confirm")
                    />
                    <button type="submit" class="btn-danger">
                        "Delete project"
                    </button>
                </ActionForm>
            </section>
        </ProjectArea>
    }
}
