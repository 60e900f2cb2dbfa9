//! `/account`: the signed-in user's details and the password change form.

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::auth::ChangePassword;
use crate::components::{
    fields::Field,
    form::{FormError, SubmitButton, field_error, form_error},
};
use crate::state::session::use_session;

/// Account details and "Change password"; sends anonymous visitors to sign in first.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    // Changing the password keeps this session and this user: no session refresh needed.
    let action = ServerAction::<ChangePassword>::new();
    view! {
        <PageTitle text="Account" />
        {move || {
            match session.user() {
                Some(user) => {
                    view! {
                        <h1 class="text-2xl font-semibold">"Your account"</h1>
                        <dl class="mt-4 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
                            <dt class="font-medium">"Username"</dt>
                            <dd>{user.username.clone()}</dd>
                            <dt class="font-medium">"Display name"</dt>
                            <dd>{user.display_name.clone()}</dd>
                            <dt class="font-medium">"Email"</dt>
                            <dd class="break-all">{user.email.clone()}</dd>
                        </dl>
                        <p class="mt-6 text-sm">
                            <a href="/account/tokens" class="underline">
                                "Access tokens"
                            </a>
                            " — for the berth CLI, scripts and CI."
                        </p>
                        <h2 class="mt-10 text-xl font-semibold">"Change password"</h2>
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                            "Every other session of your account is signed out."
                        </p>
                        <ActionForm
                            action
                            attr:class="mt-4 max-w-md space-y-4"
                            attr:novalidate=true
                        >
                            <FormError error=form_error(action) />
                            <Field
                                label="Current password"
                                name="current_password"
                                kind="password"
                                autocomplete="current-password"
                                error=field_error(action, "current_password")
                            />
                            <Field
                                label="New password"
                                name="new_password"
                                kind="password"
                                autocomplete="new-password"
                                hint="At least 12 characters."
                                error=field_error(action, "new_password")
                            />
                            <SubmitButton
                                label="Change password"
                                busy_label="Changing password…"
                                pending=action.pending()
                            />
                        </ActionForm>
                    }
                        .into_any()
                }
                None => view! { <Redirect path="/login?next=/account" /> }.into_any(),
            }
        }}
    }
}
