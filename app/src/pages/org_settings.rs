//! `/orgs/{org}/settings`: the name the organization is shown by (admins) and deleting it
//! (owners). The server checks every change regardless.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::orgs::{DeleteOrg, UpdateOrg, get_org};
use crate::components::{
    area::{OrgArea, OrgSection},
    error_notice::ErrorNotice,
    fields::Field,
    form::{FormError, SubmitButton, field_error, form_error, kept},
};
use crate::domain::{
    org::{OrgView, field},
    role::OrgAction,
};
use crate::error::AppError;
use crate::state::params::use_org_param;

/// The organization's settings page.
#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let org_name = use_org_param();
    let update = ServerAction::<UpdateOrg>::new();
    let delete = ServerAction::<DeleteOrg>::new();
    let org = Resource::new(
        move || (org_name.get(), update.version().get()),
        |(name, _)| get_org(name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match org.await {
                    Ok(org) if !org.my_role.allows(OrgAction::ManageProjects) => {
                        let error = AppError::Forbidden(
                            OrgAction::ManageProjects.forbidden_message(),
                        );
                        view! { <ErrorNotice error /> }.into_any()
                    }
                    Ok(org) => view! { <Settings org update delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Settings(
    org: OrgView,
    update: ServerAction<UpdateOrg>,
    delete: ServerAction<DeleteOrg>,
) -> impl IntoView {
    let owner = org.my_role.allows(OrgAction::ManageOwners);
    let shown = kept(update, field::DISPLAY_NAME).unwrap_or_else(|| org.display_name.clone());
    let (header, name) = (org.header(), org.name.clone());
    let delete_form = owner.then(|| view! { <DeleteOrgForm org delete /> });
    view! {
        <OrgArea org=header section=OrgSection::Settings>
            <section aria-labelledby="settings-heading">
                <h2 id="settings-heading" class="text-lg font-semibold">
                    "Settings"
                </h2>
                <ActionForm action=update attr:class="mt-4 max-w-md space-y-3" attr:novalidate=true>
                    <FormError error=form_error(update) />
                    <input type="hidden" name="org" value=name />
                    <Field
                        label="Display name"
                        name=field::DISPLAY_NAME
                        value=shown
                        optional=true
                        hint="The name people see; blank means the organization name. The name in image paths never changes."
                        error=field_error(update, field::DISPLAY_NAME)
                    />
                    <SubmitButton label="Save" busy_label="Saving…" pending=update.pending() />
                </ActionForm>
                {delete_form}
            </section>
        </OrgArea>
    }
}

#[component]
fn DeleteOrgForm(org: OrgView, delete: ServerAction<DeleteOrg>) -> impl IntoView {
    view! {
        <ActionForm
            action=delete
            attr:class="mt-10 max-w-md space-y-3 rounded-md border border-red-300 p-4 dark:border-red-800"
            attr:novalidate=true
        >
            <h3 class="font-medium text-red-700 dark:text-red-300">"Delete this organization"</h3>
            <p class="text-sm">
                "Only an organization without projects can be deleted; its name becomes free. Type "
                <span class="font-mono">{org.name.clone()}</span> " to confirm."
            </p>
            <FormError error=form_error(delete) />
            <input type="hidden" name="org" value=org.name.clone() />
            <Field
                label="Confirm organization name"
                name="confirm"
                error=field_error(delete, "confirm")
            />
            <button type="submit" class="btn-danger">
                "Delete organization"
            </button>
        </ActionForm>
    }
}
