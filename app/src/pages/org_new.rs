//! `/orgs/new`: create an organization (its name shares the namespace with usernames).

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::orgs::CreateOrg;
use crate::components::{
    fields::Field,
    form::{FormError, SubmitButton, field_error, form_error, kept},
};

/// The "create organization" form.
#[component]
pub fn OrgNewPage() -> impl IntoView {
    let action = ServerAction::<CreateOrg>::new();
    view! {
        <PageTitle text="New organization" />
        <h1 class="text-2xl font-semibold">"New organization"</h1>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            "You become its owner. Its projects may use every region until you narrow them down."
        </p>
        <ActionForm action attr:class="mt-6 max-w-md space-y-4" attr:novalidate=true>
            <FormError error=form_error(action) />
            <Field
                label="Organization name"
                name="name"
                value=kept(action, "name").unwrap_or_default()
                hint="Lowercase letters, digits and hyphens; it becomes part of image paths."
                error=field_error(action, "name")
            />
            <Field
                label="Display name (optional)"
                name="display_name"
                value=kept(action, "display_name").unwrap_or_default()
                optional=true
                hint="The name people see; blank means the organization name."
                error=field_error(action, "display_name")
            />
            <SubmitButton
                label="Create organization"
                busy_label="Creating organization…"
                pending=action.pending()
            />
        </ActionForm>
    }
}
