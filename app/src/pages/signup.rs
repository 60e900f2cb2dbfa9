//! `/signup`: create an account (its username is a namespace name shared with organizations).

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::auth::SignUp;
use crate::api::auth::signup_status;
use crate::components::{
    fields::Field,
    form::{FormError, SubmitButton, field_error, form_error, kept},
};
use crate::domain::account::PASSWORD_MIN_CHARS;

/// The sign-up form, or a notice that sign-up is closed.
#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let status = Resource::new(|| (), |_| signup_status());
    view! {
        <PageTitle text="Create account" />
        <h1 class="text-2xl font-semibold">"Create your account"</h1>
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) if !status.open => {
                        view! {
                            <p class="mt-4" role="status">
                                "Sign-up is closed on this instance. Ask an administrator for an account."
                            </p>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <ActionForm
                                action
                                attr:class="mt-6 max-w-md space-y-4"
                                attr:novalidate=true
                            >
                                <FormError error=form_error(action) />
                                <Field
                                    label="Email"
                                    name="email"
                                    value=kept(action, "email").unwrap_or_default()
                                    kind="email"
                                    autocomplete="email"
                                    error=field_error(action, "email")
                                />
                                <Field
                                    label="Username"
                                    name="username"
                                    value=kept(action, "username").unwrap_or_default()
                                    autocomplete="username"
                                    hint="Lowercase letters, digits and hyphens; it becomes part of your image paths."
                                    error=field_error(action, "username")
                                />
                                <Field
                                    label="Display name (optional)"
                                    name="display_name"
                                    value=kept(action, "display_name").unwrap_or_default()
                                    optional=true
                                    autocomplete="name"
                                    hint="The name people see; blank means your username."
                                    error=field_error(action, "display_name")
                                />
                                <Field
                                    label="Password"
                                    name="password"
                                    kind="password"
                                    autocomplete="new-password"
                                    minlength=PASSWORD_MIN_CHARS as u32
                                    hint="At least 12 characters."
                                    error=field_error(action, "password")
                                />
                                <SubmitButton
                                    label="Create account"
                                    busy_label="Creating account…"
                                    pending=action.pending()
                                />
                            </ActionForm>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
        <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
            "Have an account? " <a href="/login" class="text-sky-700 underline dark:text-sky-400">
                "Sign in"
            </a>
        </p>
    }
}
